use alloc::string::String;
use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Unix signal, for services, exec sessions and session kill.
///
/// On the wire a signal is its name without the `SIG` prefix (`"TERM"`); parsing accepts
/// either form in any case, and numbers. Signals other than the seven named ones travel as
/// [`Signal::Other`].
///
/// ```
/// use sprites_core::model::Signal;
/// assert_eq!(serde_json::to_string(&Signal::SIGTERM).unwrap(), r#""TERM""#);
/// assert_eq!(serde_json::from_str::<Signal>(r#""sigint""#).unwrap(), Signal::SIGINT);
/// assert_eq!(Signal::parse("WINCH"), Signal::Other("WINCH".into()));
/// ```
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// Hangup (1).
    SIGHUP,
    /// Interrupt (2).
    SIGINT,
    /// Quit (3).
    SIGQUIT,
    /// Kill (9); cannot be caught.
    SIGKILL,
    /// Terminate (15).
    SIGTERM,
    /// User-defined 1 (10).
    SIGUSR1,
    /// User-defined 2 (12).
    SIGUSR2,
    /// Any other signal, by its name without `SIG` (upper case) or its number.
    Other(String),
}

impl Signal {
    /// Parses a signal name (`TERM`, `SIGTERM`, `term`) or number (`15`).
    #[must_use]
    pub fn parse(s: &str) -> Signal {
        let trimmed = s.trim();
        let upper = trimmed.to_ascii_uppercase();
        let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
        match bare {
            "HUP" | "1" => Signal::SIGHUP,
            "INT" | "2" => Signal::SIGINT,
            "QUIT" | "3" => Signal::SIGQUIT,
            "KILL" | "9" => Signal::SIGKILL,
            "TERM" | "15" => Signal::SIGTERM,
            "USR1" | "10" => Signal::SIGUSR1,
            "USR2" | "12" => Signal::SIGUSR2,
            other => Signal::Other(String::from(other)),
        }
    }

    /// The name as sent on the wire, without `SIG`: `"TERM"`.
    #[must_use]
    pub fn wire_name(&self) -> &str {
        match self {
            Signal::SIGHUP => "HUP",
            Signal::SIGINT => "INT",
            Signal::SIGQUIT => "QUIT",
            Signal::SIGKILL => "KILL",
            Signal::SIGTERM => "TERM",
            Signal::SIGUSR1 => "USR1",
            Signal::SIGUSR2 => "USR2",
            Signal::Other(s) => s,
        }
    }

    /// The conventional name with `SIG`: `"SIGTERM"`.
    #[must_use]
    pub fn name(&self) -> String {
        let bare = self.wire_name();
        if bare.bytes().all(|b| b.is_ascii_digit()) {
            return String::from(bare);
        }
        ["SIG", bare].concat()
    }

    /// The Linux signal number, when known.
    #[must_use]
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            Signal::SIGHUP => Some(1),
            Signal::SIGINT => Some(2),
            Signal::SIGQUIT => Some(3),
            Signal::SIGKILL => Some(9),
            Signal::SIGTERM => Some(15),
            Signal::SIGUSR1 => Some(10),
            Signal::SIGUSR2 => Some(12),
            Signal::Other(s) => s.parse().ok(),
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Signal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.wire_name())
    }
}

impl<'de> Deserialize<'de> for Signal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Number(i64),
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Name(s) => Signal::parse(&s),
            Raw::Number(n) => Signal::parse(&alloc::format!("{n}")),
        })
    }
}
