//! The architecture test: the module walls of `src/`.
//!
//! It reads every `.rs` file under `src/`, finds every path into the crate outside comments
//! and string/char literals (`crate::…` anywhere, each leaf of a grouped `use`, `super::…`
//! resolved from the file's module path and its inline `mod`s, `flightdeck::…` in
//! `src/main.rs`), and checks each one against [`LAYERS`]. A module may import its own
//! layer and the layers it lists; `ui` may take from `sources` and `ops` only the plain model
//! modules in [`UI_MODEL_PATHS`]. Only [`may_name_sandbox`] files may name the sandbox crate,
//! no two top-level modules may import each other through a circle, and a top-level module
//! that is not in [`LAYERS`] is reported until someone places it. Inside every folder of
//! `src/` and of the sandbox crate's `src/`, no two split-off files may import each other
//! through a circle ([`folder_circles`]), and no split-off file may import an item its parent
//! module file defines ([`parent_imports`]).
//!
//! The checker is a plain function over `(path, text)` pairs, so the tests at the bottom plant
//! wrong imports in small in-memory trees and prove that it fails on them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// One layer of the console: its top-level modules and what they may import.
struct Layer {
    name: &'static str,
    /// Top-level modules (`src/<name>.rs` or `src/<name>/`). A listed module need not exist.
    modules: &'static [&'static str],
    /// Layers this one may import besides its own; `"*"` means anything.
    may_import: &'static [&'static str],
    /// Paths (prefixes, by whole segments) it may import from layers it otherwise may not.
    also_paths: &'static [&'static str],
}

/// The plain model modules of `sources` and `ops` that `ui` may import, by a path through one
/// of these prefixes. Anything else from `sources` or `ops` (a re-export at a source's root,
/// a task, a client) stays out of the view. Extend this list when a new model module appears.
const UI_MODEL_PATHS: &[&str] = &[
    "sources::github::model",
    "sources::github::snapshot",
    "sources::gpu::model",
    "sources::kube::model",
    "sources::logs::model",
    "sources::metrics::model",
    "ops::model",
];

/// The layers, lowest first. Everything that is not `top` lives in exactly one layer.
const LAYERS: &[Layer] = &[
    Layer {
        name: "base",
        modules: &["text", "term", "applog", "action", "pane", "secret"],
        may_import: &[],
        also_paths: &[],
    },
    Layer {
        name: "config",
        modules: &["config"],
        may_import: &["base"],
        also_paths: &[],
    },
    Layer {
        name: "sources",
        modules: &["sources"],
        may_import: &["base", "config"],
        also_paths: &[],
    },
    Layer {
        name: "ops",
        modules: &["ops"],
        may_import: &["base", "config", "sources"],
        also_paths: &[],
    },
    Layer {
        name: "app",
        modules: &["app"],
        may_import: &["base", "config", "sources", "ops"],
        also_paths: &[],
    },
    Layer {
        name: "ui",
        modules: &["ui"],
        may_import: &["base", "config", "app"],
        also_paths: UI_MODEL_PATHS,
    },
    Layer {
        name: "top",
        modules: &["console", "cli"],
        may_import: &["*"],
        also_paths: &[],
    },
];

/// The simulated world's crate (`crates/sandbox`).
const SANDBOX_CRATE: &str = "flightdeck_sandbox";

/// Only the console (`src/console.rs` or `src/console/…`), the command line and `main` may
/// name the sandbox crate.
fn may_name_sandbox(file: &str) -> bool {
    file == "src/console.rs"
        || file.starts_with("src/console/")
        || file == "src/cli.rs"
        || file == "src/main.rs"
}

/// The crate roots: they are the top layer, and not nodes of the module graph.
const LIB_RS: &str = "src/lib.rs";
const MAIN_RS: &str = "src/main.rs";

// ---------------------------------------------------------------------------------------------
// Lexing: identifiers, `::` and punctuation, with line numbers; no comments, no literals.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Skips a `"…"` literal starting at `chars[i] == '"'`; returns the index after it.
fn skip_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    i += 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if chars.get(i + 1) == Some(&'\n') {
                    *line += 1;
                }
                i += 2;
            }
            '"' => return i + 1,
            '\n' => {
                *line += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    i
}

/// Skips a raw string whose `hashes` `#`s and opening `"` end just before `i`.
fn skip_raw_string(chars: &[char], mut i: usize, hashes: usize, line: &mut usize) -> usize {
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        if chars[i] == '\n' {
            *line += 1;
        }
        i += 1;
    }
    i
}

