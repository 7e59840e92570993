//! The user-facing async API, written once, generic over a [`Runtime`].
//!
//! Runtime adapters fix the runtime and re-export these types: with the `sprites` crate on
//! tokio, `sprites::SpritesClient` is `SpritesClient<Tokio>`. Every method here turns into
//! one of the pure operations of [`crate::ops`] or a state machine of [`crate::exec`] /
//! [`crate::proxy`], sent through the runtime, so behaviour is the same on every runtime.
//!
//! ```no_run
//! # async fn demo<R: sprites_core::client::Runtime + Default>() -> sprites_core::Result<()> {
//! use sprites_core::client::SpritesClient;
//!
//! let client = SpritesClient::<R>::new("my-token");
//! let sprite = client.create("my-sprite").await?;
//! let output = sprite.command("uname").arg("-a").output().await?;
//! println!("{}", output.stdout_str());
//! sprite.destroy().await?;
//! # Ok(()) }
//! ```

mod exec;
mod fs;
mod proxy;
mod runtime;
mod sprite;
mod stream;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use core::fmt;
use core::future::Future;
use core::time::Duration;
use futures_util::future::{self, Either};

pub use exec::{
    AttachCommand, Child, ChildStderr, ChildStdin, ChildStdout, Command, PortChange, PortEvents,
};
pub use fs::Filesystem;
pub use proxy::{LocalListener, LocalStream, NativeRuntime, ProxySession, ProxySocket};
pub use runtime::{
    BoxFuture, Headers, HttpBody, HttpOptions, HttpResponse, MaybeSend, MaybeSync, Runtime,
    WebSocketConnection,
};
pub use sprite::Sprite;
pub use stream::{EventStream, SpriteStream};

use crate::error::{Error, Result};
use crate::exec::Keepalive;
use crate::model::{
    ListOptions, ListSpritesResponse, SpriteConfig, SpriteInfo, UrlSettings, Version,
};
use crate::ops::{
    CreateSprite, CreateToken, DeleteSprite, GetSprite, GetVersion, ListSprites, Operation,
    StreamOperation, StreamStart, TimeoutClass, Timeouts,
};
use crate::request::{BaseUrl, Endpoint, Request};
use crate::response::Response;
use crate::retry::RetryPolicy;

/// The largest error body read from a failed request; the rest is discarded.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A Sprites API client: cheap to clone (an `Arc` inside), safe to share between tasks.
///
/// Its `Debug` output never shows the token.
///
/// ```no_run
/// # async fn demo<R: sprites_core::client::Runtime + Default>() -> sprites_core::Result<()> {
/// use sprites_core::client::SpritesClient;
///
/// let client = SpritesClient::<R>::from_env()?;
/// let worker = client.clone(); // shares the connection pool and settings
/// for info in worker.list().await? {
///     println!("{} is {:?}", info.name, info.status);
/// }
/// # Ok(()) }
/// ```
pub struct SpritesClient<R: Runtime> {
    inner: Arc<Inner<R>>,
}

struct Inner<R> {
    runtime: R,
    endpoint: Endpoint,
    /// Why the configured base URL was rejected; every request then fails with it.
    config_error: Option<String>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    keepalive: Option<Keepalive>,
    sprite_version: std::sync::Mutex<Option<String>>,
}

