//! How much of a recording a recipient watched. The viewer reports the
//! stretches it played; they are merged per recipient, so watching the same
//! minute twice counts once and what was skipped does not count at all.

use serde::{Deserialize, Serialize};

/// At most this many ranges in one report (a report comes every few seconds).
pub const MAX_RANGES_PER_REPORT: usize = 100;
/// Players may report a little past the container's stated duration.
const END_TOLERANCE_MS: i64 = 1_000;
/// Stretches are kept to the second (each end rounded to the nearest), so
/// what one recipient's reports can store is bounded by the recording's
/// length (at most one stretch per two seconds), however many are sent.
pub const WATCH_RESOLUTION_MS: i64 = 1_000;

/// One stretch played, in milliseconds from the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watched {
    pub start_ms: i64,
    pub end_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    #[error("a watched range must be two numbers")]
    NotANumber,
    #[error("a watched range must lie within the recording")]
    OutOfRange,
    #[error("a watched range must end after it starts")]
    Backwards,
    #[error("too many watched ranges in one report")]
    TooMany,
}

/// Reads a report from the viewer (`[[start, end], …]` in seconds) against
/// the recording's duration. One bad range refuses the whole report.
pub fn parse_watch_report(
    ranges: &[[f64; 2]],
    duration_ms: i64,
) -> Result<Vec<Watched>, WatchError> {
    if ranges.len() > MAX_RANGES_PER_REPORT {
        return Err(WatchError::TooMany);
    }
    let mut parsed = Vec::with_capacity(ranges.len());
    for &[start, end] in ranges {
        if !start.is_finite() || !end.is_finite() {
            return Err(WatchError::NotANumber);
        }
        let (start_ms, end_ms) = ((start * 1000.0).round(), (end * 1000.0).round());
        if start_ms < 0.0 || end_ms > (duration_ms + END_TOLERANCE_MS) as f64 {
            return Err(WatchError::OutOfRange);
        }
        if end_ms < start_ms {
            return Err(WatchError::Backwards);
        }
        let to_second =
            |ms: f64| (ms / WATCH_RESOLUTION_MS as f64).round() as i64 * WATCH_RESOLUTION_MS;
        let (start_ms, end_ms) = (to_second(start_ms), to_second(end_ms).min(duration_ms));
        if end_ms > start_ms {
            parsed.push(Watched { start_ms, end_ms });
        }
    }
    Ok(parsed)
}

/// `known` (sorted, disjoint) with `new` added: sorted, disjoint, with
/// overlapping or touching ranges joined.
pub fn merge_watched(known: &[Watched], new: &[Watched]) -> Vec<Watched> {
    let mut all: Vec<Watched> = known.iter().chain(new).copied().collect();
    all.sort_by_key(|w| (w.start_ms, w.end_ms));
    let mut merged: Vec<Watched> = Vec::with_capacity(all.len());
    for range in all {
        match merged.last_mut() {
            Some(last) if range.start_ms <= last.end_ms => {
                last.end_ms = last.end_ms.max(range.end_ms)
            }
            _ => merged.push(range),
        }
    }
    merged
}

/// How much of the recording the (merged) ranges cover, in percent.
pub fn percent_watched(ranges: &[Watched], duration_ms: i64) -> u8 {
    if duration_ms <= 0 {
        return 0;
    }
    let seen: i64 = ranges.iter().map(|w| w.end_ms - w.start_ms).sum();
    ((seen.clamp(0, duration_ms) * 100) / duration_ms) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn w(start_s: i64, end_s: i64) -> Watched {
        Watched {
            start_ms: start_s * 1000,
            end_ms: end_s * 1000,
        }
    }

    fn watch(reports: &[&[[f64; 2]]], duration_ms: i64) -> Vec<Watched> {
        reports.iter().fold(Vec::new(), |known, report| {
            merge_watched(&known, &parse_watch_report(report, duration_ms).unwrap())
        })
    }

    #[test]
    fn overlapping_and_repeated_ranges_count_once() {
        let ranges = watch(&[&[[0.0, 10.0]], &[[5.0, 15.0]], &[[0.0, 10.0]]], MINUTE);
        assert_eq!(ranges, vec![w(0, 15)]);
        assert_eq!(percent_watched(&ranges, MINUTE), 25);
    }

    #[test]
    fn skipped_parts_do_not_count_and_order_does_not_matter() {
        let ranges = watch(&[&[[20.0, 30.0]], &[[0.0, 10.0]]], MINUTE);
        assert_eq!(ranges, vec![w(0, 10), w(20, 30)]);
        // Not the furthest point (30 s = 50 %): what was seen.
        assert_eq!(percent_watched(&ranges, MINUTE), 33);
        let filled = watch(&[&[[20.0, 30.0], [0.0, 10.0]], &[[10.0, 20.0]]], MINUTE);
        assert_eq!(filled, vec![w(0, 30)]);
    }

    #[test]
    fn touching_ranges_join_and_the_whole_recording_is_100() {
        let ranges = watch(&[&[[0.0, 30.0], [30.0, 60.0]]], MINUTE);
        assert_eq!(ranges, vec![w(0, 60)]);
        assert_eq!(percent_watched(&ranges, MINUTE), 100);
    }

    #[test]
    fn bogus_ranges_are_refused() {
        for (report, error) in [
            (vec![[-1.0, 5.0]], WatchError::OutOfRange),
            (vec![[0.0, 62.0]], WatchError::OutOfRange),
            (vec![[f64::NAN, 5.0]], WatchError::NotANumber),
            (vec![[0.0, f64::INFINITY]], WatchError::NotANumber),
            (vec![[10.0, 5.0]], WatchError::Backwards),
            (
                vec![[0.0, 1.0]; MAX_RANGES_PER_REPORT + 1],
                WatchError::TooMany,
            ),
        ] {
            assert_eq!(
                parse_watch_report(&report, MINUTE),
                Err(error),
                "{report:?}"
            );
        }
        // One bad range refuses the report, good ones with it included.
        assert_eq!(
            parse_watch_report(&[[0.0, 5.0], [f64::NAN, 1.0]], MINUTE),
            Err(WatchError::NotANumber)
        );
    }

    #[test]
    fn a_player_reporting_just_past_the_end_is_clamped_and_empty_ranges_dropped() {
        assert_eq!(
            parse_watch_report(&[[50.0, 60.4]], MINUTE),
            Ok(vec![w(50, 60)])
        );
        assert_eq!(parse_watch_report(&[[7.0, 7.0]], MINUTE), Ok(vec![]));
    }

    #[test]
    fn stretches_are_kept_to_the_second_so_storage_is_bounded_by_the_length() {
        assert_eq!(
            parse_watch_report(&[[7.2, 8.4], [10.6, 19.5]], MINUTE),
            Ok(vec![w(7, 8), w(11, 20)])
        );
        assert_eq!(parse_watch_report(&[[7.2, 7.4]], MINUTE), Ok(vec![]));
        // Ten thousand tiny stretches anywhere in a minute: at most one
        // stretch per two seconds is left.
        let mut known = Vec::new();
        for n in 0..10_000 {
            let at = (n * 37 % 600) as f64 / 10.0;
            let report = parse_watch_report(&[[at, at + 0.01]], MINUTE).unwrap();
            known = merge_watched(&known, &report);
        }
        assert!(known.len() <= 30, "{} stretches", known.len());
    }
}
