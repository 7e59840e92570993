//! A typed operation for every endpoint of the Sprites API (spec §2).
//!
//! Each operation is a plain value. It builds its exact [`Request`] from an [`Endpoint`] and
//! turns the answer into a typed result or an [`Error`], without doing any I/O. Adapters send
//! the request, collect the response, and call back into the operation:
//!
//! - [`Operation`]: a request with a buffered answer (JSON, bytes or nothing).
//! - [`StreamOperation`]: a request answered by an NDJSON stream (checkpoints, services, session
//!   kill): the adapter checks the status with [`StreamOperation::start`] and feeds the body to
//!   an [`NdjsonDecoder`].
//! - [`WsOperation`]: a WebSocket upgrade (exec, attach, control, proxy, fs watch).
//!
//! Every operation also says whether it is idempotent (safe to retry, see [`crate::retry`])
//! and which [`TimeoutClass`] it belongs to. Caller mistakes, such as an empty sprite name,
//! are an [`Error::InvalidArgument`] from `request()`: nothing is sent.
//!
//! ```
//! use sprites_core::ops::{DeleteSprite, Operation};
//! use sprites_core::request::Endpoint;
//! use sprites_core::response::Response;
//!
//! let endpoint = Endpoint::new("https://api.sprites.dev", "token").unwrap();
//! let op = DeleteSprite::new("my-sprite");
//! let request = op.request(&endpoint).unwrap();
//! assert_eq!(request.url, "https://api.sprites.dev/v1/sprites/my-sprite");
//! assert!(op.parse(Response::new(204, "")).is_ok());
//! assert!(op.parse(Response::new(404, r#"{"error":"sprite not found"}"#)).unwrap_err().is_not_found());
//! ```

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bytes::Bytes;
use core::time::Duration;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::exec::url::{AttachForm, CommandSpec};
use crate::http_exec::{HttpExecDecoder, HttpExecEvent};
use crate::model::{
    Checkpoint, CheckpointRequest, CreateSpriteRequest, FsChmodRequest, FsChmodResponse,
    FsChownRequest, FsChownResponse, FsCopyRequest, FsCopyResponse, FsDeleteResponse,
    FsListResponse, FsRenameRequest, FsRenameResponse, FsWriteResponse, KillEvent,
    ListCheckpointsOptions, ListCheckpointsResponse, ListOptions, ListSessionsResponse,
    ListSpritesResponse, NetworkPolicy, Output, Service, ServiceLogEntry, ServiceRequest,
    SessionInfo, Signal, SignalServiceRequest, SpriteInfo, StreamMessage, TokenRequest,
    TokenResponse, UpdateSpriteRequest, Version,
};
use crate::ndjson::NdjsonDecoder;
use crate::request::{require_name, Endpoint, Method, PathAndQuery, Request};
use crate::response::{decode_json, expect_status, Response};
use crate::time::format_go_duration;

/// How long an operation may take, by kind. Adapters map each class to a configured
/// duration ([`Timeouts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutClass {
    /// Plain JSON calls (30 s by default).
    Default,
    /// Sprite creation and upgrade, which may wait for capacity (120 s by default).
    Create,
    /// File transfers, whose duration grows with their size (5 min by default).
    Transfer,
    /// NDJSON streams: no overall deadline, but an idle limit between lines (60 s by default).
    Stream,
    /// WebSocket handshakes (30 s by default); the session itself has keepalive.
    WebSocket,
}

/// A duration for every [`TimeoutClass`]; `None` means no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// For [`TimeoutClass::Default`].
    pub default: Option<Duration>,
    /// For [`TimeoutClass::Create`].
    pub create: Option<Duration>,
    /// For [`TimeoutClass::Transfer`].
    pub transfer: Option<Duration>,
    /// Idle limit between lines for [`TimeoutClass::Stream`].
    pub stream_idle: Option<Duration>,
    /// For [`TimeoutClass::WebSocket`] handshakes.
    pub websocket: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            default: Some(Duration::from_secs(30)),
            create: Some(Duration::from_secs(120)),
            transfer: Some(Duration::from_secs(300)),
            stream_idle: Some(Duration::from_secs(60)),
            websocket: Some(Duration::from_secs(30)),
        }
    }
}

impl Timeouts {
    /// The duration for `class`.
    #[must_use]
    pub fn for_class(&self, class: TimeoutClass) -> Option<Duration> {
        match class {
            TimeoutClass::Default => self.default,
            TimeoutClass::Create => self.create,
            TimeoutClass::Transfer => self.transfer,
            TimeoutClass::Stream => self.stream_idle,
            TimeoutClass::WebSocket => self.websocket,
        }
    }
}

/// A request with a buffered answer.
pub trait Operation {
    /// The typed result.
    type Output;

    /// Builds the exact request. Fails, without sending anything, on caller mistakes.
    fn request(&self, endpoint: &Endpoint) -> Result<Request>;

    /// Turns the answer into the result or the error it describes.
    fn parse(&self, response: Response) -> Result<Self::Output>;

    /// Whether sending this request twice has the same effect as sending it once.
    fn is_idempotent(&self) -> bool;

    /// The timeout class.
    fn timeout_class(&self) -> TimeoutClass {
        TimeoutClass::Default
    }

