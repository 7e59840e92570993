//! The NDJSON decoder and the HTTP exec body codec: exact bytes in, exact events out, in any
//! chunking, and no panic on any input.

use bytes::Bytes;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};
use sprites_core::http_exec::{
    encode_exit, encode_stderr, encode_stdout, record_header, HttpExecDecoder, HttpExecEvent,
};
use sprites_core::ndjson::NdjsonDecoder;
use sprites_core::Error;

/// The checkpoint create stream of spec §8.2 (times filled in).
const CHECKPOINT_CREATE: &str = concat!(
    r#"{"type":"info","data":"Creating checkpoint...","time":"2026-01-31T12:24:41.779658713Z"}"#,
    "\n",
    r#"{"type":"info","data":"Checkpoint created successfully","time":"2026-01-31T12:24:42.101232511Z"}"#,
    "\n",
    r#"{"type":"info","data":"\nCheckpoint Details:","time":"2026-01-31T12:24:42.101240102Z"}"#,
    "\n",
    r#"{"type":"info","data":"  ID: v1","time":"2026-01-31T12:24:42.101243187Z"}"#,
    "\n",
    r#"{"type":"info","data":"  Created: 2026-01-31 12:20:24","time":"2026-01-31T12:24:42.101245891Z"}"#,
    "\n",
    r#"{"type":"info","data":"  Path: checkpoints/v1","time":"2026-01-31T12:24:42.101248406Z"}"#,
    "\n",
    r#"{"type":"info","data":"\nTo restore this checkpoint:","time":"2026-01-31T12:24:42.101251012Z"}"#,
    "\n",
    r#"{"type":"info","data":"  sprite checkpoint restore v1","time":"2026-01-31T12:24:42.101253527Z"}"#,
    "\n",
    r#"{"type":"info","data":"  curl -X POST /checkpoints/v1/restore","time":"2026-01-31T12:24:42.101256042Z"}"#,
    "\n",
    r#"{"type":"complete","data":"Checkpoint v1 created successfully","time":"2026-01-31T12:24:42.101258647Z"}"#,
    "\n",
);

/// The restore of an unknown checkpoint, spec §8.5: still a `200` stream, with an error line.
const RESTORE_UNKNOWN: &str = concat!(
    r#"{"type":"info","data":"Restoring from checkpoint nonexistent...","time":"2026-01-31T12:30:00.000000001Z"}"#,
    "\n",
    r#"{"type":"error","error":"Failed to restore checkpoint: failed to get checkpoint: checkpoint not found","time":"2026-01-31T12:30:00.100000001Z"}"#,
    "\n",
);

/// A comparable view of one decoder output.
#[derive(Clone, Debug, PartialEq)]
enum Out {
    Event(Value),
    Stream(String),
    Protocol,
    Other(String),
}

fn view(result: Result<Value, Error>) -> Out {
    match result {
        Ok(v) => Out::Event(v),
        Err(Error::Stream { message }) => Out::Stream(message),
        Err(Error::Protocol(_)) => Out::Protocol,
        Err(e) => Out::Other(e.to_string()),
    }
}

fn decode_chunked(decoder: NdjsonDecoder<Value>, input: &[u8], cuts: &[usize]) -> Vec<Out> {
    let mut decoder = decoder;
    let mut out = Vec::new();
    let mut start = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    for cut in cuts.into_iter().chain([input.len()]) {
        decoder.handle_bytes(Bytes::copy_from_slice(&input[start..cut]));
        start = cut;
        while let Some(r) = decoder.poll_event() {
            out.push(view(r));
        }
    }
    decoder.finish();
    while let Some(r) = decoder.poll_event() {
        out.push(view(r));
    }
    out
}

fn decode_whole(input: &[u8]) -> Vec<Out> {
    NdjsonDecoder::<Value>::new()
        .decode_all(input)
        .into_iter()
        .map(view)
        .collect()
}

// ---------------------------------------------------------------------------------------
// NDJSON: fixtures from the spec