fn tokenize(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut toks = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '/' if at(i + 1) == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => {
                let mut depth = 1;
                i += 2;
                while i < chars.len() && depth > 0 {
                    if chars[i] == '/' && at(i + 1) == Some('*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == Some('/') {
                        depth -= 1;
                        i += 2;
                    } else {
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            '"' => i = skip_string(&chars, i, &mut line),
            '\'' => {
                if at(i + 1) == Some('\\') {
                    // '\n', '\'', '\u{…}'
                    i += 3;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if at(i + 2) == Some('\'') {
                    // 'x'
                    i += 3;
                } else {
                    // a lifetime or a label
                    i += 1;
                }
            }
            c if is_ident_start(c) => {
                let start = i;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                let ident: String = chars[start..i].iter().collect();
                let mut hashes = 0;
                while at(i + hashes) == Some('#') {
                    hashes += 1;
                }
                if matches!(ident.as_str(), "r" | "br" | "cr") && at(i + hashes) == Some('"') {
                    i = skip_raw_string(&chars, i + hashes + 1, hashes, &mut line);
                    continue;
                }
                if ident == "r" && hashes == 1 && at(i + 1).is_some_and(is_ident_start) {
                    // a raw identifier: r#type
                    i += 1;
                    continue;
                }
                if matches!(ident.as_str(), "b" | "c") && matches!(at(i), Some('"' | '\'')) {
                    // b"…", c"…", b'x': the literal comes next
                    continue;
                }
                toks.push(Token {
                    tok: Tok::Ident(ident),
                    line,
                });
            }
            c if c.is_ascii_digit() => {
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
            }
            ':' if at(i + 1) == Some(':') => {
                toks.push(Token {
                    tok: Tok::PathSep,
                    line,
                });
                i += 2;
            }
            c => {
                toks.push(Token {
                    tok: Tok::Punct(c),
                    line,
                });
                i += 1;
            }
        }
    }
    toks
}

// ---------------------------------------------------------------------------------------------
// Paths: every reference into the crate, resolved to an absolute module path.

/// One reference from a file to another top-level module of the crate.
#[derive(Debug, Clone, PartialEq)]
struct Ref {
    file: String,
    line: usize,
    /// The importing top-level module, or the crate root's file (`src/lib.rs`, `src/main.rs`).
    owner: String,
    /// The absolute path, without `crate::`: `["app", "state", "State"]`.
    path: Vec<String>,
    /// Whether it is a leaf of a `use` (a name the file brings in, or re-exports).
    from_use: bool,
}

/// What a scanned file holds.
#[derive(Debug, Default)]
struct Scan {
    refs: Vec<Ref>,
    /// References inside the file's own top-level module (for the folder check).
    inner: Vec<Ref>,
    /// Lines that name the sandbox crate.
    sandbox_lines: Vec<usize>,
}

/// `src/ui/panes/gpu.rs` is `ui::panes::gpu`, `src/ui/mod.rs` is `ui`, the roots are empty.
fn module_of(file: &str) -> Vec<String> {
    let rel = file.strip_prefix("src/").unwrap_or(file);
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut segs: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if segs.last().is_some_and(|s| s == "mod") {
        segs.pop();
    }
    if file == LIB_RS || file == MAIN_RS {
        segs.clear();
    }
    segs
}

/// The top-level module a file belongs to, or the root file's own name.
fn owner_of(file: &str) -> String {
    match module_of(file).into_iter().next() {
        Some(m) => m,
        None => file.to_owned(),
    }
}

fn tok_at(toks: &[Token], i: usize) -> Option<&Tok> {
    toks.get(i).map(|t| &t.tok)
}

/// Parses a path or a `use` tree at `toks[*pos]`, pushing every leaf (with the line of its
/// last segment) onto `out`. `{self, …}` names the prefix itself; `*` names the prefix.
fn parse_tree(
    toks: &[Token],
    pos: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, usize)>,
) {
    let mut path = prefix;
    let mut line = toks.get(*pos).map_or(0, |t| t.line);
    loop {
        match tok_at(toks, *pos) {
            Some(Tok::Ident(id)) => {
                line = toks[*pos].line;
                if id != "self" || path.is_empty() {
                    path.push(id.clone());
                }
                *pos += 1;
                if tok_at(toks, *pos) == Some(&Tok::PathSep) {
                    *pos += 1;
                    continue;
                }
                out.push((path, line));
                return;
            }
            Some(Tok::Punct('{')) => {
                *pos += 1;
                loop {
                    match tok_at(toks, *pos) {
                        None => return,
                        Some(Tok::Punct('}')) => {
                            *pos += 1;
                            return;
                        }
                        Some(Tok::Punct(',')) => *pos += 1,
                        Some(_) => {
                            let before = *pos;
                            parse_tree(toks, pos, path.clone(), out);
                            if matches!(tok_at(toks, *pos), Some(Tok::Ident(w)) if w == "as") {
                                *pos += 2;
                            }
                            if *pos == before {
                                *pos += 1;
                            }
                        }
                    }
                }
            }
            Some(Tok::Punct('*')) => {
                line = toks[*pos].line;
                *pos += 1;
                out.push((path, line));
                return;
            }
            _ => {
                // `::<` (a turbofish) or the end of the input
                out.push((path, line));
                return;
            }
        }
    }
}

/// Resolves `crate::…`, `self::…` and `super::…` against the module `here`.
fn resolve(segs: &[String], here: &[String]) -> Option<Vec<String>> {
    let first = segs.first()?.as_str();
    match first {
        "crate" | "flightdeck" => Some(segs[1..].to_vec()),
        "self" => Some(here.iter().chain(&segs[1..]).cloned().collect()),
        "super" => {
            let mut base = here.to_vec();
            let mut k = 0;
            while segs.get(k).is_some_and(|s| s == "super") {
                base.pop()?;
                k += 1;
            }
            base.extend_from_slice(&segs[k..]);
            Some(base)
        }
        _ => None,
    }
}

/// Every reference from `file` to another top-level module, and every mention of the sandbox.
fn scan(file: &str, src: &str) -> Scan {
    scan_as(file, module_of(file), src)
}

/// The modules a file declares with `mod name;` or `mod name { … }`, each under the inline
/// modules around it: a path may start at one of them (`use rows::PodRow;`).
fn declared_mods(toks: &[Token], file_module: &[String]) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Ident(kw) if kw == "mod" => {
                let Some(Tok::Ident(name)) = tok_at(toks, i + 1) else {
                    continue;
                };
                let mut path: Vec<String> = file_module.to_vec();
                path.extend(inline.iter().map(|(n, _)| n.clone()));
                path.push(name.clone());
                found.insert(path);
                if tok_at(toks, i + 2) == Some(&Tok::Punct('{')) {
                    inline.push((name.clone(), depth + 1));
                }
            }
            _ => {}
        }
    }
    found
}

/// [`scan`] for a file whose module is `file_module` (a `#[path]` file's is not its name's).
fn scan_as(file: &str, file_module: Vec<String>, src: &str) -> Scan {
    let toks = tokenize(src);
    let owner = owner_of(file);
    let is_main = file == MAIN_RS;
    let children = declared_mods(&toks, &file_module);
    let mut out = Scan::default();
    // inline `mod name { … }`: the name and the brace depth of its body
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < toks.len() {
        let prev_is_sep = i > 0 && toks[i - 1].tok == Tok::PathSep;
        let next_is_sep = tok_at(&toks, i + 1) == Some(&Tok::PathSep);
        match &toks[i].tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Punct('{'))) =
                    (tok_at(&toks, i + 1), tok_at(&toks, i + 2))
                {
                    inline.push((name.clone(), depth + 1));
                }
            }
            Tok::Ident(id) if id == SANDBOX_CRATE => out.sandbox_lines.push(toks[i].line),
            Tok::Ident(id) if !prev_is_sep && next_is_sep => {
                let here: Vec<String> = file_module
                    .iter()
                    .cloned()
                    .chain(inline.iter().map(|(name, _)| name.clone()))
                    .collect();
                let rooted = matches!(id.as_str(), "crate" | "super" | "self")
                    || (is_main && id == "flightdeck");
                let mut child = here.clone();
                child.push(id.clone());
                if !rooted && !children.contains(&child) {
                    i += 1;
                    continue;
                }
                let from_use = i > 0 && toks[i - 1].tok == Tok::Ident("use".to_owned());
                let mut leaves = Vec::new();
                parse_tree(&toks, &mut i, Vec::new(), &mut leaves);
                for (mut segs, line) in leaves {
                    if !rooted {
                        segs.insert(0, "self".to_owned());
                    }
                    let Some(path) = resolve(&segs, &here) else {
                        continue;
                    };
                    let r = Ref {
                        file: file.to_owned(),
                        line,
                        owner: owner.clone(),
                        path,
                        from_use,
                    };
                    match r.path.first() {
                        None => out.inner.push(r),
                        Some(top) if *top == owner => out.inner.push(r),
                        Some(_) => out.refs.push(r),
                    }
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The checks.

fn layer_of(module: &str) -> Option<&'static Layer> {
    if module == LIB_RS || module == MAIN_RS {
        return LAYERS.iter().find(|l| l.may_import.contains(&"*"));
    }
    LAYERS.iter().find(|l| l.modules.contains(&module))
}

fn has_prefix(path: &[String], prefix: &str) -> bool {
    let want: Vec<&str> = prefix.split("::").collect();
    path.len() >= want.len() && path.iter().zip(&want).all(|(a, b)| a == b)
}

/// The top-level modules that exist in the tree, with the first file of each.
fn modules_in(files: &[(String, String)]) -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    for (file, _) in files {
        if file == LIB_RS || file == MAIN_RS {
            continue;
        }
        let first = modules
            .entry(owner_of(file))
            .or_insert_with(|| file.clone());
        if file < first {
            *first = file.clone();
        }
    }
    modules
}

