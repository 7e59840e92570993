//! The retry policy and the list pager: pure, deterministic decisions.

use core::time::Duration;
use sprites_core::pagination::{next_page_token, Pager};
use sprites_core::response::api_error;
use sprites_core::retry::RetryPolicy;
use sprites_core::{ApiError, Error};

fn timeout() -> Error {
    Error::Timeout("get sprite".into())
}

fn rate_limited(retry_after_secs: u64) -> Error {
    let headers = vec![("Retry-After".to_string(), retry_after_secs.to_string())];
    api_error(
        429,
        &headers,
        br#"{"error":"sprite_creation_rate_limited"}"#,
    )
}

fn delays(policy: &RetryPolicy, seed: u64) -> Vec<Option<Duration>> {
    let mut backoff = policy.backoff(seed);
    (1..=6)
        .map(|a| backoff.next_delay(a, &timeout(), true))
        .collect()
}

// ---------------------------------------------------------------------------------------
// retry

#[test]
fn same_seed_gives_the_same_delays() {
    let policy = RetryPolicy::default().with_max_attempts(7);
    assert_eq!(delays(&policy, 7), delays(&policy, 7));
}

#[test]
fn different_seeds_give_different_delays() {
    let policy = RetryPolicy::default().with_max_attempts(7);
    assert_ne!(delays(&policy, 1), delays(&policy, 2));
}

#[test]
fn without_jitter_delays_grow_exponentially_up_to_the_cap() {
    let policy = RetryPolicy::default()
        .with_max_attempts(7)
        .with_jitter(false)
        .with_backoff(Duration::from_millis(100), 2.0, Duration::from_millis(1000));
    let ms: Vec<u128> = delays(&policy, 0)
        .into_iter()
        .map(|d| d.unwrap().as_millis())
        .collect();
    assert_eq!(ms, [100, 200, 400, 800, 1000, 1000]);
}

#[test]
fn jittered_delays_stay_within_the_backoff() {
    let policy = RetryPolicy::default().with_max_attempts(7);
    for seed in 0..50 {
        for (i, d) in delays(&policy, seed).into_iter().enumerate() {
            let retry = u32::try_from(i).unwrap() + 1;
            assert!(d.unwrap() <= policy.base_delay(retry));
        }
    }
}

#[test]
fn attempts_stop_at_max_attempts() {
    let policy = RetryPolicy::default().with_max_attempts(3);
    let mut backoff = policy.backoff(0);
    assert!(backoff.next_delay(1, &timeout(), true).is_some());
    assert!(backoff.next_delay(2, &timeout(), true).is_some());
    assert_eq!(backoff.next_delay(3, &timeout(), true), None);
}

#[test]
fn never_policy_does_not_retry() {
    let mut backoff = RetryPolicy::never().backoff(0);
    assert_eq!(backoff.next_delay(1, &timeout(), true), None);
}

#[test]
fn retry_after_is_a_floor_on_the_delay() {
    let mut backoff = RetryPolicy::default().backoff(3);
    let d = backoff.next_delay(1, &rate_limited(7), true).unwrap();
    assert_eq!(d, Duration::from_secs(7));
}

#[test]
fn retry_after_beyond_the_limit_ends_retries() {
    let policy = RetryPolicy::default().with_max_retry_after(Duration::from_secs(30));
    let mut backoff = policy.backoff(3);
    assert_eq!(backoff.next_delay(1, &rate_limited(31), true), None);
}

#[test]
fn non_idempotent_operations_are_not_retried() {
    let mut backoff = RetryPolicy::default().backoff(0);
    assert_eq!(backoff.next_delay(1, &timeout(), false), None);
    assert_eq!(backoff.next_delay(1, &rate_limited(1), false), None);
}

#[test]
fn non_idempotent_operations_are_retried_when_allowed() {
    let policy = RetryPolicy::default().with_retry_non_idempotent(true);
    let mut backoff = policy.backoff(0);
    assert!(backoff.next_delay(1, &timeout(), false).is_some());
}

#[test]
fn errors_a_retry_cannot_fix_are_not_retried() {
    let mut backoff = RetryPolicy::default().backoff(0);
    for err in [
        Error::NotFound(Box::new(ApiError::new(404, "sprite not found"))),
        Error::Api(Box::new(ApiError::new(501, "not implemented"))),
        Error::protocol("bad frame"),
        Error::Stream {
            message: "checkpoint not found".into(),
        },
    ] {
        assert_eq!(backoff.next_delay(1, &err, true), None, "{err}");
    }
}

#[test]
fn server_errors_are_retried() {
    let mut backoff = RetryPolicy::default().backoff(0);
    let err = api_error(503, &[], b"sprite restoring");
    assert!(backoff.next_delay(1, &err, true).is_some());
}

// ---------------------------------------------------------------------------------------
// pagination

#[test]
fn next_page_needs_has_more_and_a_token() {
    assert_eq!(next_page_token(true, Some("t")), Some("t"));
    assert_eq!(next_page_token(false, Some("t")), None);
}

#[test]
fn null_token_stops_even_when_has_more() {
    assert_eq!(next_page_token(true, None), None);
    let mut pager = Pager::new();
    assert_eq!(pager.advance(true, None), None);
    assert!(pager.is_done());
}

#[test]
fn empty_token_stops_even_when_has_more() {
    let mut pager = Pager::new();
    assert_eq!(pager.advance(true, Some("")), None);
    assert!(pager.is_done());
}

#[test]
fn pager_follows_tokens_until_the_last_page() {
    let mut pager = Pager::new();
    assert_eq!(pager.token(), None);
    assert_eq!(pager.advance(true, Some("a")), Some("a"));
    assert_eq!(pager.token(), Some("a"));
    assert_eq!(pager.advance(true, Some("b")), Some("b"));
    assert_eq!(pager.advance(false, None), None);
    assert!(pager.is_done());
    assert!(!pager.stopped_on_repeated_token());
}

#[test]
fn repeated_token_stops_paging() {
    let mut pager = Pager::new();
    assert_eq!(pager.advance(true, Some("a")), Some("a"));
    assert_eq!(pager.advance(true, Some("a")), None);
    assert!(pager.is_done());
    assert!(pager.stopped_on_repeated_token());
}

#[test]
fn token_cycle_stops_paging() {
    let mut pager = Pager::new();
    assert_eq!(pager.advance(true, Some("a")), Some("a"));
    assert_eq!(pager.advance(true, Some("b")), Some("b"));
    assert_eq!(pager.advance(true, Some("a")), None);
    assert!(pager.stopped_on_repeated_token());
}

#[test]
fn pager_stays_done() {
    let mut pager = Pager::new();
    assert_eq!(pager.advance(false, Some("a")), None);
    assert_eq!(pager.advance(true, Some("b")), None);
    assert_eq!(pager.token(), None);
}