#[test]
fn checkpoint_create_stream_decodes_every_line() {
    let out = decode_whole(CHECKPOINT_CREATE.as_bytes());
    assert_eq!(out.len(), 10);
    assert_eq!(
        out[0],
        Out::Event(json!({
            "type": "info",
            "data": "Creating checkpoint...",
            "time": "2026-01-31T12:24:41.779658713Z"
        }))
    );
    assert_eq!(
        out[2],
        Out::Event(json!({
            "type": "info",
            "data": "\nCheckpoint Details:",
            "time": "2026-01-31T12:24:42.101240102Z"
        }))
    );
    assert_eq!(
        out[9],
        Out::Event(json!({
            "type": "complete",
            "data": "Checkpoint v1 created successfully",
            "time": "2026-01-31T12:24:42.101258647Z"
        }))
    );
}

#[test]
fn restore_of_unknown_checkpoint_surfaces_the_error_line_as_stream_error() {
    let out = decode_whole(RESTORE_UNKNOWN.as_bytes());
    assert_eq!(
        out,
        vec![
            Out::Event(json!({
                "type": "info",
                "data": "Restoring from checkpoint nonexistent...",
                "time": "2026-01-31T12:30:00.000000001Z"
            })),
            Out::Stream(
                "Failed to restore checkpoint: failed to get checkpoint: checkpoint not found"
                    .into()
            ),
        ]
    );
}

#[test]
fn typed_events_decode_from_the_checkpoint_stream() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(tag = "type", rename_all = "lowercase")]
    enum Msg {
        Info { data: String },
        Complete { data: String },
    }
    let events: Vec<Msg> = NdjsonDecoder::<Msg>::new()
        .decode_all(CHECKPOINT_CREATE.as_bytes())
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        events.last(),
        Some(&Msg::Complete {
            data: "Checkpoint v1 created successfully".into()
        })
    );
    assert_eq!(
        events[3],
        Msg::Info {
            data: "  ID: v1".into()
        }
    );
}

// ---------------------------------------------------------------------------------------
// NDJSON: line rules

#[test]
fn crlf_and_surrounding_whitespace_are_trimmed() {
    let out = decode_whole(b"  {\"a\":1} \r\n\t{\"b\":2}\r\n");
    assert_eq!(
        out,
        vec![Out::Event(json!({"a": 1})), Out::Event(json!({"b": 2}))]
    );
}

#[test]
fn blank_lines_are_skipped() {
    let out = decode_whole(b"\n\r\n   \n{\"a\":1}\n\n\n");
    assert_eq!(out, vec![Out::Event(json!({"a": 1}))]);
}

#[test]
fn last_line_without_newline_waits_for_finish() {
    let mut d = NdjsonDecoder::<Value>::new();
    d.handle_slice(b"{\"a\":1}");
    assert!(d.poll_event().is_none());
    d.finish();
    assert_eq!(view(d.poll_event().unwrap()), Out::Event(json!({"a": 1})));
    assert!(d.poll_event().is_none());
    assert!(d.is_done());
}

#[test]
fn line_split_inside_a_multibyte_character_decodes() {
    let line = "{\"data\":\"h\u{e9}llo \u{1f600}\"}\n".as_bytes();
    let mut d = NdjsonDecoder::<Value>::new();
    for byte in line {
        d.handle_slice(std::slice::from_ref(byte));
    }
    assert_eq!(
        view(d.poll_event().unwrap()),
        Out::Event(json!({"data": "h\u{e9}llo \u{1f600}"}))
    );
}

#[test]
fn unparsable_line_is_a_protocol_error_and_decoding_continues() {
    let out = decode_whole(b"{\"a\":1}\nnot json\n{\"b\":2}\n");
    assert_eq!(
        out,
        vec![
            Out::Event(json!({"a": 1})),
            Out::Protocol,
            Out::Event(json!({"b": 2}))
        ]
    );
}

#[test]
fn skip_invalid_drops_unparsable_lines() {
    let out: Vec<Out> = NdjsonDecoder::<Value>::new()
        .skip_invalid(true)
        .decode_all(b"{\"a\":1}\nnot json\n{\"type\":\"error\",\"error\":\"x\"}\n")
        .into_iter()
        .map(view)
        .collect();
    assert_eq!(
        out,
        vec![Out::Event(json!({"a": 1})), Out::Stream("x".into())]
    );
}