/// Every broken wall, one message each, sorted by file and line.
fn layer_violations(files: &[(String, String)]) -> Vec<String> {
    let modules = modules_in(files);
    let mut found: BTreeSet<(String, usize, String)> = BTreeSet::new();
    for (module, file) in &modules {
        if layer_of(module).is_none() {
            found.insert((
                file.clone(),
                1,
                format!("{module} is not placed in a layer — add it to the test's layer table"),
            ));
        }
    }
    for (file, src) in files {
        let scan = scan(file, src);
        let owner = owner_of(file);
        if !may_name_sandbox(file) {
            for line in &scan.sandbox_lines {
                found.insert((
                    file.clone(),
                    *line,
                    format!(
                        "{owner} names {SANDBOX_CRATE} (only src/console*, src/cli.rs and src/main.rs may)"
                    ),
                ));
            }
        }
        let Some(layer) = layer_of(&owner) else {
            continue; // reported once above
        };
        if layer.may_import.contains(&"*") {
            continue;
        }
        for r in &scan.refs {
            if let Some(why) = wrong_import(layer, &r.path, &modules) {
                found.insert((
                    r.file.clone(),
                    r.line,
                    format!("{} imports {} ({why})", r.owner, r.path.join("::")),
                ));
            }
        }
    }
    found
        .into_iter()
        .map(|(file, line, msg)| format!("{file}:{line}: {msg}"))
        .collect()
}

/// Why `layer` may not import `path`, or `None` where it may.
fn wrong_import(
    layer: &Layer,
    path: &[String],
    modules: &BTreeMap<String, String>,
) -> Option<String> {
    let target = path.first()?;
    let Some(target_layer) = layer_of(target) else {
        return Some(if modules.contains_key(target) {
            format!("{target} is not placed in a layer — add it to the test's layer table")
        } else {
            format!("{target} is not a module of the layer table: import it from its module")
        });
    };
    if target_layer.name == layer.name
        || layer.may_import.contains(&target_layer.name)
        || layer.also_paths.iter().any(|p| has_prefix(path, p))
    {
        return None;
    }
    let from_models = layer
        .also_paths
        .iter()
        .filter_map(|p| layer_of(p.split("::").next().unwrap_or(p)))
        .any(|l| l.name == target_layer.name);
    if from_models {
        return Some(format!(
            "{} may take from sources and ops only the model modules in UI_MODEL_PATHS: import it from the model module",
            layer.name
        ));
    }
    let mut why = if layer.may_import.is_empty() {
        format!("{} may import only {} modules", layer.name, layer.name)
    } else {
        format!("{} may import {}", layer.name, layer.may_import.join(", "))
    };
    if !layer.also_paths.is_empty() {
        why.push_str(", and the model modules in UI_MODEL_PATHS");
    }
    Some(why)
}

/// The graph of top-level modules: for each edge, its first reference (file, line, path).
type Graph = BTreeMap<String, BTreeMap<String, (String, usize, String)>>;

fn module_graph(files: &[(String, String)]) -> Graph {
    let mut graph = Graph::new();
    for (file, src) in files {
        if file == LIB_RS || file == MAIN_RS {
            continue;
        }
        for r in scan(file, src).refs {
            let Some(target) = r.path.first() else {
                continue;
            };
            let example = (r.file.clone(), r.line, r.path.join("::"));
            let slot = graph
                .entry(r.owner.clone())
                .or_default()
                .entry(target.clone())
                .or_insert_with(|| example.clone());
            if (&example.0, example.1) < (&slot.0, slot.1) {
                *slot = example;
            }
        }
    }
    graph
}

/// Every circle between top-level modules (each once, from its smallest module), shortest
/// first, with one example reference per edge.
fn circles(files: &[(String, String)]) -> Vec<String> {
    circles_in(&module_graph(files))
}

/// Every circle of `graph` (each once, from its smallest node), shortest first, with one
/// example reference per edge.
fn circles_in(graph: &Graph) -> Vec<String> {
    const MAX: usize = 200;
    let mut found: Vec<Vec<String>> = Vec::new();
    fn walk(graph: &Graph, start: &str, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
        let Some(edges) = graph.get(path.last().map_or(start, String::as_str)) else {
            return;
        };
        for next in edges.keys() {
            if found.len() >= MAX {
                return;
            }
            if next == start {
                found.push(path.clone());
            } else if next.as_str() > start && !path.contains(next) {
                path.push(next.clone());
                walk(graph, start, path, found);
                path.pop();
            }
        }
    }
    for start in graph.keys() {
        walk(graph, start, &mut vec![start.clone()], &mut found);
    }
    found.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    let mut lines: Vec<String> = found
        .iter()
        .map(|circle| {
            let names = format!("{} -> {}", circle.join(" -> "), circle[0]);
            let edges: Vec<String> = circle
                .iter()
                .zip(circle.iter().cycle().skip(1))
                .map(|(from, to)| {
                    let (file, line, path) = &graph[from][to];
                    format!("{from} -> {to} at {file}:{line} ({path})")
                })
                .collect();
            format!("{names}: {}", edges.join("; "))
        })
        .collect();
    if found.len() >= MAX {
        lines.push(format!("… stopped after {MAX} circles"));
    }
    lines
}

/// The files a `#[path = "…"] mod name;` puts elsewhere than their name says, with the
/// module each really is: `src/sources/kube/slim_kinds_tests.rs` is `…::slim_kinds::tests`.
fn path_attributes(files: &[(String, String)]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (file, src) in files {
        let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
        let mut rest = src.as_str();
        while let Some(at) = rest.find("#[path") {
            rest = &rest[at + "#[path".len()..];
            let Some((_, after_quote)) = rest.split_once('"') else {
                break;
            };
            let Some((target, after)) = after_quote.split_once('"') else {
                break;
            };
            let Some(m) = after.find("mod ") else {
                break;
            };
            let name: String = after[m + 4..]
                .trim_start()
                .chars()
                .take_while(|c| is_ident_char(*c))
                .collect();
            let mut module = module_of(file);
            module.push(name);
            out.insert(format!("{dir}/{target}"), module);
            rest = after;
        }
    }
    out
}

/// Files that the other files of their folder may import although they import them back:
/// the hub the folder is built around. `State` is read by every decision in `app/` and
/// holds each pane's state.
const HUBS: &[&str] = &["src/app/state.rs"];

/// Imports between the files of a folder that another step of issue #27 removes, as
/// `"folder: from -> to"`; they are left out of [`folder_circles`]. The test fails on an
/// entry that no longer exists, so this list only shrinks.
const CUT_LATER: &[&str] = &[];

/// A crate's files as modules, for the checks between the files of a folder: each file's
/// module (a `#[path]` file at the module it really is), its references, and what each
/// module file brings in by `use` (name -> path), so that a re-exported name can be followed
/// to the file it comes from.
struct ModuleTree<'a> {
    moved: BTreeMap<String, Vec<String>>,
    files: Vec<&'a (String, String)>,
    modules: BTreeMap<Vec<String>, String>,
    scans: Vec<(Vec<String>, Vec<Ref>)>,
    brought: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
}

