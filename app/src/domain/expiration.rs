//! When a share's links stop working.
//!
//! A preset of N days from start date S expires at 00:00 of S+N in the rep's
//! time zone; a custom end date D works through the whole of D (so it expires
//! at 00:00 of the day after). Dates are civil dates; only [`Expiration::expires_at`]
//! needs the time zone, so the browser can run the rest.

use jiff::{ToSpan, civil::Date, tz::TimeZone};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryPreset {
    Days30,
    Days60,
    Days90,
    Year1,
    Custom,
}

impl ExpiryPreset {
    pub const ALL: [ExpiryPreset; 5] = [
        Self::Days30,
        Self::Days60,
        Self::Days90,
        Self::Year1,
        Self::Custom,
    ];

    /// What the Expiration menu shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Days30 => "30 Days",
            Self::Days60 => "60 Days",
            Self::Days90 => "90 Days",
            Self::Year1 => "1 Year",
            Self::Custom => "Custom",
        }
    }

    /// A stable name for storage and form values.
    pub fn key(self) -> &'static str {
        match self {
            Self::Days30 => "30d",
            Self::Days60 => "60d",
            Self::Days90 => "90d",
            Self::Year1 => "1y",
            Self::Custom => "custom",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }
}

/// An expiration the rep chose, already checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiration {
    preset: ExpiryPreset,
    start: Date,
    end: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExpirationError {
    #[error("Pick a start date.")]
    BadStartDate,
    #[error("Pick an end date.")]
    BadEndDate,
    #[error("The end date must be on or after the start date.")]
    EndBeforeStart,
    #[error("The end date has passed. Pick today or a later day.")]
    EndPassed,
    #[error("With that start date the link would already have expired.")]
    AlreadyExpired,
}

impl Expiration {
    /// Checks a choice against `today`, the rep's current date.
    pub fn parse(
        preset: ExpiryPreset,
        start: &str,
        end: Option<&str>,
        today: Date,
    ) -> Result<Self, ExpirationError> {
        let start: Date = start
            .trim()
            .parse()
            .map_err(|_| ExpirationError::BadStartDate)?;
        let end = match preset {
            ExpiryPreset::Custom => {
                let end: Date = end
                    .unwrap_or("")
                    .trim()
                    .parse()
                    .map_err(|_| ExpirationError::BadEndDate)?;
                if end < start {
                    return Err(ExpirationError::EndBeforeStart);
                }
                if end < today {
                    return Err(ExpirationError::EndPassed);
                }
                Some(end)
            }
            _ => None,
        };
        let expiration = Self { preset, start, end };
        if expiration.first_expired_day() <= today {
            return Err(ExpirationError::AlreadyExpired);
        }
        Ok(expiration)
    }

    /// An expiration read back from storage, without the checks against
    /// today that applied when it was chosen.
    pub fn from_stored(preset: ExpiryPreset, start: Date, end: Option<Date>) -> Self {
        let end = if preset == ExpiryPreset::Custom {
            end.or(Some(start))
        } else {
            None
        };
        Self { preset, start, end }
    }

    /// The default for a new share: 30 days from today.
    pub fn default_from(today: Date) -> Self {
        Self {
            preset: ExpiryPreset::Days30,
            start: today,
            end: None,
        }
    }

    pub fn preset(&self) -> ExpiryPreset {
        self.preset
    }

    pub fn start(&self) -> Date {
        self.start
    }

    pub fn end(&self) -> Option<Date> {
        self.end
    }

    /// The day at whose first moment the link stops working.
    pub fn first_expired_day(&self) -> Date {
        let add = |span: jiff::Span| self.start.saturating_add(span);
        match self.preset {
            ExpiryPreset::Days30 => add(30.days()),
            ExpiryPreset::Days60 => add(60.days()),
            ExpiryPreset::Days90 => add(90.days()),
            // Feb 29 plus a year is Feb 28: the link never outlives a year.
            ExpiryPreset::Year1 => add(1.year()),
            ExpiryPreset::Custom => self
                .end
                .unwrap_or(self.start)
                .tomorrow()
                .unwrap_or(Date::MAX),
        }
    }

