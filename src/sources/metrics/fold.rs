//! Direct-scrape math: successive `/metrics` pages of one target → per-service points.
//!
//! As Prometheus does it: rate each series first, then sum (`rate()` before `sum`); a counter
//! that went down was reset, so its increase is its new value (`promql/functions.go`
//! `extrapolatedRate`); new or vanished series are skipped; p95 is `histogram_quantile` over
//! the per-`le` sums of bucket increases. Times are our own scrape times, never the
//! exposition timestamps.
//!
//! Not seen: a reset followed by growth past the old value within one scrape interval.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use super::{Point, ServicePoints, StatusLabel};
use crate::sources::exposition::{Sample, Scrape};

pub const REQUESTS: &str = "http_requests_total";
pub const DURATION_BUCKET: &str = "http_request_duration_seconds_bucket";
/// The quantile the pane shows.
pub const LATENCY_QUANTILE: f64 = 0.95;

/// The increase of a counter between two readings, reset-aware.
pub fn counter_increase(before: f64, after: f64) -> f64 {
    if after >= before {
        after - before
    } else {
        after
    }
}

/// Prometheus's `histogram_quantile` over cumulative buckets `(le, count)` of one histogram,
/// in any order. NaN when there is no `+Inf` bucket, fewer than two buckets, or no
/// observations; linear interpolation inside the bucket that holds the rank.
pub fn histogram_quantile(q: f64, buckets: &mut [(f64, f64)]) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = buckets.len();
    if n < 2 || buckets[n - 1].0 != f64::INFINITY {
        return f64::NAN;
    }
    // Deltas of a reset can break monotonicity; Prometheus evens it out the same way.
    for i in 1..n {
        if buckets[i].1 < buckets[i - 1].1 {
            buckets[i].1 = buckets[i - 1].1;
        }
    }
    let total = buckets[n - 1].1;
    if total.is_nan() || total <= 0.0 {
        return f64::NAN;
    }
    let mut rank = q * total;
    let b = buckets[..n - 1]
        .iter()
        .position(|&(_, count)| count >= rank)
        .unwrap_or(n - 1);
    if b == n - 1 {
        return buckets[n - 2].0;
    }
    if b == 0 && buckets[0].0 <= 0.0 {
        return buckets[0].0;
    }
    let (start, below) = if b == 0 {
        (0.0, 0.0)
    } else {
        (buckets[b - 1].0, buckets[b - 1].1)
    };
    let end = buckets[b].0;
    let count = buckets[b].1 - below;
    rank -= below;
    if count <= 0.0 {
        return end;
    }
    start + (end - start) * (rank / count)
}

/// The fold state of one scrape target: the previous page's counter values.
#[derive(Debug, Clone, Default)]
pub struct DirectFold {
    status_label: StatusLabel,
    previous: Option<Readings>,
}

#[derive(Debug, Clone)]
struct Readings {
    at_ms: i64,
    /// Series identity (name and label set, order-independent) → value.
    values: HashMap<u64, f64>,
}

#[derive(Default)]
struct Sums {
    requests: f64,
    errors: f64,
    /// `le` bits → summed bucket increase.
    buckets: HashMap<u64, f64>,
}

impl DirectFold {
    pub fn new(status_label: StatusLabel) -> Self {
        Self {
            status_label,
            previous: None,
        }
    }

