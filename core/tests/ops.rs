//! Golden tests for every typed operation of `sprites_core::ops` (spec §2): the exact request
//! each one builds (method, URL, headers, body), how it reads every answer the spec describes
//! (§13.1 success codes, §1.4 error shapes), its retry and timeout classes, and the caller
//! mistakes it refuses before anything is sent.

use std::fmt::Debug;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use sprites_core::exec::url::{AttachForm, CommandSpec};
use sprites_core::http_exec::{encode_exit, encode_stderr, encode_stdout};
use sprites_core::model::{
    CreateSpriteRequest, FsChmodRequest, FsChownRequest, FsCopyRequest, FsRenameRequest, KillEvent,
    ListCheckpointsOptions, ListOptions, NetworkPolicy, NetworkPolicyRule, PolicyAction,
    ServiceLogKind, ServiceRequest, Signal, SpriteConfig, SpriteStatus, StreamMessage,
    UpdateSpriteRequest, UrlAuth, UrlSettings,
};
use sprites_core::ops::{
    format_mode, ControlConnect, CreateCheckpoint, CreateSprite, CreateToken, DeleteCheckpoint,
    DeleteService, DeleteSprite, ExecAttach, ExecConnect, ExecVersionProbe, FsChmod, FsChown,
    FsCopy, FsDelete, FsList, FsPath, FsRead, FsRename, FsWatch, FsWrite, GetCheckpoint,
    GetNetworkPolicy, GetService, GetSprite, GetVersion, HttpExec, JsonPolicy, JsonPolicyAction,
    KillSession, ListCheckpoints, ListServices, ListSessions, ListSprites, OpenProxy, Operation,
    PolicyKind, PutService, RestoreCheckpoint, ServiceAction, ServiceControl, ServiceLogs,
    SetNetworkPolicy, SignalService, StreamOperation, StreamStart, TimeoutClass, UpdateSprite,
    UpgradeSprite, WsOperation,
};
use sprites_core::request::{Endpoint, Method, Request};
use sprites_core::response::Response;
use sprites_core::{Error, Result};

// =========================================================================================
// Fixtures and helpers
// =========================================================================================

const TOKEN: &str = "tok-SECRET-3f9a1c";
const MACAROON: &str = "fm2_MACAROON-SECRET-77d0";

/// Production-style base URL with a trailing slash (which must be trimmed).
const BASE: &str = "https://api.sprites.dev/";
/// A local emulator base URL: WebSocket operations must derive `ws://` from it.
const LOCAL_BASE: &str = "http://127.0.0.1:8787/";

const API: &str = "https://api.sprites.dev/v1";
const WSS: &str = "wss://api.sprites.dev/v1";
const WS_LOCAL: &str = "ws://127.0.0.1:8787/v1";

/// Hostile names and their percent-encoded forms (RFC 3986 unreserved characters only).
const HOSTILE: [(&str, &str); 5] = [
    ("a/b", "a%2Fb"),
    ("x?y#z", "x%3Fy%23z"),
    ("my sprite", "my%20sprite"),
    ("é☃", "%C3%A9%E2%98%83"),
    ("../..", "..%2F.."),
];

/// The checkpoint create stream of spec §8.2 (times filled in).
const CHECKPOINT_CREATE: &str = concat!(
    r#"{"type":"info","data":"Creating checkpoint...","time":"2026-01-31T12:24:41.779658713Z"}"#,
    "\n",
    r#"{"type":"info","data":"Checkpoint created successfully","time":"2026-01-31T12:24:42.101232511Z"}"#,
    "\n",
    r#"{"type":"info","data":"\nCheckpoint Details:","time":"2026-01-31T12:24:42.101240102Z"}"#,
    "\n",
    r#"{"type":"info","data":"  ID: v1","time":"2026-01-31T12:24:42.101243187Z"}"#,
    "\n",
    r#"{"type":"info","data":"  Created: 2026-01-31 12:20:24","time":"2026-01-31T12:24:42.101245891Z"}"#,
    "\n",
    r#"{"type":"info","data":"  Path: checkpoints/v1","time":"2026-01-31T12:24:42.101248406Z"}"#,
    "\n",
    r#"{"type":"info","data":"\nTo restore this checkpoint:","time":"2026-01-31T12:24:42.101251012Z"}"#,
    "\n",
    r#"{"type":"info","data":"  sprite checkpoint restore v1","time":"2026-01-31T12:24:42.101253527Z"}"#,
    "\n",
    r#"{"type":"info","data":"  curl -X POST /checkpoints/v1/restore","time":"2026-01-31T12:24:42.101256042Z"}"#,
    "\n",
    r#"{"type":"complete","data":"Checkpoint v1 created successfully","time":"2026-01-31T12:24:42.101258647Z"}"#,
    "\n",
);

/// The restore of an unknown checkpoint, spec §8.5: still a `200` stream, with an error line.
const RESTORE_UNKNOWN: &str = concat!(
    r#"{"type":"info","data":"Restoring from checkpoint nonexistent...","time":"2026-01-31T12:30:00.000000001Z"}"#,
    "\n",
    r#"{"type":"error","error":"Failed to restore checkpoint: failed to get checkpoint: checkpoint not found","time":"2026-01-31T12:30:00.100000001Z"}"#,
    "\n",
);

fn endpoint() -> Endpoint {
    Endpoint::new(BASE, TOKEN).unwrap()
}

fn local_endpoint() -> Endpoint {
    Endpoint::new(LOCAL_BASE, TOKEN).unwrap()
}

fn user_agent() -> String {
    format!("sprites-rs/{}", sprites_core::VERSION)
}

/// Asserts the method, the full URL and exactly the standard headers (Bearer token, user
/// agent), plus `content-type` when given.
#[track_caller]
fn assert_request(req: &Request, method: Method, url: &str, content_type: Option<&str>) {
    assert_eq!(req.method, method, "method of {url}");
    assert_eq!(req.url, url);
    let mut expected = vec![
        ("authorization", format!("Bearer {TOKEN}")),
        ("user-agent", user_agent()),
    ];
    if let Some(ct) = content_type {
        expected.push(("content-type", ct.to_string()));
    }
    assert_eq!(req.headers, expected, "headers of {url}");
}

/// Asserts a request without a body (and so without a content type).
#[track_caller]
fn assert_bodyless(req: &Request, method: Method, url: &str) {
    assert_request(req, method, url, None);
    assert!(req.body.is_empty(), "{url} has a body: {:?}", req.body);
}

/// Asserts a JSON request and its body, compared as JSON values.
#[track_caller]
fn assert_json_request(req: &Request, method: Method, url: &str, body: Value) {
    assert_request(req, method, url, Some("application/json"));
    let got: Value = serde_json::from_slice(&req.body).expect("body is JSON");
    assert_eq!(got, body, "body of {url}");
}

/// Asserts a WebSocket upgrade: `GET`, the standard headers, no body.
#[track_caller]
fn assert_upgrade(req: &Request, url: &str) {
    assert!(req.is_websocket(), "{url} is not a websocket url");
    assert_bodyless(req, Method::Get, url);
}

#[track_caller]
fn assert_invalid<T: Debug>(result: Result<T>, mentions: &str) {
    match result {
        Err(Error::InvalidArgument(msg)) => {
            assert!(msg.contains(mentions), "{msg:?} does not name {mentions:?}")
        }
        other => panic!("expected an invalid argument naming {mentions:?}, got {other:?}"),
    }
}

