//! Data sources: each talks to a real protocol and sends owned messages to the ui task.
//! Nothing here imports ratatui.

pub mod exposition;
pub mod gpu;
pub mod logs;
pub mod metrics;
