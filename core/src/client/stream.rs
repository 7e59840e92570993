//! Streams of NDJSON events and of sprites.

use alloc::string::String;
use alloc::vec::Vec;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;
use futures_core::Stream;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::runtime::{BoxStream, HttpBody, MaybeSend, Runtime};
use super::SpritesClient;
use crate::error::Result;
use crate::model::{ListOptions, SpriteInfo};
use crate::ndjson::NdjsonDecoder;
use crate::pagination::Pager;

/// A `Stream` of the events of one NDJSON answer (checkpoint and restore progress, service
/// events, session kill events).
///
/// Each item is an event or the error that ended the stream: an `{"type":"error"}` line
/// ([`crate::Error::Stream`]), a malformed line, a transport failure, or an idle timeout. The stream
/// ends after the first error. Dropping it closes the connection.
pub struct EventStream<R: Runtime, T> {
    inner: BoxStream<'static, Result<T>>,
    _runtime: core::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime, T> core::fmt::Debug for EventStream<R, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

struct State<R: Runtime, T> {
    client: SpritesClient<R>,
    body: R::Body,
    decoder: NdjsonDecoder<T>,
    idle: Option<Duration>,
    what: String,
    done: bool,
}

impl<R: Runtime, T: DeserializeOwned + MaybeSend + 'static> EventStream<R, T> {
    pub(super) fn new(
        client: SpritesClient<R>,
        body: R::Body,
        decoder: NdjsonDecoder<T>,
        idle: Option<Duration>,
        what: String,
    ) -> Self {
        let state = State {
            client,
            body,
            decoder,
            idle,
            what,
            done: false,
        };
        let inner = futures_util::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(event) = st.decoder.poll_event() {
                    if event.is_err() {
                        st.done = true;
                        // Drain nothing more after an error: the stream ends here.
                        st.decoder = NdjsonDecoder::new();
                    }
                    return Some((event, st));
                }
                if st.done {
                    return None;
                }
                let idle = st.idle;
                let what = st.what.clone();
                let chunk = st
                    .client
                    .with_timeout(idle, what, async { Ok(st.body.next_chunk().await) })
                    .await;
                match chunk {
                    Ok(Some(Ok(bytes))) => st.decoder.handle_bytes(bytes),
                    Ok(None) => {
                        st.decoder.finish();
                        st.done = true;
                    }
                    Ok(Some(Err(e))) | Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                }
            }
        });
        EventStream {
            inner: alloc::boxed::Box::pin(inner),
            _runtime: core::marker::PhantomData,
        }
    }

    pub(super) fn empty(_client: SpritesClient<R>, _what: String) -> Self {
        EventStream {
            inner: alloc::boxed::Box::pin(futures_util::stream::empty()),
            _runtime: core::marker::PhantomData,
        }
    }

    /// The next event; `None` at the end of the stream.
    pub async fn next(&mut self) -> Option<Result<T>> {
        self.inner.next().await
    }

    /// Reads the stream to its end and returns every event, or the first error.
    pub async fn collect_all(mut self) -> Result<Vec<T>> {
        let mut all = Vec::new();
        while let Some(event) = self.inner.next().await {
            all.push(event?);
        }
        Ok(all)
    }

    /// Calls `f` with every event until the stream ends; returns the first error.
    pub async fn process_all<F: FnMut(T)>(mut self, mut f: F) -> Result<()> {
        while let Some(event) = self.inner.next().await {
            f(event?);
        }
        Ok(())
    }
}

impl<R: Runtime, T> Stream for EventStream<R, T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A `Stream` of sprites, fetching pages as it is read (see
/// [`SpritesClient::list_stream`]).
pub struct SpriteStream<R: Runtime> {
    inner: BoxStream<'static, Result<SpriteInfo>>,
    _runtime: core::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime> core::fmt::Debug for SpriteStream<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SpriteStream").finish_non_exhaustive()
    }
}

impl<R: Runtime> SpriteStream<R> {
    pub(super) fn new(client: SpritesClient<R>, options: ListOptions) -> Self {
        struct Pages<R: Runtime> {
            client: SpritesClient<R>,
            options: ListOptions,
            pager: Pager,
            buffered: alloc::collections::VecDeque<SpriteInfo>,
            first: bool,
            failed: bool,
        }
        let state = Pages {
            pager: Pager::new(),
            buffered: alloc::collections::VecDeque::new(),
            first: true,
            failed: false,
            client,
            options,
        };
        let inner = futures_util::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(sprite) = st.buffered.pop_front() {
                    return Some((Ok(sprite), st));
                }
                if st.failed || (!st.first && st.pager.is_done()) {
                    return None;
                }
                let mut options = st.options.clone();
                if !st.first {
                    options.continuation_token = st.pager.token().map(String::from);
                }
                st.first = false;
                match st.client.list_with_options(options).await {
                    Ok(page) => {
                        st.pager
                            .advance(page.has_more, page.next_continuation_token.as_deref());
                        st.buffered.extend(page.sprites);
                    }
                    Err(e) => {
                        st.failed = true;
                        return Some((Err(e), st));
                    }
                }
            }
        });
        SpriteStream {
            inner: alloc::boxed::Box::pin(inner),
            _runtime: core::marker::PhantomData,
        }
    }
}

impl<R: Runtime> Stream for SpriteStream<R> {
    type Item = Result<SpriteInfo>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}
