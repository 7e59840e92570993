//! The tokio adapter against the in-process emulator: HTTP, WebSocket upgrade errors, and
//! the port proxy both as a socket and as a local listener. (The behavioural suite for the
//! whole API lives in the `sprites-tests` crate.)

use std::future::Future;
use std::time::Duration;

use sprites::{Error, SpritesClient};
use sprites_emulator::{Emulator, EmulatorHandle, IsolationChoice};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every network wait in these tests is bounded so a hang fails fast.
const LIMIT: Duration = Duration::from_secs(20);

async fn within<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the test finished within its time limit")
}

async fn emulator() -> (EmulatorHandle, SpritesClient) {
    let emulator = Emulator::builder()
        .isolation(IsolationChoice::Plain)
        .start()
        .await
        .expect("the emulator starts");
    let client = SpritesClient::with_base_url(emulator.token(), emulator.base_url());
    (emulator, client)
}

/// A TCP server on the host's loopback that echoes every connection, upper-cased so the
/// answer cannot be mistaken for what was sent. In plain isolation the sprite's `localhost`
/// is the host's.
async fn upper_echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind echo");
    let port = listener.local_addr().expect("echo addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            let upper = buf[..n].to_ascii_uppercase();
                            if stream.write_all(&upper).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn plain_call_returns_the_parsed_answer() {
    let (emulator, client) = emulator().await;
    let created = within(client.create("adapter-http")).await.expect("create");
    let info = within(client.get(created.name())).await.expect("get");
    assert_eq!(info.name, "adapter-http");
    emulator.shutdown().await;
}

#[tokio::test]
async fn wrong_token_is_unauthorized() {
    let (emulator, _) = emulator().await;
    let client = SpritesClient::with_base_url("wrong-token", emulator.base_url());
    let err = within(client.list())
        .await
        .expect_err("a wrong token fails");
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn refused_websocket_upgrade_becomes_the_api_error() {
    let (emulator, _) = emulator().await;
    let client = SpritesClient::with_base_url("wrong-token", emulator.base_url());
    let err = within(client.sprite("nobody").proxy_socket("localhost", 80))
        .await
        .expect_err("a refused upgrade fails");
    assert_eq!(err.status(), Some(401), "{err:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error() {
    // Port 9 (discard) on loopback: nothing listens there in a test environment.
    let client = SpritesClient::with_base_url("token", "http://127.0.0.1:9");
    let err = within(client.list()).await.expect_err("no server");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the cause is kept"
    );
}

#[tokio::test]
async fn proxy_socket_carries_bytes_both_ways() {
    let (emulator, client) = emulator().await;
    let port = upper_echo_server().await;
    let sprite = within(client.create("adapter-socket"))
        .await
        .expect("create");
    let mut socket = within(sprite.proxy_socket("localhost", port))
        .await
        .expect("proxy connects");
    within(socket.write_all(b"hello proxy"))
        .await
        .expect("write");
    within(socket.flush()).await.expect("flush");
    let mut reply = [0; 11];
    within(socket.read_exact(&mut reply)).await.expect("read");
    assert_eq!(&reply, b"HELLO PROXY");
    emulator.shutdown().await;
}

#[tokio::test]
async fn proxy_socket_to_a_closed_port_fails() {
    let (emulator, client) = emulator().await;
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let sprite = within(client.create("adapter-closed"))
        .await
        .expect("create");
    let err = within(sprite.proxy_socket("localhost", closed))
        .await
        .expect_err("nothing listens there");
    assert!(err.to_string().contains(&closed.to_string()), "{err}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn proxy_port_forwards_local_connections() {
    let (emulator, client) = emulator().await;
    let port = upper_echo_server().await;
    let sprite = within(client.create("adapter-port")).await.expect("create");
    let session = within(sprite.proxy_port(0, port)).await.expect("listen");
    assert_eq!(session.remote_port(), port);
    let mut local = within(TcpStream::connect(("127.0.0.1", session.local_port())))
        .await
        .expect("connect locally");
    within(local.write_all(b"through the tunnel"))
        .await
        .expect("write");
    let mut reply = [0; 18];
    within(local.read_exact(&mut reply)).await.expect("read");
    assert_eq!(&reply, b"THROUGH THE TUNNEL");
    emulator.shutdown().await;
}

#[tokio::test]
async fn proxy_session_close_stops_the_listener() {
    let (emulator, client) = emulator().await;
    let sprite = within(client.create("adapter-close"))
        .await
        .expect("create");
    let session = within(sprite.proxy_port(0, 80)).await.expect("listen");
    let port = session.local_port();
    session.close();
    within(session.wait()).await;
    assert!(session.is_closed());
    let refused = TcpStream::connect(("127.0.0.1", port)).await;
    assert!(refused.is_err(), "nothing listens after close");
    emulator.shutdown().await;
}

#[tokio::test]
async fn proxy_port_rejects_port_zero_inside_the_sprite() {
    let client = SpritesClient::new("token");
    let err = client
        .sprite("any")
        .proxy_port(0, 0)
        .await
        .expect_err("port 0 is invalid");
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
}

#[tokio::test]
async fn target_closing_ends_the_local_connection() {
    let (emulator, client) = emulator().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(b"bye").await;
        }
    });
    let sprite = within(client.create("adapter-eof")).await.expect("create");
    let session = within(sprite.proxy_port(0, port)).await.expect("listen");
    let mut local = within(TcpStream::connect(("127.0.0.1", session.local_port())))
        .await
        .expect("connect locally");
    let mut all = Vec::new();
    within(local.read_to_end(&mut all))
        .await
        .expect("read to end");
    assert_eq!(all, b"bye");
    emulator.shutdown().await;
}

#[tokio::test]
async fn local_close_ends_the_target_connection() {
    let (emulator, client) = emulator().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (seen_tx, seen_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            let mut all = Vec::new();
            let _ = stream.read_to_end(&mut all).await;
            let _ = seen_tx.send(all);
        }
    });
    let sprite = within(client.create("adapter-close-local"))
        .await
        .expect("create");
    let session = within(sprite.proxy_port(0, port)).await.expect("listen");
    let mut local = within(TcpStream::connect(("127.0.0.1", session.local_port())))
        .await
        .expect("connect locally");
    within(local.write_all(b"last words")).await.expect("write");
    drop(local);
    let seen = within(seen_rx).await.expect("the target saw its end");
    assert_eq!(seen, b"last words");
    emulator.shutdown().await;
}
