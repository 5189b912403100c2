//! Recording files: taking them in (streamed to disk, checked, measured) and
//! serving them with byte ranges, from a local directory (the default) or an
//! S3-compatible bucket (`MEDIA_URL=s3://bucket/prefix`, see [`object`]).

mod object;

mod deletion;
pub use deletion::DeleteMedia;

use std::{
    io,
    path::{Path, PathBuf},
};

use app::store::{PendingMedia, SharedStore};
use axum::body::Bytes;
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

pub use object::Bucket;

/// Bytes read before deciding whether the content is a video we accept.
const SNIFF_BYTES: usize = 8 * 1024;

/// Where recordings are kept. Files are named by a random key, never by
/// anything a user typed. Uploads are written to `dir` while they are
/// checked; with a bucket they move there once accepted.
#[derive(Debug)]
pub struct MediaStore {
    dir: PathBuf,
    bucket: Option<Bucket>,
}

/// How long a stored file may wait for its recording before it is deleted
/// (the recording comes at once, unless the process died in between).
pub const UNCLAIMED_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// Where an upload is written while it arrives and is checked.
const INCOMING: &str = ".incoming-";

/// An upload written and checked, waiting to be stored under `key`.
/// Dropped, its file is deleted (it was stored, or it is unwanted).
pub struct Received {
    partial: PathBuf,
    key: String,
    checked: Checked,
}

impl Received {
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Drop for Received {
    fn drop(&mut self) {
        // Gone already when it was renamed into place.
        let _ = std::fs::remove_file(&self.partial);
    }
}

/// A file that was taken in and is ready to be recorded in the store.
#[derive(Debug)]
pub struct Ingested {
    pub key: String,
    pub content_type: &'static str,
    pub size_bytes: u64,
    pub duration_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("The file is larger than the limit of {limit_mb} MB.")]
    TooLarge { limit_mb: u64 },
    #[error("The file is empty.")]
    Empty,
    #[error("This file is not a video we can play. Upload a WebM or MP4 video.")]
    NotVideo,
    #[error("The video's length could not be read; the file may be damaged.")]
    NoDuration,
    #[error("The upload was interrupted: {0}")]
    Interrupted(String),
    #[error("The upload stalled: nothing came for a while. Please try again.")]
    Stalled,
    #[error("storage failure: {0}")]
    Io(#[from] io::Error),
}

/// The media store the configuration names (`MEDIA_DIR`, `MEDIA_URL`).
pub fn open(config: &crate::config::Config) -> anyhow::Result<MediaStore> {
    let bucket = match &config.media_url {
        Some(url) => Some(
            Bucket::from_url(url)
                .map_err(|e| anyhow::anyhow!("cannot use MEDIA_URL {url}: {e}"))?,
        ),
        None => None,
    };
    MediaStore::with_bucket(&config.media_dir, bucket).map_err(|e| {
        anyhow::anyhow!(
            "cannot create MEDIA_DIR {}: {e}",
            config.media_dir.display()
        )
    })
}

/// What the checks found out about an accepted upload.
struct Checked {
    kind: VideoKind,
    size: u64,
    duration_ms: i64,
}

impl MediaStore {
    /// Recordings in the local directory `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> io::Result<Self> {
        Self::with_bucket(dir, None)
    }

