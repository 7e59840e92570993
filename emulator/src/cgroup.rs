//! cgroup v2 groups: create, freeze, kill, list members. Plain file writes, no library.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Finds the cgroup v2 mount point from `/proc/self/mountinfo` (pure v2 or hybrid layout).
pub(crate) fn detect_root() -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        if !right.starts_with("cgroup2 ") {
            return None;
        }
        left.split(' ').nth(4).map(PathBuf::from)
    })
}

/// One cgroup directory.
#[derive(Debug, Clone)]
pub(crate) struct Cgroup {
    path: PathBuf,
}

impl Cgroup {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn child(&self, name: &str) -> Self {
        Self::new(self.path.join(name))
    }

    pub(crate) fn create(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.path)
    }

    pub(crate) fn procs_file(&self) -> PathBuf {
        self.path.join("cgroup.procs")
    }

    /// The processes directly in this group.
    pub(crate) fn procs(&self) -> Vec<u32> {
        std::fs::read_to_string(self.procs_file())
            .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// The processes in this group and every descendant group.
    pub(crate) fn procs_recursive(&self) -> Vec<u32> {
        let mut out = self.procs();
        if let Ok(entries) = std::fs::read_dir(&self.path) {
            for entry in entries.flatten() {
                if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    out.extend(Self::new(entry.path()).procs_recursive());
                }
            }
        }
        out
    }

    fn events_has(&self, needle: &str) -> bool {
        std::fs::read_to_string(self.path.join("cgroup.events"))
            .map(|s| s.lines().any(|l| l.trim() == needle))
            .unwrap_or(true)
    }

    /// Freezes or thaws every process in the group and waits until the kernel confirms.
    pub(crate) async fn set_frozen(&self, frozen: bool) -> std::io::Result<()> {
        std::fs::write(
            self.path.join("cgroup.freeze"),
            if frozen { "1" } else { "0" },
        )?;
        let want = if frozen { "frozen 1" } else { "frozen 0" };
        for _ in 0..2000 {
            if self.events_has(want) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Err(std::io::Error::other("cgroup freeze timed out"))
    }

    /// SIGKILLs every process in the group and its descendants.
    pub(crate) fn kill(&self) {
        if std::fs::write(self.path.join("cgroup.kill"), "1").is_err() {
            for pid in self.procs_recursive() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or(i32::MAX)),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }

    /// Waits until no process is left (`populated 0`), up to `limit`.
    pub(crate) async fn wait_empty(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline {
            if !self.path.exists() || self.events_has("populated 0") {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        false
    }

    /// Removes the group and its empty descendants (best effort).
    pub(crate) fn remove(&self) {
        if let Ok(entries) = std::fs::read_dir(&self.path) {
            for entry in entries.flatten() {
                if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    Self::new(entry.path()).remove();
                }
            }
        }
        let _ = std::fs::remove_dir(&self.path);
    }
}
