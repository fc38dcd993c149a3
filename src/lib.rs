//! flightdeck: a terminal operations console for on-call engineers.
//!
//! Shape (docs/ARCHITECTURE.md): sources and effects are tokio tasks that talk to real protocols and
//! send owned [`app::Event`]s to the ui task; [`app::update`] is pure and returns
//! [`app::Effect`]s; [`ui::render`] draws [`app::State`] and does no I/O.

pub mod action;
pub mod app;
pub mod applog;
pub mod cli;
pub mod config;
pub mod console;
pub mod ops;
pub mod pane;
pub mod secret;
pub mod sources;
pub mod term;
pub mod text;
pub mod ui;
