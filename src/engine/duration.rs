//! Durations and times as users write them: Go's `"1m30s"`, `"500ms"`,
//! `"10m"`; and `since`/`until` values, where a duration means "that long
//! ago", as the docker CLI reads them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `"1h2m3.5s"`, `"250ms"`, `"10us"`, `"0"`: a Go duration, as nanoseconds.
/// `None` when `text` is not one.
pub fn parse_nanos(text: &str) -> Option<i64> {
    let text = text.trim();
    if text == "0" {
        return Some(0);
    }
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    (total.is_finite() && total < i64::MAX as f64).then_some(total.round() as i64)
}

/// A `since`/`until` value for the engine: a duration (`"10m"`) becomes the
/// Unix time that long ago; anything else (Unix seconds, an RFC 3339 time)
/// is passed on as written, for the engine to judge.
pub fn time_param(text: &str) -> String {
    match parse_nanos(text) {
        Some(nanos) if text.trim() != "0" => {
            let ago = Duration::from_nanos(nanos.max(0) as u64);
            let then = SystemTime::now()
                .checked_sub(ago)
                .unwrap_or(UNIX_EPOCH)
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            format!("{}.{:09}", then.as_secs(), then.subsec_nanos())
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_nanos("1s"), Some(1_000_000_000));
        assert_eq!(parse_nanos("1m30s"), Some(90_000_000_000));
        assert_eq!(parse_nanos("1.5h"), Some(5_400_000_000_000));
        assert_eq!(parse_nanos("250ms"), Some(250_000_000));
        assert_eq!(parse_nanos("0"), Some(0));
        for bad in ["", "10", "1x", "s", "1s2", "-1s"] {
            assert_eq!(parse_nanos(bad), None, "{bad}");
        }
    }

    #[test]
    fn since_values() {
        assert_eq!(time_param("1700000000"), "1700000000");
        assert_eq!(time_param("2024-01-01T00:00:00Z"), "2024-01-01T00:00:00Z");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let ago: f64 = time_param("10m").parse().unwrap();
        assert!((now as f64 - 600.0 - ago).abs() < 5.0, "{ago}");
    }
}
