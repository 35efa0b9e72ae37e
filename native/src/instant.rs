//! RFC 3339 timestamps to microseconds since the Unix epoch, as `govmon.rules.instant`
//! computes them from the `datetime` msgspec decodes.
//!
//! Only the plain form is accepted: `YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+HH:MM|-HH:MM)`.
//! Anything else (a space or a lower-case `t`, more than 6 fraction digits, a second
//! of 60, an impossible date) returns `None` and the line goes to the Python path,
//! which accepts or refuses it with msgspec's own reason.

const US_PER_SECOND: i64 = 1_000_000;

fn digits(bytes: &[u8]) -> Option<i64> {
    let mut value: i64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(b - b'0');
    }
    Some(value)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Microseconds since the epoch of an aware RFC 3339 timestamp, or `None` (defer).
pub fn parse(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    // Python refuses instants outside 1970-01-01Z..2200-01-01Z (contract/events.py
    // `in_range`): the years at either end, whatever the offset, are left to it.
    if !(1971..=2198).contains(&year) || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month)
        || hour > 23 || minute > 59 || second > 59
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut micro = 0;
    if rest.first() == Some(&b'.') {
        let count = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if count == 0 || count > 6 {
            return None;
        }
        micro = digits(&rest[1..=count])? * 10_i64.pow(6 - count as u32);
        rest = &rest[1 + count..];
    }
    let offset = match rest {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (hours, minutes) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some((local - offset) * US_PER_SECOND + micro)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn plain_forms() {
        assert_eq!(parse("1971-01-01T00:00:00Z"), Some(31_536_000_000_000));
        assert_eq!(parse("1971-01-01T08:00:00+08:00"), Some(31_536_000_000_000));
        assert_eq!(parse("2017-01-01T00:00:23+08:00"), Some(1_483_200_023_000_000));
        assert_eq!(parse("2000-02-29T00:00:00.5Z"), Some(951_782_400_500_000));
        assert_eq!(parse("1971-01-01T07:59:59.999999+08:00"), Some(31_535_999_999_999));
    }

    #[test]
    fn deferred_forms() {
        for text in ["2017-02-29T00:00:00Z", "2017-01-01 00:00:00Z", "2017-01-01T00:00:60Z",
                     "2017-01-01T00:00:00", "2017-01-01T00:00:00.1234567Z",
                     "2017-01-01T00:00:00+0800", "0000-01-01T00:00:00Z", "2017-01-01t00:00:00Z",
                     "1970-01-01T00:00:00Z", "2199-12-31T23:59:59Z", "9999-12-31T23:59:59Z"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
