//! Text functions: case, length, trimming, padding, searching, splitting, replacing
//! and regular expressions. Positions and lengths count characters, not bytes.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
use regex::{Regex, RegexBuilder};

use super::{Call, build_bools, build_ints, build_strings};
use crate::error::Result;

/// Evaluates one text function.
pub(super) fn evaluate(c: &Call) -> Result<ArrayRef> {
    match c.name {
        "substring" => substring(c),
        "upper" => unary(c, |s, out| out.push_str(&s.to_uppercase())),
        "reverse" => unary(c, |s, out| out.extend(s.chars().rev())),
        "chr" => chr(c),
        "lower" => unary(c, |s, out| out.push_str(&s.to_lowercase())),
        "length" | "char_length" => {
            c.arity(1, 1)?;
            let s = c.strings(0)?;
            let out: Int64Array = s
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(|s| s.chars().count() as i64))
                .collect();
            Ok(Arc::new(out))
        }
        "trim" | "ltrim" | "rtrim" => trim(c),
        "replace" => {
            c.arity(3, 3)?;
            let (s, from, to) = (c.strings(0)?, c.strings(1)?, c.strings(2)?);
            let (s, from, to) = (
                s.as_string::<i32>(),
                from.as_string::<i32>(),
                to.as_string::<i32>(),
            );
            build_strings(c.rows, |i, out| {
                if !(s.is_valid(i) && from.is_valid(i) && to.is_valid(i)) {
                    return Ok(false);
                }
                let f = from.value(i);
                if f.is_empty() {
                    out.push_str(s.value(i));
                } else {
                    out.push_str(&s.value(i).replace(f, to.value(i)));
                }
                Ok(true)
            })
        }
        "concat" => {
            let parts = strings_of(c)?;
            build_strings(c.rows, |i, out| {
                for p in &parts {
                    if p.is_valid(i) {
                        out.push_str(p.value(i));
                    }
                }
                Ok(true)
            })
        }
        "concat_ws" => {
            c.arity(1, usize::MAX)?;
            let parts = strings_of(c)?;
            build_strings(c.rows, |i, out| {
                let sep = &parts[0];
                if sep.is_null(i) {
                    return Ok(false);
                }
                let mut first = true;
                for p in &parts[1..] {
                    if p.is_valid(i) {
                        if !first {
                            out.push_str(sep.value(i));
                        }
                        out.push_str(p.value(i));
                        first = false;
                    }
                }
                Ok(true)
            })
        }
        "strpos" => {
            c.arity(2, 2)?;
            let (s, sub) = (c.strings(0)?, c.strings(1)?);
            let (s, sub) = (s.as_string::<i32>(), sub.as_string::<i32>());
            build_ints(c.rows, |i| {
                if !(s.is_valid(i) && sub.is_valid(i)) {
                    return Ok(None);
                }
                let hay = s.value(i);
                Ok(Some(match hay.find(sub.value(i)) {
                    Some(byte) => hay[..byte].chars().count() as i64 + 1,
                    None => 0,
                }))
            })
        }
        "left" | "right" => left_right(c),
        "lpad" | "rpad" => pad(c),
        "split_part" => split_part(c),
        "starts_with" | "ends_with" => {
            c.arity(2, 2)?;
            let (s, p) = (c.strings(0)?, c.strings(1)?);
            let (s, p) = (s.as_string::<i32>(), p.as_string::<i32>());
            let starts = c.name == "starts_with";
            build_bools(c.rows, |i| {
                if !(s.is_valid(i) && p.is_valid(i)) {
                    return Ok(None);
                }
                Ok(Some(if starts {
                    s.value(i).starts_with(p.value(i))
                } else {
                    s.value(i).ends_with(p.value(i))
                }))
            })
        }
        "regexp_like" => regexp_like(c),
        "regexp_replace" => regexp_replace(c),
        other => Err(c.error(format!("{other} is not a text function"))),
    }
}

fn strings_of(c: &Call) -> Result<Vec<StringArray>> {
    (0..c.args.len())
        .map(|i| Ok(c.strings(i)?.as_string::<i32>().clone()))
        .collect()
}

/// Applies `f` to every non-NULL string of the only argument.
fn unary(c: &Call, f: impl Fn(&str, &mut String)) -> Result<ArrayRef> {
    c.arity(1, 1)?;
    let s = c.strings(0)?;
    let s = s.as_string::<i32>();
    build_strings(c.rows, |i, out| {
        if s.is_null(i) {
            return Ok(false);
        }
        f(s.value(i), out);
        Ok(true)
    })
}

