//! The metrics history a new world starts with: the services' traffic over the
//! [`BACKFILL_MS`] before now, told as the scenario's story went (the bad release, the
//! canary), scraped every [`SCRAPE_MS`] into the world's history, so the Prometheus API has
//! 30 minutes to answer over from the first request.

use std::collections::BTreeMap;

use super::{APPS, World};
use crate::history::{BACKFILL_MS, SCRAPE_MS};

/// At one time of the build: each service's traffic plan (`World::traffic_plan`).
pub(super) type StoryPoint = (i64, BTreeMap<String, (Vec<(String, f64, f64)>, bool)>);

/// How much traffic counters hold before the scraped history starts.
const PREWARM_MS: i64 = 3_600_000 - BACKFILL_MS;

impl World {
    /// Every HTTP service's plan now.
    pub(super) fn traffic_story_at(&self) -> StoryPoint {
        let plans = APPS
            .iter()
            .filter(|a| a.3)
            .map(|a| (a.0.to_string(), self.traffic_plan(a.0)))
            .collect();
        (self.now_ms, plans)
    }

    /// Runs the (new) traffic counters from an hour before `wall` up to it: in one lump to
    /// [`BACKFILL_MS`] before, then scrape step by scrape step, each step as the story was
    /// at its time (its first point before the story began: the steady state then).
    pub(super) fn backfill_traffic(&mut self, wall: i64, story: &[StoryPoint]) {
        let plan_at = |app: &str, t: i64| -> (Vec<(String, f64, f64)>, bool) {
            let i = story.partition_point(|(at, _)| *at <= t);
            story
                .get(i.saturating_sub(1))
                .and_then(|(_, plans)| plans.get(app).cloned())
                .unwrap_or_else(|| (vec![(String::new(), 1.0, 0.002)], false))
        };
        let start = wall - BACKFILL_MS;
        let mut traffic = std::mem::take(&mut self.traffic);
        for (app, t) in traffic.iter_mut() {
            let (split, _) = plan_at(app, start);
            // before the history: all of it by the first revision, healthy
            let first = split.first().map(|s| s.0.clone()).unwrap_or_default();
            t.add_split(PREWARM_MS, &[(first, 1.0, 0.002)], false);
        }
        self.traffic = traffic;
        self.now_ms = start;
        self.scrape_history();
        while self.now_ms < wall {
            let dt = SCRAPE_MS.min(wall - self.now_ms);
            let mid = self.now_ms + dt / 2;
            let names: Vec<String> = self.traffic.keys().cloned().collect();
            for app in names {
                let (split, slow) = plan_at(&app, mid);
                if let Some(t) = self.traffic.get_mut(&app) {
                    t.add_split(dt, &split, slow);
                }
            }
            self.now_ms += dt;
            self.scrape_history();
        }
        self.now_ms = wall;
    }
}
