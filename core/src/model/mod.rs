//! Serde types for every object of the Sprites API.
//!
//! Each type both serializes and deserializes: the SDK parses what the server sends, and the
//! emulator serializes the same types to produce the wire shapes of the spec. Field names on
//! the wire follow the API exactly (`create_time`, `modTime`, `http_port`, ...); the Rust
//! field names keep those of the 0.1 `sprites` crate where it had them.
//!
//! Parsing is tolerant where the sources disagree or the server may grow:
//! - unknown enum strings land in an `Unknown`/`Other` variant and serialize back unchanged;
//! - NDJSON events with an unknown `type` keep the whole line as a [`serde_json::Value`];
//! - ids are accepted as strings or numbers;
//! - timestamps are RFC 3339 with any precision, or Unix numbers where the spec shows them;
//!   an optional timestamp that cannot be read is `None` rather than a failed response;
//! - every optional field may be absent or `null`, and unknown fields are ignored.
//!
//! Maps are [`BTreeMap`](alloc::collections::BTreeMap)s (the core is `no_std`), so their
//! keys serialize in sorted order.
//!
//! ```
//! use sprites_core::model::{SpriteInfo, SpriteStatus};
//!
//! let info: SpriteInfo = serde_json::from_str(
//!     r#"{"id":"sprite-1","name":"dev","status":"running","organization":"acme"}"#,
//! ).unwrap();
//! assert_eq!(info.status, SpriteStatus::Running);
//! assert_eq!(info.organization_name, "acme");
//! ```

mod checkpoint;
mod exec;
mod fs;
mod misc;
mod policy;
pub(crate) mod serde_util;
mod service;
mod signal;
mod sprite;

pub use checkpoint::{
    Checkpoint, CheckpointRequest, ListCheckpointsOptions, ListCheckpointsResponse, StreamMessage,
};
pub use exec::{
    ExecOptions, ExitStatus, KillEvent, ListSessionsResponse, Output, PortMapping, SessionInfo,
};
pub use fs::{
    format_mode, parse_mode, DirEntry, FileInfo, FsChmodEntry, FsChmodRequest, FsChmodResponse,
    FsChownEntry, FsChownRequest, FsChownResponse, FsCopiedEntry, FsCopyRequest, FsCopyResponse,
    FsDeleteResponse, FsEntry, FsEntryType, FsListResponse, FsRenameRequest, FsRenameResponse,
    FsWatchMessage, FsWriteResponse,
};
pub use misc::{ErrorBody, ProxyConnect, ProxyReply};
pub use policy::{NetworkPolicy, NetworkPolicyRule, PolicyAction};
pub use service::{
    Service, ServiceLogEntry, ServiceLogKind, ServiceRequest, ServiceState, ServiceStatus,
    SignalServiceRequest,
};
pub use signal::Signal;
pub use sprite::{
    CreateSpriteRequest, ListOptions, ListSpritesResponse, OrgInfo, SpriteConfig, SpriteInfo,
    SpriteStatus, TokenRequest, TokenResponse, UpdateSpriteRequest, UrlAuth, UrlSettings, Version,
};
