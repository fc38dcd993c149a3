pub mod exposition;
