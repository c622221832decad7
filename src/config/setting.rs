//! One setting's description, and the `settings!` macro that declares the whole table.
//!
//! In: for each key, once: its field in [`SessionConfig`](super::SessionConfig), type,
//! default, allowed values, description and whether it may change after start.
//! Out: the struct, its `Default`, and a table of [`Setting`]s from which `SET`
//! (parsing and validation), `SHOW ALL` and the did-you-mean hints are derived.

use std::fmt;

use super::SessionConfig;

/// The values a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Allowed {
    /// A whole number from `min` to `max`.
    Int {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
    /// A number from `min` to `max`.
    Number {
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
    },
    /// `true` or `false` (also `on`/`off`, `1`/`0`).
    Bool,
    /// One of these words, in any case.
    OneOf(&'static [&'static str]),
    /// A length of time: `30s`, `500ms`, `2min`, `1h`, a bare number of
    /// milliseconds; `0` for none.
    Duration,
    /// A Spark Connect URL `sc://host:port[/;token=...]`, or empty for none.
    RemoteUrl,
    /// A number of bytes: `4GB`, `512MiB`, `80%` of physical memory, a bare number.
    Bytes,
    /// A folder path (any text but the empty one).
    Folder,
}

impl fmt::Display for Allowed {
    /// What the setting expects, as the end of "expected ...".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowed::Int {
                min: 0,
                max: u64::MAX,
            } => write!(f, "a non-negative integer"),
            Allowed::Int { min, max: u64::MAX } => write!(f, "an integer of at least {min}"),
            Allowed::Int { min, max } => write!(f, "an integer from {min} to {max}"),
            Allowed::Number { min, max } => write!(f, "a number from {min} to {max}"),
            Allowed::Bool => write!(f, "true or false"),
            Allowed::Duration => write!(
                f,
                "a duration such as '30s', '500ms', '2min' or '1h' (0 for none)"
            ),
            Allowed::RemoteUrl => write!(
                f,
                "a Spark Connect URL sc://host:port[/;token=...] (empty for none)"
            ),
            Allowed::Bytes => write!(
                f,
                "a size such as '4GB', '200MB', '512MiB', '80%' (of physical memory) \
                 or a number of bytes"
            ),
            Allowed::Folder => write!(f, "a folder path"),
            Allowed::OneOf(words) => match words {
                [] => write!(f, "nothing"),
                [one] => write!(f, "{one}"),
                [init @ .., last] => write!(f, "{} or {last}", init.join(", ")),
            },
        }
    }
}

/// When a setting may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// With `SET`, at any time; the next query sees it.
    Anytime,
    /// Only when the session starts; the text says how (may be empty).
    AtStart(&'static str),
}

/// One key of the settings table.
pub struct Setting {
    /// The key, as `SET` and `SHOW ALL` spell it.
    pub name: &'static str,
    /// What it does, in a few words.
    pub description: &'static str,
    /// The values it accepts.
    pub allowed: Allowed,
    /// Whether `SET` may change it.
    pub change: Change,
    /// The default value, as text.
    pub default: fn() -> String,
    /// The current value in a config, as text.
    pub(super) get: fn(&SessionConfig) -> String,
    /// Parses and stores a value; `false` if the text is not an allowed value.
    pub(super) put: fn(&mut SessionConfig, &str) -> bool,
}

impl Setting {
    /// Checks that `text` is an allowed value, without storing it; the error is
    /// "invalid value '<text>' for <key>: expected <allowed>".
    pub fn check(&self, text: &str) -> Result<(), String> {
        let mut scratch = SessionConfig::default();
        if (self.put)(&mut scratch, text) {
            Ok(())
        } else {
            Err(self.invalid(text))
        }
    }

    /// The message for a value that is not allowed; a URL says what is wrong with it
    /// (`TLS (use_ssl=true) is not supported`, a port that is not a number).
    pub fn invalid(&self, text: &str) -> String {
        if matches!(self.allowed, Allowed::RemoteUrl)
            && let Some(why) = crate::remote::RemoteUrl::problem(text)
        {
            return format!(
                "invalid value '{text}' for {}: {why}; expected {}",
                self.name, self.allowed
            );
        }
        format!(
            "invalid value '{text}' for {}: expected {}",
            self.name, self.allowed
        )
    }

