//! Filesystem routes (spec §11), confined to the sprite.
//!
//! Every path is resolved component by component under the sprite's root: `..` stops at
//! the root, and symlinks (absolute or relative, chains included) are followed *inside* the
//! root, the way `openat2(RESOLVE_IN_ROOT)` would. Recursive operations never follow
//! symlinks. A process inside the sprite that swaps a directory for a symlink between the
//! resolution and the operation could still race it; the sprite's processes are the only
//! ones that can, and they already own the sprite.

use std::collections::VecDeque;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path as FsPath, PathBuf};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::StreamExt;
use sprites_core::model::{
    format_mode, parse_mode, FsChmodEntry, FsChmodRequest, FsChmodResponse, FsChownEntry,
    FsChownRequest, FsChownResponse, FsCopiedEntry, FsCopyRequest, FsCopyResponse,
    FsDeleteResponse, FsEntry, FsEntryType, FsListResponse, FsRenameRequest, FsRenameResponse,
    FsWriteResponse,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{json_response, ApiError, ApiResult};
use crate::exec::agent_sprite;
use crate::store::{AppState, Sprite};
use crate::util::{json_body, Query};

/// Most symlinks followed in one resolution (as Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// A path resolved inside a sprite.
#[derive(Debug, Clone)]
struct Resolved {
    /// Where it is on the host.
    host: PathBuf,
    /// The absolute path as the sprite sees it.
    virt: String,
}

/// Resolves `path` (absolute, or relative to `working_dir`) under `root`. With
/// `follow_last`, a symlink in the last component is followed too.
fn resolve(
    root: &FsPath,
    working_dir: Option<&str>,
    path: &str,
    follow_last: bool,
) -> ApiResult<Resolved> {
    if path.is_empty() {
        return Err(ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EINVAL",
            path,
            "path is required",
        ));
    }
    if path.contains('\0') {
        return Err(ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EINVAL",
            path,
            "invalid path",
        ));
    }
    let full = if path.starts_with('/') {
        path.to_string()
    } else {
        format!(
            "{}/{}",
            working_dir.filter(|w| !w.is_empty()).unwrap_or("/"),
            path
        )
    };
    let mut queue: VecDeque<String> = full.split('/').map(str::to_string).collect();
    let mut resolved: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(comp) = queue.pop_front() {
        match comp.as_str() {
            "" | "." => continue,
            ".." => {
                resolved.pop();
                continue;
            }
            _ => {}
        }
        let is_last = queue.iter().all(|c| c.is_empty() || c == ".");
        let candidate = join(root, &resolved).join(&comp);
        let is_link =
            std::fs::symlink_metadata(&candidate).is_ok_and(|m| m.file_type().is_symlink());
        if is_link && (!is_last || follow_last) {
            links += 1;
            if links > MAX_LINKS {
                return Err(ApiError::fs_code(
                    StatusCode::BAD_REQUEST,
                    "EINVAL",
                    path,
                    "too many levels of symbolic links",
                ));
            }
            let target = std::fs::read_link(&candidate).map_err(|e| ApiError::fs(&e, path))?;
            let target = target.to_string_lossy().into_owned();
            if target.starts_with('/') {
                resolved.clear();
            }
            for part in target.split('/').rev() {
                queue.push_front(part.to_string());
            }
            continue;
        }
        resolved.push(comp);
    }
    Ok(Resolved {
        host: join(root, &resolved),
        virt: format!("/{}", resolved.join("/")),
    })
}

fn join(root: &FsPath, parts: &[String]) -> PathBuf {
    let mut p = root.to_path_buf();
    for part in parts {
        p.push(part);
    }
    p
}

async fn root_of(st: &AppState, name: &str) -> ApiResult<(std::sync::Arc<Sprite>, PathBuf)> {
    let sprite = agent_sprite(st, name)?;
    let root = sprite
        .env
        .root()
        .await
        .map_err(|e| ApiError::internal(format!("sprite filesystem unavailable: {e}")))?;
    Ok((sprite, root))
}

fn required<'a>(q: &'a Query, key: &str) -> ApiResult<&'a str> {
    q.get(key).filter(|v| !v.is_empty()).ok_or_else(|| {
        ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EINVAL",
            "",
            &format!("{key} is required"),
        )
    })
}

