//! Tolerant serde helpers shared by the model types.
//!
//! The sources disagree on ids (string or number), timestamps (RFC 3339 of any precision or
//! Unix numbers) and on whether an absent value is left out or sent as `null`. These helpers
//! accept every form seen and serialize the one the live API sends.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Deserializes `T`, treating `null` as `T::default()`. Use with `#[serde(default)]`.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A JSON scalar of any kind, read in one pass (an untagged enum would buffer the value).
enum Scalar {
    Text(String),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a string, a number or a boolean")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(String::from(v)))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Text(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::UInt(v))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Deserializes an id sent as a string or a number (`"332"` or `332`); `null` gives `""`.
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Option::<Scalar>::deserialize(d)? {
        None => String::new(),
        Some(Scalar::Text(s)) => s,
        Some(Scalar::Int(n)) => n.to_string(),
        Some(Scalar::UInt(n)) => n.to_string(),
        Some(Scalar::Float(n)) => n.to_string(),
        Some(Scalar::Bool(b)) => b.to_string(),
    })
}

/// Deserializes a list of strings in which non-string items are rendered as JSON text.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    let items = Option::<Vec<serde_json::Value>>::deserialize(d)?;
    Ok(items.map(|items| {
        items
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect()
    }))
}

/// Parses a timestamp: RFC 3339 with any fraction precision, or the same without an offset
/// (with `T` or a space between date and time), read as UTC.
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(t) = parse_utc_fast(s.as_bytes()) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(s, fmt).ok())
        .map(|naive| naive.and_utc())
}

/// The one form the API writes on every stream line, `2026-01-31T12:24:41.779658713Z`
/// (`YYYY-MM-DDTHH:MM:SS`, an optional fraction of up to nine digits, `Z`), read without the
/// general parser; anything else gives `None` and goes to it.
fn parse_utc_fast(b: &[u8]) -> Option<DateTime<Utc>> {
    fn num(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    }
    let (head, rest) = (b.get(..19)?, b.get(19..)?);
    if head.get(4) != Some(&b'-')
        || head.get(7) != Some(&b'-')
        || head.get(10) != Some(&b'T')
        || head.get(13) != Some(&b':')
        || head.get(16) != Some(&b':')
    {
        return None;
    }
    let year = i32::try_from(num(head.get(0..4)?)?).ok()?;
    let (month, day) = (num(head.get(5..7)?)?, num(head.get(8..10)?)?);
    let (hour, minute, second) = (
        num(head.get(11..13)?)?,
        num(head.get(14..16)?)?,
        num(head.get(17..19)?)?,
    );
    let frac = match rest.split_last()? {
        (b'Z', frac) => frac,
        _ => return None,
    };
    let nanos = match frac.split_first() {
        None => 0,
        Some((b'.', digits)) if (1..=9).contains(&digits.len()) => {
            num(digits)? * 10u32.pow(9 - u32::try_from(digits.len()).ok()?)
        }
        Some(_) => return None,
    };
    chrono::NaiveDate::from_ymd_opt(year, month, day)?
        .and_hms_nano_opt(hour, minute, second, nanos)
        .map(|naive| naive.and_utc())
}

/// Formats a timestamp as RFC 3339 in UTC with `Z`, keeping as many fraction digits as needed.
pub(crate) fn format_timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// How a bare number in a timestamp field is read.
#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Millis,
}

fn timestamp_from_scalar(raw: Scalar, unit: Unit) -> Option<DateTime<Utc>> {
    let int = match raw {
        Scalar::Text(s) => return parse_timestamp(&s),
        Scalar::Int(n) => n,
        Scalar::UInt(n) => i64::try_from(n).ok()?,
        Scalar::Float(_) | Scalar::Bool(_) => return None,
    };
    match unit {
        Unit::Seconds => DateTime::from_timestamp(int, 0),
        Unit::Millis => DateTime::from_timestamp_millis(int),
    }
}

fn deserialize_timestamp<'de, D: Deserializer<'de>>(
    d: D,
    unit: Unit,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.and_then(|raw| timestamp_from_scalar(raw, unit)))
}

/// An optional timestamp: RFC 3339 (any precision) or Unix seconds; `null`, an empty string
/// or an unreadable value give `None`. Serializes as RFC 3339.
pub(crate) mod opt_time {
    use super::{deserialize_timestamp, format_timestamp, Unit};
    use chrono::{DateTime, Utc};
    use serde::{Deserializer, Serializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        deserialize_timestamp(d, Unit::Seconds)
    }

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_timestamp(t)),
            None => s.serialize_none(),
        }
    }
}

