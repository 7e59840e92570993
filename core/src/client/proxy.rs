//! Port forwarding over the `/proxy` WebSocket (spec §7).
//!
//! Two ways in:
//! - [`Sprite::proxy_socket`] (every runtime): one tunnel to `host:port` inside the sprite as
//!   an async byte stream ([`ProxySocket`]), driven directly by its `poll_*` methods, no
//!   background task.
//! - [`Sprite::proxy_port`] / [`Sprite::proxy_ports`] (runtimes with local TCP,
//!   [`NativeRuntime`]): a listener on `127.0.0.1:<local_port>`; every accepted connection
//!   opens its own tunnel to `localhost:<remote_port>` in the sprite and bytes are pumped both
//!   ways until either side ends, then both are closed together (the protocol has no
//!   half-close). The returned [`ProxySession`] stops the listener and its tunnels when closed
//!   or dropped.
//!
//! The handshake itself is [`crate::proxy::ProxyClient`]'s; this module only moves bytes.
//!
//! ```no_run
//! # async fn demo<R: sprites_core::client::NativeRuntime>(sprite: sprites_core::client::Sprite<R>) -> sprites_core::Result<()> {
//! // Forward 127.0.0.1:8080 to port 80 inside the sprite while `session` lives.
//! let session = sprite.proxy_port(8080, 80).await?;
//! println!("listening on {:?}", session.local_addr());
//! session.close();
//! # Ok(()) }
//! ```

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use bytes::{Buf, Bytes};
use core::fmt;
use core::future::Future;
use core::pin::{pin, Pin};
use core::task::{ready, Context, Poll};
use core::time::Duration;
use futures_channel::oneshot;
use futures_core::Stream as _;
use futures_sink::Sink as _;
use futures_util::future::{self, Either, FutureExt, Shared};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use super::runtime::{MaybeSend, Runtime};
use super::sprite::Sprite;
use crate::error::{Error, Result};
use crate::model::PortMapping;
use crate::ops::TimeoutClass;
use crate::proxy::{ProxyClient, ProxyEvent, ProxyTarget};
use crate::ws::WsMessage;

/// The largest chunk of written bytes sent as one WebSocket message.
const MAX_MESSAGE: usize = 64 * 1024;
/// The buffer per direction of a forwarded connection.
const PUMP_BUFFER: usize = 64 * 1024;
/// Rounds of copying per poll before a busy tunnel yields to other tasks.
const PUMP_ROUNDS: usize = 32;
/// How long closing a finished tunnel may take before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// The pause after a failed `accept` (for example too many open files) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A runtime that can listen on a local TCP port: what [`Sprite::proxy_port`] needs beyond
/// [`Runtime`]. Implemented by native adapters (not by the wasm one).
pub trait NativeRuntime: Runtime {
    /// A bound TCP listener.
    type Listener: LocalListener;

    /// Binds a TCP listener to `addr` (port `0` picks a free port).
    fn bind_local(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<Self::Listener>> + MaybeSend;
}

/// A bound local TCP listener.
pub trait LocalListener: MaybeSend + Unpin + 'static {
    /// An accepted connection.
    type Stream: LocalStream;

    /// The address the listener is bound to.
    fn local_addr(&self) -> io::Result<SocketAddr>;

    /// Accepts the next connection.
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Self::Stream>>;
}

