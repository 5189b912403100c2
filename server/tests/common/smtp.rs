//! A real SMTP server on a loopback port for the email tests: aiosmtpd
//! (`smtp_server.py`), which keeps every message it accepts in a Maildir.

use std::{
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use mail_parser::MimeHeaders;
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct SmtpServer {
    pub port: u16,
    maildir: PathBuf,
    options: Vec<String>,
    _dir: tempfile::TempDir,
    process: Option<tokio::process::Child>,
}

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope recipient (RCPT TO).
    pub rcpt_to: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    /// Content types of all the message's parts, e.g. `multipart/alternative`,
    /// `text/plain`, `text/html`.
    pub part_types: Vec<String>,
    pub text: Option<String>,
    pub html: Option<String>,
}

impl SmtpServer {
    /// Starts a server that accepts everything at once.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts a server with `smtp_server.py` options (`--delay 0.3`, ...).
    pub async fn start_with(options: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut server = Self {
            port,
            maildir: dir.path().join("maildir"),
            options: options.iter().map(|o| o.to_string()).collect(),
            _dir: dir,
            process: None,
        };
        server.resume().await;
        server
    }

    /// `smtp://127.0.0.1:{port}` for `SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Kills the server: connections are refused until [`Self::resume`].
    pub async fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().await.unwrap();
        }
    }

    /// Starts the server again on the same port and Maildir.
    pub async fn resume(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/smtp_server.py");
        let mut process = tokio::process::Command::new("python3")
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.maildir)
            .args(&self.options)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs (scripts/test.sh installs aiosmtpd)");
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        match lines.next_line().await.unwrap() {
            Some(line) if line == "listening" => {}
            other => panic!("the SMTP server did not start: {other:?}"),
        }
        self.process = Some(process);
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .map(|e| parse(&std::fs::read(e.unwrap().path()).unwrap()))
            .collect()
    }

    /// Waits (up to two minutes) until at least `count` messages arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {count} messages arrived",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn parse(raw: &[u8]) -> Received {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a parsable message");
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    Received {
        rcpt_to: header("X-RcptTo"),
        to: header("To"),
        subject: message.subject().unwrap_or_default().to_string(),
        message_id: message.message_id().unwrap_or_default().to_string(),
        part_types: message
            .parts
            .iter()
            .filter_map(|part| part.content_type())
            .map(|t| format!("{}/{}", t.ctype(), t.subtype().unwrap_or_default()))
            .collect(),
        // Only parts that really are text or HTML (the parser would make one
        // from the other).
        text: message
            .text_part(0)
            .filter(|p| p.is_text() && !p.is_text_html())
            .and_then(|p| p.text_contents())
            .map(String::from),
        html: message
            .html_part(0)
            .filter(|p| p.is_text_html())
            .and_then(|p| p.text_contents())
            .map(String::from),
    }
}
