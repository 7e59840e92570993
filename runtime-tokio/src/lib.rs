//! # Sprites SDK for Rust
//!
//! A client for the [Sprites](https://sprites.dev) API: stateful sandbox environments from
//! Fly.io. Sprites are lightweight, persistent VMs powered by Firecracker. They hibernate
//! when idle (no compute cost) and wake instantly when needed. Create checkpoints in
//! ~300 ms and restore to any previous state.
//!
//! This crate runs on [tokio](https://tokio.rs). The API itself is written once in
//! [`sprites_core::client`] and re-exported here with the runtime fixed, so one dependency
//! is enough: `sprites` and `tokio`.
//!
//! ## Quick start
//!
//! ```no_run
//! use sprites::SpritesClient;
//!
//! #[tokio::main]
//! async fn main() -> sprites::Result<()> {
//!     // Create a client with your API token
//!     let client = SpritesClient::new(std::env::var("SPRITES_TOKEN").unwrap());
//!
//!     // Create a sprite
//!     let sprite = client.create("my-sprite").await?;
//!
//!     // Run a command
//!     let output = sprite.command("uname").arg("-a").output().await?;
//!     println!("{}", output.stdout_str());
//!
//!     // Create a checkpoint
//!     let checkpoint = sprite.checkpoint("Initial state").await?;
//!     println!("Checkpoint: {}", checkpoint.id);
//!
//!     // Clean up
//!     sprite.destroy().await?;
//!     Ok(())
//! }
//! ```
//!
//! No account at hand? `cargo run -p sprites --example quickstart` runs the same steps
//! against the local emulator (`sprites-emulator`) started in-process.
//!
//! ## Command execution
//!
//! [`Command`] mirrors `std::process::Command`; a non-zero exit code is not an error
//! ([`Output::success`] says it):
//!
//! ```no_run
//! # async fn demo() -> sprites::Result<()> {
//! use sprites::SpritesClient;
//!
//! let client = SpritesClient::new("token");
//! let sprite = client.sprite("my-sprite");
//! let output = sprite
//!     .command("npm")
//!     .arg("install")
//!     .current_dir("/app")
//!     .env("NODE_ENV", "production")
//!     .output()
//!     .await?;
//! if output.success() {
//!     println!("stdout: {}", output.stdout_str());
//! }
//! # Ok(()) }
//! ```
//!
//! For long-running processes, [`Command::spawn`] gives a [`Child`] whose pipes implement
//! tokio's `AsyncRead`/`AsyncWrite`.
//!
//! ## Checkpoints
//!
//! ```no_run
//! # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
//! let checkpoint = sprite.checkpoint("Before migration").await?;
//! sprite.command("npm").arg("run").arg("migrate").output().await?;
//! sprite.restore(&checkpoint.id).await?;
//! # Ok(()) }
//! ```
//!
//! ## Files, services, policies, port proxy
//!
//! ```no_run
//! # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
//! use sprites::{PolicyAction, NetworkPolicy, NetworkPolicyRule, ServiceRequest};
//!
//! // Files
//! let fs = sprite.filesystem();
//! fs.write_file("/home/sprite/hello.txt", b"hi\n").await?;
//! let text = fs.read_to_string("/home/sprite/hello.txt").await?;
//!
//! // A service that restarts with the sprite
//! let request = ServiceRequest {
//!     cmd: "python3".into(),
//!     args: vec!["-m".into(), "http.server".into(), "8000".into()],
//!     ..ServiceRequest::default()
//! };
//! sprite.create_service("web", request).await?;
//!
//! // Forward 127.0.0.1:8000 to the service while `session` lives
//! let session = sprite.proxy_port(8000, 8000).await?;
//!
//! // Only allow one domain
//! sprite.set_policy(NetworkPolicy {
//!     rules: vec![NetworkPolicyRule { domain: "pypi.org".into(), action: PolicyAction::Allow }],
//!     include: vec![],
//! }).await?;
//! # drop((text, session)); Ok(()) }
//! ```
//!
//! ## Feature flags and TLS
//!
//! There are no optional features. TLS is rustls with the *ring* provider and the Mozilla
//! root certificates of `webpki-roots`, one configuration for both HTTP (reqwest, HTTP/2 by
//! ALPN, pooled connections) and WebSockets (tokio-tungstenite). All async operations need a
//! tokio runtime with I/O and time enabled (`#[tokio::main]` enables both).
//!
//! ## Picking a runtime
//!
//! - **tokio**: this crate.
//! - **async-std / smol**: `sprites-async-std` (planned), the same API over `futures-io`.
//! - **browsers and edge workers**: `sprites-wasm` (planned), the same API on `wasm32` plus
//!   an npm package.
//!
//! All of them re-export [`sprites_core::client`] with their runtime fixed, so code moves
//! between them by changing the dependency. To plug in another runtime yourself, implement
//! [`sprites_core::client::Runtime`] and use the generic types of [`sprites_core::client`].
//!
//! ## Errors
//!
//! Every call returns [`Result`], whose [`Error`] says who is at fault: the server refused
//! ([`Error::Api`] and the common cases [`Error::NotFound`], [`Error::Conflict`],
//! [`Error::Unauthorized`], [`Error::RateLimited`], each with an [`ApiError`] carrying the
//! status, code, message and retry-after); a filesystem call failed ([`Error::Filesystem`]
//! with its [`FsErrorCode`]); a progress stream reported an error ([`Error::Stream`]); the
//! server broke the protocol ([`Error::Protocol`]); an exec connection closed before the exit
//! status ([`Error::ClosedBeforeExit`]); the call was invalid and nothing was sent
//! ([`Error::InvalidArgument`]); the connection failed ([`Error::Transport`], with the
//! underlying error as its `source()`); a deadline passed ([`Error::Timeout`]).
//!
//! ```no_run
//! # async fn demo(client: sprites::SpritesClient) -> sprites::Result<()> {
//! match client.get("maybe-there").await {
//!     Ok(info) => println!("{:?}", info.status),
//!     Err(e) if e.is_not_found() => println!("no such sprite"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod runtime;

