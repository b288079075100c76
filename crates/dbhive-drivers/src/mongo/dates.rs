//! BSON dates (milliseconds since 1970, UTC) to and from ISO-8601 text, for every year BSON
//! can hold, without a calendar library.

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The parts of a date: year, month, day, hour, minute, second, millisecond.
pub(crate) fn parts(millis: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let days = millis.div_euclid(MS_PER_DAY);
    let rem = millis.rem_euclid(MS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let secs = (rem / 1000) as u32;
    (
        y,
        mo,
        d,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        (rem % 1000) as u32,
    )
}

/// True for dates from 1970 to 9999, which relaxed Extended JSON writes as ISO text.
pub(crate) fn relaxed_range(millis: i64) -> bool {
    (0..=253_402_300_799_999).contains(&millis)
}

/// `2024-01-02T03:04:05.678Z`; `.mmm` only when `always_millis` or there are some. Years
/// outside 0..=9999 get a sign and six digits, as ISO-8601's expanded form.
pub(crate) fn iso(millis: i64, always_millis: bool) -> String {
    let (y, mo, d, h, mi, s, ms) = parts(millis);
    let year = if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else if y < 0 {
        format!("-{:06}", -y)
    } else {
        format!("+{y:06}")
    };
    let frac = if always_millis || ms != 0 {
        format!(".{ms:03}")
    } else {
        String::new()
    };
    format!("{year}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}Z")
}

/// Parses the date forms mongosh's `ISODate()` and `new Date("...")` take: `YYYY-MM-DD`,
/// optionally `THH:MM[:SS[.fff]]` (or a space for the T), then `Z`, `±HH:MM`, `±HHMM` or
/// nothing (UTC, as ISODate reads it).
pub(crate) fn parse_iso(text: &str) -> Option<i64> {
    let t = text.trim();
    let b = t.as_bytes();
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (sign, rest) = match b.first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => (1, t),
    };
    let mut fields = rest.splitn(3, '-');
    let year = sign * num(fields.next()?)?;
    let month = num(fields.next()?)? as u32;
    let tail = fields.next()?;
    let (day_text, time) = match tail.find(['T', 't', ' ']) {
        Some(i) => (&tail[..i], Some(&tail[i + 1..])),
        None => (tail, None),
    };
    let day = num(day_text)? as u32;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day).checked_mul(MS_PER_DAY)?;
    if let Some(time) = time {
        let (clock, offset_ms) = split_zone(time)?;
        let mut hms = clock.splitn(3, ':');
        let h = num(hms.next()?)?;
        let mi = num(hms.next()?)?;
        let (s, frac) = match hms.next() {
            Some(sec) => match sec.split_once('.') {
                Some((s, f)) => (num(s)?, Some(f)),
                None => (num(sec)?, None),
            },
            None => (0, None),
        };
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let ms = match frac {
            Some(f) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => {
                let digits: String = f.chars().chain("000".chars()).take(3).collect();
                digits.parse::<i64>().ok()?
            }
            Some(_) => return None,
            None => 0,
        };
        millis = millis.checked_add(((h * 60 + mi) * 60 + s) * 1000 + ms)?;
        millis = millis.checked_sub(offset_ms)?;
    }
    Some(millis)
}

fn split_zone(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    if let Some(i) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(i);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let h: i64 = digits[..2].parse().ok()?;
        let m: i64 = digits[2..].parse().ok()?;
        return Some((clock, sign * (h * 60 + m) * 60_000));
    }
    Some((time, 0))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips_across_the_range() {
        for ms in [
            0,
            1,
            -1,
            951_782_400_000,
            253_402_300_799_999,
            253_402_300_800_000,
            -62_135_596_800_001,
            i64::MAX / 2,
            i64::MIN / 2,
        ] {
            let text = iso(ms, true);
            assert_eq!(parse_iso(&text), Some(ms), "{ms} -> {text}");
        }
        assert_eq!(iso(0, false), "1970-01-01T00:00:00Z");
        assert_eq!(iso(-1, true), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso(951_782_400_000, true), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parses_the_forms_people_type() {
        assert_eq!(parse_iso("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_iso("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_iso("1970-01-01 00:00:01.5Z"), Some(1500));
        assert_eq!(parse_iso("1970-01-01T00:01"), Some(60_000));
        assert_eq!(parse_iso("2023-02-29"), None);
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(parse_iso("2020-01-01T25:00Z"), None);
    }
}
