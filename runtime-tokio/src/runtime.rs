//! The [`Tokio`] runtime: reqwest for HTTP, tokio-tungstenite for WebSockets, one rustls
//! configuration (ring, webpki roots) for both, tokio for timers, tasks and local TCP.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;
use sprites_core::client::{
    HttpBody, HttpOptions, HttpResponse, LocalListener, LocalStream, NativeRuntime, Runtime,
};
use sprites_core::request::{Method, Request};
use sprites_core::ws::{CloseFrame, WsMessage};
use sprites_core::{Error, Result};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::{self, http, protocol::WebSocketConfig, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The largest WebSocket message accepted (exec output arrives in frames of up to 1 MiB).
const MAX_WS_MESSAGE: usize = 16 << 20;
/// WebSocket buffers: 128 KiB each way, and at most 32 MiB queued for sending.
const WS_BUFFER: usize = 128 << 10;
const MAX_WS_WRITE_BUFFER: usize = 2 * MAX_WS_MESSAGE;

/// The tokio runtime for [`sprites_core::client`]: HTTP with reqwest (connection pooling,
/// HTTP/2 by ALPN), WebSockets with tokio-tungstenite, both over the same rustls
/// configuration with the Mozilla root certificates of `webpki-roots`.
///
/// Cheap to clone (the connection pool is shared). Creating one does no I/O; the HTTP
/// clients are built on first use. Its futures need a tokio runtime with I/O and time
/// enabled (`#[tokio::main]` does both).
///
/// ```
/// let client = sprites::SpritesClient::builder("token").build_with(sprites::Tokio::default());
/// # drop(client);
/// ```
#[derive(Clone, Default)]
pub struct Tokio {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    clients: OnceLock<std::result::Result<Clients, String>>,
    origin: OnceLock<tokio::time::Instant>,
}

struct Clients {
    http: reqwest::Client,
    http1: reqwest::Client,
    websocket_tls: Arc<rustls::ClientConfig>,
}

impl fmt::Debug for Tokio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokio").finish_non_exhaustive()
    }
}

impl Tokio {
    fn clients(&self) -> Result<&Clients> {
        self.inner
            .clients
            .get_or_init(Clients::new)
            .as_ref()
            .map_err(|e| Error::transport(format!("cannot set up the HTTP client: {e}"), None))
    }
}

impl Clients {
    fn new() -> std::result::Result<Self, String> {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config(&[b"h2", b"http/1.1"])?)
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        let http1 = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config(&[b"http/1.1"])?)
            .http1_only()
            .tcp_keepalive(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Clients {
            http,
            http1,
            websocket_tls: Arc::new(tls_config(&[b"http/1.1"])?),
        })
    }
}

/// A rustls client configuration with the ring provider, the webpki roots and `alpn`.
fn tls_config(alpn: &[&[u8]]) -> std::result::Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

impl Runtime for Tokio {
    type Body = TokioBody;
    type WebSocket = TokioWebSocket;

    async fn http(
        &self,
        request: Request,
        options: HttpOptions,
    ) -> Result<HttpResponse<TokioBody>> {
        let clients = self.clients()?;
        let client = if options.http1_only {
            &clients.http1
        } else {
            &clients.http
        };
        let what = request.describe();
        let mut builder = client.request(method(request.method), request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| Error::transport(format!("{what} failed"), Some(Box::new(e))))?;
        Ok(HttpResponse {
            status: response.status().as_u16(),
            headers: header_pairs(response.headers()),
            body: TokioBody { response, what },
        })
    }

