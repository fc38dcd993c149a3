#[path = "../support/mod.rs"]
mod support;

mod place;
mod sandbox;
mod view;
