//! The terminal: raw mode and the alternate screen on the way in, and always restored on
//! the way out — on quit, on panic, and on SIGTERM/SIGHUP — and around a stop (Ctrl-Z,
//! SIGTSTP): left before, entered again after.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

pub type Tui = Terminal<Quiet<CrosstermBackend<Stdout>>>;

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Restores the terminal when dropped.
pub struct Guard {
    pub terminal: Tui,
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

pub fn enter(mouse: bool) -> io::Result<Guard> {
    install_panic_hook();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut stdout = io::stdout();
    execute!(
        stdout,
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if mouse {
        execute!(stdout, EnableMouseCapture)?;
    }
    let terminal = Terminal::new(Quiet::new(CrosstermBackend::new(stdout)))?;
    Ok(Guard { terminal })
}

/// A backend that writes nothing for a frame that changed nothing. Ratatui diffs each
/// frame against the last and hands the backend only the changed cells, but the
/// backend still ends every draw with a colour reset and hides the cursor again: 25 bytes
/// a frame for nothing, over SSH, whenever something woke the loop without changing what
/// is shown. Here an empty diff draws nothing, and a hidden cursor is not hidden again.
pub struct Quiet<B> {
    inner: B,
    /// whether the cursor is hidden, as far as this backend has been told
    hidden: bool,
}

impl<B> Quiet<B> {
    /// `inner` with its cursor already hidden (as [`enter`] leaves it).
    pub fn new(inner: B) -> Quiet<B> {
        Quiet {
            inner,
            hidden: true,
        }
    }
}

impl<B: Backend> Backend for Quiet<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(());
        }
        self.inner.draw(content)
    }
    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.inner.append_lines(n)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        if self.hidden {
            return Ok(());
        }
        self.hidden = true;
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.hidden = false;
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

/// The terminal's own sequences (mouse capture, OSC 52) go straight through.
impl<B: Write> Write for Quiet<B> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

/// Leaves raw mode and the alternate screen; safe to call more than once.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut stdout = io::stdout();
        let _ = execute!(
            stdout,
            DisableMouseCapture,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            cursor::Show
        );
        let _ = disable_raw_mode();
        let _ = stdout.flush();
    }
}

/// Ctrl-Z or SIGTSTP: the terminal as the shell wants it (as [`restore`] leaves it), then
/// the process stops; once continued (`fg`, SIGCONT), back in (see [`resume`]).
pub fn suspend(guard: &mut Guard, mouse: bool) -> io::Result<()> {
    restore();
    // SIGTSTP has the run loop's handler, so stop with SIGSTOP, which cannot have one;
    // only this process stops (a host action's group is its own)
    // SAFETY: raise only sends a signal to this process.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    resume(guard, mouse)
}

/// After a stop (ours or anyone's SIGSTOP): raw mode, the alternate screen, bracketed
/// paste, the mouse if it was captured, the cursor hidden, and the whole screen drawn
/// again at the next frame.
pub fn resume(guard: &mut Guard, mouse: bool) -> io::Result<()> {
    // the shell may have put the terminal back in cooked mode while we were stopped, and
    // crossterm's enable does nothing while it believes raw mode is on: leave, then enter
    let _ = disable_raw_mode();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let w = guard.terminal.backend_mut();
    execute!(w, EnterAlternateScreen, EnableBracketedPaste, cursor::Hide)?;
    if mouse {
        execute!(w, EnableMouseCapture)?;
    }
    w.clear_region(ClearType::All)?;
    // both buffers emptied, so the next frame is drawn whole. Not `Terminal::clear`: it
    // asks the terminal where the cursor is (ESC[6n) and waits for the answer, which the
    // input reader may take first
    guard.terminal.swap_buffers();
    guard.terminal.swap_buffers();
    Ok(())
}

