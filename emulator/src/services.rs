//! Services (spec §9, §13.6): a supervisor per service with `needs` ordering, restarts with
//! backoff after a crash, log files, NDJSON event streams. Also the policy routes (§10).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::json;
use sprites_core::model::{
    NetworkPolicy, PolicyAction, Service, ServiceLogEntry, ServiceLogKind, ServiceRequest,
    ServiceState, ServiceStatus, SignalServiceRequest,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{broadcast, watch};

use crate::error::{json_response, ApiError, ApiResult};
use crate::exec::agent_sprite;
use crate::isolation::{ExecSpec, ProcHandle};
use crate::sprites::no_content;
use crate::store::{lock, AppState, Shared, Sprite};
use crate::util::{json_body, NdjsonTx, Query};

/// A persisted service definition.
pub(crate) type ServiceDef = ServiceRequest;

/// Lines kept per service for `logs?lines=N`.
const LOG_RING: usize = 1000;
/// Longest line passed on as one event; longer lines are split.
const MAX_LINE: usize = 64 * 1024;
/// Longest restart backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct RtState {
    status: ServiceStatus,
    pid: Option<u32>,
    started_at: Option<DateTime<Utc>>,
    error: Option<String>,
    restart_count: u32,
    next_restart_at: Option<DateTime<Utc>>,
    handle: Option<ProcHandle>,
    last_exit: Option<i32>,
}

/// The runtime side of one service.
#[derive(Debug)]
pub(crate) struct ServiceRuntime {
    name: String,
    state: Mutex<RtState>,
    events: broadcast::Sender<ServiceLogEntry>,
    ring: Mutex<VecDeque<ServiceLogEntry>>,
    /// `true` while the supervisor should keep the service running.
    wanted: watch::Sender<bool>,
    /// Bumped when a supervisor loop ends.
    finished: watch::Sender<u64>,
}

impl ServiceRuntime {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            state: Mutex::new(RtState::default()),
            events: broadcast::channel(256).0,
            ring: Mutex::new(VecDeque::new()),
            wanted: watch::channel(false).0,
            finished: watch::channel(0).0,
        }
    }

    fn emit(&self, entry: ServiceLogEntry) {
        if matches!(
            entry.kind(),
            ServiceLogKind::Stdout | ServiceLogKind::Stderr
        ) {
            let mut ring = lock(&self.ring);
            ring.push_back(entry.clone());
            while ring.len() > LOG_RING {
                ring.pop_front();
            }
        }
        let _ = self.events.send(entry);
    }

    fn state(&self) -> ServiceState {
        let st = lock(&self.state);
        ServiceState {
            name: self.name.clone(),
            status: st.status.clone(),
            pid: st.pid,
            started_at: st.started_at,
            error: st.error.clone(),
            restart_count: Some(st.restart_count),
            next_restart_at: st.next_restart_at,
            ..ServiceState::default()
        }
    }

    fn is_running(&self) -> bool {
        matches!(
            lock(&self.state).status,
            ServiceStatus::Running | ServiceStatus::Starting
        )
    }
}

fn entry(kind: ServiceLogKind) -> ServiceLogEntry {
    ServiceLogEntry::new(kind, Some(Utc::now()))
}

fn runtime(sprite: &Sprite, name: &str) -> Arc<ServiceRuntime> {
    lock(&sprite.services)
        .entry(name.to_string())
        .or_insert_with(|| Arc::new(ServiceRuntime::new(name)))
        .clone()
}

fn log_files(name: &str) -> BTreeMap<String, String> {
    let path = format!("/.sprite/logs/services/{name}.log");
    ["stdout", "stderr", "combined"]
        .into_iter()
        .map(|k| (k.to_string(), path.clone()))
        .collect()
}

