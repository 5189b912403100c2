//! The processing queue's handler: makes a new recording play everywhere.
//! In order, each step recorded as it is done so a run cut short (a crash,
//! a restart) goes on where it stopped: probe the original (ffprobe), a
//! poster, the file players get (the original kept as it is, remuxed, or
//! transcoded to H.264/AAC MP4, with percent done), then the timeline
//! previews (a sprite of small frames; made in the transcode's own pass
//! when there is one). A file that cannot be used fails the recording with
//! the reason, in words for the rep.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use app::{
    clock::SharedClock,
    domain::PreviewLayout,
    store::{
        Job, MediaFile, PendingMedia, Previews, ProcessingStep, Queue, Recording, RecordingId,
        SharedStore,
    },
};
use async_trait::async_trait;
use tokio::sync::watch;

use super::{
    IngestError, MediaStore, WorkDir,
    ffmpeg::{INPUT_FORMATS, Limits, Progress, RunError, Tools},
    probe::{Container, Layout, Plan, Probe, Refusal, check_duration},
};
use crate::jobs::{Completion, Failure, Handler};

/// What processing may use, from the configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub tools: Tools,
    /// The longest recording taken.
    pub max_duration: Duration,
    /// The largest file processing may write (the upload limit).
    pub max_file_bytes: u64,
}

pub struct ProcessRecording {
    store: SharedStore,
    media: Arc<MediaStore>,
    clock: SharedClock,
    settings: Settings,
}

/// Width and height of one timeline preview frame.
const PREVIEW_WIDTH: u32 = 160;
const PREVIEW_HEIGHT: u32 = 90;
const PREVIEW_COLUMNS: u32 = 10;
/// Frames in a sprite at most: a sprite stays one small image.
const PREVIEW_FRAMES: i64 = 200;
/// At most one preview frame this often.
const PREVIEW_EVERY_MS: i64 = 2000;
/// The poster's width at most.
const POSTER_WIDTH: u32 = 1280;
/// Images (poster, sprite) are small; a run writing more has gone wrong.
const IMAGE_BYTES: u64 = 32 * 1024 * 1024;
/// How often progress is written to the store at most.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Why a run stopped short.
enum Stop {
    /// The file cannot be used: the recording fails with the reason.
    Refused(Refusal),
    /// Worth another try (storage unreachable): the job is retried.
    Retry(String),
    /// The recording was deleted meanwhile.
    Gone,
}

impl From<app::store::StoreError> for Stop {
    fn from(error: app::store::StoreError) -> Self {
        Self::Retry(error.to_string())
    }
}

impl From<IngestError> for Stop {
    fn from(error: IngestError) -> Self {
        Self::Retry(error.to_string())
    }
}

impl From<std::io::Error> for Stop {
    fn from(error: std::io::Error) -> Self {
        Self::Retry(error.to_string())
    }
}

impl From<Refusal> for Stop {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

#[async_trait]
impl Handler for ProcessRecording {
    type Batch = ();

    const QUEUE: Queue = Queue::Processing;
    /// One at a time per process: a transcode takes every core it can get.
    const CONCURRENCY: usize = 1;
    const MAX_ATTEMPTS: i64 = 3;
    /// A transcode can take many minutes: a restart should not wait for it.
    const ABANDON_AT_STOP: bool = true;

    async fn prepare(&self, _jobs: &[Job]) {}

    async fn run(&self, job: &Job, _batch: &()) -> Result<Completion, Failure> {
        let id = RecordingId(job.subject);
        if job.attempts > Self::MAX_ATTEMPTS {
            // Claimed again and again without an outcome: each run was cut
            // short (the process died), so this file may be why.
            let reason = "Processing was interrupted too many times. Please upload the file again.";
            return self.fail(id, reason.into()).await;
        }
        match self.process(id).await {
            Ok(()) | Err(Stop::Gone) => Ok(Completion::Done),
            Err(Stop::Refused(refusal)) => self.fail(id, refusal.to_string()).await,
            Err(Stop::Retry(error)) if job.attempts >= Self::MAX_ATTEMPTS => {
                tracing::error!(recording = %id, %error, "processing failed for good");
                let reason = "The recording could not be processed. Please upload it again.";
                self.fail(id, reason.into()).await
            }
            Err(Stop::Retry(error)) => Err(Failure::Transient(error)),
        }
    }
}

impl ProcessRecording {
    /// Starts processing recordings as the configuration says, in this
    /// process (the server's workers, or `server import`).
    pub fn start(
        store: SharedStore,
        media: Arc<MediaStore>,
        clock: SharedClock,
        config: &crate::config::Config,
    ) -> crate::jobs::RunnerHandle {
        let handler = Self::new(
            store.clone(),
            media,
            clock.clone(),
            config.processing.clone(),
        );
        crate::jobs::Runner::new(handler, store, clock, config.job_timing).start()
    }

