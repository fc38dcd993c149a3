//! The entries of a config file's text: where its `[table]` and `[[array]]` header lines
//! are, and which entry of an array of tables a deserialized value came from (so that a
//! problem found after deserializing is reported at its own entry's line).

use std::ops::Range;

use super::diag::Diagnostic;

/// The byte ranges of the entries whose header line is `header` (`[[environment]]`), each
/// to the next header line.
pub(super) fn entries(source: &str, header: &str) -> Vec<Range<usize>> {
    let starts = header_lines(source);
    starts
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            let line = source[**s..].lines().next().unwrap_or("");
            let line = line.split('#').next().unwrap_or("").trim();
            line.replace(' ', "") == header
        })
        .map(|(i, &s)| s..starts.get(i + 1).copied().unwrap_or(source.len()))
        .collect()
}

/// Byte offsets of the lines that are table headers (`[a.b]`, `[[a]]`, a comment after),
/// outside multi-line strings.
pub(super) fn header_lines(source: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut in_string: Option<&str> = None;
    for line in source.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if let Some(quote) = in_string {
            if line.matches(quote).count() % 2 == 1 {
                in_string = None;
            }
            continue;
        }
        if is_header(line) {
            out.push(start);
            continue;
        }
        for quote in ["\"\"\"", "'''"] {
            if line.matches(quote).count() % 2 == 1 {
                in_string = Some(quote);
                break;
            }
        }
    }
    out
}

fn is_header(line: &str) -> bool {
    let line = line.trim();
    let line = match line.find('#') {
        // a `#` inside a quoted key is rare enough in config.toml; the part just splits later
        Some(i) if !line[..i].contains(['"', '\'']) => line[..i].trim_end(),
        _ => line,
    };
    let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
        return false;
    };
    let inner = inner
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or(inner)
        .trim();
    !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.\"' ".contains(c))
}

/// The texts a problem of an entry of an array of tables is found in.
pub(super) struct Texts<'a> {
    pub file: &'a str,
    pub source: &'a str,
    /// What the lenient parse kept of `source`, line for line (see `lenient::parse`): its
    /// `[[array]]` entries are those of the deserialized config, in their order.
    pub kept: &'a str,
}

/// A problem of entry `index` of the array of tables `array` (`health`, `gpu.host` …) at
/// that entry's line: at its `key = ` line where it has one, else at its header. The
/// config keeps no positions, so the entry is found by its place among the kept entries,
/// never by the first place its text happens to occur in the file. `needle` is looked for
/// in the file only for an array that is not written as `[[array]]` entries.
pub(super) fn entry_problem(
    t: &Texts,
    array: &str,
    index: usize,
    key: &str,
    needle: &str,
    message: String,
) -> Diagnostic {
    match in_entry(t.kept, array, index, key) {
        Some(at) => Diagnostic::at(t.file, t.kept, Some(at), message),
        None => Diagnostic::at(t.file, t.source, t.source.find(needle), message),
    }
}

/// The offset in `kept` of entry `index` of `[[array]]`: its `key` if it has one, else
/// its header.
fn in_entry(kept: &str, array: &str, index: usize, key: &str) -> Option<usize> {
    let range = entries(kept, &format!("[[{array}]]"))
        .into_iter()
        .nth(index)?;
    let at = toml_edit::Document::parse(kept.get(range.clone())?)
        .ok()
        .and_then(|doc| {
            let mut item = doc.as_item();
            for part in array.split('.') {
                item = item.get(part)?;
            }
            let table = item.as_array_of_tables()?.get(0)?;
            table.key(key)?.span().map(|s| s.start)
        });
    Some(range.start + at.unwrap_or(0))
}
