//! Shared server state: the sprites, their persisted metadata and their runtime parts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::isolation::{Isolation, SpriteEnv};
use crate::services::{ServiceDef, ServiceRuntime};
use crate::session::Session;
use crate::Limits;

/// Everything a handler needs.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) token: String,
    pub(crate) data_dir: PathBuf,
    pub(crate) isolation: Isolation,
    pub(crate) limits: Limits,
    pub(crate) base_url: String,
    pub(crate) cgroup_root: Option<PathBuf>,
    pub(crate) sprites: Mutex<BTreeMap<String, Arc<Sprite>>>,
}

pub(crate) type AppState = Arc<Shared>;

impl Shared {
    pub(crate) fn sprite(&self, name: &str) -> Option<Arc<Sprite>> {
        lock(&self.sprites).get(name).cloned()
    }

    pub(crate) fn sprites_dir(&self) -> PathBuf {
        self.data_dir.join("sprites")
    }
}

/// Locks a std mutex, recovering from poisoning (state stays usable after a panic elsewhere).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The persisted part of a sprite (`meta.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SpriteMeta {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) labels: Vec<String>,
    #[serde(default)]
    pub(crate) url_settings: serde_json::Value,
    #[serde(default)]
    pub(crate) environment: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) config: serde_json::Value,
    #[serde(default)]
    pub(crate) checkpoints: Vec<CheckpointMeta>,
    #[serde(default)]
    pub(crate) next_checkpoint: u64,
    #[serde(default)]
    pub(crate) current_checkpoint: Option<String>,
    #[serde(default)]
    pub(crate) services: BTreeMap<String, ServiceDef>,
    #[serde(default)]
    pub(crate) network_policy: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) privileges_policy: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) resources_policy: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) last_running_at: Option<DateTime<Utc>>,
}

/// One checkpoint's metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CheckpointMeta {
    pub(crate) id: String,
    pub(crate) create_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) source_id: Option<String>,
}

/// A port event for exec sockets.
#[derive(Debug, Clone)]
pub(crate) struct PortEvent {
    pub(crate) opened: bool,
    pub(crate) port: u16,
    pub(crate) address: String,
    pub(crate) pid: u32,
}

/// One sprite: metadata, environment, sessions, services.
#[derive(Debug)]
pub(crate) struct Sprite {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) meta: Mutex<SpriteMeta>,
    pub(crate) env: SpriteEnv,
    pub(crate) sessions: Mutex<BTreeMap<u32, Arc<Session>>>,
    /// Recently exited session ids (bounded), so kill can answer `410` instead of `404`.
    pub(crate) exited: Mutex<std::collections::VecDeque<u32>>,
    pub(crate) services: Mutex<BTreeMap<String, Arc<ServiceRuntime>>>,
    /// Held for reading while starting processes, for writing while restoring or deleting.
    pub(crate) lifecycle: tokio::sync::RwLock<bool>,
    pub(crate) last_activity: Mutex<Option<Instant>>,
    pub(crate) ports: broadcast::Sender<PortEvent>,
    /// Serialises checkpoint creation (ids are allocated in order).
    pub(crate) checkpoint_lock: tokio::sync::Mutex<()>,
}

impl Sprite {
    pub(crate) fn new(name: String, dir: PathBuf, meta: SpriteMeta, env: SpriteEnv) -> Self {
        let (ports, _) = broadcast::channel(64);
        Self {
            name,
            dir,
            meta: Mutex::new(meta),
            env,
            sessions: Mutex::new(BTreeMap::new()),
            exited: Mutex::new(std::collections::VecDeque::new()),
            services: Mutex::new(BTreeMap::new()),
            lifecycle: tokio::sync::RwLock::new(false),
            last_activity: Mutex::new(None),
            ports,
            checkpoint_lock: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn meta_path(&self) -> PathBuf {
        self.dir.join("meta.json")
    }

    pub(crate) fn checkpoints_dir(&self) -> PathBuf {
        self.dir.join("checkpoints")
    }

    /// Writes `meta.json` atomically.
    pub(crate) fn save(&self) -> std::io::Result<()> {
        let meta = lock(&self.meta).clone();
        write_json_atomic(&self.meta_path(), &meta)
    }

    /// Records activity (an agent-layer request, exec I/O).
    pub(crate) fn touch(&self) {
        *lock(&self.last_activity) = Some(Instant::now());
        let mut meta = lock(&self.meta);
        let now = Utc::now();
        meta.last_running_at = Some(now);
    }

    /// `running` while in use, `warm` after a while idle, `cold` before first use.
    pub(crate) fn status(&self, limits: &Limits) -> &'static str {
        if !lock(&self.sessions).is_empty() {
            return "running";
        }
        match *lock(&self.last_activity) {
            Some(t) if t.elapsed() < limits.running_idle => "running",
            Some(_) => "warm",
            None => "cold",
        }
    }
}

/// Writes a JSON file via a temporary file and a rename.
pub(crate) fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Is this a valid sprite name (a DNS label: 1–63 of `a-z0-9-`, no leading/trailing `-`)?
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A random UUID-shaped string (v4 layout).
pub(crate) fn random_uuid() -> String {
    let a = fastrand::u64(..);
    let b = fastrand::u64(..);
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels_are_valid_names() {
        assert!(is_valid_name("my-sprite-1"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name("x-"));
        assert!(!is_valid_name("Upper"));
        assert!(!is_valid_name("a/b"));
        assert!(!is_valid_name(&"a".repeat(64)));
    }
}