/// `GET …/fs/read?path=&workingDir=`: the raw bytes.
pub(crate) async fn read(
    State(st): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Query::parse(raw.as_deref());
    let (_sprite, root) = root_of(&st, &name).await?;
    let path = required(&q, "path")?;
    let r = resolve(&root, q.get("workingDir"), path, true)?;
    let meta = tokio::fs::metadata(&r.host)
        .await
        .map_err(|e| ApiError::fs(&e, &r.virt))?;
    if meta.is_dir() {
        return Err(ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EISDIR",
            &r.virt,
            "is a directory",
        ));
    }
    let file = tokio::fs::File::open(&r.host)
        .await
        .map_err(|e| ApiError::fs(&e, &r.virt))?;
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    resp.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(meta.len()));
    Ok(resp)
}

/// `PUT …/fs/write?path=&workingDir=&mode=&mkdirParents=`: the body is the content.
pub(crate) async fn write(
    State(st): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let q = Query::parse(raw.as_deref());
    let (_sprite, root) = root_of(&st, &name).await?;
    let path = required(&q, "path")?;
    let r = resolve(&root, q.get("workingDir"), path, true)?;
    if r.virt == "/" {
        return Err(ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EISDIR",
            "/",
            "is a directory",
        ));
    }
    let mode = match q.get("mode").filter(|m| !m.is_empty()) {
        Some(m) => parse_mode(m).ok_or_else(|| {
            ApiError::fs_code(
                StatusCode::BAD_REQUEST,
                "EINVAL",
                &r.virt,
                &format!("invalid mode {m}"),
            )
        })?,
        None => 0o644,
    };
    let parents = match (q.bool("mkdirParents")?, q.bool("mkdir")?) {
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => true,
    };
    if let Some(parent) = r.host.parent() {
        if parents {
            mkdir_confined(&root, &r.virt).map_err(|e| ApiError::fs(&e, &r.virt))?;
        } else if !parent.is_dir() {
            return Err(ApiError::fs_code(
                StatusCode::NOT_FOUND,
                "ENOENT",
                &r.virt,
                "parent directory does not exist",
            ));
        }
    }
    if r.host.is_dir() {
        return Err(ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EISDIR",
            &r.virt,
            "is a directory",
        ));
    }
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&r.host)
        .await
        .map_err(|e| ApiError::fs(&e, &r.virt))?;
    let mut size: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("failed to read body: {e}")))?;
        size += chunk.len() as u64;
        if size > st.limits.max_file_body {
            drop(file);
            let _ = tokio::fs::remove_file(&r.host).await;
            return Err(ApiError::Simple(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large".into(),
            ));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| ApiError::fs(&e, &r.virt))?;
    }
    file.flush().await.map_err(|e| ApiError::fs(&e, &r.virt))?;
    drop(file);
    tokio::fs::set_permissions(&r.host, std::fs::Permissions::from_mode(mode))
        .await
        .map_err(|e| ApiError::fs(&e, &r.virt))?;
    Ok(json(&FsWriteResponse {
        path: r.virt,
        size,
        mode: format_mode(mode),
    }))
}

/// Creates the parents of `virt` one by one, each resolved inside the root.
fn mkdir_confined(root: &FsPath, virt: &str) -> std::io::Result<()> {
    let parts: Vec<&str> = virt.split('/').filter(|p| !p.is_empty()).collect();
    let mut cur = String::new();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        cur.push('/');
        cur.push_str(part);
        let r = resolve(root, None, &cur, true)
            .map_err(|_| std::io::Error::other("cannot resolve parent"))?;
        match std::fs::symlink_metadata(&r.host) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(std::io::Error::from(std::io::ErrorKind::NotADirectory)),
            Err(_) => std::fs::create_dir(&r.host)?,
        }
        cur = r.virt;
    }
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> Response {
    json_response(StatusCode::OK, &serde_json::to_value(v).unwrap_or_default())
}

fn entry(host: &FsPath, virt: &str) -> std::io::Result<FsEntry> {
    let m = std::fs::symlink_metadata(host)?;
    let ft = m.file_type();
    let file_type = if ft.is_dir() {
        FsEntryType::Directory
    } else if ft.is_symlink() {
        FsEntryType::Symlink
    } else if ft.is_file() {
        FsEntryType::File
    } else {
        use std::os::unix::fs::FileTypeExt;
        FsEntryType::Other(
            if ft.is_socket() {
                "socket"
            } else if ft.is_fifo() {
                "fifo"
            } else {
                "device"
            }
            .to_string(),
        )
    };
    let name = virt
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("/")
        .to_string();
    Ok(FsEntry {
        name,
        path: virt.to_string(),
        file_type,
        size: m.len(),
        mode: format!("{:o}", m.mode() & 0o7777),
        mod_time: chrono::DateTime::from_timestamp(m.mtime(), 0),
        is_dir: ft.is_dir(),
    })
}

