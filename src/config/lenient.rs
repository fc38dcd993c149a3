//! Reading config.toml entry by entry: every problem is its own diagnostic, and only the
//! entry it is in is skipped.
//!
//! - A TOML syntax error loses only its own `[table]` or `[[array]]` entry: a file that does
//!   not parse is split at its header lines and each part is parsed alone.
//! - An unknown key, or a value of the wrong type, loses only its own `key = value`; an
//!   entry that is then incomplete (a missing required key) loses only itself.
//!
//! Each part is checked by deserializing [`Config`] from the file's text with everything
//! outside the part blanked out, so the spans of errors are offsets in the file itself;
//! a bad statement is blanked in turn and the part checked again. Blanking keeps every
//! byte offset and every line, so positions stay those of the file.

use std::ops::Range;

use super::diag::{self, Diagnostic};
use super::entries::header_lines;
use super::model::Config;

/// More problems than this in one part and the part is dropped whole.
const MAX_CUTS: usize = 64;

/// The file's tables without the bad entries, a diagnostic for each problem, and the text
/// that was kept: the file with what was taken out blanked, line for line (the lines are
/// the file's), so its `[[array]]` entries are those of the tables, in their order.
pub(super) fn parse(file: &str, source: &str) -> (toml::Table, Vec<Diagnostic>, String) {
    let mut diags = Vec::new();
    let whole_error = toml_edit::Document::parse(source).err();
    let parts = match whole_error {
        None => std::iter::once(0..source.len()).collect(),
        Some(_) => parts(source),
    };
    let mut merged = toml::Table::new();
    let mut syntax_errors = 0;
    let mut kept = String::with_capacity(source.len());
    for part in parts {
        let first_line = source[..part.start].matches('\n').count();
        let lines = source[part.clone()].split_inclusive('\n').count();
        let mut text = masked(source, &part);
        let cleaned = if text.trim().is_empty() {
            None
        } else {
            match clean(file, &mut text, &mut diags) {
                Ok(Some(table)) => {
                    merge(&mut merged, table);
                    Some(text)
                }
                Ok(None) => None,
                Err(()) => {
                    syntax_errors += 1;
                    None
                }
            }
        };
        match cleaned {
            // this part's lines of the text it was cleaned to (the same lines)
            Some(text) => kept.extend(text.split_inclusive('\n').skip(first_line).take(lines)),
            None => kept.push_str(&"\n".repeat(lines)),
        }
    }
    // parts that each parse may still not make a file: a table defined twice
    if let Some(e) = whole_error
        && syntax_errors == 0
    {
        diags.push(diag::from_toml_error(file, source, &e));
    }
    (merged, diags, kept)
}

/// Takes bad statements and entries out of one part until [`Config`] accepts it. `Err`:
/// the part has a syntax error (reported) and is dropped; `Ok(None)`: dropped for another
/// reported reason.
fn clean(
    file: &str,
    text: &mut String,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<toml::Table>, ()> {
    // where the entry of the last cut starts (its header; cuts keep earlier offsets)
    let mut last_entry: Option<usize> = None;
    for _ in 0..MAX_CUTS {
        let doc = match toml_edit::Document::parse(text.as_str()) {
            Ok(doc) => doc,
            Err(e) => {
                diags.push(diag::from_toml_error(file, text, &e));
                return Err(());
            }
        };
        let err = match toml::from_str::<Config>(text) {
            Ok(_) => return Ok(text.parse::<toml::Table>().ok()),
            Err(e) => e,
        };
        let at = err.span().map(|s| past_blanks(text, s.start));
        let message = err.message().trim().to_owned();
        let entry = at.map(|a| entry_range(text, a));
        let incomplete = message.starts_with("missing field");
        // a required key taken out for its bad value: the entry goes, said once
        let entry_start = entry.as_ref().map(|e| e.start);
        if !(incomplete && entry_start.is_some() && entry_start == last_entry) {
            diags.push(Diagnostic::at(file, text, at, message));
        }
        let statement = at
            .filter(|_| !incomplete)
            .and_then(|a| statement_at(doc.as_table(), a));
        let before = text.clone();
        match (statement, &entry) {
            (Some(s), _) if protected_of_environment(text, &s) => {
                // fails closed: an environment whose `protected` is not a bool is protected
                replace_lines(text, s, "protected = true")
            }
            (Some(s), _) => replace_lines(text, s, ""),
            (None, Some(e)) => replace_lines(text, e.clone(), ""),
            (None, None) => return Ok(None),
        }
        if *text == before {
            return Ok(None);
        }
        last_entry = entry_start;
    }
    Ok(None)
}

/// The first offset from `at` that is not white space or a comment: the span of a table
/// may start in the blank lines before its header.
fn past_blanks(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(at) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => at += 1,
            b'#' => at += text[at..].find('\n').unwrap_or(text.len() - at),
            _ => break,
        }
    }
    at.min(text.len())
}

