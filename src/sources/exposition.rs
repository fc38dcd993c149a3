//! A strict parser for the Prometheus text exposition format 0.0.4.
//!
//! Why our own: `prometheus-parse` 0.2.5 silently drops names with `:`, cuts label values at
//! a comma, drops labels whose value holds `=` or `}` and does not unescape `\"`; it never
//! reports an error (see `docs/deps-metrics.md` and `tests/metrics/exposition.rs`).
//!
//! Accepted on top of 0.0.4, because real exporters send them: CRLF line ends, OpenMetrics
//! exemplars after the value (`# {…} v [ts]`, ignored), a trailing comma in the label set,
//! `# EOF` and other comments. Everything else that does not fit is an error naming the
//! line and column, never a panic.

use std::collections::HashMap;
use std::fmt;

/// The type a `# TYPE` line declares for a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

impl MetricType {
    fn from_keyword(word: &str) -> Option<Self> {
        match word {
            "counter" => Some(Self::Counter),
            "gauge" => Some(Self::Gauge),
            "histogram" => Some(Self::Histogram),
            "summary" => Some(Self::Summary),
            "untyped" | "unknown" => Some(Self::Untyped),
            _ => None,
        }
    }
}

/// One sample line: `name{labels} value [timestamp_ms]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    /// In the order they appear on the line, values unescaped.
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub timestamp_ms: Option<i64>,
}

impl Sample {
    /// The value of label `key`, if the sample has it.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One parsed page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    /// In page order.
    pub samples: Vec<Sample>,
    /// Family name → declared type.
    pub types: HashMap<String, MetricType>,
    /// Family name → unescaped help text.
    pub help: HashMap<String, String>,
}

impl Scrape {
    /// The type of the family a sample belongs to: `x_bucket`, `x_sum`, `x_count` resolve to a
    /// histogram or summary `x`, and `x_total` to a counter `x` (OpenMetrics style). Untyped
    /// when nothing declares it.
    pub fn metric_type(&self, sample_name: &str) -> MetricType {
        if let Some(t) = self.types.get(sample_name) {
            return *t;
        }
        let family = |suffix: &str| {
            sample_name
                .strip_suffix(suffix)
                .and_then(|base| self.types.get(base).copied())
        };
        if let Some(MetricType::Histogram) = family("_bucket") {
            return MetricType::Histogram;
        }
        for suffix in ["_sum", "_count"] {
            if let Some(t @ (MetricType::Histogram | MetricType::Summary)) = family(suffix) {
                return t;
            }
        }
        if let Some(MetricType::Counter) = family("_total") {
            return MetricType::Counter;
        }
        MetricType::Untyped
    }
}

/// Where and why a page did not parse. Line and column are 1-based; the column counts
/// characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole page. Stops at the first malformed line.
pub fn parse(text: &str) -> Result<Scrape, ParseError> {
    let mut scrape = Scrape::default();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let mut cursor = Cursor {
            text: line,
            pos: 0,
            line: index + 1,
        };
        cursor.skip_blanks();
        if cursor.at_end() {
            continue;
        }
        if cursor.peek() == Some(b'#') {
            parse_comment(&mut cursor, &mut scrape)?;
        } else {
            let sample = parse_sample(&mut cursor)?;
            scrape.samples.push(sample);
        }
    }
    Ok(scrape)
}

struct Cursor<'a> {
    text: &'a str,
    /// Byte offset; always on a char boundary.
    pos: usize,
    line: usize,
}

