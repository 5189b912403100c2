//! The Share a Recording server: configuration, storage backends, HTTP routes
//! outside the Leptos app (media, upload, health), demo data and the CLI.

pub mod cli;
pub mod config;
pub mod demo;
pub mod media;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod upload;
