//! One incremental NDJSON decoder for every streaming endpoint.
//!
//! Checkpoint create and restore, service create/start/stop/restart/logs, session kill and
//! the sprite-list watch all answer `200 application/x-ndjson`: one JSON object per
//! `\n`-terminated line, flushed as produced (spec §1.3). [`NdjsonDecoder`] turns those bytes,
//! in whatever chunks the transport delivers them, into events of any
//! [`DeserializeOwned`] type. It knows nothing about the event types themselves.
//!
//! The rules, per line:
//! - the line ends at `\n`; surrounding whitespace (so also the `\r` of `\r\n`) is trimmed and
//!   blank lines are skipped;
//! - a line longer than the configured maximum ([`NdjsonDecoder::with_max_line`], counted
//!   before trimming, without the `\n`) yields one [`Error::Protocol`]; the decoder stops
//!   buffering at once and discards bytes until the next `\n`, so its memory never grows past
//!   the limit;
//! - a line whose `type` is `"error"` yields [`Error::Stream`] (spec §1.4 shape 6), with the
//!   message taken from its `error` field, else `message`, else `data`; this is checked
//!   before decoding the line as `T`, so an error line is an error even when `T` could hold
//!   it;
//! - a line that is not valid JSON, or does not decode as `T`, yields [`Error::Protocol`].
//!   This follows the Go SDK, which fails on such a line: silently dropping a line can hide a
//!   truncated or corrupted stream. The JS and Python SDKs skip such lines instead; ask for
//!   that with [`NdjsonDecoder::skip_invalid`].
//!
//! Errors are per line: decoding goes on with the next line, and the caller decides whether
//! to stop. The stream ends when the HTTP body ends; call [`NdjsonDecoder::finish`] then, so
//! that a last line without `\n` is decoded too.
//!
//! # Example
//!
//! ```
//! use sprites_core::ndjson::NdjsonDecoder;
//! use sprites_core::Error;
//!
//! let mut decoder = NdjsonDecoder::<serde_json::Value>::new();
//! decoder.handle_slice(b"{\"type\":\"info\",\"data\":\"Restoring...\"}\r\n\n{\"type\":\"err");
//! let first = decoder.poll_event().unwrap().unwrap();
//! assert_eq!(first["data"], "Restoring...");
//! assert!(decoder.poll_event().is_none()); // the second line is not complete yet
//!
//! decoder.handle_slice(b"or\",\"error\":\"checkpoint not found\"}");
//! decoder.finish(); // the body ended without a final newline
//! match decoder.poll_event() {
//!     Some(Err(Error::Stream { message })) => assert_eq!(message, "checkpoint not found"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! assert!(decoder.poll_event().is_none());
//! ```

use alloc::borrow::Cow;
use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;
use core::marker::PhantomData;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The default maximum line length: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1024 * 1024;

