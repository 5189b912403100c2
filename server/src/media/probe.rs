//! What a file holds, as ffprobe reads it, and what it takes to make it
//! play in every browser.

use std::{ffi::OsString, path::Path, time::Duration};

use serde::Deserialize;

use super::ffmpeg::{INPUT_FORMATS, Limits, RunError, Tools};
use app::domain::format_clock;

/// The largest frame taken: 8K UHD.
pub const MAX_WIDTH: u32 = 7680;
pub const MAX_HEIGHT: u32 = 4320;

/// A file's streams and length.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// ffprobe's names of the container, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    pub format: String,
    /// The length the container declares, if it does.
    pub duration_ms: Option<i64>,
    pub video: Option<Video>,
    /// The first audio stream's codec.
    pub audio: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Video {
    pub codec: String,
    pub pix_fmt: Option<String>,
    pub width: u32,
    pub height: u32,
}

/// The containers the processed file may be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Mp4,
    WebM,
}

impl Container {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Mp4 => "video/mp4",
            Self::WebM => "video/webm",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::WebM => "webm",
        }
    }

    /// ffmpeg's muxer.
    pub fn muxer(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::WebM => "webm",
        }
    }
}

/// What it takes to make a probed file play everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// It plays as it is.
    Keep(Container),
    /// Its streams play, its container does not (or its index is at the
    /// end): copied into a new one, no re-encoding.
    Remux(Container),
    /// Re-encoded to H.264/AAC MP4.
    Transcode,
}

/// What the uploaded file is, as far as its first bytes and its layout tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Its first bytes say WebM (not another Matroska).
    pub webm: bool,
    /// An MP4 (not QuickTime) whose index (`moov`) comes before its media.
    pub mp4_faststart: bool,
}

impl Layout {
    /// Looks at the file's first bytes and at most [`Layout::BOXES`]
    /// top-level MP4 box headers (16 bytes each, never what they declare
    /// to hold), so it costs the same whatever the file claims.
    pub async fn read(path: &Path) -> std::io::Result<Self> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut file = tokio::fs::File::open(path).await?;
        let size = file.metadata().await?.len();
        let mut head = vec![0u8; 8192];
        let mut filled = 0;
        while filled < head.len() {
            match file.read(&mut head[filled..]).await? {
                0 => break,
                read => filled += read,
            }
        }
        head.truncate(filled);
        let webm = infer::get(&head).is_some_and(|t| t.mime_type() == "video/webm");
        let mut mp4_faststart = false;
        let mut offset = 0u64;
        for _ in 0..Self::BOXES {
            if offset + 8 > size {
                break;
            }
            let mut header = [0u8; 16];
            file.seek(std::io::SeekFrom::Start(offset)).await?;
            file.read_exact(&mut header[..8]).await?;
            let declared = u64::from(u32::from_be_bytes(header[..4].try_into().expect("4 bytes")));
            let kind: [u8; 4] = header[4..8].try_into().expect("4 bytes");
            let length = match declared {
                // To the end of the file.
                0 => size - offset,
                // A 64-bit size follows.
                1 => {
                    file.read_exact(&mut header[8..16]).await?;
                    u64::from_be_bytes(header[8..16].try_into().expect("8 bytes"))
                }
                n => n,
            };
            match &kind {
                // QuickTime files play in Safari only: remuxed to MP4.
                b"ftyp" if head.get(8..12) == Some(b"qt  ") => break,
                b"moov" => {
                    mp4_faststart = true;
                    break;
                }
                b"mdat" => break,
                _ => {}
            }
            if length < 8 {
                break;
            }
            match offset.checked_add(length) {
                Some(next) => offset = next,
                None => break,
            }
        }
        Ok(Self {
            webm,
            mp4_faststart,
        })
    }

    /// Top-level boxes looked at before giving up on finding the index.
    const BOXES: usize = 32;
}

impl Probe {
    /// Reads `path` with ffprobe.
    pub async fn read(tools: &Tools, path: &Path) -> Result<Self, Refusal> {
        let args = [
            "-v",
            "error",
            "-protocol_whitelist",
            "file",
            "-format_whitelist",
            INPUT_FORMATS,
            "-print_format",
            "json",
            "-show_entries",
            "format=format_name,duration:stream=codec_type,codec_name,pix_fmt,width,height",
            "-i",
        ]
        .into_iter()
        .map(OsString::from)
        .chain([path.as_os_str().to_owned()]);
        let out = tools
            .ffprobe(args, Limits::probe())
            .await
            .map_err(Refusal::reading)?;
        Self::parse(&out).ok_or(Refusal::NotVideo)
    }

