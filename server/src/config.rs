//! Runtime configuration: `Leptos.toml` (or the file named by `--config` /
//! `CONFIG_FILE`), overridden key by key by the environment. Every value is
//! parsed here, once; a bad one stops start-up with a message naming its key.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use lettre::message::Mailbox;
use url::Url;

/// The configuration file read when none is named.
pub const DEFAULT_FILE: &str = "Leptos.toml";

/// Its `Debug` hides passwords (in URLs and the demo password).
#[derive(Clone)]
pub struct Config {
    /// `sqlite://…` (the file is created if missing) or `postgres://…`.
    pub database_url: String,
    /// Base URL of the app, used in emails.
    pub public_url: Url,
    /// Base URL of generated links.
    pub short_link_url: Url,
    /// SMTP server for outgoing mail; `None` keeps mail in the dev mailbox.
    pub smtp_url: Option<Url>,
    /// How long one step with the SMTP server (connecting, one message) may take.
    pub smtp_timeout: std::time::Duration,
    pub mail_from: Mailbox,
    /// Where recordings are kept, or (with `media_url`) checked on upload.
    pub media_dir: PathBuf,
    /// `s3://bucket/prefix`: recordings in S3-compatible object storage.
    pub media_url: Option<Url>,
    /// Players fetch a bucket's media straight from the bucket, by a
    /// short-lived presigned URL.
    pub media_redirect: bool,
    pub site_addr: SocketAddr,
    /// Where cargo-leptos put the compiled site (`/pkg/…`, favicon).
    pub site_root: PathBuf,
    /// Production (`LEPTOS_ENV=PROD`): no live reload.
    pub production: bool,
    /// Where `cargo leptos watch` listens for the page's live-reload socket.
    pub reload_port: u16,
    /// Run by `cargo leptos watch` (`LEPTOS_WATCH` set): pages reload live.
    pub watching: bool,
    pub demo_mode: bool,
    pub demo_password: Option<String>,
    /// Keep mail in the dev mailbox without SMTP_URL even outside demo mode.
    pub dev_mailbox: bool,
    pub max_upload_bytes: u64,
    /// Current recipients a share may have.
    pub max_recipients: usize,
    /// How long a client may take to send its headers or the next piece of a body.
    pub client_timeout: std::time::Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Reverse proxies whose `X-Forwarded-For`/`Forwarded` are believed.
    pub trusted_proxies: crate::client::TrustedProxies,
    /// How long a job is claimed, and how often idle workers look for jobs.
    pub job_timing: crate::jobs::Timing,
    /// ffmpeg and what processing a recording may use.
    pub processing: crate::media::processing::Settings,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redacted_str(&self.database_url))
            .field("public_url", &self.public_url.as_str())
            .field("short_link_url", &self.short_link_url.as_str())
            .field("smtp_url", &self.smtp_url.as_ref().map(redacted))
            .field("mail_from", &self.mail_from.to_string())
            .field("media_dir", &self.media_dir)
            .field("media_url", &self.media_url.as_ref().map(redacted))
            .field("media_redirect", &self.media_redirect)
            .field("site_addr", &self.site_addr)
            .field("site_root", &self.site_root)
            .field("production", &self.production)
            .field("demo_mode", &self.demo_mode)
            .field(
                "demo_password",
                &self.demo_password.as_ref().map(|_| "(hidden)"),
            )
            .field("max_upload_bytes", &self.max_upload_bytes)
            .finish_non_exhaustive()
    }
}

/// One configuration key: its environment variable, its name in the file,
/// its default, and what it means. [`KEYS`] is the one list of them: the
/// loader, `server --help`, and the tests that keep `Leptos.toml` and the
/// README in step all read it.
pub struct Key {
    pub env: &'static str,
    pub file: &'static str,
    pub default: Option<&'static str>,
    /// The default as people read it, when it is not a plain value.
    pub default_words: Option<&'static str>,
    pub help: &'static str,
}

