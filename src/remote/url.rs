//! `sc://host[:port][/;key=value;...]`: where a Spark Connect server listens, and the
//! token, user and session to send it. The port defaults to 15002, as Spark's does.
//! TLS (`use_ssl=true`) is refused here, before anything connects: the client speaks
//! plaintext gRPC only.
//!
//! In: the URL text. Out: a [`RemoteUrl`] or an error naming what is wrong. Imports
//! only `crate::error`.

use crate::error::{EmberError, Result};

/// Why `use_ssl=true` is refused before anything connects.
const NO_TLS: &str =
    "TLS (use_ssl=true) is not supported: Ember's client connects in plaintext only";

/// Spark Connect's usual port.
pub const DEFAULT_PORT: u16 = 15002;

/// A parsed `sc://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUrl {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Sent as `Authorization: Bearer <token>` when set.
    pub token: Option<String>,
    /// The user the server runs queries for (default `ember`).
    pub user_id: Option<String>,
    /// The Spark session to run in (a UUID), shared with other clients of that
    /// session (its temporary views and session-scoped tables); default: one session
    /// per Ember process.
    pub session_id: Option<String>,
    /// Any other `key=value` parameters, sent as request headers.
    pub headers: Vec<(String, String)>,
}

fn bad(url: &str, why: impl std::fmt::Display) -> EmberError {
    EmberError::config(format!(
        "invalid Spark Connect URL '{url}': {why} (expected sc://host:port[/;token=...;user_id=...;session_id=...])"
    ))
}

impl RemoteUrl {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<RemoteUrl> {
        let url = text.trim();
        Self::parse_or_why(url).map_err(|why| bad(url, why))
    }

    /// What is wrong with `text` as a URL, if anything (`TLS (use_ssl=true) is not
    /// supported: ...`).
    pub fn problem(text: &str) -> Option<String> {
        Self::parse_or_why(text.trim()).err()
    }

    fn parse_or_why(url: &str) -> std::result::Result<RemoteUrl, String> {
        let Some(rest) = url.strip_prefix("sc://") else {
            return Err("it does not start with sc://".into());
        };
        let (authority, params) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (host, port_text) = match authority.strip_prefix('[') {
            Some(inner) => {
                let (h, after) = inner.split_once(']').ok_or("'[' without ']'")?;
                (h, after.strip_prefix(':'))
            }
            None => match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        let port = match port_text {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("'{p}' is not a port"))?,
            None => DEFAULT_PORT,
        };
        if host.is_empty() {
            return Err("the host is missing".into());
        }
        if host.contains(|c: char| c.is_whitespace() || c == '@' || c == '?') {
            return Err(format!("'{host}' is not a host name"));
        }
        let mut parsed = RemoteUrl {
            host: host.to_string(),
            port,
            token: None,
            user_id: None,
            session_id: None,
            headers: Vec::new(),
        };
        for param in params.split(';').filter(|p| !p.is_empty()) {
            let Some((key, value)) = param.split_once('=') else {
                return Err(format!("parameter '{param}' is not key=value"));
            };
            match key.to_ascii_lowercase().as_str() {
                "token" => parsed.token = Some(value.to_string()),
                "user_id" => parsed.user_id = Some(value.to_string()),
                "session_id" if is_uuid(value) => {
                    parsed.session_id = Some(value.to_ascii_lowercase());
                }
                "session_id" => {
                    return Err(format!(
                        "session_id '{value}' is not a UUID (8-4-4-4-12 hex digits)"
                    ));
                }
                "use_ssl" if value.eq_ignore_ascii_case("true") => {
                    return Err(NO_TLS.into());
                }
                "use_ssl" if value.eq_ignore_ascii_case("false") => {}
                "use_ssl" => {
                    return Err(format!("use_ssl is 'true' or 'false', not '{value}'"));
                }
                other => {
                    let valid = !other.is_empty()
                        && other
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    if !valid {
                        return Err(format!("'{key}' is not a parameter name"));
                    }
                    parsed.headers.push((other.to_string(), value.to_string()));
                }
            }
        }
        Ok(parsed)
    }

    /// `http://host:port`, the address gRPC connects to.
    pub fn endpoint(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }
}

/// `8-4-4-4-12` hex digits, as Spark requires of session ids.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

impl std::fmt::Display for RemoteUrl {
    /// The URL without its token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sc://{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = RemoteUrl::parse("sc://localhost:15003/;token=abc;user_id=ann").unwrap();
        assert_eq!(u.host, "localhost");
        assert_eq!(u.port, 15003);
        assert_eq!(u.token.as_deref(), Some("abc"));
        assert_eq!(u.user_id.as_deref(), Some("ann"));
        assert_eq!(u.session_id, None);
        let s =
            RemoteUrl::parse("sc://h/;session_id=0F8fad5b-d9cb-469f-a165-70867728950e").unwrap();
        assert_eq!(
            s.session_id.as_deref(),
            Some("0f8fad5b-d9cb-469f-a165-70867728950e")
        );
        assert!(s.headers.is_empty());
        let d = RemoteUrl::parse("sc://spark.example/;use_ssl=false").unwrap();
        assert_eq!((d.port, d.token.as_deref()), (DEFAULT_PORT, None));
        assert_eq!(d.endpoint(), "http://spark.example:15002");
        assert_eq!(d.to_string(), "sc://spark.example:15002");
    }

    #[test]
    fn bad_urls_say_why() {
        for (text, why) in [
            ("http://x:1", "does not start with sc://"),
            ("sc://:15002", "host is missing"),
            ("sc://x:port", "'port' is not a port"),
            ("sc://x:0", "'0' is not a port"),
            ("sc://x:1/;token", "'token' is not key=value"),
            (
                "sc://x:1/;use_ssl=true",
                "TLS (use_ssl=true) is not supported",
            ),
            (
                "sc://x:1/;use_ssl=TRUE",
                "TLS (use_ssl=true) is not supported",
            ),
            (
                "sc://x:1/;use_ssl=1",
                "use_ssl is 'true' or 'false', not '1'",
            ),
            ("sc://x:1/;session_id=abc", "session_id 'abc' is not a UUID"),
        ] {
            let e = RemoteUrl::parse(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
