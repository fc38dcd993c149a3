//! Keymaps: key notation (`C-r`, `A-x`, `S-tab`, `enter`, `R`), one table per context,
//! nested tables for sequences. A bad entry is skipped with a diagnostic; the rest loads.

use std::collections::BTreeMap;
use std::fmt;

use crate::action::Action;

use super::diag::{self, Diagnostic};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Insert,
    Delete,
    F(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    /// Only for named keys: a printable character carries its own case (`R`, never `S-r`).
    pub shift: bool,
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backspace", KeyCode::Backspace),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("insert", KeyCode::Insert),
    ("delete", KeyCode::Delete),
    ("space", KeyCode::Char(' ')),
    ("minus", KeyCode::Char('-')),
];

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// Parses key notation. Printable characters are themselves; modifiers are `C-`, `A-`
    /// and (for named keys only) `S-`; named keys are lowercase.
    pub fn parse(text: &str) -> Result<Key, String> {
        if text.is_empty() {
            return Err("empty key".into());
        }
        let mut rest = text;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            // a modifier prefix needs something after it: `-` alone and `C--` are chars
            if rest.chars().count() > 2 {
                if let Some(r) = rest.strip_prefix("C-") {
                    ctrl = true;
                    rest = r;
                    continue;
                }
                if let Some(r) = rest.strip_prefix("A-") {
                    alt = true;
                    rest = r;
                    continue;
                }
                if let Some(r) = rest.strip_prefix("S-") {
                    shift = true;
                    rest = r;
                    continue;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if c.is_control() {
                    return Err(format!(
                        "`{}` is a control character; use its name",
                        c.escape_default()
                    ));
                }
                if shift {
                    let hint = if c.is_ascii_lowercase() {
                        format!("; write `{}`", c.to_ascii_uppercase())
                    } else {
                        String::new()
                    };
                    return Err(format!(
                        "`S-` is for named keys only: a printable character carries its own case{hint}"
                    ));
                }
                if c == ' ' {
                    return Err("write `space` for the space bar".into());
                }
                KeyCode::Char(c)
            }
            _ => {
                if let Some(n) = rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    if (1..=12).contains(&n) {
                        KeyCode::F(n)
                    } else {
                        return Err(format!("unknown key `{rest}`: function keys are f1 to f12"));
                    }
                } else if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == rest) {
                    if shift && matches!(code, KeyCode::Char(_)) {
                        return Err(format!("`S-{rest}` is not a key"));
                    }
                    *code
                } else if NAMED.iter().any(|(n, _)| n.eq_ignore_ascii_case(rest)) {
                    return Err(format!(
                        "unknown key `{rest}`: named keys are lowercase (`{}`)",
                        rest.to_ascii_lowercase()
                    ));
                } else {
                    return Err(format!(
                        "unknown key `{text}`: use a character, a named key ({}, f1..f12) and C-/A-/S- modifiers",
                        NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ")
                    ));
                }
            }
        };
        Ok(Key {
            code,
            ctrl,
            alt,
            shift,
        })
    }

    /// The key of a terminal event, normalised so that it equals the parsed notation.
    pub fn from_event(ev: &crossterm::event::KeyEvent) -> Option<Key> {
        use crossterm::event::{KeyCode as C, KeyModifiers as M};
        let ctrl = ev.modifiers.contains(M::CONTROL);
        let alt = ev.modifiers.contains(M::ALT);
        let shift = ev.modifiers.contains(M::SHIFT);
        let (code, shift) = match ev.code {
            C::Char(c) => {
                // with ctrl, terminals report the letter; normalise to lowercase unless shifted
                let c = if ctrl && !shift {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                (KeyCode::Char(c), false)
            }
            C::Enter => (KeyCode::Enter, shift),
            C::Esc => (KeyCode::Esc, shift),
            C::Tab => (KeyCode::Tab, shift),
            C::BackTab => (KeyCode::Tab, true),
            C::Backspace => (KeyCode::Backspace, shift),
            C::Up => (KeyCode::Up, shift),
            C::Down => (KeyCode::Down, shift),
            C::Left => (KeyCode::Left, shift),
            C::Right => (KeyCode::Right, shift),
            C::Home => (KeyCode::Home, shift),
            C::End => (KeyCode::End, shift),
            C::PageUp => (KeyCode::PageUp, shift),
            C::PageDown => (KeyCode::PageDown, shift),
            C::Insert => (KeyCode::Insert, shift),
            C::Delete => (KeyCode::Delete, shift),
            C::F(n) => (KeyCode::F(n), shift),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl,
            alt,
            shift,
        })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("C-")?;
        }
        if self.alt {
            f.write_str("A-")?;
        }
        if self.shift {
            f.write_str("S-")?;
        }
        match self.code {
            KeyCode::Char(c) => match NAMED.iter().find(|(_, k)| *k == KeyCode::Char(c)) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{c}"),
            },
            KeyCode::F(n) => write!(f, "f{n}"),
            code => {
                let name = NAMED
                    .iter()
                    .find(|(_, k)| *k == code)
                    .map(|(n, _)| *n)
                    .unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

/// Where a binding applies. Pane contexts are consulted before `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyContext {
    Global,
    Pipeline,
    Workloads,
    Errors,
    Logs,
    Gpu,
    Help,
    /// Every dialog: confirmation, replicas, revision picker, host menu, audit viewer.
    Dialog,
}

