//! Error-response parsing on arbitrary statuses, headers and bodies: no panic, and every
//! error status gives an error with a message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sprites_core::response::{api_error, fs_error};

fuzz_target!(|data: &[u8]| {
    // Layout: 2 bytes status, 1 byte header-value length, the Retry-After value, the body.
    let [s0, s1, n, rest @ ..] = data else {
        return;
    };
    let status = u16::from_be_bytes([*s0, *s1]);
    let (value, body) = rest.split_at(usize::from(*n).min(rest.len()));
    let headers = vec![
        (
            "Retry-After".to_string(),
            String::from_utf8_lossy(value).into_owned(),
        ),
        (
            "X-RateLimit-Reset".to_string(),
            String::from_utf8_lossy(value).into_owned(),
        ),
    ];
    let api = api_error(status, &headers, body);
    let fs = fs_error(status, &headers, body, Some("/some/path"));
    if !(200..300).contains(&status) {
        assert!(!api.to_string().is_empty());
        assert_eq!(api.status(), Some(status));
        assert_eq!(fs.status(), Some(status));
    }
});
