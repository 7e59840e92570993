//! The body of `POST /v1/sprites/{name}/exec` (HTTP exec): decoder and encoder.
//!
//! HTTP exec runs a non-TTY command with one plain HTTP request (the request body is the
//! command's stdin) and streams its output back in the response body. It is the exec
//! transport for hosts that cannot open a WebSocket with an `Authorization` header (browsers,
//! edge runtimes).
//!
//! # The framing, and why this one
//!
//! **The response format is unverified** (spec §5.11, §15.9). The docs say "JSON" without a
//! schema; third parties report a stream of stream-id-tagged output, either *unframed*
//! (`0x01` then output bytes, ending `0x03 <code>`, with nothing marking where a frame ends)
//! or as *length-prefixed records*. This module implements the length-prefixed records:
//!
//! ```text
//! record = stream-id (1 byte) | payload length (u32, big-endian) | payload
//! 0x01 stdout   payload: output bytes (may be empty)
//! 0x02 stderr   payload: output bytes (may be empty)
//! 0x03 exit     payload: exactly one byte, the exit code (0–255); the last record
//! other ids     skipped (payload ignored), as exec clients ignore unknown stream ids
//! ```
//!
//! It is the only reported form that delimits itself. The unframed form can only be read by
//! assuming that one HTTP chunk is one frame (what the JS SDK does), which breaks whenever a
//! proxy, the TLS layer or the HTTP client re-chunks the body, and it cannot tell an output
//! byte `0x02` or `0x03` from a stream switch. The spec's own requirement for this transport is
//! that "the HTTP reader must not assume that a chunk is a frame" (sdk-landscape §6.2), which
//! only a length-prefixed framing satisfies. The stream ids and the one-byte exit code are the
//! exec socket's (spec §5.2), so the same numbers mean the same thing on both transports. The
//! emulator serves this framing with [`encode_stdout`], [`encode_stderr`] and
//! [`encode_exit`]. If a live check shows the real service differs, only this module changes.
//!
//! # Decoding
//!
//! [`HttpExecDecoder`] takes body bytes in any chunking and yields [`HttpExecEvent`]s. Output
//! is passed on as it arrives, as zero-copy slices of the received chunks: one record may be
//! delivered as several `Stdout`/`Stderr` events when its bytes arrive in several chunks (the
//! concatenated output is the same for any chunking). Only the 5-byte record header is ever
//! buffered. A body that ends ([`HttpExecDecoder::finish`]) before the exit record is an
//! [`Error::Protocol`], never a success; so is an exit record whose payload is not exactly one
//! byte, and any byte after the exit record. After an error the decoder yields nothing more.
//!
//! ```
//! use bytes::Bytes;
//! use sprites_core::http_exec::{encode_exit, encode_stdout, HttpExecDecoder, HttpExecEvent};
//!
//! let mut body = Vec::new();
//! encode_stdout(b"hello\n", &mut body);
//! encode_exit(3, &mut body);
//!
//! let mut decoder = HttpExecDecoder::new();
//! let (first, rest) = body.split_at(4); // any split works
//! decoder.handle_slice(first);
//! decoder.handle_slice(rest);
//! decoder.finish();
//! assert_eq!(decoder.poll_event().unwrap().unwrap(), HttpExecEvent::Stdout(Bytes::from_static(b"hello\n")));
//! assert_eq!(decoder.poll_event().unwrap().unwrap(), HttpExecEvent::Exit(3));
//! assert!(decoder.poll_event().is_none());
//! ```

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::Bytes;

use crate::error::{Error, Result};

/// The `Content-Type` the emulator answers HTTP exec with.
pub const CONTENT_TYPE: &str = "application/octet-stream";

/// Stream id of a stdout record.
pub const STDOUT: u8 = 0x01;
/// Stream id of a stderr record.
pub const STDERR: u8 = 0x02;
/// Stream id of the exit record.
pub const EXIT: u8 = 0x03;

/// Bytes in a record header: the stream id and the big-endian `u32` payload length.
pub const HEADER_LEN: usize = 5;

/// What the HTTP exec body says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpExecEvent {
    /// Output on stdout (never empty).
    Stdout(Bytes),
    /// Output on stderr (never empty).
    Stderr(Bytes),
    /// The process exited with this code; always the last event of a well-formed body.
    Exit(u8),
}

/// An incremental decoder of the HTTP exec response body.
///
/// Feed bytes with [`handle_bytes`](Self::handle_bytes) or
/// [`handle_slice`](Self::handle_slice), call [`finish`](Self::finish) when the body ends,
/// and after each call drain [`poll_event`](Self::poll_event) until it returns `None`.
#[derive(Debug, Default)]
pub struct HttpExecDecoder {
    chunks: VecDeque<Bytes>,
    state: State,
    finished: bool,
}

#[derive(Debug)]
enum State {
    /// Collecting a record header; `len` bytes of `buf` are filled.
    Header { buf: [u8; HEADER_LEN], len: usize },
    /// Inside the payload of a record.
    Payload { stream: u8, remaining: usize },
    /// The exit record's header is read; its one payload byte is next.
    ExitCode,
    /// The exit record was decoded; the body must end here.
    Exited,
    /// An error was reported; nothing more is decoded.
    Failed,
}

impl Default for State {
    fn default() -> Self {
        State::Header {
            buf: [0; HEADER_LEN],
            len: 0,
        }
    }
}

impl HttpExecDecoder {
    /// A decoder at the start of a body.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds received body bytes. Output events are slices of these chunks (no copy).
    /// Bytes fed after [`finish`](Self::finish) are ignored.
    pub fn handle_bytes(&mut self, chunk: Bytes) {
        if self.finished || chunk.is_empty() {
            return;
        }
        self.chunks.push_back(chunk);
    }

