//! The HTTP exec body decoder on arbitrary bytes in arbitrary chunks: no panic, and the same
//! output (adjacent pieces of one stream joined) as decoding the whole body at once.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sprites_core::http_exec::{HttpExecDecoder, HttpExecEvent};

#[derive(Debug, PartialEq)]
enum Joined {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Exit(u8),
    Error,
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let whole = decode(body, &[body.len()]);
    let chunked = decode(body, &chunk_sizes(seed, body.len()));
    assert_eq!(whole, chunked);
    let errors = whole.iter().filter(|j| **j == Joined::Error).count();
    let exits = whole.iter().filter(|j| matches!(j, Joined::Exit(_))).count();
    assert!(errors <= 1 && exits <= 1);
    // A body is either well-formed (ends with its exit) or reported as an error.
    assert!(matches!(whole.last(), Some(Joined::Exit(_) | Joined::Error)));
});

fn decode(body: &[u8], sizes: &[usize]) -> Vec<Joined> {
    let mut decoder = HttpExecDecoder::new();
    let mut out = Vec::new();
    let mut rest = body;
    for &size in sizes {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        decoder.handle_bytes(Bytes::copy_from_slice(chunk));
        while let Some(event) = decoder.poll_event() {
            join(&mut out, event);
        }
    }
    decoder.finish();
    while let Some(event) = decoder.poll_event() {
        join(&mut out, event);
    }
    out
}

fn join(out: &mut Vec<Joined>, event: sprites_core::Result<HttpExecEvent>) {
    match (out.last_mut(), event) {
        (Some(Joined::Stdout(acc)), Ok(HttpExecEvent::Stdout(b))) => acc.extend_from_slice(&b),
        (Some(Joined::Stderr(acc)), Ok(HttpExecEvent::Stderr(b))) => acc.extend_from_slice(&b),
        (_, Ok(HttpExecEvent::Stdout(b))) => out.push(Joined::Stdout(b.to_vec())),
        (_, Ok(HttpExecEvent::Stderr(b))) => out.push(Joined::Stderr(b.to_vec())),
        (_, Ok(HttpExecEvent::Exit(code))) => out.push(Joined::Exit(code)),
        (_, Ok(other)) => panic!("unknown event {other:?}"),
        (_, Err(_)) => out.push(Joined::Error),
    }
}

fn chunk_sizes(seed: u8, len: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut state = u32::from(seed) | 1;
    let mut total = 0;
    while total < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let size = (state % 16) as usize;
        sizes.push(size);
        total += size;
    }
    sizes.push(len);
    sizes
}
