//! Young series in API mode. Prometheus's `rate(x[5m])` over a series that has existed for
//! only a minute divides that minute's increase by the whole five (its extrapolation stops
//! at the series' start): 74/s of real traffic reads as ~15/s. A series' own age is known
//! from the range history already fetched: it is young when its first value comes later
//! than the start of what was asked for. While it is younger than the rate window, the
//! rate Prometheus reads grows in a straight line from the series' start (increase over
//! age, divided by the window); the start is where that line, fitted through the young
//! points seen so far, meets zero (a single point tells no age and is left as read). The
//! request rate is scaled by window / age. Ratios are quotients of two such rates and need
//! nothing.

use std::collections::HashMap;

use super::model::ServicePoints;

/// When series began, per (service, revision) (`""`: the service's own numbers): `None`
/// once a series is known to be older than what the first fetch reached back to.
#[derive(Debug, Clone, Default)]
pub struct Births {
    born: HashMap<(String, String), Option<Young>>,
}

/// A young series: its first value's time, and the sums of a least-squares line through
/// its (time since the first value in seconds, rate) points while it was young.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Young {
    first_ms: i64,
    n: f64,
    st: f64,
    sr: f64,
    stt: f64,
    str: f64,
}

impl Young {
    fn new(first_ms: i64) -> Young {
        Young {
            first_ms,
            n: 0.0,
            st: 0.0,
            sr: 0.0,
            stt: 0.0,
            str: 0.0,
        }
    }

    fn add(&mut self, at_ms: i64, rate: f64, window_ms: i64) {
        let t = (at_ms - self.first_ms) as f64 / 1000.0;
        if !rate.is_finite() || at_ms - self.first_ms >= window_ms {
            return;
        }
        self.n += 1.0;
        self.st += t;
        self.sr += rate;
        self.stt += t * t;
        self.str += t * rate;
    }

    /// Where the fitted line meets zero: the series' start as Prometheus's extrapolation
    /// sees it (at most a window before the first value, at least one step before it).
    /// `None` until two points make a line: one point cannot tell an age.
    fn start_ms(&self, window_ms: i64, step_ms: i64) -> Option<i64> {
        if self.n < 2.0 {
            return None;
        }
        let latest = self.first_ms - step_ms.max(1);
        let denom = self.n * self.stt - self.st * self.st;
        if denom <= 0.0 {
            return None;
        }
        let slope = (self.n * self.str - self.st * self.sr) / denom;
        let intercept = (self.sr - slope * self.st) / self.n;
        if slope <= 0.0 || !slope.is_finite() || !intercept.is_finite() {
            return None;
        }
        let zero_ms = (-intercept / slope * 1000.0).round() as i64;
        Some((self.first_ms.saturating_add(zero_ms)).clamp(self.first_ms - window_ms, latest))
    }
}

/// The birth a first fetch starting at `start_ms` tells from its first value at
/// `first_ms`: that time when the series had no value at the earliest steps.
pub fn birth_of(first_ms: i64, start_ms: i64, step_ms: i64) -> Option<i64> {
    (first_ms > start_ms.saturating_add(step_ms)).then_some(first_ms)
}

/// A request rate Prometheus read over `window_ms` at `age_ms` after the series' start,
/// as if the series had existed for the whole window.
pub fn corrected_rate(rate: f64, age_ms: i64, window_ms: i64) -> f64 {
    let age = age_ms.max(1);
    if age >= window_ms || !rate.is_finite() {
        return rate;
    }
    rate * window_ms as f64 / age as f64
}

impl Births {
    /// Notes each series' birth from the first values seen (`start_ms`: the start of the
    /// range asked for, per service) and scales the request rates of young series.
    pub fn correct(
        &mut self,
        points: &mut [ServicePoints],
        start_ms: &HashMap<String, i64>,
        window_ms: i64,
        step_ms: i64,
    ) {
        for sp in points {
            let start = start_ms.get(&sp.service).copied().unwrap_or(i64::MIN);
            let own: Vec<(i64, f64)> = sp
                .points
                .iter()
                .map(|p| (p.at_ms, p.request_rate))
                .collect();
            if let Some(born) = self.learn(&sp.service, "", &own, start, window_ms, step_ms) {
                for p in sp.points.iter_mut() {
                    p.request_rate = corrected_rate(p.request_rate, p.at_ms - born, window_ms);
                }
            }
            let mut by_revision: HashMap<String, Vec<(i64, f64)>> = HashMap::new();
            for r in &sp.by_revision {
                by_revision
                    .entry(r.revision.clone())
                    .or_default()
                    .push((r.at_ms, r.request_rate));
            }
            let mut born_of: HashMap<String, Option<i64>> = HashMap::new();
            for (revision, rates) in by_revision {
                let born = self.learn(&sp.service, &revision, &rates, start, window_ms, step_ms);
                born_of.insert(revision, born);
            }
            for r in sp.by_revision.iter_mut() {
                if let Some(Some(born)) = born_of.get(&r.revision) {
                    r.request_rate = corrected_rate(r.request_rate, r.at_ms - born, window_ms);
                }
            }
        }
    }