    /// The description with the allowed values, for `SHOW ALL`.
    pub fn long_description(&self) -> String {
        let fixed = match self.change {
            Change::Anytime => "",
            Change::AtStart(_) => "; fixed when the session starts",
        };
        format!("{} ({}{fixed})", self.description, self.allowed)
    }
}

/// A type a setting's field may have: parsed from text, within its allowed values.
pub trait SettingValue: Sized {
    /// The value of `text`, if it is one of `allowed`.
    fn parse(text: &str, allowed: &Allowed) -> Option<Self>;
    /// The value as `SHOW ALL` prints it (and `parse` reads it back).
    fn show(&self) -> String;
}

fn parse_int(text: &str, allowed: &Allowed) -> Option<u64> {
    match allowed {
        Allowed::Int { min, max } => text
            .parse::<u64>()
            .ok()
            .filter(|v| (min..=max).contains(&v)),
        _ => None,
    }
}

impl SettingValue for u64 {
    fn parse(text: &str, allowed: &Allowed) -> Option<Self> {
        parse_int(text, allowed)
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl SettingValue for usize {
    fn parse(text: &str, allowed: &Allowed) -> Option<Self> {
        parse_int(text, allowed).and_then(|v| usize::try_from(v).ok())
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl SettingValue for f64 {
    fn parse(text: &str, allowed: &Allowed) -> Option<Self> {
        match allowed {
            Allowed::Number { min, max } => text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && (min..=max).contains(&v)),
            _ => None,
        }
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl SettingValue for bool {
    fn parse(text: &str, allowed: &Allowed) -> Option<Self> {
        match (allowed, text.to_ascii_lowercase().as_str()) {
            (Allowed::Bool, "true" | "on" | "1") => Some(true),
            (Allowed::Bool, "false" | "off" | "0") => Some(false),
            _ => None,
        }
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl SettingValue for String {
    fn parse(text: &str, allowed: &Allowed) -> Option<Self> {
        match allowed {
            Allowed::OneOf(words) => words
                .iter()
                .find(|w| w.eq_ignore_ascii_case(text))
                .map(|w| w.to_string()),
            Allowed::Folder => (!text.trim().is_empty()).then(|| text.to_string()),
            _ => None,
        }
    }
    fn show(&self) -> String {
        self.clone()
    }
}

impl SettingValue for crate::memory::ByteSize {
    fn parse(text: &str, allowed: &Allowed) -> Option<Self> {
        match allowed {
            Allowed::Bytes => crate::memory::ByteSize::parse(text),
            _ => None,
        }
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

/// A duration setting: `None` is no limit.
impl SettingValue for Option<std::time::Duration> {
    fn parse(text: &str, allowed: &Allowed) -> Option<Self> {
        if !matches!(allowed, Allowed::Duration) {
            return None;
        }
        let text = text.trim().to_ascii_lowercase();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().ok().filter(|n: &f64| n.is_finite())?;
        let seconds = match unit.trim() {
            "" | "ms" => number / 1000.0,
            "s" | "sec" | "second" | "seconds" => number,
            "m" | "min" | "minute" | "minutes" => number * 60.0,
            "h" | "hour" | "hours" => number * 3600.0,
            _ => return None,
        };
        if !(0.0..=1e9).contains(&seconds) {
            return None;
        }
        Some((seconds > 0.0).then(|| std::time::Duration::from_secs_f64(seconds)))
    }
    fn show(&self) -> String {
        match self {
            None => "0".to_string(),
            Some(d) if d.subsec_millis() != 0 || d.as_secs() == 0 => {
                format!("{}ms", d.as_millis())
            }
            Some(d) => format!("{}s", d.as_secs()),
        }
    }
}

/// A Spark Connect URL setting: `None` runs queries in Ember itself.
impl SettingValue for Option<String> {
    fn parse(text: &str, allowed: &Allowed) -> Option<Self> {
        if !matches!(allowed, Allowed::RemoteUrl) {
            return None;
        }
        let text = text.trim();
        if text.is_empty() {
            return Some(None);
        }
        crate::remote::RemoteUrl::parse(text)
            .ok()
            .map(|_| Some(text.to_string()))
    }
    fn show(&self) -> String {
        match self {
            None => String::new(),
            // The token stays out of SHOW ALL.
            Some(url) => match crate::remote::RemoteUrl::parse(url) {
                Ok(u) if u.token.is_some() => format!("{u}/;token=***"),
                _ => url.clone(),
            },
        }
    }
}

/// Declares the settings: each entry gives a field of `SessionConfig` with its type and
/// default, then its key, allowed values, when it may change and its description. The
/// macro writes the struct (the description becomes the field's doc), its `Default`,
/// and the `SETTINGS` table.
macro_rules! settings {
    (
        $(#[$struct_doc:meta])*
        pub struct $config:ident {
            $(
                $field:ident: $ty:ty = $default:expr => {
                    name: $name:literal,
                    allowed: $allowed:expr,
                    change: $change:expr,
                    description: $description:literal $(,)?
                }
            ),* $(,)?
        }
        extra {
            $(
                $(#[doc = $extra_doc:literal])*
                $extra:ident: $extra_ty:ty = $extra_default:expr
            ),* $(,)?
        }
    ) => {
        $(#[$struct_doc])*
        #[derive(Debug, Clone)]
        pub struct $config {
            $(
                #[doc = concat!("Setting `", $name, "`: ", $description, ".")]
                pub $field: $ty,
            )*
            $(
                $(#[doc = $extra_doc])*
                pub $extra: $extra_ty,
            )*
        }

        impl Default for $config {
            fn default() -> Self {
                $config {
                    $($field: $default,)*
                    $($extra: $extra_default,)*
                }
            }
        }

        /// Every setting, in `SHOW ALL` order.
        pub static SETTINGS: &[$crate::config::setting::Setting] = &[
            $(
                $crate::config::setting::Setting {
                    name: $name,
                    description: $description,
                    allowed: $allowed,
                    change: $change,
                    default: || {
                        let value: $ty = $default;
                        $crate::config::setting::SettingValue::show(&value)
                    },
                    get: |c| $crate::config::setting::SettingValue::show(&c.$field),
                    put: |c, text| {
                        match <$ty as $crate::config::setting::SettingValue>::parse(
                            text, &$allowed,
                        ) {
                            Some(v) => {
                                c.$field = v;
                                true
                            }
                            None => false,
                        }
                    },
                },
            )*
        ];
    };
}

pub(crate) use settings;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_values_read_as_english() {
        let int = Allowed::Int { min: 1, max: 1024 };
        assert_eq!(int.to_string(), "an integer from 1 to 1024");
        assert_eq!(
            Allowed::Int {
                min: 0,
                max: u64::MAX
            }
            .to_string(),
            "a non-negative integer"
        );
        assert_eq!(
            Allowed::OneOf(&["memory_only", "memory_and_disk"]).to_string(),
            "memory_only or memory_and_disk"
        );
        assert_eq!(
            Allowed::Number { min: 0.0, max: 1.0 }.to_string(),
            "a number from 0 to 1"
        );
    }

    #[test]
    fn values_parse_within_their_range() {
        let int = Allowed::Int { min: 1, max: 1024 };
        assert_eq!(usize::parse("1024", &int), Some(1024));
        assert_eq!(usize::parse("0", &int), None);
        assert_eq!(usize::parse("100000000", &int), None);
        assert_eq!(usize::parse("-1", &int), None);
        assert_eq!(usize::parse("1.5", &int), None);
        let rate = Allowed::Number { min: 0.0, max: 1.0 };
        assert_eq!(f64::parse("0.25", &rate), Some(0.25));
        assert_eq!(f64::parse("NaN", &rate), None);
        assert_eq!(f64::parse("1.5", &rate), None);
        assert_eq!(bool::parse("ON", &Allowed::Bool), Some(true));
        assert_eq!(bool::parse("maybe", &Allowed::Bool), None);
        let words = Allowed::OneOf(&["memory_only", "memory_and_disk"]);
        assert_eq!(
            String::parse("MEMORY_ONLY", &words).as_deref(),
            Some("memory_only")
        );
        let size = crate::memory::ByteSize::parse;
        assert_eq!(
            crate::memory::ByteSize::parse("200MB"),
            <crate::memory::ByteSize as SettingValue>::parse("200MB", &Allowed::Bytes)
        );
        assert!(size("200MB").is_some());
        assert_eq!(
            <crate::memory::ByteSize as SettingValue>::parse("lots", &Allowed::Bytes),
            None
        );
        assert_eq!(String::parse("", &Allowed::Folder), None);
        assert_eq!(
            String::parse("/tmp/x", &Allowed::Folder).as_deref(),
            Some("/tmp/x")
        );
        // A type and allowed values that do not go together accept nothing.
        assert_eq!(bool::parse("true", &int), None);
    }
}
