//! Numbers and dates as text, written straight into bytes: the one formatting of
//! integers, decimals and dates that every output format shares (`cell` for tables
//! and JSON, `csv` for CSV text and files).

use ember_planner::scalar::date32_to_naive;

/// Two decimal digits for each value below 100.
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Appends the digits of `v`, left-padded with zeros to at least `min_digits` (at most 39).
fn push_digits(out: &mut Vec<u8>, v: u128, min_digits: usize) {
    let mut buf = [b'0'; 40];
    let mut at = buf.len();
    // Above 64 bits, divide in u128 down to a value that fits (u128 division is slow).
    let mut wide = v;
    while wide > u128::from(u64::MAX) {
        let pair = (wide % 100) as usize * 2;
        wide /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    let mut v = wide as u64;
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        buf[at] = b'0' + v as u8;
    }
    // The buffer starts as zeros: padding is moving the start back.
    at = at.min(buf.len().saturating_sub(min_digits));
    out.extend_from_slice(&buf[at..]);
}

/// The digits of `v`, with a `-` when negative.
pub(super) fn push_i128(out: &mut Vec<u8>, v: i128) {
    if v < 0 {
        out.push(b'-');
    }
    push_digits(out, v.unsigned_abs(), 1);
}

/// An unscaled decimal at `scale` (`12340` at scale 2 is `123.40`), as
/// `ember_planner::scalar::format_decimal` formats it.
pub(super) fn push_decimal(out: &mut Vec<u8>, v: i128, scale: i8) {
    if scale <= 0 {
        push_i128(out, v);
        out.resize(out.len() + usize::from(scale.unsigned_abs()), b'0');
        return;
    }
    if v < 0 {
        out.push(b'-');
    }
    let digits = usize::from(scale.unsigned_abs());
    let unit = 10u128.pow(u32::from(scale.unsigned_abs()));
    let magnitude = v.unsigned_abs();
    push_digits(out, magnitude / unit, 1);
    out.push(b'.');
    push_digits(out, magnitude % unit, digits);
}

/// A date as `YYYY-MM-DD` (years outside 0..=9999 as chrono prints them).
pub(super) fn push_date(out: &mut Vec<u8>, days: i32) {
    // Years 0 to 9999: days -719528 to 2932896.
    if (-719_528..=2_932_896).contains(&days) {
        let (y, m, d) = civil_from_days(i64::from(days));
        push_digits(out, y as u128, 4);
        out.push(b'-');
        push_digits(out, u128::from(m), 2);
        out.push(b'-');
        push_digits(out, u128::from(d), 2);
        return;
    }
    let text = match date32_to_naive(days) {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => days.to_string(),
    };
    out.extend_from_slice(text.as_bytes());
}

/// Year, month and day of the proleptic Gregorian calendar for days since 1970-01-01
/// (counting in 400-year eras of 146,097 days, each starting on a March 1).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
