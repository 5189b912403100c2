//! Sending over SMTP on connections this module opens itself, with
//! `TCP_NODELAY` set. lettre 0.11.23 leaves Nagle's algorithm on: it writes a
//! message's body and its final `.` separately, so every message waited for
//! the server's delayed ACK (40 ms on Linux), capping one connection at about
//! 25 messages a second. lettre has merged the fix but not released it; until
//! then lettre speaks SMTP here over streams we hand it.
//!
//! Where the server offers PIPELINING (RFC 2920), a message's MAIL, RCPT and
//! DATA go out in one write and their answers are read together: two round
//! trips a message instead of four. lettre has no pipelined send; its public
//! `command` and `read_response` are enough to build one.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use lettre::{
    address::Envelope,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters},
        commands::{Data, Ehlo, Mail, Rcpt},
        extension::{ClientId, Extension, MailBodyParameter, MailParameter},
    },
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::Semaphore,
};
use url::Url;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Security {
    /// `smtp://host`: plain text (a relay on the same machine or network).
    None,
    /// `smtp://host?tls=opportunistic`: STARTTLS when the server offers it.
    Opportunistic,
    /// `smtp://host?tls=required`: STARTTLS or nothing is sent.
    StartTls,
    /// `smtps://host`: TLS from the first byte.
    Implicit,
}

/// An SMTP server as `SMTP_URL` names it, and idle connections to it.
pub struct SmtpSender {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// Connections between emails; never more than `connections` allows,
    /// since each one is opened under a permit.
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection that may be open at once.
    connections: Semaphore,
    /// Each step (connecting, one message) must finish within this, or the
    /// attempt fails and is retried later (`SMTP_TIMEOUT_SECONDS`).
    step_timeout: Duration,
}

/// Why a message was not sent: the server's answer, or what went wrong on
/// the way.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    /// The server refused for good (5xx): retrying cannot help.
    pub permanent: bool,
}

impl From<lettre::transport::smtp::Error> for SendError {
    fn from(error: lettre::transport::smtp::Error) -> Self {
        Self {
            permanent: error.is_permanent(),
            message: error.to_string(),
        }
    }
}

fn timed_out(what: &str, after: Duration) -> SendError {
    SendError {
        message: format!("{what} timed out after {} s", after.as_secs()),
        permanent: false,
    }
}

impl SmtpSender {
    /// Reads `smtp://[user:password@]host[:port][?tls=required|opportunistic]`
    /// or `smtps://[user:password@]host[:port]`, the way lettre does.
    /// Sends on at most `connections` connections at once.
    pub fn from_url(url: &Url, connections: usize, step_timeout: Duration) -> anyhow::Result<Self> {
        let tls = url
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::None, 25),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic, 587),
            ("smtp", Some("required")) => (Security::StartTls, 587),
            ("smtps", None) => (Security::Implicit, 465),
            (scheme, tls) => anyhow::bail!(
                "unsupported: {scheme}:// with tls={tls:?} (use smtp://, smtp://…?tls=required, \
                 smtp://…?tls=opportunistic or smtps://)"
            ),
        };
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let credentials = (!url.username().is_empty()).then(|| {
            Credentials::new(
                decode(url.username()),
                decode(url.password().unwrap_or_default()),
            )
        });
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            connections: Semaphore::new(connections),
            step_timeout,
        })
    }

    /// Sends one message, on an idle connection if there is one.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SendError> {
        let _connection = self
            .connections
            .acquire()
            .await
            .expect("the semaphore is never closed");
        if let Some(mut connection) = self.take_idle() {
            match tokio::time::timeout(self.step_timeout, connection.send(envelope, message)).await
            {
                Ok(Ok(_)) => {
                    self.keep(connection);
                    return Ok(());
                }
                // The server answered: that is the outcome.
                Ok(Err(e)) if e.is_transient() || e.is_permanent() => return Err(e.into()),
                // Most likely the server closed the idle connection: try a new one.
                Ok(Err(_)) | Err(_) => {}
            }
        }
        let mut connection = tokio::time::timeout(self.step_timeout, self.connect())
            .await
            .map_err(|_| timed_out("connecting", self.step_timeout))??;
        tokio::time::timeout(self.step_timeout, connection.send(envelope, message))
            .await
            .map_err(|_| timed_out("sending", self.step_timeout))??;
        self.keep(connection);
        Ok(())
    }

    fn take_idle(&self) -> Option<Connection> {
        self.idle.lock().expect("idle connections").pop()
    }

    fn keep(&self, connection: Connection) {
        if connection.smtp.has_broken() {
            return;
        }
        self.idle.lock().expect("idle connections").push(connection);
    }

    async fn connect(&self) -> Result<Connection, SendError> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| SendError {
                message: format!("cannot connect to {}:{}: {e}", self.host, self.port),
                permanent: false,
            })?;
        tcp.set_nodelay(true).map_err(|e| SendError {
            message: e.to_string(),
            permanent: false,
        })?;
        let stream: Box<dyn AsyncTokioStream> = match self.security {
            Security::Implicit => Box::new(ImplicitTls::handshake(tcp, &self.host).await?),
            _ => Box::new(tcp),
        };
        let mut connection =
            AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await?;
        let start_tls = match self.security {
            Security::StartTls => true,
            Security::Opportunistic => connection.can_starttls(),
            Security::None | Security::Implicit => false,
        };
        if start_tls {
            let parameters = TlsParameters::new(self.host.clone())?;
            connection.starttls(parameters, &self.hello).await?;
        }
        // lettre keeps only the extensions it knows from its EHLO, and
        // PIPELINING is not one: ask again (once per connection) and look.
        let pipelining = connection
            .command(Ehlo::new(self.hello.clone()))
            .await?
            .message()
            .skip(1)
            .any(offers_pipelining);
        tracing::info!(host = %self.host, port = self.port, pipelining, "connected to the SMTP server");
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(Connection {
            smtp: connection,
            pipelining,
        })
    }
}

