//! The text under a list that does not fit: where it is cut.

/// Where a list is cut: `3 of 12 ↑ ↓` (the selected row of all), or `4–6 of 12 ↑ ↓`
/// (the rows shown) where the cursor is elsewhere, with arrows for rows above and below.
pub(super) fn cut_text(
    offset: usize,
    shown: usize,
    total: usize,
    selected: Option<usize>,
) -> String {
    let which = match selected {
        Some(s) if s < total => format!("{} of {total}", s + 1),
        _ => format!("{}–{} of {total}", offset + 1, (offset + shown).min(total)),
    };
    let up = if offset > 0 { " ↑" } else { "" };
    let down = if offset + shown < total { " ↓" } else { "" };
    format!("{which}{up}{down}")
}
