//! ffprobe and ffmpeg, run as child processes with limits: the server never
//! parses a file from outside in its own memory. Each run gets a wall-clock
//! limit, CPU-time, address-space and file-size rlimits, a lower priority,
//! no network (`-protocol_whitelist file`, demuxers of video containers
//! only), and dies with the server (`PR_SET_PDEATHSIG`); what it prints is
//! read with a cap. A limit hit is a [`RunError`] the rep can be told about.

use std::{
    ffi::OsString,
    io,
    os::unix::process::ExitStatusExt,
    path::PathBuf,
    process::{ExitStatus, Stdio},
    time::Duration,
};

use tokio::io::AsyncReadExt;

/// The demuxers an input may use: video containers, nothing that reads
/// other files or the network (playlists, concat lists, image sequences).
pub const INPUT_FORMATS: &str = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,asf,flv,mpeg,mpegts";

/// Where ffmpeg and ffprobe are and what each run may use (configuration:
/// `FFMPEG`, `FFPROBE`, `PROCESSING_MEMORY_MB`).
#[derive(Clone, Debug)]
pub struct Tools {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// Address space each run may use.
    pub memory_bytes: u64,
}

impl Default for Tools {
    fn default() -> Self {
        Self {
            ffmpeg: "ffmpeg".into(),
            ffprobe: "ffprobe".into(),
            memory_bytes: 2048 * 1024 * 1024,
        }
    }
}

/// What one run may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Wall-clock time.
    pub wall: Duration,
    /// CPU time (all threads together).
    pub cpu: Duration,
    /// Size of any file it writes.
    pub file_bytes: u64,
    /// What it prints on its standard output (ffprobe's answer).
    pub stdout_bytes: usize,
    /// With progress: stopped when the position has not moved for this long.
    pub stall: Duration,
}