/// An accepted local TCP connection as a poll-based byte stream.
pub trait LocalStream: MaybeSend + Unpin + 'static {
    /// Reads into `buf`; `Ok(0)` is the end of the stream.
    fn poll_read_into(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Writes some of `buf` and returns how much.
    fn poll_write_from(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Flushes buffered writes.
    fn poll_flush_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Shuts the write side down (the peer reads end of stream).
    fn poll_shutdown_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

// --- ProxySocket -----------------------------------------------------------------------

/// One connected tunnel to `host:port` inside a sprite: an async byte stream.
///
/// With the core feature `tokio-io` it implements tokio's `AsyncRead` and `AsyncWrite` (so
/// `tokio::io::copy` works); with `futures-io` the `futures::io` traits. Writes are sent at
/// once, as binary messages of at most 64 KiB, as on a TCP socket (flushing is still
/// honoured); reads return what the target sent. Shutting down the
/// write side closes the whole tunnel (the protocol has no half-close); so does the target
/// closing its end, which reads see as end of stream. Dropping the socket drops the
/// connection.
///
/// ```no_run
/// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// let socket = sprite.proxy_socket("localhost", 5432).await?;
/// println!("connected to {}", socket.target());
/// # Ok(()) }
/// ```
pub struct ProxySocket<R: Runtime> {
    ws: R::WebSocket,
    proxy: ProxyClient,
    /// A message taken from `proxy` that the WebSocket has not accepted yet (at most one).
    outgoing: Option<WsMessage>,
    /// Received bytes not read yet.
    incoming: Bytes,
    read_eof: bool,
    target: String,
}

impl<R: Runtime> fmt::Debug for ProxySocket<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxySocket")
            .field("target", &self.target)
            .field("closed", &self.proxy.is_closed())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Sprite<R> {
    /// Opens a tunnel to `host:port` inside the sprite (an empty `host` means `localhost`)
    /// and returns it once the server has connected to the target. The WebSocket upgrade and
    /// the server's reply together must arrive within the client's WebSocket timeout
    /// (30 s by default).
    pub async fn proxy_socket(&self, host: &str, port: u16) -> Result<ProxySocket<R>> {
        let target = ProxyTarget::new(host, port)?;
        let client = self.client();
        let request = crate::proxy::request(client.endpoint()?, self.name())?;
        let limit = client.timeouts().for_class(TimeoutClass::WebSocket);
        let what = alloc::format!("proxy to {target} in sprite {:?}", self.name());
        let connect = async {
            let (ws, _headers) = client.runtime().websocket(request).await?;
            ProxySocket::handshake(ws, ProxyClient::new(target)).await
        };
        client.with_timeout(limit, what, connect).await
    }
}

impl<R: Runtime> ProxySocket<R> {
    async fn handshake(ws: R::WebSocket, proxy: ProxyClient) -> Result<Self> {
        let target = alloc::format!("{}", proxy.target());
        let mut socket = ProxySocket {
            ws,
            proxy,
            outgoing: None,
            incoming: Bytes::new(),
            read_eof: false,
            target,
        };
        future::poll_fn(|cx| socket.poll_flush_bytes(cx)).await?;
        loop {
            while let Some(event) = socket.proxy.poll_event() {
                if let ProxyEvent::Connected { target } = event {
                    socket.target = target;
                    return Ok(socket);
                }
            }
            let message = futures_util::StreamExt::next(&mut socket.ws).await;
            let Some(message) = message else {
                return Err(Error::transport(
                    alloc::format!("proxy to {} closed before connecting", socket.target),
                    None,
                ));
            };
            if let Err(e) = socket.proxy.handle_message(message?) {
                // Best effort: tell the server we are going away.
                let _ = future::poll_fn(|cx| socket.poll_flush_bytes(cx)).now_or_never();
                return Err(e);
            }
        }
    }

    /// The target as the server reported it (`localhost:8080`).
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Reads into `buf`; `Ok(0)` is the end of the stream (the tunnel closed).
    pub fn poll_read_bytes(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if !self.incoming.is_empty() {
                let n = buf.len().min(self.incoming.len());
                buf[..n].copy_from_slice(&self.incoming[..n]);
                self.incoming.advance(n);
                return Poll::Ready(Ok(n));
            }
            if self.read_eof {
                return Poll::Ready(Ok(0));
            }
            if let Some(event) = self.proxy.poll_event() {
                match event {
                    ProxyEvent::Data(data) => self.incoming = data,
                    ProxyEvent::Closed(_) => self.read_eof = true,
                    _ => {}
                }
                continue;
            }
            match Pin::new(&mut self.ws).poll_next(cx) {
                Poll::Ready(Some(Ok(message))) => self.proxy.handle_message(message)?,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(None) => self.read_eof = true,
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Sends up to 64 KiB of `buf` and returns how much was taken; waits while the
    /// WebSocket's send buffer is full.
    pub fn poll_write_bytes(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize>> {
        ready!(self.poll_send(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = buf.len().min(MAX_MESSAGE);
        self.proxy.send(Bytes::copy_from_slice(&buf[..n]))?;
        // The bytes are now ours. Start sending them at once, as a TCP socket would; if the
        // connection is busy they wait (in `outgoing` or the WebSocket's buffer) for the
        // next poll.
        if let Poll::Ready(Err(e)) = self.poll_flush_bytes(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    /// Sends everything written so far.
    pub fn poll_flush_bytes(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        ready!(self.poll_send(cx))?;
        Pin::new(&mut self.ws).poll_flush(cx)
    }

    /// Closes the tunnel: sends what is buffered, then a normal close.
    pub fn poll_close_bytes(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.proxy.close();
        ready!(self.poll_send(cx))?;
        Pin::new(&mut self.ws).poll_close(cx)
    }

    /// Hands every message the proxy state machine queued to the WebSocket.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        loop {
            if self.outgoing.is_none() {
                self.outgoing = self.proxy.poll_transmit();
            }
            if self.outgoing.is_none() {
                return Poll::Ready(Ok(()));
            }
            ready!(Pin::new(&mut self.ws).poll_ready(cx))?;
            if let Some(message) = self.outgoing.take() {
                Pin::new(&mut self.ws).start_send(message)?;
            }
        }
    }
}

fn to_io(e: Error) -> io::Error {
    let kind = match &e {
        Error::Transport { .. } => io::ErrorKind::ConnectionReset,
        Error::Timeout(_) => io::ErrorKind::TimedOut,
        Error::InvalidArgument(_) => io::ErrorKind::BrokenPipe,
        Error::Protocol(_) => io::ErrorKind::InvalidData,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

impl<R: Runtime> LocalStream for ProxySocket<R> {
    fn poll_read_into(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read_bytes(cx, buf).map_err(to_io)
    }

    fn poll_write_from(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_bytes(cx, buf).map_err(to_io)
    }

    fn poll_flush_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_bytes(cx).map_err(to_io)
    }

    fn poll_shutdown_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_close_bytes(cx).map_err(to_io)
    }
}

#[cfg(feature = "tokio-io")]
impl<R: Runtime> tokio::io::AsyncRead for ProxySocket<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = ready!(this.poll_read_bytes(cx, buf.initialize_unfilled())).map_err(to_io)?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio-io")]
impl<R: Runtime> tokio::io::AsyncWrite for ProxySocket<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_bytes(cx, buf).map_err(to_io)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_bytes(cx).map_err(to_io)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_close_bytes(cx).map_err(to_io)
    }
}

#[cfg(feature = "futures-io")]
impl<R: Runtime> futures_io::AsyncRead for ProxySocket<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_bytes(cx, buf).map_err(to_io)
    }
}

#[cfg(feature = "futures-io")]
impl<R: Runtime> futures_io::AsyncWrite for ProxySocket<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_bytes(cx, buf).map_err(to_io)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_bytes(cx).map_err(to_io)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_close_bytes(cx).map_err(to_io)
    }
}

// --- ProxySession ----------------------------------------------------------------------

/// A local listener forwarding every connection to a port inside a sprite (see
/// [`Sprite::proxy_port`]).
///
/// [`close`](Self::close) or dropping the session stops the listener and every tunnel it
/// opened. Tunnels that fail (the sprite refuses, the target is not listening) close their
/// local connection; the last such error is kept in [`last_error`](Self::last_error).
pub struct ProxySession<R: NativeRuntime> {
    local_addr: SocketAddr,
    remote_port: u16,
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    done: Shared<oneshot::Receiver<()>>,
    shared: Arc<SessionShared>,
    _runtime: core::marker::PhantomData<fn() -> R>,
}

#[derive(Default)]
struct SessionShared {
    last_error: std::sync::Mutex<Option<String>>,
}

impl SessionShared {
    fn record(&self, error: &Error) {
        if let Ok(mut slot) = self.last_error.lock() {
            *slot = Some(alloc::string::ToString::to_string(error));
        }
    }
}

impl<R: NativeRuntime> fmt::Debug for ProxySession<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxySession")
            .field("local_addr", &self.local_addr)
            .field("remote_port", &self.remote_port)
            .finish_non_exhaustive()
    }
}

