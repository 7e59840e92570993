//! The client side of one exec WebSocket, as a state machine.

use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bytes::Bytes;
use core::time::Duration;

use crate::error::{Error, Result};
use crate::exec::frame::{Frame, Framing};
use crate::exec::message::{ClientMessage, DebugMessage, PortEvent, ServerMessage, SessionInfo};
use crate::model::Signal;
use crate::response::header;
use crate::time::{format_go_duration, Instant};
use crate::ws::{CloseFrame, WsMessage};

/// Something the driver (or the user) must know about: output, session details, the end.
///
/// After [`ExecEvent::Exit`] or [`ExecEvent::Failed`] no further event follows.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExecEvent {
    /// The server's `session_info` (id, command, TTY, owner).
    SessionInfo(SessionInfo),
    /// Output of the process (in TTY mode: everything the terminal printed). Never empty.
    Stdout(Bytes),
    /// Standard error of the process (non-TTY only). Never empty.
    Stderr(Bytes),
    /// The process exited with this code (`0`–`255`; `128 + N` for a death by signal N).
    Exit(i32),
    /// A process in the sprite started listening on a port.
    PortOpened(PortEvent),
    /// A process in the sprite stopped listening on a port.
    PortClosed(PortEvent),
    /// A `debug` message from the server.
    Debug(DebugMessage),
    /// The server does not take in-band signals: the driver should send
    /// [`kill_request`](super::url::kill_request)`(endpoint, sprite, session_id, signal)`
    /// (`POST …/exec/{id}/kill?signal=…&timeout=0s`).
    KillRequest {
        /// The signal to deliver.
        signal: Signal,
        /// The session to deliver it to.
        session_id: String,
    },
    /// The session ended without an exit status: [`Error::ClosedBeforeExit`],
    /// [`Error::Timeout`] (keepalive), or [`Error::Protocol`] (a malformed known message
    /// or too much output before `session_info`).
    Failed(Error),
}

/// Keepalive: ping at an interval, give up when nothing arrives for too long (spec §5.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keepalive {
    /// How often to send a ping.
    pub interval: Duration,
    /// How long the connection may stay silent (no data, ping or pong) before the session
    /// fails with [`Error::Timeout`].
    pub idle_limit: Duration,
}

impl Default for Keepalive {
    /// 15 s pings, 45 s idle limit, as the Go SDK.
    fn default() -> Self {
        Keepalive {
            interval: Duration::from_secs(15),
            idle_limit: Duration::from_secs(45),
        }
    }
}

/// How an [`ExecSession`] behaves. Build with [`ExecConfig::command`] or
/// [`ExecConfig::attach`], then adjust with the setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecConfig {
    /// The sprite's name, for error messages.
    pub sprite: String,
    /// Whether the session has a TTY; `None` until `session_info` says (attach).
    pub tty: Option<bool>,
    /// Whether the caller will send input. Without it a new non-TTY session sends the
    /// stdin EOF frame at once, as Go does.
    pub stdin: bool,
    /// The session id when already known (attach), for the kill fallback and errors.
    pub session_id: Option<String>,
    /// Keepalive settings; `None` turns pings and the idle limit off (for long quiet
    /// commands on transports that keep themselves alive).
    pub keepalive: Option<Keepalive>,
    /// [`ExecSession::wants_read`] turns false when more output than this waits in
    /// undrained events. Also bounds the output held before `session_info` on attach.
    pub max_buffered_output: usize,
    /// How long a non-TTY session keeps accepting output after the text `exit` while it
    /// waits for the binary exit frame. Zero ends at the text `exit` (Go's behaviour).
    pub exit_grace: Duration,
    new_command: bool,
}

impl ExecConfig {
    /// Default for [`ExecConfig::max_buffered_output`]: 1 MiB.
    pub const DEFAULT_MAX_BUFFERED_OUTPUT: usize = 1 << 20;
    /// Default for [`ExecConfig::exit_grace`]: 2 s.
    pub const DEFAULT_EXIT_GRACE: Duration = Duration::from_secs(2);

