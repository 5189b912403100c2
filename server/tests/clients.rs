//! Clients that are slow or too many: a request whose headers never end, an
//! upload that stalls, more connections than the server takes.

mod common;

use std::time::{Duration, Instant};

use common::{TestApp, spawn_app_with};
use reqwest::StatusCode;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

async fn connect(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    TcpStream::connect(addr).await.unwrap()
}

/// Reads until the server closes the connection (or `limit` passes);
/// returns what it sent and how long it took.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await;
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_never_finishes_its_headers_is_let_go() {
    let app = spawn_app_with(&[("CLIENT_TIMEOUT_SECONDS", "2")]).await;
    // Timed from before the connection: the server's clock starts when it
    // accepts it, so the close comes 2 s after this at the earliest.
    let started = Instant::now();
    let mut stream = connect(&app).await;
    stream.write_all(b"GET /healthz HT").await.unwrap();
    read_until_closed(&mut stream, Duration::from_secs(20)).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(10),
        "closed after {waited:?}"
    );
    // Everyone else is served meanwhile and after.
    assert_eq!(app.get_text("/healthz").await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_that_stalls_is_answered_408_and_leaves_no_file() {
    let app = spawn_app_with(&[("CLIENT_TIMEOUT_SECONDS", "2")]).await;
    let cookie = app.new_demo_session().await;
    let files_before = app.media_files();

    let mut stream = connect(&app).await;
    let head = format!(
        "POST /api/recordings/upload?title=Stalled HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\
         Content-Length: 10000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&common::DEMO[..64 * 1024]).await.unwrap();
    let (answer, waited) = read_until_closed(&mut stream, Duration::from_secs(20)).await;
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "{waited:?}: {}",
        answer.lines().next().unwrap_or_default()
    );
    assert!(answer.contains("The upload stalled"), "{answer}");
    assert_eq!(app.media_files(), files_before, "nothing is left behind");
    assert_eq!(app.recording_ids().await.len(), 1, "no recording was added");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_max_connections_the_next_is_told_503_at_once() {
    let app = spawn_app_with(&[("MAX_CONNECTIONS", "4"), ("CLIENT_TIMEOUT_SECONDS", "30")]).await;
    // Connections are taken until the server says it is busy (the test's
    // own client may hold two, idle in its pool: signing in follows a
    // redirect before the first answer is read to its end).
    let mut held = Vec::new();
    let refused = loop {
        let mut stream = connect(&app).await;
        let mut first = [0u8; 12];
        match tokio::time::timeout(Duration::from_millis(300), stream.read_exact(&mut first)).await
        {
            Ok(Ok(_)) => break first,
            _ => held.push(stream),
        }
        assert!(held.len() <= 4, "more than MAX_CONNECTIONS served");
    };
    assert_eq!(&refused, b"HTTP/1.1 503", "told at once");
    assert!(held.len() >= 2, "{} held", held.len());

    // One goes away: once the server has seen it close, a new connection
    // is served (until then it may still count it, and say 503).
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut next = connect(&app).await;
        next.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (answer, _) = read_until_closed(&mut next, Duration::from_secs(5)).await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
        assert!(
            Instant::now() < deadline,
            "the freed connection was never reused"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn plain_text_http2_is_not_spoken_so_no_timeout_can_be_sidestepped() {
    let app = spawn_app_with(&[("CLIENT_TIMEOUT_SECONDS", "2")]).await;
    let mut stream = connect(&app).await;
    // The HTTP/2 connection preface, then nothing: an HTTP/1 server reads it
    // as a bad request and closes the connection.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    let (answer, waited) = read_until_closed(&mut stream, Duration::from_secs(20)).await;
    assert!(
        waited < Duration::from_secs(10),
        "held for {waited:?}: {answer:?}"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4") || answer.starts_with("HTTP/1.1 5"),
        "{answer:?}"
    );
    assert_eq!(app.get_text("/healthz").await.0, StatusCode::OK);
}
