//! Key sequences, written in keymap notation, driven through the real `update`.

use crate::support::common;

use common::{keys, state, typed};
use flightdeck::app::state::{FlashLevel, Overlay};
use flightdeck::app::{Effect, PaneId};

#[test]
fn number_keys_tab_and_sequences_move_focus() {
    let mut s = state();
    keys(&mut s, "1");
    assert_eq!(s.focus, PaneId::Pipeline);
    keys(&mut s, "tab");
    assert_eq!(s.focus, PaneId::Workloads);
    keys(&mut s, "S-tab S-tab");
    assert_eq!(s.focus, PaneId::Hosts);
    keys(&mut s, "g");
    assert_eq!(s.pending_keys.len(), 1, "g waits for the next key");
    keys(&mut s, "l");
    assert_eq!(s.focus, PaneId::Logs);
    assert!(s.pending_keys.is_empty());
}

#[test]
fn hjkl_focus_follows_the_layout() {
    let mut s = state();
    s.size = (160, 48);
    keys(&mut s, "1");
    keys(&mut s, "l");
    assert_eq!(s.focus, PaneId::Workloads, "right of Pipeline");
    keys(&mut s, "J");
    assert_eq!(s.focus, PaneId::Logs, "below Workloads");
    keys(&mut s, "h");
    assert!(
        matches!(s.focus, PaneId::Errors | PaneId::Hosts),
        "left of Logs: {:?}",
        s.focus
    );
    keys(&mut s, "K K K");
    assert_eq!(s.focus, PaneId::Pipeline);
}

#[test]
fn zoom_toggles_and_esc_unzooms() {
    let mut s = state();
    keys(&mut s, "z");
    assert!(s.zoomed);
    keys(&mut s, "esc");
    assert!(!s.zoomed);
}

#[test]
fn palette_switches_theme_with_completion() {
    let mut s = state();
    assert_eq!(s.theme.name, "dark");
    keys(&mut s, ":");
    assert!(matches!(s.overlay, Overlay::Palette(_)));
    typed(&mut s, "th");
    keys(&mut s, "tab");
    typed(&mut s, "li");
    keys(&mut s, "tab enter");
    assert_eq!(s.theme.name, "light");
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn palette_switches_keymap_and_the_new_bindings_apply() {
    let mut s = state();
    keys(&mut s, ":");
    typed(&mut s, "keymap emacs");
    keys(&mut s, "enter");
    assert_eq!(s.keymap.name, "emacs");
    keys(&mut s, "C-x 1");
    assert_eq!(s.focus, PaneId::Pipeline);
    // vim keys are gone
    keys(&mut s, "2");
    assert_eq!(s.focus, PaneId::Pipeline);
}

#[test]
fn unknown_palette_command_flashes_an_error() {
    let mut s = state();
    keys(&mut s, ":");
    typed(&mut s, "theme nope");
    keys(&mut s, "enter");
    let flash = s.flash.as_ref().expect("flash");
    assert_eq!(flash.level, FlashLevel::Error);
    assert!(
        flash.text.contains("unknown theme `nope`"),
        "{}",
        flash.text
    );
    assert_eq!(s.theme.name, "dark");
}

#[test]
fn namespace_switch_bumps_the_generation() {
    let mut s = state();
    let before = s.generation;
    keys(&mut s, ":");
    typed(&mut s, "ns payments");
    let effects = keys(&mut s, "enter");
    assert_eq!(s.scope.namespace.as_deref(), Some("payments"));
    assert_eq!(
        effects,
        vec![Effect::ScopeChanged {
            generation: before + 1
        }]
    );
    // a status for the old generation is dropped
    let stale = flightdeck::app::Event::SourceStatus {
        generation: before,
        source: flightdeck::app::state::SourceId::Kube,
        status: flightdeck::app::state::SourceStatus::Unavailable {
            reason: "old".into(),
        },
    };
    let kube_before = s
        .sources
        .get(&flightdeck::app::state::SourceId::Kube)
        .cloned();
    flightdeck::app::update(&mut s, stale);
    assert_eq!(
        s.sources
            .get(&flightdeck::app::state::SourceId::Kube)
            .cloned(),
        kube_before
    );
}

#[test]
fn filter_applies_while_typing_esc_clears() {
    let mut s = state();
    keys(&mut s, "4 /");
    typed(&mut s, "error");
    assert_eq!(s.pane(PaneId::Logs).filter, "error");
    keys(&mut s, "enter");
    assert_eq!(s.overlay, Overlay::None);
    assert_eq!(
        s.pane(PaneId::Logs).filter,
        "error",
        "enter keeps the filter"
    );
    keys(&mut s, "/ esc");
    assert_eq!(
        s.pane(PaneId::Logs).filter,
        "",
        "esc in the prompt clears it"
    );
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut s = state();
    keys(&mut s, "?");
    assert_eq!(s.overlay, Overlay::Help { scroll: 0 });
    keys(&mut s, "j j k");
    assert_eq!(s.overlay, Overlay::Help { scroll: 1 });
    keys(&mut s, "esc");
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn operations_are_refused_in_read_only() {
    let mut s = state();
    s.scope.read_only = true;
    keys(&mut s, "R");
    let flash = s.flash.as_ref().expect("flash");
    assert!(flash.text.contains("read-only"), "{}", flash.text);
}

#[test]
fn q_quits_and_unbound_keys_do_nothing() {
    let mut s = state();
    s.dirty = false;
    assert!(keys(&mut s, "Z").is_empty());
    assert!(!s.dirty, "an unbound key does not redraw");
    assert_eq!(keys(&mut s, "q"), vec![Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn a_tick_without_visible_change_does_not_redraw() {
    use flightdeck::app::state::{SourceId, SourceStatus};
    let mut s = state();
    // sources that are trying show how long ("connecting 7s"): here every one is off
    // or live (a "live" face has no age until it turns quiet after a minute)
    for id in SourceId::ALL {
        s.sources.insert(id, SourceStatus::polled(common::now()));
    }
    s.dirty = false;
    let later = common::now()
        .checked_add(jiff::SignedDuration::from_secs(7))
        .expect("time");
    flightdeck::app::update(&mut s, flightdeck::app::Event::Tick(later));
    assert!(!s.dirty, "nothing time-dependent is on screen");
    s.sources.insert(
        SourceId::Gpu,
        SourceStatus::Failing {
            error: "connection refused".into(),
            since: common::now(),
            last_ok: Some(common::now()),
        },
    );
    let even_later = later
        .checked_add(jiff::SignedDuration::from_secs(1))
        .expect("time");
    flightdeck::app::update(&mut s, flightdeck::app::Event::Tick(even_later));
    assert!(s.dirty, "a visible age moved on");
}

#[test]
fn mouse_click_focuses_the_pane_under_it() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut s = state();
    s.size = (100, 30);
    let click = |col, row| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: col,
        row,
        modifiers: KeyModifiers::NONE,
    };
    flightdeck::app::update(&mut s, flightdeck::app::Event::Mouse(click(10, 2)));
    assert_eq!(s.focus, PaneId::Pipeline);
    flightdeck::app::update(&mut s, flightdeck::app::Event::Mouse(click(70, 25)));
    assert_eq!(s.focus, PaneId::Logs);
}
