//! Data sources: each talks to a real protocol and sends owned messages to the ui task.
//! Nothing here imports ratatui.

pub mod exposition;
pub mod github;
pub mod gpu;
pub mod group;
pub mod health;
pub mod http;
pub mod kube;
pub mod logs;
pub mod metrics;
pub mod pipe;
pub mod systemd;
