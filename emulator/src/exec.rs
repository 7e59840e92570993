//! Exec routes (spec §5): the WebSocket (new and attach), list, kill, HTTP POST exec.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};

use crate::error::{json_response, ApiError, ApiResult};
use crate::isolation::ExecSpec;
use crate::session::{Input, Out, Session, SpawnOptions, Subscription};
use crate::store::{lock, AppState, Sprite};
use crate::util::Query;
use sprites_core::exec::frame::{Frame, Framing};
use sprites_core::exec::message as exec_msg;
use sprites_core::exec::message::{ClientMessage, ServerMessage};
use sprites_core::http_exec;
use sprites_core::model::{KillEvent, ListSessionsResponse, SessionInfo};

type Upgrade = Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>;

/// `GET /v1/sprites/{name}/exec`: a WebSocket upgrade starts (or, with `?id=`, attaches to)
/// a session; a plain GET lists sessions.
pub(crate) async fn exec_root(
    State(st): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    ws: Upgrade,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let query = Query::parse(raw.as_deref());
    let Ok(ws) = ws else {
        return Ok(list_sessions(&sprite));
    };
    if let Some(id) = query.get("id").filter(|id| !id.is_empty()) {
        return attach(&st, &sprite, id, ws);
    }
    let opts = spawn_options(&st, &query)?;
    let (session, sub) = spawn_or_report(&sprite, opts).await?;
    Ok(upgrade(ws, sprite, session, sub, true))
}

/// `GET /v1/sprites/{name}/exec/{id}`: attach (WebSocket) or `404 session not found`.
pub(crate) async fn exec_session(
    State(st): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    ws: Upgrade,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    match ws {
        Ok(ws) => attach(&st, &sprite, &id, ws),
        Err(_) => {
            let session = find_session(&sprite, &id)?;
            Ok(json_response(
                StatusCode::OK,
                &to_value(&session.list_entry()),
            ))
        }
    }
}

/// `POST /v1/sprites/{name}/exec/{id}/kill?signal=&timeout=`: NDJSON progress.
pub(crate) async fn kill(
    State(st): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let query = Query::parse(raw.as_deref());
    let sig_name = query.get("signal").unwrap_or("SIGTERM");
    let sig = crate::util::parse_signal(sig_name)
        .ok_or_else(|| ApiError::bad_request(format!("unknown signal \"{sig_name}\"")))?;
    let timeout = query
        .duration("timeout")?
        .unwrap_or(Duration::from_secs(10));
    let session = match find_session(&sprite, &id) {
        Ok(s) => s,
        Err(e) => {
            let pid: Option<u32> = id.parse().ok();
            if pid.is_some_and(|p| lock(&sprite.exited).contains(&p)) {
                return Err(ApiError::Simple(
                    StatusCode::GONE,
                    format!("session already exited: {id}"),
                ));
            }
            return Err(e);
        }
    };
    let (tx, resp) = crate::util::ndjson_response();
    tokio::spawn(async move {
        let sig_text = sig.as_str().to_string();
        session.handle.signal(sig);
        tx.line(&KillEvent::Signal {
            message: format!("Signaling {sig_text} to process group {}", session.id),
            signal: Some(sig_text),
            pid: Some(i64::from(session.id)),
        })
        .await;
        if timeout.is_zero() {
            return;
        }
        let code = match session.wait_exit(timeout).await {
            Some(code) => {
                tx.line(&KillEvent::Exited {
                    message: "Process exited".into(),
                })
                .await;
                code
            }
            None => {
                tx.line(&KillEvent::Timeout {
                    message: format!(
                        "Process did not exit within {}s, sending SIGKILL",
                        timeout.as_secs_f64()
                    ),
                })
                .await;
                session.handle.kill();
                let code = session
                    .wait_exit(Duration::from_secs(10))
                    .await
                    .unwrap_or(137);
                tx.line(&KillEvent::Killed {
                    message: "Process killed".into(),
                })
                .await;
                code
            }
        };
        tx.line(&KillEvent::Complete { exit_code: code }).await;
    });
    Ok(resp)
}