pub use runtime::{Tokio, TokioBody, TokioListener, TokioTcpStream, TokioWebSocket};

/// The runtime-independent core: the wire protocol as pure state machines, and the generic
/// API these aliases fix to [`Tokio`].
pub use sprites_core;

pub use sprites_core::client::{ChildStderr, ChildStdin, ChildStdout, PortChange, PortEvents};
pub use sprites_core::error::FsErrorCode;
/// The `session_info` message of an exec socket (see [`Child::session_info`]); the
/// session-list entry is [`SessionInfo`].
pub use sprites_core::exec::message::SessionInfo as ExecSessionInfo;
pub use sprites_core::exec::Keepalive;
pub use sprites_core::model::{
    Checkpoint, CreateSpriteRequest, DirEntry, ExecOptions, ExitStatus, FileInfo, KillEvent,
    ListCheckpointsOptions, ListCheckpointsResponse, ListOptions, ListSpritesResponse,
    NetworkPolicy, NetworkPolicyRule, Output, PolicyAction, PortMapping, Service, ServiceLogEntry,
    ServiceRequest, ServiceState, ServiceStatus, SessionInfo, Signal, SpriteConfig, SpriteInfo,
    SpriteStatus, StreamMessage, UpdateSpriteRequest, UrlAuth, UrlSettings, Version,
};
pub use sprites_core::ops::{ServiceAction, Timeouts};
pub use sprites_core::retry::RetryPolicy;
pub use sprites_core::{ApiError, Error, FsError, Result};

/// The Sprites API client. Cheap to clone; its `Debug` output never shows the token.
///
/// ```no_run
/// # async fn demo() -> sprites::Result<()> {
/// let client = sprites::SpritesClient::from_env()?; // SPRITES_TOKEN, SPRITES_API_URL
/// for sprite in client.list().await? {
///     println!("{} {:?}", sprite.name, sprite.status);
/// }
/// # Ok(()) }
/// ```
///
/// A misconfigured client fails on its first call without sending anything:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = sprites::SpritesClient::with_base_url("my-token", "not a url");
/// assert!(!format!("{client:?}").contains("my-token"));
/// let err = client.get("my-sprite").await.unwrap_err();
/// assert!(matches!(err, sprites::Error::InvalidArgument(_)));
/// # }
/// ```
pub type SpritesClient = sprites_core::client::SpritesClient<Tokio>;

