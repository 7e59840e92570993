//! The HTTP server: routes, auth, common headers, error fallbacks, startup and shutdown.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post, put};
use axum::Router;
use serde_json::json;

use crate::error::{edge_json, json_response};
use crate::isolation::Isolation;
use crate::store::{lock, AppState, Shared};
use crate::{checkpoints, exec, fsapi, proxy, services, sprites};
use crate::{EmulatorBuilder, EmulatorHandle, IsolationChoice};

/// Routes that are implemented, as `(method, path)`, reported by the health route.
const IMPLEMENTED: &[(&str, &str)] = &[
    ("GET", "/_emulator/health"),
    ("POST", "/v1/sprites"),
    ("GET", "/v1/sprites"),
    ("GET", "/v1/sprites/{name}"),
    ("PUT", "/v1/sprites/{name}"),
    ("DELETE", "/v1/sprites/{name}"),
    ("POST", "/v1/sprites/{name}/upgrade"),
    ("WS", "/v1/sprites/{name}/exec"),
    ("WS", "/v1/sprites/{name}/exec/{session_id}"),
    ("GET", "/v1/sprites/{name}/exec"),
    ("HEAD", "/v1/sprites/{name}/exec"),
    ("POST", "/v1/sprites/{name}/exec"),
    ("POST", "/v1/sprites/{name}/exec/{session_id}/kill"),
    ("WS", "/v1/sprites/{name}/proxy"),
    ("POST", "/v1/sprites/{name}/checkpoint"),
    ("GET", "/v1/sprites/{name}/checkpoints"),
    ("GET", "/v1/sprites/{name}/checkpoints/{checkpoint_id}"),
    (
        "POST",
        "/v1/sprites/{name}/checkpoints/{checkpoint_id}/restore",
    ),
    ("DELETE", "/v1/sprites/{name}/checkpoints/{checkpoint_id}"),
    ("GET", "/v1/sprites/{name}/services"),
    ("GET", "/v1/sprites/{name}/services/{service_name}"),
    ("PUT", "/v1/sprites/{name}/services/{service_name}"),
    ("DELETE", "/v1/sprites/{name}/services/{service_name}"),
    ("POST", "/v1/sprites/{name}/services/{service_name}/start"),
    ("POST", "/v1/sprites/{name}/services/{service_name}/stop"),
    ("POST", "/v1/sprites/{name}/services/{service_name}/restart"),
    ("GET", "/v1/sprites/{name}/services/{service_name}/logs"),
    ("POST", "/v1/sprites/{name}/services/signal"),
    ("GET", "/v1/sprites/{name}/policy/network"),
    ("POST", "/v1/sprites/{name}/policy/network"),
    ("GET", "/v1/sprites/{name}/policy/privileges"),
    ("POST", "/v1/sprites/{name}/policy/privileges"),
    ("DELETE", "/v1/sprites/{name}/policy/privileges"),
    ("GET", "/v1/sprites/{name}/policy/resources"),
    ("POST", "/v1/sprites/{name}/policy/resources"),
    ("DELETE", "/v1/sprites/{name}/policy/resources"),
    ("GET", "/v1/sprites/{name}/fs/read"),
    ("PUT", "/v1/sprites/{name}/fs/write"),
    ("GET", "/v1/sprites/{name}/fs/list"),
    ("DELETE", "/v1/sprites/{name}/fs/delete"),
    ("POST", "/v1/sprites/{name}/fs/rename"),
    ("POST", "/v1/sprites/{name}/fs/copy"),
    ("POST", "/v1/sprites/{name}/fs/chmod"),
    ("POST", "/v1/sprites/{name}/fs/chown"),
];

/// Routes of the spec that answer `501`.
const NOT_IMPLEMENTED: &[(&str, &str)] = &[
    ("POST", "/v1/organizations/{org_slug}/tokens"),
    ("WS", "/v1/sprites/{name}/control"),
    ("WS", "/v1/sprites/{name}/fs/watch"),
];

