//! The exec frame decoders, text-message parsers and `ExecSession` on arbitrary input: no
//! panic, and the session invariants `fuzz_exec` checks always hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sprites_core::exec::fuzz_exec(data);
});