/// Settings for a [`SpritesClient`]: base URL, timeouts, user agent, retries, keepalive.
///
/// ```
/// use std::time::Duration;
///
/// let client = sprites::SpritesClient::builder("token")
///     .base_url("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(10))
///     .build();
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// ```
///
/// [`try_build_with`](sprites_core::client::SpritesClientBuilder::try_build_with) checks the
/// settings at once:
///
/// ```
/// use sprites::{RetryPolicy, SpritesClientBuilder, Tokio};
///
/// let built = SpritesClientBuilder::new("token")
///     .base_url("ftp://example.com")
///     .retry(RetryPolicy::never().with_max_attempts(3))
///     .try_build_with(Tokio::default());
/// assert!(matches!(built, Err(sprites::Error::InvalidArgument(_))));
/// ```
pub type SpritesClientBuilder = sprites_core::client::SpritesClientBuilder<Tokio>;

/// A handle on one sprite; creating one sends nothing.
///
/// ```no_run
/// # async fn demo(client: sprites::SpritesClient) -> sprites::Result<()> {
/// let sprite = client.sprite("my-sprite");
/// println!("{:?}", sprite.info().await?.status);
/// # Ok(()) }
/// ```
///
/// Handles are plain values; clone them into tasks:
///
/// ```
/// let client = sprites::SpritesClient::new("token");
/// let sprite = client.sprite("my-sprite");
/// let for_task = sprite.clone();
/// assert_eq!(for_task.name(), "my-sprite");
/// assert_eq!(format!("{sprite:?}"), r#"Sprite { name: "my-sprite" }"#);
/// ```
pub type Sprite = sprites_core::client::Sprite<Tokio>;

/// A command to run in a sprite, configured like `std::process::Command`.
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// let status = sprite.command("make").arg("test").status().await?;
/// println!("exit code {}", status.code());
/// # Ok(()) }
/// ```
///
/// Building a command sends nothing:
///
/// ```
/// let sprite = sprites::SpritesClient::new("token").sprite("my-sprite");
/// let command = sprite.command("ls").args(["-l", "-a"]).current_dir("/tmp").tty(true);
/// assert_eq!(command.spec().argv, ["ls", "-l", "-a"]);
/// assert!(command.spec().tty);
/// ```
///
/// A deadline from tokio instead of [`Command::timeout`](sprites_core::client::Command::timeout)
/// (dropping the future detaches; the process keeps running for its
/// `max_run_after_disconnect`):
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// use std::time::Duration;
///
/// match tokio::time::timeout(Duration::from_secs(30), sprite.command("make").output()).await {
///     Ok(output) => println!("exit code {}", output?.status),
///     Err(_) => println!("still running after 30 s"),
/// }
/// # Ok(()) }
/// ```
pub type Command = sprites_core::client::Command<Tokio>;

