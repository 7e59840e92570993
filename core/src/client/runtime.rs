//! What a runtime adapter provides: HTTP with a streaming body, WebSockets, sleeping,
//! spawning, and a clock.
//!
//! The user-facing API of this module is written once against [`Runtime`]; each adapter
//! (`sprites` on tokio, `sprites-async-std`, `sprites-wasm`) implements it in a few hundred
//! lines and re-exports the API with its runtime fixed. Futures are `Send` on native targets
//! and need not be on `wasm32` ([`MaybeSend`]).

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::future::Future;
use core::time::Duration;
use futures_core::Stream;
use futures_sink::Sink;

use crate::error::Result;
use crate::request::Request;
use crate::time::Instant;
use crate::ws::WsMessage;

/// `Send` on native targets; nothing on `wasm32`, where futures and handles are local to
/// the one thread.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}

/// `Send` on native targets; nothing on `wasm32`, where futures and handles are local to
/// the one thread.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` on native targets; nothing on `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> MaybeSync for T {}

/// `Sync` on native targets; nothing on `wasm32`.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}

/// A boxed future, `Send` on native targets.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = futures_util::future::BoxFuture<'a, T>;
/// A boxed future, `Send` on native targets.
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = futures_util::future::LocalBoxFuture<'a, T>;

/// A boxed stream, `Send` on native targets.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxStream<'a, T> = futures_util::stream::BoxStream<'a, T>;
/// A boxed stream, `Send` on native targets.
#[cfg(target_arch = "wasm32")]
pub type BoxStream<'a, T> = futures_util::stream::LocalBoxStream<'a, T>;

/// Header names and values, in order.
pub type Headers = Vec<(String, String)>;

/// Options for one HTTP request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Send over HTTP/1.1 only (token minting).
    pub http1_only: bool,
}

/// The head of an HTTP response and its body, still to be read.
#[derive(Debug)]
pub struct HttpResponse<B> {
    /// The status.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: B,
}

/// A response body read chunk by chunk.
pub trait HttpBody: MaybeSend + Unpin + 'static {
    /// The next chunk, `None` at the end, or the transport error that cut the body short.
    fn next_chunk(&mut self) -> impl Future<Output = Option<Result<Bytes>>> + MaybeSend;
}

/// A WebSocket connection after the upgrade: a stream of received messages and a sink of
/// messages to send. The adapter answers pings itself if its library does; the core may also
/// queue pongs, which the adapter may then drop.
pub trait WebSocketConnection:
    Stream<Item = Result<WsMessage>>
    + Sink<WsMessage, Error = crate::Error>
    + MaybeSend
    + Unpin
    + 'static
{
}

impl<T> WebSocketConnection for T where
    T: Stream<Item = Result<WsMessage>>
        + Sink<WsMessage, Error = crate::Error>
        + MaybeSend
        + Unpin
        + 'static
{
}

/// What the user-facing API needs from an async runtime.
///
/// Implementations are small: translate [`Request`] to the HTTP client's request, the
/// WebSocket library's messages to [`WsMessage`], and errors to [`crate::Error`] (a failed
/// upgrade with an HTTP answer becomes [`crate::response::api_error`] of that answer).
pub trait Runtime: Clone + MaybeSend + MaybeSync + 'static {
    /// The response body type.
    type Body: HttpBody;
    /// The WebSocket connection type.
    type WebSocket: WebSocketConnection;

    /// Sends `request` and returns once the response head has arrived.
    fn http(
        &self,
        request: Request,
        options: HttpOptions,
    ) -> impl Future<Output = Result<HttpResponse<Self::Body>>> + MaybeSend;

    /// Opens a WebSocket with `request` (a `ws://`/`wss://` URL and its headers) and returns
    /// the connection with the headers of the `101` answer.
    fn websocket(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<(Self::WebSocket, Headers)>> + MaybeSend;

    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + MaybeSend;

    /// Runs `task` in the background.
    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + MaybeSend + 'static;

    /// The current time, counted from an origin of the runtime's choosing.
    fn now(&self) -> Instant;

    /// A seed for retry jitter; need not be cryptographic.
    fn random_seed(&self) -> u64;
}
