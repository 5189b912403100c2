//! A recording's title, how its length reads, where its processing is, and
//! the layout of its timeline previews.

use serde::{Deserialize, Serialize};

/// A recording's title: trimmed, 1–200 characters, on one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingTitle(String);

pub const MAX_TITLE_CHARS: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TitleError {
    #[error("Enter a title.")]
    Empty,
    #[error("Keep the title to {MAX_TITLE_CHARS} characters or fewer.")]
    TooLong,
    #[error("The title must be one line, without control characters.")]
    ControlCharacter,
}

impl RecordingTitle {
    pub fn parse(raw: &str) -> Result<Self, TitleError> {
        let title = raw.trim();
        if title.is_empty() {
            Err(TitleError::Empty)
        } else if title.chars().count() > MAX_TITLE_CHARS {
            Err(TitleError::TooLong)
        } else if title.chars().any(char::is_control) {
            Err(TitleError::ControlCharacter)
        } else {
            Ok(Self(title.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A length of time as a player shows it: `m:ss`, or `h:mm:ss` from an hour on.
pub fn format_clock(ms: i64) -> String {
    let total = ms.max(0) / 1000;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Where a recording is on its way to playing everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaState {
    /// Being probed, converted and given a poster: `percent` done.
    Processing {
        percent: u8,
    },
    Ready,
    /// It cannot be used; `reason` tells the rep why.
    Failed {
        reason: String,
    },
}

impl MediaState {
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready)
    }

    pub fn is_processing(&self) -> bool {
        matches!(self, Self::Processing { .. })
    }
}

/// Timeline previews: one sprite image of `count` frames, each `width` ×
/// `height` pixels, `columns` to a row, the frame at `i × every_ms` in
/// place `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLayout {
    pub every_ms: i64,
    pub columns: u32,
    pub count: u32,
    pub width: u32,
    pub height: u32,
}

impl PreviewLayout {
    /// The frame to show for the moment `at_ms`: its top-left corner in the
    /// sprite, in pixels.
    pub fn frame_at(&self, at_ms: i64) -> (u32, u32) {
        let last = self.count.saturating_sub(1);
        let index = u32::try_from(at_ms.max(0) / self.every_ms.max(1))
            .unwrap_or(u32::MAX)
            .min(last);
        let columns = self.columns.max(1);
        (
            (index % columns) * self.width,
            (index / columns) * self.height,
        )
    }

    /// The WebVTT index of the sprite, as players read thumbnails: a cue
    /// per frame, pointing at its part of `sprite_url` (`#xywh=`).
    pub fn webvtt(&self, sprite_url: &str, duration_ms: i64) -> String {
        let mut vtt = String::from("WEBVTT\n");
        for index in 0..i64::from(self.count) {
            let start = index * self.every_ms;
            if start >= duration_ms && index > 0 {
                break;
            }
            let end = ((index + 1) * self.every_ms).min(duration_ms.max(start + 1));
            let (x, y) = self.frame_at(start);
            vtt.push_str(&format!(
                "\n{} --> {}\n{sprite_url}#xywh={x},{y},{},{}\n",
                vtt_time(start),
                vtt_time(end),
                self.width,
                self.height
            ));
        }
        vtt
    }
}

/// `hh:mm:ss.ttt`, as WebVTT writes a moment.
fn vtt_time(ms: i64) -> String {
    let ms = ms.max(0);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_checked() {
        assert_eq!(
            RecordingTitle::parse("  Q3 review ").unwrap().as_str(),
            "Q3 review"
        );
        assert_eq!(RecordingTitle::parse("   "), Err(TitleError::Empty));
        assert_eq!(
            RecordingTitle::parse(&"x".repeat(201)),
            Err(TitleError::TooLong)
        );
        assert!(RecordingTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            RecordingTitle::parse("a\nb"),
            Err(TitleError::ControlCharacter)
        );
    }

    #[test]
    fn clock_uses_hours_only_past_an_hour() {
        assert_eq!(format_clock(0), "0:00");
        assert_eq!(format_clock(9_999), "0:09");
        assert_eq!(format_clock(75_000), "1:15");
        assert_eq!(format_clock(3_599_999), "59:59");
        assert_eq!(format_clock(3_600_000), "1:00:00");
        assert_eq!(format_clock(36_061_000), "10:01:01");
    }

    #[test]
    fn previews_map_a_moment_to_its_frame() {
        let layout = PreviewLayout {
            every_ms: 2000,
            columns: 10,
            count: 23,
            width: 160,
            height: 90,
        };
        assert_eq!(layout.frame_at(0), (0, 0));
        assert_eq!(layout.frame_at(1999), (0, 0));
        assert_eq!(layout.frame_at(2000), (160, 0));
        assert_eq!(layout.frame_at(21_000), (0, 90));
        assert_eq!(layout.frame_at(44_500), (2 * 160, 2 * 90));
        // Past the end and before the start: the last and the first frame.
        assert_eq!(layout.frame_at(i64::MAX), (2 * 160, 2 * 90));
        assert_eq!(layout.frame_at(-5), (0, 0));
    }

    #[test]
    fn previews_index_is_webvtt_with_a_cue_per_frame() {
        let layout = PreviewLayout {
            every_ms: 2000,
            columns: 2,
            count: 3,
            width: 160,
            height: 90,
        };
        assert_eq!(
            layout.webvtt("/p.jpg", 5_500),
            "WEBVTT\n\
             \n00:00:00.000 --> 00:00:02.000\n/p.jpg#xywh=0,0,160,90\n\
             \n00:00:02.000 --> 00:00:04.000\n/p.jpg#xywh=160,0,160,90\n\
             \n00:00:04.000 --> 00:00:05.500\n/p.jpg#xywh=0,90,160,90\n"
        );
    }
}
