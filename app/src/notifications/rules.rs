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

/// Whether a pass of the reminder schedule over a version on `today` can be left out
/// because it could enqueue nothing: every person's deadline lies in `[first, last]`, and
/// either the last pass at the same epoch was today (reminders and escalations are due by
/// the day), or no reminder is due yet (`today` before the first "days before" reminder of the
/// earliest deadline), or the last pass at the same epoch (`last_run`: nobody joined,
/// moved or left since) came after every reminder window and every escalation threshold of
/// the latest deadline had passed (reminders are due from their day on, escalations once
/// overdue by more than `escalate_after_days`; a pass then enqueued all of them already).
pub fn nothing_due(
    plan: &ReminderPlan,
    escalate_after_days: i64,
    (first, last): (NaiveDate, NaiveDate),
    today: NaiveDate,
    last_run: Option<NaiveDate>,
) -> bool {
    if last_run == Some(today) {
        return true;
    }
    let earliest = plan.days_before.iter().copied().max().unwrap_or(0).max(0);
    if today < first - chrono::Duration::days(earliest) {
        return true;
    }
    let windows = plan.overdue_every.max(1) * plan.overdue_max.max(0);
    let settled = last + chrono::Duration::days(windows.max(escalate_after_days + 1));
    last_run.is_some_and(|run| run >= settled)
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

    #[test]
    fn a_version_is_left_out_only_when_no_reminder_or_escalation_can_be_new() {
        let plan = ReminderPlan::default();
        let (first, last) = (d("2026-12-10"), d("2026-12-20"));
        // More than seven days before the earliest deadline: nothing is due, ever run or not.
        assert!(nothing_due(&plan, 5, (first, last), d("2026-12-02"), None));
        assert!(!nothing_due(&plan, 5, (first, last), d("2026-12-03"), None));
        // In the windows: left out only when it went through the same day already.
        assert!(nothing_due(
            &plan,
            5,
            (first, last),
            d("2026-12-15"),
            Some(d("2026-12-15"))
        ));
        assert!(!nothing_due(
            &plan,
            5,
            (first, last),
            d("2026-12-15"),
            Some(d("2026-12-14"))
        ));
        // Long after the latest deadline, but never gone through at this epoch: one pass.
        assert!(!nothing_due(&plan, 5, (first, last), d("2027-03-01"), None));
        // Gone through after the last window (20 Dec + 9 days) and the escalation threshold
        // (20 Dec + 6 days): left out from then on.
        assert!(nothing_due(
            &plan,
            5,
            (first, last),
            d("2027-03-01"),
            Some(d("2026-12-29"))
        ));
        assert!(!nothing_due(
            &plan,
            5,
            (first, last),
            d("2027-03-01"),
            Some(d("2026-12-28"))
        ));
        // A late escalation threshold keeps the version in longer.
        assert!(!nothing_due(
            &plan,
            30,
            (first, last),
            d("2027-03-01"),
            Some(d("2027-01-15"))
        ));
        assert!(nothing_due(
            &plan,
            30,
            (first, last),
            d("2027-03-01"),
            Some(d("2027-01-20"))
        ));
        // Every reminder the pure rule would send in the window is before `settled`.
        let mut day = first - chrono::Duration::days(7);
        while day <= last + chrono::Duration::days(9) {
            assert!(
                !nothing_due(
                    &plan,
                    5,
                    (first, last),
                    day,
                    Some(day - chrono::Duration::days(1))
                ),
                "{day}"
            );
            day += chrono::Duration::days(1);
        }
    }
}