/// Starts the supervisor of a service unless it is already running.
fn launch(sprite: &Arc<Sprite>, name: &str) -> Arc<ServiceRuntime> {
    let rt = runtime(sprite, name);
    if rt.wanted.send_replace(true) {
        return rt;
    }
    {
        let mut st = lock(&rt.state);
        st.status = ServiceStatus::Starting;
        st.error = None;
        st.restart_count = 0;
        st.next_restart_at = None;
    }
    tokio::spawn(supervise(sprite.clone(), rt.clone()));
    rt
}

async fn supervise(sprite: Arc<Sprite>, rt: Arc<ServiceRuntime>) {
    let mut wanted = rt.wanted.subscribe();
    let mut failures: u32 = 0;
    while *wanted.borrow() {
        let Some(def) = lock(&sprite.meta).services.get(&rt.name).cloned() else {
            break;
        };
        let code = run_once(&sprite, &rt, &def).await;
        if !*wanted.borrow() {
            let mut st = lock(&rt.state);
            st.status = ServiceStatus::Stopped;
            st.pid = None;
            st.handle = None;
            st.last_exit = code;
            break;
        }
        failures += 1;
        let backoff = Duration::from_millis(500)
            .saturating_mul(2u32.saturating_pow(failures.min(8) - 1))
            .min(MAX_BACKOFF);
        {
            let mut st = lock(&rt.state);
            st.status = ServiceStatus::Starting;
            st.pid = None;
            st.handle = None;
            st.last_exit = code;
            st.restart_count += 1;
            st.next_restart_at = chrono::Duration::from_std(backoff)
                .ok()
                .map(|d| Utc::now() + d);
            if code.is_none() {
                st.status = ServiceStatus::Failed;
            }
        }
        let stop = wanted.wait_for(|w| !*w);
        if tokio::time::timeout(backoff, stop).await.is_ok() {
            let mut st = lock(&rt.state);
            st.status = ServiceStatus::Stopped;
            st.next_restart_at = None;
            break;
        }
        lock(&rt.state).next_restart_at = None;
    }
    rt.finished.send_modify(|n| *n += 1);
}

/// Runs the service's process once; returns its exit code (`None` if it could not start).
async fn run_once(sprite: &Arc<Sprite>, rt: &Arc<ServiceRuntime>, def: &ServiceDef) -> Option<i32> {
    let spec = ExecSpec {
        program: def.cmd.clone(),
        args: def.args.clone(),
        env: None,
        extra_env: def
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        dir: def.dir.clone(),
        tty: false,
    };
    let spawned = {
        let _life = sprite.lifecycle.read().await;
        match sprite.env.command(&spec).await {
            Ok((mut cmd, cg)) => {
                cmd.stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .process_group(0);
                cmd.spawn().map(|child| (child, cg))
            }
            Err(e) => Err(e),
        }
    };
    let (mut child, cg) = match spawned {
        Ok(v) => v,
        Err(e) => {
            let msg = format!("failed to start service {}: {e}", rt.name);
            lock(&rt.state).error = Some(msg.clone());
            let mut ev = entry(ServiceLogKind::Error);
            ev.data = Some(msg);
            rt.emit(ev);
            return None;
        }
    };
    let pid = child.id().unwrap_or_default();
    let handle = match cg {
        Some(cg) => ProcHandle::Cgroup { cg, wrapper: pid },
        None => ProcHandle::Group(pid),
    };
    {
        let mut st = lock(&rt.state);
        st.status = ServiceStatus::Running;
        st.pid = Some(pid);
        st.started_at = Some(Utc::now());
        st.handle = Some(handle.clone());
        st.error = None;
    }
    rt.emit(entry(ServiceLogKind::Started));
    let log = match sprite.env.root().await {
        Ok(root) => {
            let log_path = root.join(format!(".sprite/logs/services/{}.log", rt.name));
            if let Some(parent) = log_path.parent() {
                let _ = tokio::fs::create_dir_all(parent).await;
            }
            tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .await
                .ok()
        }
        Err(_) => None,
    };
    let log = Arc::new(tokio::sync::Mutex::new(log));
    let out = child.stdout.take().map(|s| {
        tokio::spawn(pump_lines(
            rt.clone(),
            log.clone(),
            s,
            ServiceLogKind::Stdout,
        ))
    });
    let err = child.stderr.take().map(|s| {
        tokio::spawn(pump_lines(
            rt.clone(),
            log.clone(),
            s,
            ServiceLogKind::Stderr,
        ))
    });
    let code = child.wait().await.map(crate::util::exit_code).unwrap_or(1);
    for task in [out, err].into_iter().flatten() {
        let _ = tokio::time::timeout(Duration::from_millis(500), task).await;
    }
    handle.release();
    let mut ev = entry(ServiceLogKind::Exit);
    ev.exit_code = Some(code);
    rt.emit(ev);
    Some(code)
}

