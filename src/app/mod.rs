//! The Elm-style core: [`State`], [`Event`], [`Action`], a pure [`update`] that returns
//! [`Effect`]s. The run loop that carries the effects out lives in `console`.

pub mod audit;
pub mod cluster;
pub mod cluster_feed;
pub mod copy;
pub mod dialog;
pub mod event;
pub mod hint;
pub mod intent;
pub mod keyhints;
#[cfg(test)]
mod keymap_tests;
pub mod layout;
#[cfg(test)]
mod nodes_tests;
pub mod palette;
pub mod panes;
pub mod picker;
pub mod prompt;
pub mod redact;
pub mod resources;
pub mod scope;
pub mod state;
pub mod table_sort;
pub mod time_mode;
pub mod update;

pub use crate::action::Action;
pub use crate::pane::PaneId;
pub use event::{Effect, Event};
pub use state::State;
pub use update::update;