impl<R: NativeRuntime> ProxySession<R> {
    /// The local address the listener is bound to (always `Some`; an `Option` for
    /// compatibility with the 0.1 crate).
    #[must_use]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        Some(self.local_addr)
    }

    /// The local port (the bound one when `0` was asked for).
    #[must_use]
    pub fn local_port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The port inside the sprite.
    #[must_use]
    pub fn remote_port(&self) -> u16 {
        self.remote_port
    }

    /// Stops the listener and every open tunnel. Idempotent.
    pub fn close(&self) {
        if let Ok(mut stop) = self.stop.lock() {
            if let Some(stop) = stop.take() {
                let _ = stop.send(());
            }
        }
    }

    /// Whether the listener has stopped.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.done.peek().is_some()
    }

    /// Completes once the listener has stopped (after [`close`](Self::close)).
    pub async fn wait(&self) {
        let _ = self.done.clone().await;
    }

    /// The error of the most recent tunnel that failed, if any.
    #[must_use]
    pub fn last_error(&self) -> Option<String> {
        self.shared.last_error.lock().ok().and_then(|e| e.clone())
    }
}

impl<R: NativeRuntime> Drop for ProxySession<R> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<R: NativeRuntime> Sprite<R> {
    /// Listens on `127.0.0.1:local_port` (`0` picks a free port) and forwards every
    /// connection to `localhost:remote_port` inside the sprite, each over its own tunnel.
    /// Fails at once if the port cannot be bound or the arguments are invalid; tunnel
    /// failures later close only their connection.
    ///
    /// ```no_run
    /// # async fn demo<R: sprites_core::client::NativeRuntime>(sprite: sprites_core::client::Sprite<R>) -> sprites_core::Result<()> {
    /// let session = sprite.proxy_port(0, 8080).await?;
    /// println!("http://127.0.0.1:{}/", session.local_port());
    /// session.wait().await; // until close() from elsewhere
    /// # Ok(()) }
    /// ```
    pub async fn proxy_port(&self, local_port: u16, remote_port: u16) -> Result<ProxySession<R>> {
        ProxyTarget::new("", remote_port)?;
        crate::proxy::request(self.client().endpoint()?, self.name())?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, local_port));
        let runtime = self.client().runtime();
        let listener = runtime.bind_local(addr).await.map_err(|e| {
            Error::transport(alloc::format!("cannot listen on {addr}"), Some(Box::new(e)))
        })?;
        let local_addr = listener.local_addr().map_err(|e| {
            Error::transport(alloc::format!("cannot listen on {addr}"), Some(Box::new(e)))
        })?;
        let (stop_tx, stop_rx) = oneshot::channel();
        let (done_tx, done_rx) = oneshot::channel();
        let shared = Arc::new(SessionShared::default());
        runtime.spawn(serve(
            self.clone(),
            listener,
            remote_port,
            stop_rx.shared(),
            Arc::clone(&shared),
            done_tx,
        ));
        Ok(ProxySession {
            local_addr,
            remote_port,
            stop: std::sync::Mutex::new(Some(stop_tx)),
            done: done_rx.shared(),
            shared,
            _runtime: core::marker::PhantomData,
        })
    }

    /// [`proxy_port`](Self::proxy_port) for each mapping. If one fails, the sessions already
    /// started are stopped and the error is returned.
    pub async fn proxy_ports(&self, mappings: &[PortMapping]) -> Result<Vec<ProxySession<R>>> {
        let mut sessions = Vec::with_capacity(mappings.len());
        for mapping in mappings {
            sessions.push(
                self.proxy_port(mapping.local_port, mapping.remote_port)
                    .await?,
            );
        }
        Ok(sessions)
    }
}