/// An incremental NDJSON decoder producing events of type `T`.
///
/// Input goes in through [`handle_bytes`](Self::handle_bytes) or
/// [`handle_slice`](Self::handle_slice) (any chunking, including empty chunks and chunks that
/// split a line or a multi-byte character) and [`finish`](Self::finish) at the end of the
/// body. Output comes out of [`poll_event`](Self::poll_event): after any input, call it until
/// it returns `None`. See the [module docs](self) for the per-line rules.
pub struct NdjsonDecoder<T> {
    /// Received chunks not yet fully looked at, oldest first.
    chunks: VecDeque<Bytes>,
    /// How much of the front chunk has been consumed.
    offset: usize,
    /// The start of a line whose end has not arrived yet; never longer than `max_line`.
    partial: Vec<u8>,
    /// Inside an over-long line (already reported): drop bytes until the next `\n`.
    discarding: bool,
    finished: bool,
    max_line: usize,
    skip_invalid: bool,
    _event: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> NdjsonDecoder<T> {
    /// A decoder with the default maximum line length ([`DEFAULT_MAX_LINE`]) that reports
    /// invalid lines as errors.
    #[must_use]
    pub fn new() -> Self {
        NdjsonDecoder {
            chunks: VecDeque::new(),
            offset: 0,
            partial: Vec::new(),
            discarding: false,
            finished: false,
            max_line: DEFAULT_MAX_LINE,
            skip_invalid: false,
            _event: PhantomData,
        }
    }

    /// Sets the maximum line length in bytes (counted before trimming, without the `\n`).
    /// A longer line is reported as [`Error::Protocol`] and skipped.
    #[must_use]
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// When `true`, lines that are not valid JSON or do not decode as `T` are skipped
    /// silently (as the JS and Python SDKs do) instead of yielding [`Error::Protocol`].
    /// Error lines and over-long lines are still reported.
    #[must_use]
    pub fn skip_invalid(mut self, skip: bool) -> Self {
        self.skip_invalid = skip;
        self
    }

    /// Decodes a whole body at once: every event and error, in order, as if the body had
    /// been fed in one chunk and then [`finish`](Self::finish)ed.
    pub fn decode_all(self, body: &[u8]) -> Vec<Result<T>> {
        let mut decoder = self;
        decoder.handle_slice(body);
        decoder.finish();
        let mut events = Vec::new();
        while let Some(event) = decoder.poll_event() {
            events.push(event);
        }
        events
    }

    /// Feeds received bytes. No copy is made: complete lines are decoded straight from the
    /// chunk; only the unfinished tail of a line is copied (at most the maximum line length).
    ///
    /// Bytes fed after [`finish`](Self::finish) are ignored.
    pub fn handle_bytes(&mut self, chunk: Bytes) {
        if self.finished || chunk.is_empty() {
            return;
        }
        self.chunks.push_back(chunk);
    }

    /// Feeds received bytes from a borrowed slice (copied).
    ///
    /// Bytes fed after [`finish`](Self::finish) are ignored.
    pub fn handle_slice(&mut self, chunk: &[u8]) {
        self.handle_bytes(Bytes::copy_from_slice(chunk));
    }

    /// Marks the end of the body: a last line without a trailing `\n` is decoded as a line.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The next event or per-line error, or `None` when more input (or
    /// [`finish`](Self::finish)) is needed.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Result<T>> {
        let (max_line, skip_invalid) = (self.max_line, self.skip_invalid);
        loop {
            let Some(chunk) = self.chunks.front() else {
                return self.poll_tail();
            };
            let rest = chunk.get(self.offset..).unwrap_or_default();
            let Some(newline) = find_byte(rest, b'\n') else {
                let overflow = !self.discarding && self.partial.len() + rest.len() > max_line;
                if !self.discarding && !overflow {
                    self.partial.extend_from_slice(rest);
                }
                self.chunks.pop_front();
                self.offset = 0;
                if overflow {
                    self.partial = Vec::new();
                    self.discarding = true;
                    return Some(Err(too_long(max_line)));
                }
                continue;
            };
            let line = rest.get(..newline).unwrap_or_default();
            let result = if self.discarding {
                self.discarding = false;
                None
            } else if self.partial.is_empty() {
                if line.len() > max_line {
                    Some(Err(too_long(max_line)))
                } else {
                    decode_line(line, skip_invalid)
                }
            } else if self.partial.len() + line.len() > max_line {
                self.partial.clear();
                Some(Err(too_long(max_line)))
            } else {
                self.partial.extend_from_slice(line);
                let event = decode_line(&self.partial, skip_invalid);
                self.partial.clear();
                event
            };
            self.offset += newline + 1;
            if self.offset >= chunk.len() {
                self.chunks.pop_front();
                self.offset = 0;
            }
            if result.is_some() {
                return result;
            }
        }
    }

    /// Bytes held by the decoder: queued chunks not yet looked at plus the unfinished line.
    /// After [`poll_event`](Self::poll_event) has returned `None`, this is at most the
    /// maximum line length.
    #[must_use]
    pub fn buffered_len(&self) -> usize {
        let queued: usize = self.chunks.iter().map(Bytes::len).sum();
        self.partial.len() + queued - self.offset
    }

    /// Whether [`finish`](Self::finish) was called and every event has been drained.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.finished && self.chunks.is_empty() && self.partial.is_empty()
    }

    /// At the end of the queued input: the last, unterminated line once the body has ended.
    fn poll_tail(&mut self) -> Option<Result<T>> {
        if !self.finished {
            return None;
        }
        self.discarding = false;
        if self.partial.is_empty() {
            return None;
        }
        let line = core::mem::take(&mut self.partial);
        decode_line(&line, self.skip_invalid)
    }
}

impl<T: DeserializeOwned> Default for NdjsonDecoder<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for NdjsonDecoder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NdjsonDecoder")
            .field("queued_chunks", &self.chunks.len())
            .field("partial_len", &self.partial.len())
            .field("discarding", &self.discarding)
            .field("finished", &self.finished)
            .field("max_line", &self.max_line)
            .field("skip_invalid", &self.skip_invalid)
            .finish()
    }
}

fn too_long(max_line: usize) -> Error {
    Error::protocol(alloc::format!("ndjson line longer than {max_line} bytes"))
}

/// Decodes one line (without its `\n`); `None` for a line to skip.
fn decode_line<T: DeserializeOwned>(line: &[u8], skip_invalid: bool) -> Option<Result<T>> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return None;
    }
    if might_be_error_line(line) {
        if let Some(message) = stream_error_message(line) {
            return Some(Err(Error::Stream { message }));
        }
    }
    match serde_json::from_slice(line) {
        Ok(event) => Some(Ok(event)),
        Err(_) if skip_invalid => None,
        Err(e) => Some(Err(Error::protocol(alloc::format!(
            "invalid ndjson line: {e}"
        )))),
    }
}

