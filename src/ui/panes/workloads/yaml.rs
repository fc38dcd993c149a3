//! The Workloads pane's YAML view and describe page: the whole pane, titled `YAML ─
//! kind/name ─ namespace` (or `Describe ─ …`, its Warning events highlighted),
//! the lines that fit from the scroll position, matches of the search highlighted (the
//! current one's line marked), and where you are at the bottom. Lines were sanitised
//! when they arrived; names in the title are sanitised here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::app::panes::workloads::yaml::YamlView;
use crate::app::state::State;
use crate::config::theme::Health;
use crate::pane::PaneId;
use crate::text::{clean, fit};

pub fn render(state: &State, view: &YamlView, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let focused = state.focus == PaneId::Workloads;
    // a cluster-scoped object (a node) has no namespace to name
    let namespace = if view.key.namespace.is_empty() {
        String::new()
    } else {
        format!(" ─ {}", clean(&view.key.namespace))
    };
    let title = format!(
        " {} ─ {}/{}{namespace} ",
        if view.describe { "Describe" } else { "YAML" },
        view.resource
            .as_ref()
            .map_or(view.kind.resource(), |r| r.singular.as_str()),
        clean(&view.key.name),
    );
    let body_h = area.height.saturating_sub(3) as usize;
    let len = view.lines.len();
    let top = view.scroll.min(len.saturating_sub(body_h.max(1)));
    let mut position = if len == 0 {
        " 0 lines ".to_owned()
    } else {
        format!(
            " {}-{} of {} ",
            top + 1,
            (top + body_h).min(len),
            crate::text::count(len as u64, "line", "lines")
        )
    };
    if !view.search.is_empty() {
        let at = view.current.map_or("-".to_owned(), |i| (i + 1).to_string());
        position = format!(
            " /{} {at}/{} ─{position}",
            clean(&view.search),
            view.matches.len()
        );
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(focused))
        .title(Line::from(Span::styled(title, theme.title(focused))))
        .title_bottom(Line::from(Span::styled(position, theme.dim())).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let mut area = inner;
    // one line of state above the text: fetching, or why the last fetch failed
    let status = if let Some(e) = &view.error {
        Line::styled(
            fit(&format!("✗ {}", clean(e)), area.width as usize),
            theme.health(Health::Error),
        )
    } else if view.loading {
        Line::styled("fetching…", theme.dim())
    } else {
        Line::styled(
            fit(
                &if view.describe {
                    crate::app::keyhints::describe_hint(&state.keymap)
                } else {
                    crate::app::keyhints::yaml_hint(&state.keymap)
                },
                area.width as usize,
            ),
            theme.dim(),
        )
    };
    frame.render_widget(Paragraph::new(status), Rect { height: 1, ..area });
    area.y += 1;
    area.height -= 1;
    if len == 0 {
        return;
    }
    let pattern = (!view.search.is_empty()).then(|| {
        regex::RegexBuilder::new(&regex::escape(&view.search))
            .case_insensitive(true)
            .build()
            .ok()
    });
    let current_line = view.current.and_then(|i| view.matches.get(i)).copied();
    let lines: Vec<Line> = view
        .lines
        .iter()
        .enumerate()
        .skip(top)
        .take(area.height as usize)
        .map(|(i, l)| {
            let base = if Some(i) == current_line {
                theme.selection(focused)
            } else if view.warnings.binary_search(&i).is_ok() {
                theme.health(Health::Warn)
            } else {
                theme.text()
            };
            Line::from(highlight(
                l,
                pattern.as_ref().and_then(Option::as_ref),
                base,
                theme.matched(),
            ))
        })
        .collect();
    // not wrapped: a screen line is a line of the text, so the position shown is true
    frame.render_widget(Paragraph::new(lines), area);
}

fn highlight<'a>(
    text: &'a str,
    re: Option<&regex::Regex>,
    base: Style,
    matched: Style,
) -> Vec<Span<'a>> {
    let Some(re) = re else {
        return vec![Span::styled(text, base)];
    };
    let mut out = Vec::new();
    let mut at = 0;
    for m in re.find_iter(text) {
        if m.start() == m.end() {
            continue;
        }
        if m.start() > at {
            out.push(Span::styled(&text[at..m.start()], base));
        }
        out.push(Span::styled(&text[m.start()..m.end()], base.patch(matched)));
        at = m.end();
    }
    if at < text.len() {
        out.push(Span::styled(&text[at..], base));
    }
    out
}
