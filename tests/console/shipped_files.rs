//! Every shipped theme and keymap parses clean, and the keymaps bind every action once.

use std::collections::BTreeSet;

use flightdeck::app::Action;
use flightdeck::config::keymap::{self, KeyContext};
use flightdeck::config::{self, BUNDLED_KEYMAPS, BUNDLED_THEMES, theme};

#[test]
fn every_shipped_theme_parses_clean() {
    assert!(BUNDLED_THEMES.len() >= 4);
    for (name, src) in BUNDLED_THEMES {
        let (file, diags) = theme::parse(name, src);
        assert!(diags.is_empty(), "{name}: {diags:#?}");
        if *name != "mono" {
            for scope in [
                "ui.border.focused",
                "health.ok",
                "health.warn",
                "health.error",
                "health.stale",
            ] {
                assert!(file.styles.contains_key(scope), "{name} sets no {scope}");
            }
        }
    }
    // mono has no colour at all
    let (mono, _) = theme::parse(
        "mono",
        BUNDLED_THEMES
            .iter()
            .find(|(n, _)| *n == "mono")
            .map(|(_, s)| *s)
            .unwrap_or(""),
    );
    for (scope, style) in &mono.styles {
        assert!(
            style.fg.is_none() && style.bg.is_none(),
            "mono sets a colour on {scope}"
        );
    }
}

#[test]
fn every_shipped_keymap_parses_clean() {
    for (name, src) in BUNDLED_KEYMAPS {
        let (_, diags) = keymap::parse(name, name, src);
        assert!(diags.is_empty(), "{name}: {diags:#?}");
    }
    let (assets, diags, warnings) = config::load_assets(None);
    assert!(diags.is_empty() && warnings.is_empty());
    assert_eq!(assets.keymap_names(), vec!["default", "emacs"]);
    assert_eq!(
        assets.theme_names(),
        vec!["dark", "high-contrast", "light", "mono"]
    );
}

#[test]
fn default_keymap_matches_the_design_table() {
    let (assets, _, _) = config::load_assets(None);
    let km = &assets.keymaps["default"];
    for (key, action) in [
        ("1", "pane.focus pipeline"),
        ("5", "pane.focus gpu"),
        ("tab", "pane.next"),
        ("S-tab", "pane.prev"),
        ("j", "select.down"),
        ("k", "select.up"),
        ("enter", "select.open"),
        ("esc", "app.back"),
        ("z", "pane.zoom"),
        ("/", "pane.filter"),
        (":", "app.palette"),
        ("?", "app.help"),
        ("q", "app.quit"),
        ("R", "deploy.rollback"),
        ("s", "deploy.scale"),
        ("r", "deploy.restart"),
        ("P", "deploy.promote"),
        ("x", "host.actions"),
    ] {
        let k = keymap::Key::parse(key).expect(key);
        assert_eq!(
            km.lookup(KeyContext::Global, &[k]),
            keymap::Lookup::Action(Action::parse(action).expect(action)),
            "{key}"
        );
    }
    let y = keymap::Key::parse("y").expect("y");
    assert_eq!(
        km.lookup(KeyContext::Dialog, &[y]),
        keymap::Lookup::Action(Action::Confirm)
    );
}

/// No pane context binds a key that hides a global binding, and every user-facing action
/// is reachable from every shipped keymap.
#[test]
fn no_duplicate_or_shadowed_bindings_and_every_action_is_bound() {
    let (assets, _, _) = config::load_assets(None);
    for (name, km) in &assets.keymaps {
        let global: BTreeSet<String> = km
            .bindings()
            .into_iter()
            .filter(|(c, _, _)| *c == KeyContext::Global)
            .map(|(_, k, _)| k)
            .collect();
        let mut bound = BTreeSet::new();
        for (ctx, keys, action) in km.bindings() {
            bound.insert(action.to_string());
            if !matches!(
                ctx,
                KeyContext::Global | KeyContext::Help | KeyContext::Dialog | KeyContext::Prompt
            ) {
                assert!(
                    !global.contains(&keys),
                    "{name}: `{keys}` in {} shadows a global binding",
                    ctx.name()
                );
            }
        }
        for action in Action::all_names() {
            if action == "noop" || action == "dialog.confirm" || action == "dialog.cancel" {
                continue;
            }
            assert!(bound.contains(&action), "{name}: `{action}` has no key");
        }
    }
}
