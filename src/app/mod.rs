//! The Elm-style core: [`State`], [`Event`], [`Action`], a pure [`update`] that returns
//! [`Effect`]s, and the run loop that merges terminal input, source events and effects.

pub mod action;
pub mod dialog;
pub mod event;
pub mod hint;
pub mod palette;
pub mod pane;
pub mod panes;
pub mod run;
pub mod state;
pub mod update;

pub use action::Action;
pub use event::{Effect, Event};
pub use pane::PaneId;
pub use state::State;
pub use update::update;
