//! Recording files: taking them in (streamed to disk, the first bytes
//! checked), processing them into files every browser plays ([`processing`],
//! through ffmpeg: [`ffmpeg`], [`probe`]), and serving them with byte
//! ranges, from a local directory (the default) or an S3-compatible bucket
//! (`MEDIA_URL=s3://bucket/prefix`, see [`object`]).

mod mapped;
mod object;
mod ranges;

mod deletion;
pub mod ffmpeg;
pub mod probe;
pub mod processing;
pub mod routes;
pub use deletion::DeleteMedia;
pub use processing::ProcessRecording;

use std::{
    io,
    path::{Path, PathBuf},
};

use app::{
    domain::RecordingTitle,
    store::{
        MediaFile, NewRecording, PendingMedia, Recording, RecordingId, RepId, SharedStore,
        StoreError,
    },
};
use axum::body::Bytes;
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

pub use mapped::file_at;
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
    maps: mapped::Maps,
}

/// How long a stored file may wait for its recording before it is deleted
/// (the recording comes at once, unless the process died in between).
pub const UNCLAIMED_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// Where an upload is written while it arrives and is checked.
const INCOMING: &str = ".incoming-";
/// Where a recording is processed (a folder, gone when done).
const WORK: &str = ".work-";

/// A folder for one run of processing, removed with what is in it when
/// dropped.
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

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
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("The file is larger than the limit of {limit_mb} MB.")]
    TooLarge { limit_mb: u64 },
    #[error("The file is empty.")]
    Empty,
    #[error("This file is not a video. Upload a recording (MP4, MOV, WebM, MKV, …).")]
    NotVideo,
    #[error("The upload was interrupted: {0}")]
    Interrupted(String),
    #[error("The upload stalled: nothing came for a while. Please try again.")]
    Stalled,
    #[error("storage failure: {0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// The media store the configuration names (`MEDIA_DIR`, `MEDIA_URL`).