/// `POST /v1/sprites/{name}/exec`: runs a command without a WebSocket; the body is its
/// stdin when `stdin=true`; the response is the stream-id framed output (`0x01`/`0x02`
/// chunks, then `0x03` and the exit code).
pub(crate) async fn exec_post(
    State(st): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let query = Query::parse(raw.as_deref());
    let mut opts = spawn_options(&st, &query)?;
    if opts.spec.tty {
        return Err(ApiError::bad_request("tty is not supported by HTTP exec"));
    }
    opts.stdin = query.bool("stdin")?.unwrap_or(!body.is_empty());
    opts.max_run_after_disconnect = Some(st.limits.non_tty_disconnect);
    let (session, mut sub) = spawn_or_report(&sprite, opts).await?;
    if !body.is_empty() {
        session.send_input(Input::Data(body)).await;
    }
    session.send_input(Input::Eof).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(8);
    tokio::spawn(async move {
        while let Some(out) = sub.rx.recv().await {
            let mut frame = Vec::new();
            match out {
                Out::Data(2, data) => http_exec::encode_stderr(&data, &mut frame),
                Out::Data(_, data) => http_exec::encode_stdout(&data, &mut frame),
                Out::Exit(code) => http_exec::encode_exit(exit_byte(code), &mut frame),
            }
            if tx.send(Bytes::from(frame)).await.is_err() {
                session.unsubscribe(sub.id);
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(b), rx))
    });
    let mut resp = Response::new(axum::body::Body::from_stream(stream));
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(http_exec::CONTENT_TYPE),
    );
    Ok(resp)
}

/// Spawns a session. A command or directory that does not exist still gets a session that
/// reports it on stderr and exits 127 (or 125 for the directory), as a shell (and the overlay
/// level, through `env`) would, so that both levels behave alike.
async fn spawn_or_report(
    sprite: &Arc<Sprite>,
    opts: SpawnOptions,
) -> ApiResult<(Arc<Session>, Subscription)> {
    let program = opts.spec.program.clone();
    let dir = opts.spec.dir.clone();
    let fallback = SpawnOptions {
        spec: ExecSpec {
            program: "/bin/sh".into(),
            args: Vec::new(),
            env: None,
            extra_env: Vec::new(),
            dir: None,
            tty: opts.spec.tty,
        },
        stdin: false,
        cols: opts.cols,
        rows: opts.rows,
        max_run_after_disconnect: opts.max_run_after_disconnect,
        queue: opts.queue,
        scrollback: opts.scrollback,
    };
    match Session::spawn(sprite, opts).await {
        Ok(v) => Ok(v),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            let denied = e.kind() == std::io::ErrorKind::PermissionDenied;
            let (text, code) = match &dir {
                Some(d) if !denied && !sprite_dir_exists(sprite, d) => (
                    format!("cannot change directory to '{d}': No such file or directory"),
                    125,
                ),
                _ if denied => (format!("{program}: Permission denied"), 126),
                _ => (format!("{program}: command not found"), 127),
            };
            let mut fallback = fallback;
            fallback.spec.args = vec![
                "-c".into(),
                format!("printf '%s\\n' \"$0\" >&2; exit {code}"),
                text,
            ];
            Session::spawn(sprite, fallback)
                .await
                .map_err(|e| ApiError::internal(format!("failed to start command: {e}")))
        }
        Err(e) => Err(ApiError::bad_request(format!(
            "failed to start command: {e}"
        ))),
    }
}

fn sprite_dir_exists(sprite: &Sprite, dir: &str) -> bool {
    sprite.env.host_dir(dir).is_dir()
}

fn exit_byte(code: i32) -> u8 {
    u8::try_from(code.clamp(0, 255)).unwrap_or(255)
}

/// Looks up a sprite for an agent route and marks it active.
pub(crate) fn agent_sprite(st: &AppState, name: &str) -> ApiResult<Arc<Sprite>> {
    let sprite = st.sprite(name).ok_or_else(ApiError::sprite_not_found)?;
    sprite.touch();
    Ok(sprite)
}

