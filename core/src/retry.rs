//! When to try a failed request again, and after how long: a pure backoff policy.
//!
//! No official SDK retries automatically (spec §1.8); this one does only when the caller asks,
//! and only when it is safe:
//! - the error must be one that a retry can fix ([`Error::is_retryable`]: rate limits, `5xx`
//!   other than `501`, transport failures, timeouts);
//! - the operation must be idempotent (GET, PUT, DELETE, ...) unless the policy says
//!   otherwise ([`RetryPolicy::retry_non_idempotent`]), because a request that failed in
//!   transit may still have been carried out;
//! - fewer than [`RetryPolicy::max_attempts`] attempts have been made.
//!
//! The delay is exponential backoff with a cap and "full jitter": a uniformly random duration
//! between zero and the capped exponential value, drawn from a generator seeded by the caller,
//! so a given seed always gives the same delays. A server's `Retry-After`
//! ([`Error::retry_after`]) is a floor: the delay is never shorter than what the server asked
//! for, and a server asking for longer than [`RetryPolicy::max_retry_after`] ends the retries.
//!
//! The core never sleeps: the driver sleeps for the returned delay and tries again.
//!
//! ```
//! use core::time::Duration;
//! use sprites_core::retry::RetryPolicy;
//! use sprites_core::Error;
//!
//! let mut backoff = RetryPolicy::default().backoff(42);
//! let err = Error::Timeout("get sprite".into());
//! let delay = backoff.next_delay(1, &err, true).expect("timeouts are retried");
//! assert!(delay <= RetryPolicy::default().initial_delay);
//! // A non-idempotent operation is not retried by default.
//! assert_eq!(backoff.next_delay(1, &err, false), None);
//! ```

use core::time::Duration;

use crate::error::Error;

/// How to retry: attempts, backoff curve, jitter and limits.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Total attempts, the first one included (`1` = never retry).
    pub max_attempts: u32,
    /// The backoff before the first retry (before jitter).
    pub initial_delay: Duration,
    /// The factor between successive backoffs (values below `1.0` count as `1.0`).
    pub multiplier: f64,
    /// The largest backoff (before jitter).
    pub max_delay: Duration,
    /// Whether to draw each delay uniformly from zero to the backoff ("full jitter").
    pub jitter: bool,
    /// The longest `Retry-After` to honour; a server asking for longer ends the retries.
    pub max_retry_after: Duration,
    /// Whether operations that are not idempotent (POST) may be retried too.
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    /// 4 attempts, backoff 250 ms × 2 up to 8 s with full jitter, `Retry-After` honoured up
    /// to 60 s, idempotent operations only.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(250),
            multiplier: 2.0,
            max_delay: Duration::from_secs(8),
            jitter: true,
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    #[must_use]
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets the total number of attempts.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the backoff curve: the first delay, the factor, and the cap.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, multiplier: f64, max: Duration) -> Self {
        self.initial_delay = initial;
        self.multiplier = multiplier;
        self.max_delay = max;
        self
    }

    /// Turns full jitter on or off.
    #[must_use]
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the longest `Retry-After` to honour.
    #[must_use]
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Allows retrying operations that are not idempotent.
    #[must_use]
    pub fn with_retry_non_idempotent(mut self, allow: bool) -> Self {
        self.retry_non_idempotent = allow;
        self
    }

    /// The retry state for one operation, with jitter drawn from a generator seeded with
    /// `seed`. The same seed and the same calls give the same delays.
    #[must_use]
    pub fn backoff(&self, seed: u64) -> Backoff {
        Backoff {
            policy: self.clone(),
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The backoff before retry number `retry` (1 for the first retry), capped, before
    /// jitter: `initial_delay × multiplier^(retry-1)`, at most `max_delay` (the exponent stops
    /// growing at 63).
    #[must_use]
    pub fn base_delay(&self, retry: u32) -> Duration {
        let factor = if self.multiplier.is_finite() && self.multiplier > 1.0 {
            self.multiplier
        } else {
            1.0
        };
        let mut delay = self.initial_delay.min(self.max_delay);
        // Bounded so that a factor barely above 1 cannot make this loop long.
        for _ in 1..retry.min(64) {
            if delay >= self.max_delay {
                break;
            }
            delay = Duration::try_from_secs_f64(delay.as_secs_f64() * factor)
                .unwrap_or(self.max_delay)
                .min(self.max_delay);
        }
        delay
    }
}

/// The retry state of one operation: a [`RetryPolicy`] and its seeded jitter generator.
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: RetryPolicy,
    rng: fastrand::Rng,
}

impl Backoff {
    /// How long to wait before the next attempt, or `None` to give up and report `error`.
    ///
    /// `attempt` is the number of attempts made so far (1 after the first failure);
    /// `idempotent` says whether repeating the operation is harmless.
    pub fn next_delay(
        &mut self,
        attempt: u32,
        error: &Error,
        idempotent: bool,
    ) -> Option<Duration> {
        let policy = &self.policy;
        if attempt == 0 || attempt >= policy.max_attempts {
            return None;
        }
        if !error.is_retryable() || !(idempotent || policy.retry_non_idempotent) {
            return None;
        }
        let server_floor = error.retry_after();
        if server_floor.is_some_and(|after| after > policy.max_retry_after) {
            return None;
        }
        let base = policy.base_delay(attempt);
        let delay = if policy.jitter {
            let nanos = u64::try_from(base.as_nanos()).unwrap_or(u64::MAX);
            Duration::from_nanos(self.rng.u64(0..=nanos))
        } else {
            base
        };
        Some(server_floor.map_or(delay, |after| delay.max(after)))
    }

    /// The policy this state follows.
    #[must_use]
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}
