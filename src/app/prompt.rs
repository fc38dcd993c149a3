//! The one-line prompts (the palette `:` and the filter `/`): editing the line, keys from
//! `[keys.prompt]`, esc and C-c as fixed ways out. Pure. A palette command that is
//! accepted goes back to `update` to run.

use crossterm::event::{KeyCode as C, KeyEvent, KeyModifiers};

use super::palette;
use super::state::{Overlay, Prompt, State};
use crate::action::Action;
use crate::config::keymap::{Key, KeyContext, Lookup};
use crate::pane::PaneId;

/// Pasted text goes into the open prompt, control characters left out.
pub(crate) fn paste(state: &mut State, text: &str) {
    if let Some(prompt) = prompt_mut(state) {
        for c in text.chars().filter(|c| !c.is_control()) {
            insert_char(prompt, c);
        }
        after_prompt_edit(state);
    }
}

fn prompt_mut(state: &mut State) -> Option<&mut Prompt> {
    match &mut state.overlay {
        Overlay::Palette(p) | Overlay::Filter(p) => Some(p),
        _ => None,
    }
}

fn insert_char(prompt: &mut Prompt, c: char) {
    let byte = byte_index(&prompt.input, prompt.cursor);
    prompt.input.insert(byte, c);
    prompt.cursor += 1;
    prompt.selected = 0;
}

fn byte_index(s: &str, chars: usize) -> usize {
    s.char_indices()
        .nth(chars)
        .map(|(i, _)| i)
        .unwrap_or(s.len())
}

/// Whether `/` searches the Workloads pane's YAML view rather than filtering a table.
fn yaml_search(state: &State) -> bool {
    state.focus == PaneId::Workloads && state.workloads.yaml.is_some()
}

/// A filter applies as it is typed.
fn after_prompt_edit(state: &mut State) {
    state.dirty = true;
    if let Overlay::Filter(p) = &state.overlay {
        let text = p.input.clone();
        if yaml_search(state) {
            super::panes::workloads::yaml::set_search(state, &text);
            return;
        }
        let focus = state.focus;
        let view = state.pane_mut(focus);
        view.filter = text;
        view.selected = 0;
    }
}

/// Keys in the palette or the filter line: esc (cancel; a filter is cleared) and C-c
/// (close) are fixed, every other key means what `[keys.prompt]` binds it to, and an
/// unbound printable key is typed.
/// Returns the palette's command line to run, when one was accepted.
pub(crate) fn on_key(state: &mut State, key: KeyEvent) -> Option<String> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let is_palette = matches!(state.overlay, Overlay::Palette(_));
    state.dirty = true;
    if key.code == C::Esc {
        if !is_palette && yaml_search(state) {
            super::panes::workloads::yaml::set_search(state, "");
        } else if !is_palette {
            let focus = state.focus;
            state.pane_mut(focus).filter.clear();
        }
        state.overlay = Overlay::None;
        return None;
    }
    if ctrl && key.code == C::Char('c') {
        state.overlay = Overlay::None;
        return None;
    }
    let action = match Key::from_event(&key).map(|k| state.keymap.lookup(KeyContext::Prompt, &[k]))
    {
        Some(Lookup::Action(a)) => Some(a),
        _ => None,
    };
    let completions = match &state.overlay {
        Overlay::Palette(p) if action.is_some() => palette::completions(state, &p.input),
        _ => Vec::new(),
    };
    let prompt = prompt_mut(state)?;
    match action {
        Some(Action::PromptClose) => {
            state.overlay = Overlay::None;
            return None;
        }
        Some(Action::PromptAccept) => {
            let text = prompt.input.clone();
            let chosen = completions.get(prompt.selected).cloned();
            state.overlay = Overlay::None;
            if is_palette {
                // what is highlighted is what runs, a command or an argument alike (a
                // typed argument that is a candidate is ranked first); with nothing
                // highlighted, the line as typed
                return Some(chosen.unwrap_or(text));
            }
            return None;
        }
        Some(Action::PromptComplete) => {
            if let Some(c) = completions.get(prompt.selected) {
                let has_arg = c.contains(' ')
                    || palette::COMMANDS
                        .iter()
                        .any(|(n, a, _)| n == c && *a != palette::Arg::None);
                *prompt = Prompt::with(&if has_arg && !c.contains(' ') {
                    format!("{c} ")
                } else {
                    c.clone()
                });
            }
        }
        Some(Action::PromptNext) => {
            prompt.selected = (prompt.selected + 1).min(completions.len().saturating_sub(1))
        }
        Some(Action::PromptPrev) => prompt.selected = prompt.selected.saturating_sub(1),
        Some(Action::PromptDeleteBack) => {
            if prompt.cursor > 0 {
                let start = byte_index(&prompt.input, prompt.cursor - 1);
                let end = byte_index(&prompt.input, prompt.cursor);
                prompt.input.replace_range(start..end, "");
                prompt.cursor -= 1;
                prompt.selected = 0;
            } else if prompt.input.is_empty() && is_palette {
                state.overlay = Overlay::None;
                return None;
            }
        }
        Some(Action::PromptLeft) => prompt.cursor = prompt.cursor.saturating_sub(1),
        Some(Action::PromptRight) => {
            prompt.cursor = (prompt.cursor + 1).min(prompt.input.chars().count())
        }
        Some(Action::PromptHome) => prompt.cursor = 0,
        Some(Action::PromptEnd) => prompt.cursor = prompt.input.chars().count(),
        Some(Action::PromptClear) => *prompt = Prompt::default(),
        // `[keys.prompt]` binds only prompt actions (the parser refuses others)
        Some(_) => return None,
        None => match key.code {
            C::Char(c) if !ctrl && !c.is_control() => insert_char(prompt, c),
            _ => return None,
        },
    }
    after_prompt_edit(state);
    None
}