    /// Recordings in `bucket` if given (uploads are checked in `dir` first),
    /// else in `dir`.
    pub fn with_bucket(dir: impl Into<PathBuf>, bucket: Option<Bucket>) -> io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir, bucket })
    }

    fn path_of(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }

    /// Writes `body` to the media directory chunk by chunk (never holding the
    /// whole file in memory), refusing it as soon as it passes `limit` bytes or
    /// its first bytes are not WebM or MP4, then reads its duration. Nothing
    /// is left behind when it is refused; the [`Received`] file goes when it
    /// is dropped, unless [`MediaStore::keep`] stored it.
    pub async fn receive<S, E>(&self, body: S, limit: u64) -> Result<Received, IngestError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + 'static,
    {
        let partial = self.dir.join(format!("{INCOMING}{}", uuid::Uuid::new_v4()));
        match self.write_and_check(body, limit, &partial).await {
            Ok(checked) => Ok(Received {
                key: format!("{}.{}", uuid::Uuid::new_v4(), checked.kind.extension()),
                partial,
                checked,
            }),
            Err(error) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Err(error)
            }
        }
    }

    /// Stores a received file under its key (in the bucket, streamed from the
    /// file, when there is one).
    pub async fn keep(&self, received: Received) -> Result<Ingested, IngestError> {
        match &self.bucket {
            Some(bucket) => bucket.put_file(&received.partial, &received.key).await?,
            None => tokio::fs::rename(&received.partial, self.path_of(&received.key)).await?,
        }
        Ok(Ingested {
            key: received.key.clone(),
            content_type: received.checked.kind.content_type(),
            size_bytes: received.checked.size,
            duration_ms: received.checked.duration_ms,
        })
    }

    /// Receives and stores a new recording's file, its deletion scheduled
    /// first (for [`UNCLAIMED_GRACE`] later), so a crash between storing it
    /// and recording it leaves no orphan: the recording, created with the
    /// returned [`PendingMedia`], takes the deletion back.
    pub async fn ingest<S, E>(
        &self,
        body: S,
        limit: u64,
        store: &SharedStore,
        now: jiff::Timestamp,
    ) -> Result<(Ingested, PendingMedia), IngestError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + 'static,
    {
        let received = self.receive(body, limit).await?;
        let pending = store
            .schedule_media_deletion(&received.key, now + UNCLAIMED_GRACE)
            .await
            .map_err(|e| IngestError::Io(io::Error::other(e.to_string())))?;
        Ok((self.keep(received).await?, pending))
    }

    /// Removes uploads that never finished (a crash mid-upload) and are
    /// older than `age`.
    pub async fn remove_unfinished(&self, age: std::time::Duration) -> io::Result<usize> {
        let mut removed = 0;
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            if !name.to_string_lossy().starts_with(INCOMING) {
                continue;
            }
            let old = entry
                .metadata()
                .await?
                .modified()?
                .elapsed()
                .is_ok_and(|elapsed| elapsed > age);
            if old && tokio::fs::remove_file(entry.path()).await.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    async fn write_and_check<S, E>(
        &self,
        mut body: S,
        limit: u64,
        partial: &Path,
    ) -> Result<Checked, IngestError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + 'static,
    {
        let too_large = || IngestError::TooLarge {
            limit_mb: limit.div_ceil(1024 * 1024),
        };
        let mut file = tokio::fs::File::create(partial).await?;
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        let mut kind: Option<VideoKind> = None;
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                if crate::serve::is_stalled(&e) {
                    IngestError::Stalled
                } else {
                    IngestError::Interrupted(e.to_string())
                }
            })?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(too_large());
            }
            if kind.is_none() {
                let wanted = (SNIFF_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..wanted]);
                if head.len() >= SNIFF_BYTES {
                    kind = Some(VideoKind::sniff(&head).ok_or(IngestError::NotVideo)?);
                }
            }
            file.write_all(&chunk).await?;
        }
        if size == 0 {
            return Err(IngestError::Empty);
        }
        let kind = match kind {
            Some(kind) => kind,
            None => VideoKind::sniff(&head).ok_or(IngestError::NotVideo)?,
        };
        file.sync_all().await?;
        drop(file);

        let probe_path = partial.to_path_buf();
        let duration_ms = tokio::task::spawn_blocking(move || kind.duration_ms(&probe_path))
            .await
            .map_err(|e| IngestError::Io(io::Error::other(e)))?
            .ok_or(IngestError::NoDuration)?;
        Ok(Checked {
            kind,
            size,
            duration_ms,
        })
    }

    /// Removes a stored recording (after a failed insert, or a deletion).
    pub async fn remove(&self, key: &str) -> io::Result<()> {
        match &self.bucket {
            Some(bucket) => bucket.delete(key).await,
            None => tokio::fs::remove_file(self.path_of(key)).await,
        }
    }

    /// Answers `request` with the recording's bytes: byte ranges (`206`,
    /// `416`, `Accept-Ranges`), so seeking works without reading the whole
    /// file. Local files go through tower-http's `ServeFile` (conditional
    /// requests too); bucket objects are streamed range by range.
    pub async fn serve(
        &self,
        recording: &app::store::Recording,
        request: axum::extract::Request,
        cache_control: http::HeaderValue,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        use tower::ServiceExt;

        let mut response = match &self.bucket {
            Some(bucket) => {
                let (parts, _) = request.into_parts();
                bucket.serve(recording, &parts.method, &parts.headers).await
            }
            None => {
                let mime = recording
                    .content_type
                    .parse()
                    .unwrap_or(mime::APPLICATION_OCTET_STREAM);
                let file = tower_http::services::ServeFile::new_with_mime(
                    self.path_of(&recording.media_key),
                    &mime,
                )
                .with_buf_chunk_size(read_size(request.headers()));
                match file.oneshot(request).await {
                    Ok(response) => response.into_response(),
                    Err(infallible) => match infallible {},
                }
            }
        };
        response
            .headers_mut()
            .insert(http::header::CACHE_CONTROL, cache_control);
        response
    }
}

