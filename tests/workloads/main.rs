#[path = "../support/mod.rs"]
mod support;

mod connect;
mod cut_text;
mod describe;
mod empty;
mod generic;
mod generic_ops;
mod hint_sandbox;
mod kinds;
mod kinds_keys;
mod render;
mod rollouts_view;
mod sandbox;
mod table_power;
mod yaml;