pub const KEYS: &[Key] = &[
    Key {
        env: "DATABASE_URL",
        file: "database_url",
        default: Some("sqlite://data/share.db"),
        default_words: None,
        help: "where data is kept: a sqlite: file (created if missing) or a postgres:// database",
    },
    Key {
        env: "PUBLIC_URL",
        file: "public_url",
        default: Some("http://127.0.0.1:3000"),
        default_words: None,
        help: "base URL of the app as people reach it, used in emails",
    },
    Key {
        env: "SHORT_LINK_URL",
        file: "short_link_url",
        default: None,
        default_words: Some("same as PUBLIC_URL"),
        help: "base URL of generated links ({SHORT_LINK_URL}/l/{code})",
    },
    Key {
        env: "SMTP_URL",
        file: "smtp_url",
        default: None,
        default_words: Some("unset: the dev mailbox in demo mode, else no email"),
        help: "mail server for outgoing email, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@host",
    },
    Key {
        env: "SMTP_TIMEOUT_SECONDS",
        file: "smtp_timeout_seconds",
        default: Some("15"),
        default_words: None,
        help: "how long connecting to the mail server, or sending it one message, may take before the attempt fails and is retried",
    },
    Key {
        env: "MAIL_FROM",
        file: "mail_from",
        default: Some("Recordings <no-reply@localhost>"),
        default_words: None,
        help: "sender of all email",
    },
    Key {
        env: "MEDIA_DIR",
        file: "media_dir",
        default: Some("data/media"),
        default_words: None,
        help: "where recordings are stored (with MEDIA_URL: where uploads are checked)",
    },
    Key {
        env: "MEDIA_URL",
        file: "media_url",
        default: None,
        default_words: Some("unset"),
        help: "s3://bucket/prefix: recordings in S3-compatible storage, with the usual AWS_* variables",
    },
    Key {
        env: "MEDIA_REDIRECT",
        file: "media_redirect",
        default: Some("false"),
        default_words: None,
        help: "with MEDIA_URL: send players to the bucket by a presigned URL (60 s) instead of relaying the bytes",
    },
    Key {
        env: "LEPTOS_SITE_ADDR",
        file: "site_addr",
        default: Some("127.0.0.1:3000"),
        default_words: None,
        help: "address and port the server listens on",
    },
    Key {
        env: "LEPTOS_SITE_ROOT",
        file: "site_root",
        default: Some("target/site"),
        default_words: None,
        help: "the compiled site (scripts, wasm, CSS) that cargo-leptos builds",
    },
    Key {
        env: "LEPTOS_ENV",
        file: "env",
        default: Some("DEV"),
        default_words: None,
        help: "PROD in production (cargo-leptos sets DEV while developing)",
    },
    Key {
        env: "LEPTOS_RELOAD_PORT",
        file: "reload_port",
        default: Some("3001"),
        default_words: None,
        help: "port of the live-reload socket of `cargo leptos watch`",
    },
    Key {
        env: "LEPTOS_WATCH",
        file: "watch",
        default: Some("false"),
        default_words: Some("set by `cargo leptos watch`"),
        help: "pages reload when the code changes (development only)",
    },
    Key {
        env: "DEMO_MODE",
        file: "demo_mode",
        default: Some("false"),
        default_words: Some("off (scripts/run.sh turns it on)"),
        help: "on an empty database, create the demo rep demo@example.com and the demo recording",
    },
    Key {
        env: "DEMO_PASSWORD",
        file: "demo_password",
        default: None,
        default_words: Some("unset: a random one, printed once at the first start"),
        help: "the demo rep's password, set at every start in demo mode",
    },
    Key {
        env: "DEV_MAILBOX",
        file: "dev_mailbox",
        default: Some("false"),
        default_words: Some("off (on in demo mode)"),
        help: "without SMTP_URL, keep mail in the dev mailbox at /dev/mailbox (signed-in reps only)",
    },
    Key {
        env: "MAX_UPLOAD_BYTES",
        file: "max_upload_bytes",
        default: Some("4294967296"),
        default_words: Some("4294967296 (4 GiB)"),
        help: "largest accepted upload (and largest file processing may write), in bytes",
    },
    Key {
        env: "MAX_DURATION_MINUTES",
        file: "max_duration_minutes",
        default: Some("240"),
        default_words: Some("240 (4 hours)"),
        help: "longest recording taken; a longer one fails with the reason",
    },
    Key {
        env: "FFMPEG",
        file: "ffmpeg",
        default: Some("ffmpeg"),
        default_words: Some("ffmpeg, found on PATH"),
        help: "the ffmpeg program that processes recordings (Debian package ffmpeg); checked at start",
    },
    Key {
        env: "FFPROBE",
        file: "ffprobe",
        default: Some("ffprobe"),
        default_words: Some("ffprobe, found on PATH"),
        help: "the ffprobe program that reads what an upload holds",
    },
    Key {
        env: "PROCESSING_MEMORY_MB",
        file: "processing_memory_mb",
        default: Some("2048"),
        default_words: None,
        help: "memory (address space) each ffmpeg or ffprobe run may use; a file that needs more fails",
    },
    Key {
        env: "CLIENT_TIMEOUT_SECONDS",
        file: "client_timeout_seconds",
        default: Some("15"),
        default_words: None,
        help: "how long a client may take to send its request headers, or the next piece of a body (an upload that stalls longer fails with 408)",
    },
    Key {
        env: "MAX_CONNECTIONS",
        file: "max_connections",
        default: Some("4096"),
        default_words: None,
        help: "connections served at once; one more is answered 503 at once",
    },
    Key {
        env: "TRUSTED_PROXIES",
        file: "trusted_proxies",
        default: None,
        default_words: Some("none"),
        help: "networks of reverse proxies in front of this server (e.g. 127.0.0.1/32, 10.0.0.0/8): only their X-Forwarded-For or Forwarded is believed, read from the right",
    },
    Key {
        env: "MAX_RECIPIENTS",
        file: "max_recipients",
        default: Some("500"),
        default_words: None,
        help: "recipients one share may have (each gets an email and a link)",
    },
    Key {
        env: "JOB_CLAIM_SECONDS",
        file: "job_claim_seconds",
        default: Some("30"),
        default_words: None,
        help: "how long a worker holds a job before another may take it over; a long job (a transcode) renews its claim as it runs",
    },
    Key {
        env: "JOB_POLL_MILLIS",
        file: "job_poll_millis",
        default: Some("1000"),
        default_words: None,
        help: "how often an idle worker looks for jobs queued by other server processes",
    },
];

