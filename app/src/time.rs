//! Time for people: storage is UTC, pages show Europe/Berlin.
#[cfg(feature = "ssr")]
pub fn format_berlin(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Berlin)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

/// Today's calendar day in Europe/Berlin (deadlines and effective dates are such days).
#[cfg(feature = "ssr")]
pub fn today_berlin(now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    now.with_timezone(&chrono_tz::Europe::Berlin).date_naive()
}

/// `2026-12-15` → `15.12.2026` (German) or `2026-12-15` (English, ISO).
pub fn format_day(iso: &str, locale: crate::i18n::Locale) -> String {
    match (locale, iso.split('-').collect::<Vec<_>>().as_slice()) {
        (crate::i18n::Locale::De, [y, m, d]) => format!("{d}.{m}.{y}"),
        _ => iso.to_owned(),
    }
}