impl<'a> ModuleTree<'a> {
    fn new(files: &'a [(String, String)]) -> Self {
        let mut tree = ModuleTree {
            moved: path_attributes(files),
            files: files.iter().filter(|(f, _)| f != MAIN_RS).collect(),
            modules: BTreeMap::new(),
            scans: Vec::new(),
            brought: BTreeMap::new(),
        };
        for (f, src) in &tree.files {
            let module = tree.module_of_file(f);
            tree.modules.insert(module.clone(), f.clone());
            let scan = scan_as(f, module.clone(), src);
            tree.scans
                .push((module, scan.refs.into_iter().chain(scan.inner).collect()));
        }
        for (module, refs) in &tree.scans {
            for r in refs.iter().filter(|r| r.from_use) {
                if let Some(name) = r.path.last() {
                    tree.brought
                        .entry(module.clone())
                        .or_default()
                        .insert(name.clone(), r.path.clone());
                }
            }
        }
        tree
    }

    fn module_of_file(&self, file: &str) -> Vec<String> {
        self.moved
            .get(file)
            .cloned()
            .unwrap_or_else(|| module_of(file))
    }

    /// The module a path lands in: its longest prefix that is a file.
    fn landing(&self, path: &[String]) -> Option<Vec<String>> {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| self.modules.contains_key(p))
    }
}

/// Every circle between the split-off files of one module folder (its files and
/// sub-folders, each taken whole), leaving out the imports in `cut_later` (as in
/// [`CUT_LATER`]), and every entry of `cut_later` that is no longer imported. A reference counts
/// where it lands: `super::x::Y` in a split-off file is the sibling `x.rs`. The folder's own
/// file (`mod.rs`, or `name.rs` for `name/`) is not a node: it declares the others; a name
/// it brings in with `use` (a re-export) counts as the file the name comes from, an item it
/// defines itself as no sibling. The crate roots are the top: not nodes either. `crate_dir`
/// names the crate in the messages (`""` or `"crates/sandbox/"`).
fn folder_circles(files: &[(String, String)], crate_dir: &str, cut_later: &[&str]) -> Vec<String> {
    let tree = ModuleTree::new(files);
    let (modules, scans, brought) = (&tree.modules, &tree.scans, &tree.brought);
    let landing = |path: &[String]| tree.landing(path);
    // the name of a folder's child node: `x.rs`, or `x/` for a sub-folder
    let node = |parent: &[String], child: &str| -> String {
        let mut path = parent.to_vec();
        path.push(child.to_owned());
        let file = modules.get(&path).map_or("", String::as_str);
        let name = file.rsplit('/').next().unwrap_or(file);
        if name == "mod.rs" {
            format!("{child}/")
        } else {
            name.to_owned()
        }
    };
    let folder_name = |parent: &[String]| -> String {
        let file = modules.get(parent).map_or("src/lib.rs", String::as_str);
        let dir = file
            .strip_suffix("mod.rs")
            .or_else(|| file.strip_suffix("lib.rs"))
            .map_or_else(
                || format!("{}/", file.trim_end_matches(".rs")),
                str::to_owned,
            );
        format!("{crate_dir}{dir}")
    };
    // folder -> graph of its split-off files
    let mut graphs: BTreeMap<String, Graph> = BTreeMap::new();
    for (from, refs) in scans {
        for r in refs {
            let Some(mut to) = landing(&r.path) else {
                continue;
            };
            let mut path = r.path.clone();
            let mut common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            // the folder's own file (or an ancestor's): where what it brings in by `use`
            // comes from, through re-exports of re-exports
            for _ in 0..8 {
                if common != to.len() || common >= from.len() {
                    break;
                }
                let Some(again) = (path.get(to.len()))
                    .and_then(|name| brought.get(&to)?.get(name))
                    .cloned()
                else {
                    break;
                };
                path = again;
                let Some(land) = landing(&path) else {
                    break;
                };
                to = land;
                common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            }
            if common >= from.len() || common >= to.len() {
                continue; // within one file, or to its own folder's file
            }
            let parent = from[..common].to_vec();
            let (a, b) = (node(&parent, &from[common]), node(&parent, &to[common]));
            let folder = folder_name(&parent);
            if HUBS.contains(&format!("{folder}{b}").as_str()) {
                continue;
            }
            let example = (format!("{crate_dir}{}", r.file), r.line, r.path.join("::"));
            let slot = graphs
                .entry(folder)
                .or_default()
                .entry(a)
                .or_default()
                .entry(b)
                .or_insert_with(|| example.clone());
            if (&example.0, example.1) < (&slot.0, slot.1) {
                *slot = example;
            }
        }
    }
    let mut lines = Vec::new();
    {
        for entry in cut_later {
            let cut = entry.split_once(": ").and_then(|(folder, edge)| {
                let (a, b) = edge.split_once(" -> ")?;
                graphs.get_mut(folder)?.get_mut(a)?.remove(b)
            });
            if cut.is_none() {
                lines.push(format!(
                    "{entry}: listed in CUT_LATER but no longer imported: remove it from the list"
                ));
            }
        }
    }
    for (folder, graph) in &graphs {
        for circle in circles_in(graph) {
            lines.push(format!("{folder}: {circle}"));
        }
    }
    lines
}

/// The items a file defines at its top level (not inside an inline `mod`, an `impl` or a
/// body): `fn`, `struct`, `enum`, `union`, `trait`, `type`, `const`, `static`, `macro_rules!`.
fn defined_items(src: &str) -> BTreeSet<String> {
    let toks = tokenize(src);
    let mut found = BTreeSet::new();
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => depth = depth.saturating_sub(1),
            Tok::Ident(kw) if depth == 0 => {
                let name = match kw.as_str() {
                    "fn" | "struct" | "enum" | "union" | "trait" | "type" | "const" | "static" => {
                        tok_at(&toks, i + 1)
                    }
                    "macro_rules" if tok_at(&toks, i + 1) == Some(&Tok::Punct('!')) => {
                        tok_at(&toks, i + 2)
                    }
                    _ => None,
                };
                if let Some(Tok::Ident(name)) = name
                    && name != "fn"
                {
                    found.insert(name.clone());
                }
            }
            _ => {}
        }
    }
    found
}

/// Imports of a parent that another step of issue #27 removes, as `"file: path"` (the file
/// as in the messages, the path as imported); they are left out of [`parent_imports`]. The
/// test fails on an entry that no longer applies, so this list only shrinks (it is empty).
const PARENT_CUT_LATER: &[&str] = &[];