/// Where the server's email goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailSetup {
    /// To the SMTP server at `SMTP_URL`.
    Smtp,
    /// Into the dev mailbox (no SMTP_URL, in demo mode or with DEV_MAILBOX).
    DevMailbox,
    /// Nowhere: no SMTP_URL outside demo mode. Send Email(s) is refused;
    /// Generate Links works.
    Off,
}

impl Config {
    pub fn mail(&self) -> MailSetup {
        match (&self.smtp_url, self.demo_mode || self.dev_mailbox) {
            (Some(_), _) => MailSetup::Smtp,
            (None, true) => MailSetup::DevMailbox,
            (None, false) => MailSetup::Off,
        }
    }
}

/// The keys as `server --help` lists them.
pub fn help_text() -> String {
    let mut text = String::from(
        "Configuration: Leptos.toml (or --config), each key overridden by its environment \
         variable:\n",
    );
    for key in KEYS {
        let default = key.default_words.or(key.default).unwrap_or("unset");
        text.push_str(&format!(
            "\n  {:<20} {}\n  {:<20} (default: {default})\n",
            key.env, key.help, ""
        ));
    }
    text.push_str("\nRUST_LOG sets what is logged (default: info).\n");
    text
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("unknown key `{key}` in {path} (known keys: {known})")]
    UnknownKey {
        key: String,
        path: PathBuf,
        known: String,
    },
    #[error("invalid {env} (`{file}` in the configuration file) = {value:?}: {reason}")]
    Invalid {
        env: &'static str,
        file: &'static str,
        value: String,
        reason: String,
    },
}