impl<R: Runtime> Clone for SpritesClient<R> {
    fn clone(&self) -> Self {
        SpritesClient {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<R: Runtime> fmt::Debug for SpritesClient<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpritesClient")
            .field("base_url", &self.inner.endpoint.base.http())
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl<R: Runtime + Default> SpritesClient<R> {
    /// A client for the production API (`https://api.sprites.dev`) with `token`.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// let client = sprites_core::client::SpritesClient::<R>::new("my-token");
    /// assert_eq!(client.base_url(), "https://api.sprites.dev");
    /// # }
    /// ```
    pub fn new(token: impl Into<String>) -> Self {
        SpritesClientBuilder::new(token).build_with(R::default())
    }

    /// A client for the API at `base_url` (a trailing `/` is ignored). An invalid URL is
    /// reported by the first request.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// use sprites_core::client::SpritesClient;
    ///
    /// let client = SpritesClient::<R>::with_base_url("my-token", "http://127.0.0.1:8080/");
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// # }
    /// ```
    pub fn with_base_url(token: impl Into<String>, base_url: impl Into<String>) -> Self {
        SpritesClientBuilder::new(token)
            .base_url(base_url)
            .build_with(R::default())
    }

    /// A client configured from the environment: `SPRITES_TOKEN` (required) and
    /// `SPRITES_API_URL` (or its alias `SPRITES_BASE_URL`) for the base URL.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// use sprites_core::{client::SpritesClient, Error};
    ///
    /// match SpritesClient::<R>::from_env() {
    ///     Ok(client) => println!("using {}", client.base_url()),
    ///     Err(Error::InvalidArgument(why)) => eprintln!("not configured: {why}"),
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// # }
    /// ```
    pub fn from_env() -> Result<Self> {
        let token = std::env::var("SPRITES_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::invalid_argument("SPRITES_TOKEN is not set"))?;
        let mut builder = SpritesClientBuilder::<R>::new(token);
        let url = std::env::var("SPRITES_API_URL")
            .or_else(|_| std::env::var("SPRITES_BASE_URL"))
            .ok()
            .filter(|u| !u.is_empty());
        if let Some(url) = url {
            BaseUrl::parse(&url)?;
            builder = builder.base_url(url);
        }
        Ok(builder.build_with(R::default()))
    }
}

impl<R: Runtime> SpritesClient<R> {
    /// A builder for the client's settings.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// use core::time::Duration;
    /// use sprites_core::client::SpritesClient;
    ///
    /// let client = SpritesClient::<R>::builder("my-token")
    ///     .timeout(Duration::from_secs(10))
    ///     .build();
    /// # drop(client); }
    /// ```
    pub fn builder(token: impl Into<String>) -> SpritesClientBuilder<R> {
        SpritesClientBuilder::new(token)
    }

    /// A handle on sprite `name`; no request is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let sprite = client.sprite("my-sprite");
    /// assert_eq!(sprite.name(), "my-sprite");
    /// let output = sprite.command("hostname").output().await?;
    /// # drop(output);
    /// # Ok(()) }
    /// ```
    pub fn sprite(&self, name: impl Into<String>) -> Sprite<R> {
        Sprite::new(self.clone(), name.into())
    }

    /// The base URL, without a trailing `/`.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// let client = sprites_core::client::SpritesClient::<R>::with_base_url("t", "http://localhost:8080/");
    /// assert_eq!(client.base_url(), "http://localhost:8080");
    /// # }
    /// ```
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.inner.endpoint.base.http()
    }

    /// The token.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// let client = sprites_core::client::SpritesClient::<R>::new("my-token");
    /// assert_eq!(client.token(), "my-token");
    /// assert!(!format!("{client:?}").contains("my-token"));
    /// # }
    /// ```
    #[must_use]
    pub fn token(&self) -> &str {
        self.inner.endpoint.token.expose()
    }

    /// The runtime.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) {
    /// use sprites_core::client::Runtime;
    ///
    /// // Time and sleeps the same way the client does, on any runtime.
    /// let started = client.runtime().now();
    /// client.runtime().sleep(core::time::Duration::from_millis(100)).await;
    /// println!("{:?}", client.runtime().now().saturating_duration_since(started));
    /// # }
    /// ```
    #[must_use]
    pub fn runtime(&self) -> &R {
        &self.inner.runtime
    }

    /// Creates sprite `name` and returns its handle.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::Error;
    ///
    /// let sprite = match client.create("my-sprite").await {
    ///     Ok(sprite) => sprite,
    ///     // Already there (a 409): use it.
    ///     Err(Error::Conflict(_)) => client.sprite("my-sprite"),
    ///     Err(e) => return Err(e),
    /// };
    /// # drop(sprite);
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, name: impl Into<String>) -> Result<Sprite<R>> {
        let info = self.call(&CreateSprite::new(name)).await?;
        Ok(self.sprite(info.name))
    }

    /// Creates sprite `name` with resources and URL settings.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::model::{SpriteConfig, UrlAuth, UrlSettings};
    ///
    /// let config = SpriteConfig { ram_mb: Some(4096), cpus: Some(2), ..SpriteConfig::default() };
    /// let public = UrlSettings { auth: UrlAuth::Public, ..UrlSettings::default() };
    /// let sprite = client.create_with_config("web", Some(config), Some(public)).await?;
    /// # drop(sprite);
    /// # Ok(()) }
    /// ```
    pub async fn create_with_config(
        &self,
        name: impl Into<String>,
        config: Option<SpriteConfig>,
        url_settings: Option<UrlSettings>,
    ) -> Result<Sprite<R>> {
        let mut op = CreateSprite::new(name);
        op.0.config = config;
        op.0.url_settings = url_settings;
        let info = self.call(&op).await?;
        Ok(self.sprite(info.name))
    }

    /// Creates a sprite from a full request (environment, labels, URL settings,
    /// `wait_for_capacity`, runtime) and returns its details.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::model::CreateSpriteRequest;
    ///
    /// let mut request = CreateSpriteRequest::new("ci-runner");
    /// request.labels = vec!["ci".into()];
    /// request.environment.insert("RUST_LOG".into(), "debug".into());
    /// request.wait_for_capacity = true;
    /// let info = client.create_with(request).await?;
    /// println!("created {} ({:?})", info.name, info.url);
    /// # Ok(()) }
    /// ```
    pub async fn create_with(
        &self,
        request: crate::model::CreateSpriteRequest,
    ) -> Result<SpriteInfo> {
        self.call(&CreateSprite(request)).await
    }

    /// The details of sprite `name`.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::Error;
    ///
    /// match client.get("my-sprite").await {
    ///     Ok(info) => println!("{} is {:?}", info.name, info.status),
    ///     Err(Error::NotFound(_)) => println!("no such sprite"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, name: &str) -> Result<SpriteInfo> {
        self.call(&GetSprite::new(name)).await
    }

    /// Every sprite, all pages fetched.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// for info in client.list().await? {
    ///     println!("{:<20} {:?}", info.name, info.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<SpriteInfo>> {
        self.list_all_with_options(ListOptions::default()).await
    }

