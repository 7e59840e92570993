//! Text (JSON) messages of the exec socket (spec §5.4).
//!
//! Each text message is one JSON object with a `type` field. Both directions serialize and
//! deserialize, so the emulator can speak the server side with the same types.
//!
//! Parsing follows one rule: text that is not a JSON object with a string `type`, and
//! objects whose `type` this crate does not know, are ignored ([`Ok(None)`](Option::None)).
//! A known type whose fields have the wrong shape is a protocol error. Fields the sources
//! disagree on are accepted in every observed form: `session_id` as a string or a number,
//! `created` as Unix seconds or an RFC 3339 string.
//!
//! ```
//! use sprites_core::exec::message::{ClientMessage, ServerMessage};
//! use sprites_core::model::Signal;
//!
//! let msg = ServerMessage::parse(r#"{"type":"exit","exit_code":7}"#).unwrap();
//! assert_eq!(msg, Some(ServerMessage::Exit { exit_code: 7 }));
//! assert_eq!(ServerMessage::parse("not json").unwrap(), None);
//! assert_eq!(
//!     ClientMessage::Signal { signal: Signal::SIGTERM }.to_text(),
//!     r#"{"type":"signal","signal":"TERM"}"#
//! );
//! ```

use alloc::string::{String, ToString};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::model::Signal;

/// A text message from the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServerMessage {
    /// `session_info`: the first JSON message on every new or attached session.
    SessionInfo(SessionInfo),
    /// `exit`: the process ended (TTY and non-TTY).
    Exit {
        /// The exit status (`128 + N` for a death by signal N).
        exit_code: i32,
    },
    /// `port_opened`: a process in the sprite started listening.
    PortOpened(PortEvent),
    /// `port_closed`: a process in the sprite stopped listening.
    PortClosed(PortEvent),
    /// `debug`: diagnostics, may precede `session_info`.
    Debug(DebugMessage),
}

impl ServerMessage {
    /// Parses one text message. `Ok(None)`: not JSON, not an object with a string `type`,
    /// or an unknown `type` (all ignored by clients). `Err`: a known type with bad fields.
    pub fn parse(text: &str) -> Result<Option<Self>> {
        const KNOWN: [&str; 5] = [
            "session_info",
            "exit",
            "port_opened",
            "port_closed",
            "debug",
        ];
        parse_tagged(text, &KNOWN, "exec server message")
    }

    /// Serializes this message as the server sends it.
    #[must_use]
    pub fn to_text(&self) -> String {
        to_text(self)
    }
}

/// A text message from the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientMessage {
    /// `resize`: new terminal size (TTY sessions only; servers ignore it otherwise).
    Resize {
        /// Columns. Go omits a zero value, so a missing key reads as `0`, which a server
        /// should take as "keep the current value".
        #[serde(default)]
        cols: u16,
        /// Rows, with the same rule as `cols`.
        #[serde(default)]
        rows: u16,
    },
    /// `signal`: deliver a signal to the session's process group. Only sent when the
    /// upgrade advertised the `signal` capability.
    Signal {
        /// The signal, sent without `SIG` (`"TERM"`); parsed in any form.
        signal: Signal,
    },
}

impl ClientMessage {
    /// Parses one text message, with the same rules as [`ServerMessage::parse`].
    pub fn parse(text: &str) -> Result<Option<Self>> {
        parse_tagged(text, &["resize", "signal"], "exec client message")
    }

    /// Serializes this message as the client sends it.
    #[must_use]
    pub fn to_text(&self) -> String {
        to_text(self)
    }
}

/// The `session_info` message.
///
/// `cols` and `rows` are reported as the server sees them; a live observer saw `0`/`0` for
/// a correctly sized terminal, so do not rely on them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session id: the process id as a decimal string (numbers are accepted too).
    #[serde(deserialize_with = "string_or_number")]
    pub session_id: String,
    /// The command line.
    #[serde(default)]
    pub command: String,
    /// When the session was created; `None` when absent or unreadable. Accepted as Unix
    /// seconds or RFC 3339, sent as Unix seconds.
    #[serde(
        default,
        deserialize_with = "unix_or_rfc3339",
        serialize_with = "as_unix_seconds"
    )]
    pub created: Option<DateTime<Utc>>,
    /// Terminal columns as reported.
    #[serde(default)]
    pub cols: u16,
    /// Terminal rows as reported.
    #[serde(default)]
    pub rows: u16,
    /// Whether this connection created the session (`false` for a later attach).
    #[serde(default)]
    pub is_owner: bool,
    /// Whether the session has a TTY, which decides the framing of binary messages.
    #[serde(default)]
    pub tty: bool,
}