    /// Whether the request must go over HTTP/1.1 (token minting: the edge rejects large
    /// HTTP/2 headers).
    fn requires_http1(&self) -> bool {
        false
    }
}

/// What a streaming answer's status means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamStart {
    /// Read the body as NDJSON events.
    Events,
    /// Success without events (for example `410 Gone` on killing an exited session).
    Empty,
    /// An error: read the (bounded) body and pass it to [`StreamOperation::error`].
    Error,
}

/// A request answered by an NDJSON stream of `Event`s.
pub trait StreamOperation {
    /// One line of the stream.
    type Event: DeserializeOwned;

    /// Builds the exact request.
    fn request(&self, endpoint: &Endpoint) -> Result<Request>;

    /// What the response status means for the body.
    fn start(&self, status: u16) -> StreamStart {
        if status == 200 {
            StreamStart::Events
        } else {
            StreamStart::Error
        }
    }

    /// The error an error answer describes.
    fn error(&self, response: Response) -> Error {
        response.into_error()
    }

    /// A decoder for the body.
    fn decoder(&self) -> NdjsonDecoder<Self::Event> {
        NdjsonDecoder::new()
    }

    /// Whether sending this request twice has the same effect as sending it once.
    fn is_idempotent(&self) -> bool;

    /// The timeout class (an idle limit between lines).
    fn timeout_class(&self) -> TimeoutClass {
        TimeoutClass::Stream
    }
}

/// A WebSocket upgrade.
pub trait WsOperation {
    /// Builds the upgrade request (`ws://` or `wss://`).
    fn request(&self, endpoint: &Endpoint) -> Result<Request>;

    /// The error a failed upgrade (an HTTP answer instead of `101`) describes.
    fn error(&self, response: Response) -> Error {
        response.into_error()
    }
}

fn sprite_path(name: &str) -> Result<PathAndQuery> {
    require_name("sprite name", name)?;
    Ok(PathAndQuery::v1().lit("sprites").seg(name))
}

fn with_json<T: Serialize>(mut req: Request, body: &T) -> Result<Request> {
    let json = serde_json::to_vec(body)
        .map_err(|e| Error::invalid_argument(alloc::format!("cannot encode body: {e}")))?;
    req.headers
        .push(("content-type", "application/json".into()));
    req.body = Bytes::from(json);
    Ok(req)
}

fn json_answer<T: DeserializeOwned>(resp: &Response, accepted: &[u16], what: &str) -> Result<T> {
    expect_status(resp, accepted)?;
    decode_json(&resp.body, what)
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

// ---------------------------------------------------------------------------------------
// §3 Tokens
// ---------------------------------------------------------------------------------------

/// `POST /v1/organizations/{org_slug}/tokens`: exchanges a Fly macaroon for a Sprites token.
/// Sent with `Authorization: FlyV1 <macaroon>` (not Bearer) over HTTP/1.1.
#[derive(Clone)]
pub struct CreateToken {
    /// The organization slug.
    pub org_slug: String,
    /// The Fly macaroon, without the `FlyV1 ` prefix.
    pub macaroon: String,
    /// The token description; `Sprite SDK Token` by default.
    pub description: Option<String>,
    /// An invite code, when the organization needs one.
    pub invite_code: Option<String>,
}

impl core::fmt::Debug for CreateToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CreateToken")
            .field("org_slug", &self.org_slug)
            .field("macaroon", &"<redacted>")
            .field("description", &self.description)
            .field(
                "invite_code",
                &self.invite_code.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl CreateToken {
    /// A token request for `org_slug` with `macaroon`.
    pub fn new(org_slug: impl Into<String>, macaroon: impl Into<String>) -> Self {
        CreateToken {
            org_slug: org_slug.into(),
            macaroon: macaroon.into(),
            description: None,
            invite_code: None,
        }
    }
}

impl Operation for CreateToken {
    type Output = String;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        require_name("organization slug", &self.org_slug)?;
        // Accept the macaroon with or without its `FlyV1 ` scheme; a blank one is a mistake.
        let macaroon = self.macaroon.trim();
        let macaroon = match macaroon.strip_prefix("FlyV1") {
            Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
                rest.trim_start()
            }
            _ => macaroon,
        };
        require_name("fly macaroon", macaroon)?;
        let path = PathAndQuery::v1()
            .lit("organizations")
            .seg(&self.org_slug)
            .lit("tokens");
        let mut req = endpoint.http_request(Method::Post, &path);
        req.headers[0].1 = ["FlyV1 ", macaroon].concat();
        let body = TokenRequest {
            description: Some(
                self.description
                    .clone()
                    .unwrap_or_else(|| "Sprite SDK Token".into()),
            ),
            invite_code: self.invite_code.clone(),
        };
        with_json(req, &body)
    }

    fn parse(&self, response: Response) -> Result<String> {
        let answer: TokenResponse = json_answer(&response, &[200, 201], "token response")?;
        if answer.token.is_empty() {
            return Err(Error::protocol("token response has no token"));
        }
        Ok(answer.token)
    }

    fn is_idempotent(&self) -> bool {
        false
    }

    fn requires_http1(&self) -> bool {
        true
    }
}

// ---------------------------------------------------------------------------------------
// §4 Sprites
// ---------------------------------------------------------------------------------------

