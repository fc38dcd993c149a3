//! The simulated clock as Kubernetes writes it, and the wall clock.

/// RFC 3339 with seconds, as Kubernetes writes `metav1.Time`.
pub fn ts(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => "1970-01-01T00:00:00Z".into(),
    }
}

/// RFC 3339 with nanoseconds, as the kubelet prefixes log lines.
pub fn ts_nanos(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => format!(
            "{}.{:09}Z",
            t.strftime("%Y-%m-%dT%H:%M:%S"),
            (ms.rem_euclid(1000)) * 1_000_000
        ),
        Err(_) => "1970-01-01T00:00:00.000000000Z".into(),
    }
}

pub fn wall_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
