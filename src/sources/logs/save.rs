//! `:save PATH`: the Logs pane's lines into a regular file. Anything else at the path is
//! refused with a clear message: opening a FIFO for writing waits until a reader comes —
//! for ever, if none does — and a device or socket is not where a log belongs.

use std::fs::{FileType, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Writes `text` to `path` (created, or truncated if it is a regular file).
pub fn save(path: &Path, text: &[u8]) -> Result<(), String> {
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_file()
    {
        return Err(refusal(&m.file_type()));
    }
    // non-blocking, in case the path became a FIFO since: the open fails (no reader) or
    // returns at once, and the check below refuses it
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| e.to_string())?;
    let m = file.metadata().map_err(|e| e.to_string())?;
    if !m.is_file() {
        return Err(refusal(&m.file_type()));
    }
    file.write_all(text).map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}

fn refusal(t: &FileType) -> String {
    let what = if t.is_fifo() {
        "a FIFO"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    };
    format!("{what}: only a regular file is written; nothing was written")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_written_and_a_fifo_refused_without_waiting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("out.log");
        save(&file, b"one\n").expect("save");
        save(&file, b"two\n").expect("save again");
        assert_eq!(std::fs::read(&file).expect("read"), b"two\n");

        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.display().to_string()).expect("path");
        // SAFETY: mkfifo only creates the node named by a valid C string
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = save(&fifo, b"x\n").expect_err("a FIFO is refused");
        assert!(
            e.contains("a FIFO") && e.contains("nothing was written"),
            "{e}"
        );
        let e = save(dir.path(), b"x\n").expect_err("a directory is refused");
        assert!(e.contains("a directory"), "{e}");
    }
}
