//! The exec client (`Command`, `Child`, pipes) against an in-memory fake runtime: the
//! WebSocket is a pair of channels, a scripted server task replays frames, sleeps wait on a
//! manual clock, and a small executor runs everything on the test thread.

#![cfg(feature = "client")]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use bytes::Bytes;
use futures_channel::mpsc;
use futures_core::Stream;
use futures_sink::Sink;
use futures_util::{SinkExt, StreamExt};
use sprites_core::client::{
    Child, HttpBody, HttpOptions, HttpResponse, Runtime, Sprite, SpritesClientBuilder,
};
use sprites_core::model::Signal;
use sprites_core::request::{Method, Request};
use sprites_core::time::Instant;
use sprites_core::ws::WsMessage;
use sprites_core::{ApiError, Error, Result};

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;
type Server = Arc<dyn Fn(ServerEnd) -> Task + Send + Sync>;
type HttpRoute = Arc<dyn Fn(&Request) -> (u16, Vec<(String, String)>, Bytes) + Send + Sync>;

// --- the fake runtime ----------------------------------------------------------------------

#[derive(Clone)]
struct Fake {
    shared: Arc<Shared>,
}

struct Shared {
    spawned: Mutex<Vec<Task>>,
    woken: Arc<AtomicBool>,
    now: Mutex<Duration>,
    sleepers: Mutex<Vec<Waker>>,
    server: Mutex<Option<Server>>,
    upgrade_headers: Mutex<Vec<(String, String)>>,
    /// WebSocket URLs that fail with a 404 (containing this text).
    ws_not_found: Mutex<Vec<String>>,
    ws_requests: Mutex<Vec<String>>,
    http_requests: Mutex<Vec<(Method, String)>>,
    http: Mutex<Option<HttpRoute>>,
    /// Every message the client sent on any socket.
    sent: Arc<Mutex<Vec<WsMessage>>>,
    /// The capacity of the server-to-client channel (`0`: one message in flight).
    to_client_capacity: usize,
}

impl Fake {
    fn new() -> Self {
        Fake {
            shared: Arc::new(Shared {
                spawned: Mutex::new(Vec::new()),
                woken: Arc::new(AtomicBool::new(false)),
                now: Mutex::new(Duration::ZERO),
                sleepers: Mutex::new(Vec::new()),
                server: Mutex::new(None),
                upgrade_headers: Mutex::new(vec![(
                    "X-Sprite-Capabilities".into(),
                    "signal".into(),
                )]),
                ws_not_found: Mutex::new(Vec::new()),
                ws_requests: Mutex::new(Vec::new()),
                http_requests: Mutex::new(Vec::new()),
                http: Mutex::new(None),
                sent: Arc::new(Mutex::new(Vec::new())),
                to_client_capacity: 0,
            }),
        }
    }

    fn serve<F, Fut>(self, server: F) -> Self
    where
        F: Fn(ServerEnd) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        *self.shared.server.lock().unwrap() = Some(Arc::new(move |end| Box::pin(server(end))));
        self
    }

    fn without_capabilities(self) -> Self {
        self.shared.upgrade_headers.lock().unwrap().clear();
        self
    }

    fn http_route(
        self,
        route: impl Fn(&Request) -> (u16, Vec<(String, String)>, Bytes) + Send + Sync + 'static,
    ) -> Self {
        *self.shared.http.lock().unwrap() = Some(Arc::new(route));
        self
    }

    fn sent(&self) -> Vec<WsMessage> {
        self.shared.sent.lock().unwrap().clone()
    }

    fn http_requests(&self) -> Vec<(Method, String)> {
        self.shared.http_requests.lock().unwrap().clone()
    }

    fn ws_requests(&self) -> Vec<String> {
        self.shared.ws_requests.lock().unwrap().clone()
    }

    fn advance(&self, d: Duration) {
        *self.shared.now.lock().unwrap() += d;
        for waker in self.shared.sleepers.lock().unwrap().drain(..) {
            waker.wake();
        }
    }

    fn sprite(&self) -> Sprite<Fake> {
        SpritesClientBuilder::new("token")
            .base_url("https://api.test")
            .build_with(self.clone())
            .sprite("demo")
    }
}

