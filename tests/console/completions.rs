//! `flightdeck completions SHELL` and `flightdeck man` print scripts and a page generated
//! from the same command line the binary parses: every subcommand is in them.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run flightdeck");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn completions_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, text) = run(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}");
        for sub in ["demo", "check-config", "init", "completions", "kubeconfig"] {
            assert!(text.contains(sub), "{shell} completions lack {sub}");
        }
    }
    let (code, _) = run(&["completions", "nosuchshell"]);
    assert_eq!(code, Some(2));
}

#[test]
fn man_page_is_roff_with_the_subcommands() {
    let (code, text) = run(&["man"]);
    assert_eq!(code, Some(0));
    assert!(text.contains(".TH flightdeck 1"), "{text}");
    for sub in ["demo", "check\\-config", "init"] {
        assert!(text.contains(sub), "man page lacks {sub}:\n{text}");
    }
}
