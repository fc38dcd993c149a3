//! Prompt and dialog keys come from the keymap: `[keys.prompt]` and `[keys.dialog]`, with
//! esc and C-c as the fixed ways out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::dialog::{Dialog, Picker};
use super::state::{Overlay, StartOptions, State};
use super::update::{apply, update};
use super::{Action, Effect, Event};
use crate::config::keymap;

fn state(keymap: &str) -> State {
    let (assets, diags, warnings) = crate::config::load_assets(None);
    assert!(diags.is_empty() && warnings.is_empty(), "{diags:?}");
    let opts = StartOptions {
        theme: None,
        keymap: Some(keymap.into()),
        scope: Default::default(),
        no_color: false,
    };
    let now = "2026-11-23T03:02:00Z".parse().expect("timestamp");
    State::new(Default::default(), assets, Vec::new(), opts, now)
}

fn press(s: &mut State, code: KeyCode, modifiers: KeyModifiers) -> Vec<Effect> {
    update(s, Event::Key(KeyEvent::new(code, modifiers)))
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        press(s, KeyCode::Char(c), KeyModifiers::NONE);
    }
}

fn palette_input(s: &State) -> Option<(&str, usize)> {
    match &s.overlay {
        Overlay::Palette(p) => Some((p.input.as_str(), p.selected)),
        _ => None,
    }
}

#[test]
fn a_user_keymap_rebinds_the_palette_keys() {
    let mut s = state("default");
    let (user, diags) = keymap::parse(
        "mine",
        "mine.toml",
        "[keys.prompt]\nC-j = \"prompt.accept\"\nenter = \"noop\"\nC-t = \"prompt.complete\"\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    s.keymap.merge(&user.keymap);
    apply(&mut s, Action::Palette);
    typed(&mut s, "th");
    press(&mut s, KeyCode::Char('t'), KeyModifiers::CONTROL);
    assert_eq!(palette_input(&s), Some(("theme ", 0)), "C-t completes");
    typed(&mut s, "light");
    // enter is unbound now: nothing runs
    press(&mut s, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(palette_input(&s), Some(("theme light", 0)));
    press(&mut s, KeyCode::Char('j'), KeyModifiers::CONTROL);
    assert_eq!(s.overlay, Overlay::None);
    assert_eq!(s.theme.name, "light");
    // C-c stays a way out whatever the keymap binds
    apply(&mut s, Action::Palette);
    typed(&mut s, "q");
    press(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(s.overlay, Overlay::None);
    assert!(!s.quit);
}

#[test]
fn emacs_moves_through_the_palette_with_c_n_and_c_p() {
    let mut s = state("emacs");
    apply(&mut s, Action::Palette);
    typed(&mut s, "theme ");
    press(&mut s, KeyCode::Char('n'), KeyModifiers::CONTROL);
    press(&mut s, KeyCode::Char('n'), KeyModifiers::CONTROL);
    press(&mut s, KeyCode::Char('p'), KeyModifiers::CONTROL);
    assert_eq!(palette_input(&s), Some(("theme ", 1)));
    // C-a, then typed text goes in at the start
    press(&mut s, KeyCode::Char('a'), KeyModifiers::CONTROL);
    typed(&mut s, "x");
    assert_eq!(palette_input(&s).map(|p| p.0), Some("xtheme "));
    // C-g closes, esc too
    press(&mut s, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn the_filter_keeps_its_default_keys() {
    let mut s = state("default");
    apply(&mut s, Action::Filter);
    typed(&mut s, "abc");
    press(&mut s, KeyCode::Backspace, KeyModifiers::NONE);
    press(&mut s, KeyCode::Home, KeyModifiers::NONE);
    typed(&mut s, "x");
    assert_eq!(s.pane(s.focus).filter, "xab");
    press(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(s.pane(s.focus).filter, "");
    typed(&mut s, "k");
    // C-g closes and keeps the filter; esc would clear it
    press(&mut s, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(s.overlay, Overlay::None);
    assert_eq!(s.pane(s.focus).filter, "k");
    apply(&mut s, Action::Filter);
    press(&mut s, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(s.pane(s.focus).filter, "");
}

fn host_menu(s: &mut State) {
    super::dialog::open(
        s,
        Dialog::HostMenu {
            vars: Default::default(),
            names: Picker::new(vec!["drain".into(), "reboot".into()], 0),
        },
    );
}

fn picked(s: &State) -> Option<usize> {
    match &s.overlay {
        Overlay::Dialog(d) => match &**d {
            Dialog::HostMenu { names, .. } => Some(names.selected),
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn dialog_keys_follow_the_emacs_keymap() {
    let mut s = state("emacs");
    host_menu(&mut s);
    press(&mut s, KeyCode::Char('n'), KeyModifiers::CONTROL);
    assert_eq!(picked(&s), Some(1));
    press(&mut s, KeyCode::Char('p'), KeyModifiers::CONTROL);
    assert_eq!(picked(&s), Some(0));
    // `j` means nothing in emacs
    press(&mut s, KeyCode::Char('j'), KeyModifiers::NONE);
    assert_eq!(picked(&s), Some(0));
    press(&mut s, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn going_on_in_a_dialog_is_bindable() {
    let mut s = state("default");
    let (user, diags) = keymap::parse(
        "mine",
        "mine.toml",
        "[keys.dialog]\nenter = \"noop\"\nspace = \"dialog.next\"\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    s.keymap.merge(&user.keymap);
    host_menu(&mut s);
    press(&mut s, KeyCode::Char('j'), KeyModifiers::NONE);
    assert!(press(&mut s, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert_eq!(picked(&s), Some(1));
    let fx = press(&mut s, KeyCode::Char(' '), KeyModifiers::NONE);
    assert!(
        matches!(fx.as_slice(), [Effect::PlanOperation(crate::ops::Operation::Host { action, .. })] if action == "reboot"),
        "{fx:?}"
    );
}

#[test]
fn pickers_page() {
    let mut s = state("default");
    super::dialog::open(
        &mut s,
        Dialog::HostMenu {
            vars: Default::default(),
            names: Picker::new((0..30).map(|i| i.to_string()).collect(), 0),
        },
    );
    press(&mut s, KeyCode::PageDown, KeyModifiers::NONE);
    assert_eq!(picked(&s), Some(super::picker::PAGE));
    press(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(picked(&s), Some(0));
}