/// `POST /v1/sprites`: creates a sprite (`201` + [`SpriteInfo`]).
#[derive(Clone, Debug)]
pub struct CreateSprite(pub CreateSpriteRequest);

impl CreateSprite {
    /// A create request with just a name.
    pub fn new(name: impl Into<String>) -> Self {
        CreateSprite(CreateSpriteRequest {
            name: name.into(),
            ..CreateSpriteRequest::default()
        })
    }
}

impl Operation for CreateSprite {
    type Output = SpriteInfo;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        require_name("sprite name", &self.0.name)?;
        let req = endpoint.http_request(Method::Post, &PathAndQuery::v1().lit("sprites"));
        with_json(req, &self.0)
    }

    fn parse(&self, response: Response) -> Result<SpriteInfo> {
        // 201 live and in the docs; 200 tolerated.
        json_answer(&response, &[201, 200], "sprite")
    }

    fn is_idempotent(&self) -> bool {
        false
    }

    fn timeout_class(&self) -> TimeoutClass {
        TimeoutClass::Create
    }
}

/// `GET /v1/sprites`: one page of sprites.
#[derive(Clone, Debug, Default)]
pub struct ListSprites(pub ListOptions);

impl Operation for ListSprites {
    type Output = ListSpritesResponse;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let o = &self.0;
        let max = o.max_results.map(|m| m.to_string());
        let path = PathAndQuery::v1()
            .lit("sprites")
            .query_opt("prefix", o.prefix.as_deref())
            .query_opt("max_results", max.as_deref())
            .query_opt("continuation_token", o.continuation_token.as_deref());
        Ok(endpoint.http_request(Method::Get, &path))
    }

    fn parse(&self, response: Response) -> Result<ListSpritesResponse> {
        json_answer(&response, &[200], "sprite list")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// `GET /v1/sprites` with `Accept: application/x-ndjson`: a watch stream of sprite changes
/// (sdk-landscape §4). The line format is undocumented, so events are kept as JSON values.
#[derive(Clone, Debug, Default)]
pub struct WatchSprites(pub ListOptions);

impl StreamOperation for WatchSprites {
    type Event = serde_json::Value;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let mut req = ListSprites(self.0.clone()).request(endpoint)?;
        req.headers.push(("accept", "application/x-ndjson".into()));
        Ok(req)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Declares an operation on one sprite that takes only its name.
macro_rules! sprite_op {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            /// The sprite name.
            pub sprite: String,
        }

        impl $name {
            /// The operation for sprite `sprite`.
            pub fn new(sprite: impl Into<String>) -> Self {
                $name { sprite: sprite.into() }
            }
        }
    };
}

sprite_op!(
    /// `GET /v1/sprites/{name}`: one sprite's details.
    GetSprite
);

impl Operation for GetSprite {
    type Output = SpriteInfo;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Get, &sprite_path(&self.sprite)?))
    }

    fn parse(&self, response: Response) -> Result<SpriteInfo> {
        json_answer(&response, &[200], "sprite")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// `PUT /v1/sprites/{name}`: partial update (URL settings, labels).
#[derive(Clone, Debug)]
pub struct UpdateSprite {
    /// The sprite name.
    pub sprite: String,
    /// The fields to change; `None` fields stay as they are.
    pub update: UpdateSpriteRequest,
}

impl Operation for UpdateSprite {
    type Output = SpriteInfo;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let req = endpoint.http_request(Method::Put, &sprite_path(&self.sprite)?);
        with_json(req, &self.update)
    }

    fn parse(&self, response: Response) -> Result<SpriteInfo> {
        json_answer(&response, &[200], "sprite")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

sprite_op!(
    /// `DELETE /v1/sprites/{name}`: destroys a sprite, its disk and checkpoints.
    DeleteSprite
);

impl Operation for DeleteSprite {
    type Output = ();

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Delete, &sprite_path(&self.sprite)?))
    }

    fn parse(&self, response: Response) -> Result<()> {
        expect_status(&response, &[204, 200])
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

sprite_op!(
    /// `POST /v1/sprites/{name}/upgrade`: upgrades the in-sprite environment.
    UpgradeSprite
);

impl Operation for UpgradeSprite {
    type Output = ();

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let path = sprite_path(&self.sprite)?.lit("upgrade");
        Ok(endpoint.http_request(Method::Post, &path))
    }

    fn parse(&self, response: Response) -> Result<()> {
        expect_status(&response, &[200, 204])
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn timeout_class(&self) -> TimeoutClass {
        TimeoutClass::Create
    }
}

/// `GET /v1/version`: the server's version (the seed crate's `version()`).
#[derive(Clone, Copy, Debug, Default)]
pub struct GetVersion;

impl Operation for GetVersion {
    type Output = Version;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Get, &PathAndQuery::v1().lit("version")))
    }

    fn parse(&self, response: Response) -> Result<Version> {
        json_answer(&response, &[200], "version")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

// ---------------------------------------------------------------------------------------
// §5 Exec
// ---------------------------------------------------------------------------------------

/// `WSS /v1/sprites/{name}/exec`: starts a command (see [`crate::exec`]).
#[derive(Clone, Debug)]
pub struct ExecConnect {
    /// The sprite name.
    pub sprite: String,
    /// The command and its options.
    pub spec: CommandSpec,
}

impl WsOperation for ExecConnect {
    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        crate::exec::url::exec_request(endpoint, &self.sprite, &self.spec)
    }
}

