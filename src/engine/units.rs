//! Quantities as users write them, read in one place for every caller:
//! Go durations (`"1m30s"`, `"500ms"`) and sizes (`"512m"`, `"1.5g"`).

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

/// `"512m"`, `"1.5g"`, `"100k"`, `"1024"` (a trailing `b` allowed) as
/// bytes. `Err(true)` when it is a size but too large for 64 bits (an error
/// to report, never a wrapped number), `Err(false)` when it is not a size.
pub fn parse_bytes(text: &str) -> Result<i64, bool> {
    let lower = text.trim().to_ascii_lowercase();
    let lower = lower.strip_suffix('b').unwrap_or(&lower);
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    if digits.is_empty() {
        return Err(false);
    }
    let scale: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return Err(false),
    };
    if let Ok(n) = digits.parse::<u64>() {
        return n
            .checked_mul(scale)
            .and_then(|b| i64::try_from(b).ok())
            .ok_or(true);
    }
    let n: f64 = digits.parse().map_err(|_| false)?;
    let bytes = (n * scale as f64).round();
    if !bytes.is_finite() || bytes >= i64::MAX as f64 {
        return Err(true);
    }
    Ok(bytes as i64)
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
    fn sizes() {
        assert_eq!(parse_bytes("512m"), Ok(512 << 20));
        assert_eq!(parse_bytes("1gb"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5k"), Ok(1536));
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("17179869185g"), Err(true));
        assert_eq!(parse_bytes("99999999999999999999"), Err(true));
        for bad in ["", "12q", "g", "-1m"] {
            assert_eq!(parse_bytes(bad), Err(false), "{bad}");
        }
    }
}
