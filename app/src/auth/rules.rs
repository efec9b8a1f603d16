//! Pure password and role-assignment rules.
use super::Role;
use crate::i18n::Problem;

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 256;

/// Checks a new password against the policy (length only: NIST 800-63B advises against
/// composition rules; breached-password lists are a deployment option, not built in).
pub fn check_new_password(password: &str) -> Result<(), Problem> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        Err(Problem::TooShort(PASSWORD_MIN))
    } else if len > PASSWORD_MAX {
        Err(Problem::TooLong(PASSWORD_MAX))
    } else {
        Ok(())
    }
}

/// Head and publisher need a scope unit; the other roles must not have one.
pub fn check_role_scope(role: Role, has_scope: bool) -> Result<(), Problem> {
    match (role.needs_scope(), has_scope) {
        (true, false) => Err(Problem::ScopeRequired),
        (false, true) => Err(Problem::ScopeNotAllowed),
        _ => Ok(()),
    }
}

/// Only a local path may be the target after sign-in, never another site.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_shorter_than_ten_characters_are_refused() {
        assert_eq!(check_new_password("kurz"), Err(Problem::TooShort(10)));
        assert!(check_new_password("lang genug!").is_ok());
        assert_eq!(
            check_new_password(&"x".repeat(300)),
            Err(Problem::TooLong(256))
        );
    }

    #[test]
    fn head_and_publisher_need_a_scope_and_others_must_not_have_one() {
        assert!(check_role_scope(Role::Head, true).is_ok());
        assert_eq!(
            check_role_scope(Role::Publisher, false),
            Err(Problem::ScopeRequired)
        );
        assert_eq!(
            check_role_scope(Role::Admin, true),
            Err(Problem::ScopeNotAllowed)
        );
        assert!(check_role_scope(Role::Employee, false).is_ok());
    }

    #[test]
    fn next_after_sign_in_stays_on_this_site() {
        assert_eq!(safe_next(Some("/admin/users")), "/admin/users");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
