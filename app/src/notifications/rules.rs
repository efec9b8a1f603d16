//! Pure rules: back-off between delivery attempts and when a reminder is due.
use chrono::{Duration, NaiveDate};

/// Attempts after which a mail is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// Wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, … capped at one hour.
pub fn backoff(attempts: i64) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 7));
    Duration::seconds(secs.min(3600))
}

/// Reminder schedule (setting `REMINDER_DAYS_BEFORE`, `REMINDER_OVERDUE_EVERY`,
/// `REMINDER_OVERDUE_MAX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPlan {
    pub days_before: Vec<i64>,
    pub overdue_every: i64,
    pub overdue_max: i64,
}

impl Default for ReminderPlan {
    fn default() -> Self {
        Self {
            days_before: vec![7, 1],
            overdue_every: 3,
            overdue_max: 3,
        }
    }
}

/// The reminder due on `today` for someone with `deadline`, as a stable key part
/// (`before7`, `before1`, `overdue1`, …), or `None`. A key is due from its day on, so a job that
/// missed a day still sends it; the outbox's dedupe key makes it go out once.
pub fn reminder_due(plan: &ReminderPlan, deadline: NaiveDate, today: NaiveDate) -> Option<String> {
    let days_left = (deadline - today).num_days();
    if days_left >= 0 {
        // The nearest threshold already reached (e.g. 3 days left → "before7").
        return plan
            .days_before
            .iter()
            .filter(|d| days_left <= **d)
            .min()
            .map(|d| format!("before{d}"));
    }
    let overdue = -days_left;
    let n = (overdue - 1) / plan.overdue_every.max(1) + 1;
    (n <= plan.overdue_max).then(|| format!("overdue{n}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn reminders_come_seven_and_one_day_before_then_every_three_days_at_most_three_times() {
        let plan = ReminderPlan::default();
        let deadline = d("2026-12-10");
        assert_eq!(reminder_due(&plan, deadline, d("2026-12-01")), None);
        assert_eq!(
            reminder_due(&plan, deadline, d("2026-12-03")).as_deref(),
            Some("before7")
        );
        assert_eq!(
            reminder_due(&plan, deadline, d("2026-12-06")).as_deref(),
            Some("before7")
        );
        assert_eq!(
            reminder_due(&plan, deadline, d("2026-12-09")).as_deref(),
            Some("before1")
        );
        assert_eq!(
            reminder_due(&plan, deadline, d("2026-12-10")).as_deref(),
            Some("before1")
        );
        assert_eq!(
            reminder_due(&plan, deadline, d("2026-12-11")).as_deref(),
            Some("overdue1")
        );
        assert_eq!(
            reminder_due(&plan, deadline, d("2026-12-14")).as_deref(),
            Some("overdue2")
        );
        assert_eq!(
            reminder_due(&plan, deadline, d("2026-12-17")).as_deref(),
            Some("overdue3")
        );
        assert_eq!(reminder_due(&plan, deadline, d("2026-12-20")), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(10), Duration::seconds(3600));
    }
}
