//! Sign-in throttling: pure rules. Failed sign-ins are counted per account and per client
//! address in a sliding window; past a few free failures each further failure locks the key
//! for an exponentially growing time, capped so that a flood against one account locks its
//! real owner out for minutes at most. Attempts during a lock are refused before any
//! password work and do not extend the lock. The counters live in the database
//! (`login_throttle`), so every node of a cluster sees the same ones.

/// How one kind of key is throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures within the window that cost nothing.
    pub free_failures: i64,
    pub window_ms: i64,
    /// Lock after the first failure beyond the free ones; doubles with each further one.
    pub base_lock_ms: i64,
    pub max_lock_ms: i64,
}

const MINUTE: i64 = 60_000;

/// Per account (e-mail address, known or not, so that probing reveals nothing).
pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    free_failures: 5,
    window_ms: 15 * MINUTE,
    base_lock_ms: 30_000,
    max_lock_ms: 5 * MINUTE,
};

/// Per client address. Higher, because many people may share one address (a proxy that is
/// not configured as trusted); it stops one machine from trying many accounts.
pub const CLIENT: ThrottlePolicy = ThrottlePolicy {
    free_failures: 30,
    window_ms: 15 * MINUTE,
    base_lock_ms: 30_000,
    max_lock_ms: 15 * MINUTE,
};

/// Stored counter of one key (times in milliseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThrottleState {
    pub failures: i64,
    pub window_start: i64,
    pub locked_until: i64,
}

impl ThrottlePolicy {
    /// The state after one more failure at `now`.
    pub fn after_failure(&self, state: Option<ThrottleState>, now: i64) -> ThrottleState {
        let (failures, window_start) = match state {
            Some(s) if now - s.window_start < self.window_ms => (s.failures + 1, s.window_start),
            _ => (1, now),
        };
        let over = failures - self.free_failures;
        let locked_until = if over > 0 {
            let factor = 1i64 << (over - 1).min(20);
            now + self
                .base_lock_ms
                .saturating_mul(factor)
                .min(self.max_lock_ms)
        } else {
            0
        };
        ThrottleState {
            failures,
            window_start,
            locked_until,
        }
    }
}

/// Milliseconds until `state` lets the next attempt through, if it is locked at `now`.
pub fn locked_for(state: &ThrottleState, now: i64) -> Option<i64> {
    (state.locked_until > now).then(|| state.locked_until - now)
}

/// Whole seconds for a `Retry-After` header and the message (at least 1).
pub fn retry_seconds(ms: i64) -> i64 {
    ((ms + 999) / 1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failures_are_free_then_the_lock_doubles_up_to_its_cap() {
        let p = ACCOUNT;
        let mut state = None;
        let mut locks = vec![];
        for i in 0..12 {
            let s = p.after_failure(state, 1_000 + i);
            locks.push(locked_for(&s, 1_000 + i).unwrap_or(0));
            state = Some(s);
        }
        assert_eq!(&locks[..5], &[0, 0, 0, 0, 0]);
        assert_eq!(locks[5], 30_000);
        assert_eq!(locks[6], 60_000);
        assert_eq!(locks[7], 120_000);
        assert_eq!(locks[8], 240_000);
        // Capped: a flood locks the real owner out for five minutes at most.
        assert!(locks[9..].iter().all(|l| *l == 5 * MINUTE));
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let p = ACCOUNT;
        let s = ThrottleState {
            failures: 9,
            window_start: 0,
            locked_until: 0,
        };
        let next = p.after_failure(Some(s), p.window_ms + 1);
        assert_eq!(next.failures, 1);
        assert_eq!(locked_for(&next, p.window_ms + 1), None);
        assert_eq!(retry_seconds(1), 1);
        assert_eq!(retry_seconds(30_000), 30);
    }
}