impl Config {
    /// Reads the file (if `file` is `None`, `Leptos.toml` when it exists) and
    /// the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_from(file, |name| std::env::var(name).ok())
    }

    /// As [`Config::load`], with the environment given as a function (tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let from_file = match file {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_FILE).exists() => read_file(Path::new(DEFAULT_FILE))?,
            None => BTreeMap::new(),
        };
        let source = Source {
            file: from_file,
            env: &env,
        };
        let public_url = source.require("PUBLIC_URL", parse_base_url)?;
        let max_upload_bytes = source.require("MAX_UPLOAD_BYTES", |v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| "expected a positive number of bytes".to_string())
        })?;
        Ok(Config {
            database_url: source.require("DATABASE_URL", parse_database_url)?,
            short_link_url: source
                .optional("SHORT_LINK_URL", parse_base_url)?
                .unwrap_or_else(|| public_url.clone()),
            public_url,
            smtp_url: source.optional("SMTP_URL", parse_smtp_url)?,
            smtp_timeout: std::time::Duration::from_secs(
                source.require("SMTP_TIMEOUT_SECONDS", |v| positive(v, "seconds"))?,
            ),
            mail_from: source.require("MAIL_FROM", |v| {
                v.parse::<Mailbox>()
                    .map_err(|e| format!("not an email address with an optional name ({e})"))
            })?,
            media_dir: source.require("MEDIA_DIR", parse_dir)?,
            media_url: source.optional("MEDIA_URL", parse_media_url)?,
            media_redirect: source.require("MEDIA_REDIRECT", parse_bool)?,
            site_addr: source.require("LEPTOS_SITE_ADDR", |v| {
                v.parse::<SocketAddr>()
                    .map_err(|_| "expected IP:PORT, e.g. 127.0.0.1:3000".to_string())
            })?,
            site_root: source.require("LEPTOS_SITE_ROOT", parse_dir)?,
            production: source.require("LEPTOS_ENV", |v| match v.trim() {
                "PROD" | "prod" | "production" => Ok(true),
                "DEV" | "dev" | "development" => Ok(false),
                _ => Err("expected PROD or DEV".to_string()),
            })?,
            reload_port: source.require("LEPTOS_RELOAD_PORT", |v| {
                v.trim()
                    .parse::<u16>()
                    .map_err(|_| "expected a port number".to_string())
            })?,
            // cargo-leptos sets it; being set (to anything but false) is what counts.
            watching: source.require("LEPTOS_WATCH", |v| Ok(parse_bool(v).unwrap_or(true)))?,
            demo_mode: source.require("DEMO_MODE", parse_bool)?,
            demo_password: source.optional("DEMO_PASSWORD", |v| Ok(v.to_string()))?,
            dev_mailbox: source.require("DEV_MAILBOX", parse_bool)?,
            max_upload_bytes,
            client_timeout: std::time::Duration::from_secs(
                source.require("CLIENT_TIMEOUT_SECONDS", |v| positive(v, "seconds"))?,
            ),
            max_connections: source.require("MAX_CONNECTIONS", |v| {
                positive(v, "connections")
                    .and_then(|n| usize::try_from(n).map_err(|_| "too large".to_string()))
            })?,
            trusted_proxies: source
                .optional("TRUSTED_PROXIES", crate::client::TrustedProxies::parse)?
                .unwrap_or_default(),
            max_recipients: source.require("MAX_RECIPIENTS", |v| {
                positive(v, "recipients")
                    .and_then(|n| usize::try_from(n).map_err(|_| "too large".to_string()))
            })?,
            job_timing: crate::jobs::Timing {
                claim: std::time::Duration::from_secs(
                    source.require("JOB_CLAIM_SECONDS", |v| positive(v, "seconds"))?,
                ),
                poll: std::time::Duration::from_millis(
                    source.require("JOB_POLL_MILLIS", |v| positive(v, "milliseconds"))?,
                ),
            },
            processing: crate::media::processing::Settings {
                tools: crate::media::ffmpeg::Tools {
                    ffmpeg: source.require("FFMPEG", parse_program)?,
                    ffprobe: source.require("FFPROBE", parse_program)?,
                    memory_bytes: source
                        .require("PROCESSING_MEMORY_MB", |v| positive(v, "megabytes"))?
                        .saturating_mul(1024 * 1024),
                },
                max_duration: std::time::Duration::from_secs(
                    source
                        .require("MAX_DURATION_MINUTES", |v| positive(v, "minutes"))?
                        .saturating_mul(60),
                ),
                max_file_bytes: max_upload_bytes,
            },
        })
    }
}

/// Where values come from: the environment first, then the file, then the default.
struct Source<'a> {
    file: BTreeMap<String, String>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Source<'_> {
    fn optional<T>(
        &self,
        env_name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let key = KEYS
            .iter()
            .find(|k| k.env == env_name)
            .expect("a key listed in KEYS");
        let value = (self.env)(key.env)
            .filter(|v| !v.is_empty())
            .or_else(|| self.file.get(key.file).cloned())
            .or_else(|| key.default.map(str::to_string));
        match value {
            None => Ok(None),
            Some(value) => parse(&value)
                .map(Some)
                .map_err(|reason| invalid(key, &value, &reason)),
        }
    }

    fn require<T>(
        &self,
        env_name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        Ok(self
            .optional(env_name, parse)?
            .expect("required keys have defaults"))
    }
}