/// `WSS /v1/sprites/{name}/exec/{id}` or `…/exec?id={id}`: attaches to a running session.
#[derive(Clone, Debug)]
pub struct ExecAttach {
    /// The sprite name.
    pub sprite: String,
    /// The session id.
    pub session_id: String,
    /// Path form or legacy query form (§5.6).
    pub form: AttachForm,
}

impl WsOperation for ExecAttach {
    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        crate::exec::url::attach_request(endpoint, &self.sprite, &self.session_id, self.form)
    }
}

sprite_op!(
    /// `GET /v1/sprites/{name}/exec`: the sprite's running sessions.
    ListSessions
);

impl Operation for ListSessions {
    type Output = Vec<SessionInfo>;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let path = sprite_path(&self.sprite)?.lit("exec");
        Ok(endpoint.http_request(Method::Get, &path))
    }

    fn parse(&self, response: Response) -> Result<Vec<SessionInfo>> {
        let list: ListSessionsResponse = json_answer(&response, &[200], "session list")?;
        Ok(list.sessions)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

sprite_op!(
    /// `HEAD /v1/sprites/{name}/exec`: learns the agent's `Sprite-Version` (any status).
    ExecVersionProbe
);

impl Operation for ExecVersionProbe {
    /// The `Sprite-Version` value, when the answer carried one.
    type Output = Option<String>;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let path = sprite_path(&self.sprite)?.lit("exec");
        Ok(endpoint.http_request(Method::Head, &path))
    }

    fn parse(&self, response: Response) -> Result<Option<String>> {
        Ok(response.header("sprite-version").map(String::from))
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// `POST /v1/sprites/{name}/exec`: runs a command over plain HTTP (no WebSocket), for hosts
/// that cannot set headers on WebSockets. The request body is the command's stdin. The
/// response framing is unverified; see [`crate::http_exec`].
#[derive(Clone, Debug)]
pub struct HttpExec {
    /// The sprite name.
    pub sprite: String,
    /// The command; `tty`, `rows`, `cols` and `max_run_after_disconnect` are not sent.
    pub spec: CommandSpec,
    /// The stdin bytes; when non-empty `stdin=true` is sent.
    pub stdin: Bytes,
}

impl Operation for HttpExec {
    type Output = Output;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let mut req = crate::exec::url::http_exec_request(
            endpoint,
            &self.sprite,
            &self.spec,
            !self.stdin.is_empty(),
        )?;
        if !self.stdin.is_empty() {
            req.headers
                .push(("content-type", "application/octet-stream".into()));
            req.body = self.stdin.clone();
        }
        Ok(req)
    }

    fn parse(&self, response: Response) -> Result<Output> {
        expect_status(&response, &[200])?;
        let mut decoder = HttpExecDecoder::new();
        decoder.handle_bytes(response.body);
        decoder.finish();
        let mut output = Output::default();
        while let Some(event) = decoder.poll_event() {
            match event? {
                HttpExecEvent::Stdout(b) => output.stdout.extend_from_slice(&b),
                HttpExecEvent::Stderr(b) => output.stderr.extend_from_slice(&b),
                HttpExecEvent::Exit(code) => output.status = i32::from(code),
            }
        }
        Ok(output)
    }

    fn is_idempotent(&self) -> bool {
        false
    }

    fn timeout_class(&self) -> TimeoutClass {
        TimeoutClass::Stream
    }
}

/// `POST /v1/sprites/{name}/exec/{id}/kill?signal=&timeout=`: signals a session and streams
/// what happened. `410 Gone` (already exited) is success without events.
#[derive(Clone, Debug)]
pub struct KillSession {
    /// The sprite name.
    pub sprite: String,
    /// The session id.
    pub session_id: String,
    /// The signal; `SIGTERM` when `None`.
    pub signal: Option<Signal>,
    /// How long to wait for exit before `SIGKILL`; server default 10 s; zero returns at once.
    pub timeout: Option<Duration>,
}

impl StreamOperation for KillSession {
    type Event = KillEvent;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        require_name("session id", &self.session_id)?;
        let signal = self.signal.as_ref().map(Signal::name);
        let timeout = self.timeout.map(format_go_duration);
        let path = sprite_path(&self.sprite)?
            .lit("exec")
            .seg(&self.session_id)
            .lit("kill")
            .query_opt("signal", signal.as_deref())
            .query_opt("timeout", timeout.as_deref());
        Ok(endpoint.http_request(Method::Post, &path))
    }

    fn start(&self, status: u16) -> StreamStart {
        match status {
            200 => StreamStart::Events,
            410 => StreamStart::Empty,
            _ => StreamStart::Error,
        }
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// `WSS /v1/sprites/{name}/control`: the optional control channel (§6).
#[derive(Clone, Debug)]
pub struct ControlConnect {
    /// The sprite name.
    pub sprite: String,
}

impl WsOperation for ControlConnect {
    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let path = sprite_path(&self.sprite)?.lit("control");
        Ok(endpoint.ws_request(&path))
    }
}

/// `WSS /v1/sprites/{name}/proxy`: a tunnel to a TCP port in the sprite (see
/// [`crate::proxy`] for the handshake).
#[derive(Clone, Debug)]
pub struct OpenProxy {
    /// The sprite name.
    pub sprite: String,
}

impl WsOperation for OpenProxy {
    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        crate::proxy::request(endpoint, &self.sprite)
    }
}

