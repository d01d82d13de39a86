//! UTC timestamps. The CLI reads the clock once (or takes `--as-of`); everything below receives a
//! [`Timestamp`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// A UTC instant, written as RFC 3339 with a `Z` suffix.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(pub DateTime<Utc>);

/// A text that is not an RFC 3339 timestamp.
#[derive(Debug, thiserror::Error)]
#[error("not an RFC 3339 timestamp (e.g. 2026-12-01T00:00:00Z): {0:?}")]
pub struct TimestampParseError(String);

impl Timestamp {
    /// From Unix seconds; `None` when out of range.
    pub fn from_unix(secs: i64) -> Option<Timestamp> {
        Utc.timestamp_opt(secs, 0).single().map(Timestamp)
    }

    /// Unix seconds.
    pub fn unix(&self) -> i64 {
        self.0.timestamp()
    }

    /// RFC 3339, UTC, `Z`, with sub-second digits only when present.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(&self, later: Timestamp) -> i64 {
        (later.0 - self.0).num_days()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = TimestampParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|d| Timestamp(d.with_timezone(&Utc)))
            .map_err(|_| TimestampParseError(s.chars().take(64).collect()))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_to_utc_and_prints_z() {
        let t: Timestamp = "2026-12-01T01:00:00+01:00"
            .parse()
            .ok()
            .unwrap_or_else(|| unreachable!());
        assert_eq!(t.to_rfc3339(), "2026-12-01T00:00:00Z");
        assert!("yesterday".parse::<Timestamp>().is_err());
    }
}