async fn pump_lines<R>(
    rt: Arc<ServiceRuntime>,
    log: Arc<tokio::sync::Mutex<Option<tokio::fs::File>>>,
    reader: R,
    kind: ServiceLogKind,
) where
    R: tokio::io::AsyncRead + Unpin,
{
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut limited = (&mut reader).take(MAX_LINE as u64);
        match tokio::io::AsyncBufReadExt::read_until(&mut limited, b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        if let Some(file) = lock_async(&log).await.as_mut() {
            let tag = if kind == ServiceLogKind::Stdout {
                "stdout"
            } else {
                "stderr"
            };
            let stamp = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let mut record = format!("{stamp} [{tag}] {text}");
            if !record.ends_with('\n') {
                record.push('\n');
            }
            let _ = file.write_all(record.as_bytes()).await;
        }
        let mut ev = entry(kind.clone());
        ev.data = Some(text);
        rt.emit(ev);
    }
}

async fn lock_async<T>(m: &tokio::sync::Mutex<T>) -> tokio::sync::MutexGuard<'_, T> {
    m.lock().await
}

/// Stops a service: SIGTERM, then SIGKILL after `timeout`. Returns the exit code.
async fn halt(rt: &Arc<ServiceRuntime>, timeout: Duration) -> Option<i32> {
    let mut finished = rt.finished.subscribe();
    let seen = *finished.borrow_and_update();
    rt.wanted.send_replace(false);
    lock(&rt.state).status = ServiceStatus::Stopping;
    rt.emit(entry(ServiceLogKind::Stopping));
    let handle = lock(&rt.state).handle.clone();
    if let Some(h) = &handle {
        h.signal(nix::sys::signal::Signal::SIGTERM);
    }
    let done = finished.wait_for(|n| *n != seen);
    if tokio::time::timeout(timeout, done).await.is_err() {
        if let Some(h) = &handle {
            h.kill();
        }
        let _ =
            tokio::time::timeout(Duration::from_secs(5), finished.wait_for(|n| *n != seen)).await;
    }
    let code = {
        let mut st = lock(&rt.state);
        st.status = ServiceStatus::Stopped;
        st.pid = None;
        st.last_exit
    };
    let mut ev = entry(ServiceLogKind::Stopped);
    ev.exit_code = code;
    rt.emit(ev);
    code
}

/// Stops every service of a sprite (restore, delete, shutdown).
pub(crate) async fn stop_all(sprite: &Sprite) {
    let all: Vec<Arc<ServiceRuntime>> = lock(&sprite.services).values().cloned().collect();
    for rt in all {
        if *rt.wanted.borrow() {
            halt(&rt, Duration::from_secs(2)).await;
        }
    }
}

/// Starts the services of every sprite (after an emulator restart).
pub(crate) fn boot_all(st: &Shared) {
    let all: Vec<Arc<Sprite>> = lock(&st.sprites).values().cloned().collect();
    for sprite in all {
        tokio::spawn(boot(sprite));
    }
}