    /// The last day on which the link works (all of it).
    pub fn last_day(&self) -> Date {
        self.first_expired_day().yesterday().unwrap_or(Date::MIN)
    }

    /// The instant the link stops working: 00:00 of [`Self::first_expired_day`] in `tz`.
    pub fn expires_at(&self, tz: &TimeZone) -> jiff::Timestamp {
        self.first_expired_day()
            .to_zoned_datetime(tz.clone())
            .and_then(|day| day.start_of_day())
            .map(|start| start.timestamp())
            .unwrap_or(jiff::Timestamp::MAX)
    }

    /// "Link works until Tue, Mar 3, 2026".
    pub fn works_until(&self) -> String {
        format!("Link works until {}", long_date(self.last_day()))
    }
}

/// "Tue, Mar 3, 2026".
pub fn long_date(date: Date) -> String {
    date.strftime("%a, %b %-d, %Y").to_string()
}

/// The last day a link expiring at `expires_at` works, in `time_zone` (it
/// stops at the first moment of the next day there).
pub fn last_day_of(expires_at: jiff::Timestamp, time_zone: &str) -> Date {
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let first_expired_day = expires_at.to_zoned_datetime(tz).date();
    first_expired_day.yesterday().unwrap_or(first_expired_day)
}

/// "Tue, Mar 3, 2026": [`last_day_of`] as the pages and emails show it.
pub fn available_until(expires_at: jiff::Timestamp, time_zone: &str) -> String {
    long_date(last_day_of(expires_at, time_zone))
}