impl<'a> Cursor<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_blanks(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn error_at(&self, pos: usize, message: impl Into<String>) -> ParseError {
        let column = self.text[..pos.min(self.text.len())].chars().count() + 1;
        ParseError {
            line: self.line,
            column,
            message: message.into(),
        }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        self.error_at(self.pos, message)
    }

    /// What is at the cursor, for messages.
    fn found(&self) -> String {
        match self.rest().chars().next() {
            None => "end of line".to_owned(),
            Some(c) => format!("{c:?}"),
        }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names, without `:` for label names.
    fn name(&mut self, colon: bool, what: &str) -> Result<&'a str, ParseError> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let ok_first = |b: u8| b.is_ascii_alphabetic() || b == b'_' || (colon && b == b':');
        let ok_rest = |b: u8| ok_first(b) || b.is_ascii_digit();
        match bytes.get(self.pos) {
            Some(&b) if ok_first(b) => self.pos += 1,
            _ => return Err(self.error(format!("expected {what}, found {}", self.found()))),
        }
        while matches!(bytes.get(self.pos), Some(&b) if ok_rest(b)) {
            self.pos += 1;
        }
        Ok(&self.text[start..self.pos])
    }

    /// The next run of non-blank characters.
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while matches!(self.peek(), Some(b) if b != b' ' && b != b'\t') {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected {what}, found {}", self.found())))
        }
    }
}

fn parse_comment(cursor: &mut Cursor<'_>, scrape: &mut Scrape) -> Result<(), ParseError> {
    cursor.pos += 1; // '#'
    if cursor.skip_blanks() == 0 {
        return Ok(()); // "#foo": a plain comment
    }
    let keyword = cursor.token();
    let is_help = keyword == "HELP";
    if !is_help && keyword != "TYPE" {
        return Ok(()); // any other comment, `# EOF` included
    }
    cursor.skip_blanks();
    let name_pos = cursor.pos;
    let name = cursor.name(true, "a metric name")?.to_owned();
    if is_help {
        let help = if cursor.skip_blanks() > 0 {
            unescape_help(cursor.rest())
        } else if cursor.at_end() {
            String::new()
        } else {
            return Err(cursor.error(format!(
                "expected a space after the metric name, found {}",
                cursor.found()
            )));
        };
        if scrape.help.contains_key(&name) {
            return Err(cursor.error_at(name_pos, format!("second HELP line for {name}")));
        }
        scrape.help.insert(name, help);
        return Ok(());
    }
    if cursor.skip_blanks() == 0 {
        return Err(cursor.error(format!(
            "expected a type after the metric name, found {}",
            cursor.found()
        )));
    }
    let type_pos = cursor.pos;
    let word = cursor.token();
    let Some(metric_type) = MetricType::from_keyword(word) else {
        return Err(cursor.error_at(
            type_pos,
            format!(
                "unknown metric type {word:?} (expected counter, gauge, histogram, summary or untyped)"
            ),
        ));
    };
    cursor.skip_blanks();
    if !cursor.at_end() {
        return Err(cursor.error(format!(
            "unexpected {} after the metric type",
            cursor.found()
        )));
    }
    if scrape.types.contains_key(&name) {
        return Err(cursor.error_at(name_pos, format!("second TYPE line for {name}")));
    }
    scrape.types.insert(name, metric_type);
    Ok(())
}

