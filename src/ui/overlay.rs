//! The command palette and the console's own log.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::help::centered;
use crate::app::palette;
use crate::app::state::{Prompt, State};

pub fn palette(state: &State, prompt: &Prompt, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let completions = palette::completions(state, &prompt.input);
    let shown = completions.len().min(8);
    let width = area.width.saturating_sub(4).min(70);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + 1,
        width,
        height: (shown as u16 + 3).min(area.height.saturating_sub(2)),
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(":", theme.prompt()),
        Span::styled(crate::text::sanitize(&prompt.input), theme.text()),
        Span::styled("█", theme.text()),
    ])];
    let start = prompt.selected.saturating_sub(shown.saturating_sub(1));
    for (i, c) in completions.iter().enumerate().skip(start).take(shown) {
        let cmd = c.split_whitespace().next().unwrap_or("");
        let desc = if c.contains(' ') {
            String::new()
        } else {
            palette::describe_in(state, cmd).unwrap_or_default()
        };
        let style = if i == prompt.selected {
            theme.selection(true)
        } else {
            theme.text()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {c:<20}"), style),
            Span::styled(format!(" {desc}"), theme.dim()),
        ]));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.popup_border())
        .title(crate::app::keyhints::palette_title(&state.keymap))
        .style(theme.popup());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

pub fn console_log(state: &State, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let popup = centered(area, 90, 70);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.popup_border())
        .title(" flightdeck log · esc closes ")
        .style(theme.popup());
    frame.render_widget(Clear, popup);
    let widget = tui_logger::TuiLoggerWidget::default()
        .block(block)
        .style(theme.popup())
        .formatter(Box::new(SafeLines {
            levels: [
                log::Level::Error,
                log::Level::Warn,
                log::Level::Info,
                log::Level::Debug,
                log::Level::Trace,
            ]
            .map(|l| theme.log_level(l)),
        }));
    frame.render_widget(widget, popup);
}

/// Lays out the console log's records as `HH:MM:SS L message`, wrapped to the width with
/// continuation rows indented. Each message passes the sanitiser here too, whatever wrote
/// it into tui-logger's buffer: nothing reaches the terminal around `crate::text`.
struct SafeLines {
    /// Error, warn, info, debug, trace.
    levels: [Style; 5],
}

const INDENT: usize = 11;

impl tui_logger::LogFormatter for SafeLines {
    fn min_width(&self) -> u16 {
        INDENT as u16 + 4
    }

    fn format(&self, width: usize, evt: &tui_logger::ExtLogRecord) -> Vec<Line<'_>> {
        let (style, abbr) = match evt.level {
            log::Level::Error => (self.levels[0], 'E'),
            log::Level::Warn => (self.levels[1], 'W'),
            log::Level::Info => (self.levels[2], 'I'),
            log::Level::Debug => (self.levels[3], 'D'),
            log::Level::Trace => (self.levels[4], 'T'),
        };
        let head = format!("{} {abbr} ", evt.timestamp.strftime("%H:%M:%S"));
        let mut rows: Vec<Line> = Vec::new();
        for (i, line) in evt.msg().split('\n').enumerate() {
            let text = crate::text::sanitize(line);
            let first = if i == 0 {
                head.clone()
            } else {
                " ".repeat(INDENT)
            };
            wrap_into(&mut rows, first, &text, width, style);
        }
        rows
    }
}

/// Appends `prefix` + `text` as rows of at most `width` cells; later rows are indented.
fn wrap_into(rows: &mut Vec<Line<'_>>, prefix: String, text: &str, width: usize, style: Style) {
    let width = width.max(INDENT + 1);
    let mut row = prefix;
    let mut used = row.width();
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            rows.push(Line::styled(std::mem::take(&mut row), style));
            row = " ".repeat(INDENT);
            used = INDENT;
        }
        row.push(c);
        used += w;
    }
    rows.push(Line::styled(row, style));
}