    fn parse(json: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Output {
            format: Format,
            #[serde(default)]
            streams: Vec<Stream>,
        }
        #[derive(Deserialize)]
        struct Format {
            format_name: String,
            duration: Option<String>,
        }
        #[derive(Deserialize)]
        struct Stream {
            codec_type: Option<String>,
            codec_name: Option<String>,
            pix_fmt: Option<String>,
            width: Option<u32>,
            height: Option<u32>,
        }
        let output: Output = serde_json::from_slice(json).ok()?;
        let duration_ms = output
            .format
            .duration
            .and_then(|d| d.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
            .map(|s| (s * 1000.0).round() as i64)
            .filter(|ms| *ms > 0);
        let video = output
            .streams
            .iter()
            .find(|s| s.codec_type.as_deref() == Some("video"))
            .map(|s| Video {
                codec: s.codec_name.clone().unwrap_or_default(),
                pix_fmt: s.pix_fmt.clone(),
                width: s.width.unwrap_or(0),
                height: s.height.unwrap_or(0),
            });
        let audio = output
            .streams
            .iter()
            .find(|s| s.codec_type.as_deref() == Some("audio"))
            .map(|s| s.codec_name.clone().unwrap_or_default());
        Some(Self {
            format: output.format.format_name,
            duration_ms,
            video,
            audio,
        })
    }

    /// Refuses what we do not take: no video, a frame larger than 8K, or
    /// longer than `max_duration` (when the container says).
    pub fn check(&self, max_duration: Duration) -> Result<&Video, Refusal> {
        let video = self.video.as_ref().ok_or(Refusal::NoVideo)?;
        if video.codec.is_empty() || video.width == 0 || video.height == 0 {
            return Err(Refusal::NotVideo);
        }
        if video.width > MAX_WIDTH || video.height > MAX_HEIGHT {
            return Err(Refusal::TooLargeFrame {
                width: video.width,
                height: video.height,
            });
        }
        if let Some(duration_ms) = self.duration_ms {
            check_duration(duration_ms, max_duration)?;
        }
        Ok(video)
    }

    /// Keep, remux or transcode: H.264 (8-bit 4:2:0) with AAC or no sound
    /// plays everywhere in MP4; VP8, VP9 or AV1 with Opus, Vorbis or no
    /// sound in WebM plays in every browser but Safari on older iPhones,
    /// and is kept as the rep made it. Anything else is transcoded.
    pub fn plan(&self, layout: Layout) -> Plan {
        let Some(video) = &self.video else {
            return Plan::Transcode;
        };
        let yuv420 = video
            .pix_fmt
            .as_deref()
            .is_none_or(|p| p == "yuv420p" || p == "yuvj420p");
        let audio = self.audio.as_deref();
        let mp4_streams = video.codec == "h264" && yuv420 && matches!(audio, None | Some("aac"));
        let webm_streams = matches!(video.codec.as_str(), "vp8" | "vp9" | "av1")
            && yuv420
            && matches!(audio, None | Some("opus" | "vorbis"));
        let known_length = self.duration_ms.is_some();
        if mp4_streams {
            if layout.mp4_faststart && known_length {
                Plan::Keep(Container::Mp4)
            } else {
                Plan::Remux(Container::Mp4)
            }
        } else if webm_streams {
            // A WebM without its length (as browsers record them) cannot
            // be seeked in: remuxing writes the length and an index.
            if layout.webm && known_length {
                Plan::Keep(Container::WebM)
            } else {
                Plan::Remux(Container::WebM)
            }
        } else {
            Plan::Transcode
        }
    }
}

/// Refuses a recording longer than `max`.
pub fn check_duration(duration_ms: i64, max: Duration) -> Result<(), Refusal> {
    let max_ms = i64::try_from(max.as_millis()).unwrap_or(i64::MAX);
    if duration_ms > max_ms {
        return Err(Refusal::TooLong {
            duration_ms,
            max_ms,
        });
    }
    Ok(())
}

/// Why a file cannot become a recording, in words for the rep.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This file is not a video we can read, or it is damaged.")]
    NotVideo,
    #[error("The file has no video.")]
    NoVideo,
    #[error(
        "The video is {width}×{height} pixels; the largest we take is {MAX_WIDTH}×{MAX_HEIGHT}."
    )]
    TooLargeFrame { width: u32, height: u32 },
    #[error("The recording is {} long; the longest we take is {}.", format_clock(*duration_ms), format_clock(*max_ms))]
    TooLong { duration_ms: i64, max_ms: i64 },
    #[error("The video's length could not be read; the file may be damaged.")]
    NoDuration,
    #[error("Reading the file took too long; it may be damaged.")]
    TooSlow,
    #[error("Reading the file needed more memory than allowed; it may be damaged.")]
    TooMuchMemory,
    #[error("The converted video would be larger than allowed.")]
    TooLargeOutput,
    #[error("The video could not be converted; the file may be damaged.")]
    Unconvertible,
}

