//! Direct-scrape math: successive `/metrics` pages of one target → per-service points.
//!
//! As Prometheus does it: rate each series first, then sum (`rate()` before `sum`); a counter
//! that was reset counts from 0, so its increase is its new value (`promql/functions.go`
//! `extrapolatedRate`); new or vanished series are skipped; p95 is `histogram_quantile` over
//! the per-`le` sums of bucket increases. Times are our own scrape times, never the
//! exposition timestamps.
//!
//! Where we part from Prometheus, to show trouble instead of a number that looks healthy:
//! - a NaN, ±Inf or negative counter reading is a data problem for its service (Prometheus
//!   would rate it into a NaN ratio, shown as "no traffic", or a negative rate);
//! - `rate()` takes *any* decrease as a reset. We take a drop to at most half the old value
//!   as a reset (a restarted process counts from 0 and has had one scrape interval to
//!   count again), and a smaller dip (1000 → 990) as a glitch: a data problem naming the
//!   series and both values, not a spike of 990 requests. See [`counter_step`].
//! - two samples of one series (same name and label set) on one page are an error for the
//!   target, naming the series; they are never summed.
//!
//! A service with a data problem gets no point that round (a gap, not a made-up value);
//! the problem is reported in [`Folded::problems`] instead.
//!
//! Request counters that carry the revision label are also summed per service and label
//! value ([`ServicePoints::by_revision`]), by the same rules: a revision with an unsound
//! series gets no point that round (its problem is the service's), one with no requests
//! between the two pages gets none either. The service's own numbers are the sum over all
//! series, with or without the label, as before.
//!
//! Not seen: a reset followed by growth past half the old value within one scrape interval
//! (taken as a glitch), or past the old value (taken as growth).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use super::{DataProblem, Point, RevisionLabel, RevisionPoint, ServicePoints, StatusLabel};
use crate::sources::exposition::{Sample, Scrape};

pub const REQUESTS: &str = "http_requests_total";
pub const DURATION_BUCKET: &str = "http_request_duration_seconds_bucket";
/// The quantile the pane shows.
pub const LATENCY_QUANTILE: f64 = 0.95;

/// How a counter moved between two sound (finite, non-negative) readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// It grew or stayed: the difference.
    Increase(f64),
    /// It dropped to at most half its old value: the process restarted and counts from 0,
    /// so the increase is the new value (as Prometheus's `rate()`).
    Reset(f64),
    /// It dropped, but stayed above half its old value. A restart would have had to count
    /// more than half its whole previous life within one scrape interval; this is an
    /// exporter glitch (a lost worker in a summed counter, a float that went backwards).
    /// Prometheus would count the new value as a reset, a spike that never happened; we
    /// report it and count nothing. The new value becomes the baseline, so a counter that
    /// stays at its new level gives sound deltas again from the next page.
    Glitch,
}

/// The step of a counter from `before` to `after`; see [`Step`].
pub fn counter_step(before: f64, after: f64) -> Step {
    if after >= before {
        Step::Increase(after - before)
    } else if after <= before / 2.0 {
        Step::Reset(after)
    } else {
        Step::Glitch
    }
}

/// Why one counter reading cannot be used, if it cannot: counters are finite and never
/// negative.
fn reading_problem(value: f64) -> Option<String> {
    if value.is_nan() {
        Some("NaN".to_owned())
    } else if value == f64::INFINITY {
        Some("+Inf".to_owned())
    } else if value == f64::NEG_INFINITY {
        Some("-Inf".to_owned())
    } else if value < 0.0 {
        Some(format!("negative ({value})"))
    } else {
        None
    }
}

/// `http_requests_total{service="checkout",status="503"}`, labels in page order.
pub fn series_text(sample: &Sample) -> String {
    let mut text = sample.name.clone();
    if !sample.labels.is_empty() {
        text.push('{');
        for (i, (k, v)) in sample.labels.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            let v = v.replace('\\', "\\\\").replace('"', "\\\"");
            text.push_str(&format!("{k}=\"{v}\""));
        }
        text.push('}');
    }
    text
}

/// What one page gave: a point per service with sound numbers (none for the first page,
/// the baseline), and a problem per service without.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Folded {
    /// In service name order.
    pub points: Vec<ServicePoints>,
    /// In service name order.
    pub problems: Vec<DataProblem>,
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
    revision_label: RevisionLabel,
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
    /// What is wrong with this service's numbers on this page, in page order.
    problems: Vec<String>,
}

/// One revision's request counters on this page.
#[derive(Default)]
struct RevisionSums {
    requests: f64,
    errors: f64,
    /// One of its series was unsound: no point for it this round.
    unsound: bool,
}

impl DirectFold {
    pub fn new(status_label: StatusLabel) -> Self {
        Self {
            status_label,
            revision_label: RevisionLabel::default(),
            previous: None,
        }
    }

    /// Counts requests per value of `label` too (default [`RevisionLabel::default`]).
    pub fn with_revision_label(mut self, label: RevisionLabel) -> Self {
        self.revision_label = label;
        self
    }

