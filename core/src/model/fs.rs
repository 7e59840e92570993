//! Filesystem endpoints: entries, list/write/delete answers, rename/copy/chmod/chown bodies
//! and answers, watch messages, and the 0.1 crate's `FileInfo`/`DirEntry` views (spec §11).
//!
//! Wire names here are camelCase (`modTime`, `isDir`, `workingDir`, `asRoot`, ...). Modes
//! travel as octal text: the SDKs send four digits (`"0644"`), the live list shows three
//! (`"644"`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::serde_util::{is_default, nullable, opt_time, string_enum};

/// Parses a file mode: octal text (`"644"`, `"0755"`, `"0o755"`, up to `"07777"` plus file
/// type bits), or `ls`-style text (`"-rw-r--r--"`, `"drwxr-xr-x"`; only the permission
/// bits and setuid/setgid/sticky are read). `None` when neither fits.
///
/// ```
/// use sprites_core::model::parse_mode;
/// assert_eq!(parse_mode("644"), Some(0o644));
/// assert_eq!(parse_mode("0755"), Some(0o755));
/// assert_eq!(parse_mode("drwxr-x---"), Some(0o750));
/// assert_eq!(parse_mode("rw"), None);
/// ```
#[must_use]
pub fn parse_mode(text: &str) -> Option<u32> {
    let t = text.trim();
    let octal = t.strip_prefix("0o").unwrap_or(t);
    if !octal.is_empty() && octal.len() <= 11 && octal.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return u32::from_str_radix(octal, 8).ok();
    }
    parse_symbolic_mode(t)
}

/// Formats permission bits as the four-digit octal text the SDKs send: `0o644` → `"0644"`.
///
/// ```
/// assert_eq!(sprites_core::model::format_mode(0o755), "0755");
/// ```
#[must_use]
pub fn format_mode(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

fn parse_symbolic_mode(t: &str) -> Option<u32> {
    let bytes = t.as_bytes();
    // The file type letter is optional: "rwxr-xr-x" or "-rwxr-xr-x".
    let perms = match bytes.len() {
        9 => bytes,
        10 => bytes.get(1..)?,
        _ => return None,
    };
    let mut mode = 0u32;
    for (group, triple) in perms.chunks(3).enumerate() {
        let shift = 6 - 3 * u32::try_from(group).ok()?;
        let &[r, w, x] = triple else { return None };
        let special = match group {
            0 => 0o4000,
            1 => 0o2000,
            _ => 0o1000,
        };
        mode |= match r {
            b'r' => 4 << shift,
            b'-' => 0,
            _ => return None,
        };
        mode |= match w {
            b'w' => 2 << shift,
            b'-' => 0,
            _ => return None,
        };
        mode |= match x {
            b'x' => 1 << shift,
            b'-' => 0,
            b's' | b't' => (1 << shift) | special,
            b'S' | b'T' => special,
            _ => return None,
        };
    }
    Some(mode)
}

/// One entry of `fs/list`: a file, directory, symlink or other node.
///
/// ```
/// use sprites_core::model::{FsEntry, FsEntryType};
/// let e: FsEntry = serde_json::from_str(r#"{"name":"app","path":"/home/sprite/app",
///   "type":"directory","size":4096,"mode":"755","modTime":"2026-01-31T10:00:00Z","isDir":true}"#).unwrap();
/// assert_eq!(e.file_type, FsEntryType::Directory);
/// assert_eq!(e.mode_bits(), Some(0o755));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsEntry {
    /// The base name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// The absolute path.
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
    /// The node type (wire `type`).
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub file_type: FsEntryType,
    /// Size in bytes.
    #[serde(default, deserialize_with = "nullable")]
    pub size: u64,
    /// The mode as octal text (`"644"`); see [`FsEntry::mode_bits`].
    #[serde(default, deserialize_with = "nullable")]
    pub mode: String,
    /// Last modification time (wire `modTime`).
    #[serde(
        rename = "modTime",
        default,
        with = "opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub mod_time: Option<DateTime<Utc>>,
    /// Whether it is a directory (false for a symlink to one) (wire `isDir`).
    #[serde(rename = "isDir", default, deserialize_with = "nullable")]
    pub is_dir: bool,
}