/// Bytes read from disk at a time for one response. Each read is a trip to
/// a blocking thread, so a bounded range (what players ask for while
/// seeking) is read in one go, up to 1 MiB; open-ended responses (playback
/// from a point to the end) use 16 KiB: each stream holds about three reads'
/// worth of buffers, so a thousand viewers at once stay near 100 MB.
fn read_size(headers: &http::HeaderMap) -> usize {
    const STREAMING: usize = 16 * 1024;
    const MAX: usize = 1024 * 1024;
    let bounded = headers
        .get(http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .filter(|v| !v.contains(','))
        .and_then(|v| v.split_once('-'))
        .and_then(|(first, last)| Some((first.parse::<u64>().ok()?, last.parse::<u64>().ok()?)));
    match bounded {
        Some((first, last)) if last >= first => {
            usize::try_from(last - first + 1).map_or(MAX, |len| len.clamp(STREAMING, MAX))
        }
        _ => STREAMING,
    }
}

/// `GET /media/recordings/{id}`: one of the rep's recordings, with byte ranges.
pub async fn serve_recording(
    axum::extract::State(state): axum::extract::State<crate::state::MediaState>,
    axum::extract::Path(id): axum::extract::Path<app::store::RecordingId>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;

    let (parts, body) = request.into_parts();
    let Ok(rep) = app::auth::current_rep(state.store.as_ref(), &parts).await else {
        return http::StatusCode::NOT_FOUND.into_response();
    };
    let recording = match state.store.recording_of(rep.id, id).await {
        Ok(Some(recording)) => recording,
        Ok(None) => return http::StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "could not look up a recording");
            return http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let request = axum::extract::Request::from_parts(parts, body);
    state
        .media
        .serve(
            &recording,
            request,
            http::HeaderValue::from_static("private, max-age=3600"),
        )
        .await
}

/// The containers browsers play and we accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VideoKind {
    WebM,
    Mp4,
}

impl VideoKind {
    /// Decides from the file's first bytes, not from its name or the type the
    /// client claims.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        match infer::get(head)?.mime_type() {
            "video/webm" => Some(Self::WebM),
            "video/mp4" => Some(Self::Mp4),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::WebM => "video/webm",
            Self::Mp4 => "video/mp4",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::WebM => "webm",
            Self::Mp4 => "mp4",
        }
    }

    /// The duration the container declares, in milliseconds.
    fn duration_ms(self, path: &Path) -> Option<i64> {
        let duration = match self {
            Self::WebM => {
                matroska::get_from::<_, matroska::Info>(path)
                    .ok()??
                    .duration?
            }
            Self::Mp4 => {
                let file = std::fs::File::open(path).ok()?;
                let size = file.metadata().ok()?.len();
                mp4::Mp4Reader::read_header(io::BufReader::new(file), size)
                    .ok()?
                    .duration()
            }
        };
        i64::try_from(duration.as_millis())
            .ok()
            .filter(|ms| *ms > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &[u8] = include_bytes!("../../assets/demo-recording.webm");

    fn chunks(data: &[u8], size: usize) -> impl Stream<Item = Result<Bytes, io::Error>> + Unpin {
        let chunks: Vec<_> = data
            .chunks(size)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        futures::stream::iter(chunks)
    }

    fn stored_files(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[tokio::test]
    async fn a_webm_in_small_chunks_is_stored_with_its_duration() {
        let dir = tempfile::tempdir().unwrap();
        let media = MediaStore::new(dir.path()).unwrap();
        let ingested = media
            .keep(media.receive(chunks(DEMO, 1000), u64::MAX).await.unwrap())
            .await
            .unwrap();
        assert_eq!(ingested.content_type, "video/webm");
        assert_eq!(ingested.size_bytes, DEMO.len() as u64);
        assert!(
            (44_000..=46_000).contains(&ingested.duration_ms),
            "{}",
            ingested.duration_ms
        );
        assert_eq!(std::fs::read(media.path_of(&ingested.key)).unwrap(), DEMO);
        assert_eq!(stored_files(dir.path()), vec![ingested.key]);
    }

    #[test]
    fn bounded_ranges_are_read_in_one_go_and_streams_in_small_reads() {
        let read_size_for = |range: Option<&str>| {
            let mut headers = http::HeaderMap::new();
            if let Some(range) = range {
                headers.insert(http::header::RANGE, range.parse().unwrap());
            }
            read_size(&headers)
        };
        assert_eq!(read_size_for(None), 16 * 1024);
        assert_eq!(read_size_for(Some("bytes=0-")), 16 * 1024);
        assert_eq!(read_size_for(Some("bytes=0-1048575")), 1024 * 1024);
        assert_eq!(read_size_for(Some("bytes=100-199")), 16 * 1024);
        assert_eq!(read_size_for(Some("bytes=0-9999999")), 1024 * 1024);
        assert_eq!(read_size_for(Some("bytes=0-1,5-9")), 16 * 1024);
    }

    #[tokio::test]
    async fn refusals_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let media = MediaStore::new(dir.path()).unwrap();
        let text = b"just some text, not a video at all".repeat(1000);
        assert!(matches!(
            media.receive(chunks(&text, 4096), u64::MAX).await,
            Err(IngestError::NotVideo)
        ));
        assert!(matches!(
            media.receive(chunks(DEMO, 4096), 10_000).await,
            Err(IngestError::TooLarge { .. })
        ));
        assert!(matches!(
            media.receive(chunks(b"", 1), u64::MAX).await,
            Err(IngestError::Empty)
        ));
        assert!(stored_files(dir.path()).is_empty());
    }
}
