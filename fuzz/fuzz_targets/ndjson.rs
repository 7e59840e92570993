//! The NDJSON decoder on arbitrary bytes in arbitrary chunks: no panic, bounded memory, and
//! the same events as decoding the whole input at once.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sprites_core::ndjson::NdjsonDecoder;

const MAX_LINE: usize = 256;

fuzz_target!(|data: &[u8]| {
    // The first byte seeds the chunk sizes; the rest is the body.
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let whole = decode(body, &[body.len()]);
    let sizes = chunk_sizes(seed, body.len());
    let chunked = decode(body, &sizes);
    assert_eq!(whole, chunked);
});

fn decode(body: &[u8], sizes: &[usize]) -> Vec<String> {
    let mut decoder = NdjsonDecoder::<serde_json::Value>::new().with_max_line(MAX_LINE);
    let mut out = Vec::new();
    let mut rest = body;
    for &size in sizes {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        decoder.handle_bytes(Bytes::copy_from_slice(chunk));
        while let Some(event) = decoder.poll_event() {
            out.push(describe(event));
        }
        assert!(decoder.buffered_len() <= MAX_LINE);
    }
    decoder.finish();
    while let Some(event) = decoder.poll_event() {
        out.push(describe(event));
    }
    out
}

fn describe(event: sprites_core::Result<serde_json::Value>) -> String {
    match event {
        Ok(v) => v.to_string(),
        Err(sprites_core::Error::Protocol(_)) => "protocol error".into(),
        Err(e) => e.to_string(),
    }
}

/// Chunk sizes from a small deterministic generator, covering the whole body.
fn chunk_sizes(seed: u8, len: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut state = u32::from(seed) | 1;
    let mut total = 0;
    while total < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let size = (state % 64) as usize;
        sizes.push(size);
        total += size;
    }
    sizes.push(len);
    sizes
}
