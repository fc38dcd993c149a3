//! flightdeck's own log, shown in the console (`!`, `:log`) through tui-logger.
//!
//! `tui_logger::init_logger` starts a thread that wakes every 10 ms forever, which makes an
//! idle console use measurable CPU. Instead, `log` records go to tui-logger's slog drain
//! (same buffer, no thread), and the run loop moves them into view on its 1 s tick.
//!
//! Every line enters through [`entry_text`], which passes it through the one sanitiser
//! (`crate::text`): a hostile pod name or error text logged here cannot carry escape
//! sequences or bidi controls to the terminal. The overlay sanitises again as it draws.

use std::fmt;

use log::{LevelFilter, Log, Metadata, Record};
use slog::Drain;

struct ConsoleLog {
    drain: tui_logger::TuiSlogDrain,
}

static LOCATION: slog::RecordLocation = slog::RecordLocation {
    file: "",
    line: 0,
    column: 0,
    function: "",
    module: "flightdeck",
};

impl Log for ConsoleLog {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            log::Level::Error => slog::Level::Error,
            log::Level::Warn => slog::Level::Warning,
            log::Level::Info => slog::Level::Info,
            log::Level::Debug => slog::Level::Debug,
            log::Level::Trace => slog::Level::Trace,
        };
        let tag = crate::text::clean(record.target());
        let rs = slog::RecordStatic {
            location: &LOCATION,
            tag: &tag,
            level,
        };
        // sanitised line by line and redacted: the last guard for `!`
        let text = entry_text(record.args());
        let kv = slog::OwnedKVList::from(slog::o!());
        let _ = self.drain.log(
            &slog::Record::new(&rs, &format_args!("{text}"), slog::BorrowedKV(&())),
            &kv,
        );
    }

    fn flush(&self) {}
}

/// The text a log record is stored as: each line of the message through
/// [`crate::text::clean`] (escape sequences, C0/C1 controls and bidi controls removed), the
/// lines of a multi-line message kept apart, and any credential a message quotes (a URL's
/// password, a token in an error) `<redacted>`.
pub fn entry_text(args: &fmt::Arguments) -> String {
    let owned;
    let raw = match args.as_str() {
        Some(s) => s,
        None => {
            owned = args.to_string();
            &owned
        }
    };
    let mut out = String::with_capacity(raw.len());
    for (i, line) in raw.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&crate::text::clean(line));
    }
    crate::secret::redact(&out).into_owned()
}

/// Installs the console log. Records older than tui-logger's hot buffer (1,000 records
/// between two moves) are dropped, never blocking the logging task.
pub fn init(level: LevelFilter) -> Result<(), log::SetLoggerError> {
    log::set_boxed_logger(Box::new(ConsoleLog {
        drain: tui_logger::TuiSlogDrain,
    }))?;
    log::set_max_level(level);
    tui_logger::set_default_level(level);
    Ok(())
}

/// Moves new records into the widget's buffer; cheap when there are none.
pub fn collect() {
    tui_logger::move_events();
}