impl KeyContext {
    pub const ALL: [KeyContext; 8] = [
        KeyContext::Global,
        KeyContext::Pipeline,
        KeyContext::Workloads,
        KeyContext::Errors,
        KeyContext::Logs,
        KeyContext::Gpu,
        KeyContext::Help,
        KeyContext::Dialog,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Pipeline => "pipeline",
            KeyContext::Workloads => "workloads",
            KeyContext::Errors => "errors",
            KeyContext::Logs => "logs",
            KeyContext::Gpu => "hosts",
            KeyContext::Help => "help",
            KeyContext::Dialog => "dialog",
        }
    }

    pub fn parse(name: &str) -> Option<KeyContext> {
        // `confirm` was the dialog context's first name, `gpu` the Hosts pane's; user
        // keymaps may still say them
        let name = match name {
            "confirm" => "dialog",
            "gpu" => "hosts",
            other => other,
        };
        KeyContext::ALL.into_iter().find(|c| c.name() == name)
    }

    pub fn for_pane(pane: crate::pane::PaneId) -> KeyContext {
        use crate::pane::PaneId;
        match pane {
            PaneId::Pipeline => KeyContext::Pipeline,
            PaneId::Workloads => KeyContext::Workloads,
            PaneId::Errors => KeyContext::Errors,
            PaneId::Logs => KeyContext::Logs,
            PaneId::Hosts => KeyContext::Gpu,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    Action(Action),
    Sequence(BTreeMap<Key, Binding>),
}

/// What a key sequence means in a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Action(Action),
    /// A prefix of a longer sequence: wait for the next key.
    Pending,
    Unbound,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    pub name: String,
    pub contexts: BTreeMap<KeyContext, BTreeMap<Key, Binding>>,
}

/// A parsed keymap file, before `inherits` is resolved.
#[derive(Debug, Clone, Default)]
pub struct KeymapFile {
    pub inherits: Option<String>,
    pub keymap: Keymap,
}

impl Keymap {
    /// Looks `keys` up in `ctx`, then in `global`.
    pub fn lookup(&self, ctx: KeyContext, keys: &[Key]) -> Lookup {
        let contexts: &[KeyContext] = if ctx == KeyContext::Global {
            &[KeyContext::Global]
        } else {
            &[ctx, KeyContext::Global]
        };
        for c in contexts {
            if let Some(table) = self.contexts.get(c) {
                match walk(table, keys) {
                    Lookup::Unbound => continue,
                    Lookup::Action(Action::Noop) => return Lookup::Unbound,
                    found => return found,
                }
            }
        }
        Lookup::Unbound
    }

    /// Merges `over` on top of `self`: its bindings replace ours key by key; `noop` unbinds.
    pub fn merge(&mut self, over: &Keymap) {
        for (ctx, table) in &over.contexts {
            let base = self.contexts.entry(*ctx).or_default();
            merge_table(base, table);
        }
    }

    /// Every binding as (context, key sequence, action), for the help overlay.
    pub fn bindings(&self) -> Vec<(KeyContext, String, Action)> {
        let mut out = Vec::new();
        for (ctx, table) in &self.contexts {
            collect(table, String::new(), &mut |seq, action| {
                out.push((*ctx, seq, action))
            });
        }
        out
    }

    /// The first key sequence bound to `action` (pane context first), for hints.
    pub fn key_for(&self, ctx: KeyContext, action: Action) -> Option<String> {
        for c in [ctx, KeyContext::Global] {
            if let Some(table) = self.contexts.get(&c) {
                let mut found = None;
                collect(table, String::new(), &mut |seq, a| {
                    if a == action && found.is_none() {
                        found = Some(seq);
                    }
                });
                if found.is_some() {
                    return found;
                }
            }
        }
        None
    }
}

fn walk(table: &BTreeMap<Key, Binding>, keys: &[Key]) -> Lookup {
    let Some((first, rest)) = keys.split_first() else {
        return Lookup::Unbound;
    };
    match table.get(first) {
        None => Lookup::Unbound,
        Some(Binding::Action(a)) if rest.is_empty() => Lookup::Action(*a),
        Some(Binding::Action(_)) => Lookup::Unbound,
        Some(Binding::Sequence(_)) if rest.is_empty() => Lookup::Pending,
        Some(Binding::Sequence(inner)) => walk(inner, rest),
    }
}