    pub fn new(
        store: SharedStore,
        media: Arc<MediaStore>,
        clock: SharedClock,
        settings: Settings,
    ) -> Self {
        Self {
            store,
            media,
            clock,
            settings,
        }
    }

    /// Records why the recording cannot be used; the job fails with it.
    async fn fail(&self, id: RecordingId, reason: String) -> Result<Completion, Failure> {
        tracing::warn!(recording = %id, %reason, "recording refused");
        self.store
            .record_processing(
                id,
                ProcessingStep::Failed {
                    reason: reason.clone(),
                },
                None,
            )
            .await
            .map_err(|e| Failure::Transient(e.to_string()))?;
        Err(Failure::Permanent(reason))
    }

    async fn step(
        &self,
        id: RecordingId,
        step: ProcessingStep,
        pending: Option<PendingMedia>,
    ) -> Result<(), Stop> {
        match self.store.record_processing(id, step, pending).await? {
            true => Ok(()),
            false => Err(Stop::Gone),
        }
    }

    async fn process(&self, id: RecordingId) -> Result<(), Stop> {
        let Some(recording) = self.store.recording(id).await? else {
            return Err(Stop::Gone);
        };
        let work = self.media.work_dir(id)?;
        let original = self.media.local(&recording.original_key, &work).await?;
        let probe = Probe::read(&self.settings.tools, &original).await?;
        probe.check(self.settings.max_duration)?;
        let duration_ms = match probe.duration_ms {
            Some(duration_ms) => duration_ms,
            None => self.measure(&original, &recording).await?,
        };
        check_duration(duration_ms, self.settings.max_duration)?;
        if recording.duration_ms.is_none() {
            self.step(id, ProcessingStep::Probed { duration_ms }, None)
                .await?;
        }
        if recording.poster_key.is_none() {
            let poster = self.poster(&original, duration_ms, &work).await?;
            let (key, pending, _) = self.keep(&poster, &recording, "poster.jpg").await?;
            self.step(id, ProcessingStep::Poster { key }, Some(pending))
                .await?;
        }

        // The file players get, unless one was made already (the plan is
        // cheap to decide again on a second run).
        let plan = probe.plan(Layout::read(&original).await?);
        let playable = match recording.playable.as_ref() {
            Some(file) if file.key != recording.original_key => {
                self.media.local(&file.key, &work).await?
            }
            _ => {
                tracing::info!(recording = %id, ?plan, format = probe.format, "processing");
                let (playable, path) = self
                    .playable(&recording, &original, plan, duration_ms, &work)
                    .await?;
                tracing::info!(recording = %id, key = playable.key, "recording ready");
                path
            }
        };
        if recording.previews.is_none() {
            let sprite = work.file("previews.jpg");
            let layout = preview_layout(duration_ms);
            // A transcode has a key frame every PREVIEW_EVERY_MS: decoding
            // those alone is enough, and quick.
            let key_frames_only = plan == Plan::Transcode;
            // The recording plays already: without previews it still does.
            match self
                .sprite(&playable, &sprite, layout, key_frames_only)
                .await
            {
                Ok(()) => self.store_previews(&recording, &sprite, layout).await?,
                Err(Stop::Refused(refusal)) => {
                    tracing::warn!(recording = %id, %refusal, "no timeline previews");
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Keeps, remuxes or transcodes the original, and records the recording
    /// ready with the result: the file and where to read it now.
    async fn playable(
        &self,
        recording: &Recording,
        original: &Path,
        plan: Plan,
        duration_ms: i64,
        work: &WorkDir,
    ) -> Result<(MediaFile, PathBuf), Stop> {
        let id = recording.id;
        let (made, container) = match plan {
            Plan::Keep(container) => {
                let file = MediaFile {
                    key: recording.original_key.clone(),
                    content_type: container.content_type().into(),
                    size_bytes: file_size(original).await?,
                };
                let ready = ProcessingStep::Ready {
                    playable: file.clone(),
                    duration_ms,
                };
                self.step(id, ready, None).await?;
                return Ok((file, original.to_path_buf()));
            }
            Plan::Remux(container) => {
                let out = work.file(&format!("play.{}", container.extension()));
                self.remux(original, &out, container, duration_ms, id)
                    .await?;
                (out, container)
            }
            Plan::Transcode => {
                let out = work.file("play.mp4");
                self.transcode(original, &out, duration_ms, id).await?;
                (out, Container::Mp4)
            }
        };
        let size_bytes = file_size(&made).await?;
        let (key, pending, path) = self
            .keep(&made, recording, &format!("play.{}", container.extension()))
            .await?;
        let file = MediaFile {
            key,
            content_type: container.content_type().into(),
            size_bytes,
        };
        let ready = ProcessingStep::Ready {
            playable: file.clone(),
            duration_ms,
        };
        self.step(id, ready, Some(pending)).await?;
        Ok((file, path))
    }

    /// Stores a file made for `recording` under a new key ending in
    /// `suffix`: its key, the deletion scheduled for it, and where it can
    /// be read locally now.
    async fn keep(
        &self,
        file: &Path,
        recording: &Recording,
        suffix: &str,
    ) -> Result<(String, PendingMedia, PathBuf), Stop> {
        let key = format!("{}-{suffix}", uuid::Uuid::new_v4());
        let (pending, path) = self
            .media
            .store_made(file, &key, &self.store, self.clock.now())
            .await?;
        tracing::debug!(recording = %recording.id, key, "stored a processed file");
        Ok((key, pending, path))
    }

    async fn store_previews(
        &self,
        recording: &Recording,
        sprite: &Path,
        layout: PreviewLayout,
    ) -> Result<(), Stop> {
        let (key, pending, _) = self.keep(sprite, recording, "previews.jpg").await?;
        self.step(
            recording.id,
            ProcessingStep::Previews(Previews { key, layout }),
            Some(pending),
        )
        .await
    }

    /// The length of a file whose container does not say: its packets
    /// read to the end (no decoding).
    async fn measure(&self, original: &Path, recording: &Recording) -> Result<i64, Stop> {
        let size = file_size(original).await?.max(0) as u64;
        // Reading runs at disk speed; a slow disk gets 10 MB/s.
        let wall = Duration::from_secs(60 + size / 10_000_000);
        let limits = Limits {
            wall,
            cpu: wall,
            file_bytes: 0,
            stdout_bytes: 0,
            stall: Duration::from_secs(60),
        };
        let mut last = Progress::default();
        let mut report = |progress: Progress| last = progress;
        self.settings
            .tools
            .ffmpeg(
                input(original).chain(args(&["-map", "0:v:0", "-c", "copy", "-f", "null", "-"])),
                limits,
                &mut report,
            )
            .await
            .map_err(Refusal::reading)?;
        tracing::debug!(recording = %recording.id, ms = last.out_time_ms, "measured the length");
        if last.out_time_ms > 0 {
            Ok(last.out_time_ms)
        } else {
            Err(Refusal::NoDuration.into())
        }
    }

    /// A frame a little way in (past a black or title start), the most
    /// typical of the next second or so.
    async fn poster(
        &self,
        original: &Path,
        duration_ms: i64,
        work: &WorkDir,
    ) -> Result<PathBuf, Stop> {
        let out = work.file("poster.jpg");
        let at_ms = if duration_ms > 4000 {
            (duration_ms / 10).min(60_000)
        } else {
            0
        };
        let limits = image_limits(Duration::from_secs(120));
        let filter = format!("thumbnail=n=24,scale=w='min({POSTER_WIDTH},iw)':h=-2");
        let mut ignore = |_| {};
        for at_ms in [at_ms, 0] {
            let args = ["-ss".into(), seconds(at_ms)]
                .into_iter()
                .chain(input(original))
                .chain(args(&["-map", "0:v:0", "-an", "-sn", "-dn", "-vf"]))
                .chain([OsString::from(&filter)])
                .chain(image_output(&out));
            let made = self.settings.tools.ffmpeg(args, limits, &mut ignore).await;
            match made {
                Ok(()) if file_size(&out).await.is_ok_and(|size| size > 0) => return Ok(out),
                Ok(()) => continue,
                Err(RunError::Failed { .. }) if at_ms > 0 => continue,
                Err(error) => return Err(Refusal::reading(error).into()),
            }
        }
        Err(Refusal::NotVideo.into())
    }

    /// Copies the streams into a new container (its index first).
    async fn remux(
        &self,
        original: &Path,
        out: &Path,
        container: Container,
        duration_ms: i64,
        id: RecordingId,
    ) -> Result<(), Stop> {
        let size = file_size(original).await?.max(0) as u64;
        let wall = Duration::from_secs(120 + size / 5_000_000);
        let limits = Limits {
            wall,
            cpu: wall,
            file_bytes: self.settings.max_file_bytes,
            stdout_bytes: 0,
            stall: Duration::from_secs(60),
        };
        let mut output = args(&["-map", "0:v:0", "-map", "0:a:0?", "-c", "copy"]);
        if container == Container::Mp4 {
            output.extend(args(&["-movflags", "+faststart"]));
        }
        output.extend(args(&["-f", container.muxer()]));
        output.push(out.into());
        self.with_progress(id, duration_ms, input(original).chain(output), limits)
            .await
            .map_err(|e| Refusal::from_run(e, Refusal::Unconvertible).into())
    }

    /// Re-encodes to H.264/AAC MP4 (fast start), at most 1080p, with a key
    /// frame every [`PREVIEW_EVERY_MS`] (quick seeking, and the previews'
    /// frames). The sprite is made in a pass of its own: with a second
    /// output that only writes at the end, ffmpeg would report no progress.
    async fn transcode(
        &self,
        original: &Path,
        out: &Path,
        duration_ms: i64,
        id: RecordingId,
    ) -> Result<(), Stop> {
        let seconds = u64::try_from(duration_ms / 1000).unwrap_or(0);
        // Faster than real time on two cores at 720p; a slow machine or a
        // large frame still gets four times the length.
        let limits = Limits {
            wall: Duration::from_secs(300 + 4 * seconds),
            cpu: Duration::from_secs(300 + 8 * seconds),
            file_bytes: self.settings.max_file_bytes,
            stdout_bytes: 0,
            stall: Duration::from_secs(120),
        };
        let scale = "scale=w='min(1920,iw)':h='min(1080,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2,format=yuv420p";
        let key_frames = format!("expr:gte(t,n_forced*{})", PREVIEW_EVERY_MS / 1000);
        let mut output = vec![
            OsString::from("-filter_complex"),
            format!("[0:v:0]{scale}[play]").into(),
            "-force_key_frames".into(),
            key_frames.into(),
        ];
        output.extend(args(&[
            "-map",
            "[play]",
            "-map",
            "0:a:0?",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-profile:v",
            "high",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ac",
            "2",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
        ]));
        output.push(out.into());
        self.with_progress(id, duration_ms, input(original).chain(output), limits)
            .await
            .map_err(|e| Refusal::from_run(e, Refusal::Unconvertible).into())
    }

    /// The sprite of timeline previews, decoding `playable` once (its key
    /// frames only, with `key_frames_only`).
    async fn sprite(
        &self,
        playable: &Path,
        out: &Path,
        layout: PreviewLayout,
        key_frames_only: bool,
    ) -> Result<(), Stop> {
        let seconds = u64::try_from(i64::from(layout.count) * layout.every_ms / 1000).unwrap_or(0);
        let limits = image_limits(Duration::from_secs(120 + 2 * seconds));
        let skip = key_frames_only.then(|| args(&["-skip_frame", "nokey"]));
        let output = args(&["-map", "0:v:0", "-an", "-sn", "-dn", "-vf"])
            .into_iter()
            .chain([OsString::from(sprite_filter(layout))])
            .chain(image_output(out));
        let mut ignore = |_| {};
        let arguments = skip
            .into_iter()
            .flatten()
            .chain(input(playable))
            .chain(output);
        self.settings
            .tools
            .ffmpeg(arguments, limits, &mut ignore)
            .await
            .map_err(|e| Refusal::from_run(e, Refusal::Unconvertible).into())
    }

    /// Runs ffmpeg, writing its percent done to the store as it goes (at
    /// most every [`PROGRESS_EVERY`]).
    async fn with_progress(
        &self,
        id: RecordingId,
        duration_ms: i64,
        args: impl IntoIterator<Item = OsString>,
        limits: Limits,
    ) -> Result<(), RunError> {
        let (percent_tx, mut percent_rx) = watch::channel(0u8);
        let store = self.store.clone();
        let writer = tokio::spawn(async move {
            while percent_rx.changed().await.is_ok() {
                let percent = *percent_rx.borrow_and_update();
                let step = ProcessingStep::Progress { percent };
                if let Err(error) = store.record_processing(id, step, None).await {
                    tracing::warn!(%error, "could not record processing progress");
                }
                tokio::time::sleep(PROGRESS_EVERY).await;
            }
        });
        let mut report = |progress: Progress| {
            // 99 at most until the file is stored and the recording ready.
            let percent =
                (progress.out_time_ms.clamp(0, duration_ms) * 99 / duration_ms.max(1)) as u8;
            percent_tx.send_if_modified(|current| {
                let moved = *current != percent;
                *current = percent;
                moved
            });
        };
        let result = self.settings.tools.ffmpeg(args, limits, &mut report).await;
        // What it would still write is overwritten by the next step.
        writer.abort();
        drop(percent_tx);
        result
    }
}

/// Where a recording's previews are in its sprite: a frame every few
/// seconds, at most [`PREVIEW_FRAMES`].
pub fn preview_layout(duration_ms: i64) -> PreviewLayout {
    let every_ms = (duration_ms.max(1) + PREVIEW_FRAMES - 1) / PREVIEW_FRAMES;
    // Whole seconds, at least PREVIEW_EVERY_MS apart.
    let every_ms = ((every_ms + 999) / 1000).max(1) * 1000;
    let every_ms = every_ms.max(PREVIEW_EVERY_MS);
    let count = (duration_ms.max(1) + every_ms - 1) / every_ms;
    PreviewLayout {
        every_ms,
        columns: PREVIEW_COLUMNS,
        count: u32::try_from(count.clamp(1, PREVIEW_FRAMES)).unwrap_or(1),
        width: PREVIEW_WIDTH,
        height: PREVIEW_HEIGHT,
    }
}

/// ffmpeg's filters for a sprite: a frame every `every_ms`, letterboxed into
/// its place, tiled.
fn sprite_filter(layout: PreviewLayout) -> String {
    let rows = layout.count.div_ceil(layout.columns).max(1);
    format!(
        "fps=1000/{every},scale={w}:{h}:force_original_aspect_ratio=decrease,\
         pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,tile={columns}x{rows}",
        every = layout.every_ms,
        w = layout.width,
        h = layout.height,
        columns = layout.columns,
    )
}

/// Reading a file from outside: local files only, video containers only.
fn input(path: &Path) -> impl Iterator<Item = OsString> + use<> {
    args(&[
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        INPUT_FORMATS,
        "-i",
    ])
    .into_iter()
    .chain([path.as_os_str().to_owned()])
}

/// One JPEG image written to `path`.
fn image_output(path: &Path) -> Vec<OsString> {
    let mut out = args(&[
        "-frames:v",
        "1",
        "-q:v",
        "4",
        "-f",
        "image2",
        "-update",
        "1",
    ]);
    out.push(path.into());
    out
}

fn image_limits(wall: Duration) -> Limits {
    Limits {
        wall,
        cpu: wall * 2,
        file_bytes: IMAGE_BYTES,
        stdout_bytes: 0,
        stall: wall,
    }
}

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

fn seconds(ms: i64) -> OsString {
    format!("{}.{:03}", ms / 1000, ms % 1000).into()
}

async fn file_size(path: &Path) -> std::io::Result<i64> {
    let size = tokio::fs::metadata(path).await?.len();
    Ok(i64::try_from(size).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_come_every_few_seconds_and_never_too_many() {
        let demo = preview_layout(45_000);
        assert_eq!((demo.every_ms, demo.count), (2000, 23));
        let ten_minutes = preview_layout(600_000);
        assert_eq!((ten_minutes.every_ms, ten_minutes.count), (3000, 200));
        let four_hours = preview_layout(4 * 3_600_000);
        assert_eq!((four_hours.every_ms, four_hours.count), (72_000, 200));
        let short = preview_layout(1500);
        assert_eq!((short.every_ms, short.count), (2000, 1));
    }
}
