//! `xsd:dateTime` values: RFC 3339 with an offset, or without one (read as
//! UTC), as identity providers send both.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Parses an `xsd:dateTime`: `2011-05-13T04:42:34Z`,
/// `2011-05-13T04:42:34.5+02:00`, or `2011-05-13T04:42:34` (read as UTC).
#[must_use]
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let local = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(s, local)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Formats an instant as RFC 3339 in UTC with millisecond precision, e.g.
/// `2026-11-22T16:29:39.123Z`.
#[must_use]
pub fn format_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let (year, month, day) = (t.year(), u8::from(t.month()), t.day());
    let (h, m, s, ms) = (t.hour(), t.minute(), t.second(), t.millisecond());
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// The current instant, truncated to milliseconds (what
/// [`format_datetime`] keeps, so that a value survives a round trip).
#[must_use]
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        let a = parse_datetime("2011-05-13T04:42:34Z").unwrap();
        let b = parse_datetime("2011-05-13T06:42:34+02:00").unwrap();
        let c = parse_datetime("2011-05-13T04:42:34").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert!(parse_datetime("yesterday").is_none());
        assert_eq!(format_datetime(a), "2011-05-13T04:42:34.000Z");
    }

    #[test]
    fn now_round_trips() {
        let t = now();
        assert_eq!(parse_datetime(&format_datetime(t)), Some(t));
    }
}