/// The character of each code point; 0 and values that are no Unicode scalar value
/// (negative, surrogates, above U+10FFFF) are errors, as in PostgreSQL.
fn chr(c: &Call) -> Result<ArrayRef> {
    c.arity(1, 1)?;
    let codes = c.ints(0)?;
    build_strings(c.rows, |i, out| {
        if codes.is_null(i) {
            return Ok(false);
        }
        let code = codes.value(i);
        if code == 0 {
            return Err(c.error("null character not permitted"));
        }
        let ch = u32::try_from(code)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| c.error(format!("{code} is not a valid Unicode code point")))?;
        out.push(ch);
        Ok(true)
    })
}

fn trim(c: &Call) -> Result<ArrayRef> {
    c.arity(1, 2)?;
    let parts = strings_of(c)?;
    let (lead, trail) = match c.name {
        "ltrim" => (true, false),
        "rtrim" => (false, true),
        _ => (true, true),
    };
    build_strings(c.rows, |i, out| {
        if !c.all_valid(i) {
            return Ok(false);
        }
        let s = parts[0].value(i);
        let set: Vec<char> = match parts.get(1) {
            Some(chars) => chars.value(i).chars().collect(),
            None => vec![' '],
        };
        let mut t = s;
        if lead {
            t = t.trim_start_matches(set.as_slice());
        }
        if trail {
            t = t.trim_end_matches(set.as_slice());
        }
        out.push_str(t);
        Ok(true)
    })
}

/// `substring(s, start [, count])`: characters at 1-based positions
/// `start .. start + count`, clipped to the string (so a start below 1 eats into count).
fn substring(c: &Call) -> Result<ArrayRef> {
    c.arity(2, 3)?;
    let s = c.strings(0)?;
    let s = s.as_string::<i32>();
    let starts = c.ints(1)?;
    let counts = if c.args.len() > 2 {
        Some(c.ints(2)?)
    } else {
        None
    };
    build_strings(c.rows, |i, out| {
        if !c.all_valid(i) {
            return Ok(false);
        }
        let start = starts.value(i);
        let end = match &counts {
            Some(n) if n.value(i) < 0 => {
                return Err(c.error("negative substring length not allowed"));
            }
            Some(n) => Some(start.saturating_add(n.value(i))),
            None => None,
        };
        let first = start.max(1);
        let taken = match end {
            Some(e) if e <= first => 0,
            Some(e) => (e - first) as usize,
            None => usize::MAX,
        };
        out.push_str(char_slice(s.value(i), (first - 1) as usize, taken));
        Ok(true)
    })
}

/// The `take` characters of `s` after the first `skip`.
fn char_slice(s: &str, skip: usize, take: usize) -> &str {
    if s.is_ascii() {
        let from = skip.min(s.len());
        let to = from.saturating_add(take).min(s.len());
        return &s[from..to];
    }
    let mut bounds = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()));
    let from = bounds.nth(skip).unwrap_or(s.len());
    let to = if take == 0 {
        from
    } else {
        bounds.nth(take - 1).unwrap_or(s.len())
    };
    &s[from..to.max(from)]
}

/// `left(s, n)` / `right(s, n)`; a negative n drops that many from the other end.
fn left_right(c: &Call) -> Result<ArrayRef> {
    c.arity(2, 2)?;
    let s = c.strings(0)?;
    let s = s.as_string::<i32>();
    let n = c.ints(1)?;
    let left = c.name == "left";
    build_strings(c.rows, |i, out| {
        if !c.all_valid(i) {
            return Ok(false);
        }
        let v = s.value(i);
        let len = v.chars().count() as i64;
        let n = n.value(i);
        let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
        let skip = if left { 0 } else { len as usize - keep };
        out.push_str(char_slice(v, skip, keep));
        Ok(true)
    })
}

/// `lpad` / `rpad`: fill to n characters, or cut to the first n.
fn pad(c: &Call) -> Result<ArrayRef> {
    c.arity(2, 3)?;
    let s = c.strings(0)?;
    let s = s.as_string::<i32>();
    let n = c.ints(1)?;
    let fill = if c.args.len() > 2 {
        Some(c.strings(2)?.as_string::<i32>().clone())
    } else {
        None
    };
    let left = c.name == "lpad";
    build_strings(c.rows, |i, out| {
        if !c.all_valid(i) {
            return Ok(false);
        }
        let v = s.value(i);
        let target = n.value(i).max(0) as usize;
        let len = v.chars().count();
        if target <= len {
            out.push_str(char_slice(v, 0, target));
            return Ok(true);
        }
        let f: Vec<char> = match &fill {
            Some(f) => f.value(i).chars().collect(),
            None => vec![' '],
        };
        if f.is_empty() {
            out.push_str(v);
            return Ok(true);
        }
        if target > 10_000_000 {
            return Err(c.error("requested length too large"));
        }
        let padding: String = f.iter().cycle().take(target - len).collect();
        if left {
            out.push_str(&padding);
            out.push_str(v);
        } else {
            out.push_str(v);
            out.push_str(&padding);
        }
        Ok(true)
    })
}

