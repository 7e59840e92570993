//! Binary frames of the exec socket (spec §5.2, §5.3).
//!
//! Without a TTY every binary WebSocket message is one frame: a stream-id byte followed by
//! the payload, no length field:
//!
//! | Byte | Frame | Direction | Payload |
//! |---|---|---|---|
//! | `0x00` | [`Frame::Stdin`] | client → server | input bytes |
//! | `0x01` | [`Frame::Stdout`] | server → client | output bytes (may be empty) |
//! | `0x02` | [`Frame::Stderr`] | server → client | output bytes (may be empty) |
//! | `0x03` | [`Frame::Exit`] | server → client | one byte: the exit code |
//! | `0x04` | [`Frame::StdinEof`] | client → server | none |
//!
//! With a TTY a binary message is raw terminal bytes in both directions ([`Framing::Tty`]).
//!
//! Decoding never copies: payloads are [`Bytes::slice`]s of the received message.
//!
//! Decisions where the sources disagree or a peer misbehaves (none of them panics):
//! - an empty message decodes to nothing ([`None`]);
//! - an unknown stream id decodes to nothing, as every official client ignores it;
//! - an exit frame reads the first payload byte, as Go, JS and Python do: an empty payload
//!   is exit `0` (Go's rule), bytes after the first are ignored.
//!
//! ```
//! use bytes::Bytes;
//! use sprites_core::exec::frame::{Frame, Framing};
//!
//! let msg = Bytes::from_static(b"\x01hello");
//! assert_eq!(Frame::decode(&msg), Some(Frame::Stdout(Bytes::from_static(b"hello"))));
//! assert_eq!(Frame::Exit(7).encode(), Bytes::from_static(b"\x03\x07"));
//! // In TTY mode the same bytes are terminal output, prefix included.
//! assert_eq!(
//!     Framing::Tty.decode_from_server(&msg),
//!     Some(Frame::Stdout(msg.clone()))
//! );
//! ```

use alloc::vec::Vec;
use bytes::Bytes;

/// The stream-id bytes of non-TTY frames.
pub mod stream_id {
    /// Client → server input.
    pub const STDIN: u8 = 0x00;
    /// Server → client standard output.
    pub const STDOUT: u8 = 0x01;
    /// Server → client standard error.
    pub const STDERR: u8 = 0x02;
    /// Server → client exit code.
    pub const EXIT: u8 = 0x03;
    /// Client → server end of input.
    pub const STDIN_EOF: u8 = 0x04;
}

/// One decoded binary message of the exec socket.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Frame {
    /// Input for the process.
    Stdin(Bytes),
    /// Standard output of the process (in TTY mode: everything the terminal printed).
    Stdout(Bytes),
    /// Standard error of the process (non-TTY only).
    Stderr(Bytes),
    /// The process exited with this code (non-TTY only). Deaths by signal N arrive as
    /// `128 + N`.
    Exit(u8),
    /// The client has no more input (non-TTY only).
    StdinEof,
}

impl Frame {
    /// Decodes one non-TTY binary message, in either direction.
    ///
    /// Returns `None` for an empty message and for an unknown stream id. Payloads are
    /// zero-copy slices of `message`.
    #[must_use]
    pub fn decode(message: &Bytes) -> Option<Frame> {
        let (&id, rest) = message.split_first()?;
        let payload = || message.slice(1..);
        match id {
            stream_id::STDIN => Some(Frame::Stdin(payload())),
            stream_id::STDOUT => Some(Frame::Stdout(payload())),
            stream_id::STDERR => Some(Frame::Stderr(payload())),
            stream_id::EXIT => Some(Frame::Exit(rest.first().copied().unwrap_or(0))),
            stream_id::STDIN_EOF => Some(Frame::StdinEof),
            _ => None,
        }
    }

    /// The stream-id byte of this frame.
    #[must_use]
    pub fn stream_id(&self) -> u8 {
        match self {
            Frame::Stdin(_) => stream_id::STDIN,
            Frame::Stdout(_) => stream_id::STDOUT,
            Frame::Stderr(_) => stream_id::STDERR,
            Frame::Exit(_) => stream_id::EXIT,
            Frame::StdinEof => stream_id::STDIN_EOF,
        }
    }

    /// Encodes this frame as one non-TTY binary message: the stream-id byte, then the
    /// payload. (One copy: a WebSocket message must be contiguous.)
    #[must_use]
    pub fn encode(&self) -> Bytes {
        match self {
            Frame::Stdin(data) | Frame::Stdout(data) | Frame::Stderr(data) => {
                prefixed(self.stream_id(), data)
            }
            Frame::Exit(code) => Bytes::from(alloc::vec![stream_id::EXIT, *code]),
            Frame::StdinEof => Bytes::from_static(&[stream_id::STDIN_EOF]),
        }
    }
}

/// How binary messages are framed on one exec socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    /// No TTY: stream-id byte + payload ([`Frame::decode`]).
    Stream,
    /// TTY: raw terminal bytes, no prefix, no exit or EOF frames.
    Tty,
}

impl Framing {
    /// The framing for a session with (`true`) or without a TTY.
    #[must_use]
    pub fn for_tty(tty: bool) -> Self {
        if tty {
            Framing::Tty
        } else {
            Framing::Stream
        }
    }

    /// Decodes a binary message the server sent (the client's view). In TTY mode a
    /// non-empty message is [`Frame::Stdout`] holding the whole message.
    #[must_use]
    pub fn decode_from_server(self, message: &Bytes) -> Option<Frame> {
        match self {
            Framing::Stream => Frame::decode(message),
            Framing::Tty if message.is_empty() => None,
            Framing::Tty => Some(Frame::Stdout(message.clone())),
        }
    }