#[test]
fn line_that_does_not_fit_the_event_type_is_a_protocol_error() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Kill {
        exit_code: i32,
    }
    let out = NdjsonDecoder::<Kill>::new().decode_all(b"{\"exit_code\":\"zero\"}\n");
    assert!(matches!(out.as_slice(), [Err(Error::Protocol(_))]));
}

#[test]
fn error_line_message_prefers_error_then_message_then_data() {
    let out = decode_whole(
        concat!(
            r#"{"type":"error","error":"e","message":"m","data":"d"}"#,
            "\n",
            r#"{"type":"error","message":"m","data":"d"}"#,
            "\n",
            r#"{"type":"error","data":"service crashed","timestamp":1780420274555}"#,
            "\n",
        )
        .as_bytes(),
    );
    assert_eq!(
        out,
        vec![
            Out::Stream("e".into()),
            Out::Stream("m".into()),
            Out::Stream("service crashed".into())
        ]
    );
}

#[test]
fn error_line_is_an_error_even_when_the_event_type_could_hold_it() {
    #[derive(Debug, Deserialize)]
    #[serde(tag = "type", rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Kill {
        Error { message: String },
        Complete { exit_code: i32 },
    }
    let out = NdjsonDecoder::<Kill>::new()
        .decode_all(b"{\"type\":\"error\",\"message\":\"session gone\"}\n");
    assert!(matches!(
        out.as_slice(),
        [Err(Error::Stream { message })] if message == "session gone"
    ));
}

#[test]
fn line_mentioning_error_in_data_is_an_ordinary_event() {
    let out = decode_whole(b"{\"type\":\"stderr\",\"data\":\"error: not found\"}\n");
    assert_eq!(
        out,
        vec![Out::Event(
            json!({"type": "stderr", "data": "error: not found"})
        )]
    );
}

#[test]
fn bytes_after_finish_are_ignored() {
    let mut d = NdjsonDecoder::<Value>::new();
    d.finish();
    d.handle_slice(b"{\"a\":1}\n");
    assert!(d.poll_event().is_none());
}

// ---------------------------------------------------------------------------------------
// NDJSON: line length limit

#[test]
fn over_long_line_is_rejected_and_the_next_line_decodes() {
    let mut input = b"{\"a\":1}\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100));
    input.extend_from_slice(b"\n{\"b\":2}\n");
    let out: Vec<Out> = NdjsonDecoder::<Value>::new()
        .with_max_line(64)
        .decode_all(&input)
        .into_iter()
        .map(view)
        .collect();
    assert_eq!(
        out,
        vec![
            Out::Event(json!({"a": 1})),
            Out::Protocol,
            Out::Event(json!({"b": 2}))
        ]
    );
}

#[test]
fn line_of_exactly_the_limit_is_accepted() {
    let line = format!("{{\"k\":\"{}\"}}", "v".repeat(24)); // 32 bytes
    assert_eq!(line.len(), 32);
    let out: Vec<Out> = NdjsonDecoder::<Value>::new()
        .with_max_line(32)
        .decode_all(format!("{line}\n").as_bytes())
        .into_iter()
        .map(view)
        .collect();
    assert!(matches!(out.as_slice(), [Out::Event(_)]));
}

#[test]
fn over_long_line_keeps_memory_bounded_and_is_reported_once() {
    let limit = 1024;
    let mut d = NdjsonDecoder::<Value>::new().with_max_line(limit);
    let chunk = vec![b'x'; 1000];
    let mut errors = 0;
    for _ in 0..10_000 {
        d.handle_slice(&chunk);
        while let Some(r) = d.poll_event() {
            assert!(matches!(r, Err(Error::Protocol(_))));
            errors += 1;
        }
        assert!(d.buffered_len() <= limit, "buffered {}", d.buffered_len());
    }
    d.handle_slice(b"\n{\"after\":true}\n");
    let rest: Vec<Out> = std::iter::from_fn(|| d.poll_event()).map(view).collect();
    assert_eq!(errors, 1);
    assert_eq!(rest, vec![Out::Event(json!({"after": true}))]);
}