// ---------------------------------------------------------------------------------------
// §8 Checkpoints
// ---------------------------------------------------------------------------------------

/// `POST /v1/sprites/{name}/checkpoint`: takes a checkpoint, streaming progress. The new id
/// is in the stream; see [`StreamMessage`].
#[derive(Clone, Debug)]
pub struct CreateCheckpoint {
    /// The sprite name.
    pub sprite: String,
    /// An optional comment.
    pub comment: Option<String>,
}

impl StreamOperation for CreateCheckpoint {
    type Event = StreamMessage;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let req =
            endpoint.http_request(Method::Post, &sprite_path(&self.sprite)?.lit("checkpoint"));
        let body = CheckpointRequest {
            comment: self.comment.clone().filter(|c| !c.is_empty()),
        };
        with_json(req, &body)
    }

    fn is_idempotent(&self) -> bool {
        false
    }
}

/// `GET /v1/sprites/{name}/checkpoints`: checkpoints, newest first, `Current` on top.
#[derive(Clone, Debug)]
pub struct ListCheckpoints {
    /// The sprite name.
    pub sprite: String,
    /// Filters.
    pub options: ListCheckpointsOptions,
}

impl Operation for ListCheckpoints {
    type Output = Vec<Checkpoint>;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let mut path = sprite_path(&self.sprite)?.lit("checkpoints");
        if let Some(h) = self.options.history_filter.as_deref() {
            path.push_query("history", h);
        }
        if self.options.include_auto {
            path.push_query("includeAuto", "true");
        }
        Ok(endpoint.http_request(Method::Get, &path))
    }

    fn parse(&self, response: Response) -> Result<Vec<Checkpoint>> {
        // A bare array live; `{"checkpoints": [...]}` accepted too.
        let list: ListCheckpointsResponse = json_answer(&response, &[200], "checkpoint list")?;
        Ok(list.checkpoints)
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Declares an operation on one checkpoint of one sprite.
macro_rules! checkpoint_op {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            /// The sprite name.
            pub sprite: String,
            /// The checkpoint id (`v1`, …).
            pub id: String,
        }

        impl $name {
            /// The operation for checkpoint `id` of `sprite`.
            pub fn new(sprite: impl Into<String>, id: impl Into<String>) -> Self {
                $name { sprite: sprite.into(), id: id.into() }
            }

            fn path(&self) -> Result<PathAndQuery> {
                require_name("checkpoint id", &self.id)?;
                Ok(sprite_path(&self.sprite)?.lit("checkpoints").seg(&self.id))
            }
        }
    };
}

checkpoint_op!(
    /// `GET /v1/sprites/{name}/checkpoints/{id}`.
    GetCheckpoint
);

impl Operation for GetCheckpoint {
    type Output = Checkpoint;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Get, &self.path()?))
    }

    fn parse(&self, response: Response) -> Result<Checkpoint> {
        json_answer(&response, &[200], "checkpoint")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

checkpoint_op!(
    /// `POST /v1/sprites/{name}/checkpoints/{id}/restore`: restores, streaming progress. An
    /// unknown id is a `200` stream with an `error` line.
    RestoreCheckpoint
);

impl StreamOperation for RestoreCheckpoint {
    type Event = StreamMessage;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Post, &self.path()?.lit("restore")))
    }

    fn is_idempotent(&self) -> bool {
        false
    }
}

checkpoint_op!(
    /// `DELETE /v1/sprites/{name}/checkpoints/{id}` (route inferred from the CLI; the
    /// checkpoint the sprite is on cannot be deleted).
    DeleteCheckpoint
);

impl Operation for DeleteCheckpoint {
    type Output = ();

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Delete, &self.path()?))
    }

    fn parse(&self, response: Response) -> Result<()> {
        expect_status(&response, &[204, 200])
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

// ---------------------------------------------------------------------------------------
// §9 Services
// ---------------------------------------------------------------------------------------

sprite_op!(
    /// `GET /v1/sprites/{name}/services`: every service with its state.
    ListServices
);

impl Operation for ListServices {
    type Output = Vec<Service>;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Get, &sprite_path(&self.sprite)?.lit("services")))
    }

    fn parse(&self, response: Response) -> Result<Vec<Service>> {
        json_answer(&response, &[200], "service list")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

fn service_path(sprite: &str, service: &str) -> Result<PathAndQuery> {
    require_name("service name", service)?;
    Ok(sprite_path(sprite)?.lit("services").seg(service))
}

/// `GET /v1/sprites/{name}/services/{service}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetService {
    /// The sprite name.
    pub sprite: String,
    /// The service name.
    pub service: String,
}