/// The server side of one fake WebSocket.
struct ServerEnd {
    /// What the client sent.
    from_client: mpsc::UnboundedReceiver<WsMessage>,
    /// What the client will receive.
    to_client: mpsc::Sender<Result<WsMessage>>,
}

impl ServerEnd {
    async fn send(&mut self, message: WsMessage) {
        self.to_client.send(Ok(message)).await.unwrap();
    }

    async fn text(&mut self, text: &str) {
        self.send(WsMessage::Text(text.into())).await;
    }

    async fn binary(&mut self, bytes: &[u8]) {
        self.send(WsMessage::Binary(Bytes::copy_from_slice(bytes)))
            .await;
    }

    async fn session_info(&mut self) {
        self.text(r#"{"type":"session_info","session_id":"332","command":"bash","tty":false}"#)
            .await;
    }

    /// Text exit then the binary exit frame, as the live server does.
    async fn exit(&mut self, code: u8) {
        self.text(&format!(r#"{{"type":"exit","exit_code":{code}}}"#))
            .await;
        self.binary(&[0x03, code]).await;
    }

    /// Waits for the client's stdin EOF frame.
    async fn until_eof(&mut self) {
        while let Some(m) = self.from_client.next().await {
            if m == WsMessage::Binary(Bytes::from_static(b"\x04")) {
                return;
            }
        }
    }
}

/// The client side of one fake WebSocket.
struct FakeSocket {
    to_server: mpsc::UnboundedSender<WsMessage>,
    from_server: mpsc::Receiver<Result<WsMessage>>,
    sent: Arc<Mutex<Vec<WsMessage>>>,
}

impl Stream for FakeSocket {
    type Item = Result<WsMessage>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.from_server.poll_next_unpin(cx)
    }
}

impl Sink<WsMessage> for FakeSocket {
    type Error = Error;
    fn poll_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn start_send(self: Pin<&mut Self>, item: WsMessage) -> Result<()> {
        self.sent.lock().unwrap().push(item.clone());
        // The server may be gone; the client must not care.
        let _ = self.to_server.unbounded_send(item);
        Ok(())
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }
}

struct FakeBody(Option<Bytes>);

impl HttpBody for FakeBody {
    async fn next_chunk(&mut self) -> Option<Result<Bytes>> {
        self.0.take().filter(|b| !b.is_empty()).map(Ok)
    }
}

struct Sleep {
    shared: Arc<Shared>,
    until: Duration,
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if *self.shared.now.lock().unwrap() >= self.until {
            return Poll::Ready(());
        }
        self.shared
            .sleepers
            .lock()
            .unwrap()
            .push(cx.waker().clone());
        Poll::Pending
    }
}

impl Runtime for Fake {
    type Body = FakeBody;
    type WebSocket = FakeSocket;

    async fn http(&self, request: Request, _: HttpOptions) -> Result<HttpResponse<FakeBody>> {
        self.shared
            .http_requests
            .lock()
            .unwrap()
            .push((request.method, request.url.clone()));
        let route = self.shared.http.lock().unwrap().clone();
        let (status, headers, body) = match route {
            Some(route) => route(&request),
            None => (404, Vec::new(), Bytes::new()),
        };
        Ok(HttpResponse {
            status,
            headers,
            body: FakeBody(Some(body)),
        })
    }