fn child_virt(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// `GET …/fs/list?path=&workingDir=&recursive=`: a directory's children, or the entry of
/// a file.
pub(crate) async fn list(
    State(st): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Query::parse(raw.as_deref());
    let (_sprite, root) = root_of(&st, &name).await?;
    let path = q.get("path").filter(|p| !p.is_empty()).unwrap_or("/");
    let recursive = q.bool("recursive")?.unwrap_or(false);
    let r = resolve(&root, q.get("workingDir"), path, true)?;
    let meta = std::fs::symlink_metadata(&r.host).map_err(|e| ApiError::fs(&e, &r.virt))?;
    let mut entries = Vec::new();
    if meta.is_dir() {
        list_dir(&r.host, &r.virt, recursive, &mut entries)
            .map_err(|e| ApiError::fs(&e, &r.virt))?;
    } else {
        entries.push(entry(&r.host, &r.virt).map_err(|e| ApiError::fs(&e, &r.virt))?);
    }
    let count = entries.len() as u64;
    Ok(json(&FsListResponse {
        path: r.virt,
        entries,
        count,
    }))
}

const MAX_LIST: usize = 100_000;

fn list_dir(
    host: &FsPath,
    virt: &str,
    recursive: bool,
    out: &mut Vec<FsEntry>,
) -> std::io::Result<()> {
    let mut children: Vec<_> = std::fs::read_dir(host)?.flatten().collect();
    children.sort_by_key(std::fs::DirEntry::file_name);
    for child in children {
        if out.len() >= MAX_LIST {
            return Ok(());
        }
        let name = child.file_name().to_string_lossy().into_owned();
        let v = child_virt(virt, &name);
        let Ok(e) = entry(&child.path(), &v) else {
            continue;
        };
        let descend = recursive && e.is_dir;
        out.push(e);
        if descend {
            let _ = list_dir(&child.path(), &v, true, out);
        }
    }
    Ok(())
}

/// `DELETE …/fs/delete?path=&workingDir=&recursive=`.
pub(crate) async fn delete(
    State(st): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Query::parse(raw.as_deref());
    let (_sprite, root) = root_of(&st, &name).await?;
    let path = required(&q, "path")?;
    let recursive = q.bool("recursive")?.unwrap_or(false);
    let r = resolve(&root, q.get("workingDir"), path, false)?;
    if r.virt == "/" {
        return Err(ApiError::fs_code(
            StatusCode::FORBIDDEN,
            "EACCES",
            "/",
            "cannot delete the root",
        ));
    }
    let meta = std::fs::symlink_metadata(&r.host).map_err(|e| ApiError::fs(&e, &r.virt))?;
    let mut deleted = Vec::new();
    if meta.is_dir() {
        if recursive {
            collect_paths(&r.host, &r.virt, &mut deleted);
            crate::util::remove_tree(&r.host).map_err(|e| ApiError::fs(&e, &r.virt))?;
        } else {
            std::fs::remove_dir(&r.host).map_err(|e| match e.raw_os_error() {
                Some(nix::libc::ENOTEMPTY) => ApiError::fs_code(
                    StatusCode::CONFLICT,
                    "ENOTEMPTY",
                    &r.virt,
                    "directory not empty",
                ),
                _ => ApiError::fs(&e, &r.virt),
            })?;
            deleted.push(r.virt.clone());
        }
    } else {
        std::fs::remove_file(&r.host).map_err(|e| ApiError::fs(&e, &r.virt))?;
        deleted.push(r.virt.clone());
    }
    let count = deleted.len() as u64;
    Ok(json(&FsDeleteResponse { deleted, count }))
}

/// Every path under `host` (children first), without following symlinks.
fn collect_paths(host: &FsPath, virt: &str, out: &mut Vec<String>) {
    if let Ok(children) = std::fs::read_dir(host) {
        for child in children.flatten() {
            let v = child_virt(virt, &child.file_name().to_string_lossy());
            if child.file_type().is_ok_and(|t| t.is_dir()) {
                collect_paths(&child.path(), &v, out);
            } else {
                out.push(v);
            }
        }
    }
    out.push(virt.to_string());
}

/// `POST …/fs/rename` with `{"source","dest","workingDir"}`.
pub(crate) async fn rename(
    State(st): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let req: FsRenameRequest = json_body(&body)?;
    let (_sprite, root) = root_of(&st, &name).await?;
    let wd = req.working_dir.as_deref();
    let src = resolve(&root, wd, &req.source, false)?;
    let dst = resolve(&root, wd, &req.dest, false)?;
    if src.virt == "/" || dst.virt == "/" {
        return Err(ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EINVAL",
            "/",
            "cannot rename the root",
        ));
    }
    std::fs::rename(&src.host, &dst.host).map_err(|e| ApiError::fs(&e, &src.virt))?;
    Ok(json(&FsRenameResponse {
        source: src.virt,
        dest: dst.virt,
    }))
}

