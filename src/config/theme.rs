//! Themes like helix: a `[palette]`, dotted style scopes that fall back by dropping the
//! last segment, and `inherits`. Widgets ask the typed [`Theme`] by meaning.

use std::collections::BTreeMap;

use ratatui::style::{Color, Modifier, Style};

use super::diag::{self, Diagnostic};

/// Every scope a theme may set. An unknown scope is a diagnostic (a typo would otherwise
/// silently do nothing).
pub const SCOPES: &[&str] = &[
    "ui",
    "ui.text",
    "ui.text.dim",
    "ui.text.accent",
    "ui.border",
    "ui.border.focused",
    "ui.title",
    "ui.title.focused",
    "ui.selection",
    "ui.selection.unfocused",
    "ui.header",
    "ui.statusbar",
    "ui.statusbar.key",
    "ui.statusbar.readonly",
    "ui.statusbar.danger",
    "ui.statusbar.warning",
    "ui.popup",
    "ui.popup.border",
    "ui.prompt",
    "ui.match",
    "health",
    "health.ok",
    "health.warn",
    "health.error",
    "health.stale",
    "health.pending",
    "log.trace",
    "log.debug",
    "log.info",
    "log.warn",
    "log.error",
    "logs.pod",
    "logs.pod.0",
    "logs.pod.1",
    "logs.pod.2",
    "logs.pod.3",
    "logs.pod.4",
    "logs.pod.5",
    "logs.pod.6",
    "logs.pod.7",
    "chart.ratio",
    "chart.latency",
    "chart.threshold",
    "chart.deploy",
    "gauge",
    "gauge.fill",
];

const STYLE_KEYS: &[&str] = &["fg", "bg", "modifiers"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    Warn,
    Error,
    Stale,
    Pending,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<String, Style>,
    /// The logs pane's pod colours, in turn (see [`Theme::pod`]).
    pods: Vec<Style>,
}

/// The pod colours of a theme that sets none (stern's palette).
pub const POD_COLOURS: [Color; 6] = [
    Color::Cyan,
    Color::Green,
    Color::Magenta,
    Color::Yellow,
    Color::Blue,
    Color::LightRed,
];

/// A parsed theme file, before `inherits` is resolved.
#[derive(Debug, Clone, Default)]
pub struct ThemeFile {
    pub inherits: Option<String>,
    pub styles: BTreeMap<String, Style>,
}

impl Theme {
    pub fn new(name: &str, styles: BTreeMap<String, Style>) -> Theme {
        let mut theme = Theme {
            name: name.to_owned(),
            styles,
            pods: Vec::new(),
        };
        theme.pods = theme.pod_styles();
        theme
    }

    /// `logs.pod.0` up to the highest `logs.pod.N` the theme sets (one it skips falls
    /// back to `logs.pod`); only `logs.pod`: that one style for every pod; neither:
    /// [`POD_COLOURS`].
    fn pod_styles(&self) -> Vec<Style> {
        let scope = |i: usize| format!("logs.pod.{i}");
        let set = (0..8)
            .filter(|i| self.styles.contains_key(&scope(*i)))
            .max();
        match set {
            Some(last) => (0..=last).map(|i| self.get(&scope(i))).collect(),
            None if self.styles.contains_key("logs.pod") => vec![self.get("logs.pod")],
            None => POD_COLOURS
                .iter()
                .map(|c| Style::default().fg(*c))
                .collect(),
        }
    }

    /// The style of the `n`th pod the logs pane follows: the theme's pod colours in turn.
    pub fn pod(&self, n: usize) -> Style {
        self.pods
            .get(n % self.pods.len().max(1))
            .copied()
            .unwrap_or_default()
    }

    /// The style of a scope, falling back by dropping the last segment (`ui.border.focused`
    /// → `ui.border` → `ui`), then to the terminal's default.
    fn get(&self, scope: &str) -> Style {
        let mut scope = scope;
        loop {
            if let Some(s) = self.styles.get(scope) {
                return *s;
            }
            match scope.rfind('.') {
                Some(i) => scope = &scope[..i],
                None => return Style::default(),
            }
        }
    }