    /// Takes in one series' new (time, rate) points; its start when it is young.
    fn learn(
        &mut self,
        service: &str,
        revision: &str,
        rates: &[(i64, f64)],
        start: i64,
        window_ms: i64,
        step_ms: i64,
    ) -> Option<i64> {
        let key = (service.to_owned(), revision.to_owned());
        let young = match self.born.get_mut(&key) {
            Some(known) => known.as_mut()?,
            None => {
                let first = rates.iter().find(|(_, r)| r.is_finite())?.0;
                let born = birth_of(first, start, step_ms).map(Young::new);
                self.born.entry(key).or_insert(born).as_mut()?
            }
        };
        for (at_ms, rate) in rates {
            young.add(*at_ms, *rate, window_ms);
        }
        young.start_ms(window_ms, step_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::metrics::model::{Point, RevisionPoint};

    fn point(at_ms: i64, rate: f64) -> Point {
        Point {
            at_ms,
            error_ratio: 0.1,
            request_rate: rate,
            p95_seconds: 0.2,
        }
    }

    #[test]
    fn a_young_series_reads_its_own_rate_an_old_one_is_left_alone() {
        let window = 300_000;
        let step = 2_000;
        // 74/s of real traffic: Prometheus reads increase over the series' age / window
        let real = 74.0;
        let reported = |age_ms: i64| real * (age_ms + step) as f64 / window as f64;
        let young: Vec<Point> = [0, 58_000, 118_000, 298_000, 400_000]
            .iter()
            .map(|age| point(1_000_000 + age, reported(*age)))
            .collect();
        let mut update = vec![ServicePoints::new("checkout", young)];
        let starts = HashMap::from([("checkout".to_owned(), 1_000_000 - 1_800_000)]);
        let mut births = Births::default();
        births.correct(&mut update, &starts, window, step);
        let rates: Vec<f64> = update[0].points.iter().map(|p| p.request_rate).collect();
        for r in &rates[..4] {
            assert!((r - real).abs() < 1e-9, "{rates:?}");
        }
        assert_eq!(
            rates[4],
            reported(400_000),
            "older than the window: as read"
        );
        assert!(update[0].points.iter().all(|p| p.error_ratio == 0.1));
        // the next round: the birth is remembered
        let mut next = vec![ServicePoints::new(
            "checkout",
            vec![point(1_060_000, reported(60_000))],
        )];
        births.correct(&mut next, &HashMap::new(), window, step);
        assert!((next[0].points[0].request_rate - real).abs() < 1e-9);

        // a series with a value at the first step asked for is older than what was fetched
        let old = vec![point(-800_000, 12.0), point(-798_000, 12.5)];
        let mut update = vec![ServicePoints::new("cart", old)];
        let starts = HashMap::from([("cart".to_owned(), -800_000)]);
        births.correct(&mut update, &starts, window, step);
        assert_eq!(update[0].points[1].request_rate, 12.5);
    }

    #[test]
    fn one_point_tells_no_age_and_is_left_as_read() {
        let mut update = vec![ServicePoints::new("checkout", vec![point(500_000, 0.4)])];
        let starts = HashMap::from([("checkout".to_owned(), 0)]);
        let mut births = Births::default();
        births.correct(&mut update, &starts, 300_000, 1_000);
        assert_eq!(update[0].points[0].request_rate, 0.4);
        // the next points make the line
        let mut next = vec![ServicePoints::new(
            "checkout",
            vec![point(501_000, 0.6), point(502_000, 0.8)],
        )];
        births.correct(&mut next, &HashMap::new(), 300_000, 1_000);
        // 0.2/s more each second over a 300 s window: 60 requests a second
        for p in &next[0].points {
            assert!((p.request_rate - 60.0).abs() < 1e-6, "{p:?}");
        }
    }

    #[test]
    fn the_start_is_where_the_rates_line_meets_zero() {
        // scraped every 15 s: Prometheus's extrapolation reaches 20 s before the first value
        let window = 300_000;
        let step = 2_000;
        let real = 74.0;
        let reported = |age_ms: i64| real * (age_ms + 20_000) as f64 / window as f64;
        let points: Vec<Point> = (0..10)
            .map(|i| point(1_000_000 + i * 2_000, reported(i * 2_000)))
            .collect();
        let mut update = vec![ServicePoints::new("checkout", points)];
        let starts = HashMap::from([("checkout".to_owned(), 0)]);
        Births::default().correct(&mut update, &starts, window, step);
        for p in &update[0].points {
            assert!((p.request_rate - real).abs() < 1e-6, "{p:?}");
        }
    }

    #[test]
    fn a_new_revision_is_young_on_its_own() {
        let window = 300_000;
        let step = 2_000;
        let rev = |revision: &str, at_ms: i64, rate: f64| RevisionPoint {
            revision: revision.into(),
            at_ms,
            error_ratio: 0.2,
            request_rate: rate,
        };
        let mut update = vec![ServicePoints {
            service: "checkout".into(),
            points: vec![point(0, 50.0), point(100_000, 50.0)],
            // the canary began at 56 s: 30/s read over the 5 minutes' window
            by_revision: vec![
                rev("stable", 0, 45.0),
                rev("canary", 58_000, 30.0 * 2.0 / 300.0),
                rev("canary", 60_000, 30.0 * 4.0 / 300.0),
                rev("canary", 62_000, 30.0 * 6.0 / 300.0),
            ],
        }];
        let starts = HashMap::from([("checkout".to_owned(), 0)]);
        Births::default().correct(&mut update, &starts, window, step);
        assert_eq!(update[0].points[1].request_rate, 50.0);
        assert_eq!(update[0].by_revision[0].request_rate, 45.0);
        for r in &update[0].by_revision[1..] {
            assert!((r.request_rate - 30.0).abs() < 1e-9, "{r:?}");
        }
    }
}
