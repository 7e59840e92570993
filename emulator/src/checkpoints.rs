//! Checkpoints (spec §8, §13.5): copies of the sprite's writable layer, taken while its
//! processes are frozen (overlay level), restored after ending every process.

use std::collections::HashMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::SubsecRound;
use chrono::Utc;
use serde::Deserialize;
use sprites_core::model::{Checkpoint, StreamMessage};

use crate::error::{json_response, ApiError, ApiResult};
use crate::exec::agent_sprite;
use crate::store::{lock, AppState, CheckpointMeta, Sprite};
use crate::util::{json_body, NdjsonTx};

#[derive(Debug, Default, Deserialize)]
struct CreateBody {
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /v1/sprites/{name}/checkpoint`: NDJSON progress of a live checkpoint.
pub(crate) async fn create(
    State(st): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let body: CreateBody = json_body(&body)?;
    let (tx, resp) = crate::util::ndjson_response();
    tokio::spawn(async move {
        info(&tx, "Creating checkpoint...").await;
        match take(&sprite, body.comment.filter(|c| !c.is_empty())).await {
            Ok(meta) => {
                let id = meta.id.clone();
                let created = meta.create_time.format("%Y-%m-%d %H:%M:%S").to_string();
                for line in [
                    "Checkpoint created successfully".to_string(),
                    "\nCheckpoint Details:".to_string(),
                    format!("  ID: {id}"),
                    format!("  Created: {created}"),
                    format!("  Path: checkpoints/{id}"),
                    "\nTo restore this checkpoint:".to_string(),
                    format!("  sprite checkpoint restore {id}"),
                    format!("  curl -X POST /checkpoints/{id}/restore"),
                ] {
                    info(&tx, &line).await;
                }
                complete(&tx, format!("Checkpoint {id} created successfully")).await;
            }
            Err(e) => {
                error(&tx, &format!("Failed to create checkpoint: {e}")).await;
            }
        }
    });
    Ok(resp)
}

async fn info(tx: &NdjsonTx, data: &str) {
    tx.line(&StreamMessage::Info {
        data: data.into(),
        time: Some(Utc::now()),
    })
    .await;
}

async fn complete(tx: &NdjsonTx, data: String) {
    tx.line(&StreamMessage::Complete {
        data,
        time: Some(Utc::now()),
    })
    .await;
}

async fn error(tx: &NdjsonTx, msg: &str) {
    tx.line(&StreamMessage::Error {
        message: msg.into(),
        time: Some(Utc::now()),
    })
    .await;
}

/// Takes a checkpoint: freeze, copy the writable layer, thaw, record.
pub(crate) async fn take(
    sprite: &Arc<Sprite>,
    comment: Option<String>,
) -> std::io::Result<CheckpointMeta> {
    let _order = sprite.checkpoint_lock.lock().await;
    let _life = sprite.lifecycle.read().await;
    let (id, source) = {
        let mut meta = lock(&sprite.meta);
        let n = meta.next_checkpoint.max(1);
        meta.next_checkpoint = n + 1;
        (format!("v{n}"), meta.current_checkpoint.clone())
    };
    sprite.save()?;
    let dir = sprite.checkpoints_dir();
    let partial = dir.join(format!("{id}.partial"));
    let done = dir.join(&id);
    if let Err(e) = sprite.env.set_frozen(true).await {
        let _ = sprite.env.set_frozen(false).await;
        return Err(e);
    }
    let layer = sprite.env.layer_dir();
    let copy_target = partial.clone();
    let copied = tokio::task::spawn_blocking(move || {
        let _ = crate::util::remove_tree(&copy_target);
        copy_tree(&layer, &copy_target)
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    let thawed = sprite.env.set_frozen(false).await;
    copied?;
    thawed?;
    std::fs::rename(&partial, &done)?;
    let meta = CheckpointMeta {
        id,
        create_time: Utc::now(),
        comment,
        source_id: source,
    };
    lock(&sprite.meta).checkpoints.push(meta.clone());
    sprite.save()?;
    Ok(meta)
}

/// Normalises `vN`, `N` and `checkpoints/vN` to `vN`.
fn normalize_id(id: &str) -> String {
    let id = id.strip_prefix("checkpoints/").unwrap_or(id);
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        return format!("v{id}");
    }
    id.to_string()
}

fn entry(c: &CheckpointMeta) -> Checkpoint {
    Checkpoint {
        id: c.id.clone(),
        comment: c.comment.clone(),
        created_at: Some(c.create_time.trunc_subsecs(0)),
        source_id: c.source_id.clone(),
        path: None,
        history: Vec::new(),
        is_auto: false,
        health: None,
    }
}

fn current() -> Checkpoint {
    Checkpoint {
        id: "Current".into(),
        created_at: Some(Utc::now().trunc_subsecs(0)),
        ..Checkpoint::default()
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// `GET /v1/sprites/{name}/checkpoints`: a bare array, `Current` first, newest first.
pub(crate) async fn list(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let meta = lock(&sprite.meta);
    let mut out = vec![current()];
    let mut cps: Vec<&CheckpointMeta> = meta.checkpoints.iter().collect();
    cps.sort_by(|a, b| {
        b.create_time
            .cmp(&a.create_time)
            .then_with(|| id_number(&b.id).cmp(&id_number(&a.id)))
    });
    out.extend(cps.into_iter().map(entry));
    Ok(json_response(StatusCode::OK, &to_json(&out)))
}

fn id_number(id: &str) -> u64 {
    id.strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn find(sprite: &Sprite, id: &str) -> Option<CheckpointMeta> {
    let id = normalize_id(id);
    lock(&sprite.meta)
        .checkpoints
        .iter()
        .find(|c| c.id == id)
        .cloned()
}

/// `GET /v1/sprites/{name}/checkpoints/{id}`.
pub(crate) async fn get(
    State(st): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    if id == "Current" || id == "active" {
        return Ok(json_response(StatusCode::OK, &to_json(&current())));
    }
    let c = find(&sprite, &id).ok_or_else(|| not_found(&id))?;
    Ok(json_response(StatusCode::OK, &to_json(&entry(&c))))
}

fn not_found(id: &str) -> ApiError {
    ApiError::Text(
        StatusCode::NOT_FOUND,
        format!("Failed to get checkpoint: checkpoint not found: checkpoint with path checkpoints/{id} not found"),
    )
}

/// `DELETE /v1/sprites/{name}/checkpoints/{id}`: any checkpoint but the current one.
pub(crate) async fn delete(
    State(st): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let c = find(&sprite, &id).ok_or_else(|| not_found(&id))?;
    {
        let mut meta = lock(&sprite.meta);
        if meta.current_checkpoint.as_deref() == Some(c.id.as_str()) {
            return Err(ApiError::conflict(format!(
                "cannot delete checkpoint {}: it is the current checkpoint",
                c.id
            )));
        }
        meta.checkpoints.retain(|x| x.id != c.id);
    }
    sprite
        .save()
        .map_err(|e| ApiError::internal(format!("failed to save sprite: {e}")))?;
    let dir = sprite.checkpoints_dir().join(&c.id);
    let _ = tokio::task::spawn_blocking(move || crate::util::remove_tree(&dir)).await;
    Ok(crate::sprites::no_content())
}

/// `POST /v1/sprites/{name}/checkpoints/{id}/restore`: NDJSON progress; an unknown id is a
/// `200` stream with an `error` line.
pub(crate) async fn restore(
    State(st): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let (tx, resp) = crate::util::ndjson_response();
    tokio::spawn(async move {
        info(&tx, &format!("Restoring from checkpoint {id}...")).await;
        let Some(c) = find(&sprite, &id) else {
            error(&tx, &format!("Failed to restore checkpoint: failed to get checkpoint: checkpoint not found: checkpoint with path checkpoints/{id} not found")).await;
            return;
        };
        match restore_into(&sprite, &c.id).await {
            Ok(()) => {
                info(&tx, "Container components started successfully").await;
                complete(&tx, format!("Restore from {} complete", c.id)).await;
            }
            Err(e) => error(&tx, &format!("Failed to restore checkpoint: {e}")).await,
        }
    });
    Ok(resp)
}

/// Ends every process, swaps the writable layer for a copy of the checkpoint, remounts,
/// and starts the services again.
pub(crate) async fn restore_into(sprite: &Arc<Sprite>, id: &str) -> std::io::Result<()> {
    {
        let _life = sprite.lifecycle.write().await;
        crate::sprites::stop_everything(sprite).await;
        let layer = sprite.env.layer_dir();
        let source = sprite.checkpoints_dir().join(id);
        let trash = sprite
            .dir
            .join(format!("trash-{}-{}", id, fastrand::u64(..)));
        let old = trash.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if layer.exists() {
                std::fs::rename(&layer, &trash)?;
            }
            copy_tree(&source, &layer)
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))?;
        // The old layer is removed off the critical path.
        tokio::task::spawn_blocking(move || crate::util::remove_tree(&old));
        sprite.env.reset_work_dir()?;
        lock(&sprite.meta).current_checkpoint = Some(id.to_string());
        sprite.save()?;
    }
    crate::services::boot(sprite.clone()).await;
    Ok(())
}

/// Copies a directory tree preserving modes, owners, times, symlinks, hard links, device
/// nodes (overlay whiteouts) and extended attributes (overlay opaque markers). Files are
/// reflinked where the filesystem supports it, else copied with `copy_file_range`.
pub(crate) fn copy_tree(src: &FsPath, dst: &FsPath) -> std::io::Result<()> {
    let mut links: HashMap<(u64, u64), PathBuf> = HashMap::new();
    copy_dir(src, dst, &mut links)
}

fn copy_dir(
    src: &FsPath,
    dst: &FsPath,
    links: &mut HashMap<(u64, u64), PathBuf>,
) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(src)?;
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let m = entry.metadata()?;
        let ft = m.file_type();
        if ft.is_dir() {
            copy_dir(&from, &to, links)?;
            continue;
        }
        if m.nlink() > 1 {
            if let Some(first) = links.get(&(m.dev(), m.ino())) {
                std::fs::hard_link(first, &to)?;
                continue;
            }
            links.insert((m.dev(), m.ino()), to.clone());
        }
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&from)?, &to)?;
        } else if ft.is_file() {
            copy_file(&from, &to)?;
        } else if ft.is_char_device() || ft.is_block_device() || ft.is_fifo() || ft.is_socket() {
            let kind = if ft.is_char_device() {
                nix::sys::stat::SFlag::S_IFCHR
            } else if ft.is_block_device() {
                nix::sys::stat::SFlag::S_IFBLK
            } else if ft.is_fifo() {
                nix::sys::stat::SFlag::S_IFIFO
            } else {
                nix::sys::stat::SFlag::S_IFSOCK
            };
            let perm = nix::sys::stat::Mode::from_bits_truncate(m.mode() & 0o7777);
            nix::sys::stat::mknod(&to, kind, perm, m.rdev()).map_err(std::io::Error::from)?;
        }
        copy_attrs(&from, &to, &m)?;
    }
    copy_attrs(src, dst, &meta)
}

fn copy_file(from: &FsPath, to: &FsPath) -> std::io::Result<()> {
    let src = std::fs::File::open(from)?;
    let dst = std::fs::File::create(to)?;
    if rustix::fs::ioctl_ficlone(&dst, &src).is_ok() {
        return Ok(());
    }
    drop(dst);
    std::fs::copy(from, to).map(|_| ())
}

fn copy_attrs(from: &FsPath, to: &FsPath, m: &std::fs::Metadata) -> std::io::Result<()> {
    let is_link = m.file_type().is_symlink();
    let _ = std::os::unix::fs::lchown(to, Some(m.uid()), Some(m.gid()));
    if !is_link {
        std::fs::set_permissions(
            to,
            std::os::unix::fs::PermissionsExt::from_mode(m.mode() & 0o7777),
        )?;
    }
    copy_xattrs(from, to);
    let atime = nix::sys::time::TimeSpec::new(m.atime(), m.atime_nsec());
    let mtime = nix::sys::time::TimeSpec::new(m.mtime(), m.mtime_nsec());
    let _ = nix::sys::stat::utimensat(
        nix::fcntl::AT_FDCWD,
        to,
        &atime,
        &mtime,
        nix::sys::stat::UtimensatFlags::NoFollowSymlink,
    );
    Ok(())
}

fn copy_xattrs(from: &FsPath, to: &FsPath) {
    let mut names = vec![0u8; 64 * 1024];
    let Ok(n) = rustix::fs::llistxattr(from, &mut names[..]) else {
        return;
    };
    let mut value = vec![0u8; 64 * 1024];
    for name in names.get(..n).unwrap_or_default().split(|b| *b == 0) {
        if name.is_empty() {
            continue;
        }
        let Ok(name) = std::ffi::CString::new(name) else {
            continue;
        };
        if let Ok(len) = rustix::fs::lgetxattr(from, name.as_c_str(), &mut value[..]) {
            let _ = rustix::fs::lsetxattr(
                to,
                name.as_c_str(),
                value.get(..len).unwrap_or_default(),
                rustix::fs::XattrFlags::empty(),
            );
        }
    }
}
