//! journald's JSON export (`journalctl -o json`), one entry a line, into a [`LogLine`]:
//! the message from `MESSAGE` (a string, or an array of bytes when it is not UTF-8), the
//! level from `PRIORITY` (syslog 0–7), the time from `__REALTIME_TIMESTAMP` (µs since the
//! epoch), the component from `SYSLOG_IDENTIFIER`. Everything goes through the same
//! sanitiser as pod logs.

use jiff::Timestamp;
use log::Level;
use serde_json::Value;

use crate::sources::logs::ingest;
use crate::sources::logs::model::{LineKind, LogLine};

/// syslog priority → level: emerg..err are errors, warning a warning, notice and info
/// info, debug debug.
pub fn level_of(priority: &str) -> Option<Level> {
    match priority.trim().parse::<u8>().ok()? {
        0..=3 => Some(Level::Error),
        4 => Some(Level::Warn),
        5 | 6 => Some(Level::Info),
        7 => Some(Level::Debug),
        _ => None,
    }
}

/// One line of `journalctl -o json`; a line that is not a journal entry is kept as text.
pub fn parse_journal(raw: &[u8]) -> LogLine {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(raw) else {
        return ingest::parse_line(raw);
    };
    let message = match map.get("MESSAGE") {
        Some(Value::String(s)) => ingest::safe_text(s.as_bytes()),
        Some(Value::Array(bytes)) => {
            let b: Vec<u8> = bytes
                .iter()
                .filter_map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            ingest::safe_text(&b)
        }
        _ => String::new(),
    };
    let text = |k: &str| map.get(k).and_then(Value::as_str);
    let time = text("__REALTIME_TIMESTAMP")
        .and_then(|us| us.parse::<i64>().ok())
        .and_then(|us| Timestamp::from_microsecond(us).ok());
    let mut fields = Vec::new();
    for k in [
        "_PID",
        "_HOSTNAME",
        "_SYSTEMD_UNIT",
        "CODE_FILE",
        "CODE_LINE",
    ] {
        if let Some(v) = text(k) {
            fields.push((k.to_owned(), ingest::safe_text(v.as_bytes())));
        }
    }
    LogLine {
        kind: LineKind::Log,
        time,
        app_time: None,
        level: text("PRIORITY").and_then(level_of),
        component: text("SYSLOG_IDENTIFIER").map(|c| ingest::safe_text(c.as_bytes())),
        message,
        fields,
        cont: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_entry_gives_level_time_and_message() {
        let raw = br#"{"__REALTIME_TIMESTAMP":"1772506690123456","PRIORITY":"3","SYSLOG_IDENTIFIER":"dgx-spark-mcp","_PID":"4242","MESSAGE":"bind: address in use \u001b[31m"}"#;
        let l = parse_journal(raw);
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!(l.component.as_deref(), Some("dgx-spark-mcp"));
        assert!(l.message.starts_with("bind: address in use"), "{l:?}");
        assert!(!l.message.contains('\u{1b}'), "sanitised: {l:?}");
        assert_eq!(
            l.time.map(|t| t.as_microsecond()),
            Some(1_772_506_690_123_456)
        );
        // a non-UTF-8 message is an array of bytes
        let l = parse_journal(br#"{"PRIORITY":"4","MESSAGE":[104,105,255]}"#);
        assert_eq!(l.level, Some(Level::Warn));
        assert_eq!(l.message, "hi\u{fffd}");
        assert_eq!(level_of("7"), Some(Level::Debug));
        assert_eq!(level_of("6"), Some(Level::Info));
        assert_eq!(level_of("x"), None);
    }
}
