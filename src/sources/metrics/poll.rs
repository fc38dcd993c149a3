//! When to poll again, and the clock in the unit the folds count in.

use std::time::Duration;

use jiff::Timestamp;

/// After `failures` failures in a row, wait this long before the next attempt: the interval,
/// doubling per failure, at most 8 intervals.
pub fn backoff(interval: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(3);
    interval.saturating_mul(factor)
}

pub(crate) fn now_ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_eight_intervals() {
        let i = Duration::from_secs(5);
        assert_eq!(backoff(i, 0), i);
        assert_eq!(backoff(i, 1), i);
        assert_eq!(backoff(i, 2), i * 2);
        assert_eq!(backoff(i, 3), i * 4);
        assert_eq!(backoff(i, 4), i * 8);
        assert_eq!(backoff(i, 40), i * 8);
    }
}