#[track_caller]
fn assert_protocol<T: Debug>(result: Result<T>) {
    match result {
        Err(Error::Protocol(_)) => {}
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

/// Sends every error status of spec §1.6 through `parse` and checks the error kind each one
/// becomes: 404 NotFound, 409 Conflict, 401 Unauthorized, 429 RateLimited (retry_after from
/// the body, else from `Retry-After`), 500 Api (with a plain-text message).
#[track_caller]
fn assert_maps_error_statuses<T: Debug>(what: &str, parse: impl Fn(Response) -> Result<T>) {
    let err = |resp: Response| match parse(resp) {
        Err(e) => e,
        Ok(v) => panic!("{what}: error status parsed as {v:?}"),
    };

    let e = err(Response::new(404, r#"{"error":"sprite not found"}"#));
    assert!(
        matches!(&e, Error::NotFound(a) if a.status == 404),
        "{what}: {e:?}"
    );
    assert_eq!(e.api_error().unwrap().message, "sprite not found", "{what}");

    let e = err(Response::new(409, r#"{"error":"already exists"}"#));
    assert!(
        matches!(&e, Error::Conflict(a) if a.status == 409),
        "{what}: {e:?}"
    );

    let e = err(Response::new(401, r#"{"error":"authentication failed"}"#));
    assert!(
        matches!(&e, Error::Unauthorized(a) if a.status == 401),
        "{what}: {e:?}"
    );

    let e = err(Response::new(
        429,
        r#"{"error":"sprite_creation_rate_limited","message":"slow down","retry_after_seconds":30}"#,
    ));
    assert!(matches!(&e, Error::RateLimited(_)), "{what}: {e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)), "{what}");

    let e = err(Response::new(429, "").with_header("Retry-After", "7"));
    assert!(matches!(&e, Error::RateLimited(_)), "{what}: {e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)), "{what}");

    let e = err(Response::new(500, "Failed to get checkpoint: not found\n"));
    assert!(
        matches!(&e, Error::Api(a) if a.status == 500),
        "{what}: {e:?}"
    );
    assert_eq!(
        e.api_error().unwrap().message,
        "Failed to get checkpoint: not found",
        "{what}"
    );
}

/// Checks filesystem error answers: a body with a `code` becomes [`Error::Filesystem`] with
/// that code and the server's path; a bare `404` becomes `ENOENT` naming `request_path`;
/// other statuses without a code keep the API mapping.
#[track_caller]
fn assert_maps_fs_errors<T: Debug>(
    what: &str,
    request_path: &str,
    parse: impl Fn(Response) -> Result<T>,
) {
    use sprites_core::error::FsErrorCode;
    let err = |resp: Response| match parse(resp) {
        Err(e) => e,
        Ok(v) => panic!("{what}: error status parsed as {v:?}"),
    };

    let e = err(Response::new(
        404,
        r#"{"error":"no such file","code":"ENOENT","path":"/srv/x"}"#,
    ));
    let Error::Filesystem(f) = &e else {
        panic!("{what}: {e:?}")
    };
    assert_eq!(
        (f.status, &f.code, f.path.as_deref(), f.message.as_str()),
        (404, &FsErrorCode::NotFound, Some("/srv/x"), "no such file"),
        "{what}"
    );
    assert!(e.is_not_found(), "{what}");

    let e = err(Response::new(400, r#"{"error":"denied","code":"EACCES"}"#));
    let Error::Filesystem(f) = &e else {
        panic!("{what}: {e:?}")
    };
    assert_eq!(f.code, FsErrorCode::PermissionDenied, "{what}");
    assert_eq!(f.path.as_deref(), Some(request_path), "{what}");

    let e = err(Response::new(404, "not found"));
    let Error::Filesystem(f) = &e else {
        panic!("{what}: {e:?}")
    };
    assert_eq!(f.code, FsErrorCode::NotFound, "{what}");
    assert_eq!(f.path.as_deref(), Some(request_path), "{what}");

    let e = err(Response::new(401, r#"{"error":"authentication failed"}"#));
    assert!(matches!(e, Error::Unauthorized(_)), "{what}: {e:?}");
    let e = err(Response::new(500, "boom"));
    assert!(matches!(e, Error::Api(_)), "{what}: {e:?}");
}

/// The error a stream or WebSocket operation's error answer becomes, as a `Result`.
fn as_err(e: Error) -> Result<()> {
    Err(e)
}

fn ok_status(status: u16) -> Response {
    Response::new(status, "")
}

/// `(is_idempotent, timeout_class)` of a buffered operation.
fn classes(op: &impl Operation) -> (bool, TimeoutClass) {
    (op.is_idempotent(), op.timeout_class())
}

/// `(is_idempotent, timeout_class)` of a streaming operation.
fn stream_classes(op: &impl StreamOperation) -> (bool, TimeoutClass) {
    (op.is_idempotent(), op.timeout_class())
}

/// One request from every operation (every endpoint of spec §2), for cross-cutting checks.
fn every_request(ep: &Endpoint) -> Vec<(&'static str, Request)> {
    let fs = || FsPath::new("s", "/x");
    let svc = |action| ServiceControl {
        sprite: "s".into(),
        service: "web".into(),
        action,
        duration: Some(Duration::from_secs(3)),
    };
    let policy = |kind, action| JsonPolicy {
        sprite: "s".into(),
        kind,
        action,
    };
    let mut token = CreateToken::new("acme", MACAROON);
    token.invite_code = Some("INVITE-SECRET".into());
    let all: Vec<(&'static str, Result<Request>)> = vec![
        ("CreateToken", token.request(ep)),
        ("CreateSprite", CreateSprite::new("s").request(ep)),
        ("ListSprites", ListSprites::default().request(ep)),
        ("GetSprite", GetSprite::new("s").request(ep)),
        ("UpdateSprite", update_sprite().request(ep)),
        ("DeleteSprite", DeleteSprite::new("s").request(ep)),
        ("UpgradeSprite", UpgradeSprite::new("s").request(ep)),
        ("GetVersion", GetVersion.request(ep)),
        ("ExecConnect", exec_connect("s").request(ep)),
        (
            "ExecAttach/path",
            attach("s", "7", AttachForm::Path).request(ep),
        ),
        (
            "ExecAttach/legacy",
            attach("s", "7", AttachForm::Legacy).request(ep),
        ),
        ("ListSessions", ListSessions::new("s").request(ep)),
        ("ExecVersionProbe", ExecVersionProbe::new("s").request(ep)),
        ("HttpExec", http_exec(b"in").request(ep)),
        ("KillSession", kill("s", "7").request(ep)),
        (
            "ControlConnect",
            ControlConnect { sprite: "s".into() }.request(ep),
        ),
        ("OpenProxy", OpenProxy { sprite: "s".into() }.request(ep)),
        ("CreateCheckpoint", create_checkpoint(Some("c")).request(ep)),
        ("ListCheckpoints", list_checkpoints().request(ep)),
        ("GetCheckpoint", GetCheckpoint::new("s", "v1").request(ep)),
        (
            "RestoreCheckpoint",
            RestoreCheckpoint::new("s", "v1").request(ep),
        ),
        (
            "DeleteCheckpoint",
            DeleteCheckpoint::new("s", "v1").request(ep),
        ),
        ("ListServices", ListServices::new("s").request(ep)),
        ("GetService", get_service("s", "web").request(ep)),
        ("PutService", put_service(None).request(ep)),
        ("DeleteService", delete_service("s", "web").request(ep)),
        (
            "ServiceControl/start",
            svc(ServiceAction::Start).request(ep),
        ),
        ("ServiceControl/stop", svc(ServiceAction::Stop).request(ep)),
        (
            "ServiceControl/restart",
            svc(ServiceAction::Restart).request(ep),
        ),
        ("ServiceLogs", service_logs(None, None).request(ep)),
        ("SignalService", signal_service("web").request(ep)),
        ("GetNetworkPolicy", GetNetworkPolicy::new("s").request(ep)),
        ("SetNetworkPolicy", set_network_policy().request(ep)),
        (
            "JsonPolicy/privileges/get",
            policy(PolicyKind::Privileges, JsonPolicyAction::Get).request(ep),
        ),
        (
            "JsonPolicy/resources/set",
            policy(PolicyKind::Resources, JsonPolicyAction::Set(json!({}))).request(ep),
        ),
        (
            "JsonPolicy/resources/delete",
            policy(PolicyKind::Resources, JsonPolicyAction::Delete).request(ep),
        ),
        ("FsRead", FsRead(fs()).request(ep)),
        ("FsWrite", fs_write(Some(0o644)).request(ep)),
        (
            "FsList",
            FsList {
                target: fs(),
                recursive: true,
            }
            .request(ep),
        ),
        (
            "FsDelete",
            FsDelete {
                target: fs(),
                recursive: true,
            }
            .request(ep),
        ),
        ("FsRename", fs_rename("/a").request(ep)),
        ("FsCopy", fs_copy("/a").request(ep)),
        ("FsChmod", fs_chmod("/a").request(ep)),
        ("FsChown", fs_chown("/a").request(ep)),
        ("FsWatch", FsWatch { sprite: "s".into() }.request(ep)),
    ];
    all.into_iter()
        .map(|(name, r)| (name, r.unwrap_or_else(|e| panic!("{name}: {e:?}"))))
        .collect()
}

// Operation builders shared by several tests.

fn update_sprite() -> UpdateSprite {
    UpdateSprite {
        sprite: "s".into(),
        update: UpdateSpriteRequest {
            url_settings: Some(UrlSettings {
                auth: UrlAuth::Public,
                private_access: None,
            }),
            labels: Some(vec!["prod".into()]),
            clear_labels: false,
        },
    }
}

fn exec_connect(sprite: &str) -> ExecConnect {
    ExecConnect {
        sprite: sprite.into(),
        spec: CommandSpec::new(["echo", "hi"]),
    }
}

fn attach(sprite: &str, session: &str, form: AttachForm) -> ExecAttach {
    ExecAttach {
        sprite: sprite.into(),
        session_id: session.into(),
        form,
    }
}

fn http_exec(stdin: &'static [u8]) -> HttpExec {
    HttpExec {
        sprite: "s".into(),
        spec: CommandSpec::new(["cat"]),
        stdin: Bytes::from_static(stdin),
    }
}

fn kill(sprite: &str, session: &str) -> KillSession {
    KillSession {
        sprite: sprite.into(),
        session_id: session.into(),
        signal: None,
        timeout: None,
    }
}

fn create_checkpoint(comment: Option<&str>) -> CreateCheckpoint {
    CreateCheckpoint {
        sprite: "s".into(),
        comment: comment.map(String::from),
    }
}

fn list_checkpoints() -> ListCheckpoints {
    ListCheckpoints {
        sprite: "s".into(),
        options: ListCheckpointsOptions::default(),
    }
}

fn get_service(sprite: &str, service: &str) -> GetService {
    GetService {
        sprite: sprite.into(),
        service: service.into(),
    }
}

fn delete_service(sprite: &str, service: &str) -> DeleteService {
    DeleteService {
        sprite: sprite.into(),
        service: service.into(),
    }
}

fn put_service(duration: Option<Duration>) -> PutService {
    PutService {
        sprite: "s".into(),
        service: "web".into(),
        definition: ServiceRequest::new("python3")
            .args(["-m", "http.server"])
            .http_port(8000),
        duration,
    }
}

fn service_control(action: ServiceAction, duration: Option<Duration>) -> ServiceControl {
    ServiceControl {
        sprite: "s".into(),
        service: "web".into(),
        action,
        duration,
    }
}

fn service_logs(lines: Option<u32>, follow: Option<Duration>) -> ServiceLogs {
    ServiceLogs {
        sprite: "s".into(),
        service: "web".into(),
        lines,
        follow,
    }
}

fn signal_service(service: &str) -> SignalService {
    SignalService {
        sprite: "s".into(),
        service: service.into(),
        signal: Signal::SIGHUP,
    }
}

fn set_network_policy() -> SetNetworkPolicy {
    SetNetworkPolicy {
        sprite: "s".into(),
        policy: NetworkPolicy {
            rules: vec![
                NetworkPolicyRule {
                    domain: "api.github.com".into(),
                    action: PolicyAction::Allow,
                },
                NetworkPolicyRule {
                    domain: "*".into(),
                    action: PolicyAction::Deny,
                },
            ],
            include: vec!["defaults".into()],
        },
    }
}

fn fs_write(mode: Option<u32>) -> FsWrite {
    FsWrite {
        target: FsPath::new("s", "/x"),
        data: Bytes::from_static(b"hello\x00\xff"),
        mode,
        mkdir_parents: true,
    }
}

fn fs_rename(source: &str) -> FsRename {
    FsRename {
        sprite: "s".into(),
        body: FsRenameRequest {
            source: source.into(),
            dest: "/b".into(),
            working_dir: Some("/home/sprite".into()),
            as_root: false,
        },
    }
}

fn fs_copy(source: &str) -> FsCopy {
    FsCopy {
        sprite: "s".into(),
        body: FsCopyRequest {
            source: source.into(),
            dest: "/b".into(),
            working_dir: None,
            recursive: true,
            preserve_attrs: false,
            as_root: true,
        },
    }
}

fn fs_chmod(path: &str) -> FsChmod {
    FsChmod {
        sprite: "s".into(),
        body: FsChmodRequest {
            path: path.into(),
            working_dir: Some("/".into()),
            mode: "0755".into(),
            recursive: true,
            as_root: false,
        },
    }
}

fn fs_chown(path: &str) -> FsChown {
    FsChown {
        sprite: "s".into(),
        body: FsChownRequest {
            path: path.into(),
            working_dir: None,
            uid: Some(1000),
            gid: None,
            recursive: false,
            as_root: false,
        },
    }
}

// =========================================================================================
// §1 Global conventions (every operation)
// =========================================================================================

#[test]
fn every_request_carries_bearer_token_and_user_agent() {
    for (name, req) in every_request(&endpoint()) {
        let auth = req.header("authorization").unwrap_or_default();
        if name == "CreateToken" {
            assert_eq!(auth, format!("FlyV1 {MACAROON}"), "{name}");
        } else {
            assert_eq!(auth, format!("Bearer {TOKEN}"), "{name}");
        }
        assert_eq!(
            req.header("user-agent"),
            Some(user_agent().as_str()),
            "{name}"
        );
    }
}

#[test]
fn every_request_with_a_body_names_its_content_type() {
    for (name, req) in every_request(&endpoint()) {
        assert_eq!(
            req.body.is_empty(),
            req.header("content-type").is_none(),
            "{name}: body {:?} vs content-type {:?}",
            req.body,
            req.header("content-type")
        );
    }
}

#[test]
fn debug_of_every_request_hides_token_and_macaroon() {
    for (name, req) in every_request(&endpoint()) {
        let dbg = format!("{req:?}");
        assert!(!dbg.contains(TOKEN), "{name}: {dbg}");
        assert!(!dbg.contains(MACAROON), "{name}: {dbg}");
        assert!(!dbg.contains("SECRET"), "{name}: {dbg}");
    }
}

#[test]
fn trailing_slash_of_the_base_url_is_trimmed_for_every_request() {
    for (name, req) in every_request(&endpoint()) {
        let rest = req
            .url
            .strip_prefix("https://api.sprites.dev/v1/")
            .or_else(|| req.url.strip_prefix("wss://api.sprites.dev/v1/"))
            .unwrap_or_else(|| panic!("{name}: {}", req.url));
        assert!(!rest.starts_with('/'), "{name}: {}", req.url);
    }
}

#[test]
fn websocket_operations_derive_ws_from_http_base() {
    let ep = local_endpoint();
    let cases: Vec<(Request, String)> = vec![
        (
            exec_connect("s").request(&ep).unwrap(),
            format!("{WS_LOCAL}/sprites/s/exec?cmd=echo&cmd=hi&stdin=false"),
        ),
        (
            attach("s", "7", AttachForm::Path).request(&ep).unwrap(),
            format!("{WS_LOCAL}/sprites/s/exec/7"),
        ),
        (
            attach("s", "7", AttachForm::Legacy).request(&ep).unwrap(),
            format!("{WS_LOCAL}/sprites/s/exec?id=7"),
        ),
        (
            ControlConnect { sprite: "s".into() }.request(&ep).unwrap(),
            format!("{WS_LOCAL}/sprites/s/control"),
        ),
        (
            OpenProxy { sprite: "s".into() }.request(&ep).unwrap(),
            format!("{WS_LOCAL}/sprites/s/proxy"),
        ),
        (
            FsWatch { sprite: "s".into() }.request(&ep).unwrap(),
            format!("{WS_LOCAL}/sprites/s/fs/watch"),
        ),
    ];
    for (req, url) in cases {
        assert_upgrade(&req, &url);
    }
}

#[test]
fn http_operations_keep_the_http_scheme_of_a_local_base() {
    let req = GetSprite::new("s").request(&local_endpoint()).unwrap();
    assert_bodyless(&req, Method::Get, "http://127.0.0.1:8787/v1/sprites/s");
}

#[test]
fn only_websocket_operations_get_websocket_urls() {
    let ws = [
        "ExecConnect",
        "ExecAttach/path",
        "ExecAttach/legacy",
        "ControlConnect",
        "OpenProxy",
        "FsWatch",
    ];
    for (name, req) in every_request(&endpoint()) {
        assert_eq!(
            req.is_websocket(),
            ws.contains(&name),
            "{name}: {}",
            req.url
        );
    }
}

#[test]
fn empty_sprite_name_is_refused_by_every_sprite_operation() {
    let ep = endpoint();
    let fs = || FsPath::new("", "/x");
    let results: Vec<(&str, Result<Request>)> = vec![
        ("CreateSprite", CreateSprite::new("").request(&ep)),
        ("GetSprite", GetSprite::new("").request(&ep)),
        (
            "UpdateSprite",
            UpdateSprite {
                sprite: String::new(),
                update: UpdateSpriteRequest::default(),
            }
            .request(&ep),
        ),
        ("DeleteSprite", DeleteSprite::new("").request(&ep)),
        ("UpgradeSprite", UpgradeSprite::new("").request(&ep)),
        ("ExecConnect", exec_connect("").request(&ep)),
        ("ExecAttach", attach("", "7", AttachForm::Path).request(&ep)),
        ("ListSessions", ListSessions::new("").request(&ep)),
        ("ExecVersionProbe", ExecVersionProbe::new("").request(&ep)),
        (
            "HttpExec",
            HttpExec {
                sprite: String::new(),
                ..http_exec(b"")
            }
            .request(&ep),
        ),
        ("KillSession", kill("", "7").request(&ep)),
        (
            "ControlConnect",
            ControlConnect { sprite: "".into() }.request(&ep),
        ),
        ("OpenProxy", OpenProxy { sprite: "".into() }.request(&ep)),
        (
            "CreateCheckpoint",
            CreateCheckpoint {
                sprite: String::new(),
                comment: None,
            }
            .request(&ep),
        ),
        (
            "ListCheckpoints",
            ListCheckpoints {
                sprite: String::new(),
                options: ListCheckpointsOptions::default(),
            }
            .request(&ep),
        ),
        ("GetCheckpoint", GetCheckpoint::new("", "v1").request(&ep)),
        (
            "RestoreCheckpoint",
            RestoreCheckpoint::new("", "v1").request(&ep),
        ),
        (
            "DeleteCheckpoint",
            DeleteCheckpoint::new("", "v1").request(&ep),
        ),
        ("ListServices", ListServices::new("").request(&ep)),
        ("GetService", get_service("", "web").request(&ep)),
        ("DeleteService", delete_service("", "web").request(&ep)),
        (
            "SignalService",
            SignalService {
                sprite: String::new(),
                ..signal_service("web")
            }
            .request(&ep),
        ),
        ("GetNetworkPolicy", GetNetworkPolicy::new("").request(&ep)),
        (
            "SetNetworkPolicy",
            SetNetworkPolicy {
                sprite: String::new(),
                policy: NetworkPolicy::default(),
            }
            .request(&ep),
        ),
        (
            "JsonPolicy",
            JsonPolicy {
                sprite: String::new(),
                kind: PolicyKind::Privileges,
                action: JsonPolicyAction::Get,
            }
            .request(&ep),
        ),
        ("FsRead", FsRead(fs()).request(&ep)),
        (
            "FsList",
            FsList {
                target: fs(),
                recursive: false,
            }
            .request(&ep),
        ),
        ("FsWatch", FsWatch { sprite: "".into() }.request(&ep)),
    ];
    for (name, result) in results {
        match result {
            Err(Error::InvalidArgument(msg)) => assert!(msg.contains("sprite name"), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

// =========================================================================================
// §3 Token minting
// =========================================================================================

#[test]
fn create_token_request_is_exact() {
    let req = CreateToken::new("acme", MACAROON)
        .request(&endpoint())
        .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, format!("{API}/organizations/acme/tokens"));
    assert_eq!(
        req.headers,
        vec![
            ("authorization", format!("FlyV1 {MACAROON}")),
            ("user-agent", user_agent()),
            ("content-type", "application/json".to_string()),
        ]
    );
    assert_eq!(&req.body[..], br#"{"description":"Sprite SDK Token"}"#);
}

#[test]
fn create_token_never_sends_the_bearer_token() {
    let req = CreateToken::new("acme", MACAROON)
        .request(&endpoint())
        .unwrap();
    assert!(req.headers.iter().all(|(_, v)| !v.contains(TOKEN)));
}

#[test]
fn create_token_does_not_double_the_flyv1_prefix() {
    let req = CreateToken::new("acme", format!("FlyV1 {MACAROON}"))
        .request(&endpoint())
        .unwrap();
    assert_eq!(
        req.header("authorization"),
        Some(format!("FlyV1 {MACAROON}").as_str())
    );
}

#[test]
fn create_token_sends_description_and_invite_code() {
    let mut op = CreateToken::new("acme", MACAROON);
    op.description = Some("ci".into());
    op.invite_code = Some("inv-1".into());
    let req = op.request(&endpoint()).unwrap();
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body, json!({"description": "ci", "invite_code": "inv-1"}));
}

#[test]
fn create_token_encodes_the_org_slug() {
    for (raw, encoded) in HOSTILE {
        let req = CreateToken::new(raw, MACAROON)
            .request(&endpoint())
            .unwrap();
        assert_eq!(req.url, format!("{API}/organizations/{encoded}/tokens"));
    }
}

#[test]
fn create_token_accepts_200_and_201() {
    let op = CreateToken::new("acme", MACAROON);
    for status in [200, 201] {
        let token = op
            .parse(Response::new(status, r#"{"token":"acme/1ef8/abc"}"#))
            .unwrap();
        assert_eq!(token, "acme/1ef8/abc");
    }
}

#[test]
fn create_token_rejects_wrong_2xx_and_empty_token() {
    let op = CreateToken::new("acme", MACAROON);
    assert_protocol(op.parse(Response::new(204, "")));
    assert_protocol(op.parse(Response::new(200, r#"{"token":""}"#)));
    assert_protocol(op.parse(Response::new(200, "{}")));
}

#[test]
fn create_token_maps_error_statuses() {
    let op = CreateToken::new("acme", MACAROON);
    assert_maps_error_statuses("CreateToken", |r| op.parse(r));
}

#[test]
fn create_token_refuses_empty_org_or_macaroon() {
    assert_invalid(
        CreateToken::new("", MACAROON).request(&endpoint()),
        "organization slug",
    );
    assert_invalid(
        CreateToken::new("acme", "").request(&endpoint()),
        "macaroon",
    );
}

#[test]
fn create_token_refuses_a_blank_macaroon() {
    for blank in ["FlyV1 ", "  \n", " FlyV1  "] {
        assert_invalid(
            CreateToken::new("acme", blank).request(&endpoint()),
            "macaroon",
        );
    }
}

#[test]
fn create_token_debug_hides_macaroon_and_invite_code() {
    let mut op = CreateToken::new("acme", MACAROON);
    op.invite_code = Some("INVITE-SECRET".into());
    let dbg = format!("{op:?}");
    assert!(!dbg.contains(MACAROON), "{dbg}");
    assert!(!dbg.contains("INVITE-SECRET"), "{dbg}");
    assert!(dbg.contains("acme"), "{dbg}");
}

#[test]
fn create_token_uses_http1_and_is_not_retried() {
    let op = CreateToken::new("acme", MACAROON);
    assert!(op.requires_http1());
    assert!(!op.is_idempotent());
    assert_eq!(op.timeout_class(), TimeoutClass::Default);
}

// =========================================================================================
// §4 Sprites
// =========================================================================================

#[test]
fn create_sprite_request_is_exact() {
    let req = CreateSprite::new("dev").request(&endpoint()).unwrap();
    assert_request(
        &req,
        Method::Post,
        &format!("{API}/sprites"),
        Some("application/json"),
    );
    assert_eq!(&req.body[..], br#"{"name":"dev"}"#);
}

#[test]
fn create_sprite_sends_every_option() {
    let op = CreateSprite(CreateSpriteRequest {
        name: "dev".into(),
        config: Some(SpriteConfig {
            ram_mb: Some(2048),
            cpus: Some(2),
            region: Some("ord".into()),
            storage_gb: None,
        }),
        environment: [("A".to_string(), "1".to_string())].into(),
        labels: vec!["prod".into()],
        url_settings: Some(UrlSettings {
            auth: UrlAuth::Public,
            private_access: None,
        }),
        wait_for_capacity: true,
        runtime: Some("dev".into()),
    });
    let req = op.request(&endpoint()).unwrap();
    assert_json_request(
        &req,
        Method::Post,
        &format!("{API}/sprites"),
        json!({
            "name": "dev",
            "config": {"ram_mb": 2048, "cpus": 2, "region": "ord"},
            "environment": {"A": "1"},
            "labels": ["prod"],
            "url_settings": {"auth": "public"},
            "wait_for_capacity": true,
            "runtime": "dev",
        }),
    );
}

#[test]
fn create_sprite_sends_a_hostile_name_in_the_body_only() {
    let req = CreateSprite::new("a/b?c").request(&endpoint()).unwrap();
    assert_eq!(req.url, format!("{API}/sprites"));
    assert_eq!(&req.body[..], br#"{"name":"a/b?c"}"#);
}

#[test]
fn create_sprite_accepts_201_and_200() {
    let body = r#"{"id":"sprite-1","name":"dev","status":"cold","organization":"acme","url_settings":{"auth":"sprite"},"version":null}"#;
    for status in [201, 200] {
        let info = CreateSprite::new("dev")
            .parse(Response::new(status, body))
            .unwrap();
        assert_eq!(info.name, "dev");
        assert_eq!(info.status, SpriteStatus::Cold);
    }
}

#[test]
fn create_sprite_rejects_wrong_2xx_and_malformed_body() {
    let op = CreateSprite::new("dev");
    assert_protocol(op.parse(Response::new(204, "")));
    assert_protocol(op.parse(Response::new(201, "not json")));
}

#[test]
fn create_sprite_maps_error_statuses() {
    let op = CreateSprite::new("dev");
    assert_maps_error_statuses("CreateSprite", |r| op.parse(r));
}

#[test]
fn create_sprite_rate_limit_carries_body_details() {
    let body = r#"{"error":"concurrent_sprite_limit_exceeded","message":"too many","limit":3,"current_count":3,"retry_after_seconds":60}"#;
    let e = CreateSprite::new("dev")
        .parse(Response::new(429, body))
        .unwrap_err();
    let Error::RateLimited(a) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(a.code.as_deref(), Some("concurrent_sprite_limit_exceeded"));
    assert_eq!(a.message, "too many");
    assert_eq!(a.retry_after, Some(Duration::from_secs(60)));
    assert_eq!(a.rate_limit.as_ref().unwrap().current_count, Some(3));
}

#[test]
fn create_sprite_validation_errors_array_is_read() {
    let e = CreateSprite::new("BAD")
        .parse(Response::new(
            400,
            r#"{"errors":["invalid sprite name format"]}"#,
        ))
        .unwrap_err();
    let Error::Api(a) = &e else { panic!("{e:?}") };
    assert_eq!(a.errors, ["invalid sprite name format"]);
    assert_eq!(a.message, "invalid sprite name format");
}

#[test]
fn list_sprites_without_options_has_no_query() {
    let req = ListSprites::default().request(&endpoint()).unwrap();
    assert_bodyless(&req, Method::Get, &format!("{API}/sprites"));
}

#[test]
fn list_sprites_encodes_every_query_value() {
    let op = ListSprites(ListOptions {
        max_results: Some(100),
        continuation_token: Some("t/1+2=3&x".into()),
        prefix: Some("my dev?#".into()),
    });
    let req = op.request(&endpoint()).unwrap();
    assert_bodyless(
        &req,
        Method::Get,
        &format!(
            "{API}/sprites?prefix=my%20dev%3F%23&max_results=100&continuation_token=t%2F1%2B2%3D3%26x"
        ),
    );
}

#[test]
fn list_sprites_parses_a_page() {
    let body = r#"{"sprites":[{"name":"a","status":"running"},{"name":"b","org_slug":"acme"}],"has_more":true,"next_continuation_token":null}"#;
    let page = ListSprites::default()
        .parse(Response::new(200, body))
        .unwrap();
    let names: Vec<&str> = page.sprites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(page.has_more);
    assert_eq!(page.next_continuation_token, None);
}

#[test]
fn list_sprites_rejects_wrong_2xx_and_maps_errors() {
    let op = ListSprites::default();
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("ListSprites", |r| op.parse(r));
}

#[test]
fn get_sprite_request_is_exact() {
    let req = GetSprite::new("dev").request(&endpoint()).unwrap();
    assert_bodyless(&req, Method::Get, &format!("{API}/sprites/dev"));
}

#[test]
fn sprite_names_are_percent_encoded_in_the_path() {
    for (raw, encoded) in HOSTILE {
        let ep = endpoint();
        let cases = [
            (GetSprite::new(raw).request(&ep), ""),
            (UpgradeSprite::new(raw).request(&ep), "/upgrade"),
            (ListSessions::new(raw).request(&ep), "/exec"),
            (ListServices::new(raw).request(&ep), "/services"),
            (GetNetworkPolicy::new(raw).request(&ep), "/policy/network"),
        ];
        for (req, suffix) in cases {
            assert_eq!(
                req.unwrap().url,
                format!("{API}/sprites/{encoded}{suffix}"),
                "{raw:?}"
            );
        }
        let ws = OpenProxy { sprite: raw.into() }.request(&ep).unwrap();
        assert_eq!(ws.url, format!("{WSS}/sprites/{encoded}/proxy"), "{raw:?}");
    }
}

#[test]
fn get_sprite_parses_info_and_rejects_wrong_2xx() {
    let op = GetSprite::new("dev");
    let info = op
        .parse(Response::new(
            200,
            r#"{"id":"sprite-1","name":"dev","status":"warm"}"#,
        ))
        .unwrap();
    assert_eq!(
        (info.id.as_str(), info.status),
        ("sprite-1", SpriteStatus::Warm)
    );
    assert_protocol(op.parse(Response::new(201, r#"{"name":"dev"}"#)));
}

#[test]
fn get_sprite_maps_error_statuses() {
    let op = GetSprite::new("dev");
    assert_maps_error_statuses("GetSprite", |r| op.parse(r));
}

#[test]
fn update_sprite_request_is_exact() {
    let req = update_sprite().request(&endpoint()).unwrap();
    assert_json_request(
        &req,
        Method::Put,
        &format!("{API}/sprites/s"),
        json!({"url_settings": {"auth": "public"}, "labels": ["prod"]}),
    );
}

#[test]
fn update_sprite_sends_clear_labels_only_when_set() {
    let op = UpdateSprite {
        sprite: "s".into(),
        update: UpdateSpriteRequest {
            clear_labels: true,
            ..UpdateSpriteRequest::default()
        },
    };
    let req = op.request(&endpoint()).unwrap();
    assert_eq!(&req.body[..], br#"{"clear_labels":true}"#);
}

#[test]
fn update_sprite_accepts_only_200() {
    let op = update_sprite();
    let info = op.parse(Response::new(200, r#"{"name":"s"}"#)).unwrap();
    assert_eq!(info.name, "s");
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("UpdateSprite", |r| op.parse(r));
}

#[test]
fn delete_sprite_request_is_exact() {
    let req = DeleteSprite::new("dev").request(&endpoint()).unwrap();
    assert_bodyless(&req, Method::Delete, &format!("{API}/sprites/dev"));
}

#[test]
fn delete_sprite_accepts_204_and_200() {
    let op = DeleteSprite::new("dev");
    op.parse(ok_status(204)).unwrap();
    op.parse(Response::new(200, "{}")).unwrap();
    assert_protocol(op.parse(ok_status(201)));
}

#[test]
fn delete_sprite_maps_error_statuses() {
    let op = DeleteSprite::new("dev");
    assert_maps_error_statuses("DeleteSprite", |r| op.parse(r));
}

#[test]
fn upgrade_sprite_request_is_exact() {
    let req = UpgradeSprite::new("dev").request(&endpoint()).unwrap();
    assert_bodyless(&req, Method::Post, &format!("{API}/sprites/dev/upgrade"));
}

#[test]
fn upgrade_sprite_accepts_200_and_204() {
    let op = UpgradeSprite::new("dev");
    op.parse(ok_status(200)).unwrap();
    op.parse(ok_status(204)).unwrap();
    assert_protocol(op.parse(ok_status(202)));
    assert_maps_error_statuses("UpgradeSprite", |r| op.parse(r));
}

#[test]
fn get_version_request_and_parse() {
    let op = GetVersion;
    let req = op.request(&endpoint()).unwrap();
    assert_bodyless(&req, Method::Get, &format!("{API}/version"));
    let v = op
        .parse(Response::new(200, r#"{"version":"v0.0.1-rc46"}"#))
        .unwrap();
    assert_eq!(v.version, "v0.0.1-rc46");
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("GetVersion", |r| op.parse(r));
}

#[test]
fn sprite_operations_retry_and_timeout_classes() {
    assert_eq!(
        classes(&CreateSprite::new("s")),
        (false, TimeoutClass::Create)
    );
    assert_eq!(
        classes(&ListSprites::default()),
        (true, TimeoutClass::Default)
    );
    assert_eq!(classes(&GetSprite::new("s")), (true, TimeoutClass::Default));
    assert_eq!(classes(&update_sprite()), (true, TimeoutClass::Default));
    assert_eq!(
        classes(&DeleteSprite::new("s")),
        (true, TimeoutClass::Default)
    );
    assert_eq!(
        classes(&UpgradeSprite::new("s")),
        (true, TimeoutClass::Create)
    );
    assert_eq!(classes(&GetVersion), (true, TimeoutClass::Default));
    assert!(!CreateSprite::new("s").requires_http1());
}

// =========================================================================================
// §5 Exec
// =========================================================================================

#[test]
fn exec_connect_request_is_exact() {
    let spec = CommandSpec::new(["bash", "-c", "echo a&b=c"])
        .path("/bin/bash")
        .env("PATH", "/usr/bin")
        .env("X", "1 2")
        .dir("/home/sprite/my dir")
        .tty(true)
        .size(40, 120)
        .stdin(true)
        .max_run_after_disconnect(Duration::from_secs(10));
    let req = ExecConnect {
        sprite: "s".into(),
        spec,
    }
    .request(&endpoint())
    .unwrap();
    assert_upgrade(
        &req,
        &format!(
            "{WSS}/sprites/s/exec?cmd=bash&cmd=-c&cmd=echo%20a%26b%3Dc&path=%2Fbin%2Fbash\
             &env=PATH%3D%2Fusr%2Fbin&env=X%3D1%202&dir=%2Fhome%2Fsprite%2Fmy%20dir\
             &tty=true&rows=40&cols=120&stdin=true&max_run_after_disconnect=10s"
        ),
    );
}

#[test]
fn exec_connect_encodes_a_hostile_sprite_name() {
    for (raw, encoded) in HOSTILE {
        let req = exec_connect(raw).request(&endpoint()).unwrap();
        assert_eq!(
            req.url,
            format!("{WSS}/sprites/{encoded}/exec?cmd=echo&cmd=hi&stdin=false")
        );
    }
}

#[test]
fn exec_connect_refuses_empty_argv() {
    let op = ExecConnect {
        sprite: "s".into(),
        spec: CommandSpec::new(Vec::<String>::new()),
    };
    assert_invalid(op.request(&endpoint()), "argv");
    let op = ExecConnect {
        sprite: "s".into(),
        spec: CommandSpec::new([""]),
    };
    assert_invalid(op.request(&endpoint()), "argv");
}

#[test]
fn exec_connect_upgrade_failure_maps_error_statuses() {
    let op = exec_connect("s");
    assert_maps_error_statuses("ExecConnect", |r| as_err(op.error(r)));
}

#[test]
fn exec_attach_path_form_encodes_the_session_id() {
    for (raw, encoded) in HOSTILE {
        let req = attach("s", raw, AttachForm::Path)
            .request(&endpoint())
            .unwrap();
        assert_upgrade(&req, &format!("{WSS}/sprites/s/exec/{encoded}"));
    }
}

#[test]
fn exec_attach_legacy_form_encodes_the_session_id_in_the_query() {
    for (raw, encoded) in HOSTILE {
        let req = attach("s", raw, AttachForm::Legacy)
            .request(&endpoint())
            .unwrap();
        assert_upgrade(&req, &format!("{WSS}/sprites/s/exec?id={encoded}"));
    }
}

#[test]
fn exec_attach_refuses_empty_session_id() {
    for form in [AttachForm::Path, AttachForm::Legacy] {
        assert_invalid(attach("s", "", form).request(&endpoint()), "session id");
    }
}

#[test]
fn exec_attach_upgrade_failure_maps_404_to_not_found() {
    let op = attach("s", "332", AttachForm::Path);
    let e = op.error(Response::new(404, "session not found: 332"));
    assert!(matches!(&e, Error::NotFound(a) if a.message == "session not found: 332"));
}

#[test]
fn list_sessions_request_is_exact() {
    let req = ListSessions::new("s").request(&endpoint()).unwrap();
    assert_bodyless(&req, Method::Get, &format!("{API}/sprites/s/exec"));
}

#[test]
fn list_sessions_parses_the_live_shape() {
    let body = r#"{"count":1,"sessions":[{"id":"15","command":"sleep 120","workdir":"/home/sprite","created":"2026-08-04T00:00:00Z","tty":false,"bytes_per_second":0,"is_active":false,"last_activity":"2026-08-04T00:00:01Z"}]}"#;
    let sessions = ListSessions::new("s")
        .parse(Response::new(200, body))
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].id(), "15");
    assert_eq!(sessions[0].command, "sleep 120");
    assert_eq!(sessions[0].workdir.as_deref(), Some("/home/sprite"));
}

#[test]
fn list_sessions_rejects_wrong_2xx_and_maps_errors() {
    let op = ListSessions::new("s");
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("ListSessions", |r| op.parse(r));
}

#[test]
fn exec_version_probe_is_a_bodyless_head() {
    let req = ExecVersionProbe::new("s").request(&endpoint()).unwrap();
    assert_bodyless(&req, Method::Head, &format!("{API}/sprites/s/exec"));
}

#[test]
fn exec_version_probe_reads_the_header_whatever_the_status() {
    let op = ExecVersionProbe::new("s");
    for status in [200, 404, 405, 500] {
        let v = op
            .parse(Response::new(status, "").with_header("Sprite-Version", "v0.0.1-rc31"))
            .unwrap();
        assert_eq!(v.as_deref(), Some("v0.0.1-rc31"), "status {status}");
    }
    assert_eq!(op.parse(ok_status(200)).unwrap(), None);
}

#[test]
fn http_exec_request_with_stdin_is_exact() {
    let op = HttpExec {
        sprite: "s".into(),
        spec: CommandSpec::new(["sh", "-c", "cat >/tmp/x"])
            .env("PATH", "/bin")
            .dir("/tmp")
            .tty(true)
            .size(10, 20)
            .max_run_after_disconnect(Duration::from_secs(5)),
        stdin: Bytes::from_static(b"\x00raw\xffbytes"),
    };
    let req = op.request(&endpoint()).unwrap();
    assert_request(
        &req,
        Method::Post,
        &format!(
            "{API}/sprites/s/exec?cmd=sh&cmd=-c&cmd=cat%20%3E%2Ftmp%2Fx&env=PATH%3D%2Fbin&dir=%2Ftmp&stdin=true"
        ),
        Some("application/octet-stream"),
    );
    assert_eq!(&req.body[..], b"\x00raw\xffbytes");
}

#[test]
fn http_exec_without_stdin_sends_stdin_false_and_no_body() {
    let req = http_exec(b"").request(&endpoint()).unwrap();
    assert_bodyless(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/exec?cmd=cat&stdin=false"),
    );
}

#[test]
fn http_exec_refuses_empty_argv() {
    let op = HttpExec {
        spec: CommandSpec::new(Vec::<String>::new()),
        ..http_exec(b"")
    };
    assert_invalid(op.request(&endpoint()), "argv");
}

#[test]
fn http_exec_parses_framed_output() {
    let mut body = Vec::new();
    encode_stdout(b"hi\n", &mut body);
    encode_stderr(b"oops", &mut body);
    encode_stdout(b"more", &mut body);
    encode_exit(3, &mut body);
    let out = http_exec(b"").parse(Response::new(200, body)).unwrap();
    assert_eq!(out.stdout, b"hi\nmore");
    assert_eq!(out.stderr, b"oops");
    assert_eq!(out.status, 3);
}

#[test]
fn http_exec_body_without_exit_is_a_protocol_error() {
    let mut body = Vec::new();
    encode_stdout(b"partial", &mut body);
    assert_protocol(http_exec(b"").parse(Response::new(200, body)));
}

#[test]
fn http_exec_rejects_wrong_2xx_and_maps_errors() {
    let op = http_exec(b"");
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("HttpExec", |r| op.parse(r));
}

#[test]
fn kill_session_without_options_has_no_query() {
    let req = kill("s", "332").request(&endpoint()).unwrap();
    assert_bodyless(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/exec/332/kill"),
    );
}

#[test]
fn kill_session_sends_signal_and_timeout() {
    let op = KillSession {
        signal: Some(Signal::SIGINT),
        timeout: Some(Duration::ZERO),
        ..kill("s", "332")
    };
    let req = op.request(&endpoint()).unwrap();
    assert_bodyless(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/exec/332/kill?signal=SIGINT&timeout=0s"),
    );
}

#[test]
fn kill_session_encodes_the_session_id() {
    for (raw, encoded) in HOSTILE {
        let req = kill("s", raw).request(&endpoint()).unwrap();
        assert_eq!(req.url, format!("{API}/sprites/s/exec/{encoded}/kill"));
    }
}

#[test]
fn kill_session_refuses_empty_session_id() {
    assert_invalid(kill("s", "").request(&endpoint()), "session id");
}

#[test]
fn kill_session_410_gone_is_success_without_events() {
    let op = kill("s", "332");
    assert_eq!(op.start(200), StreamStart::Events);
    assert_eq!(op.start(410), StreamStart::Empty);
    for status in [201, 204, 400, 404, 500] {
        assert_eq!(op.start(status), StreamStart::Error, "status {status}");
    }
}

#[test]
fn kill_session_error_answers_are_mapped() {
    let op = kill("s", "332");
    assert_maps_error_statuses("KillSession", |r| as_err(op.error(r)));
    let e = op.error(Response::new(400, r#"unknown signal "SIGBOGUS""#));
    assert!(matches!(&e, Error::Api(a) if a.status == 400));
}

#[test]
fn kill_session_decodes_the_kill_stream() {
    let body = concat!(
        r#"{"type":"signal","message":"Signaling SIGTERM to process group 1847","pid":1847,"signal":"SIGTERM"}"#,
        "\n",
        r#"{"type":"exited","message":"Process exited"}"#,
        "\n",
        r#"{"type":"complete","exit_code":143}"#,
        "\n",
    );
    let events: Vec<KillEvent> = kill("s", "1847")
        .decoder()
        .decode_all(body.as_bytes())
        .into_iter()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(
        events,
        [
            KillEvent::Signal {
                message: "Signaling SIGTERM to process group 1847".into(),
                signal: Some("SIGTERM".into()),
                pid: Some(1847),
            },
            KillEvent::Exited {
                message: "Process exited".into()
            },
            KillEvent::Complete { exit_code: 143 },
        ]
    );
}

#[test]
fn control_connect_request_is_exact() {
    let req = ControlConnect { sprite: "s".into() }
        .request(&endpoint())
        .unwrap();
    assert_upgrade(&req, &format!("{WSS}/sprites/s/control"));
}

#[test]
fn control_connect_404_means_unavailable() {
    let e = ControlConnect { sprite: "s".into() }.error(Response::new(404, ""));
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
}

#[test]
fn open_proxy_request_is_exact() {
    let req = OpenProxy { sprite: "s".into() }
        .request(&endpoint())
        .unwrap();
    assert_upgrade(&req, &format!("{WSS}/sprites/s/proxy"));
}

#[test]
fn open_proxy_upgrade_failure_maps_error_statuses() {
    let op = OpenProxy { sprite: "s".into() };
    assert_maps_error_statuses("OpenProxy", |r| as_err(op.error(r)));
}

#[test]
fn exec_operations_retry_and_timeout_classes() {
    assert_eq!(
        classes(&ListSessions::new("s")),
        (true, TimeoutClass::Default)
    );
    assert_eq!(
        classes(&ExecVersionProbe::new("s")),
        (true, TimeoutClass::Default)
    );
    assert_eq!(classes(&http_exec(b"")), (false, TimeoutClass::Stream));
    assert_eq!(
        stream_classes(&kill("s", "1")),
        (true, TimeoutClass::Stream)
    );
}

// =========================================================================================
// §8 Checkpoints
// =========================================================================================

#[test]
fn create_checkpoint_without_comment_sends_an_empty_object() {
    let req = create_checkpoint(None).request(&endpoint()).unwrap();
    assert_request(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/checkpoint"),
        Some("application/json"),
    );
    assert_eq!(&req.body[..], b"{}");
}

#[test]
fn create_checkpoint_sends_the_comment() {
    let req = create_checkpoint(Some("before \"upgrade\" é"))
        .request(&endpoint())
        .unwrap();
    assert_json_request(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/checkpoint"),
        json!({"comment": "before \"upgrade\" é"}),
    );
}

#[test]
fn create_checkpoint_leaves_out_an_empty_comment() {
    let req = create_checkpoint(Some("")).request(&endpoint()).unwrap();
    assert_eq!(&req.body[..], b"{}");
}

#[test]
fn create_checkpoint_stream_yields_the_new_id() {
    let op = create_checkpoint(None);
    assert_eq!(op.start(200), StreamStart::Events);
    let events: Vec<StreamMessage> = op
        .decoder()
        .decode_all(CHECKPOINT_CREATE.as_bytes())
        .into_iter()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(events.len(), 10);
    let ids: Vec<&str> = events
        .iter()
        .filter_map(StreamMessage::checkpoint_id)
        .collect();
    assert_eq!(ids, ["v1", "v1"]);
    assert!(events.last().unwrap().is_complete());
    assert_eq!(events.last().unwrap().checkpoint_id(), Some("v1"));
}

#[test]
fn create_checkpoint_non_200_answers_are_errors() {
    let op = create_checkpoint(None);
    for status in [201, 204, 404, 500] {
        assert_eq!(op.start(status), StreamStart::Error, "status {status}");
    }
    assert_maps_error_statuses("CreateCheckpoint", |r| as_err(op.error(r)));
}

#[test]
fn list_checkpoints_without_options_has_no_query() {
    let req = list_checkpoints().request(&endpoint()).unwrap();
    assert_bodyless(&req, Method::Get, &format!("{API}/sprites/s/checkpoints"));
}

#[test]
fn list_checkpoints_encodes_history_and_include_auto() {
    let op = ListCheckpoints {
        sprite: "s".into(),
        options: ListCheckpointsOptions {
            include_auto: true,
            history_filter: Some("v1&x=y #".into()),
        },
    };
    let req = op.request(&endpoint()).unwrap();
    assert_bodyless(
        &req,
        Method::Get,
        &format!("{API}/sprites/s/checkpoints?history=v1%26x%3Dy%20%23&includeAuto=true"),
    );
}

#[test]
fn list_checkpoints_parses_the_live_bare_array() {
    let body = concat!(
        r#"[{"id":"Current","create_time":"2026-01-31T15:39:04Z","is_auto":false},"#,
        r#"{"id":"v2","create_time":"2026-01-31T15:39:02Z","comment":"second checkpoint","is_auto":false},"#,
        r#"{"id":"v1","create_time":"2026-01-31T15:35:26Z","comment":"first checkpoint","is_auto":false},"#,
        r#"{"id":"v0","create_time":"2026-01-31T15:35:26Z","is_auto":false}]"#,
        "\n"
    );
    let list = list_checkpoints().parse(Response::new(200, body)).unwrap();
    let ids: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["Current", "v2", "v1", "v0"]);
    assert_eq!(list[1].comment.as_deref(), Some("second checkpoint"));
}

#[test]
fn list_checkpoints_rejects_text_plain_and_wrong_2xx() {
    let op = list_checkpoints();
    assert_protocol(op.parse(Response::new(200, "v1 v2\n")));
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("ListCheckpoints", |r| op.parse(r));
}

#[test]
fn get_checkpoint_encodes_the_checkpoint_id() {
    for (raw, encoded) in HOSTILE {
        let req = GetCheckpoint::new("s", raw).request(&endpoint()).unwrap();
        assert_bodyless(
            &req,
            Method::Get,
            &format!("{API}/sprites/s/checkpoints/{encoded}"),
        );
    }
}

#[test]
fn get_checkpoint_parses_one_checkpoint() {
    let body = r#"{"id":"v1","create_time":"2026-01-22T20:46:34Z","comment":"retrieve test","is_auto":false}"#;
    let c = GetCheckpoint::new("s", "v1")
        .parse(Response::new(200, body))
        .unwrap();
    assert_eq!(c.id, "v1");
    assert_eq!(c.comment.as_deref(), Some("retrieve test"));
    assert!(!c.is_auto);
}

#[test]
fn get_checkpoint_live_500_text_plain_is_an_api_error() {
    let op = GetCheckpoint::new("s", "nope");
    let e = op
        .parse(
            Response::new(
                500,
                "Failed to get checkpoint: failed to get checkpoint: checkpoint not found\n",
            )
            .with_header("content-type", "text/plain"),
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::Api(a) if a.message.ends_with("checkpoint not found")),
        "{e:?}"
    );
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("GetCheckpoint", |r| op.parse(r));
}

#[test]
fn restore_checkpoint_request_is_exact() {
    let req = RestoreCheckpoint::new("s", "v1")
        .request(&endpoint())
        .unwrap();
    assert_bodyless(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/checkpoints/v1/restore"),
    );
}

#[test]
fn restore_checkpoint_encodes_the_checkpoint_id() {
    for (raw, encoded) in HOSTILE {
        let req = RestoreCheckpoint::new(raw, raw)
            .request(&endpoint())
            .unwrap();
        assert_eq!(
            req.url,
            format!("{API}/sprites/{encoded}/checkpoints/{encoded}/restore")
        );
    }
}

#[test]
fn restore_checkpoint_error_line_is_a_stream_error() {
    let op = RestoreCheckpoint::new("s", "nonexistent");
    assert_eq!(op.start(200), StreamStart::Events);
    let mut events = op
        .decoder()
        .decode_all(RESTORE_UNKNOWN.as_bytes())
        .into_iter();
    match events.next() {
        Some(Ok(StreamMessage::Info { data, .. })) => {
            assert_eq!(data, "Restoring from checkpoint nonexistent...")
        }
        other => panic!("{other:?}"),
    }
    match events.next() {
        Some(Err(Error::Stream { message })) => assert_eq!(
            message,
            "Failed to restore checkpoint: failed to get checkpoint: checkpoint not found"
        ),
        other => panic!("{other:?}"),
    }
    assert!(events.next().is_none());
}

#[test]
fn restore_checkpoint_non_200_answers_are_errors() {
    let op = RestoreCheckpoint::new("s", "v1");
    assert_eq!(op.start(204), StreamStart::Error);
    assert_maps_error_statuses("RestoreCheckpoint", |r| as_err(op.error(r)));
}

#[test]
fn delete_checkpoint_request_is_exact() {
    let req = DeleteCheckpoint::new("s", "v1")
        .request(&endpoint())
        .unwrap();
    assert_bodyless(
        &req,
        Method::Delete,
        &format!("{API}/sprites/s/checkpoints/v1"),
    );
}

#[test]
fn delete_checkpoint_accepts_204_and_200() {
    let op = DeleteCheckpoint::new("s", "v1");
    op.parse(ok_status(204)).unwrap();
    op.parse(ok_status(200)).unwrap();
    assert_protocol(op.parse(ok_status(201)));
    assert_maps_error_statuses("DeleteCheckpoint", |r| op.parse(r));
}

#[test]
fn checkpoint_operations_refuse_empty_checkpoint_id() {
    let ep = endpoint();
    assert_invalid(GetCheckpoint::new("s", "").request(&ep), "checkpoint id");
    assert_invalid(
        RestoreCheckpoint::new("s", "").request(&ep),
        "checkpoint id",
    );
    assert_invalid(DeleteCheckpoint::new("s", "").request(&ep), "checkpoint id");
}

#[test]
fn checkpoint_operations_retry_and_timeout_classes() {
    assert_eq!(
        stream_classes(&create_checkpoint(None)),
        (false, TimeoutClass::Stream)
    );
    assert_eq!(classes(&list_checkpoints()), (true, TimeoutClass::Default));
    assert_eq!(
        classes(&GetCheckpoint::new("s", "v1")),
        (true, TimeoutClass::Default)
    );
    assert_eq!(
        stream_classes(&RestoreCheckpoint::new("s", "v1")),
        (false, TimeoutClass::Stream)
    );
    assert_eq!(
        classes(&DeleteCheckpoint::new("s", "v1")),
        (true, TimeoutClass::Default)
    );
}

// =========================================================================================
// §9 Services
// =========================================================================================

#[test]
fn list_services_request_and_parse() {
    let op = ListServices::new("s");
    let req = op.request(&endpoint()).unwrap();
    assert_bodyless(&req, Method::Get, &format!("{API}/sprites/s/services"));
    let body = r#"[{"name":"web","cmd":"python3","args":["-m","http.server"],"needs":[],"http_port":8000,"state":{"name":"web","status":"running","pid":42}}]"#;
    let list = op.parse(Response::new(200, body)).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "web");
    assert_eq!(list[0].http_port, Some(8000));
    assert!(list[0].state.as_ref().unwrap().is_running());
}

#[test]
fn list_services_rejects_wrong_2xx_and_maps_errors() {
    let op = ListServices::new("s");
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("ListServices", |r| op.parse(r));
}

#[test]
fn service_names_are_percent_encoded_in_the_path() {
    let ep = endpoint();
    for (raw, encoded) in HOSTILE {
        let base = format!("{API}/sprites/{encoded}/services/{encoded}");
        let get = get_service(raw, raw).request(&ep).unwrap();
        assert_bodyless(&get, Method::Get, &base);
        let delete = delete_service(raw, raw).request(&ep).unwrap();
        assert_bodyless(&delete, Method::Delete, &base);
        let put = PutService {
            sprite: raw.into(),
            service: raw.into(),
            ..put_service(None)
        }
        .request(&ep)
        .unwrap();
        assert_eq!(put.url, base);
        let start = ServiceControl {
            sprite: raw.into(),
            service: raw.into(),
            ..service_control(ServiceAction::Start, None)
        }
        .request(&ep)
        .unwrap();
        assert_eq!(start.url, format!("{base}/start"));
        let logs = ServiceLogs {
            sprite: raw.into(),
            service: raw.into(),
            ..service_logs(None, None)
        }
        .request(&ep)
        .unwrap();
        assert_eq!(logs.url, format!("{base}/logs"));
    }
}

#[test]
fn get_service_parses_and_maps_errors() {
    let op = get_service("s", "web");
    let svc = op
        .parse(Response::new(200, r#"{"name":"web","cmd":"nginx"}"#))
        .unwrap();
    assert_eq!((svc.name.as_str(), svc.cmd.as_str()), ("web", "nginx"));
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("GetService", |r| op.parse(r));
}

#[test]
fn put_service_request_is_exact() {
    let req = put_service(None).request(&endpoint()).unwrap();
    assert_request(
        &req,
        Method::Put,
        &format!("{API}/sprites/s/services/web"),
        Some("application/json"),
    );
    assert_eq!(
        &req.body[..],
        br#"{"cmd":"python3","args":["-m","http.server"],"http_port":8000}"#
    );
}

#[test]
fn put_service_sends_every_definition_field() {
    let op = PutService {
        definition: ServiceRequest::new("/usr/bin/app")
            .arg("--port=8080")
            .need("db")
            .env("MODE", "prod")
            .dir("/srv"),
        ..put_service(None)
    };
    let req = op.request(&endpoint()).unwrap();
    assert_json_request(
        &req,
        Method::Put,
        &format!("{API}/sprites/s/services/web"),
        json!({
            "cmd": "/usr/bin/app",
            "args": ["--port=8080"],
            "needs": ["db"],
            "env": {"MODE": "prod"},
            "dir": "/srv",
        }),
    );
}

#[test]
fn put_service_sends_a_non_zero_duration_only() {
    let req = put_service(Some(Duration::from_secs(30)))
        .request(&endpoint())
        .unwrap();
    assert_eq!(
        req.url,
        format!("{API}/sprites/s/services/web?duration=30s")
    );
    let req = put_service(Some(Duration::ZERO))
        .request(&endpoint())
        .unwrap();
    assert_eq!(req.url, format!("{API}/sprites/s/services/web"));
}

#[test]
fn put_service_refuses_empty_cmd_and_empty_service_name() {
    let op = PutService {
        definition: ServiceRequest::default(),
        ..put_service(None)
    };
    assert_invalid(op.request(&endpoint()), "cmd");
    let op = PutService {
        service: String::new(),
        ..put_service(None)
    };
    assert_invalid(op.request(&endpoint()), "service name");
}

#[test]
fn put_service_conflict_and_stream_start() {
    let op = put_service(None);
    assert_eq!(op.start(200), StreamStart::Events);
    assert_eq!(op.start(201), StreamStart::Error);
    let e = op.error(Response::new(
        409,
        r#"{"error":"another service already has an HTTP port configured"}"#,
    ));
    assert!(matches!(e, Error::Conflict(_)), "{e:?}");
    assert_maps_error_statuses("PutService", |r| as_err(op.error(r)));
}

#[test]
fn put_service_decodes_service_events() {
    let body = concat!(
        r#"{"type":"started","timestamp":1780420274000}"#,
        "\n",
        r#"{"type":"stdout","data":"listening\n","timestamp":1780420274100}"#,
        "\n",
        r#"{"type":"complete","log_files":{"stdout":"/.sprite/logs/services/web.log"}}"#,
        "\n",
    );
    let events: Vec<_> = put_service(None)
        .decoder()
        .decode_all(body.as_bytes())
        .into_iter()
        .collect::<Result<_>>()
        .unwrap();
    let kinds: Vec<ServiceLogKind> = events.iter().map(|e| e.kind()).collect();
    assert_eq!(
        kinds,
        [
            ServiceLogKind::Started,
            ServiceLogKind::Stdout,
            ServiceLogKind::Complete
        ]
    );
    assert_eq!(events[1].data.as_deref(), Some("listening\n"));
}

#[test]
fn delete_service_accepts_204_and_200() {
    let op = delete_service("s", "web");
    op.parse(ok_status(204)).unwrap();
    op.parse(ok_status(200)).unwrap();
    assert_protocol(op.parse(ok_status(202)));
    assert_maps_error_statuses("DeleteService", |r| op.parse(r));
}

#[test]
fn service_start_and_restart_send_duration() {
    let d = Some(Duration::from_millis(1500));
    let start = service_control(ServiceAction::Start, d)
        .request(&endpoint())
        .unwrap();
    assert_bodyless(
        &start,
        Method::Post,
        &format!("{API}/sprites/s/services/web/start?duration=1.5s"),
    );
    let restart = service_control(ServiceAction::Restart, d)
        .request(&endpoint())
        .unwrap();
    assert_bodyless(
        &restart,
        Method::Post,
        &format!("{API}/sprites/s/services/web/restart?duration=1.5s"),
    );
}

#[test]
fn service_stop_sends_timeout() {
    let req = service_control(ServiceAction::Stop, Some(Duration::from_secs(10)))
        .request(&endpoint())
        .unwrap();
    assert_bodyless(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/services/web/stop?timeout=10s"),
    );
}

#[test]
fn service_control_without_duration_has_no_query() {
    for (action, word) in [
        (ServiceAction::Start, "start"),
        (ServiceAction::Stop, "stop"),
        (ServiceAction::Restart, "restart"),
    ] {
        for duration in [None, Some(Duration::ZERO)] {
            let req = service_control(action, duration)
                .request(&endpoint())
                .unwrap();
            assert_bodyless(
                &req,
                Method::Post,
                &format!("{API}/sprites/s/services/web/{word}"),
            );
        }
    }
}

#[test]
fn service_stop_not_running_is_a_conflict() {
    let op = service_control(ServiceAction::Stop, None);
    let e = op.error(Response::new(409, "service not running"));
    assert!(matches!(&e, Error::Conflict(a) if a.message == "service not running"));
    assert_maps_error_statuses("ServiceControl", |r| as_err(op.error(r)));
}

#[test]
fn service_logs_sends_lines_and_follow() {
    let req = service_logs(Some(50), Some(Duration::from_secs(60)))
        .request(&endpoint())
        .unwrap();
    assert_bodyless(
        &req,
        Method::Get,
        &format!("{API}/sprites/s/services/web/logs?lines=50&duration=1m0s"),
    );
    let req = service_logs(None, None).request(&endpoint()).unwrap();
    assert_bodyless(
        &req,
        Method::Get,
        &format!("{API}/sprites/s/services/web/logs"),
    );
}

#[test]
fn service_logs_error_line_is_a_stream_error() {
    let body = "{\"type\":\"stderr\",\"data\":\"warn\\n\"}\n{\"type\":\"error\",\"data\":\"log file unreadable\"}\n";
    let results = service_logs(None, None)
        .decoder()
        .decode_all(body.as_bytes());
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].as_ref().unwrap().kind(), ServiceLogKind::Stderr);
    assert!(
        matches!(&results[1], Err(Error::Stream { message }) if message == "log file unreadable")
    );
}

#[test]
fn service_operations_refuse_empty_service_name() {
    let ep = endpoint();
    assert_invalid(get_service("s", "").request(&ep), "service name");
    assert_invalid(delete_service("s", "").request(&ep), "service name");
    let control = ServiceControl {
        service: String::new(),
        ..service_control(ServiceAction::Restart, None)
    };
    assert_invalid(control.request(&ep), "service name");
    let logs = ServiceLogs {
        service: String::new(),
        ..service_logs(None, None)
    };
    assert_invalid(logs.request(&ep), "service name");
    assert_invalid(signal_service("").request(&ep), "service name");
}

#[test]
fn signal_service_request_is_exact() {
    let req = signal_service("web").request(&endpoint()).unwrap();
    assert_request(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/services/signal"),
        Some("application/json"),
    );
    assert_eq!(&req.body[..], br#"{"name":"web","signal":"HUP"}"#);
}

#[test]
fn signal_service_puts_a_hostile_name_in_the_body_only() {
    let req = signal_service("a/b?c").request(&endpoint()).unwrap();
    assert_json_request(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/services/signal"),
        json!({"name": "a/b?c", "signal": "HUP"}),
    );
}

#[test]
fn signal_service_accepts_204() {
    let op = signal_service("web");
    op.parse(ok_status(204)).unwrap();
    assert_protocol(op.parse(ok_status(201)));
    assert_maps_error_statuses("SignalService", |r| op.parse(r));
}

#[test]
fn service_operations_retry_and_timeout_classes() {
    assert_eq!(
        classes(&ListServices::new("s")),
        (true, TimeoutClass::Default)
    );
    assert_eq!(
        classes(&get_service("s", "w")),
        (true, TimeoutClass::Default)
    );
    assert_eq!(
        stream_classes(&put_service(None)),
        (false, TimeoutClass::Stream)
    );
    assert_eq!(
        classes(&delete_service("s", "w")),
        (true, TimeoutClass::Default)
    );
    for action in [
        ServiceAction::Start,
        ServiceAction::Stop,
        ServiceAction::Restart,
    ] {
        assert_eq!(
            stream_classes(&service_control(action, None)),
            (false, TimeoutClass::Stream),
            "{action:?}"
        );
    }
    assert_eq!(
        stream_classes(&service_logs(None, None)),
        (true, TimeoutClass::Stream)
    );
    assert_eq!(
        classes(&signal_service("w")),
        (false, TimeoutClass::Default)
    );
}

// =========================================================================================
// §10 Policies
// =========================================================================================

#[test]
fn get_network_policy_request_and_parse() {
    let op = GetNetworkPolicy::new("s");
    let req = op.request(&endpoint()).unwrap();
    assert_bodyless(
        &req,
        Method::Get,
        &format!("{API}/sprites/s/policy/network"),
    );
    let policy = op
        .parse(Response::new(
            200,
            r#"{"rules":[{"include":"defaults"},{"domain":"*","action":"deny"}]}"#,
        ))
        .unwrap();
    assert_eq!(policy.include, ["defaults"]);
    assert_eq!(policy.rules[0].action, PolicyAction::Deny);
    let empty = op.parse(Response::new(200, r#"{"rules":[]}"#)).unwrap();
    assert_eq!(empty, NetworkPolicy::default());
}

#[test]
fn get_network_policy_rejects_wrong_2xx_and_maps_errors() {
    let op = GetNetworkPolicy::new("s");
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_error_statuses("GetNetworkPolicy", |r| op.parse(r));
}

#[test]
fn set_network_policy_request_is_exact() {
    let req = set_network_policy().request(&endpoint()).unwrap();
    assert_request(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/policy/network"),
        Some("application/json"),
    );
    assert_eq!(
        &req.body[..],
        br#"{"rules":[{"include":"defaults"},{"domain":"api.github.com","action":"allow"},{"domain":"*","action":"deny"}]}"#
    );
}

#[test]
fn set_network_policy_accepts_204_and_200() {
    let op = set_network_policy();
    op.parse(ok_status(204)).unwrap();
    op.parse(ok_status(200)).unwrap();
    assert_protocol(op.parse(ok_status(201)));
}

#[test]
fn set_network_policy_invalid_policy_is_an_api_error() {
    let op = set_network_policy();
    let e = op
        .parse(Response::new(400, "invalid domain pattern"))
        .unwrap_err();
    assert!(matches!(&e, Error::Api(a) if a.message == "invalid domain pattern"));
    assert_maps_error_statuses("SetNetworkPolicy", |r| op.parse(r));
}

fn json_policy(kind: PolicyKind, action: JsonPolicyAction) -> JsonPolicy {
    JsonPolicy {
        sprite: "s".into(),
        kind,
        action,
    }
}

const POLICY_KINDS: [(PolicyKind, &str); 2] = [
    (PolicyKind::Privileges, "privileges"),
    (PolicyKind::Resources, "resources"),
];

#[test]
fn json_policy_get_requests_and_parse() {
    for (kind, word) in POLICY_KINDS {
        let op = json_policy(kind, JsonPolicyAction::Get);
        let req = op.request(&endpoint()).unwrap();
        assert_bodyless(&req, Method::Get, &format!("{API}/sprites/s/policy/{word}"));
        let v = op
            .parse(Response::new(200, r#"{"memory":{"limit_mb":4096}}"#))
            .unwrap();
        assert_eq!(v, json!({"memory": {"limit_mb": 4096}}), "{word}");
        assert_protocol(op.parse(ok_status(204)));
    }
}

#[test]
fn json_policy_set_requests_are_exact() {
    for (kind, word) in POLICY_KINDS {
        let value = json!({"memory": {"limit_mb": 4096, "autoscale": false}});
        let op = json_policy(kind, JsonPolicyAction::Set(value.clone()));
        let req = op.request(&endpoint()).unwrap();
        assert_json_request(
            &req,
            Method::Post,
            &format!("{API}/sprites/s/policy/{word}"),
            value,
        );
        assert_eq!(op.parse(ok_status(204)).unwrap(), Value::Null, "{word}");
        assert_eq!(op.parse(ok_status(200)).unwrap(), Value::Null, "{word}");
        assert_protocol(op.parse(ok_status(201)));
    }
}

#[test]
fn json_policy_delete_requests_are_exact() {
    for (kind, word) in POLICY_KINDS {
        let op = json_policy(kind, JsonPolicyAction::Delete);
        let req = op.request(&endpoint()).unwrap();
        assert_bodyless(
            &req,
            Method::Delete,
            &format!("{API}/sprites/s/policy/{word}"),
        );
        assert_eq!(op.parse(ok_status(204)).unwrap(), Value::Null, "{word}");
        assert_protocol(op.parse(ok_status(202)));
    }
}

#[test]
fn json_policy_maps_error_statuses() {
    for (kind, word) in POLICY_KINDS {
        for action in [
            JsonPolicyAction::Get,
            JsonPolicyAction::Set(json!({})),
            JsonPolicyAction::Delete,
        ] {
            let op = json_policy(kind, action);
            assert_maps_error_statuses(word, |r| op.parse(r));
        }
    }
}

#[test]
fn policy_operations_retry_and_timeout_classes() {
    assert_eq!(
        classes(&GetNetworkPolicy::new("s")),
        (true, TimeoutClass::Default)
    );
    assert_eq!(
        classes(&set_network_policy()),
        (true, TimeoutClass::Default)
    );
    for (kind, word) in POLICY_KINDS {
        for action in [
            JsonPolicyAction::Get,
            JsonPolicyAction::Set(json!({})),
            JsonPolicyAction::Delete,
        ] {
            let op = json_policy(kind, action);
            assert_eq!(classes(&op), (true, TimeoutClass::Default), "{word}");
        }
    }
}

// =========================================================================================
// §11 Filesystem
// =========================================================================================

#[test]
fn fs_read_request_defaults_working_dir_to_root() {
    let req = FsRead(FsPath::new("s", "/etc/hosts"))
        .request(&endpoint())
        .unwrap();
    assert_bodyless(
        &req,
        Method::Get,
        &format!("{API}/sprites/s/fs/read?path=%2Fetc%2Fhosts&workingDir=%2F"),
    );
}

#[test]
fn fs_paths_are_percent_encoded_in_the_query() {
    for (raw, encoded) in HOSTILE {
        let target = FsPath {
            sprite: raw.into(),
            path: raw.into(),
            working_dir: Some(raw.into()),
        };
        let req = FsRead(target).request(&endpoint()).unwrap();
        assert_eq!(
            req.url,
            format!("{API}/sprites/{encoded}/fs/read?path={encoded}&workingDir={encoded}")
        );
    }
}

#[test]
fn fs_read_accepts_200_and_206() {
    let op = FsRead(FsPath::new("s", "/x"));
    for status in [200, 206] {
        let bytes = op
            .parse(Response::new(status, &b"\x00\x01raw"[..]))
            .unwrap();
        assert_eq!(&bytes[..], b"\x00\x01raw");
    }
    assert_protocol(op.parse(ok_status(204)));
}

#[test]
fn fs_read_errors_are_filesystem_errors() {
    let op = FsRead(FsPath::new("s", "/x"));
    assert_maps_fs_errors("FsRead", "/x", |r| op.parse(r));
}

#[test]
fn fs_write_request_is_exact() {
    let op = FsWrite {
        target: FsPath {
            sprite: "s".into(),
            path: "notes/a b.txt".into(),
            working_dir: Some("/home/sprite".into()),
        },
        ..fs_write(Some(0o644))
    };
    let req = op.request(&endpoint()).unwrap();
    assert_request(
        &req,
        Method::Put,
        &format!(
            "{API}/sprites/s/fs/write?path=notes%2Fa%20b.txt&workingDir=%2Fhome%2Fsprite&mode=0644&mkdirParents=true"
        ),
        Some("application/octet-stream"),
    );
    assert_eq!(&req.body[..], b"hello\x00\xff");
}

#[test]
fn fs_write_without_mode_leaves_it_out() {
    let op = FsWrite {
        mkdir_parents: false,
        ..fs_write(None)
    };
    let req = op.request(&endpoint()).unwrap();
    assert_eq!(
        req.url,
        format!("{API}/sprites/s/fs/write?path=%2Fx&workingDir=%2F&mkdirParents=false")
    );
}

#[test]
fn fs_write_sends_special_bits_as_four_digits() {
    let req = fs_write(Some(0o4755)).request(&endpoint()).unwrap();
    assert!(req.url.contains("&mode=4755&"), "{}", req.url);
    let req = fs_write(Some(0o7)).request(&endpoint()).unwrap();
    assert!(req.url.contains("&mode=0007&"), "{}", req.url);
}

#[test]
fn fs_write_refuses_mode_beyond_7777() {
    assert_invalid(fs_write(Some(0o10000)).request(&endpoint()), "mode");
    assert_invalid(fs_write(Some(644 * 100)).request(&endpoint()), "mode");
    assert_invalid(format_mode(0o17777), "mode");
    assert_eq!(format_mode(0o7777).unwrap(), "7777");
}

#[test]
fn fs_write_parses_the_json_answer_on_200_and_201() {
    let op = fs_write(None);
    for status in [200, 201] {
        let w = op
            .parse(Response::new(
                status,
                r#"{"path":"/x","size":7,"mode":"0644"}"#,
            ))
            .unwrap();
        assert_eq!(
            (w.path.as_str(), w.size, w.mode.as_str()),
            ("/x", 7, "0644")
        );
    }
}

#[test]
fn fs_write_without_answer_body_reports_the_request() {
    let op = fs_write(None);
    for status in [200, 201, 204] {
        let w = op.parse(ok_status(status)).unwrap();
        assert_eq!((w.path.as_str(), w.size), ("/x", 7), "status {status}");
    }
}

#[test]
fn fs_write_rejects_wrong_2xx_and_maps_fs_errors() {
    let op = fs_write(None);
    assert_protocol(op.parse(ok_status(202)));
    assert_protocol(op.parse(Response::new(200, "not json")));
    assert_maps_fs_errors("FsWrite", "/x", |r| op.parse(r));
}

#[test]
fn fs_list_request_is_exact() {
    let op = FsList {
        target: FsPath::new("s", "/home"),
        recursive: true,
    };
    let req = op.request(&endpoint()).unwrap();
    assert_bodyless(
        &req,
        Method::Get,
        &format!("{API}/sprites/s/fs/list?path=%2Fhome&workingDir=%2F&recursive=true"),
    );
    let flat = FsList {
        recursive: false,
        ..op
    };
    assert_eq!(
        flat.request(&endpoint()).unwrap().url,
        format!("{API}/sprites/s/fs/list?path=%2Fhome&workingDir=%2F")
    );
}

#[test]
fn fs_list_parses_entries() {
    let op = FsList {
        target: FsPath::new("s", "/home"),
        recursive: false,
    };
    let body = r#"{"path":"/home","entries":[{"name":"sprite","path":"/home/sprite","type":"directory","size":4096,"mode":"755","modTime":"2026-01-31T10:00:00Z","isDir":true}],"count":1}"#;
    let list = op.parse(Response::new(200, body)).unwrap();
    assert_eq!(list.count, 1);
    assert_eq!(list.entries[0].path, "/home/sprite");
    assert_eq!(list.entries[0].mode_bits(), Some(0o755));
    assert!(list.entries[0].is_dir);
}

#[test]
fn fs_list_rejects_wrong_2xx_and_maps_fs_errors() {
    let op = FsList {
        target: FsPath::new("s", "/x"),
        recursive: false,
    };
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_fs_errors("FsList", "/x", |r| op.parse(r));
}

#[test]
fn fs_delete_request_is_exact() {
    let op = FsDelete {
        target: FsPath::new("s", "/tmp/d"),
        recursive: true,
    };
    let req = op.request(&endpoint()).unwrap();
    assert_bodyless(
        &req,
        Method::Delete,
        &format!("{API}/sprites/s/fs/delete?path=%2Ftmp%2Fd&workingDir=%2F&recursive=true"),
    );
}

#[test]
fn fs_delete_accepts_only_200() {
    let op = FsDelete {
        target: FsPath::new("s", "/x"),
        recursive: false,
    };
    let d = op
        .parse(Response::new(200, r#"{"deleted":["/x"],"count":1}"#))
        .unwrap();
    assert_eq!((d.deleted, d.count), (vec!["/x".to_string()], 1));
    assert_protocol(op.parse(ok_status(204)));
}

#[test]
fn fs_delete_not_empty_is_a_filesystem_error() {
    let op = FsDelete {
        target: FsPath::new("s", "/x"),
        recursive: false,
    };
    let e = op
        .parse(Response::new(
            400,
            r#"{"error":"directory not empty","code":"ENOTEMPTY"}"#,
        ))
        .unwrap_err();
    let Error::Filesystem(f) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(f.code, sprites_core::error::FsErrorCode::DirectoryNotEmpty);
    assert_eq!(f.path.as_deref(), Some("/x"));
    assert_maps_fs_errors("FsDelete", "/x", |r| op.parse(r));
}

#[test]
fn fs_rename_request_is_exact() {
    let req = fs_rename("/a").request(&endpoint()).unwrap();
    assert_request(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/fs/rename"),
        Some("application/json"),
    );
    assert_eq!(
        &req.body[..],
        br#"{"source":"/a","dest":"/b","workingDir":"/home/sprite"}"#
    );
}

#[test]
fn fs_rename_parses_and_maps_fs_errors() {
    let op = fs_rename("/a");
    let r = op
        .parse(Response::new(200, r#"{"source":"/a","dest":"/b"}"#))
        .unwrap();
    assert_eq!((r.source.as_str(), r.dest.as_str()), ("/a", "/b"));
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_fs_errors("FsRename", "/a", |r| op.parse(r));
}

#[test]
fn fs_copy_request_is_exact() {
    let req = fs_copy("/a").request(&endpoint()).unwrap();
    assert_json_request(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/fs/copy"),
        json!({"source": "/a", "dest": "/b", "recursive": true, "preserveAttrs": false, "asRoot": true}),
    );
}

#[test]
fn fs_copy_parses_and_maps_fs_errors() {
    let op = fs_copy("/a");
    let c = op
        .parse(Response::new(
            200,
            r#"{"copied":[{"source":"/a","dest":"/b"}],"count":1,"totalBytes":12}"#,
        ))
        .unwrap();
    assert_eq!((c.count, c.total_bytes), (1, 12));
    assert_eq!(c.copied[0].dest, "/b");
    assert_protocol(op.parse(ok_status(201)));
    assert_maps_fs_errors("FsCopy", "/a", |r| op.parse(r));
}

#[test]
fn fs_chmod_request_is_exact() {
    let req = fs_chmod("/srv").request(&endpoint()).unwrap();
    assert_json_request(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/fs/chmod"),
        json!({"path": "/srv", "workingDir": "/", "mode": "0755", "recursive": true}),
    );
}

#[test]
fn fs_chmod_refuses_a_mode_that_is_not_octal_up_to_7777() {
    for bad in ["", "17777", "0o755", "rwxr-xr-x", "0758", " 755"] {
        let mut op = fs_chmod("/srv");
        op.body.mode = bad.into();
        assert_invalid(op.request(&endpoint()), "mode");
    }
    for good in ["755", "0755", "7777", "0"] {
        let mut op = fs_chmod("/srv");
        op.body.mode = good.into();
        assert!(op.request(&endpoint()).is_ok(), "{good:?}");
    }
}

#[test]
fn fs_chmod_parses_and_maps_fs_errors() {
    let op = fs_chmod("/srv");
    let c = op
        .parse(Response::new(
            200,
            r#"{"affected":[{"path":"/srv","mode":"0755"}],"count":1}"#,
        ))
        .unwrap();
    assert_eq!(c.affected[0].mode, "0755");
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_fs_errors("FsChmod", "/srv", |r| op.parse(r));
}

#[test]
fn fs_chown_request_is_exact() {
    let req = fs_chown("/srv").request(&endpoint()).unwrap();
    assert_request(
        &req,
        Method::Post,
        &format!("{API}/sprites/s/fs/chown"),
        Some("application/json"),
    );
    assert_eq!(
        &req.body[..],
        br#"{"path":"/srv","uid":1000,"gid":null,"recursive":false}"#
    );
}

#[test]
fn fs_chown_parses_and_maps_fs_errors() {
    let op = fs_chown("/srv");
    let c = op
        .parse(Response::new(
            200,
            r#"{"affected":[{"path":"/srv","uid":1000,"gid":1000}],"count":1}"#,
        ))
        .unwrap();
    assert_eq!(
        (c.affected[0].uid, c.affected[0].gid),
        (Some(1000), Some(1000))
    );
    assert_protocol(op.parse(ok_status(204)));
    assert_maps_fs_errors("FsChown", "/srv", |r| op.parse(r));
}

#[test]
fn fs_operations_refuse_an_empty_path() {
    let ep = endpoint();
    let empty = || FsPath::new("s", "");
    assert_invalid(FsRead(empty()).request(&ep), "path");
    assert_invalid(
        FsWrite {
            target: empty(),
            ..fs_write(None)
        }
        .request(&ep),
        "path",
    );
    assert_invalid(
        FsList {
            target: empty(),
            recursive: false,
        }
        .request(&ep),
        "path",
    );
    assert_invalid(
        FsDelete {
            target: empty(),
            recursive: true,
        }
        .request(&ep),
        "path",
    );
    assert_invalid(fs_rename("").request(&ep), "path");
    assert_invalid(fs_copy("").request(&ep), "path");
    assert_invalid(fs_chmod("").request(&ep), "path");
    assert_invalid(fs_chown("").request(&ep), "path");
}

#[test]
fn fs_json_operations_encode_a_hostile_sprite_name() {
    let ep = endpoint();
    for (raw, encoded) in HOSTILE {
        let rename = FsRename {
            sprite: raw.into(),
            ..fs_rename("/a")
        };
        assert_eq!(
            rename.request(&ep).unwrap().url,
            format!("{API}/sprites/{encoded}/fs/rename")
        );
        let watch = FsWatch { sprite: raw.into() }.request(&ep).unwrap();
        assert_eq!(watch.url, format!("{WSS}/sprites/{encoded}/fs/watch"));
    }
}

#[test]
fn fs_watch_request_is_exact() {
    let req = FsWatch { sprite: "s".into() }.request(&endpoint()).unwrap();
    assert_upgrade(&req, &format!("{WSS}/sprites/s/fs/watch"));
    let e = FsWatch { sprite: "s".into() }.error(Response::new(404, ""));
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
}

#[test]
fn fs_operations_retry_and_timeout_classes() {
    let list = FsList {
        target: FsPath::new("s", "/x"),
        recursive: false,
    };
    let delete = FsDelete {
        target: list.target.clone(),
        recursive: false,
    };
    assert_eq!(
        classes(&FsRead(FsPath::new("s", "/x"))),
        (true, TimeoutClass::Transfer)
    );
    assert_eq!(classes(&fs_write(None)), (true, TimeoutClass::Transfer));
    assert_eq!(classes(&list), (true, TimeoutClass::Default));
    assert_eq!(classes(&delete), (true, TimeoutClass::Default));
    assert_eq!(classes(&fs_rename("/a")), (false, TimeoutClass::Default));
    assert_eq!(classes(&fs_copy("/a")), (true, TimeoutClass::Default));
    assert_eq!(classes(&fs_chmod("/a")), (true, TimeoutClass::Default));
    assert_eq!(classes(&fs_chown("/a")), (true, TimeoutClass::Default));
}

#[test]
fn watch_sprites_asks_for_ndjson_and_decodes_lines() {
    use sprites_core::ops::{StreamOperation, WatchSprites};
    let ep = sprites_core::request::Endpoint::new("https://api.sprites.dev/", "tok").unwrap();
    let op = WatchSprites(sprites_core::model::ListOptions {
        prefix: Some("web".into()),
        ..Default::default()
    });
    let req = op.request(&ep).unwrap();
    assert_eq!(req.url, "https://api.sprites.dev/v1/sprites?prefix=web");
    assert_eq!(req.header("accept"), Some("application/x-ndjson"));
    assert!(op.is_idempotent());
    let mut decoder = op.decoder();
    decoder.handle_slice(b"{\"name\":\"web-1\",\"status\":\"running\"}\n");
    let event = decoder.poll_event().unwrap().unwrap();
    assert_eq!(event["name"], "web-1");
}
