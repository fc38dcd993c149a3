//! One log line from bytes to a structured, screen-safe [`LogLine`]: split the kubelet's
//! timestamp prefix, neutralise every control sequence and invalid UTF-8, truncate huge
//! lines, and understand common JSON shapes. Pure and allocation-light: this is the hot path.

use jiff::Timestamp;
use log::Level;
use serde_json::Value;

use super::model::{LineKind, LogLine};

/// Lines longer than this (bytes, before sanitising) are cut and marked.
pub const MAX_LINE: usize = 64 * 1024;

pub fn parse_level(s: &str) -> Option<Level> {
    let s = s.trim();
    let eq = |w: &str| s.eq_ignore_ascii_case(w);
    if eq("error")
        || eq("err")
        || eq("fatal")
        || eq("panic")
        || eq("critical")
        || eq("crit")
        || eq("alert")
        || eq("emergency")
        || eq("severe")
    {
        Some(Level::Error)
    } else if eq("warn") || eq("warning") {
        Some(Level::Warn)
    } else if eq("info") || eq("notice") || eq("information") || eq("default") {
        Some(Level::Info)
    } else if eq("debug") {
        Some(Level::Debug)
    } else if eq("trace") {
        Some(Level::Trace)
    } else {
        None
    }
}

/// Splits the `timestamps=true` prefix (`2026-…Z rest`) off a raw line.
pub fn split_timestamp(raw: &[u8]) -> (Option<Timestamp>, &[u8]) {
    // RFC 3339 stamps are 20..=35 bytes; look for the first space in that window
    let window = &raw[..raw.len().min(40)];
    if let Some(sp) = window.iter().position(|b| *b == b' ')
        && sp >= 20
        && let Ok(s) = std::str::from_utf8(&raw[..sp])
        && let Ok(t) = s.parse::<Timestamp>()
    {
        return (Some(t), &raw[sp + 1..]);
    }
    (None, raw)
}

/// Bytes → safe text: invalid UTF-8 replaced, controls and escape sequences removed,
/// more than [`MAX_LINE`] bytes cut with a visible marker.
pub fn safe_text(raw: &[u8]) -> String {
    safe_text_cut(raw, 0)
}

/// [`safe_text`] of a line whose last `dropped` bytes were already left behind while
/// reading: one marker counts both cuts.
fn safe_text_cut(raw: &[u8], dropped: usize) -> String {
    let (body, cut) = if raw.len() > MAX_LINE {
        (&raw[..MAX_LINE], raw.len() - MAX_LINE + dropped)
    } else {
        (raw, dropped)
    };
    let text = String::from_utf8_lossy(body);
    let mut out = match crate::text::clean(&text) {
        std::borrow::Cow::Borrowed(_) => text.into_owned(),
        std::borrow::Cow::Owned(s) => s,
    };
    if cut > 0 {
        out.push_str(&format!(" … [line truncated: {cut} more bytes]"));
    }
    out
}

/// Is this line the continuation of the one before it (a stack trace frame)?
pub fn is_continuation(text: &str) -> bool {
    text.is_empty()
        || text.starts_with(' ')
        || text.starts_with('\t')
        || text.starts_with("at ")
        || text.starts_with("Caused by:")
        || text.starts_with("goroutine ")
        || text.starts_with("created by ")
        || text.starts_with("[signal ")
        || text.starts_with("...")
        || text.starts_with("Traceback (")
        || text.starts_with("File \"")
        || text.starts_with("During handling of the above exception")
        || text.starts_with("The above exception was the direct cause")
        || (text.contains(".(") && text.ends_with(')') && !text.starts_with('{'))
        || is_frame(text)
}

/// A Go stack frame's function line: `main.main()`, `pkg.(*T).Method(0x0, …)`.
fn is_frame(text: &str) -> bool {
    let Some(open) = text.find('(') else {
        return false;
    };
    let name = &text[..open];
    text.ends_with(')')
        && name.contains('.')
        && !name.is_empty()
        && !name.contains(char::is_whitespace)
        && !text.starts_with('{')
}

/// Parses one raw line (with or without a timestamp prefix, without its newline).
pub fn parse_line(raw: &[u8]) -> LogLine {
    parse_line_cut(raw, 0)
}

/// Parses a line of which the reader kept only the start (`raw`) and left `dropped` more
/// bytes behind to bound memory. The line is marked truncated once, here, with the whole
/// count: no other place adds a marker.
pub fn parse_line_cut(raw: &[u8], dropped: usize) -> LogLine {
    let (time, rest) = split_timestamp(raw);
    let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
    let mut line = LogLine {
        kind: LineKind::Log,
        time,
        app_time: None,
        level: None,
        component: None,
        message: String::new(),
        fields: Vec::new(),
        cont: Vec::new(),
    };
    if rest.first() == Some(&b'{')
        && dropped == 0
        && rest.len() <= MAX_LINE
        && let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(rest)
    {
        structured(&mut line, map);
        return line;
    }
    line.message = safe_text_cut(rest, dropped);
    line.level = plain_level(&line.message);
    plain_head(&mut line);
    line
}

