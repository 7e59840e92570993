//! The port proxy: one TCP connection to `host:port` inside a sprite, tunnelled over a
//! WebSocket at `/v1/sprites/{name}/proxy` (spec §7, §13.8).
//!
//! The handshake: the client sends one text message `{"host":"localhost","port":8080}`; the
//! server connects to the target and answers one text message
//! `{"status":"connected","target":"localhost:8080"}`. Any other answer, or a close, is a
//! failure. After that, binary messages in both directions carry raw TCP bytes with no
//! framing; text messages are ignored.
//!
//! In scope: [`request`] (the upgrade request), [`ProxyClient`] (the client side as a state
//! machine), and the server-side helpers [`parse_connect`], [`connected_reply`] and
//! [`error_reply`] for the emulator. Out of scope: the local TCP listener, the WebSocket
//! itself, and answering pings (WebSocket libraries answer those themselves), which the
//! runtime adapters do. The reply deadline (the JS SDK waits 10 s) is the driver's.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use sprites_core::proxy::{ProxyClient, ProxyEvent, ProxyTarget};
//! use sprites_core::ws::WsMessage;
//!
//! let mut proxy = ProxyClient::new(ProxyTarget::new("", 8080).unwrap());
//! let hello = proxy.poll_transmit().unwrap();
//! assert_eq!(hello, WsMessage::Text(r#"{"host":"localhost","port":8080}"#.into()));
//!
//! proxy
//!     .handle_message(WsMessage::Text(r#"{"status":"connected","target":"localhost:8080"}"#.into()))
//!     .unwrap();
//! assert_eq!(
//!     proxy.poll_event(),
//!     Some(ProxyEvent::Connected { target: "localhost:8080".into() })
//! );
//!
//! proxy.send(Bytes::from_static(b"GET / HTTP/1.0\r\n\r\n")).unwrap();
//! assert!(matches!(proxy.poll_transmit(), Some(WsMessage::Binary(_))));
//! proxy.handle_message(WsMessage::Binary(Bytes::from_static(b"HTTP/1.0 200 OK\r\n"))).unwrap();
//! assert!(matches!(proxy.poll_event(), Some(ProxyEvent::Data(_))));
//! ```

use alloc::collections::VecDeque;
use alloc::string::String;
use bytes::Bytes;
use core::fmt;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::request::{require_name, Endpoint, PathAndQuery, Request};
use crate::ws::{CloseFrame, WsMessage};

/// The host the server connects to when the client names none.
pub const DEFAULT_HOST: &str = "localhost";

/// The WebSocket upgrade request for a proxy to a port of sprite `sprite`:
/// `GET /v1/sprites/{sprite}/proxy` with the standard headers.
///
/// ```
/// use sprites_core::request::Endpoint;
///
/// let endpoint = Endpoint::new("https://api.sprites.dev", "token").unwrap();
/// let request = sprites_core::proxy::request(&endpoint, "my-sprite").unwrap();
/// assert_eq!(request.url, "wss://api.sprites.dev/v1/sprites/my-sprite/proxy");
/// ```
pub fn request(endpoint: &Endpoint, sprite: &str) -> Result<Request> {
    require_name("sprite name", sprite)?;
    let path = PathAndQuery::v1().lit("sprites").seg(sprite).lit("proxy");
    Ok(endpoint.ws_request(&path))
}

/// Where a proxy connects inside the sprite: a host (name or IP) and a port in 1–65535.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProxyTarget {
    host: String,
    port: u16,
}

impl ProxyTarget {
    /// A target; an empty `host` means [`DEFAULT_HOST`]. Port `0` is rejected.
    pub fn new(host: &str, port: u16) -> Result<Self> {
        if port == 0 {
            return Err(Error::invalid_argument(
                "proxy port must be between 1 and 65535",
            ));
        }
        let host = host.trim();
        let host = if host.is_empty() { DEFAULT_HOST } else { host };
        Ok(ProxyTarget {
            host: host.into(),
            port,
        })
    }

