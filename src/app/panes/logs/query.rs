//! The Logs pane's filter: the level filter, and the `/` query (`+RE` keeps, `-RE` drops,
//! other words search), compiled once per change of the filter text.

use log::Level;
use regex::{Regex, RegexBuilder};

use crate::app::state::{FlashLevel, State};
use crate::pane::PaneId;
use crate::sources::logs::LogLine;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LevelFilter {
    #[default]
    All,
    Warn,
    Error,
}

impl LevelFilter {
    pub fn label(self) -> &'static str {
        match self {
            LevelFilter::All => "all",
            LevelFilter::Warn => "≥warn",
            LevelFilter::Error => "≥error",
        }
    }
    pub(super) fn admits(self, level: Option<Level>) -> bool {
        match self {
            LevelFilter::All => true,
            LevelFilter::Warn => level.is_some_and(|l| l <= Level::Warn),
            LevelFilter::Error => level == Some(Level::Error),
        }
    }
}

/// The parsed pane filter.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub search: Option<Regex>,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
}

fn regex(text: &str) -> Option<Regex> {
    let build = |p: &str| {
        RegexBuilder::new(p)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
    };
    build(text).or_else(|_| build(&regex::escape(text))).ok()
}

impl Query {
    pub fn parse(filter: &str) -> Query {
        let mut q = Query::default();
        let mut words = Vec::new();
        for w in filter.split_whitespace() {
            if let Some(re) = w.strip_prefix('+').filter(|r| !r.is_empty()) {
                q.include.extend(regex(re));
            } else if let Some(re) = w.strip_prefix('-').filter(|r| !r.is_empty()) {
                q.exclude.extend(regex(re));
            } else {
                words.push(w);
            }
        }
        if !words.is_empty() {
            q.search = regex(&words.join(" "));
        }
        q
    }

    pub(super) fn is_match(re: &Regex, l: &LogLine) -> bool {
        re.is_match(&l.message)
            || l.component.as_deref().is_some_and(|c| re.is_match(c))
            || l.cont.iter().any(|c| re.is_match(c))
    }

    pub fn matches_search(&self, l: &LogLine) -> bool {
        self.search
            .as_ref()
            .is_some_and(|re| Query::is_match(re, l))
    }
}

/// The query of the pane filter: the compiled one kept in State when it is current (a
/// clone shares the compiled regexes), else compiled now.
pub fn query(state: &State) -> Query {
    let filter = &state.pane(PaneId::Logs).filter;
    match &state.logs.parsed {
        (text, q) if text == filter => q.clone(),
        _ => Query::parse(filter),
    }
}

/// Compiles the pane filter once when it changed, so frames and keys reuse it.
pub fn refresh_query(state: &mut State) {
    let filter = &state.pane(PaneId::Logs).filter;
    if state.logs.parsed.0 != *filter {
        state.logs.parsed = (filter.clone(), Query::parse(filter));
    }
}

pub(super) fn search(state: &mut State, older: bool) {
    let q = query(state);
    if q.search.is_none() {
        state.set_flash(FlashLevel::Info, "no search: press / and type".into());
        return;
    }
    let d = &state.logs;
    let start = d.bottom(&q).unwrap_or(d.entries.len());
    let found = if older {
        (0..start.min(d.entries.len()))
            .rev()
            .find(|i| d.visible(&d.entries[*i], &q) && q.matches_search(&d.entries[*i].line))
    } else {
        (start + 1..d.entries.len())
            .find(|i| d.visible(&d.entries[*i], &q) && q.matches_search(&d.entries[*i].line))
    };
    match found {
        Some(pos) => state.logs.pause_at(pos),
        None => state.set_flash(
            FlashLevel::Info,
            format!("no {} match", if older { "older" } else { "newer" }),
        ),
    }
}