    /// A session for a new command in `sprite`, with or without a TTY and input.
    pub fn command(sprite: impl Into<String>, tty: bool, stdin: bool) -> Self {
        ExecConfig {
            sprite: sprite.into(),
            tty: Some(tty),
            stdin,
            session_id: None,
            keepalive: Some(Keepalive::default()),
            max_buffered_output: Self::DEFAULT_MAX_BUFFERED_OUTPUT,
            exit_grace: Self::DEFAULT_EXIT_GRACE,
            new_command: true,
        }
    }

    /// A session attaching to `session_id` in `sprite`: framing comes from `session_info`,
    /// input is open, and no EOF is sent on its own (the session may be shared).
    pub fn attach(sprite: impl Into<String>, session_id: impl Into<String>) -> Self {
        ExecConfig {
            tty: None,
            stdin: true,
            session_id: Some(session_id.into()),
            new_command: false,
            ..Self::command(sprite, false, true)
        }
    }

    /// Sets the keepalive (`None`: off).
    #[must_use]
    pub fn keepalive(mut self, keepalive: Option<Keepalive>) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Sets the output buffer limit.
    #[must_use]
    pub fn max_buffered_output(mut self, bytes: usize) -> Self {
        self.max_buffered_output = bytes;
        self
    }

    /// Sets the grace period after a text `exit`.
    #[must_use]
    pub fn exit_grace(mut self, grace: Duration) -> Self {
        self.exit_grace = grace;
        self
    }
}

/// The client side of one exec WebSocket: frames and JSON in, events and messages out.
///
/// No I/O and no clock: the driver owns the socket and passes `now`.
///
/// # Driving
///
/// Create the session once the WebSocket is open, hand it the upgrade response headers,
/// then loop. Input goes in through the `handle_*` methods and the commands
/// ([`send_stdin`](Self::send_stdin), [`close_stdin`](Self::close_stdin),
/// [`resize`](Self::resize), [`signal`](Self::signal), [`close`](Self::close)). **After any
/// of them, drain every `poll_*` in this order:**
///
/// 1. [`poll_transmit`](Self::poll_transmit) until `None`: send each message.
/// 2. [`poll_event`](Self::poll_event) until `None` (or until the consumer is full; see
///    [`wants_read`](Self::wants_read)).
/// 3. [`poll_timeout`](Self::poll_timeout): call [`handle_timeout`](Self::handle_timeout) at
///    that instant unless other input comes first.
///
/// Read the next socket message only while [`wants_read`](Self::wants_read) is true; that
/// keeps memory bounded when the consumer is slow (the server then slows the process).
/// The session is over when [`is_finished`](Self::is_finished) is true and `poll_event`
/// returns `None`. Instants passed in must not go backwards; an earlier instant is treated
/// as the latest one seen.
///
/// ```
/// use bytes::Bytes;
/// use sprites_core::exec::{ExecConfig, ExecEvent, ExecSession};
/// use sprites_core::time::Instant;
/// use sprites_core::ws::WsMessage;
///
/// let now = Instant::ZERO;
/// let mut session = ExecSession::new(ExecConfig::command("my-sprite", false, false), now);
/// session.handle_upgrade(&[("X-Sprite-Capabilities".into(), "signal".into())]);
/// // No stdin: the EOF frame goes out first.
/// assert_eq!(session.poll_transmit(), Some(WsMessage::Binary(Bytes::from_static(b"\x04"))));
///
/// session.handle_message(WsMessage::Binary(Bytes::from_static(b"\x01hi\n")), now);
/// session.handle_message(WsMessage::Binary(Bytes::from_static(b"\x03\x00")), now);
/// assert!(matches!(session.poll_event(), Some(ExecEvent::Stdout(b)) if b == "hi\n"));
/// assert!(matches!(session.poll_event(), Some(ExecEvent::Exit(0))));
/// assert!(session.is_finished());
/// ```
#[derive(Debug)]
pub struct ExecSession {
    config: ExecConfig,
    framing: Option<Framing>,
    capabilities: Vec<String>,
    sprite_version: Option<String>,
    session_id: Option<String>,
    state: State,
    events: VecDeque<ExecEvent>,
    transmits: VecDeque<WsMessage>,
    buffered_output: usize,
    /// Binary messages that arrived before `session_info` told the framing (attach).
    held: VecDeque<Bytes>,
    held_bytes: usize,
    /// Input issued before the framing was known (attach), in order.
    pending_input: VecDeque<Input>,
    stdin_closed: bool,
    now: Instant,
    last_received: Instant,
    next_ping: Option<Instant>,
    /// True once the consumer fell behind: the idle limit restarts from the next `now`.
    idle_paused: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    /// A text `exit` arrived on a non-TTY session; waiting for the binary exit frame.
    ExitPending {
        code: i32,
        deadline: Instant,
    },
    Finished,
}

