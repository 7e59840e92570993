//! The port proxy (spec §7) and port notifications (spec §5.4).

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use sprites_emulator::IsolationChoice;
use tokio_tungstenite::tungstenite::Message;

both_levels!(
    port_opened_and_closed_reach_exec_sockets,
    proxy_forwards_bytes_to_a_port_in_the_sprite,
    proxy_to_closed_port_reports_failure
);

const LISTENER: &str = r#"
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
sys.stdin.readline()
s.close()
sys.stdin.readline()
"#;

const ECHO_UPPER: &str = r#"
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
while True:
    d = c.recv(4096)
    if not d:
        break
    c.sendall(d.upper())
"#;

async fn port_opened_and_closed_reach_exec_sockets(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec(
            "s",
            &format!("{}&stdin=true", cmd(&["/usr/bin/python3", "-c", LISTENER])),
        )
        .await;
    let head = until_output(&mut ws, "\n").await;
    let port: u64 = head.stdout().trim().parse().expect("port");
    let opened = until_text(&mut ws, "port_opened").await;
    let ev = &opened.texts("port_opened")[0];
    assert_eq!(ev["port"], port);
    assert_eq!(ev["address"], "127.0.0.1");
    assert!(ev["pid"].as_u64().is_some());
    send_stdin(&mut ws, b"close\n").await;
    let closed = until_text(&mut ws, "port_closed").await;
    assert_eq!(closed.texts("port_closed")[0]["port"], port);
    send_eof(&mut ws).await;
    env.emu.shutdown().await;
}

async fn proxy_forwards_bytes_to_a_port_in_the_sprite(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut server = env
        .exec("s", &cmd(&["/usr/bin/python3", "-c", ECHO_UPPER]))
        .await;
    let head = until_output(&mut server, "\n").await;
    let port: u16 = head.stdout().trim().parse().expect("port");
    let (mut proxy, _) = env.ws("/v1/sprites/s/proxy").await;
    proxy
        .send(Message::Text(
            json!({"host": "localhost", "port": port})
                .to_string()
                .into(),
        ))
        .await
        .expect("send");
    let reply = next(&mut proxy).await.expect("reply");
    assert_eq!(
        reply,
        Ev::Text(json!({"status": "connected", "target": format!("localhost:{port}")}))
    );
    proxy
        .send(Message::Binary(b"hello proxy".to_vec().into()))
        .await
        .expect("send");
    let mut got = Vec::new();
    while got.len() < 11 {
        match tokio::time::timeout(WAIT, proxy.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Binary(b))) => got.extend_from_slice(&b),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, b"HELLO PROXY");
    proxy.send(Message::Close(None)).await.expect("close");
    let run = collect(&mut server).await;
    assert_eq!(run.exit_code(), Some(0));
    env.emu.shutdown().await;
}

async fn proxy_to_closed_port_reports_failure(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let (mut proxy, _) = env.ws("/v1/sprites/s/proxy").await;
    proxy
        .send(Message::Text(
            json!({"host": "127.0.0.1", "port": port})
                .to_string()
                .into(),
        ))
        .await
        .expect("send");
    let Some(Ev::Text(reply)) = next(&mut proxy).await else {
        panic!("no reply")
    };
    assert_ne!(reply["status"], "connected");
    env.emu.shutdown().await;
}