#[test]
fn over_long_unterminated_last_line_is_reported_once() {
    let mut d = NdjsonDecoder::<Value>::new().with_max_line(8);
    d.handle_slice(b"{\"aaaaaaaaaaaaaaa\":1}");
    d.finish();
    let out: Vec<Out> = std::iter::from_fn(|| d.poll_event()).map(view).collect();
    assert_eq!(out, vec![Out::Protocol]);
}

// ---------------------------------------------------------------------------------------
// NDJSON: any chunking, any bytes

proptest! {
    #[test]
    fn ndjson_any_chunking_yields_the_same_events(
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        fixture in 0usize..3,
    ) {
        let mixed = concat!(
            "{\"a\":1}\r\n\n  \n",
            "garbage\n",
            "{\"type\":\"error\",\"message\":\"m\"}\n",
            "{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n",
            "{\"s\":\"\u{e9}\u{1f600}\"}\n",
            "{\"tail\":true}"
        );
        let input = [CHECKPOINT_CREATE, RESTORE_UNKNOWN, mixed][fixture].as_bytes();
        let whole = decode_chunked(NdjsonDecoder::new().with_max_line(64), input, &[]);
        let chunked = decode_chunked(NdjsonDecoder::new().with_max_line(64), input, &cuts);
        prop_assert_eq!(whole, chunked);
    }

    #[test]
    fn ndjson_any_bytes_any_chunking_never_panics_and_stays_bounded(
        input in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'{'), Just(b'"'), any::<u8>()], 0..512),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let limit = 48;
        let mut d = NdjsonDecoder::<Value>::new().with_max_line(limit);
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut start = 0;
        for cut in cuts.into_iter().chain([input.len()]) {
            d.handle_slice(&input[start..cut]);
            start = cut;
            while d.poll_event().is_some() {}
            prop_assert!(d.buffered_len() <= limit);
        }
        d.finish();
        while d.poll_event().is_some() {}
        prop_assert!(d.is_done());
    }

    #[test]
    fn ndjson_chunking_of_random_lines_matches_whole_decoding(
        lines in proptest::collection::vec("[ -~]{0,40}", 0..10),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let input = lines.join("\n");
        let whole = decode_chunked(NdjsonDecoder::new().with_max_line(30), input.as_bytes(), &[]);
        let chunked = decode_chunked(NdjsonDecoder::new().with_max_line(30), input.as_bytes(), &cuts);
        prop_assert_eq!(whole, chunked);
    }
}

// ---------------------------------------------------------------------------------------
// HTTP exec: exact bytes

fn exec_events(body: &[u8]) -> Vec<Result<HttpExecEvent, Error>> {
    let mut d = HttpExecDecoder::new();
    d.handle_slice(body);
    d.finish();
    std::iter::from_fn(|| d.poll_event()).collect()
}

#[test]
fn http_exec_record_bytes_decode_to_events() {
    let body = [
        0x01, 0, 0, 0, 6, b'h', b'e', b'l', b'l', b'o', b'\n', // stdout "hello\n"
        0x02, 0, 0, 0, 4, b'o', b'o', b'p', b's', // stderr "oops"
        0x03, 0, 0, 0, 1, 42, // exit 42
    ];
    let events: Vec<HttpExecEvent> = exec_events(&body).into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(
        events,
        vec![
            HttpExecEvent::Stdout(Bytes::from_static(b"hello\n")),
            HttpExecEvent::Stderr(Bytes::from_static(b"oops")),
            HttpExecEvent::Exit(42),
        ]
    );
}

#[test]
fn http_exec_encoder_writes_the_documented_bytes() {
    let mut body = Vec::new();
    encode_stdout(b"hi", &mut body);
    encode_stderr(b"", &mut body);
    encode_stderr(b"e", &mut body);
    encode_exit(143, &mut body);
    assert_eq!(
        body,
        [0x01, 0, 0, 0, 2, b'h', b'i', 0x02, 0, 0, 0, 1, b'e', 0x03, 0, 0, 0, 1, 143]
    );
    assert_eq!(record_header(0x01, 0x0102_0304), [0x01, 1, 2, 3, 4]);
}