    async fn websocket(&self, request: Request) -> Result<(FakeSocket, Vec<(String, String)>)> {
        self.shared
            .ws_requests
            .lock()
            .unwrap()
            .push(request.url.clone());
        let fails = self.shared.ws_not_found.lock().unwrap().clone();
        if fails.iter().any(|f| request.url.contains(f.as_str())) {
            return Err(Error::NotFound(Box::new(ApiError::new(404, "not found"))));
        }
        let (to_server, from_client) = mpsc::unbounded();
        let (to_client, from_server) = mpsc::channel(self.shared.to_client_capacity);
        let server = self.shared.server.lock().unwrap().clone();
        if let Some(server) = server {
            self.spawn(server(ServerEnd {
                from_client,
                to_client,
            }));
        }
        let socket = FakeSocket {
            to_server,
            from_server,
            sent: Arc::clone(&self.shared.sent),
        };
        let headers = self.shared.upgrade_headers.lock().unwrap().clone();
        Ok((socket, headers))
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        let until = *self.shared.now.lock().unwrap() + duration;
        Sleep {
            shared: Arc::clone(&self.shared),
            until,
        }
    }

    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.shared.spawned.lock().unwrap().push(Box::pin(task));
        self.shared.woken.store(true, Ordering::SeqCst);
    }

    fn now(&self) -> Instant {
        Instant::from_duration(*self.shared.now.lock().unwrap())
    }

    fn random_seed(&self) -> u64 {
        7
    }
}

// --- a tiny executor -------------------------------------------------------------------------

struct Flag(Arc<AtomicBool>);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs spawned tasks on the test thread until nothing can make progress.
struct Harness {
    rt: Fake,
    tasks: Vec<Task>,
}

impl Harness {
    fn new(rt: &Fake) -> Self {
        Harness {
            rt: rt.clone(),
            tasks: Vec::new(),
        }
    }

    /// Polls every task until a whole round wakes nothing and spawns nothing.
    fn run_until_stalled(&mut self) {
        let woken = Arc::clone(&self.rt.shared.woken);
        let waker = Waker::from(Arc::new(Flag(Arc::clone(&woken))));
        let mut cx = Context::from_waker(&waker);
        for _ in 0..100_000 {
            woken.store(false, Ordering::SeqCst);
            let new: Vec<Task> = self.rt.shared.spawned.lock().unwrap().drain(..).collect();
            self.tasks.extend(new);
            self.tasks
                .retain_mut(|t| t.as_mut().poll(&mut cx).is_pending());
            if !woken.load(Ordering::SeqCst) && self.rt.shared.spawned.lock().unwrap().is_empty() {
                return;
            }
        }
        panic!("the tasks never stall");
    }

    /// Runs `fut` (and every task) to completion; panics when everything is stuck.
    fn block_on<T: Send + 'static>(&mut self, fut: impl Future<Output = T> + Send + 'static) -> T {
        let slot = self.start(fut);
        self.run_until_stalled();
        let value = slot.lock().unwrap().take();
        value.expect("the future is stuck")
    }

    /// Spawns `fut` and returns where its output will be.
    fn start<T: Send + 'static>(
        &mut self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Arc<Mutex<Option<T>>> {
        let slot = Arc::new(Mutex::new(None));
        let out = Arc::clone(&slot);
        self.rt.spawn(async move {
            let value = fut.await;
            *out.lock().unwrap() = Some(value);
        });
        slot
    }
}

fn binary(bytes: &'static [u8]) -> WsMessage {
    WsMessage::Binary(Bytes::from_static(bytes))
}

fn is_text(m: &WsMessage) -> bool {
    matches!(m, WsMessage::Text(_))
}

/// The §5.5 live sequence: debug, session_info, stdout and stderr, text exit 7, binary exit.
async fn live_sequence(mut end: ServerEnd) {
    end.text(r#"{"msg":"session_created cmd=bash","pid":332,"type":"debug"}"#)
        .await;
    end.session_info().await;
    end.binary(b"\x01hello-stdout\n").await;
    end.binary(b"\x02hello-stderr\n").await;
    end.exit(7).await;
}

// --- tests -----------------------------------------------------------------------------------

#[test]
fn output_collects_stdout_stderr_and_exit_code() {
    let rt = Fake::new().serve(live_sequence);
    let sprite = rt.sprite();
    let output = Harness::new(&rt)
        .block_on(async move { sprite.command("bash").output().await })
        .unwrap();
    assert_eq!(output.status, 7);
    assert_eq!(output.stdout, b"hello-stdout\n");
    assert_eq!(output.stderr, b"hello-stderr\n");
    assert!(!output.success());
}

#[test]
fn output_returns_at_exit_while_the_server_keeps_the_socket_open() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        end.binary(b"\x01done\n").await;
        end.exit(0).await;
        // Never close: the client must not wait for it.
        futures_util::future::pending::<()>().await;
        drop(end);
    });
    let sprite = rt.sprite();
    let output = Harness::new(&rt)
        .block_on(async move { sprite.command("true").output().await })
        .unwrap();
    assert_eq!(output.status, 0);
    assert_eq!(output.stdout, b"done\n");
}

