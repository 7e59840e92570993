//! A local, wire-compatible Fly.io Sprites server that runs real processes and takes real
//! checkpoints.
//!
//! The emulator speaks the Sprites API (sprite CRUD, exec over WebSocket with sessions,
//! filesystem, checkpoints, services, network policy, port proxy) closely enough that the
//! official SDKs work against it unchanged. Every sprite is a real Linux environment made
//! from the host:
//!
//! - [`Isolation::Overlay`] (needs root, cgroup v2, overlayfs, `unshare`/`nsenter`): an overlay
//!   of the host's root filesystem with a private writable layer per sprite, its own mount and
//!   PID namespaces, a chroot, and a cgroup v2 group that freezes (for checkpoints) and kills
//!   all of its processes.
//! - [`Isolation::Plain`]: a plain directory per sprite used as `/home/sprite`; processes run
//!   on the host and can see the host's files. Weaker isolation, but works anywhere.
//!
//! What is out of scope: billing, organizations, token minting, hibernation of memory, the
//! control socket and egress enforcement of network policies (policies are stored and
//! validated only). Routes that are not implemented answer `501` with a JSON error naming them;
//! `GET /_emulator/health` lists what is implemented and the isolation level.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = sprites_emulator::Emulator::builder().start().await?;
//! println!("{} {}", emulator.base_url(), emulator.token());
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod cgroup;
mod checkpoints;
mod error;
mod exec;
mod fsapi;
mod isolation;
mod ports;
mod proxy;
mod server;
mod services;
mod session;
mod sprites;
mod store;
mod util;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use isolation::Isolation;

/// The `Sprite-Version` this emulator reports on agent routes (a version the Go SDK treats as
/// supporting path-form attach).
pub const SPRITE_VERSION: &str = "v0.0.1-rc46";

/// Which isolation level to use; [`IsolationChoice::Auto`] picks [`Isolation::Overlay`] when
/// it is available, else [`Isolation::Plain`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum IsolationChoice {
    /// Overlay when running as root with cgroup v2 and overlayfs, else plain.
    #[default]
    Auto,
    /// Always the plain per-sprite directory.
    Plain,
    /// Always overlay; starting fails when it is unavailable.
    Overlay,
}

impl std::str::FromStr for IsolationChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "plain" => Ok(Self::Plain),
            "overlay" => Ok(Self::Overlay),
            other => Err(format!(
                "unknown isolation level: {other} (auto, plain, overlay)"
            )),
        }
    }
}

/// Entry point: `Emulator::builder()…start().await`.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// A builder with defaults: ephemeral loopback port, ephemeral data directory, a random
    /// token, automatic isolation level.
    #[must_use]
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Configures and starts an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    listen: SocketAddr,
    data_dir: Option<PathBuf>,
    token: Option<String>,
    isolation: IsolationChoice,
    limits: Limits,
}

/// Limits and timers; every buffer in the emulator is bounded by one of these.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// Largest JSON request body.
    pub max_json_body: usize,
    /// Largest `fs/write` body.
    pub max_file_body: u64,
    /// Scrollback kept per exec session for attach.
    pub scrollback_bytes: usize,
    /// Output chunks queued per attached connection before the process is slowed down.
    pub connection_queue: usize,
    /// Default `max_run_after_disconnect` for non-TTY sessions.
    pub non_tty_disconnect: Duration,
    /// How long a sprite stays `running` after its last activity before reporting `warm`.
    pub running_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_json_body: 1 << 20,
            max_file_body: 1 << 30,
            scrollback_bytes: 256 << 10,
            connection_queue: 16,
            non_tty_disconnect: Duration::from_secs(10),
            running_idle: Duration::from_secs(30),
        }
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            token: None,
            isolation: IsolationChoice::Auto,
            limits: Limits::default(),
        }
    }
}

impl EmulatorBuilder {
    /// The address to listen on (default `127.0.0.1:0`, an ephemeral loopback port).
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Keep state in this directory and across restarts (default: an ephemeral directory
    /// removed on shutdown).
    #[must_use]
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The bearer token clients must present (default: a random one).
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The isolation level (default [`IsolationChoice::Auto`]).
    #[must_use]
    pub fn isolation(mut self, choice: IsolationChoice) -> Self {
        self.isolation = choice;
        self
    }

    /// Limits and timers.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Binds the listener, loads persisted sprites and starts serving.
    ///
    /// # Errors
    /// Fails when the address cannot be bound, the data directory cannot be used, or
    /// [`IsolationChoice::Overlay`] was requested and is unavailable.
    pub async fn start(self) -> std::io::Result<EmulatorHandle> {
        server::start(self).await
    }
}

/// A running emulator. Call [`EmulatorHandle::shutdown`] to end it gracefully; dropping it
/// instead kills every process, unmounts and removes an ephemeral data directory at once.
pub struct EmulatorHandle {
    base_url: String,
    token: String,
    isolation: Isolation,
    data_dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Synchronous cleanup for a handle dropped without [`EmulatorHandle::shutdown`].
    cleanup: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("base_url", &self.base_url)
            .field("isolation", &self.isolation)
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bearer token clients must present.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The isolation level in use.
    #[must_use]
    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// The data directory in use.
    #[must_use]
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops accepting connections, ends every process, flushes state, unmounts, and removes
    /// the data directory if it was ephemeral.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// Waits until the server ends on its own (it never does unless shut down).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.cleanup = None;
    }

    async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.cleanup = None;
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(cleanup) = self.cleanup.take() {
            cleanup();
        }
    }
}
