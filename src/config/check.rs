//! `flightdeck check-config`: the problems the console would skip, every one, in file
//! order, and the names of the file checked.

use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, key_in_table};
use super::load::{Assets, load_assets, locate};
use super::model::Config;

/// What `flightdeck check-config` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The config.toml checked (none without a config directory).
    pub path: Option<PathBuf>,
    /// The file was not there (defaults apply; a problem only when named explicitly).
    pub missing: bool,
    /// Every problem as `file:line:column: message`: config.toml's in file order, then the
    /// themes' and keymaps'.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// The last line: which file was checked and how many problems there are.
    pub fn summary(&self) -> String {
        let what = match (&self.path, self.missing) {
            (Some(p), false) => format!("checked {}", p.display()),
            (Some(p), true) => format!(
                "no config file at {} (defaults apply); checked themes and keymaps",
                p.display()
            ),
            (None, _) => "no config directory; checked the bundled themes and keymaps".into(),
        };
        match self.problems.len() {
            0 => format!("{what}: no problems"),
            1 => format!("{what}: 1 problem"),
            n => format!("{what}: {n} problems"),
        }
    }
}

/// `flightdeck check-config`: every problem of config.toml (the same ones the console
/// skips, and unknown theme and keymap names), then of the themes and keymaps.
pub fn check(config_path: Option<&Path>) -> CheckReport {
    let (dir, path) = locate(config_path);
    let (assets, asset_diags, warnings) = load_assets(dir.as_deref());
    let mut report = CheckReport {
        path: path.clone(),
        ..CheckReport::default()
    };
    if let Some(p) = &path {
        let file = p.display().to_string();
        match std::fs::read_to_string(p) {
            Ok(src) => {
                let (config, mut diags) = Config::parse_lenient(&file, &src);
                diags.extend(unknown_names(&config, &assets, &file, &src));
                diags.sort_by_key(|d| (d.line, d.column));
                report
                    .problems
                    .extend(diags.iter().map(ToString::to_string));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                report.missing = true;
                if config_path.is_some() {
                    report.problems.push(format!("{file}: no such file"));
                }
            }
            Err(e) => report
                .problems
                .push(format!("{file}:1:1: cannot read: {e}")),
        }
    }
    report
        .problems
        .extend(asset_diags.iter().map(ToString::to_string));
    report.problems.extend(warnings);
    report
}

/// `[ui] theme` and `keymap` that name nothing loaded (the console falls back, with a
/// warning, to `dark` and `default`).
fn unknown_names(config: &Config, assets: &Assets, file: &str, src: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(name) = &config.ui.theme
        && !assets.themes.contains_key(name)
    {
        out.push(Diagnostic::at(
            file,
            src,
            key_in_table(src, "ui", "theme"),
            format!(
                "ui.theme `{name}` is not a theme (themes: {})",
                assets.theme_names().join(", ")
            ),
        ));
    }
    if let Some(name) = &config.ui.keymap
        && !assets.keymaps.contains_key(name)
    {
        out.push(Diagnostic::at(
            file,
            src,
            key_in_table(src, "ui", "keymap"),
            format!(
                "ui.keymap `{name}` is not a keymap (keymaps: {})",
                assets.keymap_names().join(", ")
            ),
        ));
    }
    out
}