/// A running command with its pipes.
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// let child = sprite.command("npm").arg("run").arg("dev").spawn().await?;
/// println!("started: {child:?}");
/// # Ok(()) }
/// ```
///
/// Its pipes are tokio `AsyncRead`/`AsyncWrite`, so `tokio::io::copy` streams them:
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> Result<(), Box<dyn std::error::Error>> {
/// let mut child = sprite.command("gzip").arg("-c").stdin(true).spawn().await?;
/// let mut stdin = child.take_stdin().expect("stdin was asked for");
/// let mut stdout = child.take_stdout().expect("not taken yet");
///
/// // Compress our stdin in the sprite, onto our stdout.
/// let (mut input, mut output) = (tokio::io::stdin(), tokio::io::stdout());
/// let (sent, received) = tokio::try_join!(
///     async {
///         let n = tokio::io::copy(&mut input, &mut stdin).await?;
///         tokio::io::AsyncWriteExt::shutdown(&mut stdin).await?; // the end of input
///         Ok::<_, std::io::Error>(n)
///     },
///     tokio::io::copy(&mut stdout, &mut output),
/// )?;
/// eprintln!("{sent} bytes in, {received} out, exit {}", child.wait().await?.code());
/// # Ok(()) }
/// ```
pub type Child = sprites_core::client::Child<Tokio>;

/// A command that attaches to a running session.
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// for session in sprite.list_sessions().await? {
///     let child = sprite.attach_session(&session.id).spawn().await?;
///     # drop(child);
/// }
/// # Ok(()) }
/// ```
pub type AttachCommand = sprites_core::client::AttachCommand<Tokio>;

/// A sprite's filesystem.
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// let fs = sprite.filesystem_at("/home/sprite");
/// for entry in fs.read_dir(".").await? {
///     println!("{} {}", entry.name, entry.size);
/// }
/// # Ok(()) }
/// ```
///
/// Relative paths resolve against the handle's working directory:
///
/// ```
/// let sprite = sprites::SpritesClient::new("token").sprite("my-sprite");
/// let app = sprite.filesystem_at("/home/sprite").cd("app");
/// assert_eq!(app.working_dir(), "/home/sprite/app");
/// ```
pub type Filesystem = sprites_core::client::Filesystem<Tokio>;

/// A `Stream` of typed events from an NDJSON answer (checkpoint and restore progress,
/// service events and logs, session kill events).
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// let mut progress = sprite.checkpoint_with_progress("nightly").await?;
/// while let Some(message) = progress.next().await {
///     println!("{:?}", message?);
/// }
/// # Ok(()) }
/// ```
///
/// Each event may take its time; bound the wait with tokio:
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// use std::time::Duration;
///
/// let mut logs = sprite.service_logs_with("web", None, Some(Duration::from_secs(300))).await?;
/// while let Ok(Some(entry)) = tokio::time::timeout(Duration::from_secs(10), logs.next()).await {
///     println!("{:?}", entry?.data);
/// }
/// # Ok(()) }
/// ```
pub type EventStream<T> = sprites_core::client::EventStream<Tokio, T>;

/// A stream of a service's log entries.
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// let logs = sprite.service_logs("web").await?;
/// logs.process_all(|entry| println!("{:?}", entry.data)).await?;
/// # Ok(()) }
/// ```
pub type ServiceLogStream = EventStream<ServiceLogEntry>;

/// A `Stream` of sprites, fetching pages as it is read.
///
/// ```no_run
/// # async fn demo(client: sprites::SpritesClient) -> sprites::Result<()> {
/// use futures_util::StreamExt;
///
/// let mut sprites = client.list_stream(sprites::ListOptions::default());
/// while let Some(sprite) = sprites.next().await {
///     println!("{}", sprite?.name);
/// }
/// # Ok(()) }
/// ```
pub type SpriteStream = sprites_core::client::SpriteStream<Tokio>;

/// A local listener forwarding connections to a port inside a sprite; dropping it stops
/// the forwarding.
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// let session = sprite.proxy_port(5432, 5432).await?;
/// println!("postgres on 127.0.0.1:{}", session.local_port());
/// session.close();
/// # Ok(()) }
/// ```
pub type ProxySession = sprites_core::client::ProxySession<Tokio>;

/// One tunnel to a port inside a sprite, as a tokio `AsyncRead + AsyncWrite` stream.
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> Result<(), Box<dyn std::error::Error>> {
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// let mut socket = sprite.proxy_socket("localhost", 8000).await?;
/// socket.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
/// let mut reply = Vec::new();
/// socket.read_to_end(&mut reply).await?;
/// # Ok(()) }
/// ```
///
/// Bridging a local connection by hand (what [`Sprite::proxy_port`] does for you):
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:6379").await?;
/// let (mut local, _) = listener.accept().await?;
/// let mut remote = sprite.proxy_socket("localhost", 6379).await?;
/// let (up, down) = tokio::io::copy_bidirectional(&mut local, &mut remote).await?;
/// println!("{up} bytes up, {down} down");
/// # Ok(()) }
/// ```
///
/// [`Sprite::proxy_port`]: sprites_core::client::Sprite::proxy_port
pub type ProxySocket = sprites_core::client::ProxySocket<Tokio>;

/// An older name for [`SessionInfo`], kept so code written for the 0.1 crate compiles.
///
///
/// ```no_run
/// # async fn demo(sprite: sprites::Sprite) -> sprites::Result<()> {
/// let sessions: Vec<sprites::Session> = sprite.list_sessions().await?;
/// for session in sessions.iter().filter(|s| s.is_active) {
///     println!("{} {}", session.id, session.command);
/// }
/// # Ok(()) }
/// ```
pub type Session = SessionInfo;
