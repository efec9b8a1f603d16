//! Pure rules of the organisation domain: parsing form input into valid values and the
//! tree invariants. No I/O here, so everything is unit-tested directly.
use super::{OrgUnitId, UnitForm, UnitKind, UnitPath, UserForm, UserId};
use crate::auth::rules::check_new_password;
use crate::i18n::{Locale, Problem};

pub const NAME_MAX: usize = 120;
pub const CODE_MAX: usize = 20;
pub const EMAIL_MAX: usize = 254;

pub type Problems = Vec<(&'static str, Problem)>;

pub fn parse_email(raw: &str) -> Result<String, Problem> {
    let s = raw.trim().to_lowercase();
    if s.is_empty() {
        return Err(Problem::Required);
    }
    if s.chars().count() > EMAIL_MAX {
        return Err(Problem::TooLong(EMAIL_MAX));
    }
    let (local, domain) = s.split_once('@').ok_or(Problem::InvalidEmail)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    let local_ok = !local.is_empty()
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c == '@' || c == '<' || c == '>');
    if domain_ok && local_ok {
        Ok(s)
    } else {
        Err(Problem::InvalidEmail)
    }
}

pub fn parse_name(raw: &str) -> Result<String, Problem> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        Err(Problem::Required)
    } else if s.chars().count() > NAME_MAX {
        Err(Problem::TooLong(NAME_MAX))
    } else if s.chars().any(char::is_control) {
        Err(Problem::MalformedRow)
    } else {
        Ok(s)
    }
}

pub fn parse_code(raw: &str) -> Result<String, Problem> {
    let s = raw.trim();
    if s.is_empty() {
        Err(Problem::Required)
    } else if s.chars().count() > CODE_MAX {
        Err(Problem::TooLong(CODE_MAX))
    } else if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        Err(Problem::InvalidCode)
    } else {
        Ok(s.to_owned())
    }
}

/// Optional: empty means "none".
pub fn parse_personnel_no(raw: &str) -> Result<Option<String>, Problem> {
    let s = raw.trim();
    if s.is_empty() {
        Ok(None)
    } else if s.chars().count() > CODE_MAX {
        Err(Problem::TooLong(CODE_MAX))
    } else if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Err(Problem::InvalidPersonnelNo)
    } else {
        Ok(Some(s.to_owned()))
    }
}

