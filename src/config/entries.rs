//! The entries of a config file's text: where its `[table]` and `[[array]]` header lines
//! are, and which entry of an array of tables a deserialized value came from (so that a
//! problem found after deserializing is reported at its own entry's line).

use std::ops::Range;

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

/// Where an entry of an array of tables (`array` is `health`, `gpu.host` …) is in the file:
/// the `nth` (from 0) of the entries whose `ident` key has the value `value`, at its `key`
/// line when it has one, else at its header line. Validation runs on the deserialized
/// config, which keeps no positions: the entry is found again by what identifies it, never
/// by the first place its text happens to occur in the file.
pub(super) fn in_entry(
    source: &str,
    array: &str,
    (ident, value): (&str, &str),
    nth: usize,
    key: &str,
) -> Option<usize> {
    let header = format!("[[{array}]]");
    entries(source, &header)
        .into_iter()
        .filter_map(|range| {
            let doc = toml_edit::Document::parse(source.get(range.clone())?).ok()?;
            let mut item = doc.as_item();
            for part in array.split('.') {
                item = item.get(part)?;
            }
            let table = item.as_array_of_tables()?.get(0)?;
            (table.get(ident)?.as_str()? == value).then(|| {
                let at = table.key(key).and_then(toml_edit::Key::span);
                range.start + at.map_or(0, |s| s.start)
            })
        })
        .nth(nth)
}

/// How many entries before `index` of `entries` have the same identity: the `nth` of
/// [`in_entry`].
pub(super) fn nth_alike<T>(entries: &[T], index: usize, ident: impl Fn(&T) -> &str) -> usize {
    let Some(this) = entries.get(index) else {
        return 0;
    };
    entries[..index]
        .iter()
        .filter(|e| ident(e) == ident(this))
        .count()
}
