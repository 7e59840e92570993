//! The port proxy: forward a local port to a server inside the sprite, and open one tunnel
//! directly as an `AsyncRead + AsyncWrite` socket.

mod common;

use sprites::ServiceRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PORT: u16 = 8765;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = common::Backend::start().await?;
    let sprite = backend.client.create(common::unique_name("proxy")).await?;
    let result = async {
        // A tiny HTTP server inside the sprite.
        let server = ServiceRequest {
            cmd: "python3".into(),
            args: vec!["-m".into(), "http.server".into(), PORT.to_string()],
            ..ServiceRequest::default()
        };
        sprite.create_service("web", server).await?;

        // 1. A local listener: 127.0.0.1:<any free port> -> sprite:8765.
        let session = sprite.proxy_port(0, PORT).await?;
        println!(
            "forwarding 127.0.0.1:{} -> sprite:{PORT}",
            session.local_port()
        );
        let mut local = tokio::net::TcpStream::connect(("127.0.0.1", session.local_port())).await?;
        local.write_all(b"HEAD / HTTP/1.0\r\n\r\n").await?;
        let mut answer = String::new();
        local.read_to_string(&mut answer).await?;
        println!(
            "via proxy_port: {}",
            answer.lines().next().unwrap_or_default()
        );
        session.close();

        // 2. One tunnel as a socket, no local port at all.
        let mut socket = sprite.proxy_socket("localhost", PORT).await?;
        socket.write_all(b"HEAD / HTTP/1.0\r\n\r\n").await?;
        let mut answer = String::new();
        socket.read_to_string(&mut answer).await?;
        println!(
            "via proxy_socket: {}",
            answer.lines().next().unwrap_or_default()
        );

        sprite.delete_service("web").await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    }
    .await;
    sprite.destroy().await?;
    backend.stop().await;
    result
}
