//! Pure auth rules: passwords, role assignment, safe redirect targets after sign-in and how
//! a session's browser is described.
use super::Role;
use crate::i18n::Problem;

pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 256;

/// Checks a new password against the policy (OWASP ASVS 2.1, NIST 800-63B): at least 12
/// and at most 256 characters, no composition rules, and on the server not too guessable —
/// zxcvbn's estimate, whose dictionaries include the most common breached passwords, must
/// reach score 3 of 4 (about 10^8 guesses). `user_inputs` (name, e-mail) count as known
/// words, so "Max.Mustermann2026" is refused for Max.
pub fn check_new_password(password: &str, user_inputs: &[&str]) -> Result<(), Problem> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(Problem::TooShort(PASSWORD_MIN));
    }
    if len > PASSWORD_MAX {
        return Err(Problem::TooLong(PASSWORD_MAX));
    }
    #[cfg(feature = "ssr")]
    if zxcvbn::zxcvbn(password, user_inputs).score() < zxcvbn::Score::Three {
        return Err(Problem::PasswordTooGuessable);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = user_inputs;
    Ok(())
}

/// Head and publisher need a scope unit; the other roles must not have one.
pub fn check_role_scope(role: Role, has_scope: bool) -> Result<(), Problem> {
    match (role.needs_scope(), has_scope) {
        (true, false) => Err(Problem::ScopeRequired),
        (false, true) => Err(Problem::ScopeNotAllowed),
        _ => Ok(()),
    }
}

/// Only a path on this origin may be the target of a redirect, never another site.
///
/// Browsers strip tabs and newlines from URLs, trim leading control characters and spaces,
/// and read `\` like `/`, so `/\t/evil.example` would become `//evil.example` — another
/// host. Rather than imitate every normalisation, anything that is not a plain path is
/// refused: it must start with a single `/`, and neither it nor its percent-decoded form may
/// hold a control character, white space or a backslash, or start with `//`.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if is_local_path(n) && is_local_path(&percent_decode(n)) => n,
        _ => "/",
    }
}

fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

/// One round of `%XX` decoding (invalid escapes are kept as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Browser and operating system named by a `User-Agent`, for the list of sessions (only the
/// common ones; anything else is `None`).
pub fn describe_user_agent(ua: &str) -> (Option<&'static str>, Option<&'static str>) {
    let browser = if ua.contains("Edg/") {
        Some("Edge")
    } else if ua.contains("Firefox/") {
        Some("Firefox")
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        Some("Chrome")
    } else if ua.contains("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        Some("iOS")
    } else if ua.contains("Mac OS X") {
        Some("macOS")
    } else if ua.contains("Linux") {
        Some("Linux")
    } else {
        None
    };
    (browser, system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_twelve_characters_and_must_not_be_guessable() {
        assert_eq!(check_new_password("kurz", &[]), Err(Problem::TooShort(12)));
        assert!(check_new_password("Sonnenblumen-Wiese-1987!", &[]).is_ok());
        assert_eq!(
            check_new_password(&"x".repeat(300), &[]),
            Err(Problem::TooLong(256))
        );
        #[cfg(feature = "ssr")]
        {
            for weak in [
                "password1234",
                "123456789012",
                "qwertzuiopü1",
                "aaaaaaaaaaaa",
            ] {
                assert_eq!(
                    check_new_password(weak, &[]),
                    Err(Problem::PasswordTooGuessable),
                    "{weak}"
                );
            }
            assert_eq!(
                check_new_password(
                    "Mustermann2026",
                    &[
                        "max.mustermann@musterstadt.de",
                        "Max Mustermann",
                        "mustermann"
                    ]
                ),
                Err(Problem::PasswordTooGuessable)
            );
        }
    }

    #[test]
    fn sessions_are_named_by_browser_and_system() {
        assert_eq!(
            describe_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0"),
            (Some("Edge"), Some("Windows"))
        );
        assert_eq!(
            describe_user_agent(
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
            ),
            (Some("Firefox"), Some("Linux"))
        );
        assert_eq!(
            describe_user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile/15E148 Safari/604.1"),
            (Some("Safari"), Some("iOS"))
        );
        assert_eq!(describe_user_agent("curl/8.5"), (None, None));
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
        assert_eq!(
            safe_next(Some("/circulars?tab=open#x")),
            "/circulars?tab=open#x"
        );
        // What browsers strip or rewrite must not open a way to another host.
        for evil in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            " //evil.example",
            "\u{0}//evil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "%2F%2Fevil.example",
            "/\u{a0}/evil.example",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil:?}");
        }
    }
}