/// Every import by a split-off file of an item its parent module file defines (the folder's
/// `mod.rs`, or `name.rs` for `name/`): the parent declares the child, so the two import each
/// other. A name the parent re-exports counts as the file it comes from, through re-exports of
/// re-exports, as in [`folder_circles`]; a glob `use super::*;` counts as an import of the
/// parent where the parent defines anything. The crate roots are the top, not parents; a
/// `tests` module is the parent's own tests, not a piece split off it. Imports listed in
/// `cut_later` (as in [`PARENT_CUT_LATER`]) are left out, and an entry that matches nothing is
/// reported. `crate_dir` names the crate in the messages (`""` or `"crates/sandbox/"`).
fn parent_imports(files: &[(String, String)], crate_dir: &str, cut_later: &[&str]) -> Vec<String> {
    let tree = ModuleTree::new(files);
    let (modules, scans, brought) = (&tree.modules, &tree.scans, &tree.brought);
    let landing = |path: &[String]| tree.landing(path);
    let defined: BTreeMap<Vec<String>, BTreeSet<String>> = tree
        .files
        .iter()
        .map(|(f, src)| (tree.module_of_file(f), defined_items(src)))
        .collect();
    let mut found: BTreeSet<(String, usize, String, String, String)> = BTreeSet::new();
    for (from, refs) in scans {
        if from.len() < 2 || from.last().is_some_and(|m| m == "tests") {
            continue; // a crate root, a top-level module (its parent is the root), or tests
        }
        let parent = &from[..from.len() - 1];
        let Some(parent_file) = modules.get(parent) else {
            continue;
        };
        for r in refs {
            let Some(mut to) = landing(&r.path) else {
                continue;
            };
            // where a name the parent (or any module file) re-exports comes from
            let mut path = r.path.clone();
            for _ in 0..8 {
                let Some(again) = (path.get(to.len()))
                    .and_then(|name| brought.get(&to)?.get(name))
                    .filter(|again| **again != path)
                    .cloned()
                else {
                    break;
                };
                path = again;
                let Some(land) = landing(&path) else {
                    break;
                };
                to = land;
            }
            if to != parent {
                continue;
            }
            let item = match path.get(to.len()) {
                Some(name) if defined[parent].contains(name) => name.clone(),
                Some(_) => continue,
                None if r.from_use && !defined[parent].is_empty() => "*".to_owned(),
                None => continue,
            };
            found.insert((
                format!("{crate_dir}{}", r.file),
                r.line,
                r.path.join("::"),
                item,
                format!("{crate_dir}{parent_file}"),
            ));
        }
    }
    let mut lines = Vec::new();
    for entry in cut_later {
        let before = found.len();
        found.retain(|(file, _, path, _, _)| format!("{file}: {path}") != *entry);
        if found.len() == before {
            lines.push(format!(
                "{entry}: listed in PARENT_CUT_LATER but no longer imported: remove it from the list"
            ));
        }
    }
    for (file, line, path, item, parent_file) in found {
        lines.push(if item == "*" {
            format!(
                "{file}:{line}: {path}::* — a glob of the parent {parent_file}, which defines items"
            )
        } else {
            format!("{file}:{line}: {path} — {item} is defined in the parent {parent_file}")
        });
    }
    lines
}