    /// The host.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The connect message: `{"host":…,"port":…}`.
    #[must_use]
    pub fn connect_message(&self) -> WsMessage {
        let msg = ConnectMessage {
            host: &self.host,
            port: self.port,
        };
        // Serializing a struct of a string and an integer cannot fail.
        WsMessage::Text(serde_json::to_string(&msg).unwrap_or_default())
    }
}

/// `host:port`, with an IPv6 host in brackets (`[fdf::1]:8080`).
impl fmt::Display for ProxyTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// What a [`ProxyClient`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyEvent {
    /// The server connected to the target; `target` is the `host:port` it reports.
    Connected {
        /// The resolved target as the server names it.
        target: String,
    },
    /// Bytes from the target.
    Data(Bytes),
    /// The server closed the tunnel after it was connected (the target's end of stream).
    Closed(Option<CloseFrame>),
}

/// The client side of one proxy tunnel.
///
/// Drive it with [`handle_message`](Self::handle_message) for every received WebSocket
/// message, [`send`](Self::send) for bytes from the local TCP connection and
/// [`close`](Self::close) when it ends; after each call drain
/// [`poll_transmit`](Self::poll_transmit) (messages to send) and
/// [`poll_event`](Self::poll_event) until both return `None`. The connect message is queued at
/// creation.
#[derive(Debug)]
pub struct ProxyClient {
    target: ProxyTarget,
    state: ClientState,
    transmit: VecDeque<WsMessage>,
    events: VecDeque<ProxyEvent>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientState {
    AwaitingReply,
    Connected,
    Closed,
}

impl ProxyClient {
    /// A client for `target`, with its connect message queued.
    #[must_use]
    pub fn new(target: ProxyTarget) -> Self {
        let mut transmit = VecDeque::new();
        transmit.push_back(target.connect_message());
        ProxyClient {
            target,
            state: ClientState::AwaitingReply,
            transmit,
            events: VecDeque::new(),
        }
    }

    /// Handles one received message.
    ///
    /// Before the handshake completes, exactly one text reply is accepted: `status`
    /// `"connected"` connects; any other reply, a binary message or a close is an error that
    /// names the target, and the client queues a close and stops. Once connected, binary
    /// messages become [`ProxyEvent::Data`], text messages are ignored and a close becomes
    /// [`ProxyEvent::Closed`]. Pings and pongs are ignored. Messages after the tunnel closed
    /// are ignored.
    pub fn handle_message(&mut self, message: WsMessage) -> Result<()> {
        match self.state {
            ClientState::AwaitingReply => self.handle_reply(message),
            ClientState::Connected => {
                match message {
                    WsMessage::Binary(data) if !data.is_empty() => {
                        self.events.push_back(ProxyEvent::Data(data));
                    }
                    WsMessage::Close(frame) => {
                        self.state = ClientState::Closed;
                        self.events.push_back(ProxyEvent::Closed(frame));
                    }
                    _ => {}
                }
                Ok(())
            }
            ClientState::Closed => Ok(()),
        }
    }

    /// Queues bytes from the local connection for the target. Empty data is ignored.
    /// Fails before the tunnel is connected and after it closed.
    pub fn send(&mut self, data: Bytes) -> Result<()> {
        if self.state != ClientState::Connected {
            return Err(Error::invalid_argument(alloc::format!(
                "proxy to {} is not connected",
                self.target
            )));
        }
        if !data.is_empty() {
            self.transmit.push_back(WsMessage::Binary(data));
        }
        Ok(())
    }

    /// Closes the tunnel (for example at the local connection's end of stream): queues a
    /// normal close unless the tunnel is already closed.
    pub fn close(&mut self) {
        if self.state != ClientState::Closed {
            self.state = ClientState::Closed;
            self.transmit
                .push_back(WsMessage::Close(Some(CloseFrame::normal())));
        }
    }

    /// The next message to send on the WebSocket.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<WsMessage> {
        self.transmit.pop_front()
    }

