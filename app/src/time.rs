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

/// The instant a calendar day begins in Europe/Berlin (effective dates start then).
#[cfg(feature = "ssr")]
pub fn start_of_day_berlin(day: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .earliest()
        // Midnight never falls into a DST gap in Berlin (changes happen at 02:00/03:00).
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| day.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}
