//! The status bar: where you are, whether you may act, how fresh each source is, and the
//! keys that matter now.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::action::Action;
use crate::app::state::{FaceKind, FlashLevel, Overlay, SourceId, State};
use crate::config::keymap::KeyContext;
use crate::config::theme::Health;
use crate::pane::PaneId;

/// Draws the bar; returns the room its middle had for a message (0 while a prompt is
/// shown), which [`render_toast`] needs.
pub fn render(state: &State, frame: &mut Frame, area: Rect) -> usize {
    let theme = &state.theme;
    let bar = theme.statusbar();
    let mut left: Vec<Span> = Vec::new();
    if let Overlay::Filter(p) = &state.overlay {
        left.push(Span::styled(" /", theme.prompt().patch(bar)));
        left.push(Span::styled(crate::text::sanitize(&p.input), bar));
        left.push(Span::styled("█", bar));
        left.push(Span::styled(
            crate::app::keyhints::filter_hint(&state.keymap),
            theme.dim().patch(bar),
        ));
        crate::ui::lines::render_styled(frame.buffer_mut(), area, &[Line::from(left)], bar);
        return 0;
    }
    let (left, right) = sides(state, area.width);
    let room = room_for_message(&left, &right, area.width);
    let middle: Vec<Span> = match &state.flash {
        _ if state.ops.in_flight.is_some() => vec![Span::styled(
            truncate(
                &format!(
                    " {} {}…",
                    super::dialog::spinner(state.ops.spinner),
                    state.ops.in_flight.as_deref().unwrap_or_default()
                ),
                room,
            ),
            theme.warning(),
        )],
        Some(f) => {
            let style = flash_style(state, f.level);
            vec![Span::styled(truncate(&format!(" {}", f.text), room), style)]
        }
        None => hints(state, room),
    };
    let middle_width: usize = middle.iter().map(|s| s.content.width()).sum();
    let pad = room.saturating_sub(middle_width);
    let mut spans = left;
    spans.extend(middle);
    spans.push(Span::styled(" ".repeat(pad + 1), bar));
    spans.extend(right);
    crate::ui::lines::render_styled(frame.buffer_mut(), area, &[Line::from(spans)], bar);
    room
}

/// A status message that does not fit in the bar, shown whole in a box above it (the
/// message is kept until a key; see `State::set_flash`).
pub fn render_toast(state: &State, frame: &mut Frame, screen: Rect, status: Rect, room: usize) {
    let Some(f) = &state.flash else {
        return;
    };
    if state.ops.in_flight.is_some() || matches!(state.overlay, Overlay::Filter(_)) {
        return;
    }
    let text = format!(" {}", f.text);
    if text.width() <= room {
        return;
    }
    let width = screen.width.saturating_sub(2).min(100);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows = text.width().div_ceil(inner) as u16;
    let height = (rows + 2).min(status.y.saturating_sub(screen.y));
    if height < 3 {
        return;
    }
    let rect = Rect {
        x: screen.x + screen.width.saturating_sub(width + 1),
        y: status.y - height,
        width,
        height,
    };
    let theme = &state.theme;
    let block = ratatui::widgets::Block::default()
        .borders(ratatui::widgets::Borders::ALL)
        .border_style(flash_style(state, f.level))
        .title(" any key closes ")
        .style(theme.popup());
    frame.render_widget(ratatui::widgets::Clear, rect);
    frame.render_widget(
        Paragraph::new(Line::styled(f.text.clone(), theme.text()))
            .block(block)
            .wrap(ratatui::widgets::Wrap { trim: false }),
        rect,
    );
}

fn flash_style(state: &State, level: FlashLevel) -> ratatui::style::Style {
    let bar = state.theme.statusbar();
    match level {
        FlashLevel::Info => bar,
        FlashLevel::Warn => state.theme.warning(),
        FlashLevel::Error => state.theme.health(Health::Error).patch(bar),
    }
}

/// Columns left between the two sides for a message or the key hints.
fn room_for_message(left: &[Span], right: &[Span], width: u16) -> usize {
    let used: usize = left
        .iter()
        .chain(right.iter())
        .map(|s| s.content.width())
        .sum();
    usize::from(width).saturating_sub(used + 1)
}

/// The bar's left side (read-only badge, where, pending keys) and right side (source
/// ages, warnings). The right side has priority: the environment name and the
/// context/namespace label are cut (with `…`) so that both sides fit in `width`.
fn sides(state: &State, width: u16) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
    let right = right_side(state);
    let right_width: usize = right.iter().map(|s| s.content.width()).sum();
    let env_name = crate::app::scope::environment(state).map(|e| crate::text::sanitize(&e.name));
    let where_ = scope_label(state);
    // what the left side needs besides the two texts that may be cut
    let full = left_side(state, env_name.as_deref(), &where_);
    let full_width: usize = full.iter().map(|s| s.content.width()).sum();
    let env_width = env_name.as_deref().map_or(0, UnicodeWidthStr::width);
    let cuttable = env_width + where_.width();
    let fixed = full_width - cuttable;
    let room = usize::from(width).saturating_sub(right_width + 1 + fixed);
    if cuttable <= room {
        return (full, right);
    }
    // each keeps at least half the room (or all it needs), the other gets the rest
    let env_room = env_width.min((room / 2).max(room.saturating_sub(where_.width())));
    let where_room = room - env_room;
    let (env_name, where_) = (
        env_name.map(|n| cut(&n, env_room)),
        cut(&where_, where_room),
    );
    let left = left_side(state, env_name.as_deref(), &where_);
    (left, right)
}

/// `s` in at most `max` columns, cut with `…`.
fn cut(s: &str, max: usize) -> String {
    match max {
        0 => String::new(),
        _ => truncate(s, max),
    }
}

