//! The parts of the Workloads tables: columns that give way when space is short, a row's
//! line, the cut line under a list that does not fit, scrolling, and the health a row's
//! rollout or pod reads as.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::app::state::State;
use crate::config::theme::Health;
use crate::sources::kube::model::{PodRow, Rollout};
use crate::text::{clean, fit};
use crate::ui::panes::cut::cut_text;

/// A column: title, width, and whether it is dropped first when space is short.
pub(super) struct Col {
    pub(super) title: &'static str,
    pub(super) width: usize,
    pub(super) priority: u8,
}

/// One line of a table: the flexible first cell, then each kept column's cell cut or
/// padded to the column's width.
pub(super) fn row_line<'a>(
    first: Span<'a>,
    cols: &[Col],
    keep: &[bool],
    cells: impl IntoIterator<Item = (String, Style)>,
) -> Line<'a> {
    let mut spans = vec![first];
    for ((c, k), (text, style)) in cols.iter().zip(keep).zip(cells) {
        if *k {
            spans.push(Span::styled(format!(" {}", fit(&text, c.width)), style));
        }
    }
    Line::from(spans)
}

/// Which columns fit in `width`, keeping `min_name` for the flexible first column.
/// Columns of priority 0 are never dropped.
pub(super) fn fit_columns(cols: &[Col], width: usize, min_name: usize) -> (usize, Vec<bool>) {
    let mut keep: Vec<bool> = vec![true; cols.len()];
    let total = |keep: &[bool]| -> usize {
        cols.iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| c.width + 1)
            .sum()
    };
    // one column at a time, lowest priority first and the rightmost of a priority first,
    // so a column goes only when the name (cut in the middle) really needs its room
    let max_p = cols.iter().map(|c| c.priority).max().unwrap_or(0);
    'drop: for p in (1..=max_p).rev() {
        for (i, c) in cols.iter().enumerate().rev() {
            if total(&keep) + min_name <= width {
                break 'drop;
            }
            if c.priority == p {
                keep[i] = false;
            }
        }
    }
    let name_w = width.saturating_sub(total(&keep)).max(1);
    (name_w, keep)
}

pub(super) fn rollout_text(r: &Rollout) -> (String, Health) {
    match r {
        Rollout::Complete => ("complete".into(), Health::Ok),
        Rollout::Progressing => ("progressing".into(), Health::Pending),
        Rollout::Paused => ("paused".into(), Health::Warn),
        Rollout::Stalled(reason) => (format!("stalled ({})", clean(reason)), Health::Error),
        Rollout::PausedStalled(reason) => (
            format!("paused, stalled ({})", clean(reason)),
            Health::Error,
        ),
        Rollout::Unreported => ("OnDelete: no rollout status".into(), Health::Warn),
    }
}

/// How many rows a table of `len` rows shows in `room` lines: one line is kept for the
/// [`cut_line`] when they do not all fit.
pub(super) fn table_room(room: usize, len: usize) -> (usize, bool) {
    if len > room && room >= 2 {
        (room - 1, true)
    } else {
        (room, false)
    }
}

/// Under a list that does not fit: `3 of 12 ↑ ↓` (the selected row of all), or
/// `4–6 of 12 ↑ ↓` (the rows shown) where the cursor is elsewhere, with arrows for the rows
/// above and below; right-aligned so the table's columns stay readable above it.
pub(super) fn cut_line<'a>(
    state: &State,
    offset: usize,
    shown: usize,
    total: usize,
    selected: Option<usize>,
) -> Line<'a> {
    Line::styled(
        format!("{} ", cut_text(offset, shown, total, selected)),
        state.theme.accent(),
    )
    .right_aligned()
}

pub(super) fn scroll_offset(selected: usize, visible: usize, len: usize) -> usize {
    if visible == 0 || selected == usize::MAX || len <= visible {
        return 0;
    }
    selected.saturating_sub(visible - 1).min(len - visible)
}

pub fn pod_health(p: &PodRow) -> Health {
    if p.reason.is_error() {
        Health::Error
    } else if p.reason.is_warning() {
        Health::Warn
    } else {
        Health::Ok
    }
}