type Stop = Shared<oneshot::Receiver<()>>;

/// Accepts connections until stopped, spawning one tunnel per connection.
async fn serve<R: NativeRuntime>(
    sprite: Sprite<R>,
    mut listener: R::Listener,
    remote_port: u16,
    stop: Stop,
    shared: Arc<SessionShared>,
    done: oneshot::Sender<()>,
) {
    let runtime = sprite.client().runtime().clone();
    loop {
        let accept = future::poll_fn(|cx| listener.poll_accept(cx));
        match future::select(stop.clone(), pin!(accept)).await {
            Either::Left(_) => break,
            Either::Right((Ok(stream), _)) => runtime.spawn(tunnel(
                sprite.clone(),
                stream,
                remote_port,
                stop.clone(),
                Arc::clone(&shared),
            )),
            Either::Right((Err(e), _)) => {
                shared.record(&Error::transport("accept failed", Some(Box::new(e))));
                let pause = runtime.sleep(ACCEPT_BACKOFF);
                if let Either::Left(_) = future::select(stop.clone(), pin!(pause)).await {
                    break;
                }
            }
        }
    }
    drop(listener);
    let _ = done.send(());
}

/// Forwards one accepted connection until either side ends or the session stops.
async fn tunnel<R: NativeRuntime>(
    sprite: Sprite<R>,
    local: <R::Listener as LocalListener>::Stream,
    remote_port: u16,
    stop: Stop,
    shared: Arc<SessionShared>,
) {
    let work = async {
        let remote = sprite.proxy_socket("", remote_port).await?;
        let mut pump = Pump {
            local,
            remote,
            up: Half::new(),
            down: Half::new(),
        };
        let result = future::poll_fn(|cx| pump.poll_transfer(cx)).await;
        // Tear down both sides together, within a grace period.
        let close = async {
            let _ = future::poll_fn(|cx| pump.remote.poll_close_bytes(cx)).await;
            let _ = future::poll_fn(|cx| pump.local.poll_shutdown_out(cx)).await;
        };
        let grace = sprite.client().runtime().sleep(CLOSE_GRACE);
        let _ = future::select(pin!(close), pin!(grace)).await;
        result.map_err(|e| Error::transport("proxy connection failed", Some(Box::new(e))))
    };
    if let Either::Right((Err(e), _)) = future::select(stop, pin!(work)).await {
        shared.record(&e);
    }
}