fn invalid(key: &Key, value: &str, reason: &str) -> ConfigError {
    // A value that may hold a password is shown without it.
    let value = match key.env {
        "DEMO_PASSWORD" => "(hidden)".to_string(),
        "DATABASE_URL" | "SMTP_URL" | "MEDIA_URL" => redacted_str(value),
        _ => value.to_string(),
    };
    ConfigError::Invalid {
        env: key.env,
        file: key.file,
        value,
        reason: reason.to_string(),
    }
}

/// `url` fit for logs and messages: its password (if any) replaced.
pub fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// As [`redacted`], for text that may not even parse as a URL: everything
/// between `://` and the last `@` of the authority is hidden.
pub fn redacted_str(value: &str) -> String {
    match Url::parse(value) {
        Ok(url) => redacted(&url),
        Err(_) => match (value.find("://"), value.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://***{}", &value[..scheme], &value[at..])
            }
            _ => value.to_string(),
        },
    }
}

/// The file is a flat TOML table of the keys above; values may be strings,
/// numbers or booleans.
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let mut values = BTreeMap::new();
    for (name, value) in table {
        if !KEYS.iter().any(|k| k.file == name) {
            let known = KEYS.iter().map(|k| k.file).collect::<Vec<_>>().join(", ");
            return Err(ConfigError::UnknownKey {
                key: name,
                path: path.to_path_buf(),
                known,
            });
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                let key = KEYS.iter().find(|k| k.file == name).expect("checked above");
                return Err(invalid(
                    key,
                    &other.to_string(),
                    "expected a string, a number or a boolean",
                ));
            }
        };
        values.insert(name, text);
    }
    Ok(values)
}

fn positive(value: &str, unit: &str) -> Result<u64, String> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("expected a whole number of {unit} above zero"))
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected true or false (or 1/0, on/off)".into()),
    }
}

fn parse_database_url(value: &str) -> Result<String, String> {
    if value.starts_with("sqlite:") || crate::store::is_postgres(value) {
        Ok(value.to_string())
    } else {
        Err(
            "expected a sqlite: or postgres: URL, e.g. sqlite://data/share.db or \
             postgres://user@host/dbname"
                .into(),
        )
    }
}

fn parse_media_url(value: &str) -> Result<Url, String> {
    match Url::parse(value) {
        Ok(url) if url.scheme() == "s3" && url.host_str().is_some_and(|h| !h.is_empty()) => Ok(url),
        _ => Err("expected s3://bucket or s3://bucket/prefix".into()),
    }
}

fn parse_program(value: &str) -> Result<PathBuf, String> {
    if value.trim().is_empty() {
        Err("must name a program (a path, or a name found on PATH)".into())
    } else {
        Ok(PathBuf::from(value.trim()))
    }
}

fn parse_dir(value: &str) -> Result<PathBuf, String> {
    if value.trim().is_empty() {
        Err("must name a directory".into())
    } else {
        Ok(PathBuf::from(value))
    }
}

/// An http(s) URL without query or fragment; links are made by appending paths.
fn parse_base_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("expected an http:// or https:// URL".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url)
}

