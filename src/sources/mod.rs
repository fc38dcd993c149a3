pub mod exposition;
pub mod metrics;