impl FsEntry {
    /// The mode parsed with [`parse_mode`].
    #[must_use]
    pub fn mode_bits(&self) -> Option<u32> {
        parse_mode(&self.mode)
    }
}

string_enum! {
    /// The type of a filesystem node.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
    pub enum FsEntryType {
        /// A regular file.
        #[default]
        File = "file",
        /// A directory.
        Directory = "directory",
        /// A symbolic link.
        Symlink = "symlink",
    }

    /// Anything else (`socket`, `fifo`, `device`, ...), kept as sent.
    catch_all Other(String);
}

/// What `stat` tells about a path (the 0.1 crate's shape). Built from an [`FsEntry`]; a mode
/// that cannot be read becomes 0.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The base name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The mode bits (`0o644`).
    pub mode: u32,
    /// Last modification time.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub modified: Option<DateTime<Utc>>,
    /// Whether it is a directory.
    pub is_dir: bool,
}

impl From<FsEntry> for FileInfo {
    fn from(e: FsEntry) -> Self {
        FileInfo {
            mode: e.mode_bits().unwrap_or(0),
            name: e.name,
            size: e.size,
            modified: e.mod_time,
            is_dir: e.is_dir,
        }
    }
}

impl From<&FsEntry> for FileInfo {
    fn from(e: &FsEntry) -> Self {
        FileInfo::from(e.clone())
    }
}

/// One entry of a directory listing (the 0.1 crate's shape). Built from an [`FsEntry`]; a
/// mode that cannot be read becomes 0.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirEntry {
    /// The base name.
    pub name: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Size in bytes.
    pub size: u64,
    /// The mode bits (`0o644`).
    pub mode: u32,
    /// Last modification time.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub modified: Option<DateTime<Utc>>,
}

impl From<FsEntry> for DirEntry {
    fn from(e: FsEntry) -> Self {
        DirEntry {
            mode: e.mode_bits().unwrap_or(0),
            name: e.name,
            is_dir: e.is_dir,
            size: e.size,
            modified: e.mod_time,
        }
    }
}

impl From<&FsEntry> for DirEntry {
    fn from(e: &FsEntry) -> Self {
        DirEntry::from(e.clone())
    }
}

/// The answer of `fs/list`: a directory's children, or a single entry for a file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsListResponse {
    /// The resolved path.
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
    /// The entries.
    #[serde(default, deserialize_with = "nullable")]
    pub entries: Vec<FsEntry>,
    /// How many entries.
    #[serde(default, deserialize_with = "nullable")]
    pub count: u64,
}

/// The answer of `fs/write`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsWriteResponse {
    /// The absolute path written.
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
    /// Bytes written.
    #[serde(default, deserialize_with = "nullable")]
    pub size: u64,
    /// The file's mode as octal text (`"0644"`).
    #[serde(default, deserialize_with = "nullable")]
    pub mode: String,
}

/// The answer of `fs/delete`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsDeleteResponse {
    /// The absolute paths removed.
    #[serde(default, deserialize_with = "nullable")]
    pub deleted: Vec<String>,
    /// How many.
    #[serde(default, deserialize_with = "nullable")]
    pub count: u64,
}

/// The body of `POST fs/rename`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsRenameRequest {
    /// The path to move.
    #[serde(default, deserialize_with = "nullable")]
    pub source: String,
    /// Where to move it.
    #[serde(default, deserialize_with = "nullable")]
    pub dest: String,
    /// The directory relative paths start from (wire `workingDir`).
    #[serde(
        rename = "workingDir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// Act as root (wire `asRoot`).
    #[serde(
        rename = "asRoot",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub as_root: bool,
}

/// The answer of `fs/rename`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsRenameResponse {
    /// The old path.
    #[serde(default, deserialize_with = "nullable")]
    pub source: String,
    /// The new path.
    #[serde(default, deserialize_with = "nullable")]
    pub dest: String,
}

/// The body of `POST fs/copy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsCopyRequest {
    /// The path to copy.
    #[serde(default, deserialize_with = "nullable")]
    pub source: String,
    /// Where to copy it.
    #[serde(default, deserialize_with = "nullable")]
    pub dest: String,
    /// The directory relative paths start from (wire `workingDir`).
    #[serde(
        rename = "workingDir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// Copy directories recursively (the Go SDK always sends `true`).
    #[serde(default, deserialize_with = "nullable")]
    pub recursive: bool,
    /// Keep modes, owners and times (wire `preserveAttrs`).
    #[serde(rename = "preserveAttrs", default, deserialize_with = "nullable")]
    pub preserve_attrs: bool,
    /// Act as root (wire `asRoot`).
    #[serde(
        rename = "asRoot",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub as_root: bool,
}