/// `split_part(s, delim, n)`: field n (1-based; negative counts from the end).
fn split_part(c: &Call) -> Result<ArrayRef> {
    c.arity(3, 3)?;
    let (s, d) = (c.strings(0)?, c.strings(1)?);
    let (s, d) = (s.as_string::<i32>(), d.as_string::<i32>());
    let n = c.ints(2)?;
    build_strings(c.rows, |i, out| {
        if !c.all_valid(i) {
            return Ok(false);
        }
        let n = n.value(i);
        if n == 0 {
            return Err(c.error("field position must not be zero"));
        }
        let (v, delim) = (s.value(i), d.value(i));
        let fields: Vec<&str> = if delim.is_empty() {
            vec![v]
        } else {
            v.split(delim).collect()
        };
        let index = if n > 0 {
            usize::try_from(n - 1).ok()
        } else {
            usize::try_from(fields.len() as i64 + n).ok()
        };
        if let Some(f) = index.and_then(|k| fields.get(k)) {
            out.push_str(f);
        }
        Ok(true)
    })
}

/// Compiles patterns, reusing the last one while the pattern and flags repeat.
struct RegexCache {
    last: Option<(String, String, Regex)>,
}

impl RegexCache {
    fn get(&mut self, c: &Call, pattern: &str, flags: &str, allowed: &str) -> Result<&Regex> {
        let fresh = !matches!(&self.last, Some((p, f, _)) if p == pattern && f == flags);
        if fresh {
            if let Some(bad) = flags.chars().find(|f| !allowed.contains(*f)) {
                return Err(c.error(format!("invalid regular expression flag '{bad}'")));
            }
            let re = RegexBuilder::new(pattern)
                .case_insensitive(flags.contains('i'))
                .build()
                .map_err(|e| c.error(format!("invalid regular expression '{pattern}': {e}")))?;
            self.last = Some((pattern.to_string(), flags.to_string(), re));
        }
        match &self.last {
            Some((_, _, re)) => Ok(re),
            None => Err(c.error("regular expression cache is empty")),
        }
    }
}

fn regexp_like(c: &Call) -> Result<ArrayRef> {
    c.arity(2, 3)?;
    let parts = strings_of(c)?;
    let mut cache = RegexCache { last: None };
    build_bools(c.rows, |i| {
        if !c.all_valid(i) {
            return Ok(None);
        }
        let flags = parts.get(2).map(|f| f.value(i)).unwrap_or("");
        let re = cache.get(c, parts[1].value(i), flags, "ic")?;
        Ok(Some(re.is_match(parts[0].value(i))))
    })
}

fn regexp_replace(c: &Call) -> Result<ArrayRef> {
    c.arity(3, 4)?;
    let parts = strings_of(c)?;
    let mut cache = RegexCache { last: None };
    let mut last_repl: Option<(String, String)> = None;
    build_strings(c.rows, |i, out| {
        if !c.all_valid(i) {
            return Ok(false);
        }
        let flags = parts.get(3).map(|f| f.value(i)).unwrap_or("");
        let repl_text = parts[2].value(i);
        let repl = match &last_repl {
            Some((from, to)) if from == repl_text => to.clone(),
            _ => {
                let to = replacement(repl_text);
                last_repl = Some((repl_text.to_string(), to.clone()));
                to
            }
        };
        let re = cache.get(c, parts[1].value(i), flags, "gic")?;
        let v = parts[0].value(i);
        if flags.contains('g') {
            out.push_str(&re.replace_all(v, repl.as_str()));
        } else {
            out.push_str(&re.replace(v, repl.as_str()));
        }
        Ok(true)
    })
}

/// A SQL replacement text (`\1` for a group, `\&` for the whole match) in the
/// `regex` crate's syntax (`${1}`, `${0}`, `$$` for a dollar).
fn replacement(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('&') => {
                    chars.next();
                    out.push_str("${0}");
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_text_translates_groups() {
        assert_eq!(replacement(r"<\1>"), "<${1}>");
        assert_eq!(replacement(r"[\&] $5"), "[${0}] $$5");
        assert_eq!(char_slice("héllo", 1, 3), "éll");
    }
}
