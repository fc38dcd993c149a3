//! Diagnostics for config, theme and keymap files: `file:line:column: message`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl Diagnostic {
    /// A diagnostic at a byte offset of `source` (1-based line and column, columns in chars).
    pub fn at(file: &str, source: &str, offset: Option<usize>, message: impl Into<String>) -> Self {
        let (line, column) = offset.map(|o| line_col(source, o)).unwrap_or((1, 1));
        // a message may quote a value of the file: never a credential
        let message: String = message.into();
        Diagnostic {
            file: file.to_owned(),
            line,
            column,
            message: crate::secret::redact(&message).into_owned(),
        }
    }
}

pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before
        .get(line_start..)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// A toml_edit syntax error as a diagnostic.
pub fn from_toml_error(file: &str, source: &str, err: &toml_edit::TomlError) -> Diagnostic {
    let offset = err.span().map(|s| s.start);
    let message = err.message().trim().to_owned();
    Diagnostic::at(
        file,
        source,
        offset,
        format!("TOML syntax error: {message}"),
    )
}

/// The byte offset of `key` in the `[table]` section of a config file (for diagnostics).
pub(super) fn key_in_table(source: &str, table: &str, key: &str) -> Option<usize> {
    let header = format!("[{table}]");
    let start = source
        .match_indices(&header)
        .find(|(i, _)| *i == 0 || source[..*i].ends_with('\n'))
        .map(|(i, _)| i + header.len())?;
    let mut offset = start;
    for line in source[start..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            break;
        }
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    Some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        // "bé " : é is two bytes, the '=' is the 4th char
        assert_eq!(line_col(src, 10), (2, 4));
    }
}