/// `POST …/fs/copy` with `{"source","dest","workingDir","recursive","preserveAttrs"}`.
pub(crate) async fn copy(
    State(st): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let req: FsCopyRequest = json_body(&body)?;
    let (_sprite, root) = root_of(&st, &name).await?;
    let wd = req.working_dir.as_deref();
    let src = resolve(&root, wd, &req.source, true)?;
    let dst = resolve(&root, wd, &req.dest, false)?;
    let meta = std::fs::symlink_metadata(&src.host).map_err(|e| ApiError::fs(&e, &src.virt))?;
    if meta.is_dir() && !req.recursive {
        return Err(ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EISDIR",
            &src.virt,
            "is a directory (use recursive)",
        ));
    }
    if meta.is_dir()
        && (dst.virt == src.virt
            || dst
                .virt
                .starts_with(&format!("{}/", src.virt.trim_end_matches('/'))))
    {
        return Err(ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EINVAL",
            &dst.virt,
            "cannot copy a directory into itself",
        ));
    }
    let mut copied = Vec::new();
    let mut total = 0u64;
    copy_any(
        &src.host,
        &src.virt,
        &dst.host,
        &dst.virt,
        req.preserve_attrs,
        &mut copied,
        &mut total,
    )
    .map_err(|e| ApiError::fs(&e, &src.virt))?;
    let count = copied.len() as u64;
    Ok(json(&FsCopyResponse {
        copied,
        count,
        total_bytes: total,
    }))
}

fn copy_any(
    from: &FsPath,
    from_v: &str,
    to: &FsPath,
    to_v: &str,
    preserve: bool,
    copied: &mut Vec<FsCopiedEntry>,
    total: &mut u64,
) -> std::io::Result<()> {
    let m = std::fs::symlink_metadata(from)?;
    let ft = m.file_type();
    if ft.is_dir() {
        std::fs::create_dir_all(to)?;
        for child in std::fs::read_dir(from)?.flatten() {
            let n = child.file_name();
            let n = n.to_string_lossy();
            copy_any(
                &child.path(),
                &child_virt(from_v, &n),
                &to.join(&*n),
                &child_virt(to_v, &n),
                preserve,
                copied,
                total,
            )?;
        }
    } else if ft.is_symlink() {
        let _ = std::fs::remove_file(to);
        std::os::unix::fs::symlink(std::fs::read_link(from)?, to)?;
    } else {
        *total += std::fs::copy(from, to)?;
    }
    if preserve && !ft.is_symlink() {
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(m.mode() & 0o7777))?;
        let _ = std::os::unix::fs::lchown(to, Some(m.uid()), Some(m.gid()));
    }
    copied.push(FsCopiedEntry {
        source: from_v.to_string(),
        dest: to_v.to_string(),
    });
    Ok(())
}

/// `POST …/fs/chmod` with `{"path","workingDir","mode","recursive"}`.
pub(crate) async fn chmod(
    State(st): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let req: FsChmodRequest = json_body(&body)?;
    let (_sprite, root) = root_of(&st, &name).await?;
    let r = resolve(&root, req.working_dir.as_deref(), &req.path, true)?;
    let mode = parse_mode(&req.mode).map(|m| m & 0o7777).ok_or_else(|| {
        ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EINVAL",
            &r.virt,
            &format!("invalid mode {}", req.mode),
        )
    })?;
    std::fs::symlink_metadata(&r.host).map_err(|e| ApiError::fs(&e, &r.virt))?;
    let mut targets = vec![(r.host.clone(), r.virt.clone())];
    if req.recursive {
        walk(&r.host, &r.virt, &mut targets);
    }
    let mut affected = Vec::new();
    for (host, virt) in targets {
        if std::fs::symlink_metadata(&host).is_ok_and(|m| m.file_type().is_symlink()) {
            continue;
        }
        std::fs::set_permissions(&host, std::fs::Permissions::from_mode(mode))
            .map_err(|e| ApiError::fs(&e, &virt))?;
        affected.push(FsChmodEntry {
            path: virt,
            mode: format_mode(mode),
        });
    }
    let count = affected.len() as u64;
    Ok(json(&FsChmodResponse { affected, count }))
}