    /// Feeds received body bytes from a borrowed slice (copied once).
    pub fn handle_slice(&mut self, chunk: &[u8]) {
        if self.finished || chunk.is_empty() {
            return;
        }
        self.handle_bytes(Bytes::copy_from_slice(chunk));
    }

    /// Marks the end of the body. If the exit record has not been decoded by then,
    /// [`poll_event`](Self::poll_event) reports the truncation as an error.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The next event, an error, or `None` when more input (or [`finish`](Self::finish)) is
    /// needed or the body is fully decoded.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Result<HttpExecEvent>> {
        loop {
            if matches!(self.state, State::Failed) {
                return None;
            }
            let Some(chunk) = self.chunks.front_mut() else {
                return self.poll_end();
            };
            if chunk.is_empty() {
                self.chunks.pop_front();
                continue;
            }
            match &mut self.state {
                State::Header { buf, len } => {
                    let take = (HEADER_LEN - *len).min(chunk.len());
                    let head = chunk.split_to(take);
                    if let Some(dst) = buf.get_mut(*len..*len + take) {
                        dst.copy_from_slice(&head);
                    }
                    *len += take;
                    if *len == HEADER_LEN {
                        let header = *buf;
                        if let Err(e) = self.start_record(header) {
                            return Some(Err(e));
                        }
                    }
                }
                State::Payload { stream, remaining } => {
                    let take = (*remaining).min(chunk.len());
                    let data = chunk.split_to(take);
                    let stream = *stream;
                    *remaining -= take;
                    if *remaining == 0 {
                        self.state = State::default();
                    }
                    match stream {
                        STDOUT => return Some(Ok(HttpExecEvent::Stdout(data))),
                        STDERR => return Some(Ok(HttpExecEvent::Stderr(data))),
                        _ => {}
                    }
                }
                State::ExitCode => {
                    let code = chunk.split_to(1).first().copied().unwrap_or_default();
                    self.state = State::Exited;
                    return Some(Ok(HttpExecEvent::Exit(code)));
                }
                State::Exited => {
                    return Some(Err(
                        self.fail("http exec body continues after the exit record")
                    ));
                }
                State::Failed => return None,
            }
        }
    }

    /// Whether the exit record has been decoded.
    #[must_use]
    pub fn has_exited(&self) -> bool {
        matches!(self.state, State::Exited)
    }

    /// Interprets a complete record header.
    fn start_record(&mut self, header: [u8; HEADER_LEN]) -> Result<()> {
        let [stream, l0, l1, l2, l3] = header;
        // A u32 always fits in usize on the targets this crate supports (32 and 64 bit);
        // saturate rather than cast so no length can wrap.
        let len = usize::try_from(u32::from_be_bytes([l0, l1, l2, l3])).unwrap_or(usize::MAX);
        self.state = match (stream, len) {
            (EXIT, 1) => State::ExitCode,
            (EXIT, n) => {
                return Err(self.fail(alloc::format!(
                    "http exec exit record has {n} payload bytes, expected 1"
                )))
            }
            (_, 0) => State::default(),
            (stream, remaining) => State::Payload { stream, remaining },
        };
        Ok(())
    }

    /// No queued input: report truncation once the body has ended.
    fn poll_end(&mut self) -> Option<Result<HttpExecEvent>> {
        if !self.finished {
            return None;
        }
        let message = match self.state {
            State::Exited | State::Failed => return None,
            State::Header { len: 0, .. } => "http exec body ended before the exit record",
            State::Header { .. } => "http exec body ended inside a record header",
            State::Payload { .. } | State::ExitCode => "http exec body ended inside a record",
        };
        Some(Err(self.fail(message)))
    }

    fn fail(&mut self, message: impl Into<alloc::string::String>) -> Error {
        self.state = State::Failed;
        self.chunks.clear();
        Error::protocol(message)
    }
}

/// The 5-byte header of a record: `stream` then `len` as a big-endian `u32`. For servers
/// that write the header and the payload separately (vectored writes).
#[must_use]
pub fn record_header(stream: u8, len: u32) -> [u8; HEADER_LEN] {
    let [a, b, c, d] = len.to_be_bytes();
    [stream, a, b, c, d]
}

/// Appends stdout records carrying `data` to `out`. Empty `data` appends nothing; data longer
/// than `u32::MAX` bytes is split over several records.
pub fn encode_stdout(data: &[u8], out: &mut Vec<u8>) {
    encode_output(STDOUT, data, out);
}

/// Appends stderr records carrying `data` to `out` (see [`encode_stdout`]).
pub fn encode_stderr(data: &[u8], out: &mut Vec<u8>) {
    encode_output(STDERR, data, out);
}

/// Appends the exit record to `out`; it must be the last record of the body.
pub fn encode_exit(code: u8, out: &mut Vec<u8>) {
    out.extend_from_slice(&record_header(EXIT, 1));
    out.push(code);
}

fn encode_output(stream: u8, data: &[u8], out: &mut Vec<u8>) {
    let max_record = usize::try_from(u32::MAX).unwrap_or(usize::MAX);
    for part in data.chunks(max_record) {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.reserve(HEADER_LEN + part.len());
        out.extend_from_slice(&record_header(stream, len));
        out.extend_from_slice(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_length_output_record_yields_no_event() {
        let mut d = HttpExecDecoder::new();
        d.handle_slice(&[STDOUT, 0, 0, 0, 0, EXIT, 0, 0, 0, 1, 0]);
        assert_eq!(d.poll_event().unwrap().unwrap(), HttpExecEvent::Exit(0));
        assert!(d.poll_event().is_none());
    }
}