impl SessionInfo {
    /// A `session_info` for `session_id`; the other fields are empty or zero.
    pub fn new(session_id: impl Into<String>) -> Self {
        SessionInfo {
            session_id: session_id.into(),
            ..SessionInfo::default()
        }
    }
}

/// The body of `port_opened` and `port_closed`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PortEvent {
    /// The TCP port.
    pub port: u16,
    /// The bind address, such as `0.0.0.0` or `127.0.0.1`.
    #[serde(default)]
    pub address: String,
    /// The listening process.
    #[serde(default)]
    pub pid: i64,
}

impl PortEvent {
    /// A port event.
    pub fn new(port: u16, address: impl Into<String>, pid: i64) -> Self {
        PortEvent {
            port,
            address: address.into(),
            pid,
        }
    }
}

/// The body of a `debug` message, e.g. `{"msg":"session_created cmd=bash","pid":332}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DebugMessage {
    /// The diagnostic text.
    #[serde(default)]
    pub msg: String,
    /// The process it is about, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
}

impl DebugMessage {
    /// A debug message.
    pub fn new(msg: impl Into<String>, pid: Option<i64>) -> Self {
        DebugMessage {
            msg: msg.into(),
            pid,
        }
    }
}

fn parse_tagged<T: serde::de::DeserializeOwned>(
    text: &str,
    known: &[&str],
    what: &str,
) -> Result<Option<T>> {
    #[derive(Deserialize)]
    struct Tag<'a> {
        #[serde(rename = "type", borrow)]
        ty: alloc::borrow::Cow<'a, str>,
    }
    // Only an object whose `type` we know goes on to full parsing; everything else is
    // ignored, as the official clients do.
    let Ok(tag) = serde_json::from_str::<Tag<'_>>(text) else {
        return Ok(None);
    };
    if !text.trim_start().starts_with('{') || !known.contains(&tag.ty.as_ref()) {
        return Ok(None);
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| Error::protocol(alloc::format!("bad {what} {:?}: {e}", tag.ty)))
}

fn to_text<T: Serialize>(value: &T) -> String {
    // Serializing these types cannot fail: every field is a string, number or bool, and
    // maps have string keys. An empty string would still be ignored by any peer.
    serde_json::to_string(value).unwrap_or_default()
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> core::result::Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Str(String),
        Int(i64),
        Uint(u64),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Str(s) => s,
        Raw::Int(n) => n.to_string(),
        Raw::Uint(n) => n.to_string(),
    })
}

fn unix_or_rfc3339<'de, D: Deserializer<'de>>(
    d: D,
) -> core::result::Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Str(String),
        Null(()),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Int(secs) => DateTime::from_timestamp(secs, 0),
        Raw::Float(secs) if secs > -1e15 && secs < 1e15 => {
            // In range (checked above), so the cast keeps the whole seconds and drops only
            // the fraction.
            #[allow(clippy::cast_possible_truncation)]
            let whole = secs as i64;
            DateTime::from_timestamp(whole, 0)
        }
        Raw::Str(s) => DateTime::parse_from_rfc3339(&s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        Raw::Float(_) | Raw::Null(()) => None,
    })
}