/// A new last day chosen for a share that was already sent: any valid date,
/// today or earlier included (ending the links is what a rep may want).
/// The start moves back with it when needed, so the custom range stays whole.
pub fn ended_on(current: &Expiration, end: &str) -> Result<Expiration, ExpirationError> {
    let end: Date = end
        .trim()
        .parse()
        .map_err(|_| ExpirationError::BadEndDate)?;
    Ok(Expiration::from_stored(
        ExpiryPreset::Custom,
        current.start().min(end),
        Some(end),
    ))
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn parse(
        preset: ExpiryPreset,
        start: &str,
        end: Option<&str>,
        today: Date,
    ) -> Result<Expiration, ExpirationError> {
        Expiration::parse(preset, start, end, today)
    }

    #[test]
    fn presets_count_days_from_the_start_date() {
        let today = date(2026, 2, 1);
        let e = parse(ExpiryPreset::Days30, "2026-02-01", None, today).unwrap();
        assert_eq!(e.first_expired_day(), date(2026, 3, 3));
        assert_eq!(e.works_until(), "Link works until Mon, Mar 2, 2026");
        let e = parse(ExpiryPreset::Days60, "2026-02-01", None, today).unwrap();
        assert_eq!(e.first_expired_day(), date(2026, 4, 2));
        let e = parse(ExpiryPreset::Days90, "2026-02-01", None, today).unwrap();
        assert_eq!(e.first_expired_day(), date(2026, 5, 2));
        let e = parse(ExpiryPreset::Year1, "2026-02-01", None, today).unwrap();
        assert_eq!(e.first_expired_day(), date(2027, 2, 1));
    }

    #[test]
    fn leap_days_are_counted_and_never_invented() {
        let today = date(2028, 1, 1);
        // 30 days from Jan 30 of a leap year lands on Feb 29.
        let e = parse(ExpiryPreset::Days30, "2028-01-30", None, today).unwrap();
        assert_eq!(e.first_expired_day(), date(2028, 2, 29));
        // A year from Feb 29 ends on Feb 28 of the next year.
        let e = parse(ExpiryPreset::Year1, "2028-02-29", None, today).unwrap();
        assert_eq!(e.first_expired_day(), date(2029, 2, 28));
        // A custom end of Feb 29 works through Feb 29.
        let e = parse(
            ExpiryPreset::Custom,
            "2028-02-01",
            Some("2028-02-29"),
            today,
        )
        .unwrap();
        assert_eq!(e.first_expired_day(), date(2028, 3, 1));
        assert_eq!(e.works_until(), "Link works until Tue, Feb 29, 2028");
    }

    #[test]
    fn expiry_is_midnight_in_the_reps_zone_across_daylight_saving() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        let today = date(2026, 3, 1);
        // Starts in winter (EST, UTC-5); 30 days later is summer time (EDT, UTC-4).
        let e = parse(ExpiryPreset::Days30, "2026-03-01", None, today).unwrap();
        assert_eq!(e.expires_at(&new_york).to_string(), "2026-03-31T04:00:00Z");
        // And back: from summer into winter.
        let e = parse(ExpiryPreset::Days30, "2026-10-20", None, today).unwrap();
        assert_eq!(e.expires_at(&new_york).to_string(), "2026-11-19T05:00:00Z");
        // The same choice in another zone is another instant.
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(e.expires_at(&tokyo).to_string(), "2026-11-18T15:00:00Z");
    }

    #[test]
    fn midnight_that_does_not_exist_becomes_the_start_of_that_day() {
        // Santiago skips 00:00-01:00 when summer time starts (2026-09-06).
        let santiago = TimeZone::get("America/Santiago").unwrap();
        let e = parse(
            ExpiryPreset::Custom,
            "2026-09-01",
            Some("2026-09-05"),
            date(2026, 9, 1),
        )
        .unwrap();
        let at = e.expires_at(&santiago).to_zoned_datetime(santiago.clone());
        assert_eq!(at.date(), date(2026, 9, 6));
        assert_eq!(at.hour(), 1);
    }

    #[test]
    fn custom_end_dates_in_the_past_or_before_the_start_are_refused() {
        let today = date(2026, 6, 15);
        assert_eq!(
            parse(
                ExpiryPreset::Custom,
                "2026-06-15",
                Some("2026-06-14"),
                today
            ),
            Err(ExpirationError::EndBeforeStart)
        );
        assert_eq!(
            parse(
                ExpiryPreset::Custom,
                "2026-06-01",
                Some("2026-06-14"),
                today
            ),
            Err(ExpirationError::EndPassed)
        );
        assert!(
            parse(
                ExpiryPreset::Custom,
                "2026-06-01",
                Some("2026-06-15"),
                today
            )
            .is_ok(),
            "today still works"
        );
        assert_eq!(
            parse(ExpiryPreset::Custom, "2026-06-15", None, today),
            Err(ExpirationError::BadEndDate)
        );
        assert_eq!(
            parse(ExpiryPreset::Days30, "June 1st", None, today),
            Err(ExpirationError::BadStartDate)
        );
        assert_eq!(
            parse(ExpiryPreset::Days30, "2026-05-01", None, today),
            Err(ExpirationError::AlreadyExpired)
        );
    }

    #[test]
    fn a_new_last_day_may_be_in_the_past_and_pulls_the_start_back() {
        let current = parse(ExpiryPreset::Days30, "2026-06-10", None, date(2026, 6, 10)).unwrap();
        let later = ended_on(&current, "2026-08-01").unwrap();
        assert_eq!(
            (later.start(), later.last_day()),
            (date(2026, 6, 10), date(2026, 8, 1))
        );
        let past = ended_on(&current, " 2026-06-01 ").unwrap();
        assert_eq!(past.preset(), ExpiryPreset::Custom);
        assert_eq!(
            (past.start(), past.last_day()),
            (date(2026, 6, 1), date(2026, 6, 1))
        );
        let utc = TimeZone::UTC;
        assert_eq!(past.expires_at(&utc).to_string(), "2026-06-02T00:00:00Z");
        assert_eq!(last_day_of(past.expires_at(&utc), "UTC"), date(2026, 6, 1));
        assert_eq!(
            ended_on(&current, "someday"),
            Err(ExpirationError::BadEndDate)
        );
        assert_eq!(ended_on(&current, ""), Err(ExpirationError::BadEndDate));
    }

    #[test]
    fn preset_keys_round_trip() {
        for preset in ExpiryPreset::ALL {
            assert_eq!(ExpiryPreset::from_key(preset.key()), Some(preset));
        }
        assert_eq!(ExpiryPreset::from_key("7d"), None);
    }
}
