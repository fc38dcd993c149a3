//! Keymaps: one table per context, nested tables for sequences, keys in the notation of
//! [`super::key`]. A bad entry is skipped with a diagnostic; the rest loads.

use std::collections::BTreeMap;

use crate::action::Action;

use super::diag::{self, Diagnostic};
pub use super::key::{Key, KeyCode};

/// Where a binding applies. Pane contexts are consulted before `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyContext {
    Global,
    Pipeline,
    Workloads,
    Errors,
    Logs,
    Hosts,
    Help,
    /// Every dialog: confirmation, replicas, revision picker, host menu, audit viewer.
    Dialog,
    /// The one-line prompts (palette, filter). Only this table applies there, never
    /// `global`: every other key is typed text. Esc and C-c are fixed ways out.
    Prompt,
}

impl KeyContext {
    pub const ALL: [KeyContext; 9] = [
        KeyContext::Global,
        KeyContext::Pipeline,
        KeyContext::Workloads,
        KeyContext::Errors,
        KeyContext::Logs,
        KeyContext::Hosts,
        KeyContext::Help,
        KeyContext::Dialog,
        KeyContext::Prompt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Pipeline => "pipeline",
            KeyContext::Workloads => "workloads",
            KeyContext::Errors => "errors",
            KeyContext::Logs => "logs",
            KeyContext::Hosts => "hosts",
            KeyContext::Help => "help",
            KeyContext::Dialog => "dialog",
            KeyContext::Prompt => "prompt",
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
            PaneId::Hosts => KeyContext::Hosts,
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
    /// Looks `keys` up in `ctx`, then in `global` (a prompt: in `prompt` only).
    pub fn lookup(&self, ctx: KeyContext, keys: &[Key]) -> Lookup {
        for c in ctx.chain() {
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

    /// Where this keymap has no `[keys.prompt]` table, takes `default`'s; where nothing
    /// in `[keys.dialog]` goes on (`dialog.next`), binds `default`'s keys for it that
    /// are free there. These keys were fixed before keymaps named them: a keymap written
    /// without them keeps working.
    pub fn fill_from(&mut self, default: &Keymap) {
        if !self.contexts.contains_key(&KeyContext::Prompt)
            && let Some(prompt) = default.contexts.get(&KeyContext::Prompt)
        {
            self.contexts.insert(KeyContext::Prompt, prompt.clone());
        }
        let dialog = self.contexts.entry(KeyContext::Dialog).or_default();
        if !dialog
            .values()
            .any(|b| *b == Binding::Action(Action::DialogNext))
            && let Some(theirs) = default.contexts.get(&KeyContext::Dialog)
        {
            for (key, binding) in theirs {
                if *binding == Binding::Action(Action::DialogNext) {
                    dialog.entry(*key).or_insert_with(|| binding.clone());
                }
            }
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

    /// The first key sequence bound to `action` (pane context first), for hints: the
    /// one helper every hint, footer and help line names a key with.
    pub fn key_for(&self, ctx: KeyContext, action: Action) -> Option<String> {
        self.keys_for(ctx, action).into_iter().next()
    }

    /// Every key sequence bound to `action` in the first context of `ctx`'s lookup chain
    /// that binds it, in key order, written as hints show them (`-`, not `minus`).
    pub fn keys_for(&self, ctx: KeyContext, action: Action) -> Vec<String> {
        for c in ctx.chain() {
            if let Some(table) = self.contexts.get(c) {
                let mut found = Vec::new();
                collect_as(table, String::new(), &Key::hint, &mut |seq, a| {
                    if a == action {
                        found.push(seq);
                    }
                });
                if !found.is_empty() {
                    return found;
                }
            }
        }
        Vec::new()
    }
}

impl KeyContext {
    /// The contexts a key is looked up in, in order.
    fn chain(&self) -> &'static [KeyContext] {
        match self {
            KeyContext::Global => &[KeyContext::Global],
            KeyContext::Prompt => &[KeyContext::Prompt],
            KeyContext::Pipeline => &[KeyContext::Pipeline, KeyContext::Global],
            KeyContext::Workloads => &[KeyContext::Workloads, KeyContext::Global],
            KeyContext::Errors => &[KeyContext::Errors, KeyContext::Global],
            KeyContext::Logs => &[KeyContext::Logs, KeyContext::Global],
            KeyContext::Hosts => &[KeyContext::Hosts, KeyContext::Global],
            KeyContext::Help => &[KeyContext::Help, KeyContext::Global],
            KeyContext::Dialog => &[KeyContext::Dialog, KeyContext::Global],
        }
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
    collect_as(table, prefix, &Key::to_string, f)
}

fn collect_as(
    table: &BTreeMap<Key, Binding>,
    prefix: String,
    name: &dyn Fn(&Key) -> String,
    f: &mut dyn FnMut(String, Action),
) {
    for (key, binding) in table {
        let seq = if prefix.is_empty() {
            name(key)
        } else {
            format!("{prefix} {}", name(key))
        };
        match binding {
            Binding::Action(Action::Noop) => {}
            Binding::Action(a) => f(seq, *a),
            Binding::Sequence(inner) => collect_as(inner, seq, name, f),
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
                    let bindings = parse_table(ctx, table, &at, &mut diags);
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
    ctx: KeyContext,
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
            if ctx == KeyContext::Prompt {
                diags.push(at(
                    span.clone(),
                    "[keys.prompt] binds single keys, not sequences".into(),
                ));
                continue;
            }
            let inner = parse_table(ctx, inner, at, diags);
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
        if ctx == KeyContext::Prompt
            && let Some(why) = prompt_refusal(key, &binding)
        {
            diags.push(at(span.clone(), why));
            continue;
        }
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

/// Why `key` cannot be bound to `binding` in `[keys.prompt]`, if it cannot.
fn prompt_refusal(key: Key, binding: &Binding) -> Option<String> {
    const FIXED: [Key; 2] = [
        Key::plain(KeyCode::Esc),
        Key {
            code: KeyCode::Char('c'),
            ctrl: true,
            alt: false,
            shift: false,
        },
    ];
    if FIXED.contains(&key) {
        return Some(format!(
            "`{key}` always leaves a prompt (esc clears a filter, C-c keeps it); it cannot be bound"
        ));
    }
    if key.is_text() {
        return Some(format!(
            "`{key}` is typed text in a prompt: bind a named key or one with C- or A-"
        ));
    }
    match binding {
        Binding::Action(a) if !a.is_prompt() && *a != Action::Noop => Some(format!(
            "`{a}` does nothing in a prompt: [keys.prompt] takes the prompt.* actions"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