/// `POST …/fs/chown` with `{"path","workingDir","uid","gid","recursive"}`.
pub(crate) async fn chown(
    State(st): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let req: FsChownRequest = json_body(&body)?;
    let (_sprite, root) = root_of(&st, &name).await?;
    let r = resolve(&root, req.working_dir.as_deref(), &req.path, false)?;
    if req.uid.is_none() && req.gid.is_none() {
        return Err(ApiError::fs_code(
            StatusCode::BAD_REQUEST,
            "EINVAL",
            &r.virt,
            "uid or gid is required",
        ));
    }
    std::fs::symlink_metadata(&r.host).map_err(|e| ApiError::fs(&e, &r.virt))?;
    let mut targets = vec![(r.host.clone(), r.virt.clone())];
    if req.recursive {
        walk(&r.host, &r.virt, &mut targets);
    }
    let mut affected = Vec::new();
    for (host, virt) in targets {
        std::os::unix::fs::lchown(&host, req.uid, req.gid).map_err(|e| ApiError::fs(&e, &virt))?;
        affected.push(FsChownEntry {
            path: virt,
            uid: req.uid,
            gid: req.gid,
        });
    }
    let count = affected.len() as u64;
    Ok(json(&FsChownResponse { affected, count }))
}

/// Every descendant of a directory, not following symlinks.
fn walk(host: &FsPath, virt: &str, out: &mut Vec<(PathBuf, String)>) {
    let Ok(children) = std::fs::read_dir(host) else {
        return;
    };
    for child in children.flatten() {
        let v = child_virt(virt, &child.file_name().to_string_lossy());
        let is_dir = child.file_type().is_ok_and(|t| t.is_dir());
        out.push((child.path(), v.clone()));
        if is_dir {
            walk(&child.path(), &v, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> tempfile::TempDir {
        let t = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(t.path().join("home/sprite")).expect("mkdir");
        t
    }

    #[test]
    fn dotdot_stops_at_the_root() {
        let t = root();
        let r = resolve(
            t.path(),
            Some("/home/sprite"),
            "../../../../etc/passwd",
            true,
        )
        .expect("resolve");
        assert_eq!(r.virt, "/etc/passwd");
        assert_eq!(r.host, t.path().join("etc/passwd"));
    }

    #[test]
    fn absolute_symlink_resolves_inside_the_root() {
        let t = root();
        std::os::unix::fs::symlink("/etc", t.path().join("home/sprite/link")).expect("symlink");
        let r = resolve(t.path(), None, "/home/sprite/link/passwd", true).expect("resolve");
        assert_eq!(r.host, t.path().join("etc/passwd"));
    }

    #[test]
    fn relative_symlink_chain_cannot_climb_out() {
        let t = root();
        std::os::unix::fs::symlink("../../../../..", t.path().join("home/sprite/up"))
            .expect("symlink");
        std::os::unix::fs::symlink("up/up", t.path().join("home/sprite/up2")).expect("symlink");
        // up2 -> up/up: the first `up` climbs to the root, the second is a plain name there.
        let r = resolve(t.path(), None, "/home/sprite/up2/etc/shadow", true).expect("resolve");
        assert_eq!(r.host, t.path().join("up/etc/shadow"));
        let r = resolve(t.path(), None, "/home/sprite/up/etc/shadow", true).expect("resolve");
        assert_eq!(r.host, t.path().join("etc/shadow"));
    }

    #[test]
    fn symlink_loops_are_refused() {
        let t = root();
        std::os::unix::fs::symlink("b", t.path().join("a")).expect("symlink");
        std::os::unix::fs::symlink("a", t.path().join("b")).expect("symlink");
        assert!(resolve(t.path(), None, "/a/x", true).is_err());
    }

    #[test]
    fn last_symlink_is_kept_when_not_following() {
        let t = root();
        std::os::unix::fs::symlink("/etc", t.path().join("l")).expect("symlink");
        let r = resolve(t.path(), None, "/l", false).expect("resolve");
        assert_eq!(r.host, t.path().join("l"));
    }
}