impl Refusal {
    /// A failed run while reading the file.
    pub fn reading(error: RunError) -> Self {
        Self::from_run(error, Self::NotVideo)
    }

    /// A failed run, `otherwise` when the file itself is to blame.
    pub fn from_run(error: RunError, otherwise: Self) -> Self {
        match error {
            RunError::TimedOut | RunError::Stalled | RunError::CpuLimit => Self::TooSlow,
            RunError::MemoryLimit => Self::TooMuchMemory,
            RunError::FileTooLarge | RunError::OutputTooLarge => Self::TooLargeOutput,
            RunError::Failed { .. } => otherwise,
            RunError::Start { .. } | RunError::Io(_) => otherwise,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(video: &str, pix_fmt: &str, audio: Option<&str>, duration: Option<i64>) -> Probe {
        Probe {
            format: "x".into(),
            duration_ms: duration,
            video: Some(Video {
                codec: video.into(),
                pix_fmt: Some(pix_fmt.into()),
                width: 1280,
                height: 720,
            }),
            audio: audio.map(String::from),
        }
    }

    #[test]
    fn browsers_own_formats_are_kept_or_remuxed_and_the_rest_transcoded() {
        let faststart = Layout {
            mp4_faststart: true,
            webm: false,
        };
        let webm = Layout {
            webm: true,
            mp4_faststart: false,
        };
        let h264 = probe("h264", "yuv420p", Some("aac"), Some(5000));
        assert_eq!(h264.plan(faststart), Plan::Keep(Container::Mp4));
        // Index at the end, or QuickTime: copied into a fast-start MP4.
        assert_eq!(h264.plan(Layout::default()), Plan::Remux(Container::Mp4));
        assert_eq!(
            probe("vp9", "yuv420p", Some("opus"), Some(5000)).plan(webm),
            Plan::Keep(Container::WebM)
        );
        // As browsers record: no length in the header.
        assert_eq!(
            probe("vp8", "yuv420p", Some("vorbis"), None).plan(webm),
            Plan::Remux(Container::WebM)
        );
        assert_eq!(
            probe("av1", "yuv420p", None, Some(5000)).plan(Layout::default()),
            Plan::Remux(Container::WebM)
        );
        for other in [
            probe("hevc", "yuv420p", Some("aac"), Some(5000)),
            probe("h264", "yuv420p10le", Some("aac"), Some(5000)),
            probe("h264", "yuv420p", Some("mp3"), Some(5000)),
            probe("vp9", "yuv420p", Some("aac"), Some(5000)),
            probe("mpeg4", "yuv420p", None, Some(5000)),
        ] {
            assert_eq!(other.plan(faststart), Plan::Transcode, "{other:?}");
        }
    }

    #[test]
    fn what_we_do_not_take_is_refused_with_the_reason() {
        let hours = |h: u64| Duration::from_secs(h * 3600);
        let mut huge = probe("mjpeg", "yuvj420p", None, Some(1000));
        huge.video.as_mut().unwrap().width = 30_000;
        huge.video.as_mut().unwrap().height = 30_000;
        assert_eq!(
            huge.check(hours(4)).unwrap_err().to_string(),
            "The video is 30000×30000 pixels; the largest we take is 7680×4320."
        );
        let long = probe("h264", "yuv420p", None, Some(10 * 3_600_000));
        assert_eq!(
            long.check(hours(4)).unwrap_err().to_string(),
            "The recording is 10:00:00 long; the longest we take is 4:00:00."
        );
        let sound_only = Probe {
            video: None,
            ..probe("x", "x", Some("aac"), Some(1000))
        };
        assert_eq!(sound_only.check(hours(4)), Err(Refusal::NoVideo));
        assert!(probe("h264", "yuv420p", None, None).check(hours(4)).is_ok());
    }

    #[test]
    fn ffprobe_answers_are_read_and_nonsense_is_not_a_video() {
        let json = br#"{"programs": [], "streams": [
            {"codec_name": "hevc", "codec_type": "video", "width": 1920, "height": 1080, "pix_fmt": "yuv420p"},
            {"codec_name": "aac", "codec_type": "audio"}],
            "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "12.345000"}}"#;
        let probe = Probe::parse(json).unwrap();
        assert_eq!(probe.duration_ms, Some(12_345));
        assert_eq!(probe.video.unwrap().codec, "hevc");
        assert_eq!(probe.audio.as_deref(), Some("aac"));
        let no_length =
            br#"{"streams": [], "format": {"format_name": "matroska,webm", "duration": "N/A"}}"#;
        assert_eq!(Probe::parse(no_length).unwrap().duration_ms, None);
        assert!(Probe::parse(b"{").is_none());
        assert!(Probe::parse(b"[]").is_none());
    }
}