/// One copied file in an [`FsCopyResponse`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsCopiedEntry {
    /// Where it came from.
    #[serde(default, deserialize_with = "nullable")]
    pub source: String,
    /// Where it went.
    #[serde(default, deserialize_with = "nullable")]
    pub dest: String,
}

/// The answer of `fs/copy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsCopyResponse {
    /// Every file copied.
    #[serde(default, deserialize_with = "nullable")]
    pub copied: Vec<FsCopiedEntry>,
    /// How many.
    #[serde(default, deserialize_with = "nullable")]
    pub count: u64,
    /// Bytes copied in all (wire `totalBytes`).
    #[serde(rename = "totalBytes", default, deserialize_with = "nullable")]
    pub total_bytes: u64,
}

/// The body of `POST fs/chmod`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsChmodRequest {
    /// The path to change.
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
    /// The directory relative paths start from (wire `workingDir`).
    #[serde(
        rename = "workingDir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// The new mode as octal text (`"0755"`; see [`format_mode`]).
    #[serde(default, deserialize_with = "nullable")]
    pub mode: String,
    /// Apply to a directory's contents too.
    #[serde(default, deserialize_with = "nullable")]
    pub recursive: bool,
    /// Act as root (wire `asRoot`).
    #[serde(
        rename = "asRoot",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub as_root: bool,
}

/// One changed path in an [`FsChmodResponse`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsChmodEntry {
    /// The path.
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
    /// Its new mode as octal text.
    #[serde(default, deserialize_with = "nullable")]
    pub mode: String,
}

/// The answer of `fs/chmod`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsChmodResponse {
    /// Every path changed.
    #[serde(default, deserialize_with = "nullable")]
    pub affected: Vec<FsChmodEntry>,
    /// How many.
    #[serde(default, deserialize_with = "nullable")]
    pub count: u64,
}

/// The body of `POST fs/chown`. At least one of `uid` and `gid` should be set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsChownRequest {
    /// The path to change.
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
    /// The directory relative paths start from (wire `workingDir`).
    #[serde(
        rename = "workingDir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// The new owner; `None` leaves it (sent as `null`).
    #[serde(default)]
    pub uid: Option<u32>,
    /// The new group; `None` leaves it (sent as `null`).
    #[serde(default)]
    pub gid: Option<u32>,
    /// Apply to a directory's contents too.
    #[serde(default, deserialize_with = "nullable")]
    pub recursive: bool,
    /// Act as root (wire `asRoot`).
    #[serde(
        rename = "asRoot",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub as_root: bool,
}

/// One changed path in an [`FsChownResponse`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsChownEntry {
    /// The path.
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
    /// Its owner.
    #[serde(default)]
    pub uid: Option<u32>,
    /// Its group.
    #[serde(default)]
    pub gid: Option<u32>,
}

/// The answer of `fs/chown`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsChownResponse {
    /// Every path changed.
    #[serde(default, deserialize_with = "nullable")]
    pub affected: Vec<FsChownEntry>,
    /// How many.
    #[serde(default, deserialize_with = "nullable")]
    pub count: u64,
}

/// A text message of the `fs/watch` WebSocket, in either direction.
///
/// The docs name the fields but not the `type`/`event` vocabularies, so both stay strings
/// and every field is optional. Presumably a client subscribes with `paths`, `recursive`
/// and `workingDir`, and the server reports `path`, `event` and `isDir`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FsWatchMessage {
    /// The message type (wire `type`).
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub message_type: String,
    /// Paths to watch.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub paths: Vec<String>,
    /// Watch subdirectories too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive: Option<bool>,
    /// The directory relative paths start from (wire `workingDir`).
    #[serde(
        rename = "workingDir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// The path an event is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What happened to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// When it happened (format undocumented, kept as sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<serde_json::Value>,
    /// The file size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Whether the path is a directory (wire `isDir`).
    #[serde(rename = "isDir", default, skip_serializing_if = "Option::is_none")]
    pub is_dir: Option<bool>,
    /// A text, for errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
