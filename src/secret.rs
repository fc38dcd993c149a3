//! A secret string (a GitHub token, for now) whose `Debug` and `Display` never show it, so
//! it cannot reach a log line, an error message or the audit log by accident. Only the
//! client that sends it calls [`Token::expose`].

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// `None` for an empty or blank secret (an unset variable is not a token).
    pub fn new(secret: impl Into<String>) -> Option<Token> {
        let s: String = secret.into();
        let s = s.trim();
        (!s.is_empty()).then(|| Token(s.to_owned()))
    }

    /// The secret itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::Token;

    #[test]
    fn never_printed() {
        let t = Token::new(" ghp_secret \n").expect("a token");
        assert_eq!(t.expose(), "ghp_secret");
        assert!(!format!("{t} {t:?}").contains("ghp_secret"));
        assert_eq!(Token::new("  "), None);
    }
}