    /// Folds the page scraped at `at_ms`. The first page only sets the baseline and gives no
    /// points; every later one gives one point per service seen on both pages. Unsound
    /// numbers give a problem for their service instead of its point, on any page. A series
    /// twice on the page is an error for the whole page: the baseline stays as it was.
    pub fn fold(
        &mut self,
        scrape: &Scrape,
        default_service: &str,
        at_ms: i64,
    ) -> Result<Folded, String> {
        let hasher = FixedState;
        let mut values =
            HashMap::with_capacity(self.previous.as_ref().map_or(64, |p| p.values.len()));
        let mut sums: HashMap<&str, Sums> = HashMap::new();
        let mut revisions: HashMap<(&str, &str), RevisionSums> = HashMap::new();
        for sample in &scrape.samples {
            let is_requests = sample.name == REQUESTS;
            let is_bucket = !is_requests && sample.name == DURATION_BUCKET;
            if !is_requests && !is_bucket {
                continue;
            }
            let key = series_key(&hasher, sample);
            let before = self
                .previous
                .as_ref()
                .and_then(|p| p.values.get(&key))
                .copied()
                .filter(|v| v.is_finite());
            let problem = reading_problem(sample.value);
            // An unusable reading is no reading: the baseline stays (NaN: none yet).
            let stored = match problem {
                Some(_) => before.unwrap_or(f64::NAN),
                None => sample.value,
            };
            if values.insert(key, stored).is_some() {
                return Err(format!(
                    "duplicate series {} on the page (not summed)",
                    series_text(sample)
                ));
            }
            let service = sample.label("service").unwrap_or(default_service);
            let service_sums = sums.entry(service).or_default();
            let mut revision_sums = is_requests
                .then(|| sample.label(&self.revision_label.0))
                .flatten()
                .filter(|r| !r.is_empty())
                .map(|r| revisions.entry((service, r)).or_default());
            let is_error = is_requests && self.is_server_error(sample);
            let kind = if is_error {
                "5xx counter"
            } else if is_requests {
                "request counter"
            } else {
                "latency bucket"
            };
            if let Some(problem) = problem {
                service_sums
                    .problems
                    .push(format!("{kind} is {problem}: {}", series_text(sample)));
                if let Some(r) = revision_sums.as_mut() {
                    r.unsound = true;
                }
                continue;
            }
            let Some(before) = before else {
                continue; // new series: no increase yet
            };
            let increase = match counter_step(before, sample.value) {
                Step::Increase(n) | Step::Reset(n) => n,
                Step::Glitch => {
                    service_sums.problems.push(format!(
                        "{kind} went down from {before} to {} (not a reset): {}",
                        sample.value,
                        series_text(sample)
                    ));
                    if let Some(r) = revision_sums.as_mut() {
                        r.unsound = true;
                    }
                    continue;
                }
            };
            if is_requests {
                service_sums.requests += increase;
                if is_error {
                    service_sums.errors += increase;
                }
                if let Some(r) = revision_sums {
                    r.requests += increase;
                    if is_error {
                        r.errors += increase;
                    }
                }
            } else if let Some(le) = sample.label("le").and_then(parse_le) {
                *service_sums.buckets.entry(le.to_bits()).or_default() += increase;
            }
        }
        let previous = self.previous.replace(Readings { at_ms, values });
        let seconds = previous
            .as_ref()
            .map_or(0.0, |p| (at_ms - p.at_ms) as f64 / 1000.0);
        let mut by_revision: HashMap<&str, Vec<RevisionPoint>> = HashMap::new();
        if seconds > 0.0 {
            for ((service, revision), r) in revisions {
                // unsound numbers, or no traffic: no point
                if r.unsound || r.requests <= 0.0 {
                    continue;
                }
                by_revision.entry(service).or_default().push(RevisionPoint {
                    revision: revision.to_owned(),
                    at_ms,
                    error_ratio: r.errors / r.requests,
                    request_rate: r.requests / seconds,
                });
            }
        }
        let mut out = Folded::default();
        for (service, s) in sums {
            let mut revision_points = by_revision.remove(service).unwrap_or_default();
            revision_points.sort_by(|a, b| a.revision.cmp(&b.revision));
            if let Some(first) = s.problems.first() {
                let problem = match s.problems.len() {
                    1 => first.clone(),
                    n => format!("{first} (and {} more)", n - 1),
                };
                out.problems.push(DataProblem {
                    service: service.to_owned(),
                    problem,
                });
                // the sound revisions keep their points; the service gets none
                if !revision_points.is_empty() {
                    out.points.push(ServicePoints {
                        service: service.to_owned(),
                        points: Vec::new(),
                        by_revision: revision_points,
                    });
                }
                continue;
            }
            if seconds <= 0.0 {
                continue; // the baseline, or a clock that did not move
            }
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
            out.points.push(ServicePoints {
                service: service.to_owned(),
                points: vec![Point {
                    at_ms,
                    error_ratio,
                    request_rate: s.requests / seconds,
                    p95_seconds: histogram_quantile(LATENCY_QUANTILE, &mut buckets),
                }],
                by_revision: revision_points,
            });
        }
        out.points.sort_by(|a, b| a.service.cmp(&b.service));
        out.problems.sort_by(|a, b| a.service.cmp(&b.service));
        Ok(out)
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
    fn a_big_drop_is_a_reset_a_small_one_a_glitch() {
        assert_eq!(counter_step(10.0, 15.0), Step::Increase(5.0));
        assert_eq!(counter_step(10.0, 3.0), Step::Reset(3.0));
        assert_eq!(counter_step(10.0, 5.0), Step::Reset(5.0));
        assert_eq!(counter_step(1000.0, 990.0), Step::Glitch);
    }

    #[test]
    fn readings_that_are_not_counts() {
        assert_eq!(reading_problem(f64::NAN).as_deref(), Some("NaN"));
        assert_eq!(reading_problem(f64::INFINITY).as_deref(), Some("+Inf"));
        assert_eq!(reading_problem(-3.0).as_deref(), Some("negative (-3)"));
        assert_eq!(reading_problem(0.0), None);
    }
}
