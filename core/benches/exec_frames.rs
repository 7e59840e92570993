//! Exec frame throughput: decoding 64 KiB stdout frames, alone and through `ExecSession`.
//!
//! Run with `cargo bench -p sprites-core --bench exec_frames`; criterion prints the
//! throughput (`thrpt`) of each case. Decoding is zero-copy, so the frame case measures
//! the constant per-message cost, not a memory copy.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sprites_core::exec::frame::{Frame, Framing};
use sprites_core::exec::{ExecConfig, ExecEvent, ExecSession};
use sprites_core::time::Instant;
use sprites_core::ws::WsMessage;

const PAYLOAD: usize = 64 * 1024;

fn stdout_frame() -> Bytes {
    let mut raw = vec![0x01u8];
    raw.extend((0..PAYLOAD).map(|i| u8::try_from(i % 251).unwrap_or(0)));
    Bytes::from(raw)
}

fn decode(c: &mut Criterion) {
    let frame = stdout_frame();
    let mut group = c.benchmark_group("exec_frames");
    group.throughput(Throughput::Bytes(PAYLOAD as u64));

    group.bench_function("decode_stdout_64k", |b| {
        b.iter(|| match Frame::decode(black_box(&frame)) {
            Some(Frame::Stdout(p)) => black_box(p.len()),
            _ => unreachable!("stdout frame"),
        });
    });

    group.bench_function("decode_tty_64k", |b| {
        b.iter(|| black_box(Framing::Tty.decode_from_server(black_box(&frame))));
    });

    group.bench_function("session_stdout_64k", |b| {
        let mut session = ExecSession::new(
            ExecConfig::command("bench", false, true).keepalive(None),
            Instant::ZERO,
        );
        b.iter(|| {
            session.handle_message(WsMessage::Binary(frame.clone()), Instant::ZERO);
            match session.poll_event() {
                Some(ExecEvent::Stdout(p)) => black_box(p.len()),
                other => unreachable!("expected stdout, got {other:?}"),
            }
        });
    });

    group.bench_function("encode_stdin_64k", |b| {
        let payload = frame.slice(1..);
        b.iter(|| black_box(Frame::Stdin(black_box(payload.clone())).encode()));
    });

    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