pub(crate) fn router(state: AppState) -> Router {
    let name = "/v1/sprites/{name}";
    let agent = Router::new()
        .route(
            &format!("{name}/exec"),
            get(exec::exec_root).post(exec::exec_post),
        )
        .route(&format!("{name}/exec/{{id}}"), get(exec::exec_session))
        .route(&format!("{name}/exec/{{id}}/kill"), post(exec::kill))
        .route(&format!("{name}/proxy"), get(proxy::proxy))
        .route(&format!("{name}/checkpoint"), post(checkpoints::create))
        .route(&format!("{name}/checkpoints"), get(checkpoints::list))
        .route(
            &format!("{name}/checkpoints/{{id}}"),
            get(checkpoints::get).delete(checkpoints::delete),
        )
        .route(
            &format!("{name}/checkpoints/{{id}}/restore"),
            post(checkpoints::restore),
        )
        .route(&format!("{name}/services"), get(services::list))
        .route(&format!("{name}/services/signal"), post(services::signal))
        .route(
            &format!("{name}/services/{{svc}}"),
            get(services::get)
                .put(services::put)
                .delete(services::delete),
        )
        .route(
            &format!("{name}/services/{{svc}}/start"),
            post(services::start),
        )
        .route(
            &format!("{name}/services/{{svc}}/stop"),
            post(services::stop),
        )
        .route(
            &format!("{name}/services/{{svc}}/restart"),
            post(services::restart),
        )
        .route(
            &format!("{name}/services/{{svc}}/logs"),
            get(services::logs),
        )
        .route(
            &format!("{name}/policy/{{kind}}"),
            get(services::policy_get)
                .post(services::policy_set)
                .delete(services::policy_delete),
        )
        .route(&format!("{name}/fs/read"), get(fsapi::read))
        .route(
            &format!("{name}/fs/write"),
            put(fsapi::write).layer(DefaultBodyLimit::disable()),
        )
        .route(&format!("{name}/fs/list"), get(fsapi::list))
        .route(
            &format!("{name}/fs/delete"),
            axum::routing::delete(fsapi::delete),
        )
        .route(&format!("{name}/fs/rename"), post(fsapi::rename))
        .route(&format!("{name}/fs/copy"), post(fsapi::copy))
        .route(&format!("{name}/fs/chmod"), post(fsapi::chmod))
        .route(&format!("{name}/fs/chown"), post(fsapi::chown))
        .route(&format!("{name}/control"), any(not_implemented))
        .route(&format!("{name}/fs/watch"), any(not_implemented))
        .layer(middleware::from_fn(sprite_version));
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/v1/sprites", get(sprites::list).post(sprites::create))
        .route(
            "/v1/sprites/{name}",
            get(sprites::get)
                .put(sprites::update)
                .delete(sprites::delete),
        )
        .route("/v1/sprites/{name}/upgrade", post(sprites::upgrade))
        .route("/v1/organizations/{org}/tokens", any(not_implemented))
        .merge(agent)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.limits.max_json_body))
        .layer(middleware::map_response(json_rejections))
        .layer(middleware::from_fn_with_state(state.clone(), auth))
        .layer(middleware::from_fn(cors))
        .with_state(state)
}

/// The WebSocket sub-protocol a browser offers (with [`TOKEN_PROTOCOL_PREFIX`]) when it
/// cannot send an `Authorization` header; the server selects it in the 101 response.
pub(crate) const WS_PROTOCOL: &str = "sprites";

/// Prefix of the sub-protocol that carries the token, base64url-encoded without padding:
/// `Sec-WebSocket-Protocol: sprites, sprites.bearer.<base64url(token)>`.
pub(crate) const TOKEN_PROTOCOL_PREFIX: &str = "sprites.bearer.";

fn presented_token(req: &Request) -> Vec<u8> {
    let from_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    if let Some(token) = from_header {
        return token.as_bytes().to_vec();
    }
    req.headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(TOKEN_PROTOCOL_PREFIX))
        .and_then(crate::util::base64url_decode)
        .unwrap_or_default()
}

async fn auth(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::OPTIONS {
        return cors_preflight();
    }
    let presented = presented_token(&req);
    if !crate::util::constant_time_eq(&presented, st.token.as_bytes()) {
        return edge_json(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "authentication failed"}),
        );
    }
    next.run(req).await
}

/// Answers a CORS preflight: any origin, the API's methods and headers (browsers send no
/// credentials with a preflight, so it needs no token).
fn cors_preflight() -> Response {
    let mut resp = Response::new(axum::body::Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, POST, PUT, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    resp
}

/// Lets browsers read every response (the API authenticates with a bearer token, never
/// with cookies).
async fn cors(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("sprite-version, x-sprite-capabilities"),
    );
    resp
}

async fn sprite_version(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(
        header::HeaderName::from_static("sprite-version"),
        HeaderValue::from_static(crate::SPRITE_VERSION),
    );
    resp
}

/// Turns axum's plain-text body rejections into JSON error shapes.
async fn json_rejections(resp: Response) -> Response {
    let is_text = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    match resp.status() {
        StatusCode::PAYLOAD_TOO_LARGE if is_text => edge_json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({"error": "request body too large"}),
        ),
        _ => resp,
    }
}

async fn not_found(req: Request) -> Response {
    edge_json(
        StatusCode::NOT_FOUND,
        &json!({"error": format!("no route for {} {}", req.method(), req.uri().path())}),
    )
}

async fn method_not_allowed(req: Request) -> Response {
    edge_json(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({"error": format!("method {} not allowed on {}", req.method(), req.uri().path())}),
    )
}

async fn not_implemented(req: Request) -> Response {
    json_response(
        StatusCode::NOT_IMPLEMENTED,
        &json!({"error": format!("not implemented by the emulator: {} {}", req.method(), req.uri().path())}),
    )
}

async fn health(State(st): State<AppState>) -> Response {
    let list = |routes: &[(&str, &str)]| -> Vec<serde_json::Value> {
        routes
            .iter()
            .map(|(m, p)| json!({"method": m, "path": p}))
            .collect()
    };
    edge_json(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "isolation": st.isolation.as_str(),
            "sprite_version": crate::SPRITE_VERSION,
            "version": env!("CARGO_PKG_VERSION"),
            "sprites": lock(&st.sprites).len(),
            "implemented": list(IMPLEMENTED),
            "not_implemented": list(NOT_IMPLEMENTED),
        }),
    )
}

