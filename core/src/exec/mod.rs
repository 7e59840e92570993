//! Exec: run commands in a sprite over a WebSocket (spec §5).
//!
//! - [`frame`]: binary frames (stream-id byte + payload without a TTY, raw bytes with one),
//!   zero-copy decoding, encoding for both directions.
//! - [`message`]: the JSON text messages (`session_info`, `exit`, `port_opened`,
//!   `port_closed`, `debug`; `resize`, `signal`), both directions.
//! - [`url`]: the upgrade requests for a new command and for attaching (both URL forms and
//!   the rule that picks one), and the HTTP kill fallback for signals.
//! - [`ExecSession`]: the client side of one socket as a sans-IO state machine: exit rules,
//!   keepalive, backpressure, attach framing, signals.
//!
//! Out of scope: the socket itself, timers and tasks (the runtime adapters), and the HTTP
//! `POST …/exec` variant ([`crate::http_exec`]).
//!
//! # Example: the live non-TTY sequence of spec §5.5
//!
//! ```
//! use bytes::Bytes;
//! use sprites_core::exec::{ExecConfig, ExecEvent, ExecSession};
//! use sprites_core::time::Instant;
//! use sprites_core::ws::WsMessage;
//!
//! let now = Instant::ZERO;
//! let mut s = ExecSession::new(ExecConfig::command("demo", false, true), now);
//! for m in [
//!     WsMessage::Text(r#"{"msg":"session_created cmd=bash","pid":332,"type":"debug"}"#.into()),
//!     WsMessage::Text(r#"{"type":"session_info","session_id":"332","command":"bash"}"#.into()),
//!     WsMessage::Binary(Bytes::from_static(b"\x01hello\n")),
//!     WsMessage::Text(r#"{"type":"exit","exit_code":7}"#.into()),
//!     WsMessage::Binary(Bytes::from_static(b"\x03\x07")),
//! ] {
//!     s.handle_message(m, now);
//! }
//! let mut events = Vec::new();
//! while let Some(e) = s.poll_event() {
//!     events.push(e);
//! }
//! assert!(matches!(events.as_slice(), [
//!     ExecEvent::Debug(_),
//!     ExecEvent::SessionInfo(_),
//!     ExecEvent::Stdout(_),
//!     ExecEvent::Exit(7),
//! ]));
//! ```

pub mod frame;
pub mod message;
mod session;
pub mod url;

use alloc::string::String;
use bytes::Bytes;

pub use session::{ExecConfig, ExecEvent, ExecSession, Keepalive};

use crate::model::Signal;
use crate::time::Instant;
use crate::ws::{CloseFrame, WsMessage};

/// Runs arbitrary bytes through every exec decoder and through sessions, checking the
/// invariants that must hold for any peer input. Meant for fuzzers (`cargo fuzz`) and
/// property tests; it panics only when this crate has a bug.
///
/// `data` is read as a script: the frame decoders and message parsers see all of it, then
/// three sessions (new non-TTY, new TTY, attach) each get the same operations, one per
/// chunk of `[op, len, payload…]`.
pub fn fuzz_exec(data: &[u8]) {
    let whole = Bytes::copy_from_slice(data);
    let _ = frame::Frame::decode(&whole);
    let _ = frame::Framing::Tty.decode_from_server(&whole);
    let _ = frame::Framing::Tty.decode_from_client(&whole);
    let as_text = String::from_utf8_lossy(data);
    let _ = message::ServerMessage::parse(&as_text);
    let _ = message::ClientMessage::parse(&as_text);

    for config in [
        ExecConfig::command("fuzz", false, true),
        ExecConfig::command("fuzz", true, true),
        ExecConfig::attach("fuzz", "1").max_buffered_output(4096),
    ] {
        fuzz_session(config, data);
    }
}

fn fuzz_session(config: ExecConfig, data: &[u8]) {
    let mut session = ExecSession::new(config, Instant::ZERO);
    let mut now_ms = 0u64;
    let mut rest = data;
    let mut exits = 0usize;
    while let [op, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (chunk, after) = tail.split_at(n);
        rest = after;
        let payload = Bytes::copy_from_slice(chunk);
        let now = Instant::from_millis(now_ms);
        match op % 12 {
            0 => session.handle_message(WsMessage::Binary(payload), now),
            1 => session.handle_message(
                WsMessage::Text(String::from_utf8_lossy(chunk).into_owned()),
                now,
            ),
            2 => session.handle_message(WsMessage::Ping(payload), now),
            3 => session.handle_message(WsMessage::Pong(payload), now),
            4 => {
                let code = u16::from(*len) * 8;
                let frame = (code % 2 == 0).then(|| CloseFrame {
                    code,
                    reason: String::new(),
                });
                session.handle_message(WsMessage::Close(frame), now);
            }
            5 => session.handle_close(now),
            6 => {
                now_ms = now_ms.saturating_add(u64::from(*len) * 500);
                session.handle_timeout(Instant::from_millis(now_ms));
            }
            7 => {
                let _ = session.send_stdin(payload);
            }
            8 => {
                let _ = session.close_stdin();
            }
            9 => {
                let _ = session.resize(u16::from(*len), 80);
            }
            10 => {
                let _ = session.signal(Signal::SIGTERM);
                session.handle_upgrade(&[(
                    String::from("x-sprite-capabilities"),
                    String::from_utf8_lossy(chunk).into_owned(),
                )]);
            }
            11 if n == 0 => session.close(),
            _ => {
                // A slow consumer: drain only some events.
                for _ in 0..n {
                    exits += usize::from(drain_one(&mut session));
                }
            }
        }
        while session.poll_transmit().is_some() {}
    }
    session.handle_close(Instant::from_millis(now_ms));
    assert!(
        session.is_finished(),
        "still running after the transport ended"
    );
    loop {
        let before = session.buffered_output();
        match session.poll_event() {
            Some(ExecEvent::Exit(_) | ExecEvent::Failed(_)) => exits += 1,
            Some(ExecEvent::Stdout(b) | ExecEvent::Stderr(b)) => {
                assert!(!b.is_empty(), "empty output event");
                assert_eq!(before - b.len(), session.buffered_output());
            }
            Some(_) => {}
            None => break,
        }
    }
    assert_eq!(session.buffered_output(), 0, "output accounting");
    assert!(exits <= 1, "more than one terminal event");
    assert!(session.poll_timeout().is_none(), "timer after finish");
}

/// Takes one event; true when it was the terminal one.
fn drain_one(session: &mut ExecSession) -> bool {
    matches!(
        session.poll_event(),
        Some(ExecEvent::Exit(_) | ExecEvent::Failed(_))
    )
}
