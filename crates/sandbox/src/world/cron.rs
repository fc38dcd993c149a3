//! Standard five-field cron schedules (minute, hour, day of month, month, day of week) as
//! CronJobs use them, evaluated in UTC: `*`, numbers, names (`JAN`, `MON`), lists, ranges and
//! steps, `?` for `*`, and the macros `@yearly`/`@annually`, `@monthly`, `@weekly`,
//! `@daily`/`@midnight`, `@hourly`. As in cron, when both day fields are restricted a day
//! matching either runs.

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    dom_star: bool,
    dow_star: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn value(s: &str, names: &[&str], offset: u32) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + offset);
    }
    s.parse::<u32>()
        .map_err(|_| format!("failed to parse int from {s}: invalid syntax"))
}

/// One field as a bit set over `min..=max`.
fn field(s: &str, min: u32, max: u32, names: &[&str], offset: u32) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut star = false;
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => {
                let st: u32 = st
                    .parse()
                    .map_err(|_| format!("failed to parse int from {st}: invalid syntax"))?;
                if st == 0 {
                    return Err(format!("step of range should be a positive number: {part}"));
                }
                (r, Some(st))
            }
            None => (part, None),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            if step.is_none() {
                star = true;
            }
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, names, offset)?, value(b, names, offset)?)
        } else {
            let v = value(range, names, offset)?;
            (v, if step.is_some() { max } else { v })
        };
        if lo < min || hi > max || lo > hi {
            return Err(format!("end of range ({hi}) above maximum ({max}): {part}"));
        }
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step.unwrap_or(1);
        }
    }
    Ok((bits, star))
}

impl Schedule {
    pub fn parse(spec: &str) -> Result<Schedule, String> {
        let spec = spec.trim();
        let expanded = match spec.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
            "@monthly" => "0 0 1 * *".to_string(),
            "@weekly" => "0 0 * * 0".to_string(),
            "@daily" | "@midnight" => "0 0 * * *".to_string(),
            "@hourly" => "0 * * * *".to_string(),
            s if s.starts_with('@') => return Err(format!("unrecognized descriptor: {spec}")),
            _ => spec.to_string(),
        };
        let f: Vec<&str> = expanded.split_whitespace().collect();
        if f.len() != 5 {
            return Err(format!(
                "expected exactly 5 fields, found {}: [{}]",
                f.len(),
                f.join(" ")
            ));
        }
        let (minute, _) = field(f[0], 0, 59, &[], 0)?;
        let (hour, _) = field(f[1], 0, 23, &[], 0)?;
        let (dom, dom_star) = field(f[2], 1, 31, &[], 0)?;
        let (month, _) = field(f[3], 1, 12, &MONTHS, 1)?;
        let (mut dow, dow_star) = field(f[4], 0, 7, &DAYS, 0)?;
        if dow & (1 << 7) != 0 {
            dow |= 1;
        }
        Ok(Schedule {
            minute,
            hour,
            dom,
            month,
            dow,
            dom_star,
            dow_star,
        })
    }

    /// Whether the schedule fires at the minute that starts at `ms` (UTC).
    pub fn matches(&self, ms: i64) -> bool {
        let Ok(t) = jiff::Timestamp::from_millisecond(ms) else {
            return false;
        };
        let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let bit = |set: u64, v: i64| set & (1u64 << v) != 0;
        let dom_ok = bit(self.dom, dt.day() as i64);
        let dow_ok = bit(self.dow, dt.weekday().to_sunday_zero_offset() as i64);
        let day_ok = if self.dom_star || self.dow_star {
            dom_ok && dow_ok
        } else {
            dom_ok || dow_ok
        };
        bit(self.minute, dt.minute() as i64)
            && bit(self.hour, dt.hour() as i64)
            && bit(self.month, dt.month() as i64)
            && day_ok
    }

    /// The latest time the schedule fires in `(after, until]`, looking at most `max_minutes`
    /// minutes back from `until`.
    pub fn latest_in(&self, after_ms: i64, until_ms: i64, max_minutes: i64) -> Option<i64> {
        let mut t = until_ms.div_euclid(60_000) * 60_000;
        let stop = after_ms.max(t - max_minutes * 60_000);
        while t > stop {
            if self.matches(t) {
                return Some(t);
            }
            t -= 60_000;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn fields_lists_ranges_steps_and_macros() {
        let s = Schedule::parse("*/15 2-4 * * MON-FRI").unwrap();
        assert!(s.matches(at("2026-03-02T02:30:00Z"))); // a Monday
        assert!(!s.matches(at("2026-03-02T02:31:00Z")));
        assert!(!s.matches(at("2026-03-02T05:00:00Z")));
        assert!(!s.matches(at("2026-03-01T02:30:00Z"))); // a Sunday
        let d = Schedule::parse("@daily").unwrap();
        assert!(d.matches(at("2026-03-01T00:00:00Z")));
        assert!(!d.matches(at("2026-03-01T01:00:00Z")));
        let h = Schedule::parse("@hourly").unwrap();
        assert!(h.matches(at("2026-03-01T07:00:00Z")));
        let l = Schedule::parse("5,10 0 1,15 * 7").unwrap();
        // both day fields restricted: the 1st, the 15th or a Sunday
        assert!(l.matches(at("2026-03-01T00:05:00Z")));
        assert!(l.matches(at("2026-03-08T00:10:00Z")));
        assert!(!l.matches(at("2026-03-09T00:10:00Z")));
        for bad in [
            "* * *",
            "61 * * * *",
            "*/0 * * * *",
            "@sometimes",
            "a b c d e",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            d.latest_in(
                at("2026-03-01T00:00:00Z"),
                at("2026-03-03T12:00:00Z"),
                10_000
            ),
            Some(at("2026-03-03T00:00:00Z"))
        );
    }
}