/// Is this statement the `protected` key of an `[[environment]]`?
fn protected_of_environment(text: &str, statement: &Range<usize>) -> bool {
    let key = text[statement.clone()].trim_start();
    let header = header_before(text, statement.start);
    key.starts_with("protected")
        && header.is_some_and(|h| text[h..].trim_start().starts_with("[[environment]]"))
}

/// The innermost `key = value` (key start to value end) whose span holds `offset`.
fn statement_at(table: &toml_edit::Table, offset: usize) -> Option<Range<usize>> {
    let mut found: Option<Range<usize>> = None;
    let mut consider = |r: Range<usize>| {
        if r.contains(&offset) && found.as_ref().is_none_or(|f| r.len() < f.len()) {
            found = Some(r);
        }
    };
    for (key, item) in table.iter() {
        let key_start = table
            .key(key)
            .and_then(toml_edit::Key::span)
            .map(|s| s.start);
        match item {
            toml_edit::Item::Value(v) => {
                if let (Some(a), Some(b)) = (key_start, v.span()) {
                    consider(a..b.end.max(a + 1));
                }
            }
            toml_edit::Item::Table(t) => {
                if let Some(r) = statement_at(t, offset) {
                    consider(r);
                }
            }
            toml_edit::Item::ArrayOfTables(a) => {
                for t in a.iter() {
                    if let Some(r) = statement_at(t, offset) {
                        consider(r);
                    }
                }
            }
            toml_edit::Item::None => {}
        }
    }
    found
}

/// The entry (`[table]` or `[[array]]` element, or the keys before the first header) that
/// holds `offset`: from its header line to the next header line.
fn entry_range(text: &str, offset: usize) -> Range<usize> {
    let starts = header_lines(text);
    let start = starts
        .iter()
        .copied()
        .filter(|&s| s <= offset)
        .max()
        .unwrap_or(0);
    let end = starts
        .iter()
        .copied()
        .find(|&s| s > offset)
        .unwrap_or(text.len());
    start..end
}

fn header_before(text: &str, offset: usize) -> Option<usize> {
    header_lines(text)
        .into_iter()
        .filter(|&s| s <= offset)
        .max()
}

/// The parts of a file that does not parse: the keys before the first header, then each
/// header line up to the next.
fn parts(source: &str) -> Vec<Range<usize>> {
    let mut starts = header_lines(source);
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, &s)| s..starts.get(i + 1).copied().unwrap_or(source.len()))
        .collect()
}

/// `source` with every byte outside `keep` a space, newlines kept: offsets and lines are
/// the file's.
fn masked(source: &str, keep: &Range<usize>) -> String {
    let mut bytes = source.as_bytes().to_vec();
    for (i, b) in bytes.iter_mut().enumerate() {
        if !keep.contains(&i) && *b != b'\n' {
            *b = b' ';
        }
    }
    // only whole lines (all of them UTF-8 in `source`) were blanked
    String::from_utf8(bytes).unwrap_or_default()
}

/// Replaces the lines that `range` touches with `with` (one line) and blank lines, so every
/// line keeps its number and every earlier byte its offset.
fn replace_lines(text: &mut String, range: Range<usize>, with: &str) {
    let start = text[..range.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let range_end = range.end.clamp(start, text.len());
    let end = if range_end > start && text.as_bytes().get(range_end - 1) == Some(&b'\n') {
        // the range ends at a line start: that line is not touched
        range_end - 1
    } else {
        text[range_end..]
            .find('\n')
            .map_or(text.len(), |i| range_end + i)
    };
    let newlines = text[start..end].matches('\n').count();
    let new = format!("{with}{}", "\n".repeat(newlines));
    text.replace_range(start..end, &new);
}

/// Deep merge of parts: tables merge, arrays (of `[[tables]]`) append, later values win.
fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (Some(toml::Value::Array(a)), toml::Value::Array(b)) => a.extend(b),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}
