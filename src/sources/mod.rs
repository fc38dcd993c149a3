//! Data sources: tasks that read the outside world and send owned messages to the ui task.

pub mod exposition;
pub mod gpu;
