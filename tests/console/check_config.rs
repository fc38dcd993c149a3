//! `flightdeck check-config PATH` as a script runs it: every problem of the file, in file
//! order, as `file:line:column: message`, the file named, and the exit status.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

/// Runs `check-config` on `path` with the config directory beside it and nothing of the
/// user's environment: (exit status, stdout lines).
fn check_config(path: &Path) -> (i32, Vec<String>) {
    let home = path.parent().expect("a parent").join("home");
    let out = Command::new(BIN)
        .args(["check-config", &path.display().to_string()])
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("cfg"))
        .output()
        .expect("run flightdeck");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    (out.status.code().unwrap_or(-1), lines)
}

#[test]
fn every_problem_in_file_order_with_the_file_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[ui]\ntheme = \"nosuch\"\n\n[metrics]\nthreshhold = 0.1\nbogus_key = 2\n\n[github]\nrepo = \"acme/checkout\"\nbranch = \"main\"\n",
    )
    .expect("write");
    let (code, lines) = check_config(&path);
    let file = path.display().to_string();
    assert_eq!(code, 1, "{lines:#?}");
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert_eq!(
        lines[0],
        format!(
            "{file}:2:1: ui.theme `nosuch` is not a theme (themes: dark, high-contrast, light, mono)"
        )
    );
    assert!(
        lines[1].starts_with(&format!("{file}:5:1: unknown field `threshhold`")),
        "{lines:#?}"
    );
    assert!(
        lines[2].starts_with(&format!("{file}:6:1: unknown field `bogus_key`")),
        "{lines:#?}"
    );
    assert!(
        lines[3].starts_with(&format!("{file}:10:1: unknown field `branch`")),
        "{lines:#?}"
    );
    assert_eq!(lines[4], format!("checked {file}: 4 problems"));
}

#[test]
fn a_syntax_error_is_reported_with_the_problems_of_the_other_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[kube]\nkubeconfig = \"/srv/kube/config\"\nnamespace = 3\n\n[github]\nrepo = \"acme/checkout\n\n[logs]\ntail_lines = 10\nbuffer = 5\n",
    )
    .expect("write");
    let (code, lines) = check_config(&path);
    let file = path.display().to_string();
    assert_eq!(code, 1, "{lines:#?}");
    let at: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("{file}:")))
        .collect();
    assert_eq!(at.len(), 3, "{lines:#?}");
    assert!(at[0].starts_with("3:13: invalid type"), "{lines:#?}");
    assert!(at[1].starts_with("6:"), "{lines:#?}");
    assert!(
        at[2].starts_with("10:1: unknown field `buffer`"),
        "{lines:#?}"
    );
}

#[test]
fn a_good_file_a_missing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[ui]\ntheme = \"light\"\n[github]\nrepo = \"acme/checkout\"\n",
    )
    .expect("write");
    let (code, lines) = check_config(&path);
    assert_eq!(code, 0, "{lines:#?}");
    assert_eq!(lines, [format!("checked {}: no problems", path.display())]);

    let missing = dir.path().join("nope.toml");
    let (code, lines) = check_config(&missing);
    assert_eq!(
        code, 1,
        "a file named and not there is a problem: {lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("nope.toml: no such file")),
        "{lines:#?}"
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("no config file at")),
        "{lines:#?}"
    );
}

#[test]
fn a_revision_label_that_is_no_label_name_is_named_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[metrics]\nthreshold = 0.05\nrevision_label = \"rollouts-pod-template-hash\"\n",
    )
    .expect("write");
    let (code, lines) = check_config(&path);
    let file = path.display().to_string();
    assert_eq!(code, 1, "{lines:#?}");
    assert_eq!(
        lines,
        [
            format!(
                "{file}:3:1: metrics.revision_label `rollouts-pod-template-hash` is not a \
                 Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
            ),
            format!("checked {file}: 1 problem"),
        ]
    );
    // the default and a version label are fine
    std::fs::write(&path, "[metrics]\nrevision_label = \"version\"\n").expect("write");
    let (code, lines) = check_config(&path);
    assert_eq!(code, 0, "{lines:#?}");
}
