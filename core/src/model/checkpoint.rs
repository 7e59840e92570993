//! Checkpoints and the NDJSON lines of the checkpoint and restore streams (spec §8).

use alloc::string::String;
use alloc::vec::Vec;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::serde_util::{nullable, opt_time, string_or_number};

/// A saved state of a sprite's filesystem.
///
/// Ids are `v0`, `v1`, … (sequential; `v0` exists from creation), `Current` (a pseudo-entry
/// for the live state, listed first) and `auto-…` (automatic checkpoints).
///
/// ```
/// use sprites_core::model::Checkpoint;
/// let c: Checkpoint = serde_json::from_str(
///     r#"{"id":"v1","create_time":"2026-01-22T20:46:34Z","comment":"retrieve test","is_auto":false}"#,
/// ).unwrap();
/// assert_eq!(c.id, "v1");
/// assert_eq!(c.comment.as_deref(), Some("retrieve test"));
/// assert!(c.created_at.is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The checkpoint id (`v1`, `Current`, `auto-…`).
    #[serde(default, deserialize_with = "string_or_number")]
    pub id: String,
    /// The comment given at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When it was created. Wire name `create_time` (`created_at` is accepted too).
    #[serde(
        rename = "create_time",
        alias = "created_at",
        default,
        with = "opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<DateTime<Utc>>,
    /// The parent checkpoint id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// The storage path (`checkpoints/v1`), when the server says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Ancestor checkpoint ids.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub history: Vec<String>,
    /// Whether the checkpoint was made automatically. Always sent.
    #[serde(default, deserialize_with = "nullable")]
    pub is_auto: bool,
    /// Empty or absent when healthy; `mount_failed` when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
}

impl Checkpoint {
    /// The id of the pseudo-checkpoint that stands for the live state.
    pub const CURRENT: &'static str = "Current";

    /// Whether this is the `Current` pseudo-entry rather than a saved checkpoint.
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.id == Self::CURRENT
    }

    /// Whether the server reports the checkpoint healthy (no `health` text).
    #[must_use]
    pub fn is_healthy(&self) -> bool {
        self.health.as_deref().is_none_or(str::is_empty)
    }
}

/// Options for listing checkpoints.
///
/// `Default` gives `include_auto: false`: automatic checkpoints are hidden, as they are by
/// the server when the query parameter is absent. (The 0.1 crate's docs claimed `true`; its
/// derived `Default` gave `false`, as this one does.)
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCheckpointsOptions {
    /// Also list automatic checkpoints (`includeAuto=true`).
    #[serde(default, deserialize_with = "nullable")]
    pub include_auto: bool,
    /// Only checkpoints whose history contains this id (`history=<id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_filter: Option<String>,
}

/// The list of checkpoints, newest first with `Current` first.
///
/// The wire form is a bare JSON array; an object `{"checkpoints": [...]}` is accepted too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListCheckpointsResponse {
    /// The checkpoints.
    pub checkpoints: Vec<Checkpoint>,
}

impl Serialize for ListCheckpointsResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.checkpoints.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ListCheckpointsResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bare(Vec<Checkpoint>),
            Wrapped {
                #[serde(default, deserialize_with = "nullable")]
                checkpoints: Vec<Checkpoint>,
            },
        }
        let checkpoints = match Option::<Raw>::deserialize(d)? {
            None => Vec::new(),
            Some(Raw::Bare(c) | Raw::Wrapped { checkpoints: c }) => c,
        };
        Ok(ListCheckpointsResponse { checkpoints })
    }
}

/// The body of `POST /v1/sprites/{name}/checkpoint`: `{}` or `{"comment": "..."}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointRequest {
    /// A comment stored with the checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One NDJSON line of a checkpoint create or restore stream.
///
/// The stream ends with `complete` on success or `error` on failure (a restore of an unknown
/// checkpoint still answers `200` and reports the failure in an `error` line). Lines with any
/// other `type`, or that are not objects, are kept whole in [`StreamMessage::Unknown`].
///
/// ```
/// use sprites_core::model::StreamMessage;
/// let line = r#"{"type":"complete","data":"Checkpoint v3 created successfully","time":"2026-01-31T12:24:41.779658713Z"}"#;
/// let msg: StreamMessage = serde_json::from_str(line).unwrap();
/// assert_eq!(msg.checkpoint_id(), Some("v3"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamMessage {
    /// Progress text.
    Info {
        /// The text (may start with `\n` or be indented).
        data: String,
        /// When the server wrote the line (nanosecond precision).
        time: Option<DateTime<Utc>>,
    },
    /// The final success line.
    Complete {
        /// The text, e.g. `Checkpoint v1 created successfully` or `Restore from v1 complete`.
        data: String,
        /// When the server wrote the line.
        time: Option<DateTime<Utc>>,
    },
    /// The operation failed; the stream ends.
    Error {
        /// The error text. Wire name `error` (`message` is accepted too).
        message: String,
        /// When the server wrote the line.
        time: Option<DateTime<Utc>>,
    },
    /// Command output (named in the SDKs' type comments; not seen live).
    Stdout {
        /// The output text.
        data: String,
    },
    /// Command error output (named in the SDKs' type comments; not seen live).
    Stderr {
        /// The output text.
        data: String,
    },
    /// A line with any other `type`, kept whole.
    Unknown(serde_json::Value),
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "StreamMessage", tag = "type", rename_all = "lowercase")]
#[allow(dead_code)] // only a serde description of `StreamMessage`
enum StreamMessageWire {
    Info {
        #[serde(default, deserialize_with = "nullable")]
        data: String,
        #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
        time: Option<DateTime<Utc>>,
    },
    Complete {
        #[serde(default, deserialize_with = "nullable")]
        data: String,
        #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
        time: Option<DateTime<Utc>>,
    },
    Error {
        #[serde(
            rename = "error",
            alias = "message",
            default,
            deserialize_with = "nullable"
        )]
        message: String,
        #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
        time: Option<DateTime<Utc>>,
    },
    Stdout {
        #[serde(default, deserialize_with = "nullable")]
        data: String,
    },
    Stderr {
        #[serde(default, deserialize_with = "nullable")]
        data: String,
    },
    #[serde(skip)]
    Unknown(serde_json::Value),
}

