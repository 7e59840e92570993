//! Exec protocol: captured frame sequences in, events and messages out.

use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use sprites_core::exec::message::{ClientMessage, ServerMessage};
use sprites_core::exec::url::{
    attach_request, exec_request, kill_request, AttachForm, CommandSpec,
};
use sprites_core::exec::{fuzz_exec, ExecConfig, ExecEvent, ExecSession, Keepalive};
use sprites_core::model::Signal;
use sprites_core::request::{Endpoint, Method};
use sprites_core::time::Instant;
use sprites_core::ws::{CloseFrame, WsMessage};
use sprites_core::Error;

const T0: Instant = Instant::ZERO;

fn text(s: &str) -> WsMessage {
    WsMessage::Text(s.to_owned())
}

fn bin(b: &[u8]) -> WsMessage {
    WsMessage::Binary(Bytes::copy_from_slice(b))
}

fn session_info(tty: bool) -> WsMessage {
    text(&format!(
        r#"{{"type":"session_info","session_id":"332","command":"bash","created":1785801600,"cols":0,"rows":0,"is_owner":true,"tty":{tty}}}"#
    ))
}

fn events(s: &mut ExecSession) -> Vec<ExecEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn transmits(s: &mut ExecSession) -> Vec<WsMessage> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

fn stdout_of(events: &[ExecEvent]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            ExecEvent::Stdout(b) => Some(b.to_vec()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn non_tty(stdin: bool) -> ExecSession {
    ExecSession::new(ExecConfig::command("box", false, stdin), T0)
}

fn tty() -> ExecSession {
    ExecSession::new(ExecConfig::command("box", true, true), T0)
}

fn with_signal_capability(s: &mut ExecSession) {
    s.handle_upgrade(&[("X-Sprite-Capabilities".into(), " control , signal".into())]);
}

fn feed(s: &mut ExecSession, messages: impl IntoIterator<Item = WsMessage>) {
    for m in messages {
        s.handle_message(m, T0);
    }
}

fn at(secs: u64) -> Instant {
    Instant::from_duration(Duration::from_secs(secs))
}

// ---------------------------------------------------------------- exit rules

#[test]
fn live_non_tty_sequence_yields_session_info_stdout_exit() {
    let mut s = non_tty(true);
    feed(
        &mut s,
        [
            text(r#"{"msg":"session_created cmd=bash","pid":332,"type":"debug"}"#),
            text(
                r#"{"type":"session_info","session_id":"332","command":"bash","created":1785801600,"cols":0,"rows":0,"is_owner":true,"tty":false}"#,
            ),
            bin(b"\x01hello-stderr\nhello-stdout\n"),
            text(r#"{"type":"exit","exit_code":7}"#),
            bin(b"\x03\x07"),
        ],
    );
    let ev = events(&mut s);
    let [ExecEvent::Debug(d), ExecEvent::SessionInfo(info), ExecEvent::Stdout(out), ExecEvent::Exit(7)] =
        ev.as_slice()
    else {
        panic!("unexpected events {ev:?}");
    };
    assert_eq!(d.msg, "session_created cmd=bash");
    assert_eq!(info.session_id, "332");
    assert_eq!(&out[..], b"hello-stderr\nhello-stdout\n");
    assert!(s.is_finished());
    assert_eq!(s.session_id(), Some("332"));
}

#[test]
fn output_between_text_exit_and_exit_frame_is_delivered() {
    let mut s = non_tty(true);
    feed(
        &mut s,
        [
            session_info(false),
            bin(b"\x01a"),
            text(r#"{"type":"exit","exit_code":0}"#),
            bin(b"\x01b"),
            bin(b"\x02c"),
        ],
    );
    assert!(!s.is_finished());
    s.handle_message(bin(b"\x03\x00"), T0);
    let ev = events(&mut s);
    assert_eq!(stdout_of(&ev), b"ab");
    assert!(ev
        .iter()
        .any(|e| matches!(e, ExecEvent::Stderr(b) if &b[..] == b"c")));
    assert!(matches!(ev.last(), Some(ExecEvent::Exit(0))));
}

#[test]
fn exit_frame_code_wins_over_text_exit() {
    let mut s = non_tty(true);
    feed(
        &mut s,
        [text(r#"{"type":"exit","exit_code":1}"#), bin(b"\x03\x02")],
    );
    assert!(matches!(events(&mut s).last(), Some(ExecEvent::Exit(2))));
}

#[test]
fn text_exit_then_close_reports_the_text_code() {
    let mut s = non_tty(true);
    feed(
        &mut s,
        [
            text(r#"{"type":"exit","exit_code":7}"#),
            WsMessage::Close(Some(CloseFrame::normal())),
        ],
    );
    assert!(matches!(events(&mut s).last(), Some(ExecEvent::Exit(7))));
}

#[test]
fn text_exit_without_exit_frame_finishes_after_the_grace_period() {
    let mut s = ExecSession::new(
        ExecConfig::command("box", false, true).exit_grace(Duration::from_millis(300)),
        T0,
    );
    s.handle_message(text(r#"{"type":"exit","exit_code":3}"#), T0);
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(300)));
    s.handle_timeout(Instant::from_millis(299));
    assert!(!s.is_finished());
    s.handle_timeout(Instant::from_millis(300));
    assert!(matches!(events(&mut s).last(), Some(ExecEvent::Exit(3))));
}

#[test]
fn zero_grace_ends_at_the_text_exit() {
    let mut s = ExecSession::new(
        ExecConfig::command("box", false, true).exit_grace(Duration::ZERO),
        T0,
    );
    s.handle_message(text(r#"{"type":"exit","exit_code":5}"#), T0);
    assert!(s.is_finished());
    assert!(matches!(events(&mut s).last(), Some(ExecEvent::Exit(5))));
}

#[test]
fn close_before_exit_is_closed_before_exit() {
    let mut s = non_tty(true);
    feed(
        &mut s,
        [
            session_info(false),
            bin(b"\x01partial"),
            WsMessage::Close(Some(CloseFrame {
                code: 1006,
                reason: String::new(),
            })),
        ],
    );
    let ev = events(&mut s);
    let Some(ExecEvent::Failed(Error::ClosedBeforeExit {
        sprite,
        session_id,
        close_code,
    })) = ev.last()
    else {
        panic!("unexpected events {ev:?}");
    };
    assert_eq!(sprite, "box");
    assert_eq!(session_id.as_deref(), Some("332"));
    assert_eq!(*close_code, Some(1006));
    assert_eq!(stdout_of(&ev), b"partial");
}

#[test]
fn normal_close_on_a_tty_before_exit_is_not_exit_zero() {
    let mut s = tty();
    feed(
        &mut s,
        [
            session_info(true),
            WsMessage::Close(Some(CloseFrame::normal())),
        ],
    );
    assert!(matches!(
        events(&mut s).last(),
        Some(ExecEvent::Failed(Error::ClosedBeforeExit {
            close_code: Some(1000),
            ..
        }))
    ));
}

#[test]
fn transport_end_before_exit_is_closed_before_exit() {
    let mut s = non_tty(true);
    s.handle_close(at(1));
    let ev = events(&mut s);
    assert!(matches!(
        ev.as_slice(),
        [ExecEvent::Failed(Error::ClosedBeforeExit {
            close_code: None,
            session_id: None,
            ..
        })]
    ));
}

#[test]
fn tty_session_ends_at_the_text_exit() {
    let mut s = tty();
    feed(
        &mut s,
        [
            session_info(true),
            bin(b"\x01raw"),
            text(r#"{"type":"exit","exit_code":130}"#),
            bin(b"late"),
        ],
    );
    let ev = events(&mut s);
    assert_eq!(stdout_of(&ev), b"\x01raw");
    assert!(matches!(ev.last(), Some(ExecEvent::Exit(130))));
}

#[test]
fn signal_death_exit_codes_arrive_unchanged() {
    for code in [129u8, 137, 143, 255] {
        let mut s = non_tty(true);
        s.handle_message(bin(&[3, code]), T0);
        assert!(matches!(events(&mut s).last(), Some(ExecEvent::Exit(c)) if *c == i32::from(code)));
    }
}

#[test]
fn finishing_with_an_exit_sends_a_normal_close() {
    let mut s = non_tty(true);
    s.handle_message(bin(b"\x03\x00"), T0);
    assert_eq!(
        transmits(&mut s),
        [WsMessage::Close(Some(CloseFrame::normal()))]
    );
}

#[test]
fn messages_after_the_end_are_ignored() {
    let mut s = non_tty(true);
    feed(
        &mut s,
        [bin(b"\x03\x01"), bin(b"\x01more"), bin(b"\x03\x02")],
    );
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [ExecEvent::Exit(1)]), "{ev:?}");
}

#[test]
fn unknown_stream_ids_and_text_are_ignored() {
    let mut s = non_tty(true);
    feed(
        &mut s,
        [
            bin(b"\x09zzz"),
            bin(b""),
            bin(b"\x00echo"),
            text("not json"),
            text(r#"{"type":"brand_new","x":1}"#),
            bin(b"\x01ok"),
        ],
    );
    let ev = events(&mut s);
    assert_eq!(stdout_of(&ev), b"ok");
    assert_eq!(ev.len(), 1);
}

#[test]
fn malformed_known_message_fails_the_session() {
    let mut s = non_tty(true);
    s.handle_message(text(r#"{"type":"exit","exit_code":"x"}"#), T0);
    assert!(matches!(
        events(&mut s).last(),
        Some(ExecEvent::Failed(Error::Protocol(_)))
    ));
}

#[test]
fn port_messages_become_events() {
    let mut s = non_tty(true);
    feed(
        &mut s,
        [
            text(r#"{"type":"port_opened","port":8080,"address":"0.0.0.0","pid":12}"#),
            text(r#"{"type":"port_closed","port":8080,"address":"0.0.0.0","pid":12}"#),
        ],
    );
    let ev = events(&mut s);
    assert!(
        matches!(ev.as_slice(), [ExecEvent::PortOpened(o), ExecEvent::PortClosed(c)]
            if o.port == 8080 && c.address == "0.0.0.0")
    );
}

#[test]
fn close_detaches_without_an_event() {
    let mut s = non_tty(true);
    s.close();
    assert!(s.is_finished());
    assert_eq!(
        transmits(&mut s),
        [WsMessage::Close(Some(CloseFrame::normal()))]
    );
    s.handle_close(at(1));
    assert!(events(&mut s).is_empty());
    assert_eq!(s.poll_timeout(), None);
}

// ---------------------------------------------------------------- input

#[test]
fn no_stdin_sends_eof_at_once() {
    let mut s = non_tty(false);
    assert_eq!(transmits(&mut s), [bin(b"\x04")]);
    assert!(matches!(
        s.send_stdin(Bytes::from_static(b"x")),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn stdin_chunks_are_prefixed_and_eof_is_frame_four() {
    let mut s = non_tty(true);
    s.send_stdin(Bytes::from_static(b"abc")).unwrap();
    s.send_stdin(Bytes::new()).unwrap();
    s.close_stdin().unwrap();
    s.close_stdin().unwrap();
    assert_eq!(transmits(&mut s), [bin(b"\x00abc"), bin(b"\x04")]);
    assert!(matches!(
        s.send_stdin(Bytes::from_static(b"late")),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn tty_stdin_is_raw_and_has_no_eof_frame() {
    let mut s = tty();
    s.send_stdin(Bytes::from_static(b"ls\r")).unwrap();
    s.close_stdin().unwrap();
    assert_eq!(transmits(&mut s), [bin(b"ls\r")]);
}

#[test]
fn resize_on_a_tty_sends_a_resize_message() {
    let mut s = tty();
    s.resize(40, 120).unwrap();
    assert_eq!(
        transmits(&mut s),
        [text(r#"{"type":"resize","cols":120,"rows":40}"#)]
    );
}

#[test]
fn resize_without_a_tty_is_rejected() {
    let mut s = non_tty(true);
    assert!(matches!(s.resize(40, 120), Err(Error::InvalidArgument(_))));
    assert!(transmits(&mut s).is_empty());
}

#[test]
fn signal_goes_in_band_when_advertised() {
    let mut s = non_tty(true);
    with_signal_capability(&mut s);
    assert!(s.supports_signal());
    s.signal(Signal::SIGTERM).unwrap();
    assert_eq!(
        transmits(&mut s),
        [text(r#"{"type":"signal","signal":"TERM"}"#)]
    );
    assert!(events(&mut s).is_empty());
}

#[test]
fn signal_without_capability_asks_for_a_kill_request() {
    let mut s = non_tty(true);
    s.handle_upgrade(&[("sprite-version".into(), "v0.0.1-rc31".into())]);
    s.handle_message(session_info(false), T0);
    let _ = events(&mut s);
    s.signal(Signal::SIGINT).unwrap();
    assert!(transmits(&mut s).is_empty());
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(),
        [ExecEvent::KillRequest { signal: Signal::SIGINT, session_id }] if session_id == "332"));
    assert_eq!(s.sprite_version(), Some("v0.0.1-rc31"));
}

#[test]
fn signal_fallback_before_session_info_is_rejected() {
    let mut s = non_tty(true);
    assert!(matches!(
        s.signal(Signal::SIGTERM),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn commands_after_the_end_are_rejected() {
    let mut s = tty();
    s.handle_message(text(r#"{"type":"exit","exit_code":0}"#), T0);
    assert!(s.resize(1, 1).is_err());
    assert!(s.signal(Signal::SIGTERM).is_err());
    assert!(s.send_stdin(Bytes::from_static(b"x")).is_err());
}

// ---------------------------------------------------------------- keepalive

#[test]
fn pings_go_out_every_interval() {
    let mut s = non_tty(true);
    assert_eq!(s.poll_timeout(), Some(at(15)));
    s.handle_timeout(at(15));
    assert_eq!(transmits(&mut s), [WsMessage::Ping(Bytes::new())]);
    s.handle_message(WsMessage::Pong(Bytes::new()), at(15));
    assert_eq!(s.poll_timeout(), Some(at(30)));
}

#[test]
fn early_timeout_is_a_no_op() {
    let mut s = non_tty(true);
    s.handle_timeout(at(3));
    assert!(transmits(&mut s).is_empty());
    assert!(events(&mut s).is_empty());
}

#[test]
fn received_pings_are_answered_with_pongs() {
    let mut s = non_tty(true);
    s.handle_message(WsMessage::Ping(Bytes::from_static(b"p1")), T0);
    assert_eq!(
        transmits(&mut s),
        [WsMessage::Pong(Bytes::from_static(b"p1"))]
    );
}

#[test]
fn idle_past_the_limit_times_out_naming_the_sprite() {
    let mut s = non_tty(true);
    for t in [15, 30] {
        s.handle_timeout(at(t));
    }
    s.handle_timeout(at(45));
    let ev = events(&mut s);
    let [ExecEvent::Failed(Error::Timeout(msg))] = ev.as_slice() else {
        panic!("unexpected events {ev:?}");
    };
    assert!(msg.contains("\"box\""), "{msg}");
    assert!(s.is_finished());
}

#[test]
fn any_received_message_resets_the_idle_timer() {
    let mut s = non_tty(true);
    s.handle_timeout(at(15));
    s.handle_timeout(at(30));
    s.handle_message(WsMessage::Ping(Bytes::new()), at(40));
    s.handle_timeout(at(45));
    s.handle_timeout(at(60));
    s.handle_timeout(at(75));
    assert!(events(&mut s).is_empty());
    s.handle_timeout(at(85));
    assert!(matches!(
        events(&mut s).as_slice(),
        [ExecEvent::Failed(Error::Timeout(_))]
    ));
}

#[test]
fn disabled_keepalive_never_pings_or_times_out() {
    let mut s = ExecSession::new(ExecConfig::command("box", false, true).keepalive(None), T0);
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(at(100_000));
    assert!(transmits(&mut s).is_empty());
    assert!(events(&mut s).is_empty());
    assert!(!s.is_finished());
}

#[test]
fn custom_keepalive_is_honoured() {
    let keepalive = Keepalive {
        interval: Duration::from_secs(1),
        idle_limit: Duration::from_secs(3),
    };
    let mut s = ExecSession::new(
        ExecConfig::command("box", false, true).keepalive(Some(keepalive)),
        T0,
    );
    assert_eq!(s.poll_timeout(), Some(at(1)));
    for t in 1..=3 {
        s.handle_timeout(at(t));
    }
    assert!(s.is_finished());
}

// ---------------------------------------------------------------- backpressure

#[test]
fn buffered_output_counts_undrained_bytes() {
    let mut s = ExecSession::new(
        ExecConfig::command("box", false, true).max_buffered_output(10),
        T0,
    );
    feed(&mut s, [bin(b"\x01123456"), bin(b"\x02abcd")]);
    assert_eq!(s.buffered_output(), 10);
    assert!(s.wants_read());
    s.handle_message(bin(b"\x01x"), T0);
    assert_eq!(s.buffered_output(), 11);
    assert!(!s.wants_read());
    let _ = s.poll_event();
    assert_eq!(s.buffered_output(), 5);
    assert!(s.wants_read());
}

#[test]
fn idle_limit_pauses_while_the_consumer_is_behind() {
    let mut s = ExecSession::new(
        ExecConfig::command("box", false, true).max_buffered_output(1),
        T0,
    );
    s.handle_message(bin(b"\x01too much"), at(1));
    assert!(!s.wants_read());
    for t in [15, 30, 45, 60, 100] {
        s.handle_timeout(at(t));
    }
    assert!(
        !s.is_finished(),
        "timed out while the driver was told not to read"
    );
    let _ = events(&mut s);
    s.handle_timeout(at(105));
    assert!(!s.is_finished());
    s.handle_timeout(at(150));
    assert!(s.is_finished(), "idle limit restarts once reading resumes");
}

// ---------------------------------------------------------------- attach

#[test]
fn attach_holds_frames_until_session_info_says_tty() {
    let mut s = ExecSession::new(ExecConfig::attach("box", "332"), T0);
    assert_eq!(s.tty(), None);
    assert!(
        transmits(&mut s).is_empty(),
        "attach must not send EOF on its own"
    );
    feed(&mut s, [bin(b"\x01screen"), session_info(true)]);
    let ev = events(&mut s);
    assert!(matches!(ev.first(), Some(ExecEvent::SessionInfo(i)) if i.tty));
    assert_eq!(stdout_of(&ev), b"\x01screen");
    assert_eq!(s.tty(), Some(true));
}

#[test]
fn attach_holds_frames_until_session_info_says_stream() {
    let mut s = ExecSession::new(ExecConfig::attach("box", "332"), T0);
    feed(
        &mut s,
        [bin(b"\x01scroll"), session_info(false), bin(b"\x03\x04")],
    );
    let ev = events(&mut s);
    assert_eq!(stdout_of(&ev), b"scroll");
    assert!(matches!(ev.last(), Some(ExecEvent::Exit(4))));
}

#[test]
fn attach_input_waits_for_the_framing() {
    let mut s = ExecSession::new(ExecConfig::attach("box", "332"), T0);
    s.send_stdin(Bytes::from_static(b"hi")).unwrap();
    s.resize(10, 20).unwrap();
    s.resize(30, 100).unwrap();
    assert!(transmits(&mut s).is_empty());
    s.handle_message(session_info(true), T0);
    assert_eq!(
        transmits(&mut s),
        [
            bin(b"hi"),
            text(r#"{"type":"resize","cols":100,"rows":30}"#)
        ]
    );
}

#[test]
fn attach_signal_fallback_uses_the_attach_id() {
    let mut s = ExecSession::new(ExecConfig::attach("box", "77"), T0);
    s.signal(Signal::SIGHUP).unwrap();
    assert!(matches!(events(&mut s).as_slice(),
        [ExecEvent::KillRequest { session_id, .. }] if session_id == "77"));
}

#[test]
fn attach_output_before_session_info_is_bounded() {
    let mut s = ExecSession::new(ExecConfig::attach("box", "332").max_buffered_output(8), T0);
    feed(&mut s, [bin(b"\x0112345"), bin(b"\x0167890")]);
    assert!(matches!(
        events(&mut s).as_slice(),
        [ExecEvent::Failed(Error::Protocol(_))]
    ));
}

// ---------------------------------------------------------------- URLs

fn endpoint() -> Endpoint {
    Endpoint::new("https://api.sprites.dev", "tok").unwrap()
}

#[test]
fn exec_url_with_every_option() {
    let spec = CommandSpec::new(["bash", "-c", "echo a&b"])
        .path("/bin/bash")
        .env("PATH", "/usr/bin")
        .env("A", "x=y")
        .dir("/home/sprite/my dir")
        .tty(true)
        .size(40, 120)
        .stdin(true)
        .max_run_after_disconnect(Duration::from_secs(10));
    let r = exec_request(&endpoint(), "my-sprite", &spec).unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.url,
        "wss://api.sprites.dev/v1/sprites/my-sprite/exec?cmd=bash&cmd=-c&cmd=echo%20a%26b\
         &path=%2Fbin%2Fbash&env=PATH%3D%2Fusr%2Fbin&env=A%3Dx%3Dy\
         &dir=%2Fhome%2Fsprite%2Fmy%20dir&tty=true&rows=40&cols=120&stdin=true\
         &max_run_after_disconnect=10s"
    );
    assert_eq!(r.header("authorization"), Some("Bearer tok"));
}

#[test]
fn exec_url_minimal() {
    let r = exec_request(&endpoint(), "s", &CommandSpec::new(["ls"])).unwrap();
    assert_eq!(
        r.url,
        "wss://api.sprites.dev/v1/sprites/s/exec?cmd=ls&stdin=false"
    );
}

#[test]
fn exec_url_sends_size_only_with_a_tty_and_forever_as_zero() {
    let spec = CommandSpec::new(["top"])
        .size(24, 80)
        .max_run_after_disconnect(Duration::ZERO);
    let r = exec_request(&endpoint(), "s", &spec).unwrap();
    assert_eq!(
        r.url,
        "wss://api.sprites.dev/v1/sprites/s/exec?cmd=top&stdin=false&max_run_after_disconnect=0s"
    );
}

#[test]
fn exec_url_rejects_empty_sprite_and_argv() {
    let e = endpoint();
    assert!(matches!(
        exec_request(&e, "", &CommandSpec::new(["ls"])),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        exec_request(&e, "s", &CommandSpec::new(Vec::<String>::new())),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        exec_request(&e, "s", &CommandSpec::new([""])),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        exec_request(&e, "s", &CommandSpec::new(["ls"]).env("A=B", "c")),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn attach_urls_in_both_forms() {
    let e = endpoint();
    assert_eq!(
        attach_request(&e, "my sprite", "332", AttachForm::Path)
            .unwrap()
            .url,
        "wss://api.sprites.dev/v1/sprites/my%20sprite/exec/332"
    );
    assert_eq!(
        attach_request(&e, "my sprite", "332", AttachForm::Legacy)
            .unwrap()
            .url,
        "wss://api.sprites.dev/v1/sprites/my%20sprite/exec?id=332"
    );
    assert!(attach_request(&e, "s", "", AttachForm::Path).is_err());
}

#[test]
fn kill_request_url() {
    let r = kill_request(&endpoint(), "s", "332", &Signal::SIGTERM).unwrap();
    assert_eq!(r.method, Method::Post);
    assert_eq!(
        r.url,
        "https://api.sprites.dev/v1/sprites/s/exec/332/kill?signal=SIGTERM&timeout=0s"
    );
}

#[test]
fn attach_form_follows_the_sprite_version() {
    let table: &[(Option<&str>, AttachForm)] = &[
        (None, AttachForm::Legacy),
        (Some(""), AttachForm::Legacy),
        (Some("dev"), AttachForm::Legacy),
        (Some("garbage"), AttachForm::Legacy),
        (Some("0.1.0"), AttachForm::Path),
        (Some("v1.2.3"), AttachForm::Path),
        (Some("v0.0.1-rc31"), AttachForm::Path),
        (Some("v0.0.1-rc30"), AttachForm::Path),
        (Some("v0.0.1-rc46"), AttachForm::Path),
        (Some("v0.0.1-rc29"), AttachForm::Legacy),
        (Some("v0.0.1-rc1"), AttachForm::Legacy),
        (Some("v0.0.1-rc"), AttachForm::Legacy),
        (Some("v0.0.1-beta"), AttachForm::Legacy),
        (Some("v0.0.1-dev"), AttachForm::Path),
        (Some("0.0.1-dev-1a2b3c"), AttachForm::Path),
        (Some("v0.0.1-rc12-dev-1a2b3c"), AttachForm::Path),
    ];
    for (version, form) in table {
        assert_eq!(AttachForm::for_version(*version), *form, "{version:?}");
    }
}

#[test]
fn path_attach_404_retries_legacy_once() {
    assert_eq!(
        AttachForm::Path.retry_after_status(404),
        Some(AttachForm::Legacy)
    );
    assert_eq!(AttachForm::Legacy.retry_after_status(404), None);
    assert_eq!(AttachForm::Path.retry_after_status(500), None);
}

// ---------------------------------------------------------------- messages

#[test]
fn client_messages_round_trip() {
    for m in [
        ClientMessage::Resize { cols: 80, rows: 24 },
        ClientMessage::Signal {
            signal: Signal::SIGUSR1,
        },
    ] {
        assert_eq!(ClientMessage::parse(&m.to_text()).unwrap(), Some(m));
    }
    assert_eq!(
        ServerMessage::parse(r#"{"type":"resize"}"#).unwrap(),
        None,
        "client types are unknown to the server parser"
    );
}

// ---------------------------------------------------------------- properties

/// Non-data messages that may interleave anywhere.
fn noise() -> impl Strategy<Value = WsMessage> {
    prop_oneof![
        Just(WsMessage::Ping(Bytes::from_static(b"k"))),
        Just(WsMessage::Pong(Bytes::new())),
        Just(text(r#"{"type":"debug","msg":"x","pid":1}"#)),
        Just(text(
            r#"{"type":"port_opened","port":1,"address":"0.0.0.0","pid":2}"#
        )),
        Just(text(r#"{"type":"unknown"}"#)),
        Just(text("}{")),
        Just(bin(b"\x07ignored")),
        Just(bin(b"\x01")),
        Just(bin(b"\x02err")),
    ]
}

fn split(data: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
    cuts.iter_mut().for_each(|c| *c %= data.len() + 1);
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts {
        out.push(&data[start..c]);
        start = c;
    }
    out.push(&data[start..]);
    out
}

fn interleave(data: Vec<WsMessage>, noise: Vec<(usize, WsMessage)>) -> Vec<WsMessage> {
    let mut out = data;
    for (pos, m) in noise {
        let p = pos % (out.len() + 1);
        out.insert(p, m);
    }
    out
}

proptest! {
    #[test]
    fn any_split_and_interleaving_yields_the_same_stdout(
        data in proptest::collection::vec(any::<u8>(), 0..2000),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        noise_msgs in proptest::collection::vec((any::<usize>(), noise()), 0..20),
        text_exit_first in any::<bool>(),
    ) {
        let frames = split(&data, cuts)
            .into_iter()
            .map(|c| { let mut f = vec![1u8]; f.extend_from_slice(c); bin(&f) })
            .collect();
        let mut msgs = vec![session_info(false)];
        msgs.extend(interleave(frames, noise_msgs));
        if text_exit_first {
            let p = msgs.len() / 2;
            msgs.insert(p, text(r#"{"type":"exit","exit_code":9}"#));
        }
        msgs.push(bin(b"\x03\x09"));
        let mut s = non_tty(true);
        feed(&mut s, msgs);
        let ev = events(&mut s);
        prop_assert_eq!(stdout_of(&ev), data);
        prop_assert!(matches!(ev.last(), Some(ExecEvent::Exit(9))));
        prop_assert_eq!(s.buffered_output(), 0);
    }

    #[test]
    fn any_split_of_tty_output_yields_the_same_bytes(
        data in proptest::collection::vec(any::<u8>(), 0..2000),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        attach in any::<bool>(),
    ) {
        let mut s = if attach {
            ExecSession::new(ExecConfig::attach("box", "1"), T0)
        } else {
            tty()
        };
        let mut msgs = vec![session_info(true)];
        let frames: Vec<WsMessage> = split(&data, cuts).into_iter().map(bin).collect();
        if attach {
            // Scrollback may race ahead of session_info on an attach.
            msgs = frames;
            msgs.insert(msgs.len() / 2, session_info(true));
        } else {
            msgs.extend(frames);
        }
        msgs.push(text(r#"{"type":"exit","exit_code":0}"#));
        feed(&mut s, msgs);
        let ev = events(&mut s);
        prop_assert_eq!(stdout_of(&ev), data);
        prop_assert!(matches!(ev.last(), Some(ExecEvent::Exit(0))));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        fuzz_exec(&data);
    }

    #[test]
    fn arbitrary_messages_end_with_at_most_one_terminal_event(
        msgs in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| bin(&b)),
                ".{0,64}".prop_map(WsMessage::Text),
                Just(session_info(false)),
                Just(session_info(true)),
                Just(text(r#"{"type":"exit","exit_code":1}"#)),
                Just(WsMessage::Close(None)),
            ],
            0..40,
        ),
        tty_mode in proptest::option::of(any::<bool>()),
    ) {
        let config = match tty_mode {
            Some(t) => ExecConfig::command("box", t, true),
            None => ExecConfig::attach("box", "1"),
        };
        let mut s = ExecSession::new(config, T0);
        for (i, m) in msgs.into_iter().enumerate() {
            s.handle_message(m, Instant::from_millis(u64::try_from(i).unwrap() * 100));
        }
        s.handle_close(at(1000));
        let ev = events(&mut s);
        let terminal = ev
            .iter()
            .filter(|e| matches!(e, ExecEvent::Exit(_) | ExecEvent::Failed(_)))
            .count();
        prop_assert_eq!(terminal, 1);
        prop_assert!(matches!(ev.last(), Some(ExecEvent::Exit(_) | ExecEvent::Failed(_))));
        prop_assert!(s.is_finished());
    }
}
