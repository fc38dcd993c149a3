//! The parts of the Workloads tables: columns that give way when space is short, a row's
//! line, the cut line under a list that does not fit, scrolling, and the health a row's
//! rollout or pod reads as.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::app::state::State;
use crate::app::table_sort::ColumnSort;
use crate::config::theme::Health;
use crate::sources::kube::model::{PodRow, Rollout};
use crate::text::{clean, fit, fit_middle};
use crate::ui::panes::cut::cut_text;

/// A column: title, the most cells it takes, and how soon it gives way when space is
/// short (0: never dropped, only cut; higher: dropped sooner). A column is as wide as its
/// widest cell on screen (up to `width`), so no column keeps padding another one needs.
pub(super) struct Col {
    pub(super) title: std::borrow::Cow<'static, str>,
    pub(super) width: usize,
    pub(super) priority: u8,
    /// Cut in the middle (names, revision hashes: the end tells rows apart), else at the end.
    pub(super) middle: bool,
}

impl Col {
    pub(super) const fn new(title: &'static str, width: usize, priority: u8) -> Col {
        Col {
            title: std::borrow::Cow::Borrowed(title),
            width,
            priority,
            middle: false,
        }
    }

    /// A column whose title is known only at run time (the generic view's).
    pub(super) fn owned(title: String, width: usize, priority: u8) -> Col {
        Col {
            title: std::borrow::Cow::Owned(title),
            width,
            priority,
            middle: false,
        }
    }

    /// Cut in the middle, keeping the distinguishing end.
    pub(super) const fn middle(mut self) -> Col {
        self.middle = true;
        self
    }
}

/// One line of a table: the first cell, then each kept column's cell (`widths[i] > 0`)
/// cut or padded to its width.
pub(super) fn row_line<'a>(
    first: Span<'a>,
    cols: &[Col],
    widths: &[usize],
    cells: impl IntoIterator<Item = (String, Style)>,
) -> Line<'a> {
    let mut spans = vec![first];
    for ((c, w), (text, style)) in cols.iter().zip(widths).zip(cells) {
        if *w > 0 {
            let cell = if c.middle {
                fit_middle(&text, *w)
            } else {
                fit(&text, *w)
            };
            spans.push(Span::styled(format!(" {cell}"), style));
        }
    }
    Line::from(spans)
}

/// One row's cells, as [`row_line`] takes them.
pub(super) type Cells = Vec<(String, Style)>;

fn cells_of(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// The widest cell of each column over `rows` (the rows on screen).
pub(super) fn natural_widths(cols: &[Col], rows: &[Cells]) -> Vec<usize> {
    let mut w: Vec<usize> = cols.iter().map(|c| cells_of(&c.title)).collect();
    for row in rows {
        for (i, (text, _)) in row.iter().enumerate() {
            if let Some(x) = w.get_mut(i) {
                *x = (*x).max(cells_of(text));
            }
        }
    }
    w
}

/// A table laid out in `width` cells: the first column's width, each column's (see
/// [`fit_columns`]; the first column as wide as its widest name of `name_widths` or its
/// `title`), and the header line drawn with them.
pub(super) fn fitted<'a>(
    cols: &[Col],
    rows: &[Cells],
    name_widths: impl Iterator<Item = usize>,
    title: &'a str,
    width: u16,
    header: Style,
    sort: &ColumnSort,
) -> (usize, Vec<usize>, Line<'a>) {
    let mut natural = natural_widths(cols, rows);
    room_for_arrow(cols, &mut natural, sort);
    let first = sorted_title(title, sort);
    let name_natural = name_widths.chain([cells_of(&first)]).max().unwrap_or(0);
    let (name_w, widths) = fit_columns(cols, &natural, name_natural, width as usize, 12);
    let line = header_line(cols, &widths, &first, name_w, header, sort);
    (name_w, widths, line)
}

/// A header title with `▲`/`▼` when the table is sorted by its column.
pub(super) fn sorted_title(title: &str, sort: &ColumnSort) -> String {
    match sort.indicator(title) {
        Some(arrow) => format!("{title}{arrow}"),
        None => title.to_owned(),
    }
}

/// The sorted column is at least as wide as its title and its arrow.
pub(super) fn room_for_arrow(cols: &[Col], natural: &mut [usize], sort: &ColumnSort) {
    for (c, n) in cols.iter().zip(natural.iter_mut()) {
        if sort.indicator(&c.title).is_some() {
            *n = (*n).max(cells_of(&c.title) + 1);
        }
    }
}

