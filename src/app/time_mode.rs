//! How times are shown: the Logs pane's time column, and the Error-rate pane's time axis
//! that follows it. A plain type both panes name.

/// How the time column is shown: `t` in the Logs pane cycles local → UTC → off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeMode {
    #[default]
    Local,
    Utc,
    Off,
}

impl TimeMode {
    pub fn next(self) -> TimeMode {
        match self {
            TimeMode::Local => TimeMode::Utc,
            TimeMode::Utc => TimeMode::Off,
            TimeMode::Off => TimeMode::Local,
        }
    }
}
