//! Lines of text into the frame, cell for cell as `Paragraph::new(lines).style(style)`
//! draws them (no wrap, no scroll: each line on its row, cut at the area's right edge,
//! then aligned), without segmenting plain text into graphemes. ratatui looks up every
//! character in Unicode's grapheme tables; a span of printable ASCII — nearly every cell
//! of a table — is one cell per byte, written straight into the buffer. Half of a 200x60
//! dashboard frame went to those lookups. Anything else (wide characters, combining
//! marks, emoji) takes ratatui's own way, so both draw the same cells
//! (`same_cells_as_paragraph` below).

use ratatui::Frame;
use ratatui::buffer::{Buffer, CellWidth};
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use unicode_segmentation::UnicodeSegmentation;

/// `frame.render_widget(Paragraph::new(lines), area)`, faster.
pub fn render(frame: &mut Frame, area: Rect, lines: &[Line]) {
    render_styled(frame.buffer_mut(), area, lines, Style::default());
}

/// `Paragraph::new(lines).style(style)` into `buf`.
pub fn render_styled(buf: &mut Buffer, area: Rect, lines: &[Line], style: Style) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    if style != Style::default() {
        buf.set_style(area, style);
    }
    for (line, y) in lines.iter().zip(area.top()..area.bottom()) {
        put(buf, area.x, y, area.width, line);
    }
}

/// Printable ASCII: one grapheme, one cell, per byte.
fn plain(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// One line at (`x`, `y`) in `width` cells.
fn put(buf: &mut Buffer, x: u16, y: u16, width: u16, line: &Line) {
    let max = width as usize;
    let alignment = line.alignment.unwrap_or(Alignment::Left);
    // the width drawn once cut, which places a centred or right-aligned line
    let shown = if alignment == Alignment::Left {
        0
    } else {
        let mut w = 0;
        graphemes(line, max, |_, _, gw| w += gw);
        w
    };
    let offset = match alignment {
        Alignment::Left => 0,
        Alignment::Center => (max / 2).saturating_sub(shown / 2),
        Alignment::Right => max.saturating_sub(shown),
    };
    let row = buf.index_of(x, y);
    let mut at = offset;
    graphemes(line, max, |symbol, style, gw| {
        if gw > 0 {
            let cell = &mut buf.content[row + at];
            match symbol {
                Symbol::Byte(b) => cell.set_char(char::from(b)),
                Symbol::Str(s) => cell.set_symbol(s),
            };
            cell.set_style(style);
            at += gw;
        }
    });
}

enum Symbol<'a> {
    Byte(u8),
    Str(&'a str),
}

/// The line's graphemes with their style and width, as far as `max` cells hold them
/// (ratatui's `LineTruncator`: a grapheme wider than the whole width is left out; the
/// first that does not fit ends the line).
fn graphemes<'a>(line: &'a Line, max: usize, mut each: impl FnMut(Symbol<'a>, Style, usize)) {
    let mut used = 0;
    for span in &line.spans {
        let style = line.style.patch(span.style);
        let text: &str = &span.content;
        if plain(text) {
            let n = text.len().min(max - used);
            for &b in &text.as_bytes()[..n] {
                each(Symbol::Byte(b), style, 1);
            }
            used += n;
            if n < text.len() {
                return;
            }
            continue;
        }
        for g in text.graphemes(true) {
            if g.contains(char::is_control) {
                continue;
            }
            let w = g.cell_width() as usize;
            if w > max {
                continue;
            }
            if used + w > max {
                return;
            }
            each(Symbol::Str(g), style, w);
            used += w;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier, Stylize};
    use ratatui::text::Span;
    use ratatui::widgets::{Paragraph, Widget};

    fn both(lines: &[Line], area: Rect, style: Style) -> (Buffer, Buffer) {
        let canvas = Rect::new(0, 0, 24, 8);
        let mut ours = Buffer::empty(canvas);
        let mut theirs = Buffer::empty(canvas);
        // something underneath, as a frame has after a block's border
        for b in [&mut ours, &mut theirs] {
            b.set_string(
                0,
                1,
                "underneath underneath xx",
                Style::new().fg(Color::Blue),
            );
        }
        render_styled(&mut ours, area, lines, style);
        Paragraph::new(lines.to_vec())
            .style(style)
            .render(area, &mut theirs);
        (ours, theirs)
    }

    #[test]
    fn same_cells_as_paragraph() {
        let red = Style::new().fg(Color::Red);
        let sel = Style::new()
            .bg(Color::DarkGray)
            .add_modifier(Modifier::BOLD);
        let cases: Vec<Vec<Line>> = vec![
            vec![Line::from(
                "plain ascii that is longer than the area is wide",
            )],
            vec![
                Line::from(vec![
                    Span::styled("ok ", red),
                    Span::raw("checkout-7d4b9c"),
                    Span::styled(" 3/3", Style::new().fg(Color::Green)),
                ])
                .patch_style(sel),
            ],
            vec![Line::from("✓ ready  ↑ ↓ 漢字かな wide")],
            vec![Line::from("漢字漢字漢字漢字漢字漢字漢字")],
            vec![Line::from(
                "e\u{301}combining a\u{308} and 👍🏽 emoji ❤\u{fe0f}",
            )],
            vec![Line::from("tab\there\u{7}bell\u{1b}[31m esc")],
            vec![Line::from("3 of 12 ↑ ↓ ").right_aligned()],
            vec![Line::from("centred text").centered()],
            vec![Line::from("a right-aligned line too long for the area").right_aligned()],
            vec![Line::from("漢字 centred and far too long to fit").centered()],
            vec![
                Line::from("one"),
                Line::from(""),
                Line::from(vec!["two".bold(), " three".italic()]),
                Line::from("four"),
                Line::from("five"),
                Line::from("six"),
            ],
        ];
        for style in [Style::default(), Style::new().bg(Color::Black)] {
            for lines in &cases {
                for area in [
                    Rect::new(0, 0, 24, 8),
                    Rect::new(3, 1, 10, 3),
                    Rect::new(5, 2, 1, 1),
                    Rect::new(2, 2, 0, 3),
                    Rect::new(20, 6, 10, 10),
                ] {
                    let (ours, theirs) = both(lines, area, style);
                    assert_eq!(ours, theirs, "{lines:?} in {area:?}");
                }
            }
        }
    }
}
