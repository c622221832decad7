//! Date and time functions over DATE (days since 1970-01-01) and TIMESTAMP
//! (microseconds since 1970-01-01 00:00:00, no time zone): fields, truncation,
//! construction, parsing and formatting.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Date32Array, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};
use chrono::format::{Item, StrftimeItems};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use ember_planner::scalar::{date32_to_naive, naive_to_date32};

use super::{Call, build_ints, build_strings, template};
use crate::error::Result;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// Evaluates one date/time function.
pub(super) fn evaluate(c: &Call) -> Result<ArrayRef> {
    match c.name {
        "date_part" => date_part(c),
        "date_trunc" => date_trunc(c),
        "current_date" => {
            let today = naive_to_date32(chrono::Utc::now().date_naive());
            Ok(Arc::new(Date32Array::from(vec![today; c.rows])))
        }
        "current_timestamp" | "now" => {
            let now = chrono::Utc::now().timestamp_micros();
            Ok(Arc::new(TimestampMicrosecondArray::from(vec![now; c.rows])))
        }
        "make_date" => make_date(c),
        "to_date" | "to_timestamp" => parse(c),
        "to_char" | "strftime" => format(c),
        other => Err(c.error(format!("{other} is not a date/time function"))),
    }
}

/// Date-times of a DATE or TIMESTAMP argument (`None` for NULL), and whether it was a DATE.
fn date_times(c: &Call, i: usize) -> Result<(Vec<Option<NaiveDateTime>>, bool)> {
    let a = &c.args[i];
    let out_of_range = || c.error("date out of range");
    match a.data_type() {
        DataType::Date32 | DataType::Null => {
            let d = c.arg(i, &DataType::Date32)?;
            let d = d.as_primitive::<Date32Type>();
            let v = (0..d.len())
                .map(|k| {
                    d.is_valid(k)
                        .then(|| {
                            date32_to_naive(d.value(k))
                                .map(|d| d.and_time(chrono::NaiveTime::MIN))
                                .ok_or_else(out_of_range)
                        })
                        .transpose()
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((v, true))
        }
        _ => {
            let t = c.arg(i, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            let t = t.as_primitive::<TimestampMicrosecondType>();
            let v = (0..t.len())
                .map(|k| {
                    t.is_valid(k)
                        .then(|| micros_to_naive(t.value(k)).ok_or_else(out_of_range))
                        .transpose()
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((v, false))
        }
    }
}

/// Microseconds since the epoch as a date-time.
pub(crate) fn micros_to_naive(v: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(v).map(|t| t.naive_utc())
}

fn micros_of(t: &NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// The canonical name of a field, accepting plurals and a few synonyms.
fn field_name(part: &str) -> String {
    let p = part.trim().to_ascii_lowercase();
    match p.as_str() {
        "years" | "y" | "yr" | "yrs" => "year".into(),
        "months" | "mon" | "mons" => "month".into(),
        "weeks" | "w" => "week".into(),
        "days" | "d" => "day".into(),
        "hours" | "h" | "hr" | "hrs" => "hour".into(),
        "minutes" | "min" | "mins" | "m" => "minute".into(),
        "seconds" | "sec" | "secs" | "s" => "second".into(),
        "milliseconds" | "ms" => "millisecond".into(),
        "microseconds" | "us" => "microsecond".into(),
        "quarters" => "quarter".into(),
        "dayofweek" => "dow".into(),
        "dayofyear" => "doy".into(),
        _ => p,
    }
}

fn date_part(c: &Call) -> Result<ArrayRef> {
    c.arity(2, 2)?;
    let parts = c.strings(0)?;
    let parts = parts.as_string::<i32>();
    let (times, _) = date_times(c, 1)?;
    build_ints(c.rows, |i| {
        let (Some(t), true) = (times[i], parts.is_valid(i)) else {
            return Ok(None);
        };
        let micro_of_minute =
            t.second() as i64 * MICROS_PER_SECOND + (t.nanosecond() / 1000) as i64;
        Ok(Some(match field_name(parts.value(i)).as_str() {
            "year" => t.year() as i64,
            "quarter" => (t.month0() / 3 + 1) as i64,
            "month" => t.month() as i64,
            "week" => t.iso_week().week() as i64,
            "day" => t.day() as i64,
            "dow" => t.weekday().num_days_from_sunday() as i64,
            "isodow" => t.weekday().number_from_monday() as i64,
            "doy" => t.ordinal() as i64,
            "hour" => t.hour() as i64,
            "minute" => t.minute() as i64,
            "second" => t.second() as i64,
            "millisecond" => micro_of_minute / 1000,
            "microsecond" => micro_of_minute,
            "epoch" => micros_of(&t).div_euclid(MICROS_PER_SECOND),
            _ => {
                return Err(c.error(format!(
                    "unknown field '{}' (year, quarter, month, week, day, dow, isodow, doy, hour, minute, second, millisecond, microsecond, epoch)",
                    parts.value(i)
                )));
            }
        }))
    })
}

fn date_trunc(c: &Call) -> Result<ArrayRef> {
    c.arity(2, 2)?;
    let parts = c.strings(0)?;
    let parts = parts.as_string::<i32>();
    let (times, is_date) = date_times(c, 1)?;
    let mut out = Vec::with_capacity(c.rows);
    for (i, t) in times.iter().enumerate() {
        let (Some(t), true) = (*t, parts.is_valid(i)) else {
            out.push(None);
            continue;
        };
        let d = t.date();
        let day_start = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN);
        let first_of = |month: u32| NaiveDate::from_ymd_opt(d.year(), month, 1);
        let truncated = match field_name(parts.value(i)).as_str() {
            "year" => first_of(1).map(day_start),
            "quarter" => first_of(d.month0() / 3 * 3 + 1).map(day_start),
            "month" => first_of(d.month()).map(day_start),
            "week" => d
                .checked_sub_days(chrono::Days::new(d.weekday().num_days_from_monday() as u64))
                .map(day_start),
            "day" => Some(day_start(d)),
            "hour" => t
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .and_then(|t| t.with_nanosecond(0)),
            "minute" => t.with_second(0).and_then(|t| t.with_nanosecond(0)),
            "second" => t.with_nanosecond(0),
            "millisecond" => t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000),
            "microsecond" => Some(t),
            _ => {
                return Err(c.error(format!(
                    "unknown unit '{}' (year, quarter, month, week, day, hour, minute, second, millisecond, microsecond)",
                    parts.value(i)
                )));
            }
        };
        out.push(Some(truncated.ok_or_else(|| c.error("date out of range"))?));
    }
    Ok(date_time_array(&out, is_date))
}

/// Date-times as a DATE column (`as_date`, the time of day dropped) or a TIMESTAMP one.
fn date_time_array(values: &[Option<NaiveDateTime>], as_date: bool) -> ArrayRef {
    if as_date {
        Arc::new(
            values
                .iter()
                .map(|t| t.map(|t| naive_to_date32(t.date())))
                .collect::<Date32Array>(),
        )
    } else {
        Arc::new(
            values
                .iter()
                .map(|t| t.as_ref().map(micros_of))
                .collect::<TimestampMicrosecondArray>(),
        )
    }
}

fn make_date(c: &Call) -> Result<ArrayRef> {
    c.arity(3, 3)?;
    let (y, m, d) = (c.ints(0)?, c.ints(1)?, c.ints(2)?);
    let mut out = Vec::with_capacity(c.rows);
    for i in 0..c.rows {
        if !c.all_valid(i) {
            out.push(None);
            continue;
        }
        let (y, m, d) = (y.value(i), m.value(i), d.value(i));
        let date = i32::try_from(y)
            .ok()
            .zip(u32::try_from(m).ok())
            .zip(u32::try_from(d).ok())
            .and_then(|((y, m), d)| NaiveDate::from_ymd_opt(y, m, d))
            .ok_or_else(|| c.error(format!("date field value out of range: {y}-{m:02}-{d:02}")))?;
        out.push(Some(naive_to_date32(date)));
    }
    Ok(Arc::new(Date32Array::from(out)))
}

/// `to_date(s, template)` / `to_timestamp(s, template)`.
fn parse(c: &Call) -> Result<ArrayRef> {
    c.arity(2, 2)?;
    let (s, f) = (c.strings(0)?, c.strings(1)?);
    let (s, f) = (s.as_string::<i32>(), f.as_string::<i32>());
    let mut out: Vec<Option<NaiveDateTime>> = Vec::with_capacity(c.rows);
    let mut last: Option<(String, (String, bool))> = None;
    for i in 0..c.rows {
        if !c.all_valid(i) {
            out.push(None);
            continue;
        }
        let template = f.value(i);
        let (format, has_time) = match &last {
            Some((t, parsed)) if t == template => parsed.clone(),
            _ => {
                let parsed = template::to_chrono(template).map_err(|field| {
                    c.error(format!(
                        "invalid date format '{template}': field {field} cannot be parsed"
                    ))
                })?;
                last = Some((template.to_string(), parsed.clone()));
                parsed
            }
        };
        let text = s.value(i).trim();
        let parsed = if has_time {
            NaiveDateTime::parse_from_str(text, &format).ok()
        } else {
            NaiveDate::parse_from_str(text, &format)
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        };
        let t = parsed
            .ok_or_else(|| c.error(format!("cannot parse '{text}' with format '{template}'")))?;
        out.push(Some(t));
    }
    Ok(date_time_array(&out, c.name == "to_date"))
}

/// `to_char(t, template)` / `strftime(t, %-format)`.
fn format(c: &Call) -> Result<ArrayRef> {
    c.arity(2, 2)?;
    let (times, _) = date_times(c, 0)?;
    let f = c.strings(1)?;
    let f = f.as_string::<i32>();
    build_strings(c.rows, |i, out| {
        let (Some(t), true) = (times[i], f.is_valid(i)) else {
            return Ok(false);
        };
        let fmt = f.value(i);
        if c.name == "to_char" {
            out.push_str(&template::format(&t, fmt));
        } else {
            let items: Vec<Item> = StrftimeItems::new(fmt).collect();
            if items.iter().any(|i| matches!(i, Item::Error)) {
                return Err(c.error(format!("invalid format '{fmt}'")));
            }
            use std::fmt::Write;
            write!(out, "{}", t.format_with_items(items.iter()))
                .map_err(|_| c.error(format!("invalid format '{fmt}'")))?;
        }
        Ok(true)
    })
}