impl StreamMessage {
    /// The `type` strings this enum knows; any other becomes [`StreamMessage::Unknown`].
    pub const KNOWN_TYPES: &'static [&'static str] =
        &["info", "complete", "error", "stdout", "stderr"];
}

impl Serialize for StreamMessage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StreamMessage::Unknown(v) => v.serialize(s),
            known => StreamMessageWire::serialize(known, s),
        }
    }
}

/// Reads a stream line in one pass (checkpoint and restore streams are the hot NDJSON path;
/// an internally tagged enum, or a `Value` first, would buffer every line). Fields of a known
/// `type` are checked; a line of any other `type`, or not an object, is kept whole.
impl<'de> Deserialize<'de> for StreamMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LineVisitor)
    }
}

/// A key of a stream line, matched without allocating for the known ones.
enum LineField {
    Type,
    Data,
    Error,
    Message,
    Time,
    Other(String),
}

impl<'de> Deserialize<'de> for LineField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = LineField;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LineField, E> {
                Ok(match v {
                    "type" => LineField::Type,
                    "data" => LineField::Data,
                    "error" => LineField::Error,
                    "message" => LineField::Message,
                    "time" => LineField::Time,
                    other => LineField::Other(String::from(other)),
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// The `type` of a stream line: one of [`StreamMessage::KNOWN_TYPES`], or anything else kept
/// as it was sent.
enum LineKind {
    Known(&'static str),
    Other(serde_json::Value),
}

impl<'de> Deserialize<'de> for LineKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LineKind;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a line type")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LineKind, E> {
                let known = StreamMessage::KNOWN_TYPES.iter().find(|k| **k == v);
                Ok(match known {
                    Some(k) => LineKind::Known(k),
                    None => LineKind::Other(serde_json::Value::String(String::from(v))),
                })
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<LineKind, E> {
                Ok(LineKind::Other(v.into()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<LineKind, E> {
                Ok(LineKind::Other(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<LineKind, E> {
                Ok(LineKind::Other(v.into()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<LineKind, E> {
                Ok(LineKind::Other(v.into()))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<LineKind, E> {
                Ok(LineKind::Other(serde_json::Value::Null))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<LineKind, A::Error> {
                let v = serde_json::Value::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(LineKind::Other(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<LineKind, A::Error> {
                let v = serde_json::Value::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(seq),
                )?;
                Ok(LineKind::Other(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A stream line's `time`: parsed, or the value as sent.
enum LineTime {
    Parsed(Option<DateTime<Utc>>),
    Raw(serde_json::Value),
}

/// Reads `time`, parsing it straight from the input when `parse_now`.
struct TimeSeed {
    parse_now: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for TimeSeed {
    type Value = LineTime;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<LineTime, D::Error> {
        if !self.parse_now {
            return serde_json::Value::deserialize(d).map(LineTime::Raw);
        }
        d.deserialize_any(TimeVisitor).map(LineTime::Parsed)
    }
}

/// Parses a time without copying its text: RFC 3339 text or Unix seconds; values of other
/// shapes give no time.
struct TimeVisitor;

impl<'de> serde::de::Visitor<'de> for TimeVisitor {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a time")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(super::serde_util::parse_timestamp(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(DateTime::from_timestamp(v, 0))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v)
            .ok()
            .and_then(|v| DateTime::from_timestamp(v, 0)))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        serde::de::IgnoredAny::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(None)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        serde::de::IgnoredAny::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(None)
    }
}

struct LineVisitor;

impl LineVisitor {
    fn other<E: serde::de::Error>(value: serde_json::Value) -> Result<StreamMessage, E> {
        Ok(StreamMessage::Unknown(value))
    }
}

impl<'de> serde::de::Visitor<'de> for LineVisitor {
    type Value = StreamMessage;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a stream line")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<StreamMessage, A::Error> {
        use serde::de::Error as _;
        use serde_json::Value;
        let mut kind: Option<LineKind> = None;
        let mut data: Option<Value> = None;
        let mut error: Option<Value> = None;
        let mut message: Option<Value> = None;
        // Parsed straight from the input once the line's type is known (no copy of the text);
        // kept as sent otherwise, in case the line turns out to be of an unknown type.
        let mut time: Option<LineTime> = None;
        let mut rest: Vec<(String, Value)> = Vec::new();
        while let Some(key) = map.next_key::<LineField>()? {
            let slot = match key {
                LineField::Type => {
                    kind = Some(map.next_value()?);
                    continue;
                }
                LineField::Data => &mut data,
                LineField::Error => &mut error,
                LineField::Message => &mut message,
                LineField::Time => {
                    let parse_now = matches!(kind, Some(LineKind::Known(_)));
                    time = Some(map.next_value_seed(TimeSeed { parse_now })?);
                    continue;
                }
                LineField::Other(name) => {
                    rest.push((name, map.next_value()?));
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        let kind = match kind {
            Some(LineKind::Known(kind)) => kind,
            other => {
                let mut object = serde_json::Map::new();
                let kind = other.map(|k| match k {
                    LineKind::Known(name) => Value::String(String::from(name)),
                    LineKind::Other(v) => v,
                });
                let time = time.map(|t| match t {
                    LineTime::Raw(v) => v,
                    // Parsed only after a known type was seen, so never for this line.
                    LineTime::Parsed(_) => Value::Null,
                });
                let named = [
                    ("type", kind),
                    ("data", data),
                    ("error", error),
                    ("message", message),
                    ("time", time),
                ];
                for (k, v) in named {
                    if let Some(v) = v {
                        object.insert(String::from(k), v);
                    }
                }
                object.extend(rest);
                return Ok(StreamMessage::Unknown(Value::Object(object)));
            }
        };
        let text = |field: &str, v: Option<Value>| -> Result<String, A::Error> {
            match v {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s),
                Some(other) => Err(A::Error::custom(alloc::format!(
                    "malformed {kind:?} message: {field} is {other}, not a string"
                ))),
            }
        };
        let time = time.and_then(|t| match t {
            LineTime::Parsed(t) => t,
            LineTime::Raw(Value::String(s)) => super::serde_util::parse_timestamp(&s),
            LineTime::Raw(Value::Number(n)) => n
                .as_i64()
                .and_then(|secs| DateTime::from_timestamp(secs, 0)),
            LineTime::Raw(_) => None,
        });
        Ok(match kind {
            "info" => StreamMessage::Info {
                data: text("data", data)?,
                time,
            },
            "complete" => StreamMessage::Complete {
                data: text("data", data)?,
                time,
            },
            "error" => StreamMessage::Error {
                message: match error {
                    None | Some(Value::Null) => text("message", message)?,
                    some => text("error", some)?,
                },
                time,
            },
            "stdout" => StreamMessage::Stdout {
                data: text("data", data)?,
            },
            _ => StreamMessage::Stderr {
                data: text("data", data)?,
            },
        })
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StreamMessage, E> {
        Self::other(serde_json::Value::String(String::from(v)))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<StreamMessage, E> {
        Self::other(v.into())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<StreamMessage, E> {
        Self::other(v.into())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<StreamMessage, E> {
        Self::other(v.into())
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<StreamMessage, E> {
        Self::other(v.into())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<StreamMessage, E> {
        Self::other(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<StreamMessage, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(StreamMessage::Unknown(serde_json::Value::Array(items)))
    }
}

impl StreamMessage {
    /// The new checkpoint's id, if this line of a create stream carries it: the `complete`
    /// line `Checkpoint vN created successfully`, or the info line `  ID: vN`.
    ///
    /// The API returns the id only as text, so this is the way to learn it without listing.
    ///
    /// ```
    /// use sprites_core::model::StreamMessage;
    /// let info = StreamMessage::Info { data: "  ID: v1".into(), time: None };
    /// assert_eq!(info.checkpoint_id(), Some("v1"));
    /// let other = StreamMessage::Info { data: "Creating checkpoint...".into(), time: None };
    /// assert_eq!(other.checkpoint_id(), None);
    /// ```
    #[must_use]
    pub fn checkpoint_id(&self) -> Option<&str> {
        let id = match self {
            StreamMessage::Complete { data, .. } => data
                .trim()
                .strip_prefix("Checkpoint ")?
                .strip_suffix(" created successfully")?,
            StreamMessage::Info { data, .. } => data.trim().strip_prefix("ID:")?,
            _ => return None,
        };
        let id = id.trim();
        let valid = !id.is_empty() && !id.contains(char::is_whitespace);
        valid.then_some(id)
    }

    /// The error text, if this is an `error` line.
    #[must_use]
    pub fn error_message(&self) -> Option<&str> {
        match self {
            StreamMessage::Error { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether this is the final `complete` line.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        matches!(self, StreamMessage::Complete { .. })
    }
}
