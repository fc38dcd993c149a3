//! What a Prometheus scraping every `/metrics/<service>` page would hold: each simulated
//! scrape step ([`SCRAPE_MS`]) the services' counters as their pages expose them (floored,
//! per revision, the latency histogram), kept for [`KEEP_MS`] in a ring per series. The
//! sandbox's Prometheus HTTP API (`promql/`) answers over this.

use std::collections::{BTreeMap, HashMap, VecDeque};

/// How often the simulated Prometheus scrapes (simulated time).
pub const SCRAPE_MS: i64 = 15_000;
/// How long samples are kept.
pub const KEEP_MS: i64 = 60 * 60_000;
/// How much history a new world has: 30 minutes of chart plus a 5-minute rate window and
/// some slack, so `query_range` over the last 30 minutes has a value at every step.
pub const BACKFILL_MS: i64 = 40 * 60_000;

/// A series' labels, `__name__` included.
pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone)]
pub struct Series {
    pub labels: Labels,
    /// (unix ms, value), oldest first
    pub samples: VecDeque<(i64, f64)>,
}

impl Series {
    /// The samples with a time in `(from, to]`.
    pub fn between(&self, from: i64, to: i64) -> impl Iterator<Item = (i64, f64)> + '_ {
        let start = self.samples.partition_point(|(t, _)| *t <= from);
        self.samples
            .range(start..)
            .take_while(move |(t, _)| *t <= to)
            .copied()
    }
}

/// The samples of every series, bounded in time.
#[derive(Debug, Clone, Default)]
pub struct Tsdb {
    series: Vec<Series>,
    index: HashMap<Labels, usize>,
    last_scrape_ms: Option<i64>,
}

impl Tsdb {
    pub fn series(&self) -> &[Series] {
        &self.series
    }

    /// Whether a scrape is due at `now_ms`.
    pub fn due(&self, now_ms: i64) -> bool {
        self.last_scrape_ms.is_none_or(|l| now_ms >= l + SCRAPE_MS)
    }

    /// One scrape at `at_ms`: a sample per series; samples older than [`KEEP_MS`] go.
    pub fn append(&mut self, at_ms: i64, samples: Vec<(Labels, f64)>) {
        for (labels, value) in samples {
            let i = match self.index.get(&labels) {
                Some(i) => *i,
                None => {
                    self.series.push(Series {
                        labels: labels.clone(),
                        samples: VecDeque::new(),
                    });
                    self.index.insert(labels, self.series.len() - 1);
                    self.series.len() - 1
                }
            };
            let s = &mut self.series[i].samples;
            if s.back().is_none_or(|(t, _)| *t < at_ms) {
                s.push_back((at_ms, value));
            }
        }
        let horizon = at_ms - KEEP_MS;
        for s in &mut self.series {
            while s.samples.front().is_some_and(|(t, _)| *t < horizon) {
                s.samples.pop_front();
            }
        }
        self.last_scrape_ms = Some(at_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(name: &str) -> Labels {
        [("__name__".to_owned(), name.to_owned())].into()
    }

    #[test]
    fn ring_is_bounded_and_between_is_left_open() {
        let mut db = Tsdb::default();
        let mut t = 0;
        while t <= 2 * KEEP_MS {
            db.append(t, vec![(labels("x"), t as f64)]);
            t += SCRAPE_MS;
        }
        let s = &db.series()[0];
        assert_eq!(s.samples.front().map(|p| p.0), Some(KEEP_MS));
        assert_eq!(s.samples.len() as i64, KEEP_MS / SCRAPE_MS + 1);
        let got: Vec<i64> = s
            .between(KEEP_MS, KEEP_MS + 2 * SCRAPE_MS)
            .map(|p| p.0)
            .collect();
        assert_eq!(got, [KEEP_MS + SCRAPE_MS, KEEP_MS + 2 * SCRAPE_MS]);
        assert!(!db.due(2 * KEEP_MS + 1));
        assert!(db.due(2 * KEEP_MS + SCRAPE_MS));
    }
}