#[test]
fn combined_output_keeps_arrival_order_in_one_buffer() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        end.binary(b"\x01one ").await;
        end.binary(b"\x02two ").await;
        end.binary(b"\x01three").await;
        end.exit(0).await;
    });
    let sprite = rt.sprite();
    let output = Harness::new(&rt)
        .block_on(async move { sprite.command("sh").combined_output().await })
        .unwrap();
    assert_eq!(output.stdout, b"one two three");
    assert!(output.stderr.is_empty());
}

#[test]
fn socket_closed_before_exit_is_closed_before_exit_naming_sprite_and_session() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        end.binary(b"\x01partial").await;
    });
    let sprite = rt.sprite();
    let err = Harness::new(&rt)
        .block_on(async move { sprite.command("sh").output().await })
        .unwrap_err();
    match err {
        Error::ClosedBeforeExit {
            sprite, session_id, ..
        } => {
            assert_eq!(sprite, "demo");
            assert_eq!(session_id.as_deref(), Some("332"));
        }
        other => panic!("unexpected error: {other:?}"),
    }
}

#[test]
fn stdin_bytes_reach_the_server_as_stdin_frames_then_eof() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        end.until_eof().await;
        end.exit(0).await;
    });
    let sprite = rt.sprite();
    let status = Harness::new(&rt)
        .block_on(async move {
            let mut child = sprite.command("cat").stdin(true).spawn().await?;
            let stdin = child.take_stdin().expect("stdin pipe");
            stdin.write_all(b"abc").await?;
            stdin.write_all(b"def").await?;
            stdin.close().await?;
            child.wait().await
        })
        .unwrap();
    assert!(status.success());
    let sent: Vec<WsMessage> = rt.sent().into_iter().filter(|m| !is_text(m)).collect();
    assert_eq!(
        sent.get(..3),
        Some(&[binary(b"\x00abc"), binary(b"\x00def"), binary(b"\x04")][..])
    );
}

#[test]
fn output_sends_the_stdin_eof_at_once() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        end.until_eof().await;
        end.exit(0).await;
    });
    let sprite = rt.sprite();
    let output = Harness::new(&rt)
        .block_on(async move { sprite.command("cat").output().await })
        .unwrap();
    assert_eq!(output.status, 0);
    assert_eq!(rt.sent().first(), Some(&binary(b"\x04")));
}

#[test]
fn resize_without_tty_fails_and_sends_nothing() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        futures_util::future::pending::<()>().await;
        drop(end);
    });
    let sprite = rt.sprite();
    let mut h = Harness::new(&rt);
    let mut child = h
        .block_on(async move { sprite.command("sh").stdin(true).spawn().await })
        .unwrap();
    let err = child.resize(40, 120).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    h.run_until_stalled();
    assert!(rt.sent().is_empty(), "sent {:?}", rt.sent());
    drop(child);
}

#[test]
fn signal_with_capability_goes_in_band() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        futures_util::future::pending::<()>().await;
        drop(end);
    });
    let sprite = rt.sprite();
    let mut h = Harness::new(&rt);
    let mut child = h
        .block_on(async move { sprite.command("sleep").stdin(true).spawn().await })
        .unwrap();
    child.signal(Signal::SIGTERM).unwrap();
    h.run_until_stalled();
    assert_eq!(
        rt.sent(),
        vec![WsMessage::Text(
            r#"{"type":"signal","signal":"TERM"}"#.into()
        )]
    );
    assert!(rt.http_requests().is_empty());
    drop(child);
}