#[test]
fn http_exec_output_bytes_that_look_like_ids_stay_output() {
    let mut body = Vec::new();
    encode_stdout(&[0x03, 0x00, 0x02, 0x01], &mut body);
    encode_exit(0, &mut body);
    let events: Vec<HttpExecEvent> = exec_events(&body).into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(
        events,
        vec![
            HttpExecEvent::Stdout(Bytes::from_static(&[0x03, 0x00, 0x02, 0x01])),
            HttpExecEvent::Exit(0),
        ]
    );
}

#[test]
fn http_exec_unknown_stream_ids_are_skipped() {
    let mut body = vec![0x07, 0, 0, 0, 3, 1, 2, 3];
    encode_stdout(b"x", &mut body);
    encode_exit(0, &mut body);
    let events: Vec<HttpExecEvent> = exec_events(&body).into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(
        events,
        vec![
            HttpExecEvent::Stdout(Bytes::from_static(b"x")),
            HttpExecEvent::Exit(0)
        ]
    );
}

#[test]
fn http_exec_output_is_a_slice_of_the_received_chunk() {
    let mut body = Vec::new();
    encode_stdout(b"zero-copy", &mut body);
    let body = Bytes::from(body);
    let range = body.as_ptr_range();
    let mut d = HttpExecDecoder::new();
    d.handle_bytes(body.clone());
    let Some(Ok(HttpExecEvent::Stdout(data))) = d.poll_event() else {
        panic!("expected stdout");
    };
    assert_eq!(&data[..], b"zero-copy");
    assert!(range.contains(&data.as_ptr()));
}

#[test]
fn http_exec_body_without_exit_is_an_error_at_finish() {
    let mut body = Vec::new();
    encode_stdout(b"partial", &mut body);
    let events = exec_events(&body);
    assert!(matches!(events[0], Ok(HttpExecEvent::Stdout(_))));
    assert!(matches!(&events[1], Err(Error::Protocol(m)) if m.contains("before the exit")));
    assert_eq!(events.len(), 2);
}

#[test]
fn http_exec_empty_body_is_an_error_at_finish() {
    let events = exec_events(b"");
    assert!(matches!(events.as_slice(), [Err(Error::Protocol(_))]));
}

#[test]
fn http_exec_body_ending_inside_a_record_is_an_error() {
    let inside_header = exec_events(&[0x01, 0, 0]);
    assert!(matches!(inside_header.as_slice(), [Err(Error::Protocol(m))] if m.contains("header")));
    let inside_payload = exec_events(&[0x01, 0, 0, 0, 5, b'a']);
    assert!(matches!(
        inside_payload.as_slice(),
        [Ok(HttpExecEvent::Stdout(_)), Err(Error::Protocol(m))] if m.contains("inside a record")
    ));
    let inside_exit = exec_events(&[0x03, 0, 0, 0, 1]);
    assert!(matches!(inside_exit.as_slice(), [Err(Error::Protocol(_))]));
}

#[test]
fn http_exec_nothing_is_decoded_before_finish_without_exit() {
    let mut d = HttpExecDecoder::new();
    d.handle_slice(&[0x01, 0, 0]);
    assert!(d.poll_event().is_none());
}

#[test]
fn http_exec_exit_record_must_carry_one_byte() {
    let events = exec_events(&[0x03, 0, 0, 0, 4, 0, 0, 0, 1]);
    assert!(matches!(events.as_slice(), [Err(Error::Protocol(m))] if m.contains("exit record")));
    let empty = exec_events(&[0x03, 0, 0, 0, 0]);
    assert!(matches!(empty.as_slice(), [Err(Error::Protocol(_))]));
}

#[test]
fn http_exec_bytes_after_exit_are_an_error() {
    let mut body = Vec::new();
    encode_exit(0, &mut body);
    encode_stdout(b"late", &mut body);
    let events = exec_events(&body);
    assert!(matches!(
        events.as_slice(),
        [Ok(HttpExecEvent::Exit(0)), Err(Error::Protocol(m))] if m.contains("after the exit")
    ));
}