    /// One page of sprites.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::model::ListOptions;
    ///
    /// let options = ListOptions { max_results: Some(10), ..ListOptions::default() };
    /// let page = client.list_with_options(options).await?;
    /// println!("{} sprites, more: {}", page.sprites.len(), page.has_more);
    /// let next = page.next_continuation_token; // for `continuation_token` of the next call
    /// # drop(next);
    /// # Ok(()) }
    /// ```
    pub async fn list_with_options(&self, options: ListOptions) -> Result<ListSpritesResponse> {
        self.call(&ListSprites(options)).await
    }

    /// Every sprite matching `options`, all pages fetched (stopping when the server says
    /// `has_more` without a token, or repeats a token).
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::model::ListOptions;
    ///
    /// let options = ListOptions { prefix: Some("ci-".into()), ..ListOptions::default() };
    /// for info in client.list_all_with_options(options).await? {
    ///     client.delete(&info.name).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_all_with_options(&self, options: ListOptions) -> Result<Vec<SpriteInfo>> {
        let mut all = Vec::new();
        let mut stream = self.list_stream(options);
        while let Some(sprite) = futures_util::StreamExt::next(&mut stream).await {
            all.push(sprite?);
        }
        Ok(all)
    }

    /// A `Stream` of every sprite matching `options`, fetching pages as it goes.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use futures_util::StreamExt;
    ///
    /// let mut sprites = client.list_stream(Default::default());
    /// while let Some(info) = sprites.next().await {
    ///     println!("{}", info?.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_stream(&self, options: ListOptions) -> SpriteStream<R> {
        SpriteStream::new(self.clone(), options)
    }

    /// Watches sprite changes (`GET /v1/sprites` as NDJSON). The event format is not
    /// documented, so each line comes as a JSON value.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let mut changes = client.watch(Default::default()).await?;
    /// while let Some(change) = changes.next().await {
    ///     println!("{}", change?);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn watch(&self, options: ListOptions) -> Result<EventStream<R, serde_json::Value>> {
        self.call_stream(&crate::ops::WatchSprites(options)).await
    }

    /// Deletes sprite `name`.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// match client.delete("scratch").await {
    ///     Ok(()) => {}
    ///     Err(e) if e.is_not_found() => {} // already gone
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, name: &str) -> Result<()> {
        self.call(&DeleteSprite::new(name)).await
    }

    /// The server's version (`GET /v1/version`).
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let version = client.version().await?;
    /// println!("server {} (api {:?})", version.version, version.api_version);
    /// # Ok(()) }
    /// ```
    pub async fn version(&self) -> Result<Version> {
        self.call(&GetVersion).await
    }

    /// Exchanges a Fly macaroon for a Sprites token for organization `org_slug`
    /// (`POST /v1/organizations/{org}/tokens`, over HTTP/1.1), against this client's base URL.
    ///
    /// ```no_run
    /// # async fn demo<R: sprites_core::client::Runtime + Default>() -> sprites_core::Result<()> {
    /// use sprites_core::client::SpritesClient;
    ///
    /// let macaroon = std::env::var("FLY_API_TOKEN").unwrap_or_default();
    /// let bootstrap = SpritesClient::<R>::new("");
    /// let token = bootstrap.create_token(&macaroon, "my-org", None).await?;
    /// let client = SpritesClient::<R>::new(token);
    /// # drop(client);
    /// # Ok(()) }
    /// ```
    pub async fn create_token(
        &self,
        fly_macaroon: &str,
        org_slug: &str,
        invite_code: Option<&str>,
    ) -> Result<String> {
        let mut op = CreateToken::new(org_slug, fly_macaroon);
        op.invite_code = invite_code.map(String::from);
        self.call(&op).await
    }

    /// Sends a buffered operation, retrying as the retry policy allows, within its timeout.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::ops::GetSprite;
    ///
    /// // The same request as `client.get("my-sprite")`.
    /// let info = client.call(&GetSprite::new("my-sprite")).await?;
    /// println!("{:?}", info.status);
    /// # Ok(()) }
    /// ```
    pub async fn call<O: Operation>(&self, op: &O) -> Result<O::Output> {
        let request = op.request(self.endpoint()?)?;
        let options = HttpOptions {
            http1_only: op.requires_http1(),
        };
        let timeout = self.inner.timeouts.for_class(op.timeout_class());
        let mut backoff = self.inner.retry.backoff(self.inner.runtime.random_seed());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .with_timeout(
                    timeout,
                    request.describe(),
                    self.fetch(request.clone(), options),
                )
                .await
                .and_then(|resp| op.parse(resp));
            let err = match result {
                Ok(out) => return Ok(out),
                Err(err) => err,
            };
            match backoff.next_delay(attempt, &err, op.is_idempotent()) {
                Some(delay) => self.inner.runtime.sleep(delay).await,
                None => return Err(err),
            }
        }
    }

    /// Starts a streaming operation: sends it and checks the status. Errors before the
    /// stream starts are retried for idempotent operations.
    ///
    /// ```no_run
    /// # async fn demo(client: sprites_core::client::SpritesClient<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::ops::ServiceLogs;
    ///
    /// let op = ServiceLogs { sprite: "my-sprite".into(), service: "web".into(), lines: Some(50), follow: None };
    /// let mut logs = client.call_stream(&op).await?;
    /// while let Some(entry) = logs.next().await {
    ///     println!("{:?}", entry?.data);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn call_stream<O>(&self, op: &O) -> Result<EventStream<R, O::Event>>
    where
        O: StreamOperation,
        O::Event: MaybeSend + 'static,
    {
        let request = op.request(self.endpoint()?)?;
        let head_timeout = self.inner.timeouts.for_class(TimeoutClass::Default);
        let mut backoff = self.inner.retry.backoff(self.inner.runtime.random_seed());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let what = request.describe();
            let sent = self
                .inner
                .runtime
                .http(request.clone(), HttpOptions::default());
            let result: Result<core::convert::Infallible> =
                match self.with_timeout(head_timeout, what.clone(), sent).await {
                    Ok(head) => match op.start(head.status) {
                        StreamStart::Events => {
                            let idle = self.inner.timeouts.for_class(op.timeout_class());
                            return Ok(EventStream::new(
                                self.clone(),
                                head.body,
                                op.decoder(),
                                idle,
                                what,
                            ));
                        }
                        StreamStart::Empty => return Ok(EventStream::empty(self.clone(), what)),
                        StreamStart::Error => {
                            let resp = self.collect(head, MAX_ERROR_BODY).await?;
                            Err(op.error(resp))
                        }
                    },
                    Err(e) => Err(e),
                };
            let err = match result {
                Ok(never) => match never {},
                Err(err) => err,
            };
            match backoff.next_delay(attempt, &err, op.is_idempotent()) {
                Some(delay) => self.inner.runtime.sleep(delay).await,
                None => return Err(err),
            }
        }
    }

    /// Sends `request` and reads the whole body.
    async fn fetch(&self, request: Request, options: HttpOptions) -> Result<Response> {
        let head = self.inner.runtime.http(request, options).await?;
        self.remember_version(&head.headers);
        self.collect(head, usize::MAX).await
    }

    /// Reads a body into a [`Response`], keeping at most `max` bytes.
    async fn collect(&self, head: HttpResponse<R::Body>, max: usize) -> Result<Response> {
        let HttpResponse {
            status,
            headers,
            mut body,
        } = head;
        let mut buf = BytesMut::new();
        let mut single: Option<Bytes> = None;
        while let Some(chunk) = body.next_chunk().await {
            let chunk = chunk?;
            if buf.len() + single.as_ref().map_or(0, Bytes::len) >= max {
                continue;
            }
            // Keep a single chunk as it is (no copy); merge only when there are several.
            match single.take() {
                None if buf.is_empty() => single = Some(chunk),
                first => {
                    if let Some(first) = first {
                        buf.extend_from_slice(&first);
                    }
                    buf.extend_from_slice(&chunk);
                }
            }
        }
        let body = match single {
            Some(b) => b,
            None => buf.freeze(),
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Runs `fut` with a deadline, failing with [`Error::Timeout`] naming `what`.
    async fn with_timeout<T>(
        &self,
        timeout: Option<Duration>,
        what: String,
        fut: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(limit) = timeout else {
            return fut.await;
        };
        let fut = core::pin::pin!(fut);
        let sleep = core::pin::pin!(self.inner.runtime.sleep(limit));
        match future::select(fut, sleep).await {
            Either::Left((result, _)) => result,
            Either::Right(((), _)) => Err(Error::Timeout(alloc::format!(
                "{what} took longer than {}",
                crate::time::format_go_duration(limit)
            ))),
        }
    }

    fn remember_version(&self, headers: &[(String, String)]) {
        if let Some(v) = crate::response::header(headers, "sprite-version") {
            if let Ok(mut slot) = self.inner.sprite_version.lock() {
                *slot = Some(String::from(v));
            }
        }
    }

    fn last_sprite_version(&self) -> Option<String> {
        self.inner
            .sprite_version
            .lock()
            .ok()
            .and_then(|v| v.clone())
    }

    fn endpoint(&self) -> Result<&Endpoint> {
        match &self.inner.config_error {
            Some(message) => Err(Error::invalid_argument(message.clone())),
            None => Ok(&self.inner.endpoint),
        }
    }

    fn keepalive(&self) -> Option<Keepalive> {
        self.inner.keepalive
    }

    fn timeouts(&self) -> &Timeouts {
        &self.inner.timeouts
    }
}

/// Settings for a [`SpritesClient`]: base URL, timeouts per class, user agent, retry policy
/// and exec keepalive.
///
/// ```no_run
/// # fn demo<R: sprites_core::client::Runtime + Default>() {
/// use core::time::Duration;
/// use sprites_core::client::SpritesClientBuilder;
/// use sprites_core::retry::RetryPolicy;
///
/// let client = SpritesClientBuilder::<R>::new("my-token")
///     .base_url("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(10))
///     .retry(RetryPolicy::never().with_max_attempts(3))
///     .build();
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// # }
/// ```
pub struct SpritesClientBuilder<R> {
    runtime: core::marker::PhantomData<fn() -> R>,
    token: String,
    base_url: String,
    user_agent: Option<String>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    keepalive: Option<Keepalive>,
}

impl<R> Clone for SpritesClientBuilder<R> {
    fn clone(&self) -> Self {
        SpritesClientBuilder {
            runtime: core::marker::PhantomData,
            token: self.token.clone(),
            base_url: self.base_url.clone(),
            user_agent: self.user_agent.clone(),
            timeouts: self.timeouts,
            retry: self.retry.clone(),
            keepalive: self.keepalive,
        }
    }
}

impl<R> fmt::Debug for SpritesClientBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpritesClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("keepalive", &self.keepalive)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> SpritesClientBuilder<R> {
    /// Defaults: the production URL, [`Timeouts::default`], no retries, keepalive 15 s / 45 s.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// let client = sprites_core::client::SpritesClientBuilder::<R>::new("my-token").build();
    /// assert_eq!(client.base_url(), "https://api.sprites.dev");
    /// # }
    /// ```
    pub fn new(token: impl Into<String>) -> Self {
        SpritesClientBuilder {
            runtime: core::marker::PhantomData,
            token: token.into(),
            base_url: String::from(BaseUrl::DEFAULT),
            user_agent: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::never(),
            keepalive: Some(Keepalive::default()),
        }
    }

    /// The API base URL (`https://api.sprites.dev` by default; a trailing `/` is ignored).
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// let client = sprites_core::client::SpritesClient::<R>::builder("my-token")
    ///     .base_url("http://localhost:8080/")
    ///     .build();
    /// assert_eq!(client.base_url(), "http://localhost:8080");
    /// # }
    /// ```
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The timeout of plain calls (30 s by default); `timeout(d)` of the seed crate.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// use core::time::Duration;
    ///
    /// let client = sprites_core::client::SpritesClient::<R>::builder("my-token")
    ///     .timeout(Duration::from_secs(5))
    ///     .build();
    /// # drop(client); }
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.default = Some(timeout);
        self
    }

    /// Every timeout class at once.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// use core::time::Duration;
    /// use sprites_core::ops::Timeouts;
    ///
    /// let timeouts = Timeouts { create: Some(Duration::from_secs(300)), stream_idle: None, ..Timeouts::default() };
    /// let client = sprites_core::client::SpritesClient::<R>::builder("my-token")
    ///     .timeouts(timeouts)
    ///     .build();
    /// # drop(client); }
    /// ```
    #[must_use]
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The `User-Agent` (default `sprites-rs/<version>`).
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// let client = sprites_core::client::SpritesClient::<R>::builder("my-token")
    ///     .user_agent("my-ci/1.4")
    ///     .build();
    /// # drop(client); }
    /// ```
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The retry policy (default: never retry, like every official SDK).
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// use core::time::Duration;
    /// use sprites_core::retry::RetryPolicy;
    ///
    /// let policy = RetryPolicy::never()
    ///     .with_max_attempts(4)
    ///     .with_backoff(Duration::from_millis(200), 2.0, Duration::from_secs(5));
    /// let client = sprites_core::client::SpritesClient::<R>::builder("my-token")
    ///     .retry(policy)
    ///     .build();
    /// # drop(client); }
    /// ```
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Exec keepalive (ping interval and idle limit); `None` turns it off.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// use core::time::Duration;
    /// use sprites_core::exec::Keepalive;
    ///
    /// let keepalive = Keepalive { interval: Duration::from_secs(5), idle_limit: Duration::from_secs(20) };
    /// let client = sprites_core::client::SpritesClient::<R>::builder("my-token")
    ///     .keepalive(Some(keepalive))
    ///     .build();
    /// # drop(client); }
    /// ```
    #[must_use]
    pub fn keepalive(mut self, keepalive: Option<Keepalive>) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Builds the client on the default runtime.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime + Default>() {
    /// let client = sprites_core::client::SpritesClient::<R>::builder("my-token").build();
    /// assert_eq!(client.token(), "my-token");
    /// # }
    /// ```
    pub fn build(self) -> SpritesClient<R>
    where
        R: Default,
    {
        self.build_with(R::default())
    }

    /// Builds the client on `runtime`. An invalid base URL does not fail here (the seed API
    /// is infallible): every request then fails with [`Error::InvalidArgument`] naming the
    /// URL, and nothing is sent. [`SpritesClientBuilder::try_build_with`] reports it at once.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime>(runtime: R) {
    /// use sprites_core::client::SpritesClientBuilder;
    ///
    /// let client = SpritesClientBuilder::new("my-token").build_with(runtime);
    /// # let _: sprites_core::client::SpritesClient<R> = client; }
    /// ```
    pub fn build_with(self, runtime: R) -> SpritesClient<R> {
        let (base, config_error) = match BaseUrl::parse(&self.base_url) {
            Ok(base) => (base, None),
            Err(e) => (
                unreachable_base(),
                Some(alloc::string::ToString::to_string(&e)),
            ),
        };
        let mut endpoint = Endpoint {
            base,
            token: crate::request::Token::new(self.token),
            user_agent: crate::request::default_user_agent(),
        };
        if let Some(ua) = self.user_agent {
            endpoint.user_agent = ua;
        }
        SpritesClient {
            inner: Arc::new(Inner {
                runtime,
                endpoint,
                config_error,
                timeouts: self.timeouts,
                retry: self.retry,
                keepalive: self.keepalive,
                sprite_version: std::sync::Mutex::new(None),
            }),
        }
    }

    /// Checks the settings and builds the client on `runtime`.
    ///
    /// ```no_run
    /// # fn demo<R: sprites_core::client::Runtime>(runtime: R) {
    /// use sprites_core::client::SpritesClientBuilder;
    ///
    /// let built = SpritesClientBuilder::new("my-token")
    ///     .base_url("not a url")
    ///     .try_build_with(runtime);
    /// assert!(matches!(built, Err(sprites_core::Error::InvalidArgument(_))));
    /// # }
    /// ```
    pub fn try_build_with(self, runtime: R) -> Result<SpritesClient<R>> {
        BaseUrl::parse(&self.base_url)?;
        Ok(self.build_with(runtime))
    }
}

/// A placeholder for a base URL that did not parse; never used to send anything (every
/// request fails first with the parse error). `.invalid` is reserved by RFC 6761.
fn unreachable_base() -> BaseUrl {
    match BaseUrl::parse("http://base-url-rejected.invalid") {
        Ok(base) => base,
        // The literal above is a valid base URL.
        Err(_) => unreachable!("the placeholder base URL parses"),
    }
}