fn as_unix_seconds<S: Serializer>(
    created: &Option<DateTime<Utc>>,
    s: S,
) -> core::result::Result<S::Ok, S::Error> {
    match created {
        Some(t) => s.serialize_i64(t.timestamp()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_session_info_parses() {
        let text = r#"{"type":"session_info","session_id":"332","command":"bash","created":1785801600,"cols":0,"rows":0,"is_owner":true,"tty":false}"#;
        let Some(ServerMessage::SessionInfo(info)) = ServerMessage::parse(text).unwrap() else {
            panic!("not session_info");
        };
        assert_eq!(info.session_id, "332");
        assert_eq!(info.command, "bash");
        assert_eq!(info.created.unwrap().timestamp(), 1_785_801_600);
        assert!(info.is_owner);
        assert!(!info.tty);
    }

    #[test]
    fn session_id_may_be_a_number() {
        let text = r#"{"type":"session_info","session_id":332,"tty":true}"#;
        let Some(ServerMessage::SessionInfo(info)) = ServerMessage::parse(text).unwrap() else {
            panic!("not session_info");
        };
        assert_eq!(info.session_id, "332");
        assert!(info.tty);
    }

    #[test]
    fn created_may_be_rfc3339() {
        let text = r#"{"type":"session_info","session_id":"1","created":"2026-08-04T00:00:00Z"}"#;
        let Some(ServerMessage::SessionInfo(info)) = ServerMessage::parse(text).unwrap() else {
            panic!("not session_info");
        };
        assert_eq!(info.created.unwrap().timestamp(), 1_785_801_600);
    }

    #[test]
    fn unreadable_created_is_none() {
        for created in [r#""yesterday""#, "null", "1.5e300"] {
            let text =
                alloc::format!(r#"{{"type":"session_info","session_id":"1","created":{created}}}"#);
            let Some(ServerMessage::SessionInfo(info)) = ServerMessage::parse(&text).unwrap()
            else {
                panic!("not session_info");
            };
            assert_eq!(info.created, None, "{created}");
        }
    }

    #[test]
    fn unknown_types_and_non_json_are_ignored() {
        for text in [
            "",
            "hello",
            "[1,2]",
            "42",
            r#"{"no_type":1}"#,
            r#"{"type":5}"#,
            r#"{"type":"future_thing","x":1}"#,
            r#"["exit", 1]"#,
        ] {
            assert_eq!(ServerMessage::parse(text).unwrap(), None, "{text}");
        }
    }

    #[test]
    fn known_type_with_bad_fields_is_a_protocol_error() {
        let err = ServerMessage::parse(r#"{"type":"exit","exit_code":"seven"}"#).unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{err}");
    }

    #[test]
    fn server_messages_round_trip() {
        let mut info = SessionInfo::new("332");
        info.command = "bash".into();
        info.created = DateTime::from_timestamp(1_785_801_600, 0);
        info.tty = true;
        for msg in [
            ServerMessage::SessionInfo(info),
            ServerMessage::Exit { exit_code: 143 },
            ServerMessage::PortOpened(PortEvent::new(8080, "0.0.0.0", 12)),
            ServerMessage::PortClosed(PortEvent::new(8080, "127.0.0.1", 12)),
            ServerMessage::Debug(DebugMessage::new("session_created cmd=bash", Some(332))),
        ] {
            assert_eq!(ServerMessage::parse(&msg.to_text()).unwrap(), Some(msg));
        }
    }

    #[test]
    fn exit_serializes_as_the_server_sends_it() {
        assert_eq!(
            ServerMessage::Exit { exit_code: 7 }.to_text(),
            r#"{"type":"exit","exit_code":7}"#
        );
    }

    #[test]
    fn resize_serializes_both_dimensions() {
        assert_eq!(
            ClientMessage::Resize {
                cols: 120,
                rows: 40
            }
            .to_text(),
            r#"{"type":"resize","cols":120,"rows":40}"#
        );
    }

    #[test]
    fn resize_missing_dimension_reads_as_zero() {
        assert_eq!(
            ClientMessage::parse(r#"{"type":"resize","cols":100}"#).unwrap(),
            Some(ClientMessage::Resize { cols: 100, rows: 0 })
        );
    }

    #[test]
    fn signal_accepts_any_name_form() {
        assert_eq!(
            ClientMessage::parse(r#"{"type":"signal","signal":"SIGINT"}"#).unwrap(),
            Some(ClientMessage::Signal {
                signal: Signal::SIGINT
            })
        );
    }
}