fn merge_table(base: &mut BTreeMap<Key, Binding>, over: &BTreeMap<Key, Binding>) {
    for (key, binding) in over {
        match (base.get_mut(key), binding) {
            (Some(Binding::Sequence(b)), Binding::Sequence(o)) => merge_table(b, o),
            _ => {
                base.insert(*key, binding.clone());
            }
        }
    }
}

fn collect(table: &BTreeMap<Key, Binding>, prefix: String, f: &mut dyn FnMut(String, Action)) {
    for (key, binding) in table {
        let seq = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix} {key}")
        };
        match binding {
            Binding::Action(Action::Noop) => {}
            Binding::Action(a) => f(seq, *a),
            Binding::Sequence(inner) => collect(inner, seq, f),
        }
    }
}

/// Parses a keymap file. Every problem becomes a diagnostic and that entry is skipped.
pub fn parse(name: &str, file: &str, source: &str) -> (KeymapFile, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut out = KeymapFile {
        inherits: None,
        keymap: Keymap {
            name: name.to_owned(),
            ..Default::default()
        },
    };
    let doc = match toml_edit::Document::parse(source) {
        Ok(doc) => doc,
        Err(err) => {
            diags.push(diag::from_toml_error(file, source, &err));
            return (out, diags);
        }
    };
    let root = doc.as_table();
    let at = |span: Option<std::ops::Range<usize>>, msg: String| {
        Diagnostic::at(file, source, span.map(|s| s.start), msg)
    };
    for (k, item) in root.iter() {
        let key_span = root.key(k).and_then(|k| k.span());
        match k {
            "inherits" => match item.as_str() {
                Some(s) => out.inherits = Some(s.to_owned()),
                None => diags.push(at(item.span(), "`inherits` must be a keymap name".into())),
            },
            "keys" => {
                let Some(keys) = item.as_table_like() else {
                    diags.push(at(item.span(), "`keys` must be a table of contexts".into()));
                    continue;
                };
                for (ctx_name, ctx_item) in keys.iter() {
                    let ctx_span = keys.key(ctx_name).and_then(|k| k.span());
                    let Some(ctx) = KeyContext::parse(ctx_name) else {
                        let names: Vec<_> = KeyContext::ALL.iter().map(|c| c.name()).collect();
                        diags.push(at(
                            ctx_span,
                            format!("unknown context `{ctx_name}`: one of {}", names.join(", ")),
                        ));
                        continue;
                    };
                    let Some(table) = ctx_item.as_table_like() else {
                        diags.push(at(
                            ctx_item.span(),
                            format!("`keys.{ctx_name}` must be a table"),
                        ));
                        continue;
                    };
                    let bindings = parse_table(table, &at, &mut diags);
                    out.keymap.contexts.entry(ctx).or_default().extend(bindings);
                }
            }
            other => diags.push(at(
                key_span,
                format!("unknown key `{other}`: expected `inherits` or `[keys.CONTEXT]`"),
            )),
        }
    }
    (out, diags)
}