/// Whether a line of an EHLO answer (after the greeting) is PIPELINING.
fn offers_pipelining(line: &str) -> bool {
    line.split_ascii_whitespace()
        .next()
        .is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
}

/// A connection to the SMTP server and what it offers beyond what lettre
/// tracks.
struct Connection {
    smtp: AsyncSmtpConnection,
    pipelining: bool,
}

impl Connection {
    async fn send(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<(), lettre::transport::smtp::Error> {
        let Some(batch) = self.pipelined_commands(envelope, message) else {
            return self.smtp.send(envelope, message).await.map(drop);
        };
        let outcome = self
            .send_pipelined(&batch, envelope.to().len(), message)
            .await;
        if outcome.is_err() {
            // A refused command leaves a transaction half open (or the
            // server waiting for data): this connection is not reused.
            self.smtp.abort().await;
        }
        outcome
    }

    /// MAIL, one RCPT per recipient and DATA, as one write; `None` when the
    /// server does not pipeline, or when the message needs an extension the
    /// server lacks (lettre's own send then refuses it with the reason).
    fn pipelined_commands(&self, envelope: &Envelope, message: &[u8]) -> Option<String> {
        if !self.pipelining {
            return None;
        }
        let server = self.smtp.server_info();
        let mut options = Vec::new();
        let addresses = envelope.from().into_iter().chain(envelope.to());
        if addresses.map(AsRef::<str>::as_ref).any(|a| !a.is_ascii()) {
            if !server.supports_feature(Extension::SmtpUtfEight) {
                return None;
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !message.is_ascii() {
            if !server.supports_feature(Extension::EightBitMime) {
                return None;
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let mut batch = Mail::new(envelope.from().cloned(), options).to_string();
        for to in envelope.to() {
            batch.push_str(&Rcpt::new(to.clone(), Vec::new()).to_string());
        }
        batch.push_str(&Data.to_string());
        Some(batch)
    }

    /// Writes `batch`, reads the answer to each of its commands (all of
    /// them, so that the first refusal is the one reported), then sends
    /// the message.
    async fn send_pipelined(
        &mut self,
        batch: &str,
        recipients: usize,
        message: &[u8],
    ) -> Result<(), lettre::transport::smtp::Error> {
        let mut outcome = self.smtp.command(batch).await.map(drop);
        for _ in 0..recipients + 1 {
            let answer = self.smtp.read_response().await.map(drop);
            if outcome.is_ok() {
                outcome = answer;
            }
        }
        outcome?;
        self.smtp.message(message).await.map(drop)
    }
}

/// A TLS stream over TCP that lettre can drive (it drives any
/// [`AsyncTokioStream`]; it implements that only for plain TCP itself).
#[derive(Debug)]
struct ImplicitTls(tokio_rustls::client::TlsStream<TcpStream>);

impl ImplicitTls {
    async fn handshake(tcp: TcpStream, host: &str) -> Result<Self, SendError> {
        let failed = |e: &dyn std::fmt::Display| SendError {
            message: format!("TLS with {host}: {e}"),
            permanent: false,
        };
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(&e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name =
            rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| failed(&e))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| failed(&e))?;
        Ok(Self(stream))
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(url: &str) -> anyhow::Result<SmtpSender> {
        SmtpSender::from_url(&url.parse().unwrap(), 8, Duration::from_secs(15))
    }

    #[test]
    fn urls_read_like_lettre_reads_them() {
        let plain = sender("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("127.0.0.1", 2525, Security::None)
        );
        assert!(plain.credentials.is_none());
        let submission =
            sender("smtp://user%40example.com:p%40ss@mail.example.com?tls=required").unwrap();
        assert_eq!(
            (submission.port, submission.security),
            (587, Security::StartTls)
        );
        assert!(submission.credentials.is_some());
        assert_eq!(sender("smtps://mail.example.com").unwrap().port, 465);
        assert_eq!(
            sender("smtp://mail.example.com?tls=opportunistic")
                .unwrap()
                .security,
            Security::Opportunistic
        );
        assert!(sender("smtp://mail.example.com?tls=sometimes").is_err());
        assert!(sender("smtps://mail.example.com?tls=required").is_err());
    }
}
