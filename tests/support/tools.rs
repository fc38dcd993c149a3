//! Outside tools the tests drive (kubectl, prometheus, promtool, tmux, pgrep, kill): found on PATH,
//! or the test fails saying how `.ci/run` installs them. One copy, shared by the root tests
//! (`support::tools`) and the sandbox crate's tests (`#[path = "../../../../tests/support/tools.rs"]`).
//!
//! A missing tool fails the test in CI (`CI` set to anything non-empty) and, by default,
//! everywhere else. Outside CI, `FLIGHTDECK_ALLOW_SKIPS=1` turns that into a skip: the test
//! returns early and says so on the real stderr, which cargo does not capture, so a skip is
//! never silent.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The tool's path on PATH, or: the test fails (CI, or skips not allowed), or `None` after
/// printing the skip (outside CI with `FLIGHTDECK_ALLOW_SKIPS=1`), and the test returns.
pub fn require(tool: &str) -> Option<PathBuf> {
    if let Some(path) = find(tool) {
        return Some(path);
    }
    let why = format!(
        "{tool} is not installed: .ci/run installs it with `{}`",
        install_hint(tool)
    );
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let allow = std::env::var_os("FLIGHTDECK_ALLOW_SKIPS").is_some_and(|v| v == "1");
    if ci {
        panic!("{why} (CI is set, so a missing tool fails the test)");
    }
    if !allow {
        panic!("{why} (or set FLIGHTDECK_ALLOW_SKIPS=1 to skip the tests that need it)");
    }
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    // Not eprintln!: the test harness captures that and hides it for passing tests. One
    // write, so the line is not torn by the harness's own output.
    let line = format!("SKIPPED {test}: {why} (FLIGHTDECK_ALLOW_SKIPS=1)\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    None
}

/// How `.ci/run` installs `tool` (Debian 12 packages).
pub fn install_hint(tool: &str) -> String {
    let package = match tool {
        "kubectl" => "kubernetes-client",
        "prometheus" | "promtool" => "prometheus",
        "pgrep" | "kill" => "procps",
        "cc" => "gcc libc6-dev",
        other => other,
    };
    format!("apt-get install {package}")
}

/// The first executable file called `tool` in PATH's directories.
pub fn find(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}
