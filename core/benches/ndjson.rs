//! NDJSON decoding throughput on realistic stream lines.
//!
//! Run with `cargo bench -p sprites-core --bench ndjson`. Each input is about 4 MiB, fed in
//! 16 KiB chunks. `framing_only` decodes into `IgnoredAny` (line splitting, trimming, the
//! error-line check and JSON validation); `serde_only` is `serde_json` alone on the same lines,
//! split beforehand, as a baseline for the decoder's own cost.

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde::Deserialize;
use sprites_core::ndjson::NdjsonDecoder;

/// The checkpoint/restore stream message (spec §8.1) as a flat struct.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct StreamLine {
    #[serde(rename = "type")]
    kind: String,
    data: Option<String>,
    error: Option<String>,
    time: Option<String>,
}

/// The same message as an internally tagged enum (serde buffers each line first).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[allow(dead_code)]
enum StreamMessage {
    Info { data: String, time: Option<String> },
    Complete { data: String, time: Option<String> },
    Stdout { data: String },
    Stderr { data: String },
}

/// A service log event (spec §9.1).
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct LogEvent {
    #[serde(rename = "type")]
    kind: String,
    data: Option<String>,
    exit_code: Option<i32>,
    timestamp: u64,
}

const CHUNK: usize = 16 * 1024;

/// About 4 MiB of checkpoint-stream lines.
fn checkpoint_body() -> Vec<u8> {
    let lines = [
        r#"{"type":"info","data":"Creating checkpoint...","time":"2026-01-31T12:24:41.779658713Z"}"#,
        r#"{"type":"info","data":"Checkpoint created successfully","time":"2026-01-31T12:24:42.101232511Z"}"#,
        r#"{"type":"info","data":"\nCheckpoint Details:","time":"2026-01-31T12:24:42.101240102Z"}"#,
        r#"{"type":"info","data":"  ID: v1","time":"2026-01-31T12:24:42.101243187Z"}"#,
        r#"{"type":"info","data":"  Path: checkpoints/v1","time":"2026-01-31T12:24:42.101248406Z"}"#,
        r#"{"type":"complete","data":"Checkpoint v1 created successfully","time":"2026-01-31T12:24:42.101258647Z"}"#,
    ];
    repeat_lines(&lines)
}

/// About 4 MiB of service log lines (stdout text of typical length).
fn service_log_body() -> Vec<u8> {
    let lines = [
        r#"{"type":"stdout","data":"2026-01-31T12:24:41Z INFO  web: listening on 0.0.0.0:8080 (workers=4, pid=1847)\n","timestamp":1780420274555}"#,
        r#"{"type":"stdout","data":"2026-01-31T12:24:42Z INFO  web: GET /api/v1/items?page=2 200 3.2ms ua=\"curl/8.5.0\"\n","timestamp":1780420275001}"#,
        r#"{"type":"stderr","data":"2026-01-31T12:24:43Z WARN  web: slow query took 812ms: SELECT * FROM items WHERE owner_id = $1\n","timestamp":1780420276551}"#,
        r#"{"type":"stdout","data":"2026-01-31T12:24:44Z INFO  web: POST /api/v1/items 201 5.9ms\n","timestamp":1780420277002}"#,
    ];
    repeat_lines(&lines)
}

fn repeat_lines(lines: &[&str]) -> Vec<u8> {
    let mut body = Vec::with_capacity(4 << 20);
    while body.len() < 4 << 20 {
        for line in lines {
            body.extend_from_slice(line.as_bytes());
            body.push(b'\n');
        }
    }
    body
}

fn decode<T: serde::de::DeserializeOwned>(chunks: &[Bytes]) -> usize {
    let mut decoder = NdjsonDecoder::<T>::new();
    let mut n = 0;
    for chunk in chunks {
        decoder.handle_bytes(chunk.clone());
        while let Some(event) = decoder.poll_event() {
            black_box(event.is_ok());
            n += 1;
        }
    }
    decoder.finish();
    while let Some(event) = decoder.poll_event() {
        black_box(event.is_ok());
        n += 1;
    }
    n
}

fn chunks(body: &[u8]) -> Vec<Bytes> {
    let body = Bytes::copy_from_slice(body);
    (0..body.len())
        .step_by(CHUNK)
        .map(|start| body.slice(start..(start + CHUNK).min(body.len())))
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("ndjson");
    let checkpoint_body = checkpoint_body();
    let checkpoint = chunks(&checkpoint_body);
    let logs = chunks(&service_log_body());
    let size = |c: &[Bytes]| c.iter().map(|b| b.len() as u64).sum::<u64>();

    group.throughput(Throughput::Bytes(size(&checkpoint)));
    group.bench_function("checkpoint_framing_only", |b| {
        b.iter(|| decode::<serde::de::IgnoredAny>(&checkpoint))
    });
    group.bench_function("checkpoint_struct", |b| {
        b.iter(|| decode::<StreamLine>(&checkpoint))
    });
    group.bench_function("checkpoint_serde_only_struct", |b| {
        b.iter(|| {
            checkpoint_body
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty() && serde_json::from_slice::<StreamLine>(l).is_ok())
                .count()
        })
    });
    group.bench_function("checkpoint_tagged_enum", |b| {
        b.iter(|| decode::<StreamMessage>(&checkpoint))
    });
    group.bench_function("checkpoint_value", |b| {
        b.iter(|| decode::<serde_json::Value>(&checkpoint))
    });
    group.throughput(Throughput::Bytes(size(&logs)));
    group.bench_function("service_log_struct", |b| {
        b.iter(|| decode::<LogEvent>(&logs))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
