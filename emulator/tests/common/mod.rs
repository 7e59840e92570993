//! Shared helpers for the integration tests: an in-process emulator, an HTTP client, an
//! exec WebSocket client. Every wait has a timeout.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use sprites_emulator::{Emulator, EmulatorHandle, IsolationChoice};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub const WAIT: Duration = Duration::from_secs(20);

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Env {
    pub emu: EmulatorHandle,
    pub http: reqwest::Client,
}

/// An HTTP client for the tests (plain HTTP; a crypto provider is installed because workspace
/// builds unify reqwest's features with the `sprites` crate's provider-less rustls).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub async fn start(isolation: IsolationChoice) -> Env {
    let emu = Emulator::builder()
        .isolation(isolation)
        .start()
        .await
        .expect("emulator starts");
    Env {
        emu,
        http: http_client(),
    }
}

pub async fn start_with(builder: sprites_emulator::EmulatorBuilder) -> Env {
    let emu = builder.start().await.expect("emulator starts");
    Env {
        emu,
        http: http_client(),
    }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.emu.base_url(), path)
    }

    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(self.emu.token())
            .timeout(WAIT)
    }

    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.req(method, path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn create_sprite(&self, name: &str) {
        let (status, body) = self
            .json(
                reqwest::Method::POST,
                "/v1/sprites",
                Some(serde_json::json!({"name": name})),
            )
            .await;
        assert_eq!(status, 201, "create {name}: {body}");
    }

    /// NDJSON lines of a streaming response.
    pub async fn ndjson(&self, method: reqwest::Method, path: &str) -> (u16, Vec<Value>) {
        let resp = self.req(method, path).send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let lines = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("ndjson line"))
            .collect();
        (status, lines)
    }

    pub async fn ws(&self, path_and_query: &str) -> (Ws, reqwest::header::HeaderMap) {
        let url = format!(
            "{}{}",
            self.emu.base_url().replacen("http", "ws", 1),
            path_and_query
        );
        let mut req = url.into_client_request().expect("ws request");
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {}", self.emu.token())
                .parse()
                .expect("header"),
        );
        let (ws, resp) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .expect("ws connect in time")
            .expect("ws connect");
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in resp.headers() {
            if let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()),
                reqwest::header::HeaderValue::from_bytes(v.as_bytes()),
            ) {
                headers.insert(k, v);
            }
        }
        (ws, headers)
    }

    pub async fn exec(&self, sprite: &str, query: &str) -> Ws {
        self.ws(&format!("/v1/sprites/{sprite}/exec?{query}"))
            .await
            .0
    }
}

/// Builds `cmd=..&cmd=..` from argv.
pub fn cmd(argv: &[&str]) -> String {
    argv.iter()
        .map(|a| format!("cmd={}", urlencode(a)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One received event, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    Text(Value),
    Binary(Vec<u8>),
    Close(Option<u16>),
}

/// Everything a socket delivered until it closed.
#[derive(Debug, Default)]
pub struct Run {
    pub events: Vec<Ev>,
}

impl Run {
    pub fn stream(&self, id: u8) -> Vec<u8> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Ev::Binary(b) if b.first() == Some(&id) => {
                    Some(b.get(1..).unwrap_or_default().to_vec())
                }
                _ => None,
            })
            .flatten()
            .collect()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stream(1)).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stream(2)).into_owned()
    }

    /// TTY output: all binary frames concatenated.
    pub fn raw(&self) -> String {
        let bytes: Vec<u8> = self
            .events
            .iter()
            .filter_map(|e| match e {
                Ev::Binary(b) => Some(b.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    pub fn texts(&self, ty: &str) -> Vec<Value> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Ev::Text(v) if v["type"] == ty => Some(v.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn exit_code(&self) -> Option<i64> {
        self.texts("exit")
            .first()
            .and_then(|v| v["exit_code"].as_i64())
    }
}

/// Reads one event with a timeout.
pub async fn next(ws: &mut Ws) -> Option<Ev> {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("ws event in time")?;
        return match msg {
            Ok(Message::Text(t)) => Some(Ev::Text(
                serde_json::from_str(t.as_str()).expect("json text frame"),
            )),
            Ok(Message::Binary(b)) => Some(Ev::Binary(b.to_vec())),
            Ok(Message::Close(f)) => Some(Ev::Close(f.map(|f| u16::from(f.code)))),
            Ok(_) => continue,
            Err(_) => None,
        };
    }
}

/// Reads until the socket closes.
pub async fn collect(ws: &mut Ws) -> Run {
    let mut run = Run::default();
    while let Some(ev) = next(ws).await {
        let closing = matches!(ev, Ev::Close(_));
        run.events.push(ev);
        if closing {
            break;
        }
    }
    run
}

/// Reads until a text message of type `ty` arrives; returns everything read.
pub async fn until_text(ws: &mut Ws, ty: &str) -> Run {
    let mut run = Run::default();
    while let Some(ev) = next(ws).await {
        let done = matches!(&ev, Ev::Text(v) if v["type"] == ty);
        run.events.push(ev);
        if done {
            return run;
        }
    }
    panic!("socket closed before a {ty} message: {run:?}");
}

/// Reads until the concatenated output contains `needle`.
pub async fn until_output(ws: &mut Ws, needle: &str) -> Run {
    let mut run = Run::default();
    while let Some(ev) = next(ws).await {
        run.events.push(ev);
        if run.raw().contains(needle) {
            return run;
        }
    }
    panic!("socket closed before output {needle:?}: {run:?}");
}

pub async fn send_stdin(ws: &mut Ws, data: &[u8]) {
    let mut frame = vec![0u8];
    frame.extend_from_slice(data);
    ws.send(Message::Binary(frame.into()))
        .await
        .expect("send stdin");
}

pub async fn send_eof(ws: &mut Ws) {
    ws.send(Message::Binary(vec![4u8].into()))
        .await
        .expect("send eof");
}

pub async fn send_text(ws: &mut Ws, value: Value) {
    ws.send(Message::Text(value.to_string().into()))
        .await
        .expect("send text");
}

/// Polls `check` until it is true, failing after [`WAIT`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Instantiates an async test for both isolation levels.
#[macro_export]
macro_rules! both_levels {
    ($($name:ident),* $(,)?) => {
        mod plain {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(sprites_emulator::IsolationChoice::Plain).await;
                }
            )*
        }
        mod overlay {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(sprites_emulator::IsolationChoice::Overlay).await;
                }
            )*
        }
    };
}