/// Bytes read from one side and not yet written to the other.
struct Half {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    unflushed: bool,
}

impl Half {
    fn new() -> Self {
        Half {
            buf: alloc::vec![0; PUMP_BUFFER],
            start: 0,
            end: 0,
            eof: false,
            unflushed: false,
        }
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    fn is_finished(&self) -> bool {
        self.eof && self.is_empty() && !self.unflushed
    }

    /// Moves what is ready from `from` to `to`; `true` if anything moved.
    fn move_ready(
        &mut self,
        cx: &mut Context<'_>,
        from: &mut impl LocalStream,
        to: &mut impl LocalStream,
    ) -> io::Result<bool> {
        let mut moved = false;
        loop {
            if self.is_empty() && !self.eof {
                match from.poll_read_into(cx, &mut self.buf)? {
                    Poll::Ready(0) => self.eof = true,
                    Poll::Ready(n) => {
                        self.start = 0;
                        self.end = n;
                    }
                    Poll::Pending => {}
                }
            }
            let pending = self.buf.get(self.start..self.end).unwrap_or_default();
            if pending.is_empty() {
                break;
            }
            match to.poll_write_from(cx, pending)? {
                Poll::Ready(0) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(n) => {
                    self.start += n;
                    self.unflushed = true;
                    moved = true;
                }
                Poll::Pending => break,
            }
        }
        if self.unflushed {
            if let Poll::Ready(()) = to.poll_flush_out(cx)? {
                self.unflushed = false;
            }
        }
        Ok(moved)
    }
}

/// Copies both ways between a local connection and a tunnel.
struct Pump<R: Runtime, L> {
    local: L,
    remote: ProxySocket<R>,
    up: Half,
    down: Half,
}

impl<R: Runtime, L: LocalStream> Pump<R, L> {
    /// Ready once either direction has reached its end and delivered everything.
    fn poll_transfer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        for _ in 0..PUMP_ROUNDS {
            let up = self.up.move_ready(cx, &mut self.local, &mut self.remote)?;
            let down = self
                .down
                .move_ready(cx, &mut self.remote, &mut self.local)?;
            if self.up.is_finished() || self.down.is_finished() {
                return Poll::Ready(Ok(()));
            }
            if !up && !down {
                return Poll::Pending;
            }
        }
        // Both sides keep being ready: yield to other tasks, then continue.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