#[derive(Debug)]
enum Input {
    Stdin(Bytes),
    Eof,
    Resize { rows: u16, cols: u16 },
}

impl ExecSession {
    /// A session at `now` (when the socket opened).
    #[must_use]
    pub fn new(config: ExecConfig, now: Instant) -> Self {
        let framing = config.tty.map(Framing::for_tty);
        let next_ping = config.keepalive.map(|k| now + k.interval);
        let mut session = ExecSession {
            framing,
            capabilities: Vec::new(),
            sprite_version: None,
            session_id: config.session_id.clone(),
            state: State::Running,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            buffered_output: 0,
            held: VecDeque::new(),
            held_bytes: 0,
            pending_input: VecDeque::new(),
            stdin_closed: false,
            now,
            last_received: now,
            next_ping,
            idle_paused: false,
            config,
        };
        if session.config.new_command && !session.config.stdin {
            // Go sends the EOF frame right away when there is no input; a TTY has no EOF
            // frame, so nothing goes out there.
            session.stdin_closed = true;
            session.push_input(Input::Eof);
        }
        session
    }

    /// Takes the upgrade (`101`) response headers: `X-Sprite-Capabilities` (comma-separated)
    /// and `Sprite-Version`.
    pub fn handle_upgrade(&mut self, headers: &[(String, String)]) {
        if let Some(caps) = header(headers, "x-sprite-capabilities") {
            self.capabilities = caps
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(ToString::to_string)
                .collect();
        }
        if let Some(version) = header(headers, "sprite-version") {
            self.sprite_version = Some(version.to_string());
        }
    }

    /// Takes one message received from the socket.
    pub fn handle_message(&mut self, message: WsMessage, now: Instant) {
        self.advance(now);
        if self.state == State::Finished {
            return;
        }
        self.last_received = self.now;
        match message {
            WsMessage::Binary(data) => self.on_binary(data),
            WsMessage::Text(text) => self.on_text(&text),
            WsMessage::Ping(payload) => self.transmits.push_back(WsMessage::Pong(payload)),
            WsMessage::Pong(_) => {}
            WsMessage::Close(frame) => self.on_transport_end(frame.map(|f| f.code)),
        }
        self.note_backpressure();
    }

    /// The transport ended without a close message (TCP reset, read error, EOF).
    pub fn handle_close(&mut self, now: Instant) {
        self.advance(now);
        if self.state != State::Finished {
            self.on_transport_end(None);
        }
    }

