//! Time as the server keeps it: Unix milliseconds, and the few conversions around them.

/// Unix time in milliseconds: what the stores, the activity and the history hold.
pub type Millis = i64;

/// Now, in [`Millis`].
pub fn now_ms() -> Millis {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// `ms` as a date-time (the epoch for a value out of range).
pub fn to_datetime(ms: Millis) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `ms` in RFC 3339 (`2026-11-30T12:54:13.123Z`), as every JSON answer gives times.
pub fn rfc3339(ms: Millis) -> String {
    to_datetime(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `2026-11-30 20:15 UTC`: a time every language in a mail reads alike.
pub fn mail_time(ms: i64) -> String {
    let at = to_datetime(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_read_as_rfc_3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_507_253_123), "2025-11-30T12:54:13.123Z");
        assert!(now_ms() > 1_764_507_253_123);
    }
}
