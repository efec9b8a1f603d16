//! Pure rules of the TOTP second factor (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, as
//! every authenticator app supports) and its recovery codes. No I/O and no clock: the caller
//! passes the time, so the rules are tested with fixed instants.
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

/// Length of a time step in seconds.
pub const STEP_SECONDS: u64 = 30;
/// Codes of one step before and after the current one are accepted, for clocks that drift
/// and for people who type slowly.
pub const SKEW_STEPS: u64 = 1;
/// Number of recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// How long the second step of a sign-in may take after the password was accepted.
pub const PENDING_SECONDS: i64 = 300;
/// Name shown by authenticator apps above the account.
pub const ISSUER: &str = "Rundschreiben-Portal";

/// Letters and digits that cannot be mistaken for one another when read off paper.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const RECOVERY_LEN: usize = 10;

/// A fresh 160-bit secret (the length RFC 4226 recommends), base32-encoded.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::random();
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => unreachable!("to_encoded returns the encoded form"),
    }
}

fn totp(secret_b32: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_owned()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 0, STEP_SECONDS, bytes).ok()
}

/// The time step of a Unix time.
pub fn step_of(unix_seconds: i64) -> u64 {
    unix_seconds.max(0) as u64 / STEP_SECONDS
}

/// The code of `step` (what the person's app shows during that step).
pub fn code_at(secret_b32: &str, step: u64) -> Option<String> {
    Some(totp(secret_b32)?.generate(step * STEP_SECONDS))
}

/// The step whose code `code` is, if it is one of the accepted steps around `now_step` and
/// later than `last_step` (a code is good once). Comparison in constant time.
pub fn matching_step(secret_b32: &str, code: &str, now_step: u64, last_step: u64) -> Option<u64> {
    let totp = totp(secret_b32)?;
    let first = now_step.saturating_sub(SKEW_STEPS).max(last_step + 1);
    let mut found = None;
    for step in first..=now_step + SKEW_STEPS {
        let expected = totp.generate(step * STEP_SECONDS);
        // Every candidate is compared, so the time does not tell which step matched.
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `otpauth://` URI that authenticator apps read from the QR code.
pub fn otpauth_uri(secret_b32: &str, account: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret_b32}&issuer={issuer}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        issuer = enc(ISSUER),
        account = enc(account),
    )
}

/// The QR code of `uri` as an SVG element (no XML prolog, so it can sit inside HTML).
pub fn qr_svg(uri: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Some(match image.find("<svg") {
        Some(i) => image[i..].to_owned(),
        None => image,
    })
}

/// The secret in groups of four, as people type it into an app by hand.
pub fn grouped(secret_b32: &str) -> String {
    secret_b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fresh recovery codes, formatted `abcde-fghjk` for reading.
pub fn new_recovery_codes() -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..RECOVERY_LEN)
                .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect()
}

/// What a person typed in the second step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactorInput {
    /// Six digits from the app.
    Code(String),
    /// A recovery code, normalised (lower case, no separators).
    Recovery(String),
}

/// Reads the second step's input: six digits (spaces allowed, as apps show `123 456`) or a
/// recovery code (case, spaces and dashes do not matter). Anything else is `None`.
pub fn parse_input(input: &str) -> Option<SecondFactorInput> {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
        return Some(SecondFactorInput::Code(compact));
    }
    let lower = compact.to_ascii_lowercase();
    (lower.len() == RECOVERY_LEN && lower.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then_some(SecondFactorInput::Recovery(lower))
}

/// The stored form of a recovery code (input normalised by [`parse_input`] or as issued).
pub fn recovery_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    format!("{:x}", Sha256::digest(normalised.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 secret "12345678901234567890".
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn rfc_6238_test_vectors() {
        // 8-digit values from the RFC, last six digits.
        assert_eq!(code_at(RFC_SECRET, step_of(59)).unwrap(), "287082");
        assert_eq!(
            code_at(RFC_SECRET, step_of(1_111_111_109)).unwrap(),
            "081804"
        );
        assert_eq!(
            code_at(RFC_SECRET, step_of(1_234_567_890)).unwrap(),
            "005924"
        );
        assert_eq!(
            code_at(RFC_SECRET, step_of(2_000_000_000)).unwrap(),
            "279037"
        );
    }

    #[test]
    fn accepts_one_step_either_side_and_names_it() {
        let now = 1_000_000;
        for step in [now - 1, now, now + 1] {
            let code = code_at(RFC_SECRET, step).unwrap();
            assert_eq!(matching_step(RFC_SECRET, &code, now, 0), Some(step));
        }
        for step in [now - 2, now + 2] {
            let code = code_at(RFC_SECRET, step).unwrap();
            assert_eq!(matching_step(RFC_SECRET, &code, now, 0), None);
        }
    }

    #[test]
    fn a_code_is_good_once() {
        let now = 1_000_000;
        let code = code_at(RFC_SECRET, now).unwrap();
        assert_eq!(matching_step(RFC_SECRET, &code, now, now - 1), Some(now));
        assert_eq!(matching_step(RFC_SECRET, &code, now, now), None);
        // An older code after a newer one was used is refused too.
        let old = code_at(RFC_SECRET, now - 1).unwrap();
        assert_eq!(matching_step(RFC_SECRET, &old, now, now), None);
    }

    #[test]
    fn new_secrets_are_160_bits_and_work() {
        let s = new_secret();
        assert_eq!(s.len(), 32);
        assert_ne!(s, new_secret());
        let code = code_at(&s, 42).unwrap();
        assert_eq!(matching_step(&s, &code, 42, 0), Some(42));
    }

    #[test]
    fn input_is_a_code_or_a_recovery_code() {
        assert_eq!(
            parse_input(" 123 456 "),
            Some(SecondFactorInput::Code("123456".into()))
        );
        assert_eq!(
            parse_input("ABCDE-FGHJK"),
            Some(SecondFactorInput::Recovery("abcdefghjk".into()))
        );
        assert_eq!(parse_input("12345"), None);
        assert_eq!(parse_input("abcde-fghj1"), None, "1 is not in the alphabet");
        assert_eq!(parse_input(""), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_parse() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for c in &codes {
            let Some(SecondFactorInput::Recovery(n)) = parse_input(c) else {
                panic!("{c} does not parse");
            };
            assert_eq!(recovery_hash(&n), recovery_hash(c));
            assert_eq!(recovery_hash(&c.to_uppercase()), recovery_hash(c));
        }
    }

    #[test]
    fn the_uri_and_qr_code_carry_the_secret() {
        let uri = otpauth_uri(RFC_SECRET, "max.mustermann@musterstadt.de");
        assert!(uri.starts_with(
            "otpauth://totp/Rundschreiben-Portal:max.mustermann@musterstadt.de?secret=GEZD"
        ));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
