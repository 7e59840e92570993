//! The port-proxy handshake, both sides, with exact messages.

use bytes::Bytes;
use sprites_core::proxy::{
    connected_reply, error_reply, parse_connect, request, ProxyClient, ProxyEvent, ProxyTarget,
};
use sprites_core::request::Endpoint;
use sprites_core::ws::{CloseFrame, WsMessage};
use sprites_core::Error;

fn text(s: &str) -> WsMessage {
    WsMessage::Text(s.into())
}

fn connected_client(host: &str, port: u16) -> ProxyClient {
    let mut c = ProxyClient::new(ProxyTarget::new(host, port).unwrap());
    let _ = c.poll_transmit();
    c.handle_message(text(r#"{"status":"connected","target":"localhost:8080"}"#))
        .unwrap();
    let _ = c.poll_event();
    c
}

#[test]
fn upgrade_request_targets_the_proxy_path_with_auth() {
    let endpoint = Endpoint::new("http://127.0.0.1:8787/", "tok").unwrap();
    let req = request(&endpoint, "my sprite").unwrap();
    assert_eq!(req.url, "ws://127.0.0.1:8787/v1/sprites/my%20sprite/proxy");
    assert_eq!(req.header("authorization"), Some("Bearer tok"));
}

#[test]
fn upgrade_request_rejects_an_empty_sprite_name() {
    let endpoint = Endpoint::new("https://api.sprites.dev", "tok").unwrap();
    assert!(matches!(
        request(&endpoint, ""),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn connect_message_defaults_host_to_localhost() {
    let mut c = ProxyClient::new(ProxyTarget::new("", 8080).unwrap());
    assert_eq!(
        c.poll_transmit(),
        Some(text(r#"{"host":"localhost","port":8080}"#))
    );
    assert_eq!(c.poll_transmit(), None);
}

#[test]
fn connect_message_carries_the_given_host() {
    let mut c = ProxyClient::new(ProxyTarget::new("10.0.0.1", 5432).unwrap());
    assert_eq!(
        c.poll_transmit(),
        Some(text(r#"{"host":"10.0.0.1","port":5432}"#))
    );
}

#[test]
fn port_zero_is_rejected() {
    assert!(matches!(
        ProxyTarget::new("localhost", 0),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn target_displays_ipv6_in_brackets() {
    assert_eq!(
        ProxyTarget::new("fdf::1", 22).unwrap().to_string(),
        "[fdf::1]:22"
    );
    assert_eq!(
        ProxyTarget::new("", 80).unwrap().to_string(),
        "localhost:80"
    );
}

#[test]
fn connected_reply_connects_with_the_servers_target() {
    let mut c = ProxyClient::new(ProxyTarget::new("", 8080).unwrap());
    let _ = c.poll_transmit();
    c.handle_message(text(r#"{"status":"connected","target":"127.0.0.1:8080"}"#))
        .unwrap();
    assert!(c.is_connected());
    assert_eq!(
        c.poll_event(),
        Some(ProxyEvent::Connected {
            target: "127.0.0.1:8080".into()
        })
    );
}

#[test]
fn other_status_is_an_error_naming_host_and_port() {
    let mut c = ProxyClient::new(ProxyTarget::new("", 9999).unwrap());
    let _ = c.poll_transmit();
    let err = c
        .handle_message(text(r#"{"status":"error","error":"connection refused"}"#))
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("localhost:9999"), "{msg}");
    assert!(msg.contains("connection refused"), "{msg}");
    assert!(c.is_closed());
    assert_eq!(
        c.poll_transmit(),
        Some(WsMessage::Close(Some(CloseFrame::normal())))
    );
}

#[test]
fn close_before_reply_is_an_error_naming_host_and_port() {
    let mut c = ProxyClient::new(ProxyTarget::new("db", 5432).unwrap());
    let _ = c.poll_transmit();
    let err = c
        .handle_message(WsMessage::Close(Some(CloseFrame {
            code: 1011,
            reason: String::new(),
        })))
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("db:5432"), "{msg}");
    assert!(msg.contains("1011"), "{msg}");
}

#[test]
fn binary_before_reply_is_a_protocol_error() {
    let mut c = ProxyClient::new(ProxyTarget::new("", 80).unwrap());
    let _ = c.poll_transmit();
    assert!(matches!(
        c.handle_message(WsMessage::Binary(Bytes::from_static(b"x"))),
        Err(Error::Protocol(m)) if m.contains("localhost:80")
    ));
}

#[test]
fn unparsable_reply_is_a_protocol_error() {
    let mut c = ProxyClient::new(ProxyTarget::new("", 80).unwrap());
    let _ = c.poll_transmit();
    assert!(matches!(
        c.handle_message(text("connected")),
        Err(Error::Protocol(_))
    ));
}

#[test]
fn binary_after_connect_is_target_data() {
    let mut c = connected_client("", 8080);
    c.handle_message(WsMessage::Binary(Bytes::from_static(b"\x00raw\x03")))
        .unwrap();
    assert_eq!(
        c.poll_event(),
        Some(ProxyEvent::Data(Bytes::from_static(b"\x00raw\x03")))
    );
}

#[test]
fn text_after_connect_is_ignored() {
    let mut c = connected_client("", 8080);
    c.handle_message(text(r#"{"status":"connected"}"#)).unwrap();
    assert_eq!(c.poll_event(), None);
    assert!(c.is_connected());
}

#[test]
fn close_after_connect_is_a_closed_event() {
    let mut c = connected_client("", 8080);
    c.handle_message(WsMessage::Close(Some(CloseFrame::normal())))
        .unwrap();
    assert_eq!(
        c.poll_event(),
        Some(ProxyEvent::Closed(Some(CloseFrame::normal())))
    );
    assert!(c.is_closed());
}

#[test]
fn send_after_connect_queues_a_binary_message() {
    let mut c = connected_client("", 8080);
    c.send(Bytes::from_static(b"ping")).unwrap();
    assert_eq!(
        c.poll_transmit(),
        Some(WsMessage::Binary(Bytes::from_static(b"ping")))
    );
}

#[test]
fn send_before_connect_is_refused() {
    let mut c = ProxyClient::new(ProxyTarget::new("", 8080).unwrap());
    assert!(matches!(
        c.send(Bytes::from_static(b"early")),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn close_queues_one_normal_close() {
    let mut c = connected_client("", 8080);
    c.close();
    c.close();
    assert_eq!(
        c.poll_transmit(),
        Some(WsMessage::Close(Some(CloseFrame::normal())))
    );
    assert_eq!(c.poll_transmit(), None);
}

#[test]
fn server_parses_the_connect_message() {
    let t = parse_connect(&text(r#"{"host":"0.0.0.0","port":3000}"#)).unwrap();
    assert_eq!((t.host(), t.port()), ("0.0.0.0", 3000));
}

#[test]
fn server_defaults_an_empty_or_missing_host() {
    let t = parse_connect(&text(r#"{"host":"","port":80}"#)).unwrap();
    assert_eq!(t.host(), "localhost");
    let t = parse_connect(&text(r#"{"port":"80"}"#)).unwrap();
    assert_eq!((t.host(), t.port()), ("localhost", 80));
}

#[test]
fn server_rejects_ports_out_of_range() {
    for bad in [
        r#"{"port":0}"#,
        r#"{"port":65536}"#,
        r#"{"port":-1}"#,
        r#"{"port":"http"}"#,
        r#"{"host":"x"}"#,
    ] {
        assert!(
            matches!(parse_connect(&text(bad)), Err(Error::Protocol(_))),
            "{bad}"
        );
    }
}

#[test]
fn server_rejects_a_binary_connect_message() {
    assert!(parse_connect(&WsMessage::Binary(Bytes::from_static(b"{}"))).is_err());
}

#[test]
fn server_replies_are_exact() {
    let t = ProxyTarget::new("", 8080).unwrap();
    assert_eq!(
        connected_reply(&t),
        text(r#"{"status":"connected","target":"localhost:8080"}"#)
    );
    assert_eq!(
        error_reply("dial tcp: refused"),
        text(r#"{"status":"error","error":"dial tcp: refused"}"#)
    );
}

#[test]
fn client_and_server_helpers_complete_a_handshake() {
    let mut c = ProxyClient::new(ProxyTarget::new("", 8080).unwrap());
    let hello = c.poll_transmit().unwrap();
    let target = parse_connect(&hello).unwrap();
    c.handle_message(connected_reply(&target)).unwrap();
    assert_eq!(
        c.poll_event(),
        Some(ProxyEvent::Connected {
            target: "localhost:8080".into()
        })
    );
}