fn find_session(sprite: &Sprite, id: &str) -> ApiResult<Arc<Session>> {
    let not_found = || ApiError::not_found(format!("session not found: {id}"));
    let pid: u32 = id.parse().map_err(|_| not_found())?;
    lock(&sprite.sessions)
        .get(&pid)
        .cloned()
        .ok_or_else(not_found)
}

fn list_sessions(sprite: &Sprite) -> Response {
    let sessions: Vec<SessionInfo> = lock(&sprite.sessions)
        .values()
        .map(|s| s.list_entry())
        .collect();
    let body = ListSessionsResponse {
        count: sessions.len() as u64,
        sessions,
    };
    json_response(StatusCode::OK, &to_value(&body))
}

fn attach(
    st: &AppState,
    sprite: &Arc<Sprite>,
    id: &str,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let session = find_session(sprite, id)?;
    let sub = session.subscribe(st.limits.connection_queue);
    Ok(upgrade(ws, sprite.clone(), session, sub, false))
}

fn spawn_options(st: &AppState, q: &Query) -> ApiResult<SpawnOptions> {
    let cmd = q.all("cmd");
    let path = q.get("path").filter(|p| !p.is_empty());
    let (program, args) = match (path, cmd.split_first()) {
        (Some(p), Some((_, rest))) => (p.to_string(), rest.to_vec()),
        (None, Some((first, rest))) => (first.clone(), rest.to_vec()),
        (Some(p), None) => (p.to_string(), Vec::new()),
        (None, None) => ("bash".to_string(), Vec::new()),
    };
    if program.is_empty() {
        return Err(ApiError::bad_request("empty command"));
    }
    let tty = q.bool("tty")?.unwrap_or(false);
    let env_values = q.all("env");
    let env = if env_values.is_empty() {
        None
    } else {
        let mut env = Vec::new();
        for kv in env_values {
            let (k, v) = kv
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| ApiError::bad_request(format!("invalid env: {kv}")))?;
            env.push((k.to_string(), v.to_string()));
        }
        Some(env)
    };
    let dim = |key: &str, default: u16| -> ApiResult<u16> {
        match q.u64(key)? {
            None | Some(0) => Ok(default),
            Some(v) => {
                u16::try_from(v).map_err(|_| ApiError::bad_request(format!("invalid {key}: {v}")))
            }
        }
    };
    let max_run = match q.duration("max_run_after_disconnect")? {
        Some(d) if d.is_zero() => None,
        Some(d) => Some(d),
        None if tty => None,
        None => Some(st.limits.non_tty_disconnect),
    };
    Ok(SpawnOptions {
        spec: ExecSpec {
            program,
            args,
            env,
            extra_env: Vec::new(),
            dir: q.get("dir").filter(|d| !d.is_empty()).map(str::to_string),
            tty,
        },
        stdin: q.bool("stdin")?.unwrap_or(tty),
        cols: dim("cols", 80)?,
        rows: dim("rows", 24)?,
        max_run_after_disconnect: max_run,
        queue: st.limits.connection_queue,
        scrollback: st.limits.scrollback_bytes,
    })
}

fn upgrade(
    ws: WebSocketUpgrade,
    sprite: Arc<Sprite>,
    session: Arc<Session>,
    sub: Subscription,
    is_owner: bool,
) -> Response {
    let guard_session = session.clone();
    let sub_id = sub.id;
    let ws = ws
        .max_message_size(4 << 20)
        .max_frame_size(4 << 20)
        .protocols([crate::server::WS_PROTOCOL]);
    let ws = ws.on_failed_upgrade(move |_| guard_session.unsubscribe(sub_id));
    let mut resp = ws
        .on_upgrade(move |socket| serve_socket(socket, sprite, session, sub, is_owner))
        .into_response();
    resp.headers_mut().insert(
        axum::http::header::HeaderName::from_static("x-sprite-capabilities"),
        HeaderValue::from_static("signal"),
    );
    resp
}

fn session_info(session: &Session, is_owner: bool) -> String {
    let (cols, rows) = session.size();
    let mut info = exec_msg::SessionInfo::new(session.id.to_string());
    info.command = session.command.clone();
    info.created = Some(session.created);
    info.cols = cols;
    info.rows = rows;
    info.is_owner = is_owner;
    info.tty = session.tty;
    ServerMessage::SessionInfo(info).to_text()
}

