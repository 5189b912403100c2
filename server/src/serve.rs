//! Accepting connections, with limits a server on the open internet needs
//! (axum's own `serve` has none): a client gets `CLIENT_TIMEOUT_SECONDS` to
//! send its request headers (else the connection is closed), and as long
//! between two pieces of a body (else the body fails: an upload answers 408
//! and leaves no file); at most `MAX_CONNECTIONS` connections are served at
//! once, and one more is answered 503 and closed at once. HTTP/1 only.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{ConnectInfo, Request},
    middleware::Next,
    response::Response,
};
use futures::{Stream, StreamExt};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{io::AsyncWriteExt, net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

use crate::sendfile::Connection;

/// What the server allows its clients.
#[derive(Clone, Copy, Debug)]
pub struct ClientLimits {
    /// How long a client may take to send its headers, or the next piece of
    /// a body.
    pub timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

/// The answer to a connection over the limit, written without reading the
/// request.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\
    content-length: 30\r\nretry-after: 1\r\nconnection: close\r\n\r\n\
    Too busy. Try again in a moment";

/// How long requests in flight may finish after the shutdown signal.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish (for at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ClientLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // HTTP/1 only: browsers speak HTTP/2 over TLS, which the reverse proxy
    // in front ends; plain-text HTTP/2 (prior knowledge) would be a way in
    // that the header timeout does not guard.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.timeout);
    let builder = Arc::new(builder);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait a little, go on.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(BUSY)).await;
            });
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            // Handlers learn the client's address as with axum's own serve.
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request.map(Body::new))
        });
        let connection = graceful
            .watch(builder.serve_connection(TokioIo::new(Connection::new(stream)), service));
        tokio::spawn(async move {
            // Errors are the client's (gone, too slow, bad request): nothing to do.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}; stopping anyway");
    }
    Ok(())
}

/// Every request body fails if the client sends nothing for `timeout`
/// (a stalled upload, a half-sent form).
pub async fn body_timeout(
    axum::extract::State(timeout): axum::extract::State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = Body::from_stream(idle_timeout(body.into_data_stream(), timeout));
    next.run(Request::from_parts(parts, body)).await
}

/// A client that stopped sending its body.
#[derive(Debug, thiserror::Error)]
#[error("the client sent nothing for {0:?}")]
pub struct Stalled(pub Duration);

/// `stream`, failing with [`Stalled`] when no item comes for `timeout`.
/// Fused: a handler that reads on after the end (draining a refused
/// upload) gets `None` again rather than a panic.
fn idle_timeout<S, E>(stream: S, timeout: Duration) -> impl Stream<Item = Result<Bytes, BoxError>>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Into<BoxError>,
{
    futures::stream::unfold(Some(stream), move |stream| async move {
        let mut stream = stream?;
        match tokio::time::timeout(timeout, stream.next()).await {
            Ok(Some(item)) => Some((item.map_err(Into::into), Some(stream))),
            Ok(None) => None,
            // The error ends the stream.
            Err(_) => Some((Err(Box::new(Stalled(timeout)) as BoxError), None)),
        }
    })
    .fuse()
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Whether an error reading a body was the client stalling.
pub fn is_stalled(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(error) = source {
        if error.is::<Stalled>() {
            return true;
        }
        source = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_that_stops_coming_fails_after_the_timeout() {
        let (tx, rx) = futures::channel::mpsc::unbounded::<Result<Bytes, std::io::Error>>();
        tx.unbounded_send(Ok(Bytes::from_static(b"first"))).unwrap();
        let mut body = Box::pin(idle_timeout(rx, Duration::from_millis(100)));
        assert_eq!(body.next().await.unwrap().unwrap(), "first");
        let error = body.next().await.unwrap().unwrap_err();
        assert!(is_stalled(error.as_ref()), "{error}");
        assert!(body.next().await.is_none(), "nothing after the failure");
        drop(tx);
    }

    #[tokio::test]
    async fn a_body_read_past_its_end_stays_ended() {
        let (tx, rx) = futures::channel::mpsc::unbounded::<Result<Bytes, std::io::Error>>();
        tx.unbounded_send(Ok(Bytes::from_static(b"all"))).unwrap();
        drop(tx);
        let mut body = Box::pin(idle_timeout(rx, Duration::from_secs(5)));
        assert_eq!(body.next().await.unwrap().unwrap(), "all");
        assert!(body.next().await.is_none());
        assert!(body.next().await.is_none(), "read again after the end");
    }
}
