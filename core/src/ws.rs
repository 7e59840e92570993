//! WebSocket messages as the core sees them.
//!
//! Adapters translate their WebSocket library's message type to and from [`WsMessage`];
//! the exec and proxy state machines speak only this type.

use alloc::string::String;
use bytes::Bytes;

/// One WebSocket message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsMessage {
    /// A text message (one JSON object in this protocol).
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// A ping; the peer must answer with a pong carrying the same payload.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// A close message, with its code and reason when present.
    Close(Option<CloseFrame>),
}

/// The code and reason of a close message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code (`1000` is a normal close).
    pub code: u16,
    /// The reason text, often empty.
    pub reason: String,
}

impl CloseFrame {
    /// A normal close (`1000`, empty reason).
    #[must_use]
    pub fn normal() -> Self {
        CloseFrame {
            code: 1000,
            reason: String::new(),
        }
    }
}
