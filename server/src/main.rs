use server::{cli, telemetry};

fn main() -> std::process::ExitCode {
    telemetry::init();
    // At least four workers: Leptos' server rendering can stall for good when
    // a resource resolves on a runtime with a single busy worker (seen on
    // small machines; upstream leptos-rs/leptos#4647).
    let workers = std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .max(4);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(cli::run(cli::parse())),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