    pub fn text(&self) -> Style {
        self.get("ui.text")
    }
    pub fn dim(&self) -> Style {
        self.get("ui.text.dim")
    }
    pub fn accent(&self) -> Style {
        self.get("ui.text.accent")
    }
    pub fn border(&self, focused: bool) -> Style {
        self.get(if focused {
            "ui.border.focused"
        } else {
            "ui.border"
        })
    }
    pub fn title(&self, focused: bool) -> Style {
        self.get(if focused {
            "ui.title.focused"
        } else {
            "ui.title"
        })
    }
    pub fn selection(&self, focused: bool) -> Style {
        self.get(if focused {
            "ui.selection"
        } else {
            "ui.selection.unfocused"
        })
    }
    pub fn header(&self) -> Style {
        self.get("ui.header")
    }
    pub fn statusbar(&self) -> Style {
        self.get("ui.statusbar")
    }
    pub fn statusbar_key(&self) -> Style {
        self.get("ui.statusbar.key")
    }
    pub fn read_only(&self) -> Style {
        self.get("ui.statusbar.readonly")
    }
    /// A protected environment's badge in the status bar (prod).
    pub fn danger(&self) -> Style {
        self.get("ui.statusbar.danger")
    }
    pub fn warning(&self) -> Style {
        self.get("ui.statusbar.warning")
    }
    pub fn popup(&self) -> Style {
        self.get("ui.popup")
    }
    pub fn popup_border(&self) -> Style {
        self.get("ui.popup.border")
    }
    pub fn prompt(&self) -> Style {
        self.get("ui.prompt")
    }
    pub fn matched(&self) -> Style {
        self.get("ui.match")
    }
    pub fn health(&self, h: Health) -> Style {
        self.get(match h {
            Health::Ok => "health.ok",
            Health::Warn => "health.warn",
            Health::Error => "health.error",
            Health::Stale => "health.stale",
            Health::Pending => "health.pending",
        })
    }
    pub fn log_level(&self, level: log::Level) -> Style {
        self.get(match level {
            log::Level::Trace => "log.trace",
            log::Level::Debug => "log.debug",
            log::Level::Info => "log.info",
            log::Level::Warn => "log.warn",
            log::Level::Error => "log.error",
        })
    }
    pub fn chart(&self, series: &str) -> Style {
        self.get(&format!("chart.{series}"))
    }
    pub fn gauge(&self) -> Style {
        self.get("gauge.fill")
    }

    /// This theme as a terminal of `depth` can draw it: RGB colours mapped to the nearest
    /// of 256 or 16 (`super::colors`); unchanged for true colour.
    pub fn for_depth(&self, depth: crate::term::ColorDepth) -> Theme {
        Theme {
            name: self.name.clone(),
            styles: self
                .styles
                .iter()
                .map(|(k, s)| (k.clone(), super::colors::map_style(*s, depth)))
                .collect(),
            pods: self
                .pods
                .iter()
                .map(|s| super::colors::map_style(*s, depth))
                .collect(),
        }
    }
}

/// Resolves `inherits` chains: `files` by name; a cycle or a missing parent is a warning.
pub fn resolve(
    name: &str,
    files: &BTreeMap<String, ThemeFile>,
    warnings: &mut Vec<String>,
) -> Option<Theme> {
    let mut chain = Vec::new();
    let mut current = name.to_owned();
    loop {
        if chain.contains(&current) {
            warnings.push(format!(
                "theme `{name}`: inherits cycle through `{current}`"
            ));
            break;
        }
        let Some(file) = files.get(&current) else {
            if chain.is_empty() {
                return None;
            }
            warnings.push(format!(
                "theme `{}` inherits unknown theme `{current}`",
                chain.last().map(String::as_str).unwrap_or(name)
            ));
            break;
        };
        chain.push(current.clone());
        match &file.inherits {
            Some(parent) => current = parent.clone(),
            None => break,
        }
    }
    let mut styles = BTreeMap::new();
    for n in chain.iter().rev() {
        if let Some(f) = files.get(n) {
            for (scope, style) in &f.styles {
                styles.insert(scope.clone(), *style);
            }
        }
    }
    Some(Theme::new(name, styles))
}