/// A plain line laid out as `<RFC 3339 time> <LEVEL> [component] message` (log4j, Go's
/// and Rust's default formats) is split like a structured one, so the pane does not show
/// the time and level twice. Anything else is left as it is.
fn plain_head(line: &mut LogLine) {
    let Some(level) = line.level else { return };
    let text = line.message.as_str();
    let Some((stamp, rest)) = text.split_once(' ') else {
        return;
    };
    if !stamp.starts_with(|c: char| c.is_ascii_digit()) || stamp.parse::<Timestamp>().is_err() {
        return;
    }
    let rest = rest.trim_start();
    let Some((word, rest)) = rest.split_once(' ') else {
        return;
    };
    if parse_level(word.trim_matches(|c| c == '[' || c == ']' || c == ':')) != Some(level) {
        return;
    }
    let mut rest = rest.trim_start();
    let mut component = None;
    if let Some(inner) = rest.strip_prefix('[')
        && let Some((name, after)) = inner.split_once(']')
        && !name.is_empty()
        && name.len() <= 64
        && !name.contains(' ')
    {
        component = Some(name.to_owned());
        rest = after.trim_start();
    }
    let (stamp, rest) = (stamp.to_owned(), rest.to_owned());
    line.app_time = Some(stamp);
    if line.component.is_none() {
        line.component = component;
    }
    line.message = rest;
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => crate::text::clean(s).into_owned(),
        Value::Null => "null".into(),
        other => crate::text::clean(&other.to_string()).into_owned(),
    }
}

fn structured(line: &mut LogLine, map: serde_json::Map<String, Value>) {
    let mut message: Option<String> = None;
    for (k, v) in map {
        let key = k.as_str();
        match key {
            "message" | "msg" | "MESSAGE" | "Message" if message.is_none() => {
                message = Some(value_text(&v))
            }
            "level" | "severity" | "lvl" | "loglevel" | "log.level" | "levelname"
                if line.level.is_none() =>
            {
                match &v {
                    Value::String(s) => line.level = parse_level(s),
                    // bunyan/pino numeric levels
                    Value::Number(n) => {
                        line.level = n.as_u64().map(|n| match n {
                            0..=10 => Level::Trace,
                            11..=20 => Level::Debug,
                            21..=30 => Level::Info,
                            31..=40 => Level::Warn,
                            _ => Level::Error,
                        })
                    }
                    _ => {}
                }
                if line.level.is_none() {
                    line.fields
                        .push((crate::text::sanitize(key), value_text(&v)));
                }
            }
            "timestamp" | "time" | "ts" | "@timestamp" | "t" if line.app_time.is_none() => {
                line.app_time = Some(match &v {
                    // epoch seconds (zap's `ts`)
                    Value::Number(n) => n
                        .as_f64()
                        .and_then(|f| Timestamp::from_millisecond((f * 1000.0) as i64).ok())
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| n.to_string()),
                    other => value_text(other),
                });
            }
            "component" | "logger" | "caller" | "name" | "module" | "source"
                if line.component.is_none() && v.is_string() =>
            {
                line.component = Some(value_text(&v));
            }
            _ => line
                .fields
                .push((crate::text::clean(key).into_owned(), value_text(&v))),
        }
    }
    line.message = message.unwrap_or_default();
    if line.message.len() > MAX_LINE {
        let mut cut = MAX_LINE;
        while !line.message.is_char_boundary(cut) {
            cut -= 1;
        }
        line.message.truncate(cut);
        line.message.push_str(" … [line truncated]");
    }
}

