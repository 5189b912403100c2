//! The Share a Recording server: configuration, storage backends, HTTP routes
//! outside the Leptos app (media, upload, health, the recipients' viewer),
//! email delivery, demo data and the CLI.

// Leptos view types nest deeply (the Share Recording window); computing the
// layout of the server-rendered future needs more than the default 128.
#![recursion_limit = "256"]

pub mod cli;
pub mod client;
pub mod config;
pub mod demo;
pub mod jobs;
pub mod mail;
pub mod media;
pub mod sendfile;
pub mod serve;
pub mod signin;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod upload;
pub mod viewer;