/// Parses a theme file; bad entries are skipped with a diagnostic.
pub fn parse(file: &str, source: &str) -> (ThemeFile, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut out = ThemeFile::default();
    let doc = match toml_edit::Document::parse(source) {
        Ok(doc) => doc,
        Err(err) => {
            diags.push(diag::from_toml_error(file, source, &err));
            return (out, diags);
        }
    };
    let at = |span: Option<std::ops::Range<usize>>, msg: String| {
        Diagnostic::at(file, source, span.map(|s| s.start), msg)
    };
    let root = doc.as_table();
    let mut palette: BTreeMap<String, Color> = BTreeMap::new();
    if let Some(item) = root.get("palette") {
        match item.as_table_like() {
            Some(table) => {
                for (name, value) in table.iter() {
                    match value.as_str().map(parse_color) {
                        Some(Ok(c)) => {
                            palette.insert(name.to_owned(), c);
                        }
                        Some(Err(e)) => diags.push(at(value.span(), e)),
                        None => diags.push(at(
                            value.span(),
                            format!("palette entry `{name}` must be a colour string"),
                        )),
                    }
                }
            }
            None => diags.push(at(item.span(), "`palette` must be a table".into())),
        }
    }
    for (k, item) in root.iter() {
        let key_span = root.key(k).and_then(|k| k.span());
        match k {
            "palette" => {}
            "inherits" => match item.as_str() {
                Some(s) => out.inherits = Some(s.to_owned()),
                None => diags.push(at(item.span(), "`inherits` must be a theme name".into())),
            },
            scope => walk_scope(
                scope,
                key_span,
                item,
                &palette,
                &at,
                &mut out.styles,
                &mut diags,
            ),
        }
    }
    (out, diags)
}

fn walk_scope(
    scope: &str,
    key_span: Option<std::ops::Range<usize>>,
    item: &toml_edit::Item,
    palette: &BTreeMap<String, Color>,
    at: &dyn Fn(Option<std::ops::Range<usize>>, String) -> Diagnostic,
    styles: &mut BTreeMap<String, Style>,
    diags: &mut Vec<Diagnostic>,
) {
    // `"ui.border" = ...` and nested `[ui.border]` both name scopes
    if let Some(text) = item.as_str() {
        if !SCOPES.contains(&scope) {
            diags.push(at(key_span, unknown_scope(scope)));
            return;
        }
        match resolve_color(text, palette) {
            Ok(c) => {
                styles.insert(scope.to_owned(), Style::default().fg(c));
            }
            Err(e) => diags.push(at(item.span(), e)),
        }
        return;
    }
    let Some(table) = item.as_table_like() else {
        diags.push(at(
            item.span().or(key_span),
            format!("`{scope}` must be a colour or a table"),
        ));
        return;
    };
    let has_style_keys = table.iter().any(|(k, _)| STYLE_KEYS.contains(&k));
    if has_style_keys {
        if !SCOPES.contains(&scope) {
            diags.push(at(key_span.clone(), unknown_scope(scope)));
        } else {
            let mut style = Style::default();
            let mut ok = true;
            for (k, v) in table.iter() {
                match k {
                    "fg" | "bg" => match v.as_str().map(|s| resolve_color(s, palette)) {
                        Some(Ok(c)) => style = if k == "fg" { style.fg(c) } else { style.bg(c) },
                        Some(Err(e)) => {
                            diags.push(at(v.span(), e));
                            ok = false;
                        }
                        None => {
                            diags.push(at(v.span(), format!("`{k}` must be a colour string")));
                            ok = false;
                        }
                    },
                    "modifiers" => match v.as_array() {
                        Some(arr) => {
                            for m in arr.iter() {
                                match m.as_str().map(parse_modifier) {
                                    Some(Ok(m)) => style = style.add_modifier(m),
                                    Some(Err(e)) => diags.push(at(m.span(), e)),
                                    None => {
                                        diags.push(at(m.span(), "a modifier is a string".into()))
                                    }
                                }
                            }
                        }
                        None => diags.push(at(v.span(), "`modifiers` must be an array".into())),
                    },
                    _ => {}
                }
            }
            if ok {
                styles.insert(scope.to_owned(), style);
            }
        }
    }
    for (k, v) in table.iter() {
        if STYLE_KEYS.contains(&k) {
            continue;
        }
        let span = table.key(k).and_then(|k| k.span());
        walk_scope(&format!("{scope}.{k}"), span, v, palette, at, styles, diags);
    }
}

