//! `app.copy` and `:mouse`: what is copied to the local clipboard (OSC 52, written by the
//! console through the terminal backend), and releasing the mouse so the terminal can
//! select text. Decisions only; the escape sequences are `term`'s.

use super::event::Effect;
use super::state::{FlashLevel, State};
use crate::pane::PaneId;

/// The most that is copied: OSC 52 payloads beyond this are cut by many terminals and
/// tmux anyway.
pub const COPY_CAP: usize = 100 * 1024;

/// The text of the focused pane's selection: the Workloads YAML view's object, the
/// selected pod or workload's name, the newest log line shown, the selected pipeline
/// run's URL or title. None when nothing is selected.
pub fn selection_text(state: &State) -> Option<String> {
    use super::panes::workloads::{self, Section};
    match state.focus {
        PaneId::Workloads => {
            if let Some(view) = &state.workloads.yaml {
                if view.lines.is_empty() {
                    return None;
                }
                return Some(view.lines.join("\n"));
            }
            match &state.workloads.section {
                Section::Pods { .. } => {
                    let pods = workloads::visible_pods(state);
                    let sel = state
                        .pane(PaneId::Workloads)
                        .selected
                        .min(pods.len().saturating_sub(1));
                    pods.get(sel).map(|p| p.key.name.clone())
                }
                Section::Deployments => workloads::current_workload(state).map(|w| w.key.name),
            }
        }
        PaneId::Logs => {
            let q = super::panes::logs::query(state);
            state.logs.export(&q).pop()
        }
        _ => None,
    }
}

/// Cuts `text` to at most `cap` bytes at a character boundary.
pub fn capped(text: &str, cap: usize) -> &str {
    if text.len() <= cap {
        return text;
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `app.copy`: the selection, sanitised (line breaks kept) and capped, as an OSC 52 copy.
pub fn copy(state: &mut State) -> Vec<Effect> {
    if !state.config.ui.clipboard {
        state.set_flash(
            FlashLevel::Warn,
            "copy is off ([ui] clipboard = false)".into(),
        );
        return Vec::new();
    }
    let Some(text) = selection_text(state) else {
        state.set_flash(FlashLevel::Info, "nothing selected to copy here".into());
        return Vec::new();
    };
    let clean: Vec<String> = text.split('\n').map(crate::text::sanitize).collect();
    let clean = clean.join("\n");
    let cut = capped(&clean, COPY_CAP);
    let lines = cut.lines().count().max(1);
    let note = if cut.len() < clean.len() {
        format!(" (cut to {} KB)", COPY_CAP / 1024)
    } else {
        String::new()
    };
    let summary = if lines == 1 {
        format!("copied `{}`{note}", capped(cut, 60))
    } else {
        format!("copied {lines} lines{note}")
    };
    state.set_flash(FlashLevel::Info, summary);
    vec![Effect::Copy(cut.to_owned())]
}

/// `:mouse`: leave the mouse to the terminal (to select text) or capture it again.
pub fn toggle_mouse(state: &mut State) -> Vec<Effect> {
    state.mouse = !state.mouse;
    let text = if state.mouse {
        "mouse captured (clicks and wheel work the panes); :mouse to release it"
    } else {
        "mouse released: select text with it to copy; :mouse to capture it again"
    };
    state.set_flash(FlashLevel::Info, text.into());
    vec![Effect::SetMouse(state.mouse)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_at_a_character_boundary() {
        assert_eq!(capped("abc", 10), "abc");
        assert_eq!(capped("aé", 2), "a");
        assert_eq!(capped("aéb", 3), "aé");
    }
}
