//! Operation dialogs: confirmation, replica prompt, revision picker, host-action menu,
//! the audit viewer. Names from the cluster are sanitized before they reach the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::dialog::Dialog;
use crate::app::state::{FaceKind, SourceId, State};
use crate::text::sanitize;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

pub fn spinner(frame: usize) -> &'static str {
    SPINNER[frame % SPINNER.len()]
}

pub fn render(state: &State, dialog: &Dialog, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    // the key line, from the active keymap
    let keys = crate::app::keyhints::dialog_footer(&state.keymap, dialog);
    let (title, lines): (String, Vec<Line>) = match dialog {
        Dialog::Planning { title, cluster } => {
            let mut lines = vec![Line::from(format!(
                "{} reading the object and running a server dry run…  {keys}",
                spinner(state.ops.spinner)
            ))];
            // the plan waits on a server that has not answered lately: say so meanwhile
            if let Some(face) = state
                .face(SourceId::Kube)
                .filter(|f| *cluster && f.kind == FaceKind::Stale)
            {
                lines.push(Line::styled(
                    format!(
                        "⚠ k8s {}: no plan without the API server's answer",
                        face.text
                    ),
                    theme.warning(),
                ));
            }
            (format!(" {} ", sanitize(title)), lines)
        }
        Dialog::Quit => (
            " quit? ".into(),
            vec![
                Line::styled(
                    format!(
                        "{} is still running.",
                        sanitize(state.ops.in_flight.as_deref().unwrap_or("an operation"))
                    ),
                    theme.warning(),
                ),
                Line::from("Quit anyway? It is stopped, and the audit log says how it ended."),
                Line::from(""),
                Line::styled(keys, theme.dim()),
            ],
        ),
        Dialog::Confirm { plan, typed } => {
            let t = plan.op.target();
            let github = plan.op.is_github();
            let mut l = if github {
                // GitHub operations act on the configured repository, not a cluster
                let repo = state.config.github.as_ref().map(|g| g.repo.as_str());
                vec![kv(
                    state,
                    "repository",
                    repo.unwrap_or("(no [github] configured)"),
                )]
            } else {
                vec![
                    kv(state, "context", &t.context),
                    kv(state, "namespace", &t.namespace),
                ]
            };
            l.extend([
                kv(state, "object", &t.name),
                kv(state, "before", &plan.before),
                kv(state, "after", &plan.after),
            ]);
            for n in &plan.notes {
                l.push(Line::styled(format!("  {}", sanitize(n)), theme.warning()));
            }
            l.push(Line::from(""));
            if let Some(why) = &plan.refused {
                l.push(Line::styled(
                    format!("refused: {}", sanitize(why)),
                    theme.warning(),
                ));
                l.push(Line::styled(keys, theme.dim()));
            } else if let Some(name) = &plan.type_to_confirm {
                l.push(Line::from(vec![
                    Span::styled(
                        format!("type {} to confirm: ", sanitize(name)),
                        theme.prompt(),
                    ),
                    Span::styled(format!("{}█", sanitize(typed)), theme.text()),
                ]));
                l.push(Line::styled(keys, theme.dim()));
            } else {
                l.push(Line::styled(keys, theme.dim()));
            }
            (format!(" {} ", sanitize(&plan.title)), l)
        }
        Dialog::Replicas {
            target,
            current,
            input,
            selected,
            kind,
        } => (
            format!(" Scale {}/{} ", kind.resource(), sanitize(&target.name)),
            vec![
                kv(state, "now", &format!("replicas {current}")),
                Line::from(vec![
                    Span::styled("  replicas: ", theme.prompt()),
                    // the pre-filled value shows selected: typing replaces it
                    if *selected {
                        Span::styled(input.clone(), theme.text().add_modifier(Modifier::REVERSED))
                    } else {
                        Span::styled(input.clone(), theme.text())
                    },
                    Span::styled("█", theme.text()),
                ]),
                Line::from(""),
                Line::styled(keys, theme.dim()),
            ],
        ),
        Dialog::Revisions { target, rows, kind } => {
            let mut l = vec![Line::styled(
                format!(
                    "  {:<5} {:<36} {:<24} {}",
                    "REV", "IMAGE", "CHANGE-CAUSE", "AGE"
                ),
                theme.header(),
            )];
            for (i, r) in rows.iter().enumerate() {
                let mark = if r.current {
                    " (current)"
                } else if i == 1 {
                    " (previous)"
                } else {
                    ""
                };
                let style = if i == rows.selected {
                    theme.selection(true)
                } else {
                    theme.text()
                };
                l.push(Line::styled(
                    format!(
                        "  {:<5} {:<36} {:<24} {}{mark}",
                        r.revision,
                        sanitize(&r.image),
                        sanitize(&r.change_cause),
                        r.age
                    ),
                    style,
                ));
            }
            l.push(Line::from(""));
            l.push(Line::styled(keys, theme.dim()));
            (
                format!(
                    " Roll back {}/{} to… ",
                    kind.resource(),
                    sanitize(&target.name)
                ),
                l,
            )
        }
        Dialog::HostMenu { vars, names } => {
            let mut l = vec![kv(state, "deployment", &vars.deployment)];
            for (i, n) in names.iter().enumerate() {
                let style = if i == names.selected {
                    theme.selection(true)
                } else {
                    theme.text()
                };
                l.push(Line::styled(format!("  {}", sanitize(n)), style));
            }
            l.push(Line::from(""));
            l.push(Line::styled(keys, theme.dim()));
            (" Host actions ".into(), l)
        }
        Dialog::Backups { service, backups } => {
            let mut l = vec![Line::styled("  BACKUP (newest first)", theme.header())];
            for (i, b) in backups.iter().enumerate() {
                let style = if i == backups.selected {
                    theme.selection(true)
                } else {
                    theme.text()
                };
                let mark = if i == 0 { " (newest)" } else { "" };
                l.push(Line::styled(format!("  {}{mark}", sanitize(b)), style));
            }
            l.push(Line::from(""));
            l.push(Line::styled(keys, theme.dim()));
            (format!(" Roll back {} to… ", sanitize(service)), l)
        }
        Dialog::Audit { lines } => {
            let height = area.height.saturating_sub(6) as usize;
            let l = lines[lines.window(height)]
                .iter()
                .map(|s| Line::styled(sanitize(s), theme.text()))
                .collect();
            (keys, l)
        }
    };
    let wide = matches!(dialog, Dialog::Audit { .. } | Dialog::Revisions { .. });
    let width = area
        .width
        .saturating_sub(4)
        .min(if wide { 110 } else { 76 });
    // wrapped here, not by the paragraph: continuation rows keep the line's indent, and
    // the height is known, so the key line at the bottom is never cut off
    let mut lines = wrap_indented(lines, usize::from(width.saturating_sub(2)));
    let room = usize::from(area.height.saturating_sub(4)).max(3);
    if lines.len() > room {
        // keep the top and the key line, say what was left out in between
        let keys = lines.split_off(lines.len() - 1);
        let cut = lines.len() - (room - 2);
        lines.truncate(room - 2);
        lines.push(Line::styled(
            format!("  … {cut} more lines (widen the terminal)"),
            theme.dim(),
        ));
        lines.extend(keys);
    }
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.popup_border())
        .title(title)
        .style(theme.popup());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// Wraps each line to `width` cells at spaces where it can; continuation rows start at the