/// Starts every defined service in `needs` order.
pub(crate) async fn boot(sprite: Arc<Sprite>) {
    let defs = lock(&sprite.meta).services.clone();
    for name in start_order(&defs) {
        launch(&sprite, &name);
    }
}

/// Names in an order where every service comes after the ones it needs (cycles and
/// unknown needs are ignored).
fn start_order(defs: &BTreeMap<String, ServiceDef>) -> Vec<String> {
    fn visit(
        name: &str,
        defs: &BTreeMap<String, ServiceDef>,
        seen: &mut Vec<String>,
        stack: &mut Vec<String>,
        out: &mut Vec<String>,
    ) {
        if seen.iter().any(|s| s == name) || stack.iter().any(|s| s == name) {
            return;
        }
        let Some(def) = defs.get(name) else { return };
        stack.push(name.to_string());
        for need in &def.needs {
            visit(need, defs, seen, stack, out);
        }
        stack.pop();
        seen.push(name.to_string());
        out.push(name.to_string());
    }
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for name in defs.keys() {
        visit(name, defs, &mut seen, &mut Vec::new(), &mut out);
    }
    out
}

fn service_json(sprite: &Sprite, name: &str, def: &ServiceDef) -> Service {
    let state = lock(&sprite.services)
        .get(name)
        .map(|rt| rt.state())
        .unwrap_or_else(|| ServiceState {
            name: name.to_string(),
            status: ServiceStatus::Stopped,
            ..ServiceState::default()
        });
    Service {
        name: name.to_string(),
        cmd: def.cmd.clone(),
        args: def.args.clone(),
        needs: def.needs.clone(),
        http_port: def.http_port,
        env: def.env.clone(),
        dir: def.dir.clone(),
        state: Some(state),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

fn find_def(sprite: &Sprite, name: &str) -> ApiResult<ServiceDef> {
    lock(&sprite.meta)
        .services
        .get(name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("service not found: {name}")))
}

/// `GET …/services`: a bare array.
pub(crate) async fn list(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let defs = lock(&sprite.meta).services.clone();
    let all: Vec<Service> = defs
        .iter()
        .map(|(n, d)| service_json(&sprite, n, d))
        .collect();
    Ok(json_response(StatusCode::OK, &to_json(&all)))
}

/// `GET …/services/{svc}`.
pub(crate) async fn get(
    State(st): State<AppState>,
    Path((name, svc)): Path<(String, String)>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let def = find_def(&sprite, &svc)?;
    Ok(json_response(
        StatusCode::OK,
        &to_json(&service_json(&sprite, &svc, &def)),
    ))
}

fn valid_service_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !name.starts_with('.')
}

/// `PUT …/services/{svc}?duration=`: define (or replace) and start; NDJSON.
pub(crate) async fn put(
    State(st): State<AppState>,
    Path((name, svc)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let q = Query::parse(raw.as_deref());
    let duration = q.duration("duration")?.unwrap_or(Duration::from_secs(5));
    if !valid_service_name(&svc) {
        return Err(ApiError::bad_request(format!(
            "invalid service name: {svc}"
        )));
    }
    let def: ServiceRequest = json_body(&body)?;
    if def.cmd.is_empty() {
        return Err(ApiError::bad_request("cmd is required"));
    }
    {
        let mut meta = lock(&sprite.meta);
        if def.http_port.is_some()
            && meta
                .services
                .iter()
                .any(|(n, d)| n != &svc && d.http_port.is_some())
        {
            return Err(ApiError::conflict(
                "another service already has an HTTP port configured",
            ));
        }
        meta.services.insert(svc.clone(), def);
    }
    sprite
        .save()
        .map_err(|e| ApiError::internal(format!("failed to save service: {e}")))?;
    let existing = lock(&sprite.services).get(&svc).cloned();
    if let Some(rt) = existing.filter(|rt| *rt.wanted.borrow()) {
        halt(&rt, Duration::from_secs(10)).await;
    }
    Ok(start_stream(sprite, svc, duration))
}

fn start_stream(sprite: Arc<Sprite>, svc: String, duration: Duration) -> Response {
    let rt = runtime(&sprite, &svc);
    let rx = rt.events.subscribe();
    launch(&sprite, &svc);
    let (tx, resp) = crate::util::ndjson_response();
    tokio::spawn(forward(tx, rx, duration, svc, true));
    resp
}

/// Forwards events for `duration`, then `complete`; an `exit` ends the stream early when
/// `stop_on_exit`.
async fn forward(
    tx: NdjsonTx,
    mut rx: broadcast::Receiver<ServiceLogEntry>,
    duration: Duration,
    svc: String,
    stop_on_exit: bool,
) {
    let deadline = tokio::time::Instant::now() + duration;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(ev)) => {
                let is_exit = ev.kind() == ServiceLogKind::Exit;
                if !tx.line(&ev).await {
                    return;
                }
                if is_exit && stop_on_exit {
                    return;
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => break,
        }
    }
    let mut done = entry(ServiceLogKind::Complete);
    done.log_files = log_files(&svc);
    tx.line(&done).await;
}

