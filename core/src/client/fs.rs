//! The sprite's filesystem over the `fs/*` endpoints.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;

use super::runtime::Runtime;
use super::sprite::Sprite;
use crate::error::{Error, FsError, FsErrorCode, Result};
use crate::model::{
    DirEntry, FileInfo, FsChmodRequest, FsChownRequest, FsCopyRequest, FsRenameRequest,
};
use crate::ops::{
    format_mode, FsChmod, FsChown, FsCopy, FsDelete, FsList, FsPath, FsRead, FsRename, FsWrite,
};

/// Files in a sprite. Paths are absolute, or relative to the working directory this handle
/// was made with (`/` for [`Sprite::filesystem`]).
///
/// Errors from the server keep its POSIX-style code: match [`Error::Filesystem`] and
/// [`FsErrorCode`], or use [`Error::is_not_found`].
///
/// ```no_run
/// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// let fs = sprite.filesystem_at("/home/sprite");
/// fs.write_file("notes/todo.txt", b"ship it\n").await?;
/// assert_eq!(fs.read_to_string("notes/todo.txt").await?, "ship it\n");
/// for entry in fs.read_dir("notes").await? {
///     println!("{} {} bytes", entry.name, entry.size);
/// }
/// # Ok(()) }
/// ```
pub struct Filesystem<R: Runtime> {
    sprite: Sprite<R>,
    working_dir: Option<String>,
}

impl<R: Runtime> Clone for Filesystem<R> {
    fn clone(&self) -> Self {
        Filesystem {
            sprite: self.sprite.clone(),
            working_dir: self.working_dir.clone(),
        }
    }
}

impl<R: Runtime> fmt::Debug for Filesystem<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filesystem")
            .field("sprite", &self.sprite.name())
            .field("working_dir", &self.working_dir)
            .finish()
    }
}

impl<R: Runtime> Filesystem<R> {
    pub(super) fn new(sprite: Sprite<R>, working_dir: Option<String>) -> Self {
        Filesystem {
            sprite,
            working_dir,
        }
    }

    /// A handle with relative paths starting at `dir` (itself relative to this handle's).
    #[must_use]
    pub fn cd(&self, dir: &str) -> Filesystem<R> {
        Filesystem::new(self.sprite.clone(), Some(self.resolve(dir)))
    }

    /// The working directory relative paths start from.
    #[must_use]
    pub fn working_dir(&self) -> &str {
        self.working_dir.as_deref().unwrap_or("/")
    }