fn data_frame(tty: bool, stream: u8, data: Bytes) -> Option<Message> {
    let frame = if stream == 2 {
        Frame::Stderr(data)
    } else {
        Frame::Stdout(data)
    };
    Framing::for_tty(tty).encode(&frame).map(Message::Binary)
}

async fn serve_socket(
    socket: WebSocket,
    sprite: Arc<Sprite>,
    session: Arc<Session>,
    sub: Subscription,
    is_owner: bool,
) {
    let (mut sink, mut stream) = socket.split();
    let tty = session.tty;
    let info = session_info(&session, is_owner);
    let mut ports = sprite.ports.subscribe();
    let Subscription {
        id: sub_id,
        replay,
        mut rx,
    } = sub;
    let mut writer = tokio::spawn(async move {
        if sink.send(Message::Text(info.into())).await.is_err() {
            return;
        }
        for (s, d) in replay {
            let Some(frame) = data_frame(tty, s, d) else {
                continue;
            };
            if sink.send(frame).await.is_err() {
                return;
            }
        }
        let mut ports_open = true;
        loop {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(Out::Data(s, d)) => {
                        let Some(frame) = data_frame(tty, s, d) else { continue };
                        if sink.send(frame).await.is_err() {
                            return;
                        }
                    }
                    Some(Out::Exit(code)) => {
                        let text = ServerMessage::Exit { exit_code: code }.to_text();
                        let _ = sink.send(Message::Text(text.into())).await;
                        if let Some(frame) = Framing::for_tty(tty).encode(&Frame::Exit(exit_byte(code))) {
                            let _ = sink.send(Message::Binary(frame)).await;
                        }
                        let _ = sink.send(Message::Close(Some(CloseFrame { code: 1000, reason: "".into() }))).await;
                        return;
                    }
                    None => return,
                },
                ev = ports.recv(), if ports_open => match ev {
                    Ok(ev) => {
                        let body = exec_msg::PortEvent::new(ev.port, ev.address, i64::from(ev.pid));
                        let text = if ev.opened {
                            ServerMessage::PortOpened(body)
                        } else {
                            ServerMessage::PortClosed(body)
                        }
                        .to_text();
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => ports_open = false,
                },
            }
        }
    });
    let writer_done = loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(Ok(msg)) = msg else { break false };
                if !handle_client_message(&session, tty, msg).await {
                    break false;
                }
            }
            _ = &mut writer => break true,
        }
    };
    if writer_done {
        // The exit was sent with a close frame: wait briefly for the client's close reply.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(_)) = stream.next().await {}
        })
        .await;
    } else {
        writer.abort();
    }
    session.unsubscribe(sub_id);
    sprite.touch();
}

/// Handles one client message; false ends the connection.
async fn handle_client_message(session: &Session, tty: bool, msg: Message) -> bool {
    match msg {
        // Input for a process that has already ended is dropped; the exit is on its way.
        Message::Binary(data) => {
            match Framing::for_tty(tty).decode_from_client(&data) {
                Some(Frame::Stdin(d)) => session.send_input(Input::Data(d)).await,
                Some(Frame::StdinEof) => session.send_input(Input::Eof).await,
                _ => true,
            };
            true
        }
        Message::Text(text) => match ClientMessage::parse(text.as_str()) {
            Ok(Some(ClientMessage::Resize { cols, rows })) => {
                let (cur_cols, cur_rows) = session.size();
                let cols = if cols == 0 { cur_cols } else { cols };
                let rows = if rows == 0 { cur_rows } else { rows };
                session.send_input(Input::Resize(cols, rows)).await;
                true
            }
            Ok(Some(ClientMessage::Signal { signal })) => {
                if let Some(sig) = crate::util::parse_signal(&signal.name()) {
                    session.handle.signal(sig);
                }
                true
            }
            _ => true,
        },
        Message::Close(_) => false,
        Message::Ping(_) | Message::Pong(_) => true,
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