/// Every import by a model module (a `model` of `sources` or `ops`, or a path in
/// [`UI_MODEL_PATHS`]) of `sources` or `ops` outside the model modules: a model is plain
/// data, below the decoders, clients and tasks of its source, which import it.
fn model_imports(files: &[(String, String)]) -> Vec<String> {
    let is_model = |path: &[String]| {
        UI_MODEL_PATHS.iter().any(|p| has_prefix(path, p))
            || (matches!(path.first().map(String::as_str), Some("sources" | "ops"))
                && path.iter().any(|s| s == "model"))
    };
    let mut found = Vec::new();
    for (file, src) in files {
        if !is_model(&module_of(file)) {
            continue;
        }
        let scan = scan(file, src);
        for r in scan.refs.iter().chain(&scan.inner) {
            let below = matches!(r.path.first().map(String::as_str), Some("sources" | "ops"));
            if below && !is_model(&r.path) {
                found.push(format!(
                    "{}:{}: the model imports {}: a model imports only models and base modules",
                    r.file,
                    r.line,
                    r.path.join("::")
                ));
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// The walls inside `app`: panes, dialogs, state and events.

/// Files of `app` that call no pane: they may name a pane's plain types (the data `State`
/// holds), never its functions or modules.
const CALL_NO_PANE: &[&str] = &["src/app/dialog.rs", "src/app/state.rs", "src/app/event.rs"];

/// The pane a file belongs to: `src/app/panes/<name>.rs` or a file under
/// `src/app/panes/<name>/` (not `src/app/panes/mod.rs`, the panes' common part).
fn pane_of(file: &str) -> Option<String> {
    let rest = file.strip_prefix("src/app/panes/")?;
    let name = match rest.split_once('/') {
        Some((dir, _)) => dir,
        None => rest.strip_suffix(".rs")?,
    };
    (name != "mod").then(|| name.to_owned())
}

/// Whether a path names a type or an item of one (`HostsData`, `HostsData::new`,
/// `Dialog::Backups`): some segment is an UpperCamel name. A path of lower-case segments
/// only names a module or a function.
fn names_type(path: &[String]) -> bool {
    path.iter()
        .any(|s| s.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
}

/// Every broken wall inside `app`, sorted by file and line:
/// - a pane imports neither `app::update` nor another pane (`app::panes::Y`, Y not itself),
///   and takes from `app::dialog` only its types (it returns an intent to open or plan);
/// - [`CALL_NO_PANE`] files take from `app::panes` only plain types.
fn app_wall_violations(files: &[(String, String)]) -> Vec<String> {
    let mut found: BTreeSet<(String, usize, String)> = BTreeSet::new();
    for (file, src) in files {
        let pane = pane_of(file);
        let leaf = CALL_NO_PANE.contains(&file.as_str());
        if pane.is_none() && !leaf {
            continue;
        }
        for r in scan(file, src).inner {
            let segs: Vec<&str> = r.path.iter().map(String::as_str).collect();
            let why = match (&pane, segs.as_slice()) {
                (Some(me), ["app", "update", ..]) => Some(format!(
                    "pane {me} imports app::update (a pane returns intents that update carries out)"
                )),
                (Some(me), ["app", "panes", y, ..]) if y != me => Some(format!(
                    "pane {me} imports another pane (a pane returns intents that update carries out)"
                )),
                (Some(me), ["app", "dialog", ..]) if !names_type(&r.path[2..]) => Some(format!(
                    "pane {me} calls a dialog function (a pane returns an intent to open or plan)"
                )),
                (None, ["app", "panes", ..]) if !names_type(&r.path[2..]) => {
                    Some("calls a pane (only the panes' plain types may be named here)".to_owned())
                }
                _ => None,
            };
            if let Some(why) = why {
                found.insert((
                    r.file.clone(),
                    r.line,
                    format!("{} — {why}", r.path.join("::")),
                ));
            }
        }
    }
    found
        .into_iter()
        .map(|(file, line, msg)| format!("{file}:{line}: {msg}"))
        .collect()
}

/// Every `.rs` file under `src/`, as (`src/…` with `/`, text), sorted.
fn read_src() -> Vec<(String, String)> {
    read_crate(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Every `.rs` file under the crate at `dir`'s `src/`, as (`src/…` with `/`, text), sorted.
fn read_crate(dir: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
        let entries =
            fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let rel = format!("{rel}/{name}");
            if path.is_dir() {
                walk(&path, &rel, out);
            } else if name.ends_with(".rs") {
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                out.push((rel, text));
            }
        }
    }
    let root = dir.join("src");
    let mut files = Vec::new();
    walk(&root, "src", &mut files);
    files.sort();
    assert!(
        files.iter().any(|(f, _)| f == LIB_RS) && files.len() > 10,
        "the architecture test found no crate under {}",
        root.display()
    );
    files
}

#[test]
fn imports_follow_the_layers() {
    let violations = layer_violations(&read_src());
    assert!(
        violations.is_empty(),
        "{} imports break the layers (see tests/architecture.rs):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

/// No circle between the split-off files of one folder, in the console and in the sandbox
/// crate: the file a piece was split from does not import the piece back (through a
/// re-export of its parent or directly).
#[test]
fn no_circle_between_files_of_a_folder() {
    let sandbox = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/sandbox");
    let mut circles = folder_circles(&read_src(), "", CUT_LATER);
    circles.extend(folder_circles(
        &read_crate(&sandbox),
        "crates/sandbox/",
        &[],
    ));
    assert!(
        circles.is_empty(),
        "{} circles between the files of a folder (split-off files that import each other, \
         directly or round a circle; see tests/architecture.rs):\n{}",
        circles.len(),
        circles.join("\n")
    );
}

/// A split-off file never imports its parent: what a child needs from the file that declares
/// it lives in a leaf file both import (in the console and in the sandbox crate).
#[test]
fn no_split_off_file_imports_its_parent() {
    let sandbox = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/sandbox");
    let (sandbox_later, console_later): (Vec<&str>, Vec<&str>) = PARENT_CUT_LATER
        .iter()
        .partition(|e| e.starts_with("crates/sandbox/"));
    let mut found = parent_imports(&read_src(), "", &console_later);
    found.extend(parent_imports(
        &read_crate(&sandbox),
        "crates/sandbox/",
        &sandbox_later,
    ));
    assert!(
        found.is_empty(),
        "{} imports by a split-off file of its parent (move what the child needs to a leaf \
         file both import; see tests/console/architecture.rs):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn models_import_only_models() {
    let found = model_imports(&read_src());
    assert!(
        found.is_empty(),
        "{} imports out of a model module:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn planted_model_import_of_a_decoder_is_reported() {
    let files = tree(&[
        (
            "src/sources/kube/model/rows.rs",
            "use super::key::ObjKey;\nuse crate::text::clean;\nuse crate::sources::gpu::model::GpuPod;\nuse crate::sources::kube::slim::Pod;\n",
        ),
        ("src/sources/kube/rows.rs", "use super::slim::Pod;\n"),
        // any `model` of a source, not only those the view reads
        (
            "src/sources/systemd/model.rs",
            "use crate::sources::logs::ingest::LogLine;\nuse crate::sources::logs::model::LineKind;\n",
        ),
    ]);
    assert_eq!(
        model_imports(&files),
        [
            "src/sources/kube/model/rows.rs:4: the model imports sources::kube::slim::Pod: a model imports only models and base modules",
            "src/sources/systemd/model.rs:1: the model imports sources::logs::ingest::LogLine: a model imports only models and base modules",
        ]
    );
}

#[test]
fn no_circle_between_top_level_modules() {
    let circles = circles(&read_src());
    assert!(
        circles.is_empty(),
        "{} circles between top-level modules:\n{}",
        circles.len(),
        circles.join("\n")
    );
}

#[test]
fn panes_dialogs_state_and_events_keep_their_walls() {
    let violations = app_wall_violations(&read_src());
    assert!(
        violations.is_empty(),
        "{} imports break the walls inside app (see tests/console/architecture.rs):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The checker can fail: planted wrong imports in small in-memory trees.

fn tree(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(f, s)| ((*f).to_owned(), (*s).to_owned()))
        .collect()
}

#[test]
fn planted_wrong_import_is_reported_with_file_and_line() {
    let files = tree(&[
        ("src/lib.rs", "pub mod app;\npub mod sources;\n"),
        ("src/app/mod.rs", "pub struct State;\n"),
        (
            "src/sources/x.rs",
            "//! a source\n\nuse crate::app::State;\n",
        ),
    ]);
    assert_eq!(
        layer_violations(&files),
        ["src/sources/x.rs:3: sources imports app::State (sources may import base, config)"]
    );
}

#[test]
fn planted_grouped_import_reports_each_leaf_on_its_line() {
    let files = tree(&[(
        "src/config/x.rs",
        "use crate::{text::width, ui::{a, b as c}, app::State};\n\
         use crate::{\n    term::Term,\n    ops::{self, Operation},\n};\n",
    )]);
    assert_eq!(
        layer_violations(&files),
        [
            "src/config/x.rs:1: config imports app::State (config may import base)",
            "src/config/x.rs:1: config imports ui::a (config may import base)",
            "src/config/x.rs:1: config imports ui::b (config may import base)",
            "src/config/x.rs:4: config imports ops (config may import base)",
            "src/config/x.rs:4: config imports ops::Operation (config may import base)",
        ]
    );
}

#[test]
fn planted_super_climb_out_of_the_module_is_reported() {
    let files = tree(&[
        // sources::gpu -> super::super is the crate root
        ("src/sources/gpu/mod.rs", "use super::super::ui::Thing;\n"),
        // sources::gpu::local -> super::super is sources: inside, fine
        (
            "src/sources/gpu/local.rs",
            "use super::super::logs::Line;\nuse super::model::X;\n",
        ),
        // inside `mod tests` of ui, super is ui and super::super the crate root
        (
            "src/ui/mod.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::sources::gpu::spawn_local;\n}\n",
        ),
        // a file-level super in ops/mod.rs climbs out at once
        ("src/ops/mod.rs", "pub fn g() { super::app::go(); }\n"),
    ]);
    assert_eq!(
        layer_violations(&files),
        [
            "src/ops/mod.rs:1: ops imports app::go (ops may import base, config, sources)",
            "src/sources/gpu/mod.rs:1: sources imports ui::Thing (sources may import base, config)",
            "src/ui/mod.rs:5: ui imports sources::gpu::spawn_local (ui may take from sources and ops only the model modules in UI_MODEL_PATHS: import it from the model module)",
        ]
    );
}

#[test]
fn mentions_in_comments_and_literals_are_not_imports() {
    let src = r####"//! crate::ui::render is drawn by app
/// see [`crate::app::State`]
/* crate::ui /* nested crate::app */ still crate::ops */
fn f<'a>(x: &'a str) -> &'a str {
    let q = '"';
    let s = "use crate::app::State; \" crate::ui";
    let r = r#"crate::app "quoted" crate::ui"#;
    let b = b"crate::app";
    let t = br##"crate::ui"# crate::app"##;
    let c = '\'';
    let u = '\u{7b}';
    'outer: loop { break 'outer; }
    x
}
const LATE: &str = crate::app::NAME; // the only real one: line 15
"####;
    let files = tree(&[("src/text.rs", src)]);
    assert_eq!(
        layer_violations(&files),
        ["src/text.rs:15: text imports app::NAME (base may import only base modules)"]
    );
}

#[test]
fn ui_may_take_only_model_modules_from_sources_and_ops() {
    let files = tree(&[(
        "src/ui/panes/gpu.rs",
        "use crate::sources::gpu::model::GpuSample;\n\
         use crate::sources::github::{model::Job, snapshot::RunEntry};\n\
         use crate::ops::model::Plan;\n\
         use crate::app::state::State;\n\
         fn f() { crate::sources::gpu::spawn_local(); }\n\
         use crate::sources::gpu::GpuSample as Re;\n\
         fn g(o: &crate::ops::Operation) {}\n\
         use crate::sources::gpu::modelx::Y;\n",
    )]);
    let why = "(ui may take from sources and ops only the model modules in UI_MODEL_PATHS: import it from the model module)";
    assert_eq!(
        layer_violations(&files),
        [
            format!("src/ui/panes/gpu.rs:5: ui imports sources::gpu::spawn_local {why}"),
            format!("src/ui/panes/gpu.rs:6: ui imports sources::gpu::GpuSample {why}"),
            format!("src/ui/panes/gpu.rs:7: ui imports ops::Operation {why}"),
            format!("src/ui/panes/gpu.rs:8: ui imports sources::gpu::modelx::Y {why}"),
        ]
    );
}

#[test]
fn planted_circle_is_reported() {
    let files = tree(&[
        (
            "src/app/a.rs",
            "use crate::text::width;\n\nuse crate::ui::x;\n",
        ),
        ("src/ui/b.rs", "fn f() { crate::app::y(); }\n"),
        ("src/text.rs", "pub fn width() {}\n"),
    ]);
    assert_eq!(
        circles(&files),
        [
            "app -> ui -> app: app -> ui at src/app/a.rs:3 (ui::x); ui -> app at src/ui/b.rs:1 (app::y)"
        ]
    );
    let clean = tree(&[
        ("src/app/a.rs", "use crate::ui::x;\n"),
        ("src/ui/b.rs", "\n"),
    ]);
    assert!(circles(&clean).is_empty());
}

#[test]
fn planted_unknown_module_is_reported() {
    let files = tree(&[
        (
            "src/lib.rs",
            "pub mod foo;\npub mod ops;\npub use ops::Thing;\n",
        ),
        ("src/foo/mod.rs", "pub fn f() {}\n"),
        ("src/foo/bar.rs", "use crate::ui::x;\n"),
        ("src/ops/x.rs", "use crate::foo::f;\nuse crate::Thing;\n"),
    ]);
    assert_eq!(
        layer_violations(&files),
        [
            "src/foo/bar.rs:1: foo is not placed in a layer — add it to the test's layer table",
            "src/ops/x.rs:1: ops imports foo::f (foo is not placed in a layer — add it to the test's layer table)",
            "src/ops/x.rs:2: ops imports Thing (Thing is not a module of the layer table: import it from its module)",
        ]
    );
}

#[test]
fn only_the_console_cli_and_main_name_the_sandbox() {
    let files = tree(&[
        ("src/ops/x.rs", "use flightdeck_sandbox::Sandbox;\n"),
        ("src/console/demo.rs", "use flightdeck_sandbox::Sandbox;\n"),
        ("src/console.rs", "fn f() { flightdeck_sandbox::run(); }\n"),
        ("src/cli.rs", "struct A(flightdeck_sandbox::Args);\n"),
        ("src/main.rs", "fn main() { flightdeck_sandbox::run(); }\n"),
        (
            "src/lib.rs",
            "\n// flightdeck_sandbox in a comment\npub use ::flightdeck_sandbox;\n",
        ),
    ]);
    assert_eq!(
        layer_violations(&files),
        [
            "src/lib.rs:3: src/lib.rs names flightdeck_sandbox (only src/console*, src/cli.rs and src/main.rs may)",
            "src/ops/x.rs:1: ops names flightdeck_sandbox (only src/console*, src/cli.rs and src/main.rs may)",
        ]
    );
}

#[test]
fn main_paths_through_the_library_name_count_and_listed_modules_need_not_exist() {
    let main = scan(
        "src/main.rs",
        "use flightdeck::cli::{Cli, Command};\nfn main() { flightdeck::ui::run(); }\n",
    );
    let paths: Vec<(usize, String)> = main
        .refs
        .iter()
        .map(|r| (r.line, r.path.join("::")))
        .collect();
    assert_eq!(
        paths,
        [
            (1, "cli::Cli".to_owned()),
            (1, "cli::Command".to_owned()),
            (2, "ui::run".to_owned())
        ]
    );
    // `pane` and `action` are in the table before they exist; importing them is fine
    let files = tree(&[
        (
            "src/text.rs",
            "use crate::pane::PaneId;\nuse crate::action::Action;\n",
        ),
        (
            "src/main.rs",
            "fn main() { flightdeck::ui::run(); flightdeck::sources::x(); }\n",
        ),
    ]);
    assert!(layer_violations(&files).is_empty());
}

#[test]
fn planted_circle_between_split_off_files_is_reported() {
    // rows.rs re-exports a piece split off it, which imports rows.rs back
    let files = tree(&[
        ("src/lib.rs", "pub mod sources;\n"),
        ("src/sources/mod.rs", "pub mod kube;\n"),
        (
            "src/sources/kube/mod.rs",
            "mod rows;\nmod rows_kinds;\npub use rows::{ObjKey, JobRow};\n",
        ),
        (
            "src/sources/kube/rows.rs",
            "pub struct ObjKey;\npub use super::rows_kinds::JobRow;\n",
        ),
        (
            "src/sources/kube/rows_kinds.rs",
            "\nuse super::ObjKey;\npub struct JobRow(ObjKey);\n",
        ),
    ]);
    assert_eq!(
        folder_circles(&files, "", &[]),
        [
            "src/sources/kube/: rows.rs -> rows_kinds.rs -> rows.rs: rows.rs -> rows_kinds.rs at src/sources/kube/rows.rs:2 (sources::kube::rows_kinds::JobRow); rows_kinds.rs -> rows.rs at src/sources/kube/rows_kinds.rs:2 (sources::kube::ObjKey)"
        ]
    );
    // the same pieces as leaves: the key in a model file both import; the parent re-exports
    let clean = tree(&[
        ("src/lib.rs", "pub mod sources;\n"),
        ("src/sources/mod.rs", "pub mod kube;\n"),
        (
            "src/sources/kube/mod.rs",
            "mod model;\nmod rows;\nmod rows_kinds;\npub use model::ObjKey;\npub use rows_kinds::JobRow;\nfn f() { rows::g(); }\n",
        ),
        ("src/sources/kube/model.rs", "pub struct ObjKey;\n"),
        (
            "src/sources/kube/rows.rs",
            "use super::ObjKey;\npub fn g() {}\n",
        ),
        (
            "src/sources/kube/rows_kinds.rs",
            "use crate::sources::kube::model::ObjKey;\npub struct JobRow(ObjKey);\n",
        ),
    ]);
    assert!(folder_circles(&clean, "", &[]).is_empty());
}

#[test]
fn planted_circles_through_sub_folders_paths_and_child_paths_are_reported() {
    let files = tree(&[
        (
            "src/lib.rs",
            "mod store;\nmod table;\nmod world;\nmod github;\n",
        ),
        ("src/store.rs", "fn f() { super::table::pod_status(); }\n"),
        // `use kinds::…` names the child module the file declares
        (
            "src/table.rs",
            "mod kinds;\nuse kinds::Kind;\npub fn pod_status() {}\n",
        ),
        ("src/table/kinds.rs", "pub use crate::store::Kind;\n"),
        // a sub-folder is one node, whichever of its files imports
        ("src/world/mod.rs", "mod sim;\n"),
        ("src/world/sim.rs", "use crate::github::api::Run;\n"),
        ("src/github/mod.rs", "#[path = \"http.rs\"]\nmod api;\n"),
        (
            "src/github/http.rs",
            "use crate::world::World;\npub struct Run;\n",
        ),
    ]);
    assert_eq!(
        folder_circles(&files, "crates/sandbox/", &[]),
        [
            "crates/sandbox/src/: github/ -> world/ -> github/: github/ -> world/ at crates/sandbox/src/github/http.rs:1 (world::World); world/ -> github/ at crates/sandbox/src/world/sim.rs:1 (github::api::Run)",
            "crates/sandbox/src/: store.rs -> table.rs -> store.rs: store.rs -> table.rs at crates/sandbox/src/store.rs:1 (table::pod_status); table.rs -> store.rs at crates/sandbox/src/table/kinds.rs:1 (store::Kind)",
        ]
    );
}

#[test]
fn planted_import_of_the_parent_is_reported() {
    let files = tree(&[
        ("src/lib.rs", "pub mod config;\npub struct Root;\n"),
        // the parent defines Config and re-exports what it split off
        (
            "src/config/mod.rs",
            "mod check;\nmod model;\nmod gpu;\npub use model::Gpu;\npub struct Config;\n\
             pub fn locate() {}\nimpl Config {\n    fn inner() {}\n}\n",
        ),
        ("src/config/model.rs", "pub struct Gpu;\n"),
        // a name re-exported by the parent counts as the file it comes from; the crate
        // root is no parent; an item inside an impl is no item of the parent
        (
            "src/config/gpu.rs",
            "use super::Gpu;\nuse crate::Root;\nuse super::model::Gpu as G;\n",
        ),
        (
            "src/config/check.rs",
            "use super::{Config, locate};\n\nfn f() { crate::config::Config::inner(); }\n\
             use super::*;\n",
        ),
        // the parent's own tests are not split off it
        ("src/config/tests.rs", "use super::Config;\n"),
    ]);
    assert_eq!(
        parent_imports(&files, "", &[]),
        [
            "src/config/check.rs:1: config::Config — Config is defined in the parent src/config/mod.rs",
            "src/config/check.rs:1: config::locate — locate is defined in the parent src/config/mod.rs",
            "src/config/check.rs:3: config::Config::inner — Config is defined in the parent src/config/mod.rs",
            "src/config/check.rs:4: config::* — a glob of the parent src/config/mod.rs, which defines items",
        ]
    );
    let later = [
        "src/config/check.rs: config::Config",
        "src/config/gpu.rs: config::Gpu",
    ];
    assert_eq!(
        parent_imports(&files, "", &later),
        [
            "src/config/gpu.rs: config::Gpu: listed in PARENT_CUT_LATER but no longer imported: remove it from the list",
            "src/config/check.rs:1: config::locate — locate is defined in the parent src/config/mod.rs",
            "src/config/check.rs:3: config::Config::inner — Config is defined in the parent src/config/mod.rs",
            "src/config/check.rs:4: config::* — a glob of the parent src/config/mod.rs, which defines items",
        ]
    );
    // the same in a sandbox folder whose parent is `name.rs`, and with Config in a leaf
    let sandbox = tree(&[
        ("src/lib.rs", "mod table;\n"),
        ("src/table.rs", "mod kinds;\npub fn col() {}\n"),
        ("src/table/kinds.rs", "use super::col;\n"),
    ]);
    assert_eq!(
        parent_imports(&sandbox, "crates/sandbox/", &[]),
        [
            "crates/sandbox/src/table/kinds.rs:1: table::col — col is defined in the parent crates/sandbox/src/table.rs"
        ]
    );
    let clean = tree(&[
        (
            "src/config/mod.rs",
            "mod check;\nmod model;\npub use model::{Config, locate};\nfn only_mine() {}\n",
        ),
        (
            "src/config/model.rs",
            "pub struct Config;\npub fn locate() {}\n",
        ),
        (
            "src/config/check.rs",
            "use super::{Config, locate};\nuse super::model::Config as C;\n",
        ),
    ]);
    assert!(parent_imports(&clean, "", &[]).is_empty());
}

#[test]
fn a_hub_may_be_imported_back_and_a_stale_cut_later_entry_is_reported() {
    // state.rs holds a pane's state and the pane reads State: the hub of app/; the pane
    // calls update, which calls the pane: listed to be cut later
    let files = tree(&[
        (
            "src/app/mod.rs",
            "pub mod panes;\npub mod state;\npub mod update;\npub mod dialog;\n",
        ),
        (
            "src/app/state.rs",
            "use crate::app::panes::PaneData;\npub struct State;\n",
        ),
        (
            "src/app/panes/mod.rs",
            "use crate::app::state::State;\npub struct PaneData;\nfn f() { crate::app::update::g(); }\n",
        ),
        (
            "src/app/update.rs",
            "use crate::app::panes::PaneData;\npub fn g() {}\n",
        ),
        ("src/app/dialog.rs", "\n"),
    ]);
    let cut_later = [
        "src/app/: panes/ -> update.rs",
        "src/app/: dialog.rs -> panes/",
    ];
    assert_eq!(
        folder_circles(&files, "", &cut_later),
        [
            "src/app/: dialog.rs -> panes/: listed in CUT_LATER but no longer imported: remove it from the list"
        ]
    );
    assert_eq!(
        folder_circles(&files, "", &[]),
        [
            "src/app/: panes/ -> update.rs -> panes/: panes/ -> update.rs at src/app/panes/mod.rs:3 (app::update::g); update.rs -> panes/ at src/app/update.rs:1 (app::panes::PaneData)"
        ]
    );
}

#[test]
fn planted_pane_and_dialog_calls_are_reported() {
    let files = tree(&[
        (
            "src/app/panes/gpu/mod.rs",
            "use crate::app::panes::workloads::reveal_pod;\nuse self::list::Row;\n\
             fn f() { crate::app::update::scope_changed(); }\n",
        ),
        (
            "src/app/panes/pipeline.rs",
            "use crate::app::dialog::{Dialog, plan};\nuse super::pipeline::Drill;\n",
        ),
        (
            "src/app/panes/workloads/ops.rs",
            "use super::super::errors::set_revision_roles;\nuse super::Section;\n",
        ),
        (
            "src/app/dialog.rs",
            "use crate::app::panes::workloads::current_deployment;\n\
             fn f() { super::panes::hosts::on_action(); }\n",
        ),
        (
            "src/app/state.rs",
            "pub hosts: super::panes::hosts::HostsData,\n\
             fn n() { super::panes::hosts::HostsData::new(); super::panes::row_count(); }\n",
        ),
        ("src/app/panes/mod.rs", "use self::workloads::Section;\n"),
        (
            "src/app/update.rs",
            "fn f() { super::panes::gpu::on_action(); }\n",
        ),
    ]);
    assert_eq!(
        app_wall_violations(&files),
        [
            "src/app/dialog.rs:1: app::panes::workloads::current_deployment — calls a pane (only the panes' plain types may be named here)",
            "src/app/dialog.rs:2: app::panes::hosts::on_action — calls a pane (only the panes' plain types may be named here)",
            "src/app/panes/gpu/mod.rs:1: app::panes::workloads::reveal_pod — pane gpu imports another pane (a pane returns intents that update carries out)",
            "src/app/panes/gpu/mod.rs:3: app::update::scope_changed — pane gpu imports app::update (a pane returns intents that update carries out)",
            "src/app/panes/pipeline.rs:1: app::dialog::plan — pane pipeline calls a dialog function (a pane returns an intent to open or plan)",
            "src/app/panes/workloads/ops.rs:1: app::panes::errors::set_revision_roles — pane workloads imports another pane (a pane returns intents that update carries out)",
            "src/app/state.rs:2: app::panes::row_count — calls a pane (only the panes' plain types may be named here)",
        ]
    );
}