fn parse_opt_id(raw: &str) -> Result<Option<i64>, Problem> {
    let s = raw.trim();
    if s.is_empty() {
        Ok(None)
    } else {
        s.parse::<i64>().map(Some).map_err(|_| Problem::UnknownUnit)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidUnit {
    pub id: Option<OrgUnitId>,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<OrgUnitId>,
}

pub fn parse_unit(form: &UnitForm) -> Result<ValidUnit, Problems> {
    let mut problems = Problems::new();
    let code = parse_code(&form.code)
        .map_err(|p| problems.push(("code", p)))
        .ok();
    let name = parse_name(&form.name)
        .map_err(|p| problems.push(("name", p)))
        .ok();
    let kind = UnitKind::parse(&form.kind)
        .ok_or(Problem::UnknownKind)
        .map_err(|p| problems.push(("kind", p)))
        .ok();
    let parent = parse_opt_id(&form.parent_id)
        .map_err(|p| problems.push(("parent_id", p)))
        .ok();
    let id = parse_opt_id(&form.id)
        .map_err(|p| problems.push(("id", p)))
        .ok();
    match (code, name, kind, parent, id) {
        (Some(code), Some(name), Some(kind), Some(parent), Some(id)) if problems.is_empty() => {
            Ok(ValidUnit {
                id: id.map(OrgUnitId),
                code,
                name,
                kind,
                parent_id: parent.map(OrgUnitId),
            })
        }
        _ => Err(problems),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidUser {
    pub id: Option<UserId>,
    pub email: String,
    pub display_name: String,
    pub personnel_no: Option<String>,
    pub org_unit_id: OrgUnitId,
    pub locale: Locale,
    pub password: Option<String>,
}

pub fn parse_user(form: &UserForm) -> Result<ValidUser, Problems> {
    let mut problems = Problems::new();
    let email = parse_email(&form.email)
        .map_err(|p| problems.push(("email", p)))
        .ok();
    let name = parse_name(&form.display_name)
        .map_err(|p| problems.push(("display_name", p)))
        .ok();
    let pno = parse_personnel_no(&form.personnel_no)
        .map_err(|p| problems.push(("personnel_no", p)))
        .ok();
    let unit = match parse_opt_id(&form.org_unit_id) {
        Ok(Some(id)) => Some(OrgUnitId(id)),
        Ok(None) => {
            problems.push(("org_unit_id", Problem::Required));
            None
        }
        Err(p) => {
            problems.push(("org_unit_id", p));
            None
        }
    };
    let locale = if form.locale.trim().is_empty() {
        Some(Locale::De)
    } else {
        Locale::parse(&form.locale).or_else(|| {
            problems.push(("locale", Problem::UnknownLocale));
            None
        })
    };
    let id = parse_opt_id(&form.id)
        .map_err(|p| problems.push(("id", p)))
        .ok();
    let password = if form.password.is_empty() {
        None
    } else {
        if let Err(p) = check_new_password(&form.password, &[&form.email, &form.display_name]) {
            problems.push(("password", p));
        }
        Some(form.password.clone())
    };
    match (email, name, pno, unit, locale, id) {
        (
            Some(email),
            Some(display_name),
            Some(personnel_no),
            Some(org_unit_id),
            Some(locale),
            Some(id),
        ) if problems.is_empty() => Ok(ValidUser {
            id: id.map(UserId),
            email,
            display_name,
            personnel_no,
            org_unit_id,
            locale,
            password,
        }),
        _ => Err(problems),
    }
}

/// Where a unit may sit: the city is the only root; nothing moves under its own subtree.
/// `own_path` is the unit's current path when it already exists.
pub fn check_placement(
    kind: UnitKind,
    parent_path: Option<&UnitPath>,
    own_path: Option<&UnitPath>,
) -> Result<(), Problem> {
    match (kind, parent_path) {
        (UnitKind::City, Some(_)) => Err(Problem::CityMustBeRoot),
        (UnitKind::City, None) => Ok(()),
        (_, None) => Err(Problem::RootMustBeCity),
        (_, Some(parent)) => match own_path {
            Some(own) if own.contains(parent) => Err(Problem::CycleInTree),
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            parse_email("  Anna.Schmidt@Musterstadt.DE "),
            Ok("anna.schmidt@musterstadt.de".into())
        );
        assert_eq!(parse_email(""), Err(Problem::Required));
        assert_eq!(parse_email("anna"), Err(Problem::InvalidEmail));
        assert_eq!(parse_email("anna@localhost"), Err(Problem::InvalidEmail));
        assert_eq!(parse_email("a b@x.de"), Err(Problem::InvalidEmail));
        assert_eq!(
            parse_email(&format!("{}@x.de", "a".repeat(260))),
            Err(Problem::TooLong(EMAIL_MAX))
        );
    }

    #[test]
    fn codes_and_personnel_numbers_allow_only_safe_characters() {
        assert_eq!(parse_code("FB-11"), Ok("FB-11".into()));
        assert_eq!(parse_code("FB 11"), Err(Problem::InvalidCode));
        assert_eq!(parse_code(&"A".repeat(21)), Err(Problem::TooLong(20)));
        assert_eq!(parse_personnel_no(""), Ok(None));
        assert_eq!(parse_personnel_no("P-0042"), Ok(Some("P-0042".into())));
        assert_eq!(parse_personnel_no("P 42"), Err(Problem::InvalidPersonnelNo));
    }

    #[test]
    fn unit_form_reports_every_bad_field_at_once() {
        let form = UnitForm {
            code: "".into(),
            name: " ".into(),
            kind: "castle".into(),
            parent_id: "x".into(),
            id: "".into(),
        };
        let problems = parse_unit(&form).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["code", "name", "kind", "parent_id"]);
    }

    #[test]
    fn user_form_needs_unit_and_a_long_enough_password() {
        let form = UserForm {
            email: "x@y.de".into(),
            display_name: "X".into(),
            password: "short".into(),
            ..Default::default()
        };
        let problems = parse_user(&form).unwrap_err();
        assert!(problems.contains(&("org_unit_id", Problem::Required)));
        assert!(problems.contains(&("password", Problem::TooShort(12))));
    }

    #[test]
    fn a_unit_cannot_move_under_its_own_descendant() {
        let p = |s: &str| UnitPath::parse(s).unwrap();
        let check_placement = |kind, parent: Option<&str>, own: Option<&str>| {
            check_placement(kind, parent.map(p).as_ref(), own.map(p).as_ref())
        };
        assert_eq!(
            check_placement(UnitKind::Amt, Some("/1/4/17/"), Some("/1/4/")),
            Err(Problem::CycleInTree)
        );
        assert_eq!(
            check_placement(UnitKind::Amt, Some("/1/4/"), Some("/1/4/")),
            Err(Problem::CycleInTree)
        );
        assert!(check_placement(UnitKind::Amt, Some("/1/5/"), Some("/1/4/")).is_ok());
        assert!(check_placement(UnitKind::Amt, Some("/1/40/"), Some("/1/4/")).is_ok());
        assert_eq!(
            check_placement(UnitKind::City, Some("/1/"), None),
            Err(Problem::CityMustBeRoot)
        );
        assert_eq!(
            check_placement(UnitKind::Amt, None, None),
            Err(Problem::RootMustBeCity)
        );
    }
}