pub(crate) async fn start(b: EmulatorBuilder) -> std::io::Result<EmulatorHandle> {
    let (data_dir, ephemeral) = match &b.data_dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            (std::fs::canonicalize(d)?, false)
        }
        None => {
            // Kept (not auto-deleted): removal must wait until every overlay is unmounted.
            remove_stale_ephemeral_dirs();
            let tmp = tempfile::Builder::new().prefix("sprites-emu-").tempdir()?;
            let dir = tmp.keep();
            std::fs::write(dir.join(OWNER_FILE), std::process::id().to_string())?;
            (dir, true)
        }
    };
    let (data_dir, ephemeral) = match &b.data_dir {
        Some(_) => (data_dir, false),
        None => (data_dir, ephemeral),
    };
    let probe = match b.isolation {
        IsolationChoice::Plain => Err("plain level requested".to_string()),
        _ => crate::isolation::probe_overlay(&data_dir),
    };
    let (isolation, cg_base) = match (b.isolation, probe) {
        (_, Ok(cg)) => (Isolation::Overlay, Some(cg)),
        (IsolationChoice::Overlay, Err(e)) => {
            return Err(std::io::Error::other(format!(
                "overlay isolation unavailable: {e}"
            )))
        }
        (_, Err(_)) => (Isolation::Plain, None),
    };
    let cgroup_root = match cg_base {
        Some(base) => {
            cleanup_stale_cgroups(&base);
            let root = base.join(format!(
                "sprites-emu-{}-{}",
                std::process::id(),
                fastrand::u32(..)
            ));
            std::fs::create_dir_all(&root)?;
            Some(root)
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(b.listen).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let token = b.token.clone().unwrap_or_else(|| {
        (0..32)
            .map(|_| fastrand::alphanumeric())
            .collect::<String>()
    });
    let shared = Arc::new(Shared {
        token: token.clone(),
        data_dir: data_dir.clone(),
        isolation,
        limits: b.limits.clone(),
        base_url: base_url.clone(),
        cgroup_root,
        sprites: Mutex::new(BTreeMap::new()),
    });
    sprites::load_all(&shared)?;
    services::boot_all(&shared);
    let watcher = tokio::spawn(crate::ports::watch(shared.clone()));
    let app = router(shared.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task_shared = shared.clone();
    let cleanup_shared = shared.clone();
    let task = tokio::spawn(async move {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stop_rx.await;
        });
        let mut server = Box::pin(std::future::IntoFuture::into_future(server));
        tokio::select! {
            _ = &mut server => {}
            _ = rx => {
                shutdown_sprites(&shared).await;
                let _ = stop_tx.send(());
                let _ = tokio::time::timeout(Duration::from_secs(5), &mut server).await;
            }
        }
        watcher.abort();
        cleanup_sync(&task_shared, ephemeral);
    });
    Ok(EmulatorHandle {
        base_url,
        token,
        isolation,
        data_dir,
        cleanup: Some(Box::new(move || cleanup_sync(&cleanup_shared, ephemeral))),
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// Synchronous, idempotent cleanup: kills every process by cgroup, unmounts every sprite,
/// removes the cgroups and, when ephemeral, the data directory (never crossing a mount).
pub(crate) fn cleanup_sync(st: &Shared, ephemeral: bool) {
    let all: Vec<_> = lock(&st.sprites).values().cloned().collect();
    for sprite in &all {
        sprite.env.kill_sync();
    }
    if let Some(root) = &st.cgroup_root {
        crate::cgroup::Cgroup::new(root.clone()).remove();
    }
    if ephemeral {
        let _ = crate::util::remove_tree(&st.data_dir);
    }
}

/// Ends every process, saves metadata and unmounts every sprite.
async fn shutdown_sprites(st: &Shared) {
    let all: Vec<_> = lock(&st.sprites).values().cloned().collect();
    for sprite in all {
        let _guard = sprite.lifecycle.write().await;
        sprites::stop_everything(&sprite).await;
        let _ = sprite.save();
        sprite.env.remove_cgroup();
    }
}

/// Names the process that owns an ephemeral data directory.
const OWNER_FILE: &str = "emulator.pid";

/// Removes ephemeral data directories whose emulator is gone without cleaning up (a process
/// that exited without dropping its handle).
fn remove_stale_ephemeral_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("sprites-emu-") {
            continue;
        }
        let Some(pid) = std::fs::read_to_string(entry.path().join(OWNER_FILE))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = crate::util::remove_tree(&entry.path());
        }
    }
}

/// Kills and removes cgroups left by emulators that are no longer running.
fn cleanup_stale_cgroups(base: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("sprites-emu-")) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let cg = crate::cgroup::Cgroup::new(entry.path());
        cg.kill();
        cg.remove();
    }
}