impl Limits {
    /// For reading a file's description: quick, small.
    pub fn probe() -> Self {
        Self {
            wall: Duration::from_secs(30),
            cpu: Duration::from_secs(30),
            file_bytes: 0,
            stdout_bytes: 1024 * 1024,
            stall: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{program} could not be started: {error} (is ffmpeg installed? see FFMPEG/FFPROBE)")]
    Start { program: String, error: io::Error },
    #[error("it took longer than allowed")]
    TimedOut,
    #[error("it stopped making progress")]
    Stalled,
    #[error("it used more CPU time than allowed")]
    CpuLimit,
    #[error("it needed more memory than allowed")]
    MemoryLimit,
    #[error("it would write a larger file than allowed")]
    FileTooLarge,
    #[error("it printed more than allowed")]
    OutputTooLarge,
    #[error("it failed ({status}): {stderr}")]
    Failed { status: ExitStatus, stderr: String },
    #[error("reading its output failed: {0}")]
    Io(#[from] io::Error),
}

/// Where an ffmpeg run is, from its `-progress` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// How far into the input it has got.
    pub out_time_ms: i64,
    /// It reported the end.
    pub done: bool,
}

/// The last bytes of standard error kept for a failure's message.
const STDERR_TAIL: usize = 2048;
/// A progress line longer than this is not one (and is dropped).
const LINE_MAX: usize = 512;

impl Tools {
    /// Fails when ffmpeg or ffprobe cannot be run (checked at start-up, so
    /// a missing package shows at once rather than at the first upload).
    pub async fn check(&self) -> anyhow::Result<()> {
        let limits = Limits::probe();
        for program in [&self.ffmpeg, &self.ffprobe] {
            let out = self
                .run_program(program, [OsString::from("-version")], limits, None)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", program.display()))?;
            let first = String::from_utf8_lossy(&out);
            tracing::debug!(
                version = first.lines().next().unwrap_or(""),
                "media tool found"
            );
        }
        Ok(())
    }

    /// Runs ffprobe with `args`; its standard output.
    pub async fn ffprobe(
        &self,
        args: impl IntoIterator<Item = OsString>,
        limits: Limits,
    ) -> Result<Vec<u8>, RunError> {
        self.run_program(&self.ffprobe, args, limits, None).await
    }

    /// Runs ffmpeg with `args` (and `-progress pipe:1`), telling `progress`
    /// where it is as it goes.
    pub async fn ffmpeg(
        &self,
        args: impl IntoIterator<Item = OsString>,
        limits: Limits,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(), RunError> {
        let args = [
            "-nostdin",
            "-hide_banner",
            "-nostats",
            "-loglevel",
            "error",
            "-progress",
            "pipe:1",
            "-y",
        ]
        .into_iter()
        .map(OsString::from)
        .chain(args);
        self.run_program(&self.ffmpeg, args, limits, Some(progress))
            .await
            .map(drop)
    }

    async fn run_program(
        &self,
        program: &PathBuf,
        args: impl IntoIterator<Item = OsString>,
        limits: Limits,
        progress: Option<&mut (dyn FnMut(Progress) + Send)>,
    ) -> Result<Vec<u8>, RunError> {
        let args: Vec<OsString> = args.into_iter().collect();
        if tracing::enabled!(tracing::Level::DEBUG) {
            let shown: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
            let shown = serde_json::to_string(&shown).unwrap_or_default();
            tracing::debug!(program = %program.display(), args = %shown, "running");
        }
        let mut command = tokio::process::Command::new(program);
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .env_clear()
            // Few malloc arenas: threads would each reserve 64 MiB of
            // address space, which counts against the limit.
            .env("MALLOC_ARENA_MAX", "2");
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        let memory = self.memory_bytes;
        let cpu = limits.cpu.as_secs().max(1);
        let file_bytes = limits.file_bytes;
        // SAFETY: only async-signal-safe system calls (setrlimit, prctl,
        // setpriority) between fork and exec.
        unsafe {
            command.pre_exec(move || confine(memory, cpu, file_bytes));
        }
        let mut child = command.spawn().map_err(|error| RunError::Start {
            program: program.display().to_string(),
            error,
        })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");

        let run = async {
            let (out, tail) =
                tokio::join!(read_stdout(stdout, limits, progress), read_tail(stderr));
            let out = out?;
            let status = child.wait().await?;
            Ok::<_, RunError>((out, status, tail))
        };
        // Dropped on a timeout or an error: the child is killed with it.
        let (out, status, tail) = tokio::time::timeout(limits.wall, run)
            .await
            .map_err(|_| RunError::TimedOut)??;
        if status.success() {
            return Ok(out);
        }
        Err(classify(status, tail))
    }
}

/// Limits set in the child, before it runs the program.
fn confine(memory: u64, cpu_seconds: u64, file_bytes: u64) -> io::Result<()> {
    use rustix::process::{Resource, Rlimit, Signal, setrlimit};
    let limit = |n: u64| Rlimit {
        current: Some(n),
        maximum: Some(n),
    };
    setrlimit(Resource::As, limit(memory))?;
    // SIGXCPU at the soft limit, SIGKILL a little later.
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(cpu_seconds),
            maximum: Some(cpu_seconds + 5),
        },
    )?;
    setrlimit(Resource::Fsize, limit(file_bytes))?;
    setrlimit(Resource::Core, limit(0))?;
    // Dies with the server: a crash or a kill leaves no ffmpeg behind. (Tied
    // to the spawning thread: tokio's workers live as long as the runtime.)
    rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
    // Requests come first; processing takes what is left.
    rustix::process::setpriority_process(None, 10)?;
    Ok(())
}

/// Why a run that did not succeed ended.
fn classify(status: ExitStatus, stderr: String) -> RunError {
    const SIGKILL: i32 = 9;
    const SIGXCPU: i32 = 24;
    const SIGXFSZ: i32 = 25;
    match status.signal() {
        Some(SIGXCPU | SIGKILL) => return RunError::CpuLimit,
        Some(SIGXFSZ) => return RunError::FileTooLarge,
        _ => {}
    }
    let lower = stderr.to_lowercase();
    if lower.contains("cannot allocate memory")
        || lower.contains("out of memory")
        || lower.contains("malloc")
        || lower.contains("std::bad_alloc")
    {
        RunError::MemoryLimit
    } else if lower.contains("file too large") {
        RunError::FileTooLarge
    } else {
        RunError::Failed { status, stderr }
    }
}

/// Standard output: collected up to its cap, or (with `progress`) read as
/// `-progress` reports, stopping the run when they stall.
async fn read_stdout(
    mut stdout: tokio::process::ChildStdout,
    limits: Limits,
    mut progress: Option<&mut (dyn FnMut(Progress) + Send)>,
) -> Result<Vec<u8>, RunError> {
    let mut collected = Vec::new();
    let mut line = Vec::with_capacity(LINE_MAX);
    let mut chunk = [0u8; 8192];
    let mut current = Progress::default();
    let mut moved_at = tokio::time::Instant::now();
    loop {
        let read = match &progress {
            Some(_) => {
                let deadline = moved_at + limits.stall;
                match tokio::time::timeout_at(deadline, stdout.read(&mut chunk)).await {
                    Ok(read) => read?,
                    Err(_) => return Err(RunError::Stalled),
                }
            }
            None => stdout.read(&mut chunk).await?,
        };
        if read == 0 {
            return Ok(collected);
        }
        let Some(report) = progress.as_deref_mut() else {
            if collected.len() + read > limits.stdout_bytes {
                return Err(RunError::OutputTooLarge);
            }
            collected.extend_from_slice(&chunk[..read]);
            continue;
        };
        for &byte in &chunk[..read] {
            if byte != b'\n' {
                if line.len() < LINE_MAX {
                    line.push(byte);
                }
                continue;
            }
            let before = current;
            match std::str::from_utf8(&line)
                .ok()
                .and_then(|l| l.split_once('='))
            {
                // ffmpeg's `out_time_ms` is in microseconds too.
                Some(("out_time_us", value)) => {
                    if let Ok(us) = value.trim().parse::<i64>() {
                        current.out_time_ms = (us / 1000).max(current.out_time_ms);
                    }
                }
                Some(("progress", value)) => {
                    current.done = value.trim() == "end";
                    report(current);
                }
                _ => {}
            }
            if current.out_time_ms != before.out_time_ms {
                moved_at = tokio::time::Instant::now();
            }
            line.clear();
        }
    }
}

/// The last [`STDERR_TAIL`] bytes of standard error, read to its end.
async fn read_tail(mut stderr: tokio::process::ChildStderr) -> String {
    let mut tail = Vec::with_capacity(STDERR_TAIL * 2);
    let mut chunk = [0u8; 4096];
    while let Ok(read) = stderr.read(&mut chunk).await {
        if read == 0 {
            break;
        }
        tail.extend_from_slice(&chunk[..read]);
        if tail.len() > STDERR_TAIL {
            tail.drain(..tail.len() - STDERR_TAIL);
        }
    }
    String::from_utf8_lossy(&tail).trim().to_string()
}
