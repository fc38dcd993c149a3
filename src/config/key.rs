//! Key notation: a printable character is itself (`R` is shift-r), modifiers `C-`, `A-`
//! and (named keys only) `S-`, named keys lowercase (`enter`, `S-tab`, `f5`); and the key
//! of a terminal event in the same terms.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Insert,
    Delete,
    F(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    /// Only for named keys: a printable character carries its own case (`R`, never `S-r`).
    pub shift: bool,
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backspace", KeyCode::Backspace),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("insert", KeyCode::Insert),
    ("delete", KeyCode::Delete),
    ("space", KeyCode::Char(' ')),
    ("minus", KeyCode::Char('-')),
];

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// Parses key notation. Printable characters are themselves; modifiers are `C-`, `A-`
    /// and (for named keys only) `S-`; named keys are lowercase.
    pub fn parse(text: &str) -> Result<Key, String> {
        if text.is_empty() {
            return Err("empty key".into());
        }
        let mut rest = text;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            // a modifier prefix needs something after it: `-` alone and `C--` are chars
            if rest.chars().count() > 2 {
                if let Some(r) = rest.strip_prefix("C-") {
                    ctrl = true;
                    rest = r;
                    continue;
                }
                if let Some(r) = rest.strip_prefix("A-") {
                    alt = true;
                    rest = r;
                    continue;
                }
                if let Some(r) = rest.strip_prefix("S-") {
                    shift = true;
                    rest = r;
                    continue;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if c.is_control() {
                    return Err(format!(
                        "`{}` is a control character; use its name",
                        c.escape_default()
                    ));
                }
                if shift {
                    let hint = if c.is_ascii_lowercase() {
                        format!("; write `{}`", c.to_ascii_uppercase())
                    } else {
                        String::new()
                    };
                    return Err(format!(
                        "`S-` is for named keys only: a printable character carries its own case{hint}"
                    ));
                }
                if c == ' ' {
                    return Err("write `space` for the space bar".into());
                }
                KeyCode::Char(c)
            }
            _ => {
                if let Some(n) = rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    if (1..=12).contains(&n) {
                        KeyCode::F(n)
                    } else {
                        return Err(format!("unknown key `{rest}`: function keys are f1 to f12"));
                    }
                } else if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == rest) {
                    if shift && matches!(code, KeyCode::Char(_)) {
                        return Err(format!("`S-{rest}` is not a key"));
                    }
                    *code
                } else if NAMED.iter().any(|(n, _)| n.eq_ignore_ascii_case(rest)) {
                    return Err(format!(
                        "unknown key `{rest}`: named keys are lowercase (`{}`)",
                        rest.to_ascii_lowercase()
                    ));
                } else {
                    return Err(format!(
                        "unknown key `{text}`: use a character, a named key ({}, f1..f12) and C-/A-/S- modifiers",
                        NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ")
                    ));
                }
            }
        };
        Ok(Key {
            code,
            ctrl,
            alt,
            shift,
        })
    }

    /// The key of a terminal event, normalised so that it equals the parsed notation.
    pub fn from_event(ev: &crossterm::event::KeyEvent) -> Option<Key> {
        use crossterm::event::{KeyCode as C, KeyModifiers as M};
        let ctrl = ev.modifiers.contains(M::CONTROL);
        let alt = ev.modifiers.contains(M::ALT);
        let shift = ev.modifiers.contains(M::SHIFT);
        let (code, shift) = match ev.code {
            C::Char(c) => {
                // with ctrl, terminals report the letter; normalise to lowercase unless shifted
                let c = if ctrl && !shift {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                (KeyCode::Char(c), false)
            }
            C::Enter => (KeyCode::Enter, shift),
            C::Esc => (KeyCode::Esc, shift),
            C::Tab => (KeyCode::Tab, shift),
            C::BackTab => (KeyCode::Tab, true),
            C::Backspace => (KeyCode::Backspace, shift),
            C::Up => (KeyCode::Up, shift),
            C::Down => (KeyCode::Down, shift),
            C::Left => (KeyCode::Left, shift),
            C::Right => (KeyCode::Right, shift),
            C::Home => (KeyCode::Home, shift),
            C::End => (KeyCode::End, shift),
            C::PageUp => (KeyCode::PageUp, shift),
            C::PageDown => (KeyCode::PageDown, shift),
            C::Insert => (KeyCode::Insert, shift),
            C::Delete => (KeyCode::Delete, shift),
            C::F(n) => (KeyCode::F(n), shift),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl,
            alt,
            shift,
        })
    }
}

impl Key {
    /// The key as a hint shows it: its notation, except that the minus sign is `-`
    /// (`+/- step`), where a keymap file must write `minus` or `"-"`.
    pub fn hint(&self) -> String {
        match self.code {
            KeyCode::Char('-') => {
                let mut s = self.to_string();
                s.truncate(s.len() - "minus".len());
                s.push('-');
                s
            }
            _ => self.to_string(),
        }
    }

    /// A printable character typed as itself (no C- or A-): text in a prompt.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_)) && !self.ctrl && !self.alt
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("C-")?;
        }
        if self.alt {
            f.write_str("A-")?;
        }
        if self.shift {
            f.write_str("S-")?;
        }
        match self.code {
            KeyCode::Char(c) => match NAMED.iter().find(|(_, k)| *k == KeyCode::Char(c)) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{c}"),
            },
            KeyCode::F(n) => write!(f, "f{n}"),
            code => {
                let name = NAMED
                    .iter()
                    .find(|(_, k)| *k == code)
                    .map(|(n, _)| *n)
                    .unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_notation_prints_what_it_parses() {
        for text in [
            "R", "r", "C-r", "A-x", "C-A-x", "S-tab", "enter", "space", "minus", "f5", "?", ":",
            "/", "S-up",
        ] {
            let key = Key::parse(text).expect(text);
            assert_eq!(key.to_string(), text, "{text}");
        }
    }

    #[test]
    fn a_minus_sign_is_the_minus_key() {
        assert_eq!(Key::parse("-"), Key::parse("minus"));
        assert_eq!(
            Key::parse("C--").map(|k| k.to_string()).as_deref(),
            Ok("C-minus")
        );
    }

    #[test]
    fn key_notation_errors() {
        assert!(Key::parse("S-r").unwrap_err().contains("write `R`"));
        assert!(Key::parse("Enter").unwrap_err().contains("lowercase"));
        assert!(Key::parse("f13").unwrap_err().contains("f1 to f12"));
        assert!(Key::parse("ctrl-r").unwrap_err().contains("unknown key"));
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn events_normalise_to_notation() {
        use crossterm::event::{KeyCode as C, KeyEvent, KeyModifiers as M};
        let ev = |code, m| Key::from_event(&KeyEvent::new(code, m)).map(|k| k.to_string());
        assert_eq!(ev(C::Char('R'), M::SHIFT).as_deref(), Some("R"));
        assert_eq!(ev(C::BackTab, M::SHIFT).as_deref(), Some("S-tab"));
        assert_eq!(ev(C::Char('c'), M::CONTROL).as_deref(), Some("C-c"));
        assert_eq!(ev(C::Char(' '), M::NONE).as_deref(), Some("space"));
    }
}
