//! Loading from files: the bundled and user themes and keymaps ([`Assets`]) and
//! `config.toml`, found beside a given path or in the config directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::diag::Diagnostic;
use super::keymap::{self, Keymap};
use super::model::Config;
use super::theme::{self, Theme};

pub const BUNDLED_THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

pub const BUNDLED_KEYMAPS: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// Where flightdeck keeps its files.
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "flightdeck").map(|d| d.config_dir().to_owned())
}

pub fn data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "flightdeck").map(|d| d.data_dir().to_owned())
}

/// Themes and keymaps, bundled and user, parsed and resolved.
#[derive(Debug, Clone, Default)]
pub struct Assets {
    pub themes: BTreeMap<String, Theme>,
    pub keymaps: BTreeMap<String, Keymap>,
}

impl Assets {
    pub fn theme_names(&self) -> Vec<String> {
        self.themes.keys().cloned().collect()
    }
    pub fn keymap_names(&self) -> Vec<String> {
        self.keymaps.keys().cloned().collect()
    }
}

/// Loads bundled and user themes/keymaps. `dir` is the config dir (its `themes/` and
/// `keymaps/` folders). Diagnostics name the file; resolution problems are warnings.
pub fn load_assets(dir: Option<&Path>) -> (Assets, Vec<Diagnostic>, Vec<String>) {
    let mut diags = Vec::new();
    let mut warnings = Vec::new();
    let theme_files = layered(
        BUNDLED_THEMES,
        dir,
        "themes",
        &mut diags,
        |_, file, src| theme::parse(file, src),
        |base: &mut theme::ThemeFile, over| {
            base.styles.extend(over.styles);
            base.inherits = over.inherits.or(base.inherits.take());
        },
    );
    let mut themes = BTreeMap::new();
    for name in theme_files.keys() {
        if let Some(t) = theme::resolve(name, &theme_files, &mut warnings) {
            themes.insert(name.clone(), t);
        }
    }

    let keymap_files = layered(
        BUNDLED_KEYMAPS,
        dir,
        "keymaps",
        &mut diags,
        keymap::parse,
        |base: &mut keymap::KeymapFile, over| {
            base.keymap.merge(&over.keymap);
            base.inherits = over.inherits.or(base.inherits.take());
        },
    );
    let mut keymaps = BTreeMap::new();
    for name in keymap_files.keys() {
        keymaps.insert(
            name.clone(),
            resolve_keymap(name, &keymap_files, &mut warnings),
        );
    }
    (Assets { themes, keymaps }, diags, warnings)
}

/// Bundled files parsed first, then the user's `dir/sub/*.toml`; a user file with a
/// bundled name is merged over it (`merge`), any other adds a new entry.
fn layered<F>(
    bundled: &[(&str, &str)],
    dir: Option<&Path>,
    sub: &str,
    diags: &mut Vec<Diagnostic>,
    parse: impl Fn(&str, &str, &str) -> (F, Vec<Diagnostic>),
    merge: impl Fn(&mut F, F),
) -> BTreeMap<String, F> {
    let mut files = BTreeMap::new();
    for (name, src) in bundled {
        let (f, d) = parse(name, &format!("<bundled>/{sub}/{name}.toml"), src);
        diags.extend(d);
        files.insert((*name).to_owned(), f);
    }
    for (name, path, src) in user_files(dir, sub, diags) {
        let (f, d) = parse(&name, &path, &src);
        diags.extend(d);
        match files.get_mut(&name) {
            Some(base) => merge(base, f),
            None => {
                files.insert(name, f);
            }
        }
    }
    files
}

fn resolve_keymap(
    name: &str,
    files: &BTreeMap<String, keymap::KeymapFile>,
    warnings: &mut Vec<String>,
) -> Keymap {
    let mut chain: Vec<String> = Vec::new();
    let mut current = Some(name.to_owned());
    while let Some(n) = current {
        if chain.contains(&n) {
            warnings.push(format!("keymap `{name}`: inherits cycle through `{n}`"));
            break;
        }
        match files.get(&n) {
            Some(f) => {
                chain.push(n);
                current = f.inherits.clone();
            }
            None => {
                warnings.push(format!("keymap `{name}` inherits unknown keymap `{n}`"));
                break;
            }
        }
    }
    let mut km = Keymap {
        name: name.to_owned(),
        ..Default::default()
    };
    for n in chain.iter().rev() {
        if let Some(f) = files.get(n) {
            km.merge(&f.keymap);
        }
    }
    // a keymap that says nothing of the prompt or of going on in a dialog keeps the
    // default's keys for them, as when they were not in keymaps at all
    if let Some(default) = files.get("default") {
        km.fill_from(&default.keymap);
    }
    km
}

fn user_files(
    dir: Option<&Path>,
    sub: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, String, String)> {
    let Some(dir) = dir else { return Vec::new() };
    let folder = dir.join(sub);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        let shown = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(src) => out.push((name, shown, src)),
            Err(e) => diags.push(Diagnostic {
                file: shown,
                line: 1,
                column: 1,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    out
}

/// The folder of themes/keymaps and the config.toml to read: beside a given config path,
/// else the config dir.
pub(super) fn locate(config_path: Option<&Path>) -> (Option<PathBuf>, Option<PathBuf>) {
    let dir = config_path
        .and_then(|p| p.parent().map(Path::to_owned))
        .or_else(config_dir);
    let path = config_path
        .map(Path::to_owned)
        .or_else(|| dir.as_ref().map(|d| d.join("config.toml")));
    (dir, path)
}

/// Everything the console needs from files, loaded leniently.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub config_path: Option<PathBuf>,
    pub assets: Assets,
    /// Problems to show in the console; none of them stopped it.
    pub warnings: Vec<String>,
}

/// Loads config.toml (the given path, or the config dir's) and the assets, leniently.
pub fn load(config_path: Option<&Path>) -> Loaded {
    let (dir, path) = locate(config_path);
    let mut warnings = Vec::new();
    let config = match &path {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(src) => {
                let (c, diags) = Config::parse_lenient(&p.display().to_string(), &src);
                warnings.extend(diags.iter().map(|d| format!("{d} (skipped)")));
                c
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && config_path.is_none() => {
                Config::default()
            }
            Err(e) => {
                warnings.push(format!(
                    "{}: cannot read config: {e}; using defaults",
                    p.display()
                ));
                Config::default()
            }
        },
        None => Config::default(),
    };
    let (assets, diags, w) = load_assets(dir.as_deref());
    warnings.extend(diags.iter().map(|d| format!("{d} (skipped)")));
    warnings.extend(w);
    Loaded {
        config,
        config_path: path,
        assets,
        warnings,
    }
}