#[test]
fn signal_without_capability_sends_the_kill_request() {
    let rt = Fake::new()
        .without_capabilities()
        .serve(|mut end| async move {
            end.session_info().await;
            futures_util::future::pending::<()>().await;
            drop(end);
        })
        .http_route(|_| {
            (
                200,
                Vec::new(),
                Bytes::from_static(b"{\"type\":\"complete\",\"exit_code\":137}\n"),
            )
        });
    let sprite = rt.sprite();
    let mut h = Harness::new(&rt);
    let mut child = h
        .block_on(async move { sprite.command("sleep").stdin(true).spawn().await })
        .unwrap();
    child.kill().unwrap();
    h.run_until_stalled();
    assert_eq!(
        rt.http_requests(),
        vec![(
            Method::Post,
            "https://api.test/v1/sprites/demo/exec/332/kill?signal=SIGKILL&timeout=0s".into()
        )]
    );
    assert!(!rt.sent().iter().any(is_text), "in-band signal sent");
    drop(child);
}

#[test]
fn slow_reader_stops_the_driver_from_reading_the_socket() {
    const FRAMES: usize = 100;
    let pushed = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pushed);
    let rt = Fake::new().serve(move |mut end| {
        let counter = Arc::clone(&counter);
        async move {
            end.session_info().await;
            for i in 0..FRAMES {
                end.binary(format!("\x01{i:03}").as_bytes()).await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
            end.exit(0).await;
        }
    });
    let sprite = rt.sprite();
    let mut h = Harness::new(&rt);
    let mut child = h
        .block_on(async move {
            sprite
                .command("yes")
                .pipe_capacity(1)
                .max_buffered_output(0)
                .spawn()
                .await
        })
        .unwrap();
    let mut stdout = child.take_stdout().unwrap();
    h.run_until_stalled();
    // Pipe (1 + 1 sender slot) + one held in the session + one in the socket channel.
    let ahead = pushed.load(Ordering::SeqCst);
    assert!(
        ahead <= 5,
        "the server pushed {ahead} frames ahead of the reader"
    );

    let read = h.block_on(async move {
        let all = stdout.read_to_end().await;
        let status = child.wait().await;
        (all, status)
    });
    let expected: String = (0..FRAMES).map(|i| format!("{i:03}")).collect();
    assert_eq!(read.0.unwrap(), expected.as_bytes());
    assert!(read.1.unwrap().success());
}

#[test]
fn wait_completes_when_the_pipes_were_never_taken() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        for _ in 0..50 {
            end.binary(b"\x01out").await;
            end.binary(b"\x02err").await;
        }
        end.exit(3).await;
    });
    let sprite = rt.sprite();
    let status = Harness::new(&rt)
        .block_on(async move {
            let mut child = sprite.command("noisy").pipe_capacity(1).spawn().await?;
            child.wait().await
        })
        .unwrap();
    assert_eq!(status.code(), 3);
}

#[test]
fn wait_returns_the_same_status_twice() {
    let rt = Fake::new().serve(live_sequence);
    let sprite = rt.sprite();
    let (a, b) = Harness::new(&rt).block_on(async move {
        let mut child = sprite.command("bash").spawn().await.unwrap();
        (child.wait().await.unwrap(), child.wait().await.unwrap())
    });
    assert_eq!((a.code(), b.code()), (7, 7));
}

#[test]
fn spawn_knows_the_session_id_from_session_info() {
    let rt = Fake::new().serve(live_sequence);
    let sprite = rt.sprite();
    let child: Child<Fake> = Harness::new(&rt)
        .block_on(async move { sprite.command("bash").spawn().await })
        .unwrap();
    assert_eq!(child.session_id(), Some("332"));
    assert!(!child.is_tty());
}