/// The left side with these texts for the environment name and the context/namespace.
fn left_side(state: &State, env_name: Option<&str>, where_: &str) -> Vec<Span<'static>> {
    let theme = &state.theme;
    let bar = theme.statusbar();
    let mut left: Vec<Span> = Vec::new();
    if state.scope.read_only {
        left.push(Span::styled(" READ-ONLY ", theme.read_only()));
    }
    // the environment is derived from the context and namespace, never remembered
    if let Some(env) = crate::app::scope::environment(state) {
        let style = if env.is_protected() {
            theme.danger()
        } else {
            theme.statusbar_key()
        };
        left.push(Span::styled(
            format!(" {} ", env_name.unwrap_or_default()),
            style,
        ));
        if let Some(why) = &env.invalid {
            left.push(Span::styled(format!("⚠ {why} "), theme.danger()));
        }
        left.push(Span::styled("▸", bar));
    }
    left.push(Span::styled(format!(" {where_} "), bar));
    if !state.pending_keys.is_empty() {
        let keys: Vec<String> = state.pending_keys.iter().map(ToString::to_string).collect();
        left.push(Span::styled(
            format!(" {}… ", keys.join(" ")),
            theme.statusbar_key(),
        ));
    }
    left
}

/// The right side: source ages and warnings.
fn right_side(state: &State) -> Vec<Span<'static>> {
    let theme = &state.theme;
    let bar = theme.statusbar();
    let mut right: Vec<Span> = Vec::new();
    // every live source under one word (`ci k8s logs live`), so the sources that need a
    // look (connecting, quiet, stale) and the key hints keep their room
    let mut live: Vec<&str> = Vec::new();
    for id in SourceId::ALL {
        let Some(face) = state.face(id) else {
            continue;
        };
        let style = match face.kind {
            // the bar's background, the face's colour
            FaceKind::Connecting => bar.patch(theme.health(Health::Pending)),
            FaceKind::Live => {
                live.push(id.label());
                continue;
            }
            FaceKind::Quiet => bar,
            FaceKind::Stale => bar.patch(theme.health(Health::Stale)),
        };
        right.push(Span::styled(
            format!(" {} {}", id.label(), face.text),
            style,
        ));
    }
    if !live.is_empty() {
        right.insert(
            0,
            Span::styled(
                format!(" {} live", live.join(" ")),
                bar.patch(theme.health(Health::Ok)),
            ),
        );
    }
    if !state.warnings.is_empty() {
        let key = state
            .keymap
            .key_for(KeyContext::Global, Action::ConsoleLog)
            .unwrap_or_else(|| ":log".into());
        right.push(Span::styled(
            format!(" ⚠ {} ({key}) ", state.warnings.len()),
            theme.warning(),
        ));
    }
    right.push(Span::styled(" ", bar));
    right
}

fn scope_label(state: &State) -> String {
    let ns = state.scope.namespace.as_deref().unwrap_or("all");
    let ctx = state.scope.context.as_deref().unwrap_or("current context");
    crate::text::sanitize(&format!("{ctx}/{ns}"))
}

/// The keys worth knowing in the focused pane, most useful first; as many as fit are shown.
fn wanted(pane: PaneId) -> &'static [(Action, &'static str)] {
    match pane {
        PaneId::Pipeline => &[
            (Action::Open, "jobs"),
            (Action::Promote, "approve"),
            (Action::PipelineReject, "reject"),
            (Action::PipelineRerunFailed, "re-run failed"),
            (Action::PipelineCancel, "cancel"),
            (Action::Filter, "filter"),
            (Action::Help, "help"),
        ],
        PaneId::Logs => &[
            (Action::LogsPause, "pause"),
            (Action::LogsLevel, "level"),
            (Action::LogsEnd, "follow"),
            (Action::Filter, "search"),
            (Action::Open, "detail"),
            (Action::Help, "help"),
        ],
        PaneId::Errors | PaneId::Hosts => &[
            (Action::Zoom, "zoom"),
            (Action::Filter, "filter"),
            (Action::Palette, "command"),
            (Action::Help, "help"),
        ],
        PaneId::Workloads => &[
            (Action::Rollback, "rollback"),
            (Action::Scale, "scale"),
            (Action::Promote, "promote"),
            (Action::Filter, "filter"),
            (Action::Palette, "command"),
            (Action::Help, "help"),
        ],
    }
}

fn hints(state: &State, room: usize) -> Vec<Span<'static>> {
    let ctx = KeyContext::for_pane(state.focus);
    let wanted = wanted(state.focus);
    let hint = |action: Action, label: &'static str| {
        if state.scope.read_only && action.is_operation() {
            return None;
        }
        let key = state.keymap.key_for(ctx, action)?;
        let w = key.width() + label.width() + 3;
        Some((key, label, w))
    };
    // the way to every other key is kept: room for help is set aside first, and the
    // other hints are dropped from the least useful end
    let help = wanted
        .iter()
        .find(|(a, _)| *a == Action::Help)
        .and_then(|(a, l)| hint(*a, l))
        .filter(|(_, _, w)| *w <= room);
    let mut width = help.as_ref().map_or(0, |(_, _, w)| *w);
    let mut shown = Vec::new();
    for (action, label) in wanted.iter().filter(|(a, _)| *a != Action::Help) {
        let Some(h) = hint(*action, label) else {
            continue;
        };
        if width + h.2 > room {
            break;
        }
        width += h.2;
        shown.push(h);
    }
    shown.extend(help);
    let mut out = Vec::new();
    for (key, label, _) in shown {
        out.push(Span::styled(format!(" {key}"), state.theme.statusbar_key()));
        out.push(Span::styled(format!(" {label} "), state.theme.statusbar()));
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        if out.width() + 2 > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}
