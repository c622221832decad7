//! Text as a terminal shows it: display widths, escaped control characters, values
//! cut to a width with `…`, and row counts with thousands separators.
//!
//! Widths are terminal columns as `unicode-width` counts them: CJK and most emoji take
//! two, combining marks none, so grids line up where byte or character counts would
//! not. Imports nothing from the rest of the crate.

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Marks a value cut short, a hidden column, and the hidden rows of a preview.
pub(crate) const ELLIPSIS: &str = "…";

/// Terminal columns taken by `text`.
pub(crate) fn display_width(text: &str) -> usize {
    text.width()
}

/// `text` with line breaks, tabs and other control characters written as escapes
/// (`\n`, `\t`, `\u001b`), so a value keeps to one line of a grid and cannot move the
/// cursor.
pub(crate) fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` cut to at most `width` columns, ending in `…` when anything was cut.
pub(crate) fn truncate(text: &str, width: usize) -> Cow<'_, str> {
    if display_width(text) <= width {
        return Cow::Borrowed(text);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let room = width - 1;
    let mut end = 0;
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    // A sequence can be wider than its characters (a variation selector widens the
    // character before it): drop characters until the whole fits.
    let mut kept = &text[..end];
    while display_width(kept) > room {
        let mut chars = kept.chars();
        chars.next_back();
        kept = chars.as_str();
    }
    Cow::Owned(format!("{kept}{ELLIPSIS}"))
}

/// How a cell sits in its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// Text, NULL and column names in tables.
    Left,
    /// Numbers.
    Right,
    /// Box headers and the `…` of hidden rows.
    Center,
}

/// Appends `text` (`width` columns wide) padded with spaces to `target` columns.
pub(crate) fn push_padded(out: &mut String, text: &str, width: usize, target: usize, align: Align) {
    let pad = target.saturating_sub(width);
    let (before, after) = match align {
        Align::Left => (0, pad),
        Align::Right => (pad, 0),
        Align::Center => (pad / 2, pad - pad / 2),
    };
    push_repeated(out, ' ', before);
    out.push_str(text);
    push_repeated(out, ' ', after);
}

/// Appends `c` `n` times.
pub(crate) fn push_repeated(out: &mut String, c: char, n: usize) {
    out.extend(std::iter::repeat_n(c, n));
}

/// `n` with a comma between groups of three digits: `600,572`.
pub(crate) fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 row`, `42 rows`, `1,500 rows`.
pub(crate) fn rows_phrase(n: u64) -> String {
    let unit = if n == 1 { "row" } else { "rows" };
    format!("{} {unit}", group_thousands(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_zero_width_characters() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("日本語"), 6);
        assert_eq!(display_width("😀"), 2);
        // `e` and a combining acute accent: one column.
        assert_eq!(display_width("e\u{301}"), 1);
    }

    #[test]
    fn cutting_to_a_width() {
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("hello world", 5), "hell…");
        assert_eq!(truncate("hello", 1), "…");
        assert_eq!(truncate("hello", 0), "");
        // A wide character that would straddle the limit is left out whole.
        assert_eq!(truncate("日本語です", 6), "日本…");
        assert_eq!(display_width(&truncate("日本語です", 6)), 5);
        assert_eq!(
            truncate("e\u{301}e\u{301}e\u{301}x", 3),
            "e\u{301}e\u{301}…"
        );
    }

    #[test]
    fn escapes_and_counts() {
        assert_eq!(escape_controls("a\nb\tc\r\u{1b}"), "a\\nb\\tc\\r\\u001b");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(600_572), "600,572");
        assert_eq!(group_thousands(1_234_567_890), "1,234,567,890");
        assert_eq!(rows_phrase(1), "1 row");
        assert_eq!(rows_phrase(1500), "1,500 rows");
        let mut s = String::new();
        push_padded(&mut s, "ab", 2, 7, Align::Center);
        push_padded(&mut s, "日", 2, 4, Align::Right);
        assert_eq!(s, "  ab     日");
    }
}
