//! Date templates as `to_char` and `to_date` read them: `YYYY-MM-DD HH24:MI:SS`,
//! `Mon`, `Month`, `Day`, `Dy`, `DDD`, `Q`, `IW`, `AM`, quoted literal text, and the
//! `FM` prefix that drops padding. Anything else is copied as it is.
//!
//! In: a template. Out: text for a date-time ([`format`]), or a chrono format string
//! for parsing ([`to_chrono`]).

use chrono::{Datelike, NaiveDateTime, Timelike};

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// A field, with fill mode (no padding) when `FM` came before it.
    Field(&'static str, bool),
    /// Text copied as it is.
    Literal(String),
}

/// Field names, longest first so that `HH24` wins over `HH` and `MONTH` over `MON`.
const FIELDS: &[&str] = &[
    "HH24", "HH12", "YYYY", "MONTH", "Month", "month", "DDD", "DAY", "Day", "day", "MON", "Mon",
    "mon", "IW", "ID", "HH", "YY", "MM", "MI", "MS", "US", "SS", "DD", "DY", "Dy", "dy", "AM",
    "PM", "am", "pm", "Q", "D",
];

/// Fields whose case does not matter (numbers).
const NUMERIC: &[&str] = &[
    "HH24", "HH12", "YYYY", "DDD", "IW", "ID", "HH", "YY", "MM", "MI", "MS", "US", "SS", "DD", "Q",
    "D",
];

fn pieces(template: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut fill = false;
    'outer: while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            out.push(Piece::Literal(quoted[..end].to_string()));
            rest = quoted.get(end + 1..).unwrap_or("");
            continue;
        }
        if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case("FM") {
            fill = true;
            rest = &rest[2..];
            continue;
        }
        for f in FIELDS {
            let n = f.len();
            let Some(head) = rest.get(..n) else { continue };
            let hit = if NUMERIC.contains(f) {
                head.eq_ignore_ascii_case(f)
            } else {
                head == *f
            };
            if hit {
                out.push(Piece::Field(f, fill));
                fill = false;
                rest = &rest[n..];
                continue 'outer;
            }
        }
        let ch = rest.chars().next().unwrap_or(' ');
        match out.last_mut() {
            Some(Piece::Literal(s)) => s.push(ch),
            _ => out.push(Piece::Literal(ch.to_string())),
        }
        rest = &rest[ch.len_utf8()..];
    }
    out
}

/// `t` written with `template`.
pub(crate) fn format(t: &NaiveDateTime, template: &str) -> String {
    let mut out = String::new();
    for p in pieces(template) {
        match p {
            Piece::Literal(s) => out.push_str(&s),
            Piece::Field(f, fill) => out.push_str(&field(t, f, fill)),
        }
    }
    out
}

fn field(t: &NaiveDateTime, f: &str, fill: bool) -> String {
    let num = |v: i64, width: usize| {
        if fill {
            v.to_string()
        } else {
            format!("{v:0width$}")
        }
    };
    let text = |s: String| {
        if fill { s } else { format!("{s:<9}") }
    };
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    match f.to_ascii_uppercase().as_str() {
        "YYYY" => num(t.year() as i64, 4),
        "YY" => num((t.year() % 100) as i64, 2),
        "MM" => num(t.month() as i64, 2),
        "DD" => num(t.day() as i64, 2),
        "DDD" => num(t.ordinal() as i64, 3),
        "D" => num(t.weekday().num_days_from_sunday() as i64 + 1, 1),
        "ID" => num(t.weekday().number_from_monday() as i64, 1),
        "IW" => num(t.iso_week().week() as i64, 2),
        "Q" => num((t.month0() / 3 + 1) as i64, 1),
        "HH24" => num(t.hour() as i64, 2),
        "HH12" | "HH" => num(hour12 as i64, 2),
        "MI" => num(t.minute() as i64, 2),
        "SS" => num(t.second() as i64, 2),
        "MS" => num((t.nanosecond() / 1_000_000) as i64, 3),
        "US" => num((t.nanosecond() / 1_000) as i64, 6),
        "AM" | "PM" => {
            let s = if t.hour() < 12 { "AM" } else { "PM" };
            if f.chars().all(|c| c.is_ascii_lowercase()) {
                s.to_ascii_lowercase()
            } else {
                s.to_string()
            }
        }
        _ => {
            let (full, short) = match f.to_ascii_uppercase().as_str() {
                "MONTH" | "MON" => (t.format("%B").to_string(), t.format("%b").to_string()),
                _ => (t.format("%A").to_string(), t.format("%a").to_string()),
            };
            let long = f.eq_ignore_ascii_case("MONTH") || f.eq_ignore_ascii_case("DAY");
            let s = if long { full } else { short };
            let s = if f.chars().all(|c| c.is_ascii_uppercase()) {
                s.to_ascii_uppercase()
            } else if f.chars().all(|c| c.is_ascii_lowercase()) {
                s.to_ascii_lowercase()
            } else {
                s
            };
            if long { text(s) } else { s }
        }
    }
}

/// The chrono format that parses text written with `template`; `Err` names a field
/// that cannot be parsed.
pub(crate) fn to_chrono(template: &str) -> Result<(String, bool), String> {
    let mut out = String::new();
    let mut has_time = false;
    for p in pieces(template) {
        match p {
            Piece::Literal(s) => out.push_str(&s.replace('%', "%%")),
            Piece::Field(f, _) => {
                let code = match f.to_ascii_uppercase().as_str() {
                    "YYYY" => "%Y",
                    "YY" => "%y",
                    "MM" => "%m",
                    "DD" => "%d",
                    "DDD" => "%j",
                    "HH24" => "%H",
                    "HH12" | "HH" => "%I",
                    "MI" => "%M",
                    "SS" => "%S",
                    "MS" => "%3f",
                    "US" => "%6f",
                    "AM" | "PM" => "%p",
                    "MONTH" => "%B",
                    "MON" => "%b",
                    "DAY" => "%A",
                    "DY" => "%a",
                    other => return Err(other.to_string()),
                };
                has_time |= matches!(code, "%H" | "%I" | "%M" | "%S" | "%3f" | "%6f" | "%p");
                out.push_str(code);
            }
        }
    }
    Ok((out, has_time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_translates() {
        let t = chrono::NaiveDate::from_ymd_opt(2024, 3, 5)
            .unwrap()
            .and_hms_opt(14, 7, 9)
            .unwrap();
        assert_eq!(format(&t, "YYYY-MM-DD HH24:MI:SS"), "2024-03-05 14:07:09");
        assert_eq!(
            format(&t, "FMDay, DD Mon YYYY \"at\" HH12 PM"),
            "Tuesday, 05 Mar 2024 at 02 PM"
        );
        assert_eq!(format(&t, "Month|Q|DDD"), "March    |1|065");
        assert_eq!(
            to_chrono("YYYY-MM-DD").unwrap(),
            ("%Y-%m-%d".to_string(), false)
        );
        assert_eq!(to_chrono("Q").unwrap_err(), "Q");
    }
}
