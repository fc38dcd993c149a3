//! The Prometheus HTTP API over the sandbox's simulated history (`history.rs`), with a
//! small, honest PromQL subset: selectors with `=`, `!=`, `=~`, `!~`; `rate`, `irate`,
//! `increase` over `[d]` with Prometheus's extrapolation; `sum`, `avg`, `min`, `max`,
//! `count` with `by`/`without`; arithmetic and comparison operators (`bool`, `on`,
//! `ignoring`) between scalars and vectors; `histogram_quantile`, `clamp_min`,
//! `clamp_max`, `clamp`, `abs`, `label_replace`, `label_join`, `scalar`, `vector`,
//! `time`. Anything else is refused as `bad_data`, as Prometheus refuses what it cannot
//! parse.
//!
//! - `ast.rs`: the expression tree;
//! - `parse.rs`: lexer, parser and type checks;
//! - `eval.rs`: evaluation at one time;
//! - `api.rs`: `/api/v1/query`, `/api/v1/query_range`, `/api/v1/alerts`.

pub mod api;
mod ast;
pub mod eval;
pub mod parse;