    /// The next event for the local side.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ProxyEvent> {
        self.events.pop_front()
    }

    /// The target this client asked for.
    #[must_use]
    pub fn target(&self) -> &ProxyTarget {
        &self.target
    }

    /// Whether the handshake completed and the tunnel is open.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.state == ClientState::Connected
    }

    /// Whether the tunnel is closed (by either side, or after a failed handshake).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.state == ClientState::Closed
    }

    fn handle_reply(&mut self, message: WsMessage) -> Result<()> {
        let text = match message {
            WsMessage::Text(text) => text,
            WsMessage::Ping(_) | WsMessage::Pong(_) => return Ok(()),
            WsMessage::Close(frame) => {
                self.state = ClientState::Closed;
                let code = frame.map_or(String::new(), |f| {
                    alloc::format!(" (close code {})", f.code)
                });
                return Err(Error::transport(
                    alloc::format!("proxy to {} closed before connecting{code}", self.target),
                    None,
                ));
            }
            WsMessage::Binary(_) => {
                self.close();
                return Err(Error::protocol(alloc::format!(
                    "proxy to {}: binary message before the connect reply",
                    self.target
                )));
            }
        };
        let Ok(reply) = serde_json::from_str::<Reply>(&text) else {
            self.close();
            return Err(Error::protocol(alloc::format!(
                "proxy to {}: invalid connect reply",
                self.target
            )));
        };
        if reply.status.as_deref() != Some("connected") {
            self.close();
            let detail = reply
                .error
                .or(reply.message)
                .or(reply.status)
                .unwrap_or_else(|| String::from("no status"));
            return Err(Error::transport(
                alloc::format!("proxy to {} failed: {detail}", self.target),
                None,
            ));
        }
        self.state = ClientState::Connected;
        let target = reply
            .target
            .unwrap_or_else(|| alloc::format!("{}", self.target));
        self.events.push_back(ProxyEvent::Connected { target });
        Ok(())
    }
}

/// Server side: parses the client's connect message into its target (an empty or missing
/// `host` is [`DEFAULT_HOST`]; `port` must be 1–65535, given as a number or a numeric
/// string).
pub fn parse_connect(message: &WsMessage) -> Result<ProxyTarget> {
    let WsMessage::Text(text) = message else {
        return Err(Error::protocol(
            "proxy connect message must be a text message",
        ));
    };
    let request: ConnectRequest = serde_json::from_str(text)
        .map_err(|e| Error::protocol(alloc::format!("invalid proxy connect message: {e}")))?;
    let port = match request.port {
        PortValue::Number(n) => n,
        PortValue::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| Error::protocol(alloc::format!("invalid proxy port {s:?}")))?,
    };
    let port = u16::try_from(port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| Error::protocol(alloc::format!("invalid proxy port {port}")))?;
    ProxyTarget::new(request.host.as_deref().unwrap_or_default(), port)
}

/// Server side: the success reply, `{"status":"connected","target":"<target>"}`.
#[must_use]
pub fn connected_reply(target: &ProxyTarget) -> WsMessage {
    let reply = ReplyOut {
        status: "connected",
        target: Some(alloc::format!("{target}")),
        error: None,
    };
    WsMessage::Text(serde_json::to_string(&reply).unwrap_or_default())
}

/// Server side: a failure reply, `{"status":"error","error":"<message>"}`; the server then
/// closes the WebSocket.
#[must_use]
pub fn error_reply(message: &str) -> WsMessage {
    let reply = ReplyOut {
        status: "error",
        target: None,
        error: Some(message.into()),
    };
    WsMessage::Text(serde_json::to_string(&reply).unwrap_or_default())
}

#[derive(Serialize)]
struct ConnectMessage<'a> {
    host: &'a str,
    port: u16,
}

#[derive(Deserialize)]
struct ConnectRequest {
    host: Option<String>,
    port: PortValue,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PortValue {
    Number(i64),
    Text(String),
}

#[derive(Deserialize)]
struct Reply {
    status: Option<String>,
    target: Option<String>,
    error: Option<String>,
    message: Option<String>,
}

#[derive(Serialize)]
struct ReplyOut {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}