    /// Folds the page scraped at `at_ms`. The first page only sets the baseline and gives no
    /// points; every later one gives one point per service seen on both pages. Services are
    /// in name order.
    pub fn fold(
        &mut self,
        scrape: &Scrape,
        default_service: &str,
        at_ms: i64,
    ) -> Vec<ServicePoints> {
        let hasher = FixedState;
        let mut values =
            HashMap::with_capacity(self.previous.as_ref().map_or(64, |p| p.values.len()));
        let mut sums: HashMap<&str, Sums> = HashMap::new();
        for sample in &scrape.samples {
            let is_requests = sample.name == REQUESTS;
            let is_bucket = !is_requests && sample.name == DURATION_BUCKET;
            if !is_requests && !is_bucket {
                continue;
            }
            let key = series_key(&hasher, sample);
            values.insert(key, sample.value);
            let service = sample.label("service").unwrap_or(default_service);
            let service_sums = sums.entry(service).or_default();
            let Some(before) = self.previous.as_ref().and_then(|p| p.values.get(&key)) else {
                continue; // new series: no increase yet
            };
            let increase = counter_increase(*before, sample.value);
            if !increase.is_finite() {
                continue;
            }
            if is_requests {
                service_sums.requests += increase;
                if self.is_server_error(sample) {
                    service_sums.errors += increase;
                }
            } else if let Some(le) = sample.label("le").and_then(parse_le) {
                *service_sums.buckets.entry(le.to_bits()).or_default() += increase;
            }
        }
        let previous = self.previous.replace(Readings { at_ms, values });
        let Some(previous) = previous else {
            return Vec::new();
        };
        let seconds = (at_ms - previous.at_ms) as f64 / 1000.0;
        if seconds <= 0.0 {
            return Vec::new();
        }
        let mut out: Vec<ServicePoints> = sums
            .into_iter()
            .map(|(service, s)| {
                let mut buckets: Vec<(f64, f64)> = s
                    .buckets
                    .iter()
                    .map(|(le, n)| (f64::from_bits(*le), *n))
                    .collect();
                let error_ratio = if s.requests > 0.0 {
                    s.errors / s.requests
                } else {
                    f64::NAN
                };
                ServicePoints {
                    service: service.to_owned(),
                    points: vec![Point {
                        at_ms,
                        error_ratio,
                        request_rate: s.requests / seconds,
                        p95_seconds: histogram_quantile(LATENCY_QUANTILE, &mut buckets),
                    }],
                }
            })
            .collect();
        out.sort_by(|a, b| a.service.cmp(&b.service));
        out
    }

    fn is_server_error(&self, sample: &Sample) -> bool {
        let status = sample
            .label(&self.status_label.0)
            .or_else(|| sample.label("code"));
        // "5xx" as some exporters write the class, or a three-digit 5.. code.
        status.is_some_and(|s| s.len() == 3 && s.starts_with('5'))
    }
}

fn parse_le(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        _ => text.parse::<f64>().ok().filter(|v| !v.is_nan()),
    }
}

/// A fixed-key hasher: series keys must be equal across scrapes, and need no DoS resistance
/// (they are only compared within one target's fold).
#[derive(Clone, Copy)]
struct FixedState;

impl BuildHasher for FixedState {
    type Hasher = std::collections::hash_map::DefaultHasher;
    fn build_hasher(&self) -> Self::Hasher {
        std::collections::hash_map::DefaultHasher::new()
    }
}

/// Name plus label set, independent of label order.
fn series_key(state: &FixedState, sample: &Sample) -> u64 {
    let mut labels: u64 = 0;
    for pair in &sample.labels {
        labels = labels.wrapping_add(state.hash_one(pair));
    }
    let mut h = state.build_hasher();
    sample.name.hash(&mut h);
    labels.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates_inside_the_bucket() {
        let mut b = vec![
            (0.1, 50.0),
            (0.5, 90.0),
            (1.0, 100.0),
            (f64::INFINITY, 100.0),
        ];
        // rank 95 lies in (0.5, 1.0]: 0.5 + 0.5 * (5 / 10)
        assert!((histogram_quantile(0.95, &mut b) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn quantile_in_the_inf_bucket_is_the_highest_finite_bound() {
        let mut b = vec![(0.1, 1.0), (f64::INFINITY, 100.0)];
        assert_eq!(histogram_quantile(0.95, &mut b), 0.1);
    }

    #[test]
    fn quantile_without_observations_is_nan() {
        let mut b = vec![(0.1, 0.0), (f64::INFINITY, 0.0)];
        assert!(histogram_quantile(0.95, &mut b).is_nan());
        let mut no_inf = vec![(0.1, 3.0), (0.2, 4.0)];
        assert!(histogram_quantile(0.95, &mut no_inf).is_nan());
    }

    #[test]
    fn reset_counts_the_new_value() {
        assert_eq!(counter_increase(10.0, 15.0), 5.0);
        assert_eq!(counter_increase(10.0, 3.0), 3.0);
    }
}