    async fn websocket(&self, request: Request) -> Result<(TokioWebSocket, Vec<(String, String)>)> {
        use tungstenite::client::IntoClientRequest;
        let clients = self.clients()?;
        let what = request.describe();
        let mut upgrade = request
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| Error::invalid_argument(format!("invalid websocket url: {e}")))?;
        for (name, value) in &request.headers {
            let name = http::HeaderName::from_bytes(name.as_bytes());
            let value = http::HeaderValue::from_str(value);
            let (Ok(name), Ok(value)) = (name, value) else {
                return Err(Error::invalid_argument(format!(
                    "invalid header for {what}"
                )));
            };
            upgrade.headers_mut().append(name, value);
        }
        let config = WebSocketConfig::default()
            .read_buffer_size(WS_BUFFER)
            .write_buffer_size(WS_BUFFER)
            .max_write_buffer_size(MAX_WS_WRITE_BUFFER)
            .max_message_size(Some(MAX_WS_MESSAGE))
            .max_frame_size(Some(MAX_WS_MESSAGE));
        let connector = tokio_tungstenite::Connector::Rustls(Arc::clone(&clients.websocket_tls));
        let connected = tokio_tungstenite::connect_async_tls_with_config(
            upgrade,
            Some(config),
            true,
            Some(connector),
        )
        .await;
        match connected {
            Ok((inner, response)) => {
                Ok((TokioWebSocket { inner }, header_pairs(response.headers())))
            }
            Err(tungstenite::Error::Http(response)) => {
                let headers = header_pairs(response.headers());
                let body = response.body().as_deref().unwrap_or_default();
                Err(sprites_core::response::api_error(
                    response.status().as_u16(),
                    &headers,
                    body,
                ))
            }
            Err(e) => Err(ws_error(&format!("{what} failed"), e)),
        }
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }

    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(task));
    }

    fn now(&self) -> sprites_core::time::Instant {
        let now = tokio::time::Instant::now();
        let origin = *self.inner.origin.get_or_init(|| now);
        sprites_core::time::Instant::from_duration(now.saturating_duration_since(origin))
    }

    fn random_seed(&self) -> u64 {
        fastrand::u64(..)
    }
}

fn method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
    }
}

fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// A response body from reqwest, read chunk by chunk as it arrives.
///
/// It is what [`Runtime::http`](sprites_core::client::Runtime::http) gives on tokio; the
/// client reads it for you, but it can be read directly:
///
/// ```no_run
/// # async fn demo() -> sprites::Result<()> {
/// use sprites::sprites_core::client::{HttpBody, HttpOptions, Runtime};
/// use sprites::sprites_core::request::{Endpoint, Method, PathAndQuery};
///
/// let endpoint = Endpoint::new("https://api.sprites.dev", "my-token")?;
/// let request = endpoint.http_request(Method::Get, &PathAndQuery::v1().lit("version"));
/// let mut response = sprites::Tokio::default().http(request, HttpOptions::default()).await?;
/// while let Some(chunk) = response.body.next_chunk().await {
///     println!("{} bytes", chunk?.len());
/// }
/// # Ok(()) }
/// ```
pub struct TokioBody {
    response: reqwest::Response,
    what: String,
}

impl fmt::Debug for TokioBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioBody")
            .field("request", &self.what)
            .finish()
    }
}

impl HttpBody for TokioBody {
    async fn next_chunk(&mut self) -> Option<Result<Bytes>> {
        let what = &self.what;
        self.response
            .chunk()
            .await
            .map_err(|e| Error::transport(format!("reading {what} failed"), Some(Box::new(e))))
            .transpose()
    }
}

/// A WebSocket connection from tokio-tungstenite, speaking [`WsMessage`]s. Pings are
/// answered by tungstenite itself, so pongs queued by the core are dropped.
///
///
/// ```no_run
/// # async fn demo() -> sprites::Result<()> {
/// use futures_util::StreamExt;
/// use sprites::sprites_core::client::Runtime;
/// use sprites::sprites_core::exec::url::{exec_request, CommandSpec};
/// use sprites::sprites_core::request::Endpoint;
///
/// let endpoint = Endpoint::new("https://api.sprites.dev", "my-token")?;
/// let request = exec_request(&endpoint, "my-sprite", &CommandSpec::new(["uname", "-a"]))?;
/// let (mut socket, _headers) = sprites::Tokio::default().websocket(request).await?;
/// while let Some(message) = socket.next().await {
///     println!("{:?}", message?); // raw exec frames: use `Command` instead
/// }
/// # Ok(()) }
/// ```
pub struct TokioWebSocket {
    inner: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
}

impl fmt::Debug for TokioWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioWebSocket").finish_non_exhaustive()
    }
}

fn ws_error(what: &str, e: tungstenite::Error) -> Error {
    use tungstenite::error::ProtocolError;
    match e {
        tungstenite::Error::Capacity(e) => Error::protocol(format!("websocket: {e}")),
        tungstenite::Error::Utf8(_) => Error::protocol("websocket text message is not utf-8"),
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            Error::transport("websocket connection reset", Some(Box::new(e)))
        }
        tungstenite::Error::Protocol(e) => Error::protocol(format!("websocket: {e}")),
        e => Error::transport(what, Some(Box::new(e))),
    }
}