#[test]
fn http_exec_exit_then_end_of_body_is_clean() {
    let mut d = HttpExecDecoder::new();
    d.handle_slice(&[0x03, 0, 0, 0, 1, 7]);
    assert_eq!(d.poll_event().unwrap().unwrap(), HttpExecEvent::Exit(7));
    assert!(d.has_exited());
    d.finish();
    assert!(d.poll_event().is_none());
}

// ---------------------------------------------------------------------------------------
// HTTP exec: any chunking, any bytes

/// Output with adjacent pieces of the same stream joined, so that bodies decoded in different
/// chunkings compare equal.
#[derive(Debug, PartialEq)]
enum Joined {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Exit(u8),
    Error,
}

fn decode_exec_chunked(body: &[u8], cuts: &[usize]) -> Vec<Joined> {
    let mut d = HttpExecDecoder::new();
    let mut out: Vec<Joined> = Vec::new();
    let mut push = |r: Result<HttpExecEvent, Error>| match (out.last_mut(), r) {
        (Some(Joined::Stdout(acc)), Ok(HttpExecEvent::Stdout(b))) => acc.extend_from_slice(&b),
        (Some(Joined::Stderr(acc)), Ok(HttpExecEvent::Stderr(b))) => acc.extend_from_slice(&b),
        (_, Ok(HttpExecEvent::Stdout(b))) => out.push(Joined::Stdout(b.to_vec())),
        (_, Ok(HttpExecEvent::Stderr(b))) => out.push(Joined::Stderr(b.to_vec())),
        (_, Ok(HttpExecEvent::Exit(c))) => out.push(Joined::Exit(c)),
        (_, Ok(other)) => panic!("unexpected {other:?}"),
        (_, Err(_)) => out.push(Joined::Error),
    };
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    cuts.sort_unstable();
    let mut start = 0;
    for cut in cuts.into_iter().chain([body.len()]) {
        d.handle_bytes(Bytes::copy_from_slice(&body[start..cut]));
        start = cut;
        while let Some(r) = d.poll_event() {
            push(r);
        }
    }
    d.finish();
    while let Some(r) = d.poll_event() {
        push(r);
    }
    out
}

fn arb_exec_body() -> impl Strategy<Value = Vec<u8>> {
    let record = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(|d| (1u8, d)),
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(|d| (2u8, d)),
        proptest::collection::vec(any::<u8>(), 0..5).prop_map(|d| (9u8, d)),
    ];
    (
        proptest::collection::vec(record, 0..8),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(|(records, exit)| {
            let mut body = Vec::new();
            for (id, data) in records {
                let len = u32::try_from(data.len()).unwrap();
                body.extend_from_slice(&record_header(id, len));
                body.extend_from_slice(&data);
            }
            if let Some(code) = exit {
                encode_exit(code, &mut body);
            }
            body
        })
}

proptest! {
    #[test]
    fn http_exec_any_chunking_yields_the_same_output(
        body in arb_exec_body(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        prop_assert_eq!(decode_exec_chunked(&body, &[]), decode_exec_chunked(&body, &cuts));
    }

    #[test]
    fn http_exec_any_bytes_any_chunking_never_panics(
        body in proptest::collection::vec(
            prop_oneof![Just(0u8), Just(1u8), Just(3u8), any::<u8>()], 0..256),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let whole = decode_exec_chunked(&body, &[]);
        let chunked = decode_exec_chunked(&body, &cuts);
        prop_assert_eq!(whole, chunked);
    }

    #[test]
    fn http_exec_encoder_round_trips(
        stdout in proptest::collection::vec(any::<u8>(), 0..64),
        stderr in proptest::collection::vec(any::<u8>(), 0..64),
        code in any::<u8>(),
    ) {
        let mut body = Vec::new();
        encode_stdout(&stdout, &mut body);
        encode_stderr(&stderr, &mut body);
        encode_exit(code, &mut body);
        let mut expected = Vec::new();
        if !stdout.is_empty() { expected.push(Joined::Stdout(stdout)); }
        if !stderr.is_empty() { expected.push(Joined::Stderr(stderr)); }
        expected.push(Joined::Exit(code));
        prop_assert_eq!(decode_exec_chunked(&body, &[]), expected);
    }
}