/// Captures the mouse or leaves it to the terminal (`:mouse`), on the console's terminal.
pub fn set_mouse(w: &mut impl Write, on: bool) -> io::Result<()> {
    if on {
        execute!(w, EnableMouseCapture)
    } else {
        execute!(w, DisableMouseCapture)
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal the user sits at
/// (through SSH; tmux passes it on with `set-clipboard on`). The caller sanitises and caps
/// `text`; base64 keeps every byte of it out of the terminal's parser.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

/// Writes [`osc52`] through the terminal backend.
pub fn copy(w: &mut impl Write, text: &str) -> io::Result<()> {
    w.write_all(osc52(text).as_bytes())?;
    w.flush()
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorDepth {
    /// 24-bit RGB (`COLORTERM=truecolor`).
    #[default]
    TrueColor,
    /// The xterm 256-colour palette.
    Ansi256,
    /// The 16 ANSI colours (the terminal's own palette).
    Ansi16,
}

/// `[ui] color`: `auto` (from the environment), or one depth forced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
pub enum ColorSetting {
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "truecolor")]
    TrueColor,
    #[serde(rename = "256")]
    Ansi256,
    #[serde(rename = "16")]
    Ansi16,
}

/// The colour depth to draw with: a forced `[ui] color` wins; else true colour only when
/// the terminal says so (`COLORTERM` = `truecolor`/`24bit`, or terminfo's `colors` ≥ 2^24
/// as in `xterm-direct`); 16 colours when `TERM` says that is all there is (`*-16color`,
/// `*-8color`, `linux`, `vt*`, `dumb`, `ansi`) or terminfo's `colors` is under 256; else
/// 256. `tput_colors` is what `tput colors` printed, if it ran.
pub fn color_depth(
    setting: ColorSetting,
    colorterm: Option<&str>,
    term: Option<&str>,
    tput_colors: Option<u32>,
) -> ColorDepth {
    match setting {
        ColorSetting::TrueColor => return ColorDepth::TrueColor,
        ColorSetting::Ansi256 => return ColorDepth::Ansi256,
        ColorSetting::Ansi16 => return ColorDepth::Ansi16,
        ColorSetting::Auto => {}
    }
    let colorterm = colorterm.unwrap_or("").trim().to_ascii_lowercase();
    if colorterm == "truecolor" || colorterm == "24bit" {
        return ColorDepth::TrueColor;
    }
    let term = term.unwrap_or("").trim().to_ascii_lowercase();
    if term.ends_with("-direct") || tput_colors.is_some_and(|c| c >= 1 << 24) {
        return ColorDepth::TrueColor;
    }
    let few = term.ends_with("-16color")
        || term.ends_with("-8color")
        || term.ends_with("-color") && !term.contains("256")
        || matches!(term.as_str(), "linux" | "dumb" | "ansi" | "cons25" | "")
        || term.starts_with("vt");
    if few || tput_colors.is_some_and(|c| c < 256) {
        return ColorDepth::Ansi16;
    }
    ColorDepth::Ansi256
}

/// Whether `color_depth` needs terminfo to decide (so the console runs `tput colors` only
/// then).
pub fn depth_needs_terminfo(setting: ColorSetting, colorterm: Option<&str>) -> bool {
    setting == ColorSetting::Auto
        && !matches!(
            colorterm.map(|c| c.trim().to_ascii_lowercase()).as_deref(),
            Some("truecolor" | "24bit")
        )
}

#[cfg(test)]
mod tests {
    use super::ColorDepth::*;
    use super::ColorSetting as S;
    use super::*;

    /// What the terminal was sent, shared with the test.
    #[derive(Clone, Default)]
    struct Sent(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Sent {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_frame_that_changed_nothing_writes_nothing() {
        use ratatui::widgets::Paragraph;
        let sent = Sent::default();
        let mut t = Terminal::with_options(
            Quiet::new(CrosstermBackend::new(sent.clone())),
            ratatui::TerminalOptions {
                viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 20, 2)),
            },
        )
        .expect("terminal");
        let mut frame = |text: &str| {
            t.draw(|f| f.render_widget(Paragraph::new(text.to_owned()), f.area()))
                .expect("draw");
            sent.0.borrow().len()
        };
        let first = frame("live");
        assert!(first > 0);
        assert_eq!(frame("live"), first, "the same frame again wrote bytes");
        let changed = frame("quiet 1m");
        assert!(changed > first, "a changed frame wrote nothing");
        let written = String::from_utf8_lossy(&sent.0.borrow()[first..]).into_owned();
        // only the cells that changed: "live" → "quiet 1m" keeps the `e` and the space
        assert!(
            written.contains("qui") && written.contains("1m"),
            "{written:?}"
        );
    }

    #[test]
    fn true_colour_only_when_the_terminal_says_so() {
        let d = |ct: Option<&str>, t: Option<&str>, n: Option<u32>| color_depth(S::Auto, ct, t, n);
        assert_eq!(
            d(Some("truecolor"), Some("xterm-256color"), None),
            TrueColor
        );
        assert_eq!(d(Some("24bit"), Some("screen"), Some(8)), TrueColor);
        assert_eq!(d(None, Some("xterm-256color"), Some(256)), Ansi256);
        // tmux without true colour, an old SSH client
        assert_eq!(d(None, Some("tmux-256color"), None), Ansi256);
        assert_eq!(d(Some(""), Some("screen-256color"), Some(256)), Ansi256);
        assert_eq!(d(Some("yes"), Some("xterm-256color"), None), Ansi256);
        assert_eq!(d(None, Some("xterm-direct"), None), TrueColor);
        assert_eq!(d(None, Some("xterm-kitty"), Some(16_777_216)), TrueColor);
        assert_eq!(d(None, Some("rxvt-unicode-256color"), None), Ansi256);
    }

    #[test]
    fn sixteen_when_that_is_all_there_is() {
        let d = |t: Option<&str>, n: Option<u32>| color_depth(S::Auto, None, t, n);
        assert_eq!(d(Some("xterm-16color"), None), Ansi16);
        assert_eq!(d(Some("linux"), None), Ansi16);
        assert_eq!(d(Some("xterm"), Some(8)), Ansi16);
        assert_eq!(d(Some("xterm-color"), None), Ansi16);
        assert_eq!(d(Some("vt100"), None), Ansi16);
        assert_eq!(d(None, None), Ansi16);
        assert_eq!(d(Some("xterm"), None), Ansi256);
    }

    #[test]
    fn osc52_is_base64_between_the_escapes() {
        assert_eq!(osc52(""), "\x1b]52;c;\x07");
        assert_eq!(osc52("f"), "\x1b]52;c;Zg==\x07");
        assert_eq!(osc52("fo"), "\x1b]52;c;Zm8=\x07");
        assert_eq!(osc52("foobar"), "\x1b]52;c;Zm9vYmFy\x07");
        assert_eq!(
            osc52("checkout-7d9f\n"),
            "\x1b]52;c;Y2hlY2tvdXQtN2Q5Zgo=\x07"
        );
    }

    #[test]
    fn the_setting_wins() {
        assert_eq!(
            color_depth(S::Ansi256, Some("truecolor"), None, None),
            Ansi256
        );
        assert_eq!(
            color_depth(S::TrueColor, None, Some("linux"), Some(8)),
            TrueColor
        );
        assert_eq!(
            color_depth(S::Ansi16, None, Some("xterm-256color"), None),
            Ansi16
        );
        assert!(!depth_needs_terminfo(S::Auto, Some("truecolor")));
        assert!(depth_needs_terminfo(S::Auto, None));
        assert!(!depth_needs_terminfo(S::Ansi16, None));
    }
}
