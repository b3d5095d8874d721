//! Calendar dates of Unix time, UTC, without a time crate (the browser's wasm shares them).

/// `YYYY-MM-DD` (UTC) of Unix milliseconds.
pub fn format_date(ms: i64) -> String {
    // Civil date from Unix days (Howard Hinnant's algorithm), UTC; no time crate in the wasm.
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM` (UTC) of Unix milliseconds.
pub fn format_time(ms: i64) -> String {
    let minutes = ms.div_euclid(60_000).rem_euclid(24 * 60);
    format!(
        "{} {:02}:{:02} UTC",
        format_date(ms),
        minutes / 60,
        minutes % 60
    )
}

/// `YYYY-MM-DD` to Unix days (the inverse of `format_date`); `None` for anything else,
/// including impossible dates like 2026-02-30.
pub fn parse_date(input: &str) -> Option<i64> {
    let b = input.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = std::str::from_utf8(&b[r]).ok()?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y_adj = if m <= 2 { y - 1 } else { y };
    let era = y_adj.div_euclid(400);
    let yoe = y_adj - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // Round-trip to refuse days past the month's end.
    (format_date(days * 86_400_000) == input.trim()).then_some(days)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_iso_dates_and_refuses_impossible_ones() {
        assert_eq!(super::parse_date("1970-01-01"), Some(0));
        assert_eq!(super::parse_date("2026-11-25"), Some(20_782));
        assert_eq!(super::parse_date("2000-02-29"), Some(11_016));
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-11-25",
            "2026/11/25",
            "",
            "2026-1-5x",
        ] {
            assert_eq!(super::parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_unix_milliseconds_as_iso_dates() {
        assert_eq!(super::format_date(0), "1970-01-01");
        assert_eq!(super::format_date(951_782_400_000), "2000-02-29");
        assert_eq!(super::format_date(1_795_564_800_000), "2026-11-25");
    }
}
