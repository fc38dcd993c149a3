//! How one GPU's numbers read in the GPU pane's cells, for its list and its zoomed view
//! alike: the texts, their styles by level, the gauge and the utilisation sparkline.

use ratatui::style::Style;

use crate::app::panes::gpu::GpuEntry;
use crate::config::theme::{Health, Theme};
use crate::sources::gpu::model::{GpuSample, Memory};
use crate::text::clean;

pub(super) const NA: &str = "n/a";
const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
pub(super) const SPARK_LEN: usize = 6;
pub(super) const GAUGE_LEN: usize = 5;
/// Degrees below the slowdown threshold where the temperature turns warn.
const TEMP_WARN_MARGIN: u32 = 5;

pub(super) fn coarse_age(secs: u64) -> String {
    if secs < 60 {
        "<1m".to_owned()
    } else {
        crate::text::format_secs(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

/// `H100 80GB HBM3` from `NVIDIA H100 80GB HBM3`; "n/a" without a name.
pub(super) fn short_name(s: &GpuSample) -> String {
    match &s.name {
        None => NA.to_owned(),
        Some(n) => {
            let n = clean(n);
            n.strip_prefix("NVIDIA ").unwrap_or(&n).to_owned()
        }
    }
}

/// `45.1/79.6 GiB`; unified: `unified 45.2/119 GiB gpu 30.1 GiB` (the one formatter of
/// GPU memory, [`Memory::text`]).
pub(super) fn memory_text(m: &Memory) -> String {
    m.text()
}

pub(super) fn temp_text(s: &GpuSample) -> String {
    s.temperature_c
        .map_or_else(|| NA.to_owned(), |t| format!("{t}°C"))
}

pub(super) fn power_text(s: &GpuSample) -> String {
    match (s.power_w, s.power_limit_w) {
        (Some(p), Some(l)) if p.is_finite() && l.is_finite() => format!("{p:.0}/{l:.0}W"),
        (Some(p), _) if p.is_finite() => format!("{p:.0}W"),
        _ => NA.to_owned(),
    }
}

pub fn temp_style(theme: &Theme, s: &GpuSample) -> Style {
    match (s.temperature_c, s.temp_slowdown_c) {
        (Some(t), Some(slow)) if t >= slow => theme.health(Health::Error),
        (Some(t), Some(slow)) if t.saturating_add(TEMP_WARN_MARGIN) >= slow => {
            theme.health(Health::Warn)
        }
        (Some(_), Some(_)) => theme.health(Health::Ok),
        _ => theme.text(),
    }
}

pub(super) fn power_style(theme: &Theme, s: &GpuSample) -> Style {
    match (s.power_w, s.power_limit_w) {
        (Some(p), Some(l)) if l > 0.0 && p >= 0.95 * l => theme.health(Health::Warn),
        _ => theme.text(),
    }
}

pub(super) fn memory_style(theme: &Theme, m: &Memory) -> Style {
    match m.used_pct() {
        Some(p) if p >= 98.0 => theme.health(Health::Error),
        Some(p) if p >= 90.0 => theme.health(Health::Warn),
        Some(_) => theme.text(),
        None => theme.dim(),
    }
}

/// A horizontal bar of `len` cells for `pct` (0..=100), in eighths.
pub(super) fn gauge(pct: Option<f64>, len: usize) -> String {
    let Some(pct) = pct.filter(|p| p.is_finite()) else {
        return format!("{:<len$}", NA);
    };
    let eighths = ((pct.clamp(0.0, 100.0) / 100.0) * (len * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    const PART: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PART[eighths % 8]);
    let w = s.chars().count();
    s.push_str(&"░".repeat(len.saturating_sub(w)));
    s
}

pub(super) fn util_sparkline(g: &GpuEntry) -> String {
    let recent = g.history.recent_util(SPARK_LEN);
    let mut s: String = " ".repeat(SPARK_LEN - recent.len());
    for v in recent {
        s.push(match v {
            Some(v) if v.is_finite() => {
                SPARK[((v.clamp(0.0, 100.0) / 100.0 * 7.0).round() as usize).min(7)]
            }
            _ => ' ',
        });
    }
    s
}

/// The reasons that slow the GPU down, in words; `None` when it is not throttled.
pub(super) fn throttle_text(s: &GpuSample) -> Option<String> {
    if s.down.is_some() || !s.is_throttled() {
        return None;
    }
    Some(s.slowdown_words())
}
