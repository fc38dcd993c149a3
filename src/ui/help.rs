//! The help overlay, generated from the active keymap: it cannot drift from behaviour.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::app::state::State;
use crate::config::keymap::KeyContext;

/// Every line of the help text (used by the view and by tests).
pub fn lines(state: &State) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let bindings = state.keymap.bindings();
    let focused_ctx = KeyContext::for_pane(state.focus);
    let mut order = vec![KeyContext::Global, focused_ctx];
    order.extend(
        KeyContext::ALL
            .iter()
            .copied()
            .filter(|c| *c != KeyContext::Global && *c != focused_ctx),
    );
    // the keys that scroll this overlay, as the active keymap binds them (`C-n/C-p` in
    // emacs, never a hard-coded `j/k`)
    let key = |a| {
        state
            .keymap
            .key_for(KeyContext::Global, a)
            .unwrap_or_else(|| "?".into())
    };
    let scroll = format!(
        "{}/{}",
        key(crate::app::Action::SelectDown),
        key(crate::app::Action::SelectUp)
    );
    let mut sections: Vec<(KeyContext, Vec<(crate::app::Action, String)>)> = Vec::new();
    for ctx in order {
        // one row per action (in the Action enum's order) with all its keys
        let mut rows: Vec<(crate::app::Action, Vec<String>)> = Vec::new();
        for (_, keys, action) in bindings.iter().filter(|(c, _, _)| *c == ctx) {
            match rows.iter_mut().find(|(a, _)| a == action) {
                Some((_, ks)) => ks.push(keys.clone()),
                None => rows.push((*action, vec![keys.clone()])),
            }
        }
        if rows.is_empty() {
            continue;
        }
        rows.sort_by_key(|a| a.0);
        let rows = rows
            .into_iter()
            .map(|(action, mut keys)| {
                // the shortest notation first: `q, C-c`
                keys.sort_by_key(|k| (k.width(), k.clone()));
                (action, keys.join(", "))
            })
            .collect();
        sections.push((ctx, rows));
    }
    // one key column for every section, as wide as its widest row (multi-key rows too)
    let width = sections
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|(_, k)| k.width()))
        .chain(
            crate::app::palette::COMMANDS
                .iter()
                .map(|(c, _, _)| c.width() + 1),
        )
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = vec![Line::styled(
        format!(
            "keymap `{}` · theme `{}` · esc closes · {scroll} scroll",
            state.keymap.name, state.theme.name
        ),
        theme.dim(),
    )];
    for (ctx, rows) in sections {
        out.push(Line::from(""));
        out.push(Line::styled(ctx.name().to_string(), theme.header()));
        if matches!(ctx, KeyContext::Dialog | KeyContext::Prompt) {
            // the ways out no keymap can take away
            let what = if ctx == KeyContext::Dialog {
                "esc and C-c always close a dialog (fixed, not in the keymap)"
            } else {
                "esc cancels (a filter is cleared), C-c closes: fixed, not in the keymap"
            };
            out.push(Line::from(vec![
                Span::styled(format!("  {}  ", " ".repeat(width)), theme.accent()),
                Span::styled(what, theme.dim()),
            ]));
        }
        for (action, keys) in rows {
            let pad = width.saturating_sub(keys.width());
            out.push(Line::from(vec![
                Span::styled(format!("  {keys}{}  ", " ".repeat(pad)), theme.accent()),
                Span::styled(format!("{:<24}", action.to_string()), theme.dim()),
                Span::styled(action.description(), theme.text()),
            ]));
        }
    }
    out.push(Line::from(""));
    out.push(Line::styled("palette (:)", theme.header()));
    for (cmd, _, desc) in crate::app::palette::COMMANDS {
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    "  :{cmd}{}  ",
                    " ".repeat(width.saturating_sub(cmd.width() + 1))
                ),
                theme.accent(),
            ),
            Span::styled(format!("{:<24}", ""), theme.dim()),
            Span::styled((*desc).to_owned(), theme.text()),
        ]));
    }
    out
}

pub fn render(state: &State, scroll: u16, frame: &mut Frame, area: Rect) {
    let popup = centered(area, 90, 85);
    let lines = lines(state);
    let max_scroll = (lines.len() as u16).saturating_sub(popup.height.saturating_sub(2));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(state.theme.popup_border())
        .title(" Help ")
        .style(state.theme.popup());
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll.min(max_scroll), 0)),
        popup,
    );
}

/// A rectangle of `pw`% × `ph`% of `area`, centred.
pub fn centered(area: Rect, pw: u16, ph: u16) -> Rect {
    let w = (area.width as u32 * pw as u32 / 100) as u16;
    let h = (area.height as u32 * ph as u32 / 100) as u16;
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