/// A level for a plain line, when it clearly says one (`ERROR …`, `level=warn`, `panic:`).
fn plain_level(text: &str) -> Option<Level> {
    if text.starts_with("panic:") || text.starts_with("Traceback ") {
        return Some(Level::Error);
    }
    if let Some(i) = text.find("level=") {
        let v = &text[i + 6..];
        let end = v.find(' ').unwrap_or(v.len());
        return parse_level(v[..end].trim_matches('"'));
    }
    // the first word, or the second after a leading time stamp (`2026-… INFO …`)
    let mut words = text
        .split(|c: char| c.is_whitespace() || c == ']' || c == '[')
        .filter(|w| !w.is_empty())
        .take(2);
    let mut first = words.next()?;
    if first.starts_with(|c: char| c.is_ascii_digit()) {
        first = words.next()?;
    }
    let first = first.trim_end_matches(':');
    if first.len() >= 4 && first.chars().all(|c| c.is_ascii_uppercase()) {
        parse_level(first)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::logs::model::CLOCK_WIDTH;

    #[test]
    fn a_plain_line_with_time_and_level_is_split_like_a_structured_one() {
        let l = parse_line(
            b"2026-11-23T13:07:55.000Z 2026-11-23T13:07:55.919000000Z INFO  [cart] connection pool resized",
        );
        assert_eq!(l.level, Some(Level::Info));
        assert_eq!(l.component.as_deref(), Some("cart"));
        assert_eq!(l.message, "connection pool resized");
        assert_eq!(
            l.app_time.as_deref(),
            Some("2026-11-23T13:07:55.919000000Z")
        );
        assert_eq!(
            l.plain(true),
            "13:07:55.919 INFO  cart connection pool resized"
        );
        // not that layout (after the kubelet's own time stamp): left alone
        for text in [
            "2026 was a good year for INFO",
            "2026-11-23T13:07:55Z WARN",
            "2026-11-23T13:07:55Z something WARN happened",
            "ERROR [db] pool exhausted",
        ] {
            let l = parse_line(format!("2026-11-23T13:07:56Z {text}").as_bytes());
            assert_eq!(l.app_time, None, "{l:?}");
            assert_eq!(l.message, text, "{l:?}");
        }
    }

    #[test]
    fn seed_json_is_structured() {
        let l = parse_line(br#"2026-11-23T10:00:00.5Z {"timestamp":"2026-11-23T10:00:00.123456Z","level":"warn","requestId":"req-1","component":"db","message":"slow query","metadata":{"durationMs":812}}"#);
        assert!(l.time.is_some());
        assert_eq!(l.level, Some(Level::Warn));
        assert_eq!(l.component.as_deref(), Some("db"));
        assert_eq!(l.message, "slow query");
        assert_eq!(l.plain(true), "10:00:00.123 WARN  db slow query");
        assert!(
            l.fields
                .iter()
                .any(|(k, v)| k == "metadata" && v.contains("812"))
        );
    }

    #[test]
    fn other_shapes() {
        let l = parse_line(br#"{"severity":"ERROR","msg":"boom","ts":1700000000.5}"#);
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!(l.message, "boom");
        assert!(l.app_time.is_some());
        let p = parse_line(b"plain \x1b]0;title\x07text \xff");
        assert_eq!(p.message, "plain text \u{fffd}");
        assert_eq!(p.level, None);
        let p = parse_line(b"2026-11-23T10:48:34.197000000Z INFO  [cart] connection pool");
        assert_eq!(p.level, Some(Level::Info));
        assert_eq!(parse_line(b"WARN: disk").level, Some(Level::Warn));
    }

    #[test]
    fn times_have_one_width() {
        let a = parse_line(b"2026-11-23T12:43:47.5Z half a second");
        let b = parse_line(b"2026-11-23T12:43:47.520Z five hundred twenty ms");
        let c = parse_line(b"2026-11-23T12:43:47Z whole");
        assert_eq!(a.display_time().as_deref(), Some("12:43:47.500"));
        assert_eq!(b.display_time().as_deref(), Some("12:43:47.520"));
        assert_eq!(c.display_time().as_deref(), Some("12:43:47.000"));
        for l in [a, b, c] {
            assert_eq!(l.display_time().map(|t| t.len()), Some(CLOCK_WIDTH));
        }
    }

    #[test]
    fn go_and_python_traces_continue() {
        for l in [
            "main.main()",
            "goroutine 1 [running]:",
            "\t/app/main.go:5 +0x1d",
            "github.com/acme/x.(*Client).Charge(0x0, {0xc0001a2000, 0x24})",
            "Traceback (most recent call last):",
            "  File \"app.py\", line 3, in <module>",
            "Caused by: java.io.IOException: boom",
            "at com.acme.Main.run(Main.java:12)",
        ] {
            assert!(is_continuation(l), "{l}");
        }
        for l in ["GET /api/cart 200", "panic: boom", "started (pid 1)"] {
            assert!(!is_continuation(l), "{l}");
        }
    }

    #[test]
    fn huge_lines_are_cut() {
        let big = vec![b'a'; MAX_LINE + 10];
        let l = parse_line(&big);
        assert!(l.message.ends_with("[line truncated: 10 more bytes]"));
        // cut while reading, then again at the cap: one marker with the whole count
        let l = parse_line_cut(&vec![b'b'; MAX_LINE + 64], 1000);
        assert_eq!(
            l.message.matches("line truncated").count(),
            1,
            "{}",
            &l.message[MAX_LINE..]
        );
        assert!(l.message.ends_with("[line truncated: 1064 more bytes]"));
    }
}
