//! The Fly.io Sprites wire protocol as pure, deterministic code.
//!
//! `sprites-core` knows every byte the Sprites API sends and expects, and nothing about
//! sockets, clocks or async runtimes. Runtime adapters (the `sprites` crate on tokio,
//! `sprites-async-std`, `sprites-wasm`) and the local emulator (`sprites-emulator`) do the
//! I/O and drive the state machines in here.
//!
//! What is in scope:
//! - [`model`]: serde types for every object of the API, tolerant of values the server may add.
//! - [`request`] and [`ops`]: a typed operation for every endpoint; each builds a
//!   [`request::Request`] and parses a [`response::Response`] into a typed result or an
//!   [`Error`].
//! - [`ndjson`]: one incremental decoder for every NDJSON stream (checkpoints, services,
//!   session kill).
//! - [`exec`]: the exec frame codec and the [`exec::ExecSession`] state machine.
//! - [`proxy`], [`http_exec`]: the port-proxy handshake and the HTTP POST exec body decoder.
//! - [`retry`] and [`pagination`]: backoff with injected jitter, and the list paging rule.
//!
//! What is out of scope: opening connections, reading clocks, spawning tasks. Time is always
//! a parameter ([`time::Instant`]), randomness comes from an injected seed.
//!
//! # The driving contract
//!
//! State machines take input only through `handle_*` methods and give output only through
//! `poll_*` methods. After any `handle_*` call, drain every `poll_*` until it returns `None`.
//!
//! # Example
//!
//! ```
//! use sprites_core::request::{Endpoint, Method};
//! use sprites_core::ops::{GetSprite, Operation};
//!
//! let endpoint = Endpoint::new("https://api.sprites.dev/", "secret-token").unwrap();
//! let request = GetSprite::new("my sprite").request(&endpoint).unwrap();
//! assert_eq!(request.method, Method::Get);
//! assert_eq!(request.url, "https://api.sprites.dev/v1/sprites/my%20sprite");
//! // The token never shows in Debug output.
//! assert!(!format!("{request:?}").contains("secret-token"));
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "client")]
pub mod client;
pub mod error;
pub mod exec;
pub mod http_exec;
pub mod model;
pub mod ndjson;
pub mod ops;
pub mod pagination;
pub mod proxy;
pub mod request;
pub mod response;
pub mod retry;
pub mod time;
pub mod ws;

#[cfg(feature = "http")]
mod http_interop;

pub use error::{ApiError, Error, FsError, Result};

/// The crate version, sent in `User-Agent: sprites-rs/<version>`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