/// The header line: the first column's title (`first`, with its arrow) and each kept
/// column's, the sorted one with its arrow.
pub(super) fn header_line<'a>(
    cols: &[Col],
    widths: &[usize],
    first: &str,
    name_w: usize,
    header: Style,
    sort: &ColumnSort,
) -> Line<'a> {
    let titles = cols.iter().map(|c| (sorted_title(&c.title, sort), header));
    row_line(
        Span::styled(fit(first, name_w), header),
        cols,
        widths,
        titles,
    )
}

/// The first column's width and each column's (0: dropped) in `width` cells. Every column
/// starts as wide as its widest cell (`natural`, up to its `width`), the first column as
/// its widest name (`name_natural`). When that does not fit, columns go by priority,
/// highest first and rightmost first: those of priority 2 and up while the names cannot
/// be whole, those of priority 1 while the name would get less than `min_name`; then
/// the kept columns are cut (widest first, never below their title); a dropped column
/// comes back where room is left. So a reason or status is cut only when nothing else
/// can give way, and never while the name column holds padding.
pub(super) fn fit_columns(
    cols: &[Col],
    natural: &[usize],
    name_natural: usize,
    width: usize,
    min_name: usize,
) -> (usize, Vec<usize>) {
    let n = cols.len();
    let floor = |i: usize| cells_of(&cols[i].title).max(3);
    let mut w: Vec<usize> = (0..n)
        .map(|i| {
            let nat = natural.get(i).copied().unwrap_or(cols[i].width);
            nat.max(floor(i)).min(cols[i].width.max(floor(i)))
        })
        .collect();
    let mut keep = vec![true; n];
    let total = |keep: &[bool], w: &[usize]| -> usize {
        (0..n).filter(|&i| keep[i]).map(|i| w[i] + 1).sum()
    };
    let min_name = min_name.min(name_natural).max(1);
    let max_p = cols.iter().map(|c| c.priority).max().unwrap_or(0);
    'drop: for p in (1..=max_p).rev() {
        // the name tells rows apart: optional columns (priority 2 and up) give way while
        // it cannot be whole; the AGE-like ones (1) only while it gets less than `min_name`
        let wanted = if p >= 2 { name_natural } else { min_name };
        for i in (0..n).rev() {
            if total(&keep, &w) + wanted <= width {
                break 'drop;
            }
            if cols[i].priority == p {
                keep[i] = false;
            }
        }
    }
    // still too wide: the name and the kept columns give way in turns, each keeping enough
    // to be read: the name down to 12 cells (cut in the middle, its end still tells rows
    // apart), the columns down to 12 cells (or their title), the name down to 8, the
    // columns down to their titles
    let natural_of = |i: usize| natural.get(i).copied().unwrap_or(cols[i].width);
    let soft = |i: usize| floor(i).max(12).min(natural_of(i).max(floor(i)));
    let mut min_name = min_name;
    let shrink =
        |w: &mut Vec<usize>, keep: &[bool], min_name: usize, floor_of: &dyn Fn(usize) -> usize| {
            while total(keep, w) + min_name > width {
                let over = total(keep, w) + min_name - width;
                let Some(i) = (0..n)
                    .filter(|&i| keep[i] && w[i] > floor_of(i))
                    .max_by_key(|&i| w[i] - floor_of(i))
                else {
                    break;
                };
                w[i] -= over.min(w[i] - floor_of(i));
            }
        };
    for (name_floor, col_floor) in [
        (min_name.min(12), &soft as &dyn Fn(usize) -> usize),
        (min_name.min(8), &floor as &dyn Fn(usize) -> usize),
    ] {
        if total(&keep, &w) + min_name > width {
            min_name = width.saturating_sub(total(&keep, &w)).max(name_floor);
        }
        shrink(&mut w, &keep, min_name, col_floor);
    }
    let name_w = width
        .saturating_sub(total(&keep, &w))
        .min(name_natural)
        .max(1);
    // room left over: a dropped column comes back, most needed first
    let mut left = width.saturating_sub(total(&keep, &w) + name_w);
    let mut dropped: Vec<usize> = (0..n).filter(|&i| !keep[i]).collect();
    dropped.sort_by_key(|&i| cols[i].priority);
    for i in dropped {
        if w[i] < left {
            keep[i] = true;
            left -= w[i] + 1;
        }
    }
    let widths = (0..n).map(|i| if keep[i] { w[i] } else { 0 }).collect();
    (name_w, widths)
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
