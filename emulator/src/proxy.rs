//! The port proxy (spec §7): one WebSocket per TCP connection to a port of the sprite.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use sprites_core::ws::WsMessage;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{ApiError, ApiResult};
use crate::exec::agent_sprite;
use crate::store::AppState;

/// How long the client has to send its connect message.
const HANDSHAKE: Duration = Duration::from_secs(30);

/// `GET /v1/sprites/{name}/proxy` (WebSocket).
pub(crate) async fn proxy(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let sprite = agent_sprite(&st, &name)?;
    let ws = ws.map_err(|_| ApiError::bad_request("the proxy route needs a WebSocket upgrade"))?;
    Ok(ws
        .max_message_size(4 << 20)
        .protocols([crate::server::WS_PROTOCOL])
        .on_upgrade(move |socket| async move {
            serve(socket).await;
            sprite.touch();
        }))
}

fn to_axum(msg: WsMessage) -> Message {
    match msg {
        WsMessage::Text(t) => Message::Text(t.into()),
        WsMessage::Binary(b) => Message::Binary(b),
        _ => Message::Close(None),
    }
}

async fn serve(mut socket: WebSocket) {
    let first = match tokio::time::timeout(HANDSHAKE, socket.recv()).await {
        Ok(Some(Ok(Message::Text(t)))) => WsMessage::Text(t.as_str().to_string()),
        _ => return,
    };
    let target = match sprites_core::proxy::parse_connect(&first) {
        Ok(t) => t,
        Err(e) => {
            let _ = socket
                .send(to_axum(sprites_core::proxy::error_reply(&e.to_string())))
                .await;
            return;
        }
    };
    let host = match target.host() {
        "localhost" | "" => "127.0.0.1",
        h => h,
    };
    let addr = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{}", target.port())
    } else {
        format!("{host}:{}", target.port())
    };
    let tcp = match tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(&addr),
    )
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let _ = socket
                .send(to_axum(sprites_core::proxy::error_reply(&format!(
                    "connect to {target}: {e}"
                ))))
                .await;
            return;
        }
        Err(_) => {
            let _ = socket
                .send(to_axum(sprites_core::proxy::error_reply(&format!(
                    "connect to {target}: timed out"
                ))))
                .await;
            return;
        }
    };
    if socket
        .send(to_axum(sprites_core::proxy::connected_reply(&target)))
        .await
        .is_err()
    {
        return;
    }
    let (mut tcp_read, mut tcp_write) = tcp.into_split();
    let (mut sink, mut stream) = socket.split();
    let upstream = async {
        while let Some(Ok(msg)) = stream.next().await {
            match msg {
                Message::Binary(b) if tcp_write.write_all(&b).await.is_err() => break,
                Message::Close(_) => break,
                _ => {}
            }
        }
        let _ = tcp_write.shutdown().await;
    };
    let downstream = async {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match tcp_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let chunk = Bytes::copy_from_slice(buf.get(..n).unwrap_or_default());
                    if sink.send(Message::Binary(chunk)).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: 1000,
                reason: "".into(),
            })))
            .await;
    };
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
    }
}
