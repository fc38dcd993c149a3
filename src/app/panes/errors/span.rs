//! What the pane says its history spans and how its rates are taken: `last 30m` only once
//! it holds the 30 minutes, else `since HH:MM` (the first sample's time, in the zone the
//! Logs pane shows times in); `rate 5m` in API mode (`[metrics] window`). The zoomed
//! chart's x axis spans what is held in the same way.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{ServiceSeries, ratio_text};
use crate::app::state::State;
use crate::app::time_mode::TimeMode;

/// How far short of the window a history may be and still count as the whole window (a
/// step or two of scheduling).
pub const FULL_SLACK_MS: i64 = 30_000;

/// The first and the newest sample over `series`.
fn held<'a>(series: impl Iterator<Item = &'a ServiceSeries>) -> Option<(i64, i64)> {
    series
        .filter_map(|s| Some((s.history.front()?.at_ms, s.history.back()?.at_ms)))
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// The zone times are shown in: UTC when the Logs pane shows UTC, else the local zone.
fn zone(state: &State) -> TimeZone {
    match state.logs.timestamps {
        TimeMode::Utc => TimeZone::UTC,
        TimeMode::Local | TimeMode::Off => state.logs.tz.clone(),
    }
}

fn hh_mm(ms: i64, tz: &TimeZone) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz.clone()).strftime("%H:%M").to_string())
        .unwrap_or_else(|_| "?".into())
}

/// `last 30m` when the held history spans the window (or there is none yet), else
/// `since HH:MM`; and the short form where that does not fit (`30m`, `HH:MM→`).
fn span_words(state: &State, held: Option<(i64, i64)>) -> (String, String) {
    let window = crate::text::format_secs(state.errors.window_ms() / 1000);
    match held {
        Some((first, newest))
            if newest.saturating_sub(first) < state.errors.window_ms() - FULL_SLACK_MS =>
        {
            let at = hh_mm(first, &zone(state));
            (format!("since {at}"), format!("{at}→"))
        }
        _ => (format!("last {window}"), window),
    }
}

/// The rate window the numbers are taken over, in API mode (`5m`); direct mode's rates
/// are between scrapes.
pub fn rate_window(state: &State) -> Option<&str> {
    let m = state.config.metrics.as_ref()?;
    m.prometheus.as_ref().map(|_| m.window.as_str())
}

/// The header over the sparklines in at most `width` columns: span, rate window and
/// threshold (`last 30m, rate 5m (threshold 5.0%)`), dropping the threshold and then the
/// rate window where they do not fit.
pub fn header_label(state: &State, width: usize) -> String {
    let (span, short) = span_words(state, held(state.errors.services.values()));
    let threshold = format!(
        " (threshold {})",
        ratio_text(state.config.error_threshold())
    );
    let rate = rate_window(state).map_or(String::new(), |w| format!(", rate {w}"));
    [
        format!("{span}{rate}{threshold}"),
        format!("{span}{rate}"),
        span,
        short,
    ]
    .into_iter()
    .find(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) <= width)
    .unwrap_or_default()
}

/// The zoomed chart's x axis: how many minutes back it reaches (the window, or what the
/// series holds when that is less, at least one) and its three labels.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpan {
    pub minutes: f64,
    pub labels: [String; 3],
}

pub fn chart_span(state: &State, series: &ServiceSeries) -> ChartSpan {
    let window = state.errors.window_ms();
    let full = |m: i64| ChartSpan {
        minutes: m as f64,
        labels: [format!("-{m}m"), format!("-{}m", m / 2), "newest".into()],
    };
    match held(std::iter::once(series)) {
        Some((first, newest)) if newest.saturating_sub(first) < window - FULL_SLACK_MS => {
            let minutes = (newest.saturating_sub(first) as f64 / 60_000.0).max(1.0);
            ChartSpan {
                minutes,
                labels: [
                    format!("since {}", hh_mm(first, &zone(state))),
                    half_minutes(minutes / 2.0),
                    "newest".into(),
                ],
            }
        }
        _ => full(window / 60_000),
    }
}

/// `-2.5m`, `-12m`: the chart's middle label.
fn half_minutes(m: f64) -> String {
    if m < 10.0 && m.fract() > 0.05 {
        format!("-{m:.1}m")
    } else {
        format!("-{m:.0}m")
    }
}
