//! The list paging rule (spec §4.3): whether to fetch another page, and with which token.
//!
//! `GET /v1/sprites` answers `has_more` and `next_continuation_token`. Fetch the next page
//! with `continuation_token = next_continuation_token` while `has_more` is true **and** the
//! token is non-empty: the live service has been seen to answer `has_more: true` with a
//! `null` token, and a client that trusts `has_more` alone then loops or fails. A [`Pager`]
//! also stops when the server hands back a token it already gave (which would repeat pages
//! forever).
//!
//! ```
//! use sprites_core::pagination::Pager;
//!
//! let mut pager = Pager::new();
//! assert_eq!(pager.token(), None); // the first request carries no token
//! assert_eq!(pager.advance(true, Some("t1")), Some("t1"));
//! assert_eq!(pager.advance(true, None), None); // has_more but no token: stop
//! assert!(pager.is_done());
//! ```

use alloc::collections::BTreeSet;
use alloc::string::String;

/// The rule for one page on its own: the token of the next page, or `None` to stop.
///
/// ```
/// use sprites_core::pagination::next_page_token;
///
/// assert_eq!(next_page_token(true, Some("abc")), Some("abc"));
/// assert_eq!(next_page_token(true, Some("")), None);
/// assert_eq!(next_page_token(true, None), None);
/// assert_eq!(next_page_token(false, Some("abc")), None);
/// ```
#[must_use]
pub fn next_page_token(has_more: bool, next_token: Option<&str>) -> Option<&str> {
    next_token.filter(|t| has_more && !t.is_empty())
}

/// Paging state across the pages of one listing: [`next_page_token`] plus a guard against
/// a server that repeats a token.
#[derive(Clone, Debug, Default)]
pub struct Pager {
    token: Option<String>,
    seen: BTreeSet<String>,
    done: bool,
    repeated: bool,
}

impl Pager {
    /// A pager before the first page.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a received page and returns the token to fetch the next page with, or `None`
    /// when the listing is complete (no more pages, a missing or empty token, or a token
    /// seen before). Once it has returned `None` it always does.
    pub fn advance(&mut self, has_more: bool, next_token: Option<&str>) -> Option<&str> {
        if self.done {
            return None;
        }
        let Some(next) = next_page_token(has_more, next_token) else {
            return self.stop();
        };
        if !self.seen.insert(String::from(next)) {
            self.repeated = true;
            return self.stop();
        }
        self.token = Some(String::from(next));
        self.token.as_deref()
    }

    /// The continuation token for the next request (`None` for the first page).
    #[must_use]
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Whether the listing is complete.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether paging stopped because the server repeated a token.
    #[must_use]
    pub fn stopped_on_repeated_token(&self) -> bool {
        self.repeated
    }

    fn stop(&mut self) -> Option<&str> {
        self.done = true;
        self.token = None;
        None
    }
}
