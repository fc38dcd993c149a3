//! Direct-scrape mode: GET each target's `/metrics` every interval, parse, fold.

use std::time::Duration;

use jiff::Timestamp;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::fold::{DirectFold, Folded};
use super::{
    Health, MetricsUpdate, RevisionLabel, ServiceHealth, StatusLabel, Target, backoff, http_client,
    now_ms,
};
use crate::sources::exposition;

/// Options of the direct-scrape task beyond targets and interval.
#[derive(Debug, Clone)]
pub struct DirectOptions {
    pub status_label: StatusLabel,
    /// `[metrics] revision_label`: requests are also counted per value of it.
    pub revision_label: RevisionLabel,
    /// `[metrics] max_page_bytes`: a page past this is not read further, and fails.
    pub max_page_bytes: usize,
}

impl Default for DirectOptions {
    fn default() -> Self {
        Self {
            status_label: StatusLabel::default(),
            revision_label: RevisionLabel::default(),
            max_page_bytes: MAX_PAGE_BYTES,
        }
    }
}

/// Scrapes every target each `interval` and sends one [`MetricsUpdate`] per round to `sink`.
/// Ends when `sink` returns false (the receiver is gone). A failing target is marked in the
/// update with its error, and retried with backoff; its fold baseline is kept.
pub fn spawn_direct(
    targets: Vec<Target>,
    interval: Duration,
    sink: impl FnMut(MetricsUpdate) -> bool + Send + 'static,
) -> JoinHandle<()> {
    spawn_direct_with(targets, interval, DirectOptions::default(), sink)
}

/// [`spawn_direct`] with options.
pub fn spawn_direct_with(
    targets: Vec<Target>,
    interval: Duration,
    options: DirectOptions,
    mut sink: impl FnMut(MetricsUpdate) -> bool + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if targets.is_empty() {
            return;
        }
        let interval = interval.max(Duration::from_millis(100));
        let client = match http_client(interval) {
            Ok(client) => client,
            Err(error) => {
                let mut update = MetricsUpdate::new(Timestamp::now());
                for target in &targets {
                    update
                        .health
                        .push(failing(target, error.clone(), update.at));
                }
                sink(update);
                return;
            }
        };
        let mut scrapers: Vec<Scraper> = targets
            .into_iter()
            .map(|target| Scraper {
                fold: DirectFold::new(options.status_label.clone())
                    .with_revision_label(options.revision_label.clone()),
                target,
                max_page_bytes: options.max_page_bytes,
                failures: 0,
                next_due: Instant::now(),
            })
            .collect();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = Instant::now();
            let due: Vec<&mut Scraper> =
                scrapers.iter_mut().filter(|s| s.next_due <= now).collect();
            if due.is_empty() {
                continue;
            }
            let results = futures::future::join_all(
                due.into_iter()
                    .map(|scraper| scraper.scrape(&client, interval, now)),
            )
            .await;
            let mut update = MetricsUpdate::new(Timestamp::now());
            for (health, folded) in results {
                update.health.push(health);
                update.points.extend(folded.points);
                update.problems.extend(folded.problems);
            }
            if !sink(update) {
                return;
            }
        }
    })
}

struct Scraper {
    target: Target,
    fold: DirectFold,
    max_page_bytes: usize,
    failures: u32,
    next_due: Instant,
}

impl Scraper {
    async fn scrape(
        &mut self,
        client: &reqwest::Client,
        interval: Duration,
        tick: Instant,
    ) -> (ServiceHealth, Folded) {
        let result = fetch(client, &self.target.url, self.max_page_bytes).await;
        let at = Timestamp::now();
        let folded = result
            .and_then(|body| {
                exposition::parse(&body).map_err(|e| format!("malformed metrics text: {e}"))
            })
            .and_then(|scrape| self.fold.fold(&scrape, &self.target.service, now_ms(at)));
        match folded {
            Ok(folded) => {
                self.failures = 0;
                self.next_due = tick;
                let health = ServiceHealth {
                    service: self.target.service.clone(),
                    source: self.target.url.clone(),
                    health: Health::Up,
                    at,
                };
                (health, folded)
            }
            Err(error) => {
                self.failures = self.failures.saturating_add(1);
                // The tick `backoff` after this one scrapes again (less a margin for jitter).
                self.next_due = tick + backoff(interval, self.failures) - interval / 2;
                (failing(&self.target, error, at), Folded::default())
            }
        }
    }
}

fn failing(target: &Target, error: String, at: Timestamp) -> ServiceHealth {
    ServiceHealth {
        service: target.service.clone(),
        source: target.url.clone(),
        health: Health::Failing { error },
        at,
    }
}

/// One GET of a target's page, at most `max_bytes` of it.
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    max_bytes: usize,
) -> Result<String, String> {
    crate::sources::http::fetch_metrics_text_limited(client, url, max_bytes, Some(LIMIT_SETTING))
        .await
}

/// The default of `[metrics] max_page_bytes`: a 10,000-series page is about 1 MiB.
pub const MAX_PAGE_BYTES: usize = 4 << 20;

/// The setting a message past the limit names.
pub const LIMIT_SETTING: &str = "[metrics] max_page_bytes";