/// HELP text escapes only `\\` and `\n`; any other backslash stays as written.
fn unescape_help(text: &str) -> String {
    let text = text.trim_end_matches([' ', '\t']);
    if !text.contains('\\') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn parse_sample(cursor: &mut Cursor<'_>) -> Result<Sample, ParseError> {
    let name = cursor.name(true, "a metric name")?.to_owned();
    let mut blanks = cursor.skip_blanks();
    let labels = if cursor.peek() == Some(b'{') {
        cursor.pos += 1;
        let labels = parse_labels(cursor)?;
        blanks = cursor.skip_blanks();
        labels
    } else {
        Vec::new()
    };
    if blanks == 0 {
        return Err(cursor.error(format!(
            "expected a space before the value, found {}",
            cursor.found()
        )));
    }
    let value_pos = cursor.pos;
    let value_text = cursor.token();
    let value = parse_float(value_text)
        .ok_or_else(|| cursor.error_at(value_pos, format!("invalid value {value_text:?}")))?;
    let mut timestamp_ms = None;
    if cursor.skip_blanks() > 0 && !cursor.at_end() && cursor.peek() != Some(b'#') {
        let ts_pos = cursor.pos;
        let ts_text = cursor.token();
        timestamp_ms = Some(ts_text.parse::<i64>().map_err(|_| {
            cursor.error_at(
                ts_pos,
                format!("invalid timestamp {ts_text:?} (expected integer milliseconds)"),
            )
        })?);
        cursor.skip_blanks();
    }
    // An OpenMetrics exemplar (`# {trace_id="…"} 1 [ts]`) is ignored; nothing else may follow.
    if !cursor.at_end() && cursor.peek() != Some(b'#') {
        return Err(cursor.error(format!("unexpected {} after the value", cursor.found())));
    }
    if cursor.peek() == Some(b'#') && !cursor.text[..cursor.pos].ends_with([' ', '\t']) {
        return Err(cursor.error("expected a space before the exemplar"));
    }
    Ok(Sample {
        name,
        labels,
        value,
        timestamp_ms,
    })
}

/// After `{`, up to and including `}`.
fn parse_labels(cursor: &mut Cursor<'_>) -> Result<Vec<(String, String)>, ParseError> {
    let mut labels: Vec<(String, String)> = Vec::new();
    loop {
        cursor.skip_blanks();
        if cursor.peek() == Some(b'}') {
            cursor.pos += 1;
            return Ok(labels);
        }
        let name_pos = cursor.pos;
        let name = cursor.name(false, "a label name or '}'")?;
        if labels.iter().any(|(k, _)| k == name) {
            return Err(cursor.error_at(name_pos, format!("duplicate label {name}")));
        }
        cursor.skip_blanks();
        cursor.expect(b'=', "'=' after the label name")?;
        cursor.skip_blanks();
        cursor.expect(b'"', "'\"' to open the label value")?;
        let value = parse_label_value(cursor)?;
        labels.push((name.to_owned(), value));
        cursor.skip_blanks();
        match cursor.peek() {
            Some(b',') => cursor.pos += 1,
            Some(b'}') => {
                cursor.pos += 1;
                return Ok(labels);
            }
            _ => {
                return Err(cursor.error(format!(
                    "expected ',' or '}}' after the label value, found {}",
                    cursor.found()
                )));
            }
        }
    }
}

/// After the opening quote, up to and including the closing one. Escapes: `\\`, `\"`, `\n`.
fn parse_label_value(cursor: &mut Cursor<'_>) -> Result<String, ParseError> {
    let rest = cursor.rest();
    // Fast path: no escapes before the closing quote.
    if let Some(end) = rest.find(['"', '\\'])
        && rest.as_bytes()[end] == b'"'
    {
        cursor.pos += end + 1;
        return Ok(rest[..end].to_owned());
    }
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => {
                cursor.pos += offset + 1;
                return Ok(out);
            }
            '\\' => match chars.next() {
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, other)) => {
                    return Err(cursor.error_at(
                        cursor.pos + offset,
                        format!(
                            "invalid escape \\{other} in label value (only \\\\, \\\" and \\n)"
                        ),
                    ));
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err(cursor.error_at(cursor.text.len(), "label value not closed with '\"'"))
}

/// Go float syntax as Prometheus writes it: decimal or exponent form, `NaN`, `+Inf`, `-Inf`
/// (case-insensitive, as Go's `strconv.ParseFloat`).
fn parse_float(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    // Rust accepts "infinity" and "nan" like Go; it rejects "0x…" which no exporter sends.
    let first = unsigned.as_bytes().first().copied()?;
    if !(first.is_ascii_digit()
        || first == b'.'
        || first == b'i'
        || first == b'I'
        || first == b'n'
        || first == b'N')
    {
        return None;
    }
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_sample() {
        let scrape = parse("up 1\n").unwrap();
        assert_eq!(scrape.samples.len(), 1);
        assert_eq!(scrape.samples[0].name, "up");
        assert_eq!(scrape.samples[0].value, 1.0);
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_float("-Inf"), Some(f64::NEG_INFINITY));
        assert!(parse_float("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_float("1.5e3"), Some(1500.0));
        assert_eq!(parse_float(".5"), Some(0.5));
        assert_eq!(parse_float("e5"), None);
        assert_eq!(parse_float(""), None);
        assert_eq!(parse_float("-"), None);
    }
}