#[test]
fn timeout_kills_the_session_and_names_sprite_and_command() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        futures_util::future::pending::<()>().await;
        drop(end);
    });
    let sprite = rt.sprite();
    let mut h = Harness::new(&rt);
    let result = h.start(async move {
        sprite
            .command("sleep")
            .timeout(Duration::from_secs(5))
            .output()
            .await
    });
    h.run_until_stalled();
    assert!(
        result.lock().unwrap().is_none(),
        "returned before the deadline"
    );
    rt.advance(Duration::from_secs(5));
    h.run_until_stalled();
    let err = result
        .lock()
        .unwrap()
        .take()
        .expect("no result")
        .unwrap_err();
    let Error::Timeout(message) = err else {
        panic!("unexpected error: {err:?}");
    };
    assert!(
        message.contains("\"sleep\"") && message.contains("\"demo\""),
        "{message}"
    );
    assert!(rt.sent().contains(&WsMessage::Text(
        r#"{"type":"signal","signal":"KILL"}"#.into()
    )));
}

#[test]
fn port_events_are_streamed() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        end.text(r#"{"type":"port_opened","port":8080,"address":"0.0.0.0","pid":9}"#)
            .await;
        end.exit(0).await;
    });
    let sprite = rt.sprite();
    let events = Harness::new(&rt).block_on(async move {
        let mut child = sprite.command("server").spawn().await.unwrap();
        let ports = child.take_port_events().unwrap();
        child.wait().await.unwrap();
        ports.collect::<Vec<_>>().await
    });
    assert_eq!(events.len(), 1);
    assert!(matches!(
        &events[0],
        sprites_core::client::PortChange::Opened(p) if p.port == 8080
    ));
}

#[test]
fn attach_without_known_version_probes_then_uses_the_legacy_form() {
    let rt = Fake::new().serve(live_sequence);
    let sprite = rt.sprite();
    let status = Harness::new(&rt)
        .block_on(async move { sprite.attach_session("332").spawn().await?.wait().await })
        .unwrap();
    assert_eq!(status.code(), 7);
    assert_eq!(
        rt.http_requests(),
        vec![(Method::Head, "https://api.test/v1/sprites/demo/exec".into())]
    );
    assert_eq!(
        rt.ws_requests(),
        vec![String::from("wss://api.test/v1/sprites/demo/exec?id=332")]
    );
}

#[test]
fn attach_retries_the_legacy_form_after_a_404_to_the_path_form() {
    let rt = Fake::new().serve(live_sequence).http_route(|_| {
        (
            200,
            vec![("Sprite-Version".into(), "0.1.0".into())],
            Bytes::new(),
        )
    });
    rt.shared
        .ws_not_found
        .lock()
        .unwrap()
        .push("/exec/332".into());
    let sprite = rt.sprite();
    let status = Harness::new(&rt)
        .block_on(async move { sprite.attach_session("332").spawn().await?.wait().await })
        .unwrap();
    assert_eq!(status.code(), 7);
    assert_eq!(
        rt.ws_requests(),
        vec![
            String::from("wss://api.test/v1/sprites/demo/exec/332"),
            String::from("wss://api.test/v1/sprites/demo/exec?id=332"),
        ]
    );
}

#[cfg(feature = "tokio-io")]
#[test]
fn tokio_io_reads_the_pipe_and_shutdown_sends_eof() {
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        end.binary(b"\x01pong").await;
        end.until_eof().await;
        end.exit(0).await;
    });
    let sprite = rt.sprite();
    let read = Harness::new(&rt).block_on(async move {
        let mut child = sprite.command("cat").stdin(true).spawn().await.unwrap();
        let mut stdin = child.take_stdin().unwrap();
        let mut stdout = child.take_stdout().unwrap();
        futures_util::future::poll_fn(|cx| Pin::new(&mut stdin).poll_write(cx, b"ping"))
            .await
            .unwrap();
        futures_util::future::poll_fn(|cx| Pin::new(&mut stdin).poll_shutdown(cx))
            .await
            .unwrap();
        let mut out = Vec::new();
        loop {
            let mut buf = [0u8; 3];
            let mut rb = ReadBuf::new(&mut buf);
            futures_util::future::poll_fn(|cx| Pin::new(&mut stdout).poll_read(cx, &mut rb))
                .await
                .unwrap();
            if rb.filled().is_empty() {
                break;
            }
            out.extend_from_slice(rb.filled());
        }
        child.wait().await.unwrap();
        out
    });
    assert_eq!(read, b"pong");
    let sent: Vec<WsMessage> = rt.sent().into_iter().filter(|m| !is_text(m)).collect();
    assert_eq!(
        sent.get(..2),
        Some(&[binary(b"\x00ping"), binary(b"\x04")][..])
    );
}