    /// Fires the timers due at `now` (pings, idle limit, exit grace). Calling it early is
    /// harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        if let State::ExitPending { code, deadline } = self.state {
            if self.now >= deadline {
                self.finish_with_exit(code);
                return;
            }
        }
        if self.state == State::Finished {
            return;
        }
        let Some(keepalive) = self.config.keepalive else {
            return;
        };
        if let Some(deadline) = self.idle_deadline() {
            if self.now >= deadline {
                let message = alloc::format!(
                    "no traffic on exec connection to sprite {:?} for {}",
                    self.config.sprite,
                    format_go_duration(keepalive.idle_limit)
                );
                self.fail(Error::Timeout(message));
                return;
            }
        }
        if let Some(at) = self.next_ping {
            if self.now >= at {
                self.transmits.push_back(WsMessage::Ping(Bytes::new()));
                self.next_ping = Some(self.now + keepalive.interval);
            }
        }
    }

    /// Queues input for the process. Empty chunks send nothing.
    ///
    /// Errors ([`Error::InvalidArgument`], nothing queued): the session was built without
    /// stdin, stdin was closed, or the session is finished.
    pub fn send_stdin(&mut self, data: Bytes) -> Result<()> {
        self.check_input("send input")?;
        if !data.is_empty() {
            self.push_input(Input::Stdin(data));
        }
        Ok(())
    }

    /// Ends the input: the stdin EOF frame (`0x04`) without a TTY. A TTY has no EOF frame
    /// (EOF is typed input, e.g. `0x04` at a shell prompt), so with a TTY this only stops
    /// further input. Closing twice is a no-op.
    pub fn close_stdin(&mut self) -> Result<()> {
        if self.stdin_closed {
            return Ok(());
        }
        self.check_input("close input")?;
        self.stdin_closed = true;
        self.push_input(Input::Eof);
        Ok(())
    }

    /// Resizes the terminal. Before `session_info` on an attach the latest size waits and is
    /// sent if the session turns out to have a TTY.
    ///
    /// Errors ([`Error::InvalidArgument`]): the session has no TTY, or it is finished.
    pub fn resize(&mut self, rows: u16, cols: u16) -> Result<()> {
        self.check_running("resize")?;
        match self.framing {
            Some(Framing::Stream) => Err(Error::invalid_argument(alloc::format!(
                "cannot resize exec session in sprite {:?}: it has no tty",
                self.config.sprite
            ))),
            Some(Framing::Tty) => {
                self.transmits
                    .push_back(text(&ClientMessage::Resize { cols, rows }));
                Ok(())
            }
            None => {
                self.pending_input
                    .retain(|i| !matches!(i, Input::Resize { .. }));
                self.pending_input.push_back(Input::Resize { rows, cols });
                Ok(())
            }
        }
    }

    /// Sends a signal to the session's process group: in-band when the upgrade advertised
    /// the `signal` capability, otherwise an [`ExecEvent::KillRequest`] for the driver.
    ///
    /// Errors ([`Error::InvalidArgument`]): the session is finished, or the fallback needs
    /// the session id and `session_info` has not arrived yet.
    pub fn signal(&mut self, signal: Signal) -> Result<()> {
        self.check_running("signal")?;
        if self.supports_signal() {
            self.transmits
                .push_back(text(&ClientMessage::Signal { signal }));
            return Ok(());
        }
        let Some(session_id) = self.session_id.clone() else {
            return Err(Error::invalid_argument(alloc::format!(
                "cannot signal exec session in sprite {:?} before session_info: its id is unknown",
                self.config.sprite
            )));
        };
        self.events
            .push_back(ExecEvent::KillRequest { signal, session_id });
        Ok(())
    }

    /// Closes the connection normally (code 1000), which detaches: the process keeps running
    /// for its `max_run_after_disconnect`. The session is finished at once; no exit or
    /// failure event follows.
    pub fn close(&mut self) {
        if self.state == State::Finished {
            return;
        }
        self.state = State::Finished;
        self.held.clear();
        self.held_bytes = 0;
        self.pending_input.clear();
        self.transmits
            .push_back(WsMessage::Close(Some(CloseFrame::normal())));
    }

    /// The next message to send: stdin frames, the EOF frame, resize and signal messages,
    /// pings, pongs, and the final close.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<WsMessage> {
        self.transmits.pop_front()
    }

    /// The next event, in the order the server sent the data.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ExecEvent> {
        let event = self.events.pop_front()?;
        if let ExecEvent::Stdout(b) | ExecEvent::Stderr(b) = &event {
            self.buffered_output = self.buffered_output.saturating_sub(b.len());
        }
        Some(event)
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next; `None` when no timer runs
    /// (finished, or keepalive off and no exit pending). It changes after any `handle_*`
    /// call or command, and when draining events lets reading resume.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let grace = match self.state {
            State::Finished => return None,
            State::ExitPending { deadline, .. } => Some(deadline),
            State::Running => None,
        };
        [grace, self.next_ping, self.idle_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether the session is over: an exit or failure event was queued, or
    /// [`close`](Self::close) was called. Events may still wait in
    /// [`poll_event`](Self::poll_event).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// Bytes of stdout/stderr waiting in undrained events.
    #[must_use]
    pub fn buffered_output(&self) -> usize {
        self.buffered_output
    }

    /// Whether the driver should read the next socket message: false once finished, and
    /// while more than [`ExecConfig::max_buffered_output`] bytes wait in events. While it
    /// is false the idle limit is paused.
    #[must_use]
    pub fn wants_read(&self) -> bool {
        self.state != State::Finished && self.buffered_output <= self.config.max_buffered_output
    }

    /// Whether the session has a TTY; `None` until `session_info` on an attach.
    #[must_use]
    pub fn tty(&self) -> Option<bool> {
        self.framing.map(|f| f == Framing::Tty)
    }

    /// The session id, from the config or `session_info`.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The capabilities the upgrade advertised (`X-Sprite-Capabilities`).
    #[must_use]
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    /// Whether signals go in-band (the `signal` capability).
    #[must_use]
    pub fn supports_signal(&self) -> bool {
        self.capabilities.iter().any(|c| c == "signal")
    }

    /// The `Sprite-Version` of the upgrade response, if any.
    #[must_use]
    pub fn sprite_version(&self) -> Option<&str> {
        self.sprite_version.as_deref()
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ExecConfig {
        &self.config
    }

    fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.idle_paused && self.wants_read() {
            // The consumer caught up: the connection had no chance to be "idle" before.
            self.idle_paused = false;
            self.last_received = self.now;
        }
    }

    fn note_backpressure(&mut self) {
        if !self.wants_read() {
            self.idle_paused = true;
        }
    }

    fn idle_deadline(&self) -> Option<Instant> {
        let keepalive = self.config.keepalive?;
        if self.idle_paused || !self.wants_read() {
            return None;
        }
        Some(self.last_received + keepalive.idle_limit)
    }

    fn on_binary(&mut self, data: Bytes) {
        let Some(framing) = self.framing else {
            self.hold(data);
            return;
        };
        match framing.decode_from_server(&data) {
            Some(Frame::Stdout(b)) => self.push_output(ExecEvent::Stdout(b)),
            Some(Frame::Stderr(b)) => self.push_output(ExecEvent::Stderr(b)),
            Some(Frame::Exit(code)) => self.finish_with_exit(i32::from(code)),
            // Client-direction ids from the server, empty and unknown messages: ignored.
            Some(Frame::Stdin(_) | Frame::StdinEof) | None => {}
        }
    }

    fn on_text(&mut self, text: &str) {
        let message = match ServerMessage::parse(text) {
            Ok(Some(m)) => m,
            Ok(None) => return,
            Err(e) => return self.fail(e),
        };
        match message {
            ServerMessage::SessionInfo(info) => self.on_session_info(info),
            ServerMessage::Exit { exit_code } => self.on_text_exit(exit_code),
            ServerMessage::PortOpened(p) => self.events.push_back(ExecEvent::PortOpened(p)),
            ServerMessage::PortClosed(p) => self.events.push_back(ExecEvent::PortClosed(p)),
            ServerMessage::Debug(d) => self.events.push_back(ExecEvent::Debug(d)),
        }
    }

    fn on_session_info(&mut self, info: SessionInfo) {
        if self.session_id.is_none() && !info.session_id.is_empty() {
            self.session_id = Some(info.session_id.clone());
        }
        let tty = info.tty;
        self.events.push_back(ExecEvent::SessionInfo(info));
        if self.framing.is_none() {
            self.set_framing(Framing::for_tty(tty));
        }
    }

    fn set_framing(&mut self, framing: Framing) {
        self.framing = Some(framing);
        self.held_bytes = 0;
        for data in core::mem::take(&mut self.held) {
            if self.state == State::Finished {
                break;
            }
            self.on_binary(data);
        }
        for input in core::mem::take(&mut self.pending_input) {
            self.push_input(input);
        }
    }

    fn on_text_exit(&mut self, code: i32) {
        match self.framing {
            Some(Framing::Tty) => self.finish_with_exit(code),
            // Without a TTY (or not knowing yet) the binary exit frame is the authoritative
            // end; output may still arrive between the two.
            _ if self.config.exit_grace.is_zero() => self.finish_with_exit(code),
            _ => {
                if self.state == State::Running {
                    let deadline = self.now + self.config.exit_grace;
                    self.state = State::ExitPending { code, deadline };
                }
            }
        }
    }

    fn on_transport_end(&mut self, close_code: Option<u16>) {
        if let State::ExitPending { code, .. } = self.state {
            self.flush_held_as_tty();
            return self.finish(ExecEvent::Exit(code), false);
        }
        let error = Error::ClosedBeforeExit {
            sprite: self.config.sprite.clone(),
            session_id: self.session_id.clone(),
            close_code,
        };
        self.finish(ExecEvent::Failed(error), false);
    }

    fn finish_with_exit(&mut self, code: i32) {
        self.flush_held_as_tty();
        self.finish(ExecEvent::Exit(code), true);
    }

    fn fail(&mut self, error: Error) {
        self.finish(ExecEvent::Failed(error), true);
    }

    fn finish(&mut self, event: ExecEvent, send_close: bool) {
        self.state = State::Finished;
        self.pending_input.clear();
        self.events.push_back(event);
        if send_close {
            self.transmits
                .push_back(WsMessage::Close(Some(CloseFrame::normal())));
        }
    }

    /// Output held before `session_info` when the session ends without one: delivered as
    /// terminal bytes rather than dropped (a legacy attach forces TTY mode, as Go does).
    fn flush_held_as_tty(&mut self) {
        self.held_bytes = 0;
        for data in core::mem::take(&mut self.held) {
            if !data.is_empty() {
                self.push_output(ExecEvent::Stdout(data));
            }
        }
    }

    fn hold(&mut self, data: Bytes) {
        let total = self.held_bytes.saturating_add(data.len());
        if total > self.config.max_buffered_output {
            let message = alloc::format!(
                "exec session in sprite {:?} sent more than {} bytes of output before session_info",
                self.config.sprite,
                self.config.max_buffered_output
            );
            self.held.clear();
            self.held_bytes = 0;
            return self.fail(Error::protocol(message));
        }
        self.held_bytes = total;
        self.held.push_back(data);
    }

    fn push_output(&mut self, event: ExecEvent) {
        let (ExecEvent::Stdout(b) | ExecEvent::Stderr(b)) = &event else {
            return;
        };
        if b.is_empty() {
            return;
        }
        self.buffered_output = self.buffered_output.saturating_add(b.len());
        self.events.push_back(event);
    }

    fn push_input(&mut self, input: Input) {
        let Some(framing) = self.framing else {
            self.pending_input.push_back(input);
            return;
        };
        let message = match input {
            Input::Stdin(data) => framing.encode(&Frame::Stdin(data)).map(binary),
            Input::Eof => framing.encode(&Frame::StdinEof).map(binary),
            Input::Resize { rows, cols } => {
                (framing == Framing::Tty).then(|| text(&ClientMessage::Resize { cols, rows }))
            }
        };
        if let Some(m) = message {
            self.transmits.push_back(m);
        }
    }

    fn check_running(&self, what: &str) -> Result<()> {
        if self.state == State::Finished {
            return Err(Error::invalid_argument(alloc::format!(
                "cannot {what}: exec session in sprite {:?} is finished",
                self.config.sprite
            )));
        }
        Ok(())
    }

    fn check_input(&self, what: &str) -> Result<()> {
        self.check_running(what)?;
        if !self.config.stdin {
            return Err(Error::invalid_argument(alloc::format!(
                "cannot {what}: exec session in sprite {:?} was started without stdin",
                self.config.sprite
            )));
        }
        if self.stdin_closed {
            return Err(Error::invalid_argument(alloc::format!(
                "cannot {what}: stdin of exec session in sprite {:?} is closed",
                self.config.sprite
            )));
        }
        Ok(())
    }
}

fn binary(data: Bytes) -> WsMessage {
    WsMessage::Binary(data)
}

fn text(message: &ClientMessage) -> WsMessage {
    WsMessage::Text(message.to_text())
}
