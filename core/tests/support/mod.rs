#[macro_use]
pub mod sim;
pub mod app;
pub mod steps;
