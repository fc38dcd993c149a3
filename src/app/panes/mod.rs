//! Per-pane data held in State, and each pane's share of `update`. One file per pane.

pub mod errors;
pub mod gpu;
pub mod logs;
pub mod pipeline;
pub mod workloads;