/// `DELETE …/services/{svc}`: stops it and removes the definition (logs stay). `204`.
pub(crate) async fn delete(
    State(st): State<AppState>,
    Path((name, svc)): Path<(String, String)>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    find_def(&sprite, &svc)?;
    let rt = lock(&sprite.services).get(&svc).cloned();
    if let Some(rt) = rt.filter(|rt| *rt.wanted.borrow()) {
        halt(&rt, Duration::from_secs(10)).await;
    }
    lock(&sprite.meta).services.remove(&svc);
    lock(&sprite.services).remove(&svc);
    sprite
        .save()
        .map_err(|e| ApiError::internal(format!("failed to save sprite: {e}")))?;
    Ok(no_content())
}

/// `POST …/services/{svc}/start?duration=`: NDJSON.
pub(crate) async fn start(
    State(st): State<AppState>,
    Path((name, svc)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    find_def(&sprite, &svc)?;
    let q = Query::parse(raw.as_deref());
    let duration = q.duration("duration")?.unwrap_or(Duration::from_secs(5));
    Ok(start_stream(sprite, svc, duration))
}

/// `POST …/services/{svc}/stop?timeout=`: NDJSON; `409` when not running.
pub(crate) async fn stop(
    State(st): State<AppState>,
    Path((name, svc)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    find_def(&sprite, &svc)?;
    let q = Query::parse(raw.as_deref());
    let timeout = q.duration("timeout")?.unwrap_or(Duration::from_secs(10));
    let rt = runtime(&sprite, &svc);
    if !*rt.wanted.borrow() {
        return Err(ApiError::conflict("service not running"));
    }
    let mut rx = rt.events.subscribe();
    let (tx, resp) = crate::util::ndjson_response();
    tokio::spawn(async move {
        let halting = tokio::spawn({
            let rt = rt.clone();
            async move { halt(&rt, timeout).await }
        });
        pass_until_stopped(&tx, &mut rx, timeout + Duration::from_secs(10)).await;
        let _ = halting.await;
        let mut done = entry(ServiceLogKind::Complete);
        done.log_files = log_files(&rt.name);
        tx.line(&done).await;
    });
    Ok(resp)
}

/// Forwards events until (and including) `stopped`, for at most `limit`.
async fn pass_until_stopped(
    tx: &NdjsonTx,
    rx: &mut broadcast::Receiver<ServiceLogEntry>,
    limit: Duration,
) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(ev)) => {
                let stopped = ev.kind() == ServiceLogKind::Stopped;
                tx.line(&ev).await;
                if stopped {
                    return;
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            _ => return,
        }
    }
}