/// line's indent (its leading spaces, or for a `key  value` row the value's column).
fn wrap_indented(lines: Vec<Line<'_>>, width: usize) -> Vec<Line<'_>> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(8);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let cells: Vec<(char, ratatui::style::Style)> = line
            .spans
            .iter()
            .flat_map(|s| {
                let style = line.style.patch(s.style);
                s.content.chars().map(move |c| (c, style))
            })
            .collect();
        let indent = match line.spans.as_slice() {
            // kv rows: the label span is padded, the value starts after it
            [label, _, ..] if label.content.trim().len() < label.content.len() => {
                label.content.chars().count()
            }
            _ => cells.iter().take_while(|(c, _)| *c == ' ').count(),
        }
        .min(width / 2);
        let mut start = 0;
        let mut first = true;
        while start < cells.len() {
            let lead = if first { 0 } else { indent };
            let avail = width - lead;
            let mut used = 0;
            let mut end = start;
            let mut last_space = None;
            while end < cells.len() {
                let w = cells[end].0.width().unwrap_or(0);
                if used + w > avail {
                    break;
                }
                if cells[end].0 == ' ' {
                    last_space = Some(end);
                }
                used += w;
                end += 1;
            }
            if end < cells.len()
                && let Some(sp) = last_space.filter(|sp| *sp > start)
            {
                end = sp + 1;
            }
            if end == start {
                end += 1;
            }
            let mut spans = Vec::new();
            if lead > 0 {
                spans.push(Span::raw(" ".repeat(lead)));
            }
            let mut run = String::new();
            let mut run_style = cells[start].1;
            for &(c, style) in &cells[start..end] {
                if style != run_style && !run.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut run), run_style));
                }
                run_style = style;
                run.push(c);
            }
            spans.push(Span::styled(run, run_style));
            out.push(Line::from(spans));
            start = end;
            first = false;
            // a continuation does not start with the space it broke at
            while start < cells.len() && cells[start].0 == ' ' {
                start += 1;
            }
        }
    }
    out
}

fn kv<'a>(state: &State, key: &str, value: &str) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("  {key:<10} "), state.theme.dim()),
        Span::styled(sanitize(value), state.theme.text()),
    ])
}
