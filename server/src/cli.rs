//! The `server` command line: serve (the default), import a recording, add a rep.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};
use app::{
    clock::{SharedClock, SystemClock},
    domain::{NewPassword, RecipientName, RecordingTitle, ZoneName},
    store::{NewRep, StoreError},
};
use clap::{Parser, Subcommand};

use crate::{config::Config, media::ProcessRecording, startup, store};

#[derive(Parser, Debug)]
#[command(
    name = "server",
    version,
    about = "Share a Recording: share meeting recordings with people outside your company",
    long_about = "Share a Recording.\n\nWith no command, serves the app."
)]
pub struct Cli {
    /// Configuration file (default: ./Leptos.toml when present).
    #[arg(long, global = true, env = "CONFIG_FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the app (the default).
    Serve,
    /// Add a recording from a video file (MP4, MOV, WebM, MKV, …), processed
    /// as an upload is; waits until it is ready, showing the percent done.
    Import {
        /// The video file.
        file: PathBuf,
        /// The recording's title.
        #[arg(long)]
        title: String,
        /// Email of the rep who will own it.
        #[arg(long)]
        owner: String,
    },
    /// Manage reps.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a rep. The password is read from a prompt, or from the first
    /// line of standard input when it is not a terminal; never from arguments.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. America/New_York (default: the zone of the rep's browser).
        #[arg(long)]
        timezone: Option<String>,
    },
    /// Disable a rep: every session of theirs ends at once, and they can no
    /// longer sign in. Their shares stay as they are.
    Disable {
        /// The rep's email.
        email: String,
    },
}

/// The command line, with the configuration keys listed after the options
/// (from [`crate::config::KEYS`], so the help never misses one).
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command()
        .after_help(crate::config::help_text())
        .get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Import { file, title, owner } => import(config, &file, &title, &owner).await,
        Command::User(UserCommand::Add {
            email,
            name,
            timezone,
        }) => add_user(config, email, name, timezone).await,
        Command::User(UserCommand::Disable { email }) => disable_user(config, &email).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = startup::Application::build(config).await?;
    tracing::info!("listening on http://{}", app.local_addr());
    app.run_until(startup::shutdown_signal()).await?;
    Ok(())
}

async fn import(config: Config, file: &Path, title: &str, owner: &str) -> anyhow::Result<()> {
    use app::domain::MediaState;
    use std::io::Write;

    let title = RecordingTitle::parse(title).map_err(|e| anyhow::anyhow!("--title: {e}"))?;
    let clock: SharedClock = Arc::new(SystemClock);
    let store = store::open(&config.database_url, clock.clone()).await?;
    let Some(rep) = store.rep_by_email(&owner.trim().to_lowercase()).await? else {
        bail!("no rep with the email {owner}; create one with `server user add`");
    };
    config.processing.tools.check().await?;
    let media = Arc::new(crate::media::open(&config)?);
    let input = tokio::fs::File::open(file)
        .await
        .with_context(|| format!("cannot open {}", file.display()))?;
    let recording = media
        .add_recording(
            &store,
            rep.id,
            title,
            tokio_util::io::ReaderStream::new(input),
            u64::MAX,
            clock.now(),
        )
        .await
        .with_context(|| format!("cannot import {}", file.display()))?;
    println!(
        "imported recording {} \"{}\" for {}; processing it",
        recording.id, recording.title, rep.email
    );

    // Processed here, by the same queue a server runs (a server running
    // now may take the job instead: either way it is done once).
    let processing = ProcessRecording::start(store.clone(), media.clone(), clock.clone(), &config);
    let mut shown = None;
    let outcome = loop {
        let now = store.recording(recording.id).await?;
        match now.map(|r| r.state) {
            Some(MediaState::Processing { percent }) => {
                if shown != Some(percent) {
                    print!("\rprocessing: {percent}%");
                    let _ = std::io::stdout().flush();
                    shown = Some(percent);
                }
            }
            Some(MediaState::Ready) => break Ok(()),
            Some(MediaState::Failed { reason }) => break Err(anyhow::anyhow!("{reason}")),
            None => break Err(anyhow::anyhow!("the recording was deleted meanwhile")),
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    processing.stop().await;
    println!();
    outcome.with_context(|| format!("cannot use {}", file.display()))?;
    println!("recording {} is ready", recording.id);
    Ok(())
}

async fn add_user(
    config: Config,
    email: String,
    name: String,
    timezone: Option<String>,
) -> anyhow::Result<()> {
    let email = email.trim().to_lowercase();
    let parsed: lettre::Address = email
        .parse()
        .map_err(|_| anyhow::anyhow!("--email: {email:?} is not an email address"))?;
    let name = RecipientName::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let time_zone = timezone
        .map(|zone| {
            ZoneName::parse(&zone).map_err(|_| {
                anyhow::anyhow!("--timezone: {zone:?} is not an IANA time zone (e.g. Europe/Paris)")
            })
        })
        .transpose()?;
    let password =
        NewPassword::parse(&read_password()?).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let password_hash = app::auth::hash_password(&password)?;
    let store = store::open(&config.database_url, Arc::new(SystemClock)).await?;
    match store
        .create_rep(NewRep {
            email: parsed.to_string(),
            name,
            time_zone,
            password_hash: Some(password_hash),
        })
        .await
    {
        Ok(rep) => {
            println!("created rep {} <{}>", rep.name, rep.email);
            Ok(())
        }
        Err(StoreError::Conflict(_)) => bail!("a rep with the email {email} already exists"),
        Err(error) => Err(error.into()),
    }
}

async fn disable_user(config: Config, email: &str) -> anyhow::Result<()> {
    let email = email.trim().to_lowercase();
    let store = store::open(&config.database_url, Arc::new(SystemClock)).await?;
    if !store.disable_rep(&email).await? {
        bail!("no rep with the email {email}");
    }
    println!("disabled {email}: every session of theirs has ended, and they cannot sign in");
    Ok(())
}

/// Asks twice on a terminal; otherwise reads one line (for scripts:
/// `echo "$PASSWORD" | server user add …`).
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password("Password for the new rep: ")?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if password != again {
            bail!("the two passwords differ");
        }
        Ok(password)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}
