//! Every number belongs to a scope, in the real binary: `flightdeck demo` (bad-release, the
//! sandbox's generated config, whose metrics targets are prod's) shows checkout's error
//! ratio in prod's incident hint; under `:env staging` neither the hint nor the Error-rate
//! pane borrows prod's numbers (the pane says what to add), and back in prod they return.

use crate::support::tmux;
use crate::support::tools;

use std::time::Duration;

use tmux::{Launch, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const BOUND: Duration = Duration::from_secs(30);

/// The incident hint's line (the one with the warning sign).
fn hint_line(screen: &str) -> Option<String> {
    screen
        .lines()
        .find(|l| l.contains("⚠ checkout:"))
        .map(str::to_owned)
}

#[test]
fn staging_borrows_no_error_rate_from_prod() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tmux::start(
        &tmux,
        dir.path(),
        Launch::new(format!("{} demo", tmux::sh_quote(BIN))).size(200, 50),
    );
    t.expect("prod's hint with checkout's error ratio", BOUND, |t| {
        t.bar().contains(" prod ▸ ")
            && hint_line(&t.capture()).is_some_and(|h| h.contains("error ratio"))
    });

    t.palette("env staging");
    // the pane says whose numbers are missing (or, before the fix, the hint borrows prod's)
    t.expect("staging's Error-rate pane or a borrowed hint", BOUND, |t| {
        let screen = t.capture();
        t.bar().contains(" staging ▸ ")
            && (screen.contains("no error-rate service is named for staging")
                || hint_line(&screen).is_some_and(|h| h.contains("error ratio")))
    });
    let screen = t.capture();
    assert!(
        !hint_line(&screen).is_some_and(|h| h.contains("error ratio")),
        "staging's hint uses prod's numbers:\n{screen}"
    );
    assert!(
        screen.contains("no error-rate service is named for staging"),
        "{screen}"
    );
    assert!(
        screen.contains(r#"[[metrics.target]] service = "#),
        "the pane says what to add:\n{screen}"
    );

    // back in prod, prod's numbers are asked for again
    t.palette("env prod");
    t.expect(
        "prod's hint with checkout's error ratio again",
        BOUND,
        |t| {
            t.bar().contains(" prod ▸ ")
                && hint_line(&t.capture()).is_some_and(|h| h.contains("error ratio"))
        },
    );
    t.literal("q");
    t.expect("exit", BOUND, |_| dir.path().join("exit").exists());
}
