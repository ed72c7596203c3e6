pub mod app;
pub mod sim;
pub mod steps;