    /// A file's contents.
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        Ok(self.read_bytes(path).await?.into())
    }

    /// A file's contents without copying them out of the response.
    pub async fn read_bytes(&self, path: &str) -> Result<Bytes> {
        self.client().call(&FsRead(self.fs_path(path))).await
    }

    /// A file's contents as UTF-8 text; invalid UTF-8 is an `EINVAL` filesystem error.
    pub async fn read_to_string(&self, path: &str) -> Result<String> {
        let bytes = self.read_file(path).await?;
        String::from_utf8(bytes).map_err(|_| {
            let mut e = FsError::new(200, FsErrorCode::InvalidInput, "file is not valid UTF-8");
            e.path = Some(self.resolve(path));
            Error::Filesystem(e)
        })
    }

    /// Writes a file (created or truncated), creating missing parent directories.
    pub async fn write_file(&self, path: &str, data: impl AsRef<[u8]>) -> Result<()> {
        self.write(path, Bytes::copy_from_slice(data.as_ref()), None)
            .await
    }

    /// Writes a file with permission bits `mode` (e.g. `0o755`), in one request.
    pub async fn write_file_with_mode(
        &self,
        path: &str,
        data: impl AsRef<[u8]>,
        mode: u32,
    ) -> Result<()> {
        self.write(path, Bytes::copy_from_slice(data.as_ref()), Some(mode))
            .await
    }

    /// Writes a file from owned bytes (no copy).
    pub async fn write(&self, path: &str, data: Bytes, mode: Option<u32>) -> Result<()> {
        if let Some(mode) = mode {
            format_mode(mode)?;
        }
        let op = FsWrite {
            target: self.fs_path(path),
            data,
            mode,
            mkdir_parents: true,
        };
        self.client().call(&op).await.map(drop)
    }

    /// A directory's entries.
    pub async fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>> {
        let op = FsList {
            target: self.fs_path(path),
            recursive: false,
        };
        let listing = self.client().call(&op).await?;
        let target = self.resolve(path);
        let single_file = listing.entries.len() == 1
            && listing
                .entries
                .first()
                .is_some_and(|e| !e.is_dir && e.path == target);
        if single_file {
            let mut e = FsError::new(400, FsErrorCode::NotADirectory, "not a directory");
            e.path = Some(target);
            return Err(Error::Filesystem(e));
        }
        Ok(listing.entries.iter().map(DirEntry::from).collect())
    }

    /// Details of a file or directory (found through its parent's listing, which describes
    /// directories as well as files).
    pub async fn stat(&self, path: &str) -> Result<FileInfo> {
        let target = self.resolve(path);
        let (parent, name) = split_parent(&target);
        let Some(name) = name else {
            return Ok(FileInfo {
                name: String::from("/"),
                is_dir: true,
                ..FileInfo::default()
            });
        };
        let op = FsList {
            target: FsPath::new(self.sprite.name(), parent),
            recursive: false,
        };
        let listing = self
            .client()
            .call(&op)
            .await
            .map_err(|e| with_path(e, &target))?;
        listing
            .entries
            .iter()
            .find(|e| e.name == name || e.path == target)
            .map(FileInfo::from)
            .ok_or_else(|| {
                let mut e = FsError::new(404, FsErrorCode::NotFound, "no such file or directory");
                e.path = Some(target.clone());
                Error::Filesystem(e)
            })
    }

    /// Whether `path` exists.
    pub async fn exists(&self, path: &str) -> Result<bool> {
        match self.stat(path).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Creates directory `path`; its parent must exist, and `path` must not.
    pub async fn mkdir(&self, path: &str) -> Result<()> {
        let target = self.resolve(path);
        let (parent, _) = split_parent(&target);
        let parent_info = self.stat(&parent).await?;
        if !parent_info.is_dir {
            let mut e = FsError::new(400, FsErrorCode::NotADirectory, "parent is not a directory");
            e.path = Some(parent);
            return Err(Error::Filesystem(e));
        }
        if self.exists(&target).await? {
            let mut e = FsError::new(409, FsErrorCode::AlreadyExists, "file exists");
            e.path = Some(target);
            return Err(Error::Filesystem(e));
        }
        self.make_dir(&target).await
    }

    /// Creates directory `path` and any missing parents; succeeds if it already exists.
    pub async fn mkdir_all(&self, path: &str) -> Result<()> {
        let target = self.resolve(path);
        match self.stat(&target).await {
            Ok(info) if info.is_dir => return Ok(()),
            Ok(_) => {
                let mut e = FsError::new(409, FsErrorCode::AlreadyExists, "file exists");
                e.path = Some(target);
                return Err(Error::Filesystem(e));
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        self.make_dir(&target).await
    }

    /// The API has no mkdir: write `<dir>/.keep` with parents, then delete it (as the JS and
    /// Python SDKs do). Only called for a directory that does not exist yet, so the `.keep`
    /// is always ours.
    async fn make_dir(&self, dir: &str) -> Result<()> {
        let keep = join(dir, ".sprites-mkdir-keep");
        self.write(&keep, Bytes::new(), None).await?;
        let op = FsDelete {
            target: FsPath::new(self.sprite.name(), keep),
            recursive: false,
        };
        self.client().call(&op).await.map(drop)
    }

    /// Removes a file or an empty directory.
    pub async fn remove(&self, path: &str) -> Result<()> {
        self.delete(path, false).await
    }

    /// Removes a file, or a directory and everything in it.
    pub async fn remove_all(&self, path: &str) -> Result<()> {
        self.delete(path, true).await
    }

    async fn delete(&self, path: &str, recursive: bool) -> Result<()> {
        let op = FsDelete {
            target: self.fs_path(path),
            recursive,
        };
        self.client().call(&op).await.map(drop)
    }

    /// Renames (moves) `from` to `to`.
    pub async fn rename(&self, from: &str, to: &str) -> Result<()> {
        let op = FsRename {
            sprite: String::from(self.sprite.name()),
            body: FsRenameRequest {
                source: self.resolve(from),
                dest: self.resolve(to),
                ..FsRenameRequest::default()
            },
        };
        self.client().call(&op).await.map(drop)
    }

    /// Copies `from` to `to` (directories recursively).
    pub async fn copy(&self, from: &str, to: &str) -> Result<()> {
        let op = FsCopy {
            sprite: String::from(self.sprite.name()),
            body: FsCopyRequest {
                source: self.resolve(from),
                dest: self.resolve(to),
                recursive: true,
                ..FsCopyRequest::default()
            },
        };
        self.client().call(&op).await.map(drop)
    }

    /// Sets permission bits (e.g. `0o755`).
    pub async fn chmod(&self, path: &str, mode: u32) -> Result<()> {
        let op = FsChmod {
            sprite: String::from(self.sprite.name()),
            body: FsChmodRequest {
                path: self.resolve(path),
                mode: format_mode(mode)?,
                ..FsChmodRequest::default()
            },
        };
        self.client().call(&op).await.map(drop)
    }

    /// Sets the owner and/or group.
    pub async fn chown(&self, path: &str, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        if uid.is_none() && gid.is_none() {
            return Err(Error::invalid_argument("chown needs a uid or a gid"));
        }
        let op = FsChown {
            sprite: String::from(self.sprite.name()),
            body: FsChownRequest {
                path: self.resolve(path),
                uid,
                gid,
                ..FsChownRequest::default()
            },
        };
        self.client().call(&op).await.map(drop)
    }

    fn client(&self) -> &super::SpritesClient<R> {
        self.sprite.client()
    }

    fn fs_path(&self, path: &str) -> FsPath {
        FsPath::new(self.sprite.name(), self.resolve(path))
    }

    /// `path` made absolute against the working directory.
    fn resolve(&self, path: &str) -> String {
        if path.starts_with('/') {
            return String::from(path);
        }
        join(self.working_dir(), path)
    }
}

fn join(dir: &str, name: &str) -> String {
    let dir = dir.trim_end_matches('/');
    alloc::format!("{dir}/{name}")
}

/// `/a/b/c` → (`/a/b`, `Some("c")`); `/` → (`/`, `None`).
fn split_parent(path: &str) -> (String, Option<String>) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((parent, name)) if !name.is_empty() => {
            let parent = if parent.is_empty() { "/" } else { parent };
            (String::from(parent), Some(String::from(name)))
        }
        _ => (String::from("/"), None),
    }
}

fn with_path(err: Error, path: &str) -> Error {
    match err {
        Error::Filesystem(mut e) => {
            e.path = Some(String::from(path));
            Error::Filesystem(e)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_parent_handles_root_and_trailing_slashes() {
        assert_eq!(split_parent("/"), (String::from("/"), None));
        assert_eq!(
            split_parent("/a"),
            (String::from("/"), Some(String::from("a")))
        );
        assert_eq!(
            split_parent("/a/b/"),
            (String::from("/a"), Some(String::from("b")))
        );
    }
}