impl Operation for GetService {
    type Output = Service;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Get, &service_path(&self.sprite, &self.service)?))
    }

    fn parse(&self, response: Response) -> Result<Service> {
        json_answer(&response, &[200], "service")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// `PUT /v1/sprites/{name}/services/{service}[?duration=]`: creates or replaces a service and
/// starts it, streaming its events for `duration`.
#[derive(Clone, Debug)]
pub struct PutService {
    /// The sprite name.
    pub sprite: String,
    /// The service name.
    pub service: String,
    /// The definition.
    pub definition: ServiceRequest,
    /// How long to stream events (server default 5 s); sent only when non-zero.
    pub duration: Option<Duration>,
}

impl StreamOperation for PutService {
    type Event = ServiceLogEntry;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        if self.definition.cmd.is_empty() {
            return Err(Error::invalid_argument("service cmd must not be empty"));
        }
        let path = with_duration(service_path(&self.sprite, &self.service)?, self.duration);
        with_json(endpoint.http_request(Method::Put, &path), &self.definition)
    }

    fn is_idempotent(&self) -> bool {
        false
    }
}

fn with_duration(path: PathAndQuery, duration: Option<Duration>) -> PathAndQuery {
    match duration.filter(|d| !d.is_zero()) {
        Some(d) => path.query("duration", &format_go_duration(d)),
        None => path,
    }
}

/// `DELETE /v1/sprites/{name}/services/{service}`: removes the definition (logs stay).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteService {
    /// The sprite name.
    pub sprite: String,
    /// The service name.
    pub service: String,
}

impl Operation for DeleteService {
    type Output = ();

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Delete, &service_path(&self.sprite, &self.service)?))
    }

    fn parse(&self, response: Response) -> Result<()> {
        expect_status(&response, &[204, 200])
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// What to do to a service: `start`, `stop` or `restart` (each streams events).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceAction {
    /// `POST …/start[?duration=]`.
    Start,
    /// `POST …/stop[?timeout=]`.
    Stop,
    /// `POST …/restart[?duration=]`.
    Restart,
}

/// `POST /v1/sprites/{name}/services/{service}/{start|stop|restart}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceControl {
    /// The sprite name.
    pub sprite: String,
    /// The service name.
    pub service: String,
    /// What to do.
    pub action: ServiceAction,
    /// For start/restart: how long to stream events. For stop: how long to wait before the
    /// force-kill (server default 10 s). Sent only when non-zero.
    pub duration: Option<Duration>,
}

impl StreamOperation for ServiceControl {
    type Event = ServiceLogEntry;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let base = service_path(&self.sprite, &self.service)?;
        let path = match self.action {
            ServiceAction::Start => with_duration(base.lit("start"), self.duration),
            ServiceAction::Restart => with_duration(base.lit("restart"), self.duration),
            ServiceAction::Stop => match self.duration.filter(|d| !d.is_zero()) {
                Some(d) => base.lit("stop").query("timeout", &format_go_duration(d)),
                None => base.lit("stop"),
            },
        };
        Ok(endpoint.http_request(Method::Post, &path))
    }

    fn is_idempotent(&self) -> bool {
        false
    }
}

/// `GET /v1/sprites/{name}/services/{service}/logs[?lines=&duration=]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceLogs {
    /// The sprite name.
    pub sprite: String,
    /// The service name.
    pub service: String,
    /// How many buffered lines (server default: all).
    pub lines: Option<u32>,
    /// How long to follow new output (server default: no follow).
    pub follow: Option<Duration>,
}

impl StreamOperation for ServiceLogs {
    type Event = ServiceLogEntry;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let lines = self.lines.map(|n| n.to_string());
        let path = service_path(&self.sprite, &self.service)?
            .lit("logs")
            .query_opt("lines", lines.as_deref());
        Ok(endpoint.http_request(Method::Get, &with_duration(path, self.follow)))
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// `POST /v1/sprites/{name}/services/signal` with `{"name", "signal"}` (`204`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalService {
    /// The sprite name.
    pub sprite: String,
    /// The service name.
    pub service: String,
    /// The signal.
    pub signal: Signal,
}

impl Operation for SignalService {
    type Output = ();

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        require_name("service name", &self.service)?;
        let path = sprite_path(&self.sprite)?.lit("services").lit("signal");
        let body = SignalServiceRequest {
            name: self.service.clone(),
            signal: self.signal.clone(),
        };
        with_json(endpoint.http_request(Method::Post, &path), &body)
    }

    fn parse(&self, response: Response) -> Result<()> {
        expect_status(&response, &[204, 200])
    }

    fn is_idempotent(&self) -> bool {
        false
    }
}

// ---------------------------------------------------------------------------------------
// §10 Policies
// ---------------------------------------------------------------------------------------

sprite_op!(
    /// `GET /v1/sprites/{name}/policy/network`.
    GetNetworkPolicy
);