/// `POST …/services/{svc}/restart?duration=`: stop if running, then start; NDJSON.
pub(crate) async fn restart(
    State(st): State<AppState>,
    Path((name, svc)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    find_def(&sprite, &svc)?;
    let q = Query::parse(raw.as_deref());
    let duration = q.duration("duration")?.unwrap_or(Duration::from_secs(5));
    let rt = runtime(&sprite, &svc);
    let rx = rt.events.subscribe();
    let (tx, resp) = crate::util::ndjson_response();
    tokio::spawn(async move {
        let mut rx = rx;
        if *rt.wanted.borrow() {
            let halting = tokio::spawn({
                let rt = rt.clone();
                async move { halt(&rt, Duration::from_secs(10)).await }
            });
            pass_until_stopped(&tx, &mut rx, Duration::from_secs(20)).await;
            let _ = halting.await;
        }
        launch(&sprite, &svc);
        forward(tx, rx, duration, svc, true).await;
    });
    Ok(resp)
}

/// `GET …/services/{svc}/logs?lines=&duration=`: buffered lines, then follow; NDJSON.
pub(crate) async fn logs(
    State(st): State<AppState>,
    Path((name, svc)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    find_def(&sprite, &svc)?;
    let q = Query::parse(raw.as_deref());
    let lines = q
        .u64("lines")?
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let duration = q.duration("duration")?.unwrap_or(Duration::ZERO);
    let rt = runtime(&sprite, &svc);
    let rx = rt.events.subscribe();
    let buffered: Vec<ServiceLogEntry> = {
        let ring = lock(&rt.ring);
        let skip = lines.map_or(0, |n| ring.len().saturating_sub(n));
        ring.iter().skip(skip).cloned().collect()
    };
    let (tx, resp) = crate::util::ndjson_response();
    tokio::spawn(async move {
        for ev in &buffered {
            if !tx.line(ev).await {
                return;
            }
        }
        forward(tx, rx, duration, svc, false).await;
    });
    Ok(resp)
}

/// `POST …/services/signal` with `{"name","signal"}`: `204`.
pub(crate) async fn signal(
    State(st): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let req: SignalServiceRequest = json_body(&body)?;
    let sig_name = req.signal.name();
    let sig = crate::util::parse_signal(&sig_name)
        .ok_or_else(|| ApiError::bad_request(format!("unknown signal \"{sig_name}\"")))?;
    find_def(&sprite, &req.name)?;
    let rt = runtime(&sprite, &req.name);
    let handle = lock(&rt.state).handle.clone();
    match handle.filter(|_| rt.is_running()) {
        Some(h) => h.signal(sig),
        None => {
            return Err(ApiError::conflict(format!(
                "service not running: {}",
                req.name
            )))
        }
    }
    Ok(no_content())
}

fn policy_kind(kind: &str) -> ApiResult<&'static str> {
    match kind {
        "network" => Ok("network"),
        "privileges" => Ok("privileges"),
        "resources" => Ok("resources"),
        other => Err(ApiError::not_found(format!("no policy named {other}"))),
    }
}

/// `GET …/policy/{network|privileges|resources}`.
pub(crate) async fn policy_get(
    State(st): State<AppState>,
    Path((name, kind)): Path<(String, String)>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let meta = lock(&sprite.meta);
    let value = match policy_kind(&kind)? {
        "network" => meta
            .network_policy
            .clone()
            .unwrap_or_else(|| json!({"rules": []})),
        "privileges" => meta.privileges_policy.clone().unwrap_or_else(|| json!({})),
        _ => meta.resources_policy.clone().unwrap_or_else(|| json!({})),
    };
    Ok(json_response(StatusCode::OK, &value))
}

/// `POST …/policy/{kind}`: replaces the policy (stored and validated, not enforced). `204`.
pub(crate) async fn policy_set(
    State(st): State<AppState>,
    Path((name, kind)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let kind = policy_kind(&kind)?;
    let value: serde_json::Value = json_body(&body)?;
    if !value.is_object() {
        return Err(ApiError::Text(
            StatusCode::BAD_REQUEST,
            "policy must be a JSON object".into(),
        ));
    }
    let stored = if kind == "network" {
        let policy: NetworkPolicy = serde_json::from_value(value)
            .map_err(|e| ApiError::Text(StatusCode::BAD_REQUEST, format!("invalid policy: {e}")))?;
        validate_network(&policy).map_err(|e| ApiError::Text(StatusCode::BAD_REQUEST, e))?;
        to_json(&policy)
    } else {
        value
    };
    {
        let mut meta = lock(&sprite.meta);
        match kind {
            "network" => meta.network_policy = Some(stored),
            "privileges" => meta.privileges_policy = Some(stored),
            _ => meta.resources_policy = Some(stored),
        }
    }
    sprite
        .save()
        .map_err(|e| ApiError::internal(format!("failed to save policy: {e}")))?;
    Ok(no_content())
}

/// `DELETE …/policy/{kind}`: back to unrestricted. `204`.
pub(crate) async fn policy_delete(
    State(st): State<AppState>,
    Path((name, kind)): Path<(String, String)>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let kind = policy_kind(&kind)?;
    {
        let mut meta = lock(&sprite.meta);
        match kind {
            "network" => meta.network_policy = None,
            "privileges" => meta.privileges_policy = None,
            _ => meta.resources_policy = None,
        }
    }
    sprite
        .save()
        .map_err(|e| ApiError::internal(format!("failed to save policy: {e}")))?;
    Ok(no_content())
}

fn validate_network(policy: &NetworkPolicy) -> Result<(), String> {
    for preset in &policy.include {
        if preset != "defaults" {
            return Err(format!("unknown include preset: {preset}"));
        }
    }
    for rule in &policy.rules {
        if !matches!(rule.action, PolicyAction::Allow | PolicyAction::Deny) {
            return Err(format!(
                "invalid action for {}: must be allow or deny",
                rule.domain
            ));
        }
        let d = rule.domain.as_str();
        let host = d.strip_prefix("*.").unwrap_or(d);
        let valid_host = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if d != "*" && !valid_host {
            return Err(format!("invalid domain pattern: {d:?}"));
        }
    }
    Ok(())
}

/// Every live pid of the sprite's services (for the port watcher).
pub(crate) fn pids(sprite: &Sprite) -> Vec<u32> {
    lock(&sprite.services)
        .values()
        .filter_map(|rt| lock(&rt.state).handle.clone())
        .flat_map(|h| h.pids())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_come_first_and_cycles_do_not_hang() {
        let mut defs = BTreeMap::new();
        defs.insert("a".to_string(), ServiceRequest::new("x").need("b"));
        defs.insert("b".to_string(), ServiceRequest::new("x").need("c"));
        defs.insert("c".to_string(), ServiceRequest::new("x"));
        defs.insert("d".to_string(), ServiceRequest::new("x").need("e"));
        defs.insert("e".to_string(), ServiceRequest::new("x").need("d"));
        let order = start_order(&defs);
        let pos = |n: &str| order.iter().position(|x| x == n).expect("present");
        assert!(pos("c") < pos("b") && pos("b") < pos("a"));
        assert_eq!(order.len(), 5);
    }

    #[test]
    fn network_policy_validation() {
        let ok: NetworkPolicy = serde_json::from_str(r#"{"rules":[{"include":"defaults"},{"domain":"*.github.com","action":"allow"},{"domain":"*","action":"deny"}]}"#).expect("parse");
        assert!(validate_network(&ok).is_ok());
        let bad: NetworkPolicy =
            serde_json::from_str(r#"{"rules":[{"domain":"a..b","action":"allow"}]}"#)
                .expect("parse");
        assert!(validate_network(&bad).is_err());
        let bad_action: NetworkPolicy =
            serde_json::from_str(r#"{"rules":[{"domain":"a.com","action":"maybe"}]}"#)
                .expect("parse");
        assert!(validate_network(&bad_action).is_err());
    }
}
