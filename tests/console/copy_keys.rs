//! `app.copy` (`Y`) and `:mouse` through the real `update`: what is copied, the cap, and
//! `[ui] clipboard = false`.

use crate::support::common;

use common::{keys, state, state_with};
use flightdeck::app::Effect;
use flightdeck::app::PaneId;

#[test]
fn y_with_nothing_selected_says_so_and_copies_nothing() {
    let mut s = state();
    s.focus = PaneId::Workloads;
    let fx = keys(&mut s, "Y");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Copy(_))), "{fx:?}");
    let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert!(flash.contains("nothing selected to copy"), "{flash}");
}

#[test]
fn clipboard_off_copies_nothing() {
    let mut c = flightdeck::config::Config::default();
    c.ui.clipboard = false;
    let mut s = state_with(c);
    let fx = keys(&mut s, "Y");
    assert!(fx.is_empty(), "{fx:?}");
    let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert!(flash.contains("copy is off"), "{flash}");
}

#[test]
fn palette_mouse_toggles_capture() {
    let mut s = state();
    assert!(s.mouse);
    let fx = flightdeck::app::update::run_command(&mut s, "mouse");
    assert!(!s.mouse);
    assert!(matches!(fx.as_slice(), [Effect::SetMouse(false)]), "{fx:?}");
    let fx = flightdeck::app::update::run_command(&mut s, "mouse");
    assert!(matches!(fx.as_slice(), [Effect::SetMouse(true)]), "{fx:?}");
}