/// A required timestamp read like [`opt_time`]; a missing or unreadable value gives the Unix
/// epoch. Serializes as RFC 3339.
pub(crate) mod time {
    use super::{deserialize_timestamp, format_timestamp, Unit};
    use chrono::{DateTime, Utc};
    use serde::{Deserializer, Serializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        Ok(deserialize_timestamp(d, Unit::Seconds)?.unwrap_or_default())
    }

    pub(crate) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_timestamp(t))
    }
}

/// An optional timestamp sent as Unix milliseconds (service log events); RFC 3339 text is
/// accepted too. Serializes as an integer of milliseconds.
pub(crate) mod opt_millis {
    use super::{deserialize_timestamp, Unit};
    use chrono::{DateTime, Utc};
    use serde::{Deserializer, Serializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        deserialize_timestamp(d, Unit::Millis)
    }

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_i64(t.timestamp_millis()),
            None => s.serialize_none(),
        }
    }
}

/// Whether a value equals its type's default; for `skip_serializing_if`.
pub(crate) fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Serializes a string-like enum by its wire name.
pub(crate) fn serialize_str<S: Serializer>(s: S, name: &str) -> Result<S::Ok, S::Error> {
    name.serialize(s)
}

/// Defines an enum of wire strings with a catch-all variant that keeps any other string.
///
/// Known names match case-insensitively; the catch-all (declared after the enum body as
/// `catch_all Name(String);`) keeps the original text and serializes it back unchanged.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
        $(#[$umeta:meta])* catch_all $unknown:ident(String);
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            $(#[$umeta])* $unknown(alloc::string::String),
        }

        impl $name {
            /// Reads a wire string; known names match in any case, anything else is kept
            /// in the catch-all variant.
            #[must_use]
            pub fn parse(s: &str) -> Self {
                $( if s.eq_ignore_ascii_case($wire) { return $name::$variant; } )+
                $name::$unknown(alloc::string::String::from(s))
            }

            /// The string sent on the wire.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::$unknown(s) => s,
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::model::serde_util::serialize_str(s, self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <alloc::string::String as serde::Deserialize>::deserialize(d)?;
                Ok($name::parse(&s))
            }
        }
    };
}

pub(crate) use string_enum;

/// Defines `Serialize`/`Deserialize` for an internally tagged (`"type"`) public enum through
/// a private mirror that derives them with `#[serde(remote = "Public", tag = "type")]` and
/// marks the catch-all `Unknown(serde_json::Value)` variant `#[serde(skip)]`. Lines whose
/// `type` is not in `$known` (or that are not objects) become `Unknown` with the whole value
/// kept; known lines must parse. The mirror keeps serde's generated inherent functions off
/// the public type.
macro_rules! tagged_with_unknown {
    ($name:ident via $wire:ident, $unknown:ident, [$($known:literal),+ $(,)?]) => {
        impl $name {
            /// The `type` strings this enum knows; any other becomes the catch-all variant.
            pub const KNOWN_TYPES: &'static [&'static str] = &[$($known),+];
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $name::$unknown(v) => serde::Serialize::serialize(v, s),
                    known => $wire::serialize(known, s),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                let kind = value.get("type").and_then(serde_json::Value::as_str);
                let Some(kind) = kind.filter(|k| $name::KNOWN_TYPES.contains(k)) else {
                    return Ok($name::$unknown(value));
                };
                let kind = alloc::string::String::from(kind);
                $wire::deserialize(value).map_err(|e| {
                    <D::Error as serde::de::Error>::custom(alloc::format!(
                        "malformed {:?} message: {e}",
                        kind
                    ))
                })
            }
        }
    };
}

pub(crate) use tagged_with_unknown;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_timestamp_path_agrees_with_the_general_parser() {
        for s in [
            "2026-01-31T12:24:41Z",
            "2026-01-31T12:24:41.7Z",
            "2026-01-31T12:24:41.779658713Z",
            "2026-01-31T12:24:41.000000001Z",
            "1999-12-31T23:59:59.123456Z",
            "2024-02-29T00:00:00.5Z",
        ] {
            let general = DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
            assert_eq!(parse_utc_fast(s.as_bytes()), Some(general), "{s}");
            assert_eq!(parse_timestamp(s), Some(general), "{s}");
        }
    }

    #[test]
    fn fast_timestamp_path_declines_other_forms() {
        for s in [
            "2026-01-31T12:24:41+02:00",
            "2026-01-31 12:24:41Z",
            "2026-01-31T12:24:41.Z",
            "2026-01-31T12:24:41.1234567890Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-31T12:24:60Z",
            "２026-01-31T12:24:41Z",
            "",
        ] {
            assert_eq!(parse_utc_fast(s.as_bytes()), None, "{s}");
        }
        assert!(parse_timestamp("2026-01-31T12:24:41+02:00").is_some());
        assert!(parse_timestamp("2026-01-31 12:24:41").is_some());
    }
}
