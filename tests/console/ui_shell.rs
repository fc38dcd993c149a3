//! The dashboard shell: whole-screen snapshots (colour dropped) with explicit style checks
//! on the cells that matter.

use crate::support::common;

use common::{render, state, text};
use flightdeck::app::PaneId;
use flightdeck::app::state::Overlay;
use flightdeck::config::theme::Health;
use ratatui::style::Modifier;

fn snapshot(name: &str, body: String) {
    insta::with_settings!({ filters => vec![(r"\b\d+[smhd]\b", "[age]")] }, {
        insta::assert_snapshot!(name, body);
    });
}

#[test]
fn empty_dashboard_80x24() {
    let mut s = state();
    let buf = render(&mut s, 80, 24);
    let t = text(&buf);
    for title in ["Pipeline", "Workloads", "Error rate", "Logs", "Hosts"] {
        assert!(t.contains(title), "{title} missing:\n{t}");
    }
    assert!(
        t.contains("not configured"),
        "an unconfigured source says so:\n{t}"
    );
    snapshot("empty_dashboard_80x24", t);
}

#[test]
fn empty_dashboard_160x48_marks_the_focused_pane() {
    let mut s = state();
    assert_eq!(s.focus, PaneId::Workloads);
    let buf = render(&mut s, 160, 48);
    snapshot("empty_dashboard_160x48", text(&buf));
    // Workloads is the right column's top pane: its corner is thick and in the focused style
    let corner = &buf[(80, 0)];
    assert_eq!(corner.symbol(), "┏");
    let focused = s.theme.border(true);
    assert_eq!(corner.fg, focused.fg.expect("focused border has a colour"));
    assert!(corner.modifier.contains(Modifier::BOLD));
    // an unfocused pane's corner is plain and not in the focused colour
    let plain = &buf[(0, 0)];
    assert_eq!(plain.symbol(), "┌");
    assert_ne!(plain.fg, corner.fg);
}

#[test]
fn help_overlay_is_generated_from_the_keymap() {
    let mut s = state();
    s.overlay = Overlay::Help { scroll: 0 };
    let buf = render(&mut s, 100, 40);
    let t = text(&buf);
    assert!(t.contains("Help"));
    assert!(t.contains("q, C-c"), "keys of one action share a row:\n{t}");
    let all: Vec<String> = flightdeck::ui::help::lines(&s)
        .iter()
        .map(ToString::to_string)
        .collect();
    let rollback = all
        .iter()
        .find(|l| l.contains("deploy.rollback"))
        .expect("rollback listed");
    assert!(
        rollback.trim_start().starts_with('R')
            && rollback.contains("roll back the selected deployment"),
        "{rollback}"
    );
    snapshot("help_overlay_100x40", t);
}

#[test]
fn zoomed_pane_fills_the_screen() {
    let mut s = state();
    s.focus = PaneId::Logs;
    s.zoomed = true;
    let buf = render(&mut s, 80, 24);
    let t = text(&buf);
    assert!(t.starts_with("┏ Logs"), "{t}");
    assert!(
        !t.contains("Pipeline"),
        "other panes are hidden when zoomed:\n{t}"
    );
    snapshot("zoomed_logs_80x24", t);
}

#[test]
fn too_small_notice_instead_of_a_panic() {
    let mut s = state();
    for (w, h) in [(59, 24), (80, 15), (10, 3), (1, 1), (0, 0)] {
        let buf = render(&mut s, w, h);
        if w >= 20 && h >= 3 {
            assert!(text(&buf).contains("too small"), "{w}x{h}");
        }
    }
    let buf = render(&mut s, 50, 12);
    snapshot("too_small_50x12", text(&buf));
}

#[test]
fn read_only_is_shown_in_the_status_bar_with_its_own_style() {
    let mut s = state();
    s.scope.read_only = true;
    let buf = render(&mut s, 100, 24);
    let t = text(&buf);
    let last = t.lines().nth(23).expect("status row");
    assert!(last.contains("READ-ONLY"), "{last}");
    assert!(
        !last.contains("rollback"),
        "operation hints are hidden in read-only: {last}"
    );
    let x = last.find("READ-ONLY").expect("badge") as u16;
    assert_eq!(
        buf[(x, 23)].bg,
        s.theme.read_only().bg.expect("badge background")
    );
}