fn parse_smtp_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "smtp" | "smtps") {
        return Err("expected smtp://host:port or smtps://user:pass@host".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("names no host".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn env_names() -> BTreeSet<&'static str> {
        KEYS.iter().map(|k| k.env).collect()
    }

    /// Names in `text` that look like configuration variables.
    fn variables_in(text: &str) -> BTreeSet<String> {
        text.split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .filter(|word| word.len() > 3 && word.contains('_'))
            .map(String::from)
            .collect()
    }

    #[test]
    fn leptos_toml_documents_exactly_the_keys() {
        let file = include_str!("../../Leptos.toml");
        for key in KEYS {
            assert!(
                file.contains(&format!("# {}: ", key.env)),
                "Leptos.toml explains {}",
                key.env
            );
            assert!(
                file.contains(&format!("\n# {} = ", key.file)),
                "Leptos.toml shows `{} = …`",
                key.file
            );
        }
        // Every commented-out setting is a key the loader reads.
        for line in file.lines() {
            if let Some((name, _)) = line.strip_prefix("# ").and_then(|l| l.split_once(" = "))
                && !name.contains(' ')
            {
                assert!(
                    KEYS.iter().any(|k| k.file == name),
                    "Leptos.toml shows `{name}`, which is no key"
                );
            }
        }
    }

    #[test]
    fn the_readme_table_lists_exactly_the_keys() {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("\n## Configuration\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("a Configuration section");
        let rows: BTreeSet<&str> = section
            .lines()
            .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
            .collect();
        assert_eq!(rows, env_names());
    }

    #[test]
    fn help_lists_every_key_with_its_default() {
        let help = help_text();
        for key in KEYS {
            assert!(help.contains(key.env), "{}", key.env);
            assert!(help.contains(key.help), "{}", key.env);
        }
        // No variable named in the help is missing from the keys (but RUST_LOG,
        // AWS_* and the placeholders of examples).
        for name in variables_in(&help) {
            assert!(
                env_names().contains(name.as_str())
                    || ["RUST_LOG", "SHORT_LINK_URL"].contains(&name.as_str())
                    || name.starts_with("AWS_"),
                "{name}"
            );
        }
    }

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_from(Some(Path::new("/dev/null")), move |k| env.get(k).cloned())
    }

    #[test]
    fn defaults_run_on_one_machine() {
        let config = load(&[]).unwrap();
        assert_eq!(config.database_url, "sqlite://data/share.db");
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(config.short_link_url, config.public_url);
        assert!(config.smtp_url.is_none());
        assert_eq!(config.mail_from.email.to_string(), "no-reply@localhost");
        assert_eq!(config.media_dir, PathBuf::from("data/media"));
        assert_eq!(config.site_addr.to_string(), "127.0.0.1:3000");
        assert!(!config.demo_mode);
    }

    #[test]
    fn environment_overrides_defaults() {
        let config = load(&[
            ("SHORT_LINK_URL", "https://rec.example"),
            ("DEMO_MODE", "1"),
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
        ])
        .unwrap();
        assert_eq!(config.short_link_url.as_str(), "https://rec.example/");
        assert!(config.demo_mode);
        assert_eq!(config.smtp_url.unwrap().port(), Some(2525));
    }

    #[test]
    fn each_bad_value_names_its_key() {
        for (key, value) in [
            ("DATABASE_URL", "mysql://db"),
            ("PUBLIC_URL", "not a url"),
            ("SHORT_LINK_URL", "ftp://x"),
            ("SMTP_URL", "http://mail"),
            ("MAIL_FROM", "nobody"),
            ("LEPTOS_SITE_ADDR", "localhost"),
            ("DEMO_MODE", "perhaps"),
            ("MAX_UPLOAD_BYTES", "-5"),
        ] {
            let error = load(&[(key, value)]).unwrap_err().to_string();
            assert!(error.contains(key), "{key}: {error}");
        }
    }

    #[test]
    fn passwords_stay_out_of_errors_and_debug_output() {
        for (key, value) in [
            ("SMTP_URL", "http://user:s3cret@mail"),
            ("SMTP_URL", "smtp://user:s3cret@"),
            ("DATABASE_URL", "mysql://user:s3cret@db/x"),
            ("MEDIA_URL", "http://key:s3cret@bucket"),
        ] {
            let error = load(&[(key, value)]).unwrap_err().to_string();
            assert!(error.contains(key), "{error}");
            assert!(!error.contains("s3cret"), "{error}");
        }
        let config = load(&[
            ("SMTP_URL", "smtps://user:s3cret@mail.example"),
            ("DATABASE_URL", "postgres://share:s3cret@db/share"),
            ("DEMO_PASSWORD", "s3cret password"),
        ])
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("mail.example"), "{shown}");
    }

    #[test]
    fn file_values_apply_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Leptos.toml");
        std::fs::write(&path, "demo_mode = true\nmax_upload_bytes = 1000\n").unwrap();
        let config = Config::load_from(Some(&path), |_| None).unwrap();
        assert!(config.demo_mode);
        assert_eq!(config.max_upload_bytes, 1000);

        std::fs::write(&path, "demo_mod = true\n").unwrap();
        let error = Config::load_from(Some(&path), |_| None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("demo_mod"), "{error}");
    }
}