/// A cheap filter so that ordinary lines are parsed once: the `type` of an error line is the
/// JSON string `"error"`, written as such or with `\\u` escapes. Servers write `type` first,
/// so that case is settled without scanning the whole line.
fn might_be_error_line(line: &[u8]) -> bool {
    if let Some(rest) = line.strip_prefix(b"{\"type\":\"") {
        let value = find_byte(rest, b'"').and_then(|end| rest.get(..end));
        if let Some(value) = value.filter(|v| find_byte(v, b'\\').is_none()) {
            return value == b"error";
        }
    }
    contains(line, b"\"error\"") || contains(line, b"\\u")
}

/// Whether `needle` (not empty) occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(found) = haystack.get(from..).and_then(|h| find_byte(h, first)) {
        let after = from + found + 1;
        if haystack.get(after..after + rest.len()) == Some(rest) {
            return true;
        }
        from = after;
    }
    false
}

/// The index of the first `needle` byte, eight bytes at a time.
fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let pattern = LOW * u64::from(needle);
    let mut words = haystack.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let x = u64::from_ne_bytes(bytes) ^ pattern;
        // Non-zero exactly when some byte of `x` is zero, i.e. some byte equals `needle`.
        if x.wrapping_sub(LOW) & !x & HIGH != 0 {
            return word.iter().position(|&b| b == needle).map(|p| base + p);
        }
        base += 8;
    }
    haystack
        .get(base..)?
        .iter()
        .position(|&b| b == needle)
        .map(|p| base + p)
}

/// The message of a `{"type":"error"}` line, or `None` for any other line.
fn stream_error_message(line: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct TypeProbe<'a> {
        #[serde(rename = "type", borrow)]
        kind: Option<Cow<'a, str>>,
    }
    #[derive(Deserialize)]
    struct ErrorLine {
        error: Option<serde_json::Value>,
        message: Option<serde_json::Value>,
        data: Option<serde_json::Value>,
    }

    let probe: TypeProbe<'_> = serde_json::from_slice(line).ok()?;
    if probe.kind.as_deref() != Some("error") {
        return None;
    }
    let fields: ErrorLine = serde_json::from_slice(line).ok()?;
    let message = [fields.error, fields.message, fields.data]
        .into_iter()
        .flatten()
        .find_map(|v| match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) if s.is_empty() => None,
            serde_json::Value::String(s) => Some(s),
            other => Some(other.to_string()),
        });
    Some(message.unwrap_or_else(|| String::from("stream reported an error")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_line_without_text_gets_a_generic_message() {
        let events = NdjsonDecoder::<serde_json::Value>::new().decode_all(b"{\"type\":\"error\"}");
        assert!(matches!(
            events.as_slice(),
            [Err(Error::Stream { message })] if message == "stream reported an error"
        ));
    }

    #[test]
    fn escaped_error_type_is_still_an_error_line() {
        let events = NdjsonDecoder::<serde_json::Value>::new()
            .decode_all(b"{\"type\":\"\\u0065rror\",\"message\":\"boom\"}\n");
        assert!(matches!(
            events.as_slice(),
            [Err(Error::Stream { message })] if message == "boom"
        ));
    }

    #[test]
    fn error_type_after_other_fields_is_still_an_error_line() {
        let events = NdjsonDecoder::<serde_json::Value>::new().decode_all(
            b"{\"error\":\"late\",\"type\":\"error\"}\n{\"type\":\"info\",\"error\":\"no\"}",
        );
        assert!(matches!(
            events.as_slice(),
            [Err(Error::Stream { message }), Ok(_)] if message == "late"
        ));
    }

    #[test]
    fn buffered_len_counts_queued_and_partial_bytes() {
        let mut d = NdjsonDecoder::<serde_json::Value>::new();
        d.handle_slice(b"{\"a\":1}\n{\"b\"");
        assert_eq!(d.buffered_len(), 12);
        assert!(d.poll_event().is_some());
        assert!(d.poll_event().is_none());
        assert_eq!(d.buffered_len(), 4);
    }

    proptest::proptest! {
        #[test]
        fn find_byte_matches_a_plain_search(
            hay in proptest::collection::vec(0u8..4, 0..40),
            needle in 0u8..4,
        ) {
            proptest::prop_assert_eq!(
                find_byte(&hay, needle),
                hay.iter().position(|&b| b == needle)
            );
        }

        #[test]
        fn contains_matches_a_plain_search(
            hay in proptest::collection::vec(0u8..3, 0..40),
            needle in proptest::collection::vec(0u8..3, 1..4),
        ) {
            proptest::prop_assert_eq!(
                contains(&hay, &needle),
                hay.windows(needle.len()).any(|w| w == needle.as_slice())
            );
        }
    }
}