fn unknown_scope(scope: &str) -> String {
    let close: Vec<&str> = SCOPES
        .iter()
        .copied()
        .filter(|s| s.starts_with(scope.split('.').next().unwrap_or("")))
        .collect();
    if close.is_empty() {
        format!("unknown scope `{scope}`")
    } else {
        format!("unknown scope `{scope}` (known: {})", close.join(", "))
    }
}

fn resolve_color(text: &str, palette: &BTreeMap<String, Color>) -> Result<Color, String> {
    if let Some(c) = palette.get(text) {
        return Ok(*c);
    }
    parse_color(text).map_err(|e| {
        if palette.is_empty() {
            e
        } else {
            format!("{e}, nor a palette name")
        }
    })
}

pub fn parse_color(text: &str) -> Result<Color, String> {
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
            return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return Err(format!("bad colour `{text}`: hex colours are #rrggbb"));
    }
    if let Ok(n) = text.parse::<u8>() {
        return Ok(Color::Indexed(n));
    }
    let c = match text {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "dark-gray" | "dark-grey" => Color::DarkGray,
        "light-red" => Color::LightRed,
        "light-green" => Color::LightGreen,
        "light-yellow" => Color::LightYellow,
        "light-blue" => Color::LightBlue,
        "light-magenta" => Color::LightMagenta,
        "light-cyan" => Color::LightCyan,
        "white" => Color::White,
        _ => {
            return Err(format!(
                "bad colour `{text}`: use a name (red, light-blue, …), #rrggbb or 0-255"
            ));
        }
    };
    Ok(c)
}