fn parse_table(
    table: &dyn toml_edit::TableLike,
    at: &dyn Fn(Option<std::ops::Range<usize>>, String) -> Diagnostic,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<Key, Binding> {
    let mut out: BTreeMap<Key, Binding> = BTreeMap::new();
    let mut first_seen: BTreeMap<Key, (String, Option<std::ops::Range<usize>>)> = BTreeMap::new();
    for (notation, item) in table.iter() {
        let span = table.key(notation).and_then(|k| k.span());
        let key = match Key::parse(notation) {
            Ok(k) => k,
            Err(e) => {
                diags.push(at(span.clone(), e));
                continue;
            }
        };
        let binding = if let Some(text) = item.as_str() {
            match Action::parse(text) {
                Ok(a) => Binding::Action(a),
                Err(e) => {
                    diags.push(at(item.span().or(span.clone()), e));
                    continue;
                }
            }
        } else if let Some(inner) = item.as_table_like() {
            let inner = parse_table(inner, at, diags);
            if inner.is_empty() {
                continue;
            }
            Binding::Sequence(inner)
        } else {
            diags.push(at(
                item.span().or(span.clone()),
                format!("`{notation}` must be an action name or a table of keys"),
            ));
            continue;
        };
        if let Some((other, _)) = first_seen.get(&key) {
            diags.push(at(
                span.clone(),
                format!("duplicate binding: `{notation}` is the same key as `{other}` ({key})"),
            ));
            continue;
        }
        first_seen.insert(key, (notation.to_owned(), span));
        out.insert(key, binding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_notation_prints_what_it_parses() {
        for text in [
            "R", "r", "C-r", "A-x", "C-A-x", "S-tab", "enter", "space", "minus", "f5", "?", ":",
            "/", "S-up",
        ] {
            let key = Key::parse(text).expect(text);
            assert_eq!(key.to_string(), text, "{text}");
        }
    }

    #[test]
    fn a_minus_sign_is_the_minus_key() {
        assert_eq!(Key::parse("-"), Key::parse("minus"));
        assert_eq!(
            Key::parse("C--").map(|k| k.to_string()).as_deref(),
            Ok("C-minus")
        );
    }

    #[test]
    fn key_notation_errors() {
        assert!(Key::parse("S-r").unwrap_err().contains("write `R`"));
        assert!(Key::parse("Enter").unwrap_err().contains("lowercase"));
        assert!(Key::parse("f13").unwrap_err().contains("f1 to f12"));
        assert!(Key::parse("ctrl-r").unwrap_err().contains("unknown key"));
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn events_normalise_to_notation() {
        use crossterm::event::{KeyCode as C, KeyEvent, KeyModifiers as M};
        let ev = |code, m| Key::from_event(&KeyEvent::new(code, m)).map(|k| k.to_string());
        assert_eq!(ev(C::Char('R'), M::SHIFT).as_deref(), Some("R"));
        assert_eq!(ev(C::BackTab, M::SHIFT).as_deref(), Some("S-tab"));
        assert_eq!(ev(C::Char('c'), M::CONTROL).as_deref(), Some("C-c"));
        assert_eq!(ev(C::Char(' '), M::NONE).as_deref(), Some("space"));
    }

    #[test]
    fn sequences_and_context_fallback() {
        let src = "[keys.global]\nq = \"app.quit\"\ng = { p = \"pane.focus pipeline\" }\n[keys.workloads]\nq = \"noop\"\n";
        let (file, diags) = parse("t", "t.toml", src);
        assert!(diags.is_empty(), "{diags:?}");
        let km = file.keymap;
        let g = Key::char('g');
        assert_eq!(km.lookup(KeyContext::Logs, &[g]), Lookup::Pending);
        assert_eq!(
            km.lookup(KeyContext::Logs, &[g, Key::char('p')]),
            Lookup::Action(Action::FocusPane(crate::pane::PaneId::Pipeline))
        );
        assert_eq!(
            km.lookup(KeyContext::Logs, &[Key::char('q')]),
            Lookup::Action(Action::Quit)
        );
        assert_eq!(
            km.lookup(KeyContext::Workloads, &[Key::char('q')]),
            Lookup::Unbound
        );
    }

    #[test]
    fn each_error_kind_is_a_diagnostic_and_the_rest_loads() {
        let src = "[keys.global]\n\
                   q = \"app.quit\"\n\
                   x = \"app.explode\"\n\
                   Ctrl-x = \"app.help\"\n\
                   space = \"pane.zoom\"\n\
                   \" \" = \"pane.next\"\n\
                   [keys.nowhere]\n\
                   a = \"app.quit\"\n";
        let (file, diags) = parse("t", "t.toml", src);
        let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert_eq!(diags.len(), 4, "{text:#?}");
        assert!(
            text[0].starts_with("t.toml:3:5: unknown action `app.explode`"),
            "{}",
            text[0]
        );
        assert!(
            text[1].starts_with("t.toml:4:1: unknown key `Ctrl-x`"),
            "{}",
            text[1]
        );
        assert!(
            text[2].starts_with("t.toml:6:1:") && text[2].contains("write `space`"),
            "{}",
            text[2]
        );
        assert!(
            text[3].starts_with("t.toml:7:7: unknown context `nowhere`"),
            "{}",
            text[3]
        );
        // the good entries survived
        let km = file.keymap;
        assert_eq!(
            km.lookup(KeyContext::Global, &[Key::char('q')]),
            Lookup::Action(Action::Quit)
        );
        assert_eq!(
            km.lookup(KeyContext::Global, &[Key::char(' ')]),
            Lookup::Action(Action::Zoom)
        );
    }

    #[test]
    fn duplicate_binding_is_reported() {
        let src = "[keys.global]\nspace = \"pane.zoom\"\nC-space = \"app.help\"\n[keys.logs]\nminus = \"pane.zoom\"\n\"-\" = \"app.help\"\n";
        let (_, diags) = parse("t", "t.toml", src);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(
            diags[0]
                .to_string()
                .starts_with("t.toml:6:1: duplicate binding: `-` is the same key as `minus`"),
            "{}",
            diags[0]
        );
    }

    #[test]
    fn syntax_error_has_position() {
        let (_, diags) = parse("t", "t.toml", "[keys.global]\nq = \"app.quit\n");
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].to_string().starts_with("t.toml:2:"),
            "{}",
            diags[0]
        );
        assert!(diags[0].message.contains("TOML syntax error"));
    }
}