#[test]
fn a_failing_source_is_marked_stale_never_live() {
    use flightdeck::app::state::{SourceId, SourceStatus};
    let mut s = state();
    let now = common::now();
    let earlier = now
        .checked_sub(jiff::SignedDuration::from_secs(125))
        .expect("time");
    s.sources.insert(
        SourceId::Kube,
        SourceStatus::Failing {
            error: "connection refused\x1b]0;pwned\x07".into(),
            since: now,
            last_ok: Some(earlier),
        },
    );
    let buf = render(&mut s, 100, 30);
    let t = text(&buf);
    assert!(t.contains("stale 2m"), "{t}");
    assert!(t.contains("connection refused"), "{t}");
    assert!(
        !t.contains("pwned") && !t.contains('\x1b'),
        "control sequences never reach the screen"
    );
    let y = t.lines().position(|l| l.contains("stale 2m")).expect("row") as u16;
    let x = t
        .lines()
        .nth(y as usize)
        .and_then(|l| l.find("stale"))
        .expect("col");
    // find the char column of the byte offset
    let col = t
        .lines()
        .nth(y as usize)
        .map(|l| l[..x].chars().count())
        .unwrap_or(0) as u16;
    assert_eq!(
        buf[(col, y)].fg,
        s.theme.health(Health::Stale).fg.expect("stale colour")
    );
}

#[test]
fn no_color_picks_mono_and_an_unknown_theme_falls_back_with_a_warning() {
    let s = common::state_builder().no_color().build();
    assert_eq!(s.theme.name, "mono");
    let mut s = common::state_builder().theme("light").no_color().build();
    assert_eq!(
        s.theme.name, "light",
        "an explicit --theme wins over NO_COLOR"
    );
    let buf = render(&mut s, 80, 24);
    assert!(text(&buf).contains("Pipeline"));
    let s = common::state_builder().theme("neon").build();
    assert_eq!(s.theme.name, "dark");
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("unknown theme `neon`")),
        "{:?}",
        s.warnings
    );
}

/// Help follows the active keymap (emacs: no `j/k`), its key column is one width for
/// every row, multi-key rows included, and `n` is described as what it does.
#[test]
fn help_columns_align_and_follow_the_emacs_keymap() {
    let mut s = state();
    flightdeck::app::update::run_command(&mut s, "keymap emacs");
    assert_eq!(s.keymap.name, "emacs");
    let all: Vec<String> = flightdeck::ui::help::lines(&s)
        .iter()
        .map(ToString::to_string)
        .collect();
    let joined = all.join("\n");
    assert!(!joined.contains("j/k"), "{joined}");
    assert!(all[0].contains("C-n/C-p scroll"), "{}", all[0]);
    // the action-name column starts at the same cell on every binding row
    let starts: std::collections::BTreeSet<usize> = all
        .iter()
        .filter_map(|l| {
            let at = ["app.", "pane.", "select.", "logs.", "workloads.", "deploy."]
                .iter()
                .filter_map(|p| l.find(&format!("  {p}")))
                .min()?;
            Some(l[..at].chars().count())
        })
        .collect();
    assert_eq!(starts.len(), 1, "{starts:?}\n{joined}");
    // default keymap: n is the next match going back in time, and says so
    let s = state();
    let all: Vec<String> = flightdeck::ui::help::lines(&s)
        .iter()
        .map(ToString::to_string)
        .collect();
    let n = all
        .iter()
        .find(|l| l.contains("logs.search-next"))
        .expect("n listed");
    assert!(n.contains("next match"), "{n}");
    assert!(!n.contains("previous"), "{n}");
}

/// An environment entry with a problem is kept protected (safety settings fail closed) and
/// the status bar says why, in the danger style.
#[test]
fn an_invalid_environment_entry_says_why_it_is_protected() {
    let src = "[[environment]]\nname = \"prod\"\nnamespace = \"shop\"\nprotected = false\nprotected = true\n";
    let (config, diags) = flightdeck::config::Config::parse_lenient("config.toml", src);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let mut s = common::state_builder()
        .config(config)
        .namespace("shop")
        .build();
    let buf = render(&mut s, 120, 30);
    let bar = text(&buf).lines().last().unwrap_or_default().to_owned();
    assert!(
        bar.contains(" prod ⚠ config line 5 invalid: protected ▸"),
        "{bar}"
    );
    let x = bar.find("⚠ config").map_or(0, |i| bar[..i].chars().count()) as u16;
    assert_eq!(buf[(x, 29)].style().fg, s.theme.danger().fg, "{bar}");
}
