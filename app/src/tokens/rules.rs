//! Pure token rules: format, parsing of scope lists and names.
use super::Scope;
use crate::i18n::Problem;

/// Tokens look like `rsp_` + 48 hex characters; the prefix makes them easy to find in
/// secret scanners and config files.
pub const TOKEN_PREFIX: &str = "rsp_";
pub const NAME_MAX: usize = 80;

/// Parses "inventory:write access:read" (spaces or commas) into scopes, at least one.
pub fn parse_scopes(raw: &str) -> Result<Vec<Scope>, Problem> {
    let mut scopes = vec![];
    for part in raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let scope = Scope::parse(part).ok_or(Problem::UnknownScope)?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(Problem::Required);
    }
    Ok(scopes)
}

pub fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn parse_name(raw: &str) -> Result<String, Problem> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        Err(Problem::Required)
    } else if name.chars().count() > NAME_MAX {
        Err(Problem::TooLong(NAME_MAX))
    } else {
        Ok(name)
    }
}

/// The bearer token of an `Authorization` header value, if it has the right shape.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && token.starts_with(TOKEN_PREFIX)
        && token.len() == TOKEN_PREFIX.len() + 48
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit()))
    .then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_from_spaces_or_commas_and_reject_unknown_ones() {
        assert_eq!(
            parse_scopes("inventory:write, access:read access:read"),
            Ok(vec![Scope::InventoryWrite, Scope::AccessRead])
        );
        assert_eq!(parse_scopes("admin"), Err(Problem::UnknownScope));
        assert_eq!(parse_scopes("  "), Err(Problem::Required));
    }

    #[test]
    fn only_well_formed_bearer_tokens_are_accepted() {
        let t = format!("rsp_{}", "a1".repeat(24));
        assert_eq!(bearer(&format!("Bearer {t}")), Some(t.as_str()));
        assert_eq!(bearer(&format!("bearer  {t}")), Some(t.as_str()));
        assert_eq!(bearer(&format!("Basic {t}")), None);
        assert_eq!(bearer("Bearer rsp_short"), None);
        assert_eq!(bearer(&format!("Bearer {}", t.replace('a', "z"))), None);
    }
}