fn parse_modifier(text: &str) -> Result<Modifier, String> {
    Ok(match text {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed-out" => Modifier::CROSSED_OUT,
        "slow-blink" => Modifier::SLOW_BLINK,
        _ => {
            return Err(format!(
                "unknown modifier `{text}`: bold, dim, italic, underlined, reversed, crossed-out"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_drops_last_segment() {
        let (file, diags) = parse(
            "t.toml",
            "\"ui.border\" = \"red\"\n[ui.title]\nfg = \"#00ff00\"\nmodifiers = [\"bold\"]\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let mut files = BTreeMap::new();
        files.insert("t".to_owned(), file);
        let theme = resolve("t", &files, &mut Vec::new()).expect("theme");
        assert_eq!(theme.border(true).fg, Some(Color::Red));
        assert_eq!(theme.title(true).fg, Some(Color::Rgb(0, 255, 0)));
        assert!(theme.title(true).add_modifier.contains(Modifier::BOLD));
        assert_eq!(theme.text(), Style::default());
    }

    #[test]
    fn palette_and_inherits() {
        let mut files = BTreeMap::new();
        files.insert("base".to_owned(), parse("b", "\"health.error\" = \"hot\"\n\"health.ok\" = \"green\"\n[palette]\nhot = \"#ff0000\"\n").0);
        files.insert(
            "child".to_owned(),
            parse("c", "inherits = \"base\"\n\"health.ok\" = \"blue\"\n").0,
        );
        let theme = resolve("child", &files, &mut Vec::new()).expect("theme");
        assert_eq!(theme.health(Health::Error).fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(theme.health(Health::Ok).fg, Some(Color::Blue));
    }

    #[test]
    fn each_error_kind_is_a_diagnostic() {
        let src = "\"ui.border\" = \"chartreuse\"\n\"ui.bordr\" = \"red\"\n\"ui.text\" = \"white\"\n[ui.title]\nfg = \"#12\"\nmodifiers = [\"blinky\"]\n";
        let (file, diags) = parse("t.toml", src);
        let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert_eq!(diags.len(), 4, "{text:#?}");
        assert!(
            text[0].starts_with("t.toml:1:15: bad colour `chartreuse`"),
            "{}",
            text[0]
        );
        assert!(
            text[1].starts_with("t.toml:2:1: unknown scope `ui.bordr`"),
            "{}",
            text[1]
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("t.toml:5:6: bad colour `#12`")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("t.toml:6:14: unknown modifier `blinky`")),
            "{text:#?}"
        );
        // the good entry is kept
        assert!(file.styles.contains_key("ui.text"));
    }

    #[test]
    fn pod_colours_come_from_the_theme() {
        let theme = |src: &str| {
            let (file, diags) = parse("t.toml", src);
            assert!(diags.is_empty(), "{diags:?}");
            let mut files = BTreeMap::new();
            files.insert("t".to_owned(), file);
            resolve("t", &files, &mut Vec::new()).expect("theme")
        };
        // three colours, the one skipped falls back to `logs.pod`
        let t = theme(
            "\"logs.pod\" = { modifiers = [\"bold\"] }\n\"logs.pod.0\" = \"#102030\"\n\"logs.pod.2\" = \"red\"\n",
        );
        assert_eq!(t.pod(0).fg, Some(Color::Rgb(0x10, 0x20, 0x30)));
        assert_eq!(t.pod(1), Style::default().add_modifier(Modifier::BOLD));
        assert_eq!(t.pod(2).fg, Some(Color::Red));
        assert_eq!(t.pod(3), t.pod(0), "in turn");
        // one style for every pod
        let t = theme("\"logs.pod\" = \"blue\"\n");
        assert_eq!(t.pod(5).fg, Some(Color::Blue));
        // a theme that says nothing: stern's palette, as before the scopes existed
        let t = theme("\"ui.text\" = \"white\"\n");
        assert_eq!(t.pod(0).fg, Some(Color::Cyan));
        assert_eq!(t.pod(6).fg, Some(Color::Cyan));
        assert_eq!(t.pod(5).fg, Some(Color::LightRed));
        // a bad one is a diagnostic like any scope's
        let (_, diags) = parse(
            "t.toml",
            "\"logs.pod.8\" = \"red\"\n\"logs.pod.1\" = \"nope\"\n",
        );
        let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert_eq!(diags.len(), 2, "{text:#?}");
        assert!(
            text[0].starts_with("t.toml:1:1: unknown scope `logs.pod.8`"),
            "{}",
            text[0]
        );
        assert!(
            text[1].starts_with("t.toml:2:16: bad colour `nope`"),
            "{}",
            text[1]
        );
    }

    #[test]
    fn inherits_cycle_is_a_warning_not_a_hang() {
        let mut files = BTreeMap::new();
        files.insert("a".to_owned(), parse("a", "inherits = \"b\"\n").0);
        files.insert("b".to_owned(), parse("b", "inherits = \"a\"\n").0);
        let mut w = Vec::new();
        assert!(resolve("a", &files, &mut w).is_some());
        assert!(w[0].contains("cycle"), "{w:?}");
    }
}