impl Stream for TokioWebSocket {
    type Item = Result<WsMessage>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let message = match ready!(Pin::new(&mut self.inner).poll_next(cx)) {
                None => return Poll::Ready(None),
                Some(Err(e)) => {
                    return Poll::Ready(Some(Err(ws_error("websocket read failed", e))))
                }
                Some(Ok(message)) => message,
            };
            let message = match message {
                Message::Text(text) => WsMessage::Text(text.as_str().to_owned()),
                Message::Binary(data) => WsMessage::Binary(data),
                Message::Ping(data) => WsMessage::Ping(data),
                Message::Pong(data) => WsMessage::Pong(data),
                Message::Close(frame) => WsMessage::Close(frame.map(|f| CloseFrame {
                    code: u16::from(f.code),
                    reason: f.reason.as_str().to_owned(),
                })),
                // Raw frames are never returned by reads.
                Message::Frame(_) => continue,
            };
            return Poll::Ready(Some(Ok(message)));
        }
    }
}

impl Sink<WsMessage> for TokioWebSocket {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        Pin::new(&mut self.inner)
            .poll_ready(cx)
            .map_err(|e| ws_error("websocket write failed", e))
    }

    fn start_send(mut self: Pin<&mut Self>, message: WsMessage) -> Result<()> {
        let message = match message {
            WsMessage::Text(text) => Message::text(text),
            WsMessage::Binary(data) => Message::Binary(data),
            WsMessage::Ping(data) => Message::Ping(data),
            WsMessage::Pong(_) => return Ok(()),
            WsMessage::Close(frame) => {
                Message::Close(frame.map(|f| tungstenite::protocol::CloseFrame {
                    code: f.code.into(),
                    reason: f.reason.into(),
                }))
            }
        };
        Pin::new(&mut self.inner)
            .start_send(message)
            .map_err(|e| ws_error("websocket write failed", e))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        Pin::new(&mut self.inner)
            .poll_flush(cx)
            .map_err(|e| ws_error("websocket write failed", e))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        Pin::new(&mut self.inner)
            .poll_close(cx)
            .map_err(|e| ws_error("websocket close failed", e))
    }
}

impl NativeRuntime for Tokio {
    type Listener = TokioListener;

    async fn bind_local(&self, addr: SocketAddr) -> io::Result<TokioListener> {
        tokio::net::TcpListener::bind(addr).await.map(TokioListener)
    }
}

/// A local TCP listener for [`Sprite::proxy_port`](crate::Sprite::proxy_port).
///
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use sprites::sprites_core::client::{LocalListener, NativeRuntime};
///
/// let listener = sprites::Tokio::default().bind_local(([127, 0, 0, 1], 0).into()).await?;
/// let addr = listener.local_addr()?;
/// assert!(addr.ip().is_loopback() && addr.port() != 0);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TokioListener(tokio::net::TcpListener);

impl LocalListener for TokioListener {
    type Stream = TokioTcpStream;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TokioTcpStream>> {
        let (stream, _peer) = ready!(self.0.poll_accept(cx))?;
        // Forwarded connections are often interactive (ssh, databases).
        stream.set_nodelay(true)?;
        Poll::Ready(Ok(TokioTcpStream(stream)))
    }
}

/// A connection accepted by a [`TokioListener`].
///
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use std::future::poll_fn;
/// use sprites::sprites_core::client::{LocalListener, LocalStream, NativeRuntime};
/// use tokio::io::AsyncReadExt;
///
/// let mut listener = sprites::Tokio::default().bind_local(([127, 0, 0, 1], 0).into()).await?;
/// let mut peer = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
/// let mut accepted = poll_fn(|cx| listener.poll_accept(cx)).await?;
/// poll_fn(|cx| accepted.poll_write_from(cx, b"hi")).await?;
/// let mut buf = [0u8; 2];
/// peer.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"hi");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TokioTcpStream(tokio::net::TcpStream);

impl LocalStream for TokioTcpStream {
    fn poll_read_into(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        ready!(Pin::new(&mut self.0).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }

    fn poll_write_from(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
