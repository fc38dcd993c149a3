//! The whole screen with a dialog over it: the dialog's footer names the active keymap's
//! keys.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::dialog::{Dialog, Picker};
use crate::app::state::{Overlay, StartOptions, State};

fn screen(keymap: &str, dialog: Dialog) -> String {
    let (assets, _, _) = crate::config::load_assets(None);
    let opts = StartOptions {
        theme: None,
        keymap: Some(keymap.into()),
        scope: Default::default(),
        no_color: false,
    };
    let now = "2026-11-23T03:02:00Z".parse().expect("timestamp");
    let mut s = State::new(Default::default(), assets, Vec::new(), opts, now);
    s.overlay = Overlay::Dialog(Box::new(dialog));
    s.size = (100, 30);
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    terminal.draw(|f| super::render(&s, f)).expect("draw");
    let buf = terminal.backend().buffer();
    (0..30)
        .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn backups() -> Dialog {
    Dialog::Backups {
        service: "api".into(),
        backups: Picker::new(vec!["b1".into(), "b2".into()], 0),
    }
}

#[test]
fn footers_name_the_active_keymaps_keys() {
    let emacs = screen("emacs", backups());
    assert!(
        emacs.contains("C-n/C-p pick · enter next · C-g cancel"),
        "{emacs}"
    );
    assert!(!emacs.contains("j/k"), "{emacs}");
    let default = screen("default", backups());
    assert!(
        default.contains("j/k pick · enter next · esc cancel"),
        "{default}"
    );
    let audit = screen(
        "emacs",
        Dialog::Audit {
            lines: Picker::new(vec!["one".into()], 0),
        },
    );
    assert!(
        audit.contains(" audit log · C-n/C-p scroll · C-g closes "),
        "{audit}"
    );
}