    /// Decodes a binary message the client sent (the server's view). In TTY mode a
    /// non-empty message is [`Frame::Stdin`] holding the whole message.
    #[must_use]
    pub fn decode_from_client(self, message: &Bytes) -> Option<Frame> {
        match self {
            Framing::Stream => Frame::decode(message),
            Framing::Tty if message.is_empty() => None,
            Framing::Tty => Some(Frame::Stdin(message.clone())),
        }
    }

    /// Encodes a frame for this framing. In TTY mode data frames are sent raw (without a
    /// copy) and [`Frame::Exit`] and [`Frame::StdinEof`] have no representation (`None`):
    /// a TTY session reports its exit in a text message and takes EOF as typed input.
    #[must_use]
    pub fn encode(self, frame: &Frame) -> Option<Bytes> {
        match (self, frame) {
            (Framing::Stream, frame) => Some(frame.encode()),
            (Framing::Tty, Frame::Stdin(data) | Frame::Stdout(data) | Frame::Stderr(data)) => {
                Some(data.clone())
            }
            (Framing::Tty, Frame::Exit(_) | Frame::StdinEof) => None,
        }
    }
}

fn prefixed(id: u8, data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len().saturating_add(1));
    out.push(id);
    out.extend_from_slice(data);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload_ptr(frame: &Frame) -> *const u8 {
        match frame {
            Frame::Stdin(b) | Frame::Stdout(b) | Frame::Stderr(b) => b.as_ptr(),
            other => panic!("no payload in {other:?}"),
        }
    }

    #[test]
    fn decoded_payload_points_into_the_input_buffer() {
        let mut raw = alloc::vec![stream_id::STDOUT];
        raw.extend(core::iter::repeat_n(b'x', 64 * 1024));
        let input = Bytes::from(raw);
        let frame = Frame::decode(&input).unwrap();
        let start = input.as_ptr() as usize;
        let ptr = payload_ptr(&frame) as usize;
        assert_eq!(ptr, start + 1);
        assert!(ptr + 64 * 1024 <= start + input.len());
    }

    #[test]
    fn tty_payload_is_the_input_buffer() {
        let input = Bytes::from_static(b"\x1b[31mred");
        let frame = Framing::Tty.decode_from_server(&input).unwrap();
        assert_eq!(payload_ptr(&frame), input.as_ptr());
    }

    #[test]
    fn each_stream_id_decodes_to_its_frame() {
        let cases: [(&[u8], Frame); 5] = [
            (b"\x00in", Frame::Stdin(Bytes::from_static(b"in"))),
            (b"\x01out", Frame::Stdout(Bytes::from_static(b"out"))),
            (b"\x02err", Frame::Stderr(Bytes::from_static(b"err"))),
            (b"\x03\x8f", Frame::Exit(143)),
            (b"\x04", Frame::StdinEof),
        ];
        for (raw, frame) in cases {
            assert_eq!(Frame::decode(&Bytes::copy_from_slice(raw)), Some(frame));
        }
    }

    #[test]
    fn empty_stdout_frame_is_an_empty_payload() {
        assert_eq!(
            Frame::decode(&Bytes::from_static(b"\x01")),
            Some(Frame::Stdout(Bytes::new()))
        );
    }

    #[test]
    fn empty_message_and_unknown_ids_decode_to_nothing() {
        assert_eq!(Frame::decode(&Bytes::new()), None);
        assert_eq!(Frame::decode(&Bytes::from_static(b"\x05abc")), None);
        assert_eq!(Frame::decode(&Bytes::from_static(b"\xff")), None);
        assert_eq!(Framing::Tty.decode_from_server(&Bytes::new()), None);
    }

    #[test]
    fn exit_frame_without_payload_is_exit_zero() {
        assert_eq!(
            Frame::decode(&Bytes::from_static(b"\x03")),
            Some(Frame::Exit(0))
        );
    }

    #[test]
    fn exit_frame_with_extra_bytes_reads_the_first() {
        assert_eq!(
            Frame::decode(&Bytes::from_static(b"\x03\x07\x00\x00\x01")),
            Some(Frame::Exit(7))
        );
    }

    #[test]
    fn every_frame_round_trips_through_stream_encoding() {
        for frame in [
            Frame::Stdin(Bytes::from_static(b"abc")),
            Frame::Stdout(Bytes::new()),
            Frame::Stderr(Bytes::from_static(b"\x00\x01")),
            Frame::Exit(255),
            Frame::StdinEof,
        ] {
            assert_eq!(Frame::decode(&frame.encode()), Some(frame));
        }
    }

    #[test]
    fn stdin_eof_encodes_to_the_single_byte_four() {
        assert_eq!(Frame::StdinEof.encode(), Bytes::from_static(b"\x04"));
    }

    #[test]
    fn tty_encoding_is_raw_and_has_no_exit_or_eof() {
        let data = Bytes::from_static(b"ls\r");
        assert_eq!(
            Framing::Tty.encode(&Frame::Stdin(data.clone())),
            Some(data.clone())
        );
        assert_eq!(Framing::Tty.encode(&Frame::Exit(0)), None);
        assert_eq!(Framing::Tty.encode(&Frame::StdinEof), None);
        assert_eq!(
            Framing::Tty.decode_from_client(&data),
            Some(Frame::Stdin(data))
        );
    }
}
