//! The run loop's promises, guarded on the loop itself (`console::run::drive`) with a
//! backend that counts every byte written to the terminal, on tokio's paused clock (the
//! loop's timers run on simulated time, so the checks below are exact, not timed):
//! an idle console writes nothing, a key is answered by a frame within 33 ms, and data
//! alone is drawn at most once per 200 ms however fast it comes.

use crate::support::common;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::event::Event;
use flightdeck::app::panes::logs;
use flightdeck::app::state::State;
use flightdeck::console::run::{Sender, drive};
use flightdeck::ops::{AuditLog, Executor};
use flightdeck::pane::PaneId;
use flightdeck::sources::logs::ingest::parse_line;
use flightdeck::sources::logs::{LogTarget, LogsMsg};
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::time::Instant;

/// What reached the terminal: bytes since the last flush, and each frame (a flush that
/// wrote something) with the simulated time it was flushed at.
#[derive(Default)]
struct Written {
    pending: usize,
    total: usize,
    frames: Vec<(Instant, usize)>,
}

#[derive(Clone, Default)]
struct Counter(Arc<Mutex<Written>>);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut w = self.0.lock().expect("lock");
        w.pending += buf.len();
        w.total += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        let mut w = self.0.lock().expect("lock");
        if w.pending > 0 {
            let n = std::mem::take(&mut w.pending);
            w.frames.push((Instant::now(), n));
        }
        Ok(())
    }
}

impl Counter {
    fn total(&self) -> usize {
        self.0.lock().expect("lock").total
    }
    fn frames(&self) -> Vec<(Instant, usize)> {
        self.0.lock().expect("lock").frames.clone()
    }
}

/// crossterm's own backend writing into the counter, at a fixed size (there is no tty).
struct Counting {
    inner: CrosstermBackend<Counter>,
    out: Counter,
    size: Size,
}

impl Backend for Counting {
    type Error = io::Error;
    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(Position::new(0, 0))
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> io::Result<Size> {
        Ok(self.size)
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::new(0, 0),
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

impl io::Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(&mut self.out)
    }
}

fn key(c: char) -> io::Result<TermEvent> {
    Ok(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

/// A console with nothing configured but the Logs pane following a workload (no source
/// runs: the test sends the events a source would).
fn state() -> State {
    let mut s = common::state_builder()
        .theme("dark")
        .focus(PaneId::Logs)
        .size(120, 40)
        .build();
    s.sources.clear();
    let _ = logs::follow(
        &mut s,
        LogTarget::Selector {
            namespace: "shop".into(),
            selector: "app=checkout".into(),
            label: "checkout".into(),
        },
    );
    s
}

fn lines(s: &State, stream: u64, n: usize) -> Event {
    Event::Logs {
        generation: s.generation,
        msg: LogsMsg::Lines {
            stream,
            pod: "checkout-1".into(),
            lines: vec![parse_line(format!("request {n} served").as_bytes())],
            at: jiff::Timestamp::now(),
        },
    }
}

#[tokio::test(start_paused = true)]
async fn idle_writes_nothing_keys_draw_within_33ms_and_data_at_most_every_200ms() {
    let out = Counter::default();
    let backend = Counting {
        inner: CrosstermBackend::new(out.clone()),
        out: out.clone(),
        size: Size::new(120, 40),
    };
    let mut screen =
        ratatui::Terminal::new(flightdeck::term::Quiet::new(backend)).expect("terminal");
    let s = state();
    let (generation, stream) = (s.generation, s.logs.stream);
    let probe = s.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let ops = Executor::new(
        Err("no cluster".into()),
        false,
        AuditLog::at(dir.path().join("audit.jsonl")),
    );
    let (keys, input) = futures::channel::mpsc::unbounded::<io::Result<TermEvent>>();
    let sender: Arc<Mutex<Option<Sender>>> = Arc::default();
    let sources = {
        let sender = sender.clone();
        move |_: &State, tx: &Sender| *sender.lock().expect("lock") = Some(tx.clone())
    };
    let looped = tokio::spawn(async move { drive(&mut screen, input, s, sources, &ops).await });
    let tx = loop {
        if let Some(tx) = sender.lock().expect("lock").clone() {
            break tx;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let send = |ev: Event| tx.send(ev).expect("the loop runs");

    // the first frame, then idle: thirty ticks of the loop's clock write nothing
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!out.frames().is_empty(), "the first frame was drawn");
    let before = out.total();
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(out.total(), before, "an idle console wrote to the terminal");

    // a key just after a frame (a log line after the quiet spell is drawn at once): the
    // frame that answers it still comes within 33 ms, not at data's 200 ms pace
    send(lines(&probe, stream, 0));
    tokio::time::sleep(Duration::from_millis(1)).await;
    let drawn = out.frames().last().map(|(t, _)| *t).expect("a frame");
    assert!(
        Instant::now() - drawn <= Duration::from_millis(1),
        "the line was drawn at once"
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    let at = Instant::now();
    keys.unbounded_send(key('?')).expect("the loop reads keys");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answer = out
        .frames()
        .into_iter()
        .find(|(t, _)| *t >= at)
        .expect("a frame answered the key");
    assert!(
        answer.0 - at <= Duration::from_millis(33),
        "the key was answered after {:?}",
        answer.0 - at
    );
    keys.unbounded_send(key('?')).expect("help closed again");
    tokio::time::sleep(Duration::from_secs(1)).await;

    // data only, a log line every 10 ms for 3 s: drawn, but never twice within 200 ms
    let from = Instant::now();
    for n in 1..300 {
        send(lines(&probe, stream, n));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let frames: Vec<Instant> = out
        .frames()
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| *t >= from)
        .collect();
    assert!(
        frames.len() >= 10,
        "the data was drawn: {} frames",
        frames.len()
    );
    for pair in frames.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(200),
            "two frames {:?} apart under data alone",
            pair[1] - pair[0]
        );
    }
    assert_eq!(generation, probe.generation);

    keys.unbounded_send(key('q')).expect("quit");
    let code = looped
        .await
        .expect("the loop ended")
        .expect("no terminal error");
    assert_eq!(code, 0);
}