impl Operation for GetNetworkPolicy {
    type Output = NetworkPolicy;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let path = sprite_path(&self.sprite)?.lit("policy").lit("network");
        Ok(endpoint.http_request(Method::Get, &path))
    }

    fn parse(&self, response: Response) -> Result<NetworkPolicy> {
        json_answer(&response, &[200], "network policy")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// `POST /v1/sprites/{name}/policy/network`: replaces the whole policy (`204`).
#[derive(Clone, Debug)]
pub struct SetNetworkPolicy {
    /// The sprite name.
    pub sprite: String,
    /// The new policy.
    pub policy: NetworkPolicy,
}

impl Operation for SetNetworkPolicy {
    type Output = ();

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let path = sprite_path(&self.sprite)?.lit("policy").lit("network");
        with_json(endpoint.http_request(Method::Post, &path), &self.policy)
    }

    fn parse(&self, response: Response) -> Result<()> {
        // Go and JS require 204; the docs say 200. Accept both.
        expect_status(&response, &[204, 200])
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// Which JSON-bodied policy: `privileges` or `resources` (§10.3, schemas undocumented).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// `/policy/privileges`: capability and device restrictions.
    Privileges,
    /// `/policy/resources`: memory limits.
    Resources,
}

impl PolicyKind {
    fn word(self) -> &'static str {
        match self {
            PolicyKind::Privileges => "privileges",
            PolicyKind::Resources => "resources",
        }
    }
}

/// `GET|POST|DELETE /v1/sprites/{name}/policy/{privileges|resources}` with a JSON value.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPolicy {
    /// The sprite name.
    pub sprite: String,
    /// Which policy.
    pub kind: PolicyKind,
    /// What to do.
    pub action: JsonPolicyAction,
}

/// What [`JsonPolicy`] does.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonPolicyAction {
    /// `GET`: read the policy.
    Get,
    /// `POST`: set the policy to this value.
    Set(serde_json::Value),
    /// `DELETE`: revert to unrestricted.
    Delete,
}

impl Operation for JsonPolicy {
    /// The policy for `Get`; `Null` for `Set` and `Delete`.
    type Output = serde_json::Value;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let path = sprite_path(&self.sprite)?
            .lit("policy")
            .lit(self.kind.word());
        match &self.action {
            JsonPolicyAction::Get => Ok(endpoint.http_request(Method::Get, &path)),
            JsonPolicyAction::Set(v) => with_json(endpoint.http_request(Method::Post, &path), v),
            JsonPolicyAction::Delete => Ok(endpoint.http_request(Method::Delete, &path)),
        }
    }

    fn parse(&self, response: Response) -> Result<serde_json::Value> {
        match self.action {
            JsonPolicyAction::Get => json_answer(&response, &[200], "policy"),
            _ => expect_status(&response, &[204, 200]).map(|()| serde_json::Value::Null),
        }
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

// ---------------------------------------------------------------------------------------
// §11 Filesystem
// ---------------------------------------------------------------------------------------

/// A path in a sprite: absolute, or relative to `working_dir` (`/` when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsPath {
    /// The sprite name.
    pub sprite: String,
    /// The path.
    pub path: String,
    /// The directory relative paths start from.
    pub working_dir: Option<String>,
}

impl FsPath {
    /// `path` in `sprite`, relative paths from `/`.
    pub fn new(sprite: impl Into<String>, path: impl Into<String>) -> Self {
        FsPath {
            sprite: sprite.into(),
            path: path.into(),
            working_dir: None,
        }
    }

    fn query_path(&self, word: &str) -> Result<PathAndQuery> {
        require_name("path", &self.path)?;
        Ok(sprite_path(&self.sprite)?
            .lit("fs")
            .lit(word)
            .query("path", &self.path)
            .query("workingDir", self.working_dir.as_deref().unwrap_or("/")))
    }

    fn fs_error(&self, response: Response) -> Error {
        response.into_fs_error(Some(&self.path))
    }
}

/// `GET /v1/sprites/{name}/fs/read?path=&workingDir=`: a file's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsRead(pub FsPath);

impl Operation for FsRead {
    type Output = Bytes;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        Ok(endpoint.http_request(Method::Get, &self.0.query_path("read")?))
    }

    fn parse(&self, response: Response) -> Result<Bytes> {
        if matches!(response.status, 200 | 206) {
            return Ok(response.body);
        }
        Err(self.0.fs_error(response))
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn timeout_class(&self) -> TimeoutClass {
        TimeoutClass::Transfer
    }
}

/// `PUT /v1/sprites/{name}/fs/write?path=&workingDir=&mode=&mkdirParents=`: writes a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsWrite {
    /// Where.
    pub target: FsPath,
    /// The contents.
    pub data: Bytes,
    /// Permission bits (sent as 4 octal digits); server default when `None`.
    pub mode: Option<u32>,
    /// Create missing parent directories.
    pub mkdir_parents: bool,
}

impl Operation for FsWrite {
    type Output = FsWriteResponse;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let mode = self.mode.map(format_mode).transpose()?;
        let path = self
            .target
            .query_path("write")?
            .query_opt("mode", mode.as_deref())
            .query("mkdirParents", bool_str(self.mkdir_parents));
        let mut req = endpoint.http_request(Method::Put, &path);
        req.headers
            .push(("content-type", "application/octet-stream".into()));
        req.body = self.data.clone();
        Ok(req)
    }

    fn parse(&self, response: Response) -> Result<FsWriteResponse> {
        match response.status {
            200 | 201 if !response.body.is_empty() => decode_json(&response.body, "write result"),
            200 | 201 | 204 => Ok(FsWriteResponse {
                path: self.target.path.clone(),
                size: u64::try_from(self.data.len()).unwrap_or(u64::MAX),
                ..FsWriteResponse::default()
            }),
            _ => Err(self.target.fs_error(response)),
        }
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn timeout_class(&self) -> TimeoutClass {
        TimeoutClass::Transfer
    }
}

