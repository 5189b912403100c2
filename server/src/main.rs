use clap::Parser;
use server::{cli, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init();
    match cli::run(cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
