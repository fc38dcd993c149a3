//! Reading what a child process prints: bytes, not text, and bounded. Host actions, service
//! restarts and rollbacks, `systemctl` and `journalctl` all read through here, so that
//!
//! - invalid UTF-8 is a line like any other (decoded lossily), never the end of reading:
//!   a reader that stopped there would close the pipe and kill the child with SIGPIPE,
//!   half-way through a rollback script;
//! - one endless line costs at most [`MAX_LINE`] bytes of memory: the rest is counted and
//!   dropped, and the line says how much was cut;
//! - the pipe is read to its end whatever the bound, so the child never blocks or dies on
//!   a full pipe because the console stopped listening.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt};

/// The longest line kept, in bytes. A log or script line longer than this is a mistake
/// or an attack; its first 64 KiB are what a person reads.
pub const MAX_LINE: usize = 64 << 10;

/// One line as read: its bytes (without the newline, and without a `\r` before it) and how
/// many bytes past [`MAX_LINE`] were dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawLine {
    pub bytes: Vec<u8>,
    pub cut: u64,
}

impl RawLine {
    /// The line as text: invalid UTF-8 replaced (U+FFFD), a cut said at its end. Not yet
    /// sanitized: what draws it does that.
    pub fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.bytes);
        if self.cut == 0 {
            text.into_owned()
        } else {
            format!("{text} … [{} more bytes cut]", self.cut)
        }
    }
}

/// Lines of `reader`, each at most `max` bytes kept.
pub struct Lines<R> {
    reader: R,
    max: usize,
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    pub fn new(reader: R, max: usize) -> Self {
        Lines { reader, max }
    }

    /// The next line; `None` at the end of the stream. A read error ends the stream too
    /// (a pipe gives none while the child lives).
    pub async fn next_line(&mut self) -> Option<RawLine> {
        let mut line = RawLine::default();
        let mut any = false;
        loop {
            let avail = match self.reader.fill_buf().await {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return any.then(|| finish(line)),
            };
            if avail.is_empty() {
                return any.then(|| finish(line));
            }
            any = true;
            let newline = avail.iter().position(|&b| b == b'\n');
            let chunk = &avail[..newline.unwrap_or(avail.len())];
            let keep = chunk.len().min(self.max.saturating_sub(line.bytes.len()));
            line.bytes.extend_from_slice(&chunk[..keep]);
            line.cut += (chunk.len() - keep) as u64;
            let used = newline.map_or(avail.len(), |i| i + 1);
            self.reader.consume(used);
            if newline.is_some() {
                return Some(finish(line));
            }
        }
    }
}

fn finish(mut line: RawLine) -> RawLine {
    if line.cut == 0 && line.bytes.last() == Some(&b'\r') {
        line.bytes.pop();
    }
    line
}

/// Everything `reader` gives until its end, the first `max` bytes kept and the rest read
/// and dropped (so the writer is never stopped by a closed or full pipe).
pub async fn read_bounded<R: AsyncRead + Unpin>(mut reader: R, max: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = vec![0u8; 16 << 10];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) => return kept,
            Ok(n) => {
                let room = max.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return kept,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines_of(input: &[u8], max: usize) -> Vec<RawLine> {
        let mut l = Lines::new(tokio::io::BufReader::with_capacity(4, input), max);
        let mut out = Vec::new();
        while let Some(line) = l.next_line().await {
            out.push(line);
        }
        out
    }

    #[tokio::test]
    async fn invalid_utf8_is_a_line_and_reading_goes_on() {
        let lines = lines_of(b"a\xff\xfeb\r\nsecond\nlast without newline", 100).await;
        let texts: Vec<String> = lines.iter().map(RawLine::text).collect();
        assert_eq!(
            texts,
            ["a\u{fffd}\u{fffd}b", "second", "last without newline"]
        );
    }

    #[tokio::test]
    async fn a_long_line_keeps_its_start_and_counts_the_rest() {
        let mut input = vec![b'x'; 25];
        input.extend_from_slice(b"\nshort\n");
        let lines = lines_of(&input, 10).await;
        assert_eq!(lines[0].bytes, b"xxxxxxxxxx");
        assert_eq!(lines[0].cut, 15);
        assert_eq!(lines[0].text(), "xxxxxxxxxx … [15 more bytes cut]");
        assert_eq!(lines[1].text(), "short");
        assert_eq!(lines.len(), 2);
    }

    #[tokio::test]
    async fn empty_lines_are_lines_and_the_end_is_none() {
        let lines = lines_of(b"\n\n", 10).await;
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.bytes.is_empty()));
        assert!(lines_of(b"", 10).await.is_empty());
    }

    #[tokio::test]
    async fn read_bounded_reads_to_the_end_and_keeps_the_start() {
        let input = vec![7u8; 100_000];
        let kept = read_bounded(&input[..], 1000).await;
        assert_eq!(kept.len(), 1000);
    }
}