/// Formats permission bits as 4 octal digits (`0o644` → `"0644"`), rejecting bits beyond
/// `0o7777` (a caller mistake such as passing `644` decimal for `0o644`).
pub fn format_mode(mode: u32) -> Result<String> {
    if mode > 0o7777 {
        return Err(Error::invalid_argument(alloc::format!(
            "mode {mode:o} has bits beyond 7777"
        )));
    }
    Ok(crate::model::format_mode(mode))
}

/// `GET /v1/sprites/{name}/fs/list?path=&workingDir=[&recursive=true]`: a directory's
/// entries, or one entry for a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsList {
    /// What to list.
    pub target: FsPath,
    /// Descend into subdirectories.
    pub recursive: bool,
}

impl Operation for FsList {
    type Output = FsListResponse;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let mut path = self.target.query_path("list")?;
        if self.recursive {
            path.push_query("recursive", "true");
        }
        Ok(endpoint.http_request(Method::Get, &path))
    }

    fn parse(&self, response: Response) -> Result<FsListResponse> {
        if response.status != 200 {
            return Err(self.target.fs_error(response));
        }
        decode_json(&response.body, "directory listing")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// `DELETE /v1/sprites/{name}/fs/delete?path=&workingDir=[&recursive=true]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsDelete {
    /// What to delete.
    pub target: FsPath,
    /// Delete a non-empty directory and everything in it.
    pub recursive: bool,
}

impl Operation for FsDelete {
    type Output = FsDeleteResponse;

    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let mut path = self.target.query_path("delete")?;
        if self.recursive {
            path.push_query("recursive", "true");
        }
        Ok(endpoint.http_request(Method::Delete, &path))
    }

    fn parse(&self, response: Response) -> Result<FsDeleteResponse> {
        if response.status != 200 {
            return Err(self.target.fs_error(response));
        }
        decode_json(&response.body, "delete result")
    }

    fn is_idempotent(&self) -> bool {
        true
    }
}

/// No extra check of a filesystem request body.
fn no_check<T>(_body: &T) -> Result<()> {
    Ok(())
}

/// The chmod mode must be octal text (`"755"`, `"0755"`) of at most `0o7777`, as the
/// `mode` of [`FsWrite`] is.
fn check_chmod_mode(body: &FsChmodRequest) -> Result<()> {
    let mode = body.mode.as_str();
    let octal = !mode.is_empty() && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match u32::from_str_radix(mode, 8) {
        Ok(bits) if octal && bits <= 0o7777 => Ok(()),
        _ => Err(Error::invalid_argument(alloc::format!(
            "mode {mode:?} must be octal digits up to 7777"
        ))),
    }
}

/// Declares a filesystem operation with a JSON body and a JSON answer.
macro_rules! fs_json_op {
    (
        $(#[$doc:meta])* $name:ident, $word:literal, $req:ty, $resp:ty, $idem:expr, $path:ident,
        $check:path
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            /// The sprite name.
            pub sprite: String,
            /// The body.
            pub body: $req,
        }

        impl Operation for $name {
            type Output = $resp;

            fn request(&self, endpoint: &Endpoint) -> Result<Request> {
                require_name("path", &self.body.$path)?;
                $check(&self.body)?;
                let path = sprite_path(&self.sprite)?.lit("fs").lit($word);
                with_json(endpoint.http_request(Method::Post, &path), &self.body)
            }

            fn parse(&self, response: Response) -> Result<$resp> {
                if response.status != 200 {
                    return Err(response.into_fs_error(Some(&self.body.$path)));
                }
                decode_json(&response.body, concat!($word, " result"))
            }

            fn is_idempotent(&self) -> bool {
                $idem
            }
        }
    };
}

fs_json_op!(
    /// `POST /v1/sprites/{name}/fs/rename` with `{source, dest, workingDir}`.
    FsRename, "rename", FsRenameRequest, FsRenameResponse, false, source, no_check
);
fs_json_op!(
    /// `POST /v1/sprites/{name}/fs/copy` with `{source, dest, workingDir, recursive, …}`.
    FsCopy, "copy", FsCopyRequest, FsCopyResponse, true, source, no_check
);
fs_json_op!(
    /// `POST /v1/sprites/{name}/fs/chmod` with `{path, workingDir, mode, recursive}`; `mode`
    /// must be octal text up to `7777` (else [`Error::InvalidArgument`]).
    FsChmod, "chmod", FsChmodRequest, FsChmodResponse, true, path, check_chmod_mode
);
fs_json_op!(
    /// `POST /v1/sprites/{name}/fs/chown` with `{path, workingDir, uid, gid, recursive}`.
    FsChown, "chown", FsChownRequest, FsChownResponse, true, path, no_check
);

/// `WSS /v1/sprites/{name}/fs/watch`: filesystem change events (vocabulary undocumented).
#[derive(Clone, Debug)]
pub struct FsWatch {
    /// The sprite name.
    pub sprite: String,
}

impl WsOperation for FsWatch {
    fn request(&self, endpoint: &Endpoint) -> Result<Request> {
        let path = sprite_path(&self.sprite)?.lit("fs").lit("watch");
        Ok(endpoint.ws_request(&path))
    }
}
