//! flightdeck: a terminal operations console for on-call engineers.
//!
//! Shape (DESIGN.md): sources and effects are tokio tasks that talk to real protocols and
//! send owned [`app::Event`]s to the ui task; [`app::update`] is pure and returns
//! [`app::Effect`]s; [`ui::render`] draws [`app::State`] and does no I/O.

pub mod cli;
pub mod sandbox;
pub mod sources;
