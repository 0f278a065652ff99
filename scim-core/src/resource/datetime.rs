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
    DateTime(t).to_string()
}

/// An instant that displays as [`format_datetime`] writes it.
#[derive(Debug, Clone, Copy)]
pub struct DateTime(pub OffsetDateTime);

impl DateTime {
    /// The text, as fixed-width ASCII.
    pub(crate) fn to_bytes(self) -> [u8; 24] {
        // Digits written by hand: `write!` with padding showed in profiles
        // of every response (two timestamps each).
        let t = self.0.to_offset(time::UtcOffset::UTC);
        let mut buf = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                buf[i] = b'0' + u8::try_from(n % 10).unwrap_or(0);
                n /= 10;
            }
        };
        let year = u32::try_from(t.year()).unwrap_or(0).min(9999);
        put(0, 4, year);
        put(5, 2, u32::from(u8::from(t.month())));
        put(8, 2, u32::from(t.day()));
        put(11, 2, u32::from(t.hour()));
        put(14, 2, u32::from(t.minute()));
        put(17, 2, u32::from(t.second()));
        put(20, 3, u32::from(t.millisecond()));
        buf
    }
}

impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let buf = self.to_bytes();
        f.write_str(std::str::from_utf8(&buf).unwrap_or("1970-01-01T00:00:00.000Z"))
    }
}

/// The current instant, truncated to milliseconds (what
/// [`format_datetime`] keeps, so that a value survives a round trip).
#[must_use]
pub(crate) fn now() -> OffsetDateTime {
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