pub fn open(config: &crate::config::Config) -> anyhow::Result<MediaStore> {
    let bucket = match &config.media_url {
        Some(url) => Some(
            Bucket::from_url(url)
                .map_err(|e| anyhow::anyhow!("cannot use MEDIA_URL {url}: {e}"))?
                .redirecting(config.media_redirect),
        ),
        None if config.media_redirect => anyhow::bail!(
            "MEDIA_REDIRECT=true needs MEDIA_URL: only a bucket can take players' requests"
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
        Ok(Self {
            dir,
            bucket,
            maps: mapped::Maps::default(),
        })
    }

    fn path_of(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }

    /// Writes `body` to the media directory chunk by chunk (never holding the
    /// whole file in memory), refusing it as soon as it passes `limit` bytes or
    /// its first bytes are not those of a video container. Nothing
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
        self.put(&received.partial, &received.key).await?;
        Ok(Ingested {
            key: received.key.clone(),
            content_type: received.checked.kind.content_type(),
            size_bytes: received.checked.size,
        })
    }

    /// Puts the local file `file` into the store as `key` (moved there, or
    /// uploaded); where it can be read locally afterwards.
    async fn put(&self, file: &Path, key: &str) -> io::Result<PathBuf> {
        match &self.bucket {
            Some(bucket) => {
                bucket.put_file(file, key).await?;
                Ok(file.to_path_buf())
            }
            None => {
                let stored = self.path_of(key);
                tokio::fs::rename(file, &stored).await?;
                Ok(stored)
            }
        }
    }

    /// Stores a file made while processing as `key`, its deletion
    /// scheduled first, as for uploads ([`MediaStore::ingest`]): the
    /// recording takes it back with the processing step that names it.
    pub async fn store_made(
        &self,
        file: &Path,
        key: &str,
        store: &SharedStore,
        now: jiff::Timestamp,
    ) -> Result<(PendingMedia, PathBuf), IngestError> {
        let pending = store
            .schedule_media_deletion(key, now + UNCLAIMED_GRACE)
            .await?;
        let local = self.put(file, key).await?;
        Ok((pending, local))
    }

    /// A fresh folder to process `recording` in. Folders an earlier run of
    /// its processing left behind (a crash) go first: whoever holds the
    /// recording's job is the only one working on it.
    pub fn work_dir(&self, recording: RecordingId) -> io::Result<WorkDir> {
        let mine = format!("{WORK}{recording}-");
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(&mine) {
                tracing::info!(path = %entry.path().display(), "removing what an interrupted run left");
                std::fs::remove_dir_all(entry.path())?;
            }
        }
        let path = self.dir.join(format!("{mine}{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&path)?;
        Ok(WorkDir { path })
    }

    /// A local file to read `key` from: the stored file itself, or (with a
    /// bucket) a copy downloaded into `work`.
    pub async fn local(&self, key: &str, work: &WorkDir) -> io::Result<PathBuf> {
        match &self.bucket {
            Some(bucket) => {
                let copy = work.file("original");
                bucket.get_file(key, &copy).await?;
                Ok(copy)
            }
            None => Ok(self.path_of(key)),
        }
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
            .await?;
        Ok((self.keep(received).await?, pending))
    }

    /// Adds a recording from `body`: the file is taken in and stored, and
    /// the recording created, processing (its job queued with it). The one
    /// way recordings come in: uploads, `server import`, the demo.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_recording<S, E>(
        &self,
        store: &SharedStore,
        owner: RepId,
        title: RecordingTitle,
        body: S,
        limit: u64,
        now: jiff::Timestamp,
    ) -> Result<Recording, IngestError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::error::Error + 'static,
    {
        let (ingested, pending) = self.ingest(body, limit, store, now).await?;
        let new = NewRecording {
            owner_id: owner,
            title,
            original: MediaFile {
                key: ingested.key.clone(),
                content_type: ingested.content_type.to_string(),
                size_bytes: i64::try_from(ingested.size_bytes).unwrap_or(i64::MAX),
            },
            pending: Some(pending),
        };
        match store.create_recording(new).await {
            Ok(recording) => Ok(recording),
            Err(error) => {
                // Deleted now; else by its scheduled deletion.
                let _ = self.remove(&ingested.key).await;
                Err(error.into())
            }
        }
    }

    /// Removes uploads that never finished and processing folders left
    /// behind (a crash) older than `age`.
    pub async fn remove_unfinished(&self, age: std::time::Duration) -> io::Result<usize> {
        let mut removed = 0;
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let work = name.starts_with(WORK);
            if !work && !name.starts_with(INCOMING) {
                continue;
            }
            let old = entry
                .metadata()
                .await?
                .modified()?
                .elapsed()
                .is_ok_and(|elapsed| elapsed > age);
            if !old {
                continue;
            }
            let gone = match work {
                true => tokio::fs::remove_dir_all(entry.path()).await,
                false => tokio::fs::remove_file(entry.path()).await,
            };
            if gone.is_ok() {
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
        Ok(Checked { kind, size })
    }

    /// Removes a stored recording (after a failed insert, or a deletion).
    pub async fn remove(&self, key: &str) -> io::Result<()> {
        match &self.bucket {
            Some(bucket) => bucket.delete(key).await,
            None => tokio::fs::remove_file(self.path_of(key)).await,
        }
    }

    /// Answers `request` with a recording's file: byte ranges (`206`,
    /// `416`, `Accept-Ranges`), so seeking works without reading the whole
    /// file, and `304` to a client that has it. Local files are sent from a
    /// memory map ([`mapped`]); bucket objects are streamed range by range.
    pub async fn serve(
        &self,
        file: &MediaFile,
        request: axum::extract::Request,
        cache_control: http::HeaderValue,
    ) -> axum::response::Response {
        let mut response = match &self.bucket {
            Some(bucket) => {
                let (parts, _) = request.into_parts();
                bucket.serve(file, &parts.method, &parts.headers).await
            }
            None => {
                self.serve_local(&file.key, &file.content_type, request)
                    .await
            }
        };
        // A redirect to a bucket says itself how long it may be kept.
        response
            .headers_mut()
            .entry(http::header::CACHE_CONTROL)
            .or_insert(cache_control);
        response
    }

    /// Answers `request` with a small file (a poster, a sprite), whole.
    pub async fn serve_image(
        &self,
        key: &str,
        request: axum::extract::Request,
        cache_control: http::HeaderValue,
    ) -> axum::response::Response {
        const JPEG: &str = "image/jpeg";
        let mut response = match &self.bucket {
            Some(bucket) => bucket.serve_whole(key, JPEG).await,
            None => self.serve_local(key, JPEG, request).await,
        };
        response
            .headers_mut()
            .insert(http::header::CACHE_CONTROL, cache_control);
        response
    }

    async fn serve_local(
        &self,
        key: &str,
        content_type: &str,
        request: axum::extract::Request,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        use http::StatusCode;

        let map = match self.maps.map(&self.path_of(key)).await {
            Ok(map) => map,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                tracing::error!(%key, "a media file is missing from the media folder");
                return StatusCode::NOT_FOUND.into_response();
            }
            Err(error) => {
                tracing::error!(%error, %key, "could not open a media file");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let size = map.as_ref().map_or(0, |map| map.len() as u64);
        let part = match ranges::plan(request.headers(), key, size) {
            Ok(part) => part,
            Err(answered) => return *answered,
        };
        let body = match map {
            Some(map) if !part.sends_nothing(request.method()) => {
                // Both ends lie within the map, whose length fits a usize.
                mapped::body(map, part.start as usize, part.end as usize)
            }
            _ => axum::body::Body::empty(),
        };
        part.respond(content_type, body)
    }
}

/// A video container we take, as the file's first bytes tell, whatever
/// its name or the type the client claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoKind {
    mime: &'static str,
    extension: &'static str,
}

impl VideoKind {
    pub fn sniff(head: &[u8]) -> Option<Self> {
        let kind = infer::get(head)?;
        (kind.matcher_type() == infer::MatcherType::Video).then(|| Self {
            mime: kind.mime_type(),
            extension: kind.extension(),
        })
    }

    pub fn content_type(self) -> &'static str {
        self.mime
    }

    pub fn extension(self) -> &'static str {
        self.extension
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
    async fn a_webm_in_small_chunks_is_stored_as_it_came() {
        let dir = tempfile::tempdir().unwrap();
        let media = MediaStore::new(dir.path()).unwrap();
        let ingested = media
            .keep(media.receive(chunks(DEMO, 1000), u64::MAX).await.unwrap())
            .await
            .unwrap();
        assert_eq!(ingested.content_type, "video/webm");
        assert_eq!(ingested.size_bytes, DEMO.len() as u64);
        assert_eq!(std::fs::read(media.path_of(&ingested.key)).unwrap(), DEMO);
        assert_eq!(stored_files(dir.path()), vec![ingested.key]);
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
