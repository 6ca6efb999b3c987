//! Offsets and durations as people write them in scenario and drill files ("90s", "-6m",
//! "1h 30m"), and the wait until the next wall-clock second.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A signed offset in whole seconds, written `-6m`, `40s`, `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Offset(pub i64);

impl Offset {
    pub fn parse(text: &str) -> Result<Offset, String> {
        let t = text.trim();
        let (sign, rest) = match t.strip_prefix('-') {
            Some(r) => (-1, r.trim_start()),
            None => (1, t.strip_prefix('+').unwrap_or(t)),
        };
        let d = humantime::parse_duration(rest)
            .map_err(|e| format!("`{text}` is not a duration like 90s, -6m or 1h30m: {e}"))?;
        Ok(Offset(sign * d.as_secs() as i64))
    }

    pub fn after(self, base: DateTime<Utc>) -> DateTime<Utc> {
        base + chrono::Duration::seconds(self.0)
    }
}

impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Offset::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A non-negative duration written like `30m` or `1h 30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(s.trim()).map(Span).map_err(|e| {
            serde::de::Error::custom(format!("`{s}` is not a duration like 30m or 1h30m: {e}"))
        })
    }
}

/// Written back the way people write it (`30m`, `1h 30m`), so a drill file's targets read
/// the same in the journal.
impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

/// How long until the wall clock reaches the next whole second, so the 1 Hz tick changes
/// the clock digits right when a wall clock would.
pub fn until_next_second(now: DateTime<Utc>) -> Duration {
    let into = now.timestamp_subsec_nanos().min(999_999_999) as u64;
    Duration::from_nanos(1_000_000_000 - into)
}

/// The wait until just past the next whole second (2 ms, so the clock read on waking is
/// already in the new second). Every once-a-second timer of the console waits for this
/// instant, so they wake the process once a second between them, not once each.
pub fn until_tick(now: DateTime<Utc>) -> Duration {
    until_next_second(now) + Duration::from_millis(2)
}

/// `MM:SS`, or `H:MM:SS` from an hour on: the drill clock's format.
pub struct Clock(pub Duration);

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs();
        if s >= 3600 {
            write!(f, "{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        } else {
            write!(f, "{:02}:{:02}", s / 60, s % 60)
        }
    }
}

/// A compact age: `45s`, `6m`, `2h05m`, `3d04h`. Seconds only in the first minute: past
/// it nobody acts on them, and a dozen ages ticking every second would make an idle screen
/// redraw (and send) all of them every second.
pub struct Age(pub Duration);

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs();
        match s {
            0..60 => write!(f, "{s}s"),
            60..3600 => write!(f, "{}m", s / 60),
            3600..86400 => write!(f, "{}h{:02}m", s / 3600, s / 60 % 60),
            _ => write!(f, "{}d{:02}h", s / 86400, s / 3600 % 24),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn offsets_parse_with_sign() {
        assert_eq!(Offset::parse("-6m"), Ok(Offset(-360)));
        assert_eq!(Offset::parse("1h30m"), Ok(Offset(5400)));
        assert_eq!(Offset::parse("+40s"), Ok(Offset(40)));
        assert!(
            Offset::parse("soon")
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn next_second_alignment() {
        let t = Utc.timestamp_opt(100, 250_000_000).unwrap();
        assert_eq!(until_next_second(t), Duration::from_millis(750));
        let t = Utc.timestamp_opt(100, 0).unwrap();
        assert_eq!(until_next_second(t), Duration::from_secs(1));
    }

    #[test]
    fn clock_and_age_formats() {
        assert_eq!(Clock(Duration::from_secs(754)).to_string(), "12:34");
        assert_eq!(Clock(Duration::from_secs(3754)).to_string(), "1:02:34");
        assert_eq!(Age(Duration::from_secs(45)).to_string(), "45s");
        assert_eq!(Age(Duration::from_secs(372)).to_string(), "6m");
        assert_eq!(Age(Duration::from_secs(7500)).to_string(), "2h05m");
        assert_eq!(Age(Duration::from_secs(273600)).to_string(), "3d04h");
    }
}