#[test]
fn exec_futures_are_send() {
    fn assert_send<T: Send>(_: T) {}
    let rt = Fake::new();
    let sprite = rt.sprite();
    let command = sprite.command("true");
    assert_send(command.output());
    assert_send(command.status());
    assert_send(command.combined_output());
    assert_send(sprite.command("true").spawn());
    assert_send(sprite.attach_session("1").spawn());
    fn child_is_send(child: Child<Fake>) {
        assert_send(child);
    }
    let _ = child_is_send;
}

#[test]
fn detach_closes_the_socket_without_a_signal() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        futures_util::future::pending::<()>().await;
        drop(end);
    });
    let sprite = rt.sprite();
    let mut h = Harness::new(&rt);
    let child = h
        .block_on(async move { sprite.command("server").tty(true).spawn().await })
        .unwrap();
    child.detach();
    h.run_until_stalled();
    assert_eq!(
        rt.sent(),
        vec![WsMessage::Close(Some(
            sprites_core::ws::CloseFrame::normal()
        ))]
    );
}

#[test]
fn pipe_read_reports_the_connection_closing_before_exit() {
    let rt = Fake::new().serve(|mut end| async move {
        end.session_info().await;
        end.binary(b"\x01partial").await;
    });
    let sprite = rt.sprite();
    let (first, second) = Harness::new(&rt).block_on(async move {
        let mut child = sprite.command("sh").spawn().await.unwrap();
        let mut stdout = child.take_stdout().unwrap();
        let mut buf = [0u8; 64];
        let first = stdout.read(&mut buf).await.map(|n| buf[..n].to_vec());
        (first, stdout.read(&mut buf).await)
    });
    assert_eq!(first.unwrap(), b"partial");
    assert!(
        matches!(second, Err(Error::ClosedBeforeExit { .. })),
        "{second:?}"
    );
}

/// A quiet command whose server answers pings: exits after `pings` pings were answered.
async fn quiet_server(mut end: ServerEnd, pings: usize, answer: bool) {
    end.session_info().await;
    let mut seen = 0;
    while let Some(m) = end.from_client.next().await {
        if let WsMessage::Ping(payload) = m {
            seen += 1;
            if answer {
                end.send(WsMessage::Pong(payload)).await;
            }
            if seen == pings {
                end.exit(0).await;
                futures_util::future::pending::<()>().await;
            }
        }
    }
}

#[test]
fn quiet_command_survives_ten_minutes_of_keepalive() {
    let rt = Fake::new().serve(|end| quiet_server(end, 40, true));
    let sprite = rt.sprite();
    let mut h = Harness::new(&rt);
    let result = h.start(async move { sprite.command("sleep").output().await });
    for _ in 0..40 {
        h.run_until_stalled();
        rt.advance(Duration::from_secs(15));
    }
    h.run_until_stalled();
    let output = result.lock().unwrap().take().expect("no result").unwrap();
    assert!(output.success());
}

#[test]
fn silent_connection_fails_after_the_idle_limit() {
    let rt = Fake::new().serve(|end| quiet_server(end, usize::MAX, false));
    let sprite = rt.sprite();
    let mut h = Harness::new(&rt);
    let result = h.start(async move { sprite.command("sleep").output().await });
    for _ in 0..4 {
        h.run_until_stalled();
        rt.advance(Duration::from_secs(15));
    }
    h.run_until_stalled();
    let err = result
        .lock()
        .unwrap()
        .take()
        .expect("no result")
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
}
