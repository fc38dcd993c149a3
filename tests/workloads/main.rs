#[path = "../support/mod.rs"]
mod support;

mod cut_text;
mod hint_sandbox;
mod kinds;
mod kinds_keys;
mod render;
mod rollouts_view;
mod sandbox;
mod yaml;
