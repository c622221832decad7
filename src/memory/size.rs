//! Byte sizes as settings and the command line write them.
//!
//! In: text such as `'4GB'`, `'200MB'`, `'512MiB'`, `'1.5G'`, `'80%'` (of physical
//! memory) or a bare number of bytes. Out: a [`ByteSize`], shown back in the largest
//! unit that keeps it exact (`4GiB`, `200MB`, `1536`), so it reads back the same.
//! Decimal units (KB, MB, GB, TB) are powers of 1000; binary ones (KiB, MiB, GiB,
//! TiB) and the single letters K, M, G, T are powers of 1024, as in Spark.

use std::fmt;

/// A number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct ByteSize(pub u64);

const UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("k", 1 << 10),
    ("kb", 1_000),
    ("kib", 1 << 10),
    ("m", 1 << 20),
    ("mb", 1_000_000),
    ("mib", 1 << 20),
    ("g", 1 << 30),
    ("gb", 1_000_000_000),
    ("gib", 1 << 30),
    ("t", 1 << 40),
    ("tb", 1_000_000_000_000),
    ("tib", 1 << 40),
];

/// Units [`ByteSize`] is shown in, largest first.
const SHOWN: &[(&str, u64)] = &[
    ("TiB", 1 << 40),
    ("TB", 1_000_000_000_000),
    ("GiB", 1 << 30),
    ("GB", 1_000_000_000),
    ("MiB", 1 << 20),
    ("MB", 1_000_000),
    ("KiB", 1 << 10),
    ("KB", 1_000),
];

impl ByteSize {
    /// The number of bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }

    /// Reads `text`; `None` when it is not a size (negative, not a number, an unknown
    /// unit, more than `u64::MAX` bytes).
    pub fn parse(text: &str) -> Option<ByteSize> {
        let text = text.trim().to_ascii_lowercase();
        if let Some(percent) = text.strip_suffix('%') {
            let share: f64 = percent.trim().parse().ok()?;
            if !(share.is_finite() && share > 0.0 && share <= 100.0) {
                return None;
            }
            let bytes = physical_memory() as f64 * share / 100.0;
            return Some(ByteSize(bytes as u64));
        }
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let unit = unit.trim();
        let scale = match unit {
            "" => 1,
            _ => UNITS.iter().find(|(name, _)| *name == unit)?.1,
        };
        if let Ok(whole) = number.parse::<u64>() {
            return whole.checked_mul(scale).map(ByteSize);
        }
        let value: f64 = number.parse().ok()?;
        let bytes = value * scale as f64;
        (value.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64)
            .then(|| ByteSize(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    /// The largest unit that shows the size exactly; bytes otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, scale) in SHOWN {
            if self.0 >= *scale && self.0.is_multiple_of(*scale) {
                return write!(f, "{}{name}", self.0 / scale);
            }
        }
        write!(f, "{}", self.0)
    }
}

/// Bytes of physical memory, or 8 GiB where the system does not say.
pub fn physical_memory() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads system constants.
        let (pages, page_size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && page_size > 0 {
            return (pages as u64).saturating_mul(page_size as u64);
        }
    }
    8 << 30
}

/// The default memory limit: 80% of physical memory, rounded down to a MiB so that it
/// shows as a short number.
pub fn default_memory_limit() -> ByteSize {
    let bytes = physical_memory() / 5 * 4;
    ByteSize(bytes / (1 << 20) * (1 << 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_decimal_and_binary_units() {
        let parse = |t: &str| ByteSize::parse(t).map(|b| b.bytes());
        assert_eq!(parse("4GB"), Some(4_000_000_000));
        assert_eq!(parse("200MB"), Some(200_000_000));
        assert_eq!(parse("512MiB"), Some(512 << 20));
        assert_eq!(parse("512 mib"), Some(512 << 20));
        assert_eq!(parse("2g"), Some(2 << 30));
        assert_eq!(parse("1.5KiB"), Some(1536));
        assert_eq!(parse("1048576"), Some(1 << 20));
        assert_eq!(parse("0"), Some(0));
        assert!(parse("50%").is_some_and(|b| b > 0 && b <= physical_memory()));
        for bad in [
            "",
            "GB",
            "-1MB",
            "4 parsecs",
            "1e3",
            "200%",
            "0%",
            "99999999999TB",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn sizes_show_in_the_largest_exact_unit_and_read_back() {
        for (bytes, shown) in [
            (4u64 << 30, "4GiB"),
            (200_000_000, "200MB"),
            (1536, "1536"),
            (3 << 20, "3MiB"),
            (0, "0"),
        ] {
            assert_eq!(ByteSize(bytes).to_string(), shown);
            assert_eq!(ByteSize::parse(shown), Some(ByteSize(bytes)));
        }
        assert_eq!(default_memory_limit().bytes() % (1 << 20), 0);
    }
}
