//! Running commands: `Command` (like `std::process::Command`), `Child` and its pipes.
//!
//! # How a child is driven
//!
//! [`Command::spawn`] opens the exec WebSocket, then hands the socket and an
//! [`ExecSession`] to a background task (the *driver*, started with [`Runtime::spawn`]). The
//! driver talks to the [`Child`] and its pipes through bounded channels:
//!
//! - output is pulled from the session only while both output pipes have room; the session
//!   is read from the socket only while [`ExecSession::wants_read`] holds. A slow reader
//!   therefore fills its pipe ([`Command::pipe_capacity`] chunks), then the session's buffer
//!   ([`Command::max_buffered_output`] bytes), then the driver stops reading the socket and
//!   TCP flow control slows the server, which stops reading the process's pipe;
//! - stdin chunks are taken from [`ChildStdin`] only once every earlier message went into the
//!   socket's sink, so a slow connection slows the writer;
//! - the exit status goes to [`Child::wait`] as soon as the exit indication arrives (never
//!   waiting for the server to close the socket).
//!
//! The driver ends when the session is finished and its last message is sent, and drops the
//! socket. It also detaches (closes the socket without killing the process) once the
//! [`Child`] and every pipe and stream taken from it are dropped.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll};
use core::time::Duration;
use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use futures_sink::Sink;
use futures_util::future::{self, Either};
use futures_util::stream::{FuturesUnordered, StreamExt};

use super::runtime::{BoxFuture, Runtime};
use super::sprite::Sprite;
use super::SpritesClient;
use crate::error::{Error, Result};
use crate::exec::message::{PortEvent, SessionInfo};
use crate::exec::url::{attach_request, exec_request, AttachForm, CommandSpec};
use crate::exec::{ExecConfig, ExecEvent, ExecSession};
use crate::model::{ExitStatus, Output, Signal};
use crate::ops::{ExecVersionProbe, KillSession, TimeoutClass};
use crate::time::Instant;
use crate::ws::WsMessage;

/// Default for [`Command::pipe_capacity`]: chunks waiting in each output pipe.
const DEFAULT_PIPE_CAPACITY: usize = 32;
/// Default for [`Command::max_buffered_output`]: output bytes the session holds for a full
/// pipe before the driver stops reading the socket.
const DEFAULT_MAX_BUFFERED_OUTPUT: usize = 256 * 1024;
/// The largest stdin chunk one write sends (one WebSocket message).
const MAX_STDIN_CHUNK: usize = 64 * 1024;
/// Chunks of input waiting between [`ChildStdin`] and the driver.
const STDIN_CAPACITY: usize = 8;
/// Port events kept for a reader that is behind; later ones are dropped.
const PORT_EVENT_CAPACITY: usize = 64;
/// How long `spawn` waits for `session_info` when the client has no WebSocket timeout.
const SESSION_INFO_WAIT: Duration = Duration::from_secs(30);

/// A command to run in a sprite, configured like `std::process::Command`.
///
/// ```no_run
/// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// let output = sprite
///     .command("npm")
///     .arg("install")
///     .current_dir("/app")
///     .env("NODE_ENV", "production")
///     .output()
///     .await?;
/// if output.success() {
///     println!("stdout: {}", output.stdout_str());
/// }
/// # Ok(()) }
/// ```
pub struct Command<R: Runtime> {
    sprite: Sprite<R>,
    spec: CommandSpec,
    timeout: Option<Duration>,
    pipe_capacity: usize,
    max_buffered_output: usize,
}

impl<R: Runtime> fmt::Debug for Command<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("sprite", &self.sprite.name())
            .field("argv", &self.spec.argv)
            .field("dir", &self.spec.dir)
            .field("tty", &self.spec.tty)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Command<R> {
    pub(super) fn new(sprite: Sprite<R>, program: &str) -> Self {
        Command {
            sprite,
            spec: CommandSpec::new([program]),
            timeout: None,
            pipe_capacity: DEFAULT_PIPE_CAPACITY,
            max_buffered_output: DEFAULT_MAX_BUFFERED_OUTPUT,
        }
    }

    /// Adds an argument.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let output = sprite.command("grep").arg("-rn").arg("TODO").arg("/home/sprite/app").output().await?;
    /// print!("{}", output.stdout_str());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.spec.argv.push(arg.into());
        self
    }

    /// Adds arguments.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let files = ["a.txt", "b.txt"];
    /// let status = sprite.command("rm").arg("-f").args(files).status().await?;
    /// assert!(status.success());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.spec.argv.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable. Any `env` replaces the sprite's whole default
    /// environment (include `PATH` if the command needs it).
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let output = sprite
    ///     .command("cargo")
    ///     .arg("build")
    ///     .env("PATH", "/home/sprite/.cargo/bin:/usr/local/bin:/usr/bin:/bin")
    ///     .env("RUSTFLAGS", "-Dwarnings")
    ///     .output()
    ///     .await?;
    /// # drop(output);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spec.env.push((key.into(), value.into()));
        self
    }

    /// Sets environment variables.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use std::collections::BTreeMap;
    ///
    /// let mut vars = BTreeMap::new();
    /// vars.insert("PATH", "/usr/bin:/bin");
    /// vars.insert("LANG", "C.UTF-8");
    /// let output = sprite.command("env").envs(vars).output().await?;
    /// assert!(output.stdout_str().contains("LANG=C.UTF-8"));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.spec
            .env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Sets the working directory (default `/home/sprite`).
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let output = sprite.command("git").args(["log", "-1", "--oneline"]).current_dir("/home/sprite/repo").output().await?;
    /// println!("{}", output.stdout_str().trim());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn current_dir(mut self, dir: impl Into<String>) -> Self {
        self.spec.dir = Some(dir.into());
        self
    }

    /// Runs the command under a pseudo-terminal (stdout and stderr merged; the session
    /// survives disconnects by default).
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let mut child = sprite.command("top").args(["-b", "-n1"]).tty(true).spawn().await?;
    /// assert!(child.is_tty());
    /// // stdout carries everything the terminal printed.
    /// let screen = child.stdout().expect("not taken").read_to_string().await?;
    /// # drop(screen);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn tty(mut self, tty: bool) -> Self {
        self.spec.tty = tty;
        self
    }

    /// The initial terminal size (with [`Command::tty`]).
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let child = sprite.command("htop").tty(true).tty_size(50, 200).spawn().await?;
    /// # drop(child);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn tty_size(mut self, rows: u16, cols: u16) -> Self {
        self.spec.rows = Some(rows);
        self.spec.cols = Some(cols);
        self
    }

    /// Whether [`Command::spawn`] gives the child a stdin pipe. Without it (the default for a
    /// command without a TTY) the stdin EOF is sent at once, so `cat` ends at once. A TTY
    /// always has input. `output()`, `status()` and `combined_output()` send no input: they
    /// end stdin at once either way.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let mut child = sprite.command("wc").arg("-l").stdin(true).spawn().await?;
    /// let stdin = child.take_stdin().expect("asked for stdin");
    /// stdin.write_all(b"one\ntwo\n").await?;
    /// stdin.close().await?;
    /// let count = child.stdout().expect("not taken").read_to_string().await?;
    /// assert_eq!(count.trim(), "2");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn stdin(mut self, open: bool) -> Self {
        self.spec.stdin = open;
        self
    }

    /// A deadline for the whole command, counted from the start of `output()`, `status()`,
    /// `combined_output()` or `spawn()` (then enforced by [`Child::wait`]): when it passes the
    /// process is killed (`SIGKILL`) and the call fails with [`Error::Timeout`] naming the
    /// sprite and the command.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use core::time::Duration;
    /// use sprites_core::Error;
    ///
    /// match sprite.command("make").arg("test").timeout(Duration::from_secs(600)).output().await {
    ///     Ok(output) => println!("exit code {}", output.status),
    ///     Err(Error::Timeout(message)) => println!("killed: {message}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many seconds the process may keep running after the connection drops (`0`:
    /// forever). Server default: 10 s without a TTY, forever with one.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// // A build that survives our connection dropping for up to an hour.
    /// let child = sprite.command("./build.sh").max_run_after_disconnect(3600).spawn().await?;
    /// let id = child.session_id().map(String::from);
    /// child.detach();
    /// # drop(id);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn max_run_after_disconnect(mut self, seconds: u32) -> Self {
        self.spec.max_run_after_disconnect = Some(Duration::from_secs(u64::from(seconds)));
        self
    }

    /// How many output chunks (WebSocket messages) each output pipe holds before the
    /// driver stops taking output from the session (default 32; at least 1).
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// // A reader that keeps up: small pipes keep the client's memory low.
    /// let child = sprite.command("tail").args(["-f", "/var/log/syslog"]).pipe_capacity(4).spawn().await?;
    /// # drop(child);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn pipe_capacity(mut self, chunks: usize) -> Self {
        self.pipe_capacity = chunks.max(1);
        self
    }

    /// How many output bytes the session holds, once the pipes are full, before the driver
    /// stops reading the socket (default 256 KiB). With the pipe capacity this bounds the
    /// client's memory for a reader that falls behind.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// // Hold at most 64 KiB of unread output before the server is slowed down.
    /// let output = sprite.command("cat").arg("/var/log/big.log").max_buffered_output(64 * 1024).output().await?;
    /// # drop(output);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn max_buffered_output(mut self, bytes: usize) -> Self {
        self.max_buffered_output = bytes;
        self
    }

    /// The wire description of this command.
    ///
    /// ```no_run
    /// # fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) {
    /// let command = sprite.command("ls").arg("-l").current_dir("/tmp");
    /// assert_eq!(command.spec().argv, ["ls", "-l"]);
    /// assert_eq!(command.spec().dir.as_deref(), Some("/tmp"));
    /// # }
    /// ```
    #[must_use]
    pub fn spec(&self) -> &CommandSpec {
        &self.spec
    }

    /// Runs the command to completion and collects its output. A non-zero exit code is not
    /// an error ([`Output::success`] says it), as with `std::process::Command::output`.
    ///
    /// No input is sent (stdin is ended at once). Returns as soon as the exit status
    /// arrives. Errors: [`Error::ClosedBeforeExit`] when the connection ends first,
    /// [`Error::Timeout`] past [`Command::timeout`] (the process is killed), and the
    /// errors of opening the connection.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let output = sprite.command("python3").args(["-c", "import sys; sys.exit(3)"]).output().await?;
    /// assert!(!output.success());
    /// assert_eq!(output.status, 3);
    /// eprint!("{}", output.stderr_str());
    /// # Ok(()) }
    /// ```
    pub async fn output(&self) -> Result<Output> {
        self.run(Collect::Separate).await
    }

    /// Runs the command to completion and returns its exit status (output discarded).
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let status = sprite.command("test").args(["-d", "/home/sprite/app"]).status().await?;
    /// if !status.success() {
    ///     sprite.command("git").args(["clone", "https://github.com/me/app"]).status().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn status(&self) -> Result<ExitStatus> {
        Ok(self.run(Collect::Nothing).await?.exit_status())
    }

    /// Runs the command and collects stdout and stderr interleaved in arrival order (in
    /// [`Output::stdout`]; [`Output::stderr`] stays empty).
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// // stdout and stderr interleaved as a terminal would show them.
    /// let log = sprite.command("npm").arg("test").combined_output().await?;
    /// print!("{}", log.stdout_str());
    /// assert!(log.stderr.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn combined_output(&self) -> Result<Output> {
        self.run(Collect::Combined).await
    }

    /// Starts the command and returns a handle with its pipes.
    ///
    /// Returns once the connection is open and the server's `session_info` arrived (bounded
    /// by the client's WebSocket timeout), so [`Child::session_id`] is known.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let mut child = sprite.command("ping").args(["-c", "3", "fly.io"]).spawn().await?;
    /// let mut stdout = child.take_stdout().expect("a fresh child has stdout");
    /// let mut buf = [0u8; 4096];
    /// loop {
    ///     let n = stdout.read(&mut buf).await?;
    ///     if n == 0 { break; }
    ///     print!("{}", String::from_utf8_lossy(&buf[..n]));
    /// }
    /// println!("exit: {}", child.wait().await?.code());
    /// # Ok(()) }
    /// ```
    pub async fn spawn(self) -> Result<Child<R>> {
        let stdin = self.spec.stdin || self.spec.tty;
        let mut spec = self.spec.clone();
        spec.stdin = stdin;
        let start = self.sprite.client().runtime().now();
        let mut child = self.start(spec, stdin, false).await?;
        child.deadline = self.timeout.map(|t| (start + t, t));
        Ok(child)
    }

    async fn run(&self, collect: Collect) -> Result<Output> {
        let runtime = self.sprite.client().runtime().clone();
        let started = runtime.now();
        let start = self.start(self.spec.clone(), false, collect == Collect::Combined);
        let mut child = match self.timeout {
            None => start.await?,
            Some(limit) => {
                let sleep = core::pin::pin!(runtime.sleep(limit));
                match future::select(core::pin::pin!(start), sleep).await {
                    Either::Left((child, _)) => child?,
                    Either::Right(((), _)) => return Err(self.timeout_error(limit)),
                }
            }
        };
        let Some(limit) = self.timeout else {
            return collect_child(&mut child, collect).await;
        };
        let left = limit.saturating_sub(runtime.now().saturating_duration_since(started));
        let finished = {
            let work = core::pin::pin!(collect_child(&mut child, collect));
            let sleep = core::pin::pin!(runtime.sleep(left));
            match future::select(work, sleep).await {
                Either::Left((result, _)) => Some(result),
                Either::Right(((), _)) => None,
            }
        };
        match finished {
            Some(result) => result,
            None => {
                // SIGKILL goes out before the driver closes the connection.
                let _ = child.kill();
                Err(self.timeout_error(limit))
            }
        }
    }

    fn timeout_error(&self, limit: Duration) -> Error {
        timeout_error(self.sprite.name(), &self.spec.argv, limit)
    }

    /// Opens the socket and starts the driver.
    async fn start(&self, spec: CommandSpec, stdin: bool, merge_stderr: bool) -> Result<Child<R>> {
        let client = self.sprite.client();
        let request = exec_request(client.endpoint()?, self.sprite.name(), &spec)?;
        let (socket, headers) = open_socket(client, request).await?;
        let config = ExecConfig::command(self.sprite.name(), spec.tty, stdin)
            .keepalive(client.keepalive())
            .max_buffered_output(self.max_buffered_output);
        let options = DriverOptions {
            pipe_capacity: self.pipe_capacity,
            merge_stderr,
            eof_on_drop: true,
        };
        let mut child = launch(&self.sprite, socket, &headers, config, options).await;
        child.argv = spec.argv;
        Ok(child)
    }
}

/// What `output()`, `status()` and `combined_output()` collect.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Collect {
    Nothing,
    Separate,
    Combined,
}

/// Reads a started child's output as `collect` says, then waits for its exit.
async fn collect_child<R: Runtime>(child: &mut Child<R>, collect: Collect) -> Result<Output> {
    let out = child.take_stdout();
    let err = child.take_stderr();
    let mut output = Output::default();
    let drained = match collect {
        Collect::Nothing => {
            // Unread pipes would hold the exit back: dropping them discards the output.
            drop((out, err));
            Ok(())
        }
        Collect::Combined => {
            drop(err);
            read_pipe(out, &mut output.stdout).await
        }
        Collect::Separate => {
            let (a, b) = future::join(
                read_pipe(out, &mut output.stdout),
                read_pipe(err, &mut output.stderr),
            )
            .await;
            a.and(b)
        }
    };
    // The exit status (or the reason there is none) comes first; a pipe error repeats it.
    let status = child.wait_exit().await?;
    drained?;
    output.status = status.code();
    Ok(output)
}

/// Reads a pipe to its end into `buf`; a missing pipe reads as empty.
async fn read_pipe<P>(pipe: Option<P>, buf: &mut Vec<u8>) -> Result<()>
where
    P: Stream<Item = Result<Bytes>> + Unpin,
{
    let Some(mut pipe) = pipe else {
        return Ok(());
    };
    while let Some(chunk) = pipe.next().await {
        buf.extend_from_slice(&chunk?);
    }
    Ok(())
}

fn timeout_error(sprite: &str, argv: &[String], limit: Duration) -> Error {
    let program = argv.first().map_or("", String::as_str);
    Error::Timeout(alloc::format!(
        "command {program:?} in sprite {sprite:?} took longer than {}",
        crate::time::format_go_duration(limit)
    ))
}

/// Opens an exec WebSocket within the WebSocket timeout class and remembers the
/// `Sprite-Version` of the answer.
async fn open_socket<R: Runtime>(
    client: &SpritesClient<R>,
    request: crate::request::Request,
) -> Result<(R::WebSocket, Vec<(String, String)>)> {
    let limit = client.timeouts().for_class(TimeoutClass::WebSocket);
    let what = request.describe();
    let opened = client.runtime().websocket(request);
    let (socket, headers) = client.with_timeout(limit, what, opened).await?;
    client.remember_version(&headers);
    Ok((socket, headers))
}

/// A command that attaches to a running session.
///
/// ```no_run
/// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// // Reattach to every terminal session still running in the sprite.
/// for session in sprite.list_sessions().await?.into_iter().filter(|s| s.tty) {
///     let command = sprite.attach_session(&session.id);
///     let child = command.spawn().await?;
///     println!("attached to {:?}", child.session_id());
/// }
/// # Ok(()) }
/// ```
pub struct AttachCommand<R: Runtime> {
    sprite: Sprite<R>,
    session_id: String,
}

impl<R: Runtime> fmt::Debug for AttachCommand<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachCommand")
            .field("sprite", &self.sprite.name())
            .field("session_id", &self.session_id)
            .finish()
    }
}

impl<R: Runtime> AttachCommand<R> {
    pub(super) fn new(sprite: Sprite<R>, session_id: &str) -> Self {
        AttachCommand {
            sprite,
            session_id: String::from(session_id),
        }
    }

    /// Attaches and returns a handle with the session's pipes (stdin open; TTY or not as the
    /// session says).
    ///
    /// The URL form follows the last `Sprite-Version` the client saw (probing with
    /// `HEAD …/exec` when it saw none); a `404` to the path form is retried once with the
    /// legacy `?id=` form. Dropping the stdin handle does not end the session's input
    /// (others may share it); [`ChildStdin::close`] does.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let mut child = sprite.attach_session("1847").spawn().await?;
    /// let stdin = child.take_stdin().expect("attach always has stdin");
    /// stdin.write_all(b"exit\n").await?;
    /// println!("session ended with {}", child.wait().await?.code());
    /// # Ok(()) }
    /// ```
    pub async fn spawn(self) -> Result<Child<R>> {
        let client = self.sprite.client();
        let name = self.sprite.name();
        let endpoint = client.endpoint()?;
        // Check the arguments before the probe, so a caller mistake sends nothing.
        attach_request(endpoint, name, &self.session_id, AttachForm::Legacy)?;
        let version = match client.last_sprite_version() {
            Some(v) => Some(v),
            // A failed probe leaves the version unknown: the legacy form works everywhere.
            None => client
                .call(&ExecVersionProbe::new(name))
                .await
                .ok()
                .flatten(),
        };
        let mut form = AttachForm::for_version(version.as_deref());
        let (socket, headers) = loop {
            let request = attach_request(endpoint, name, &self.session_id, form)?;
            match open_socket(client, request).await {
                Ok(opened) => break opened,
                Err(e) => match e.status().and_then(|s| form.retry_after_status(s)) {
                    Some(next) => form = next,
                    None => return Err(e),
                },
            }
        };
        let config = ExecConfig::attach(name, self.session_id.clone())
            .keepalive(client.keepalive())
            .max_buffered_output(DEFAULT_MAX_BUFFERED_OUTPUT);
        let options = DriverOptions {
            pipe_capacity: DEFAULT_PIPE_CAPACITY,
            merge_stderr: false,
            eof_on_drop: false,
        };
        let mut child = launch(&self.sprite, socket, &headers, config, options).await;
        if child.session_id.is_none() {
            child.session_id = Some(self.session_id);
        }
        Ok(child)
    }
}

/// A running command: its pipes, its exit status, and controls (signals, resize, detach).
///
/// Pipes: [`Child::stdout`]/[`Child::take_stdout`] and the like. Output that nobody reads
/// fills its pipe and then holds the process back (as with a real pipe), except that
/// [`Child::wait`] first drops every pipe still held by the `Child` (not taken): their
/// output is then discarded, so `wait` cannot block on them. Like `std`, `wait` also
/// drops a stdin handle that was not taken, which ends the input.
///
/// Dropping the `Child` does not stop the process. Once the `Child` and every handle taken
/// from it are gone, the connection is closed (a detach: the process keeps running for its
/// `max_run_after_disconnect`).
///
/// ```no_run
/// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// let mut child = sprite.command("cat").stdin(true).spawn().await?;
/// let mut stdin = child.take_stdin().unwrap();
/// stdin.write_all(b"hello\n").await?;
/// stdin.close().await?;
/// let text = child.stdout().unwrap().read_to_string().await?;
/// assert_eq!(text, "hello\n");
/// assert!(child.wait().await?.success());
/// # Ok(()) }
/// ```
pub struct Child<R: Runtime> {
    sprite: Sprite<R>,
    argv: Vec<String>,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    ports: Option<PortEvents>,
    control: mpsc::UnboundedSender<Control>,
    exit: Option<oneshot::Receiver<Result<ExitStatus>>>,
    result: Option<Result<ExitStatus>>,
    info: Option<SessionInfo>,
    session_id: Option<String>,
    tty: Option<bool>,
    supports_signal: bool,
    deadline: Option<(Instant, Duration)>,
}

impl<R: Runtime> fmt::Debug for Child<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("sprite", &self.sprite.name())
            .field("session_id", &self.session_id)
            .field("tty", &self.tty)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Child<R> {
    /// The stdin pipe, unless taken or the command has none.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let mut child = sprite.command("bash").stdin(true).spawn().await?;
    /// if let Some(stdin) = child.stdin() {
    ///     stdin.write_all(b"echo hi; exit 0\n").await?;
    /// }
    /// assert!(child.wait().await?.success());
    /// # Ok(()) }
    /// ```
    pub fn stdin(&mut self) -> Option<&mut ChildStdin> {
        self.stdin.as_mut()
    }

    /// The stdout pipe (in TTY mode: everything the terminal printed), unless taken.
    ///
    /// ```no_run
    /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// if let Some(stdout) = child.stdout() {
    ///     let text = stdout.read_to_string().await?;
    ///     println!("{text}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stdout(&mut self) -> Option<&mut ChildStdout> {
        self.stdout.as_mut()
    }

    /// The stderr pipe, unless taken (in TTY mode it never yields data).
    ///
    /// ```no_run
    /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let errors = match child.stderr() {
    ///     Some(stderr) => stderr.read_to_end().await?,
    ///     None => Vec::new(),
    /// };
    /// # drop(errors);
    /// # Ok(()) }
    /// ```
    pub fn stderr(&mut self) -> Option<&mut ChildStderr> {
        self.stderr.as_mut()
    }

    /// Takes the stdin pipe.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let mut child = sprite.command("sort").stdin(true).spawn().await?;
    /// let stdin = child.take_stdin().expect("stdin was asked for");
    /// stdin.write_all(b"b\na\n").await?;
    /// drop(stdin); // the end of input
    /// assert_eq!(child.stdout().expect("not taken").read_to_string().await?, "a\nb\n");
    /// # Ok(()) }
    /// ```
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// Takes the stdout pipe.
    ///
    /// ```no_run
    /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use futures_util::StreamExt;
    ///
    /// let mut stdout = child.take_stdout().expect("not taken yet");
    /// assert!(child.take_stdout().is_none());
    /// while let Some(chunk) = stdout.next().await {
    ///     println!("{} bytes", chunk?.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.stdout.take()
    }

    /// Takes the stderr pipe.
    ///
    /// ```no_run
    /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let stderr = child.take_stderr();
    /// // Read stdout and stderr side by side with `futures_util::future::join`, for instance.
    /// # drop(stderr);
    /// # Ok(()) }
    /// ```
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.stderr.take()
    }

    /// The stream of ports opened and closed in the sprite while the session runs.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::client::PortChange;
    ///
    /// let mut child = sprite.command("python3").args(["-m", "http.server", "8000"]).spawn().await?;
    /// if let Some(PortChange::Opened(port)) = child.port_events().expect("not taken").next().await {
    ///     println!("server is up on {}:{}", port.address, port.port);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn port_events(&mut self) -> Option<&mut PortEvents> {
        self.ports.as_mut()
    }

    /// Takes the stream of port events.
    ///
    /// ```no_run
    /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::client::PortChange;
    ///
    /// let mut ports = child.take_port_events().expect("not taken yet");
    /// while let Some(change) = ports.next().await {
    ///     match change {
    ///         PortChange::Opened(p) => println!("+ {}", p.port),
    ///         PortChange::Closed(p) => println!("- {}", p.port),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn take_port_events(&mut self) -> Option<PortEvents> {
        self.ports.take()
    }

    /// The session id (the process id in the sprite, as a string), for
    /// [`Sprite::attach_session`] and [`Sprite::kill_session`]. `None` only when
    /// `session_info` did not arrive within the WebSocket timeout.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let child = sprite.create_session("bash").spawn().await?;
    /// let id = child.session_id().map(String::from).expect("session_info arrived");
    /// child.detach();
    /// let again = sprite.attach_session(&id).spawn().await?;
    /// # drop(again);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The server's `session_info`, when it arrived.
    ///
    /// ```no_run
    /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// if let Some(info) = child.session_info() {
    ///     println!("session {} runs {:?} (tty: {})", info.session_id, info.command, info.tty);
    /// }
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn session_info(&self) -> Option<&SessionInfo> {
        self.info.as_ref()
    }

    /// Whether the session has a terminal.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let child = sprite.command("bash").tty(true).spawn().await?;
    /// assert!(child.is_tty());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn is_tty(&self) -> bool {
        self.tty.unwrap_or(false)
    }

    /// Waits for the process to exit and returns its status; returns as soon as the exit
    /// indication arrives. May be called again (the same result).
    ///
    /// Drops the stdin, stdout and stderr handles still held by the `Child` first (see the
    /// type's docs). Errors: [`Error::ClosedBeforeExit`] naming the sprite and session when
    /// the connection ended first, [`Error::Timeout`] when the session went silent past the
    /// keepalive idle limit or [`Command::timeout`] passed (the process is then killed).
    ///
    /// ```no_run
    /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::Error;
    ///
    /// match child.wait().await {
    ///     Ok(status) if status.success() => println!("done"),
    ///     Ok(status) => println!("failed with {}", status.code()),
    ///     Err(Error::ClosedBeforeExit { session_id, .. }) => println!("lost session {session_id:?}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait(&mut self) -> Result<ExitStatus> {
        self.stdin = None;
        self.stdout = None;
        self.stderr = None;
        let Some((at, limit)) = self.deadline else {
            return self.wait_exit().await;
        };
        let runtime = self.sprite.client().runtime().clone();
        let left = at.saturating_duration_since(runtime.now());
        let sleep = runtime.sleep(left);
        let finished = {
            let exit = core::pin::pin!(self.wait_exit());
            let sleep = core::pin::pin!(sleep);
            match future::select(exit, sleep).await {
                Either::Left((result, _)) => Some(result),
                Either::Right(((), _)) => None,
            }
        };
        if let Some(result) = finished {
            return result;
        }
        let _ = self.kill();
        Err(timeout_error(self.sprite.name(), &self.argv, limit))
    }

    /// Waits for the exit status without touching the pipes or a deadline.
    async fn wait_exit(&mut self) -> Result<ExitStatus> {
        if let Some(result) = &self.result {
            return duplicate_result(result);
        }
        let result = match self.exit.as_mut() {
            Some(exit) => exit.await.unwrap_or_else(|_| Err(self.closed_error())),
            None => Err(self.closed_error()),
        };
        self.exit = None;
        let copy = duplicate_result(&result);
        self.result = Some(result);
        copy
    }

    /// Whether the exit status (or failure) has arrived, without waiting.
    fn has_exited(&mut self) -> bool {
        if self.result.is_some() {
            return true;
        }
        let Some(exit) = self.exit.as_mut() else {
            return false;
        };
        match exit.try_recv() {
            Ok(Some(result)) => {
                self.result = Some(result);
                self.exit = None;
                true
            }
            Ok(None) => false,
            Err(_) => true,
        }
    }

    /// Kills the process (`SIGKILL` to its process group). `Ok` when it already exited.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let mut child = sprite.command("sleep").arg("1000").spawn().await?;
    /// child.kill()?;
    /// assert!(!child.wait().await?.success());
    /// # Ok(()) }
    /// ```
    pub fn kill(&mut self) -> Result<()> {
        self.signal(Signal::SIGKILL)
    }

    /// Sends `signal` to the session's process group: in-band when the server advertised
    /// the `signal` capability, otherwise with `POST …/exec/{id}/kill?timeout=0s` (whose
    /// errors are not reported: the exit status shows the effect). The fallback request
    /// leaves once the output that arrived before it is in the pipes, so it waits for a
    /// reader that is behind. `Ok` when the process already exited.
    ///
    /// Errors ([`Error::InvalidArgument`], nothing sent): the server takes no in-band
    /// signals and the session id is unknown.
    ///
    /// ```no_run
    /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use sprites_core::model::Signal;
    ///
    /// child.signal(Signal::SIGINT)?; // like Ctrl-C
    /// let status = child.wait().await?;
    /// println!("exited with {}", status.code());
    /// # Ok(()) }
    /// ```
    pub fn signal(&mut self, signal: Signal) -> Result<()> {
        if self.has_exited() {
            return Ok(());
        }
        if !self.supports_signal && self.session_id.is_none() {
            return Err(Error::invalid_argument(alloc::format!(
                "cannot signal exec session in sprite {:?}: its id is unknown",
                self.sprite.name()
            )));
        }
        self.send_control(Control::Signal(signal));
        Ok(())
    }

    /// Resizes the terminal.
    ///
    /// Errors ([`Error::InvalidArgument`], nothing sent): the session has no TTY, or it
    /// already exited.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let mut child = sprite.command("vim").tty(true).tty_size(24, 80).spawn().await?;
    /// // The local terminal grew.
    /// child.resize(40, 120)?;
    /// # Ok(()) }
    /// ```
    pub fn resize(&mut self, rows: u16, cols: u16) -> Result<()> {
        if self.tty == Some(false) {
            return Err(Error::invalid_argument(alloc::format!(
                "cannot resize exec session in sprite {:?}: it has no tty",
                self.sprite.name()
            )));
        }
        if self.has_exited() {
            return Err(Error::invalid_argument(alloc::format!(
                "cannot resize exec session in sprite {:?}: it has exited",
                self.sprite.name()
            )));
        }
        self.send_control(Control::Resize { rows, cols });
        Ok(())
    }

    /// Closes the connection without killing the process, which keeps running for its
    /// `max_run_after_disconnect` (forever for a TTY by default); reattach with
    /// [`Sprite::attach_session`] and [`Child::session_id`]. Pipes taken earlier end.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// let child = sprite.command("./long-job.sh").tty(true).spawn().await?;
    /// let id = child.session_id().map(String::from);
    /// child.detach(); // the job keeps running
    /// println!("check on it later with attach_session({id:?})");
    /// # Ok(()) }
    /// ```
    pub fn detach(self) {
        self.send_control(Control::Detach);
    }

    fn send_control(&self, control: Control) {
        // The driver is gone only when the session ended; then there is nothing to control.
        let _ = self.control.unbounded_send(control);
    }

    fn closed_error(&self) -> Error {
        Error::ClosedBeforeExit {
            sprite: String::from(self.sprite.name()),
            session_id: self.session_id.clone(),
            close_code: None,
        }
    }
}

/// Input for the driver from [`ChildStdin`].
enum StdinMessage {
    Data(Bytes),
    Eof,
}

/// Controls for the driver from [`Child`].
enum Control {
    Resize { rows: u16, cols: u16 },
    Signal(Signal),
    Detach,
}

/// The write end of a child's stdin.
///
/// Each write sends at most 64 KiB as one message. Dropping it ends the input (the stdin
/// EOF without a TTY), except on an attached session, where only [`ChildStdin::close`] does.
///
/// ```no_run
/// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// let mut child = sprite.command("psql").stdin(true).spawn().await?;
/// let stdin = child.take_stdin().expect("stdin was asked for");
/// stdin.write_all(b"SELECT 1;\n").await?;
/// stdin.close().await?;
/// println!("{}", child.stdout().expect("not taken").read_to_string().await?);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ChildStdin {
    tx: mpsc::Sender<StdinMessage>,
    sprite: String,
    closed: AtomicBool,
}

impl ChildStdin {
    /// Sends up to 64 KiB of `data`; returns how many bytes were taken. Waits while earlier
    /// input is still being sent.
    ///
    /// Errors ([`Error::InvalidArgument`]): the input was closed, or the session ended.
    ///
    /// ```no_run
    /// # async fn demo(stdin: sprites_core::client::ChildStdin) -> sprites_core::Result<()> {
    /// let data = vec![b'x'; 100_000];
    /// let n = stdin.write(&data).await?;
    /// assert_eq!(n, 64 * 1024); // one message at most; write_all sends the rest
    /// # Ok(()) }
    /// ```
    pub async fn write(&self, data: &[u8]) -> Result<usize> {
        self.check_open()?;
        let n = data.len().min(MAX_STDIN_CHUNK);
        let Some(chunk) = data.get(..n) else {
            return Ok(0);
        };
        if n == 0 {
            return Ok(0);
        }
        let mut tx = self.tx.clone();
        futures_util::SinkExt::send(&mut tx, StdinMessage::Data(Bytes::copy_from_slice(chunk)))
            .await
            .map_err(|_| self.ended_error())?;
        Ok(n)
    }

    /// Sends all of `data`.
    ///
    /// ```no_run
    /// # async fn demo(stdin: sprites_core::client::ChildStdin) -> sprites_core::Result<()> {
    /// for line in ["first\n", "second\n"] {
    ///     stdin.write_all(line.as_bytes()).await?;
    /// }
    /// stdin.close().await?;
    /// # Ok(()) }
    /// ```
    pub async fn write_all(&self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let n = self.write(data).await?;
            data = data.get(n..).unwrap_or_default();
        }
        Ok(())
    }

    /// Ends the input: the stdin EOF frame (`0x04`) without a TTY; with a TTY it only stops
    /// input (type `\x04` to send an end-of-file to a shell). Closing twice is a no-op.
    ///
    /// ```no_run
    /// # async fn demo(stdin: sprites_core::client::ChildStdin) -> sprites_core::Result<()> {
    /// stdin.write_all(b"data\n").await?;
    /// stdin.close().await?;
    /// stdin.close().await?; // no-op
    /// assert!(stdin.write_all(b"more").await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let mut tx = self.tx.clone();
        futures_util::SinkExt::send(&mut tx, StdinMessage::Eof)
            .await
            .map_err(|_| self.ended_error())
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::invalid_argument(alloc::format!(
                "cannot write to stdin of exec session in sprite {:?}: it is closed",
                self.sprite
            )));
        }
        Ok(())
    }

    fn ended_error(&self) -> Error {
        Error::invalid_argument(alloc::format!(
            "cannot write to stdin of exec session in sprite {:?}: the session ended",
            self.sprite
        ))
    }

    /// `poll_write` of the async write traits.
    #[cfg(any(feature = "tokio-io", feature = "futures-io"))]
    fn poll_write_inner(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize>> {
        self.check_open()?;
        let n = data.len().min(MAX_STDIN_CHUNK);
        let Some(chunk) = data.get(..n).filter(|c| !c.is_empty()) else {
            return Poll::Ready(Ok(0));
        };
        match self.tx.poll_ready(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(_)) => return Poll::Ready(Err(self.ended_error())),
            Poll::Ready(Ok(())) => {}
        }
        let message = StdinMessage::Data(Bytes::copy_from_slice(chunk));
        match self.tx.start_send(message) {
            Ok(()) => Poll::Ready(Ok(n)),
            Err(_) => Poll::Ready(Err(self.ended_error())),
        }
    }

    /// `poll_shutdown`/`poll_close` of the async write traits: the EOF.
    #[cfg(any(feature = "tokio-io", feature = "futures-io"))]
    fn poll_close_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.closed.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        match self.tx.poll_ready(cx) {
            Poll::Pending => return Poll::Pending,
            // The session ended: there is no input left to end.
            Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
            Poll::Ready(Ok(())) => {}
        }
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.tx.start_send(StdinMessage::Eof);
        Poll::Ready(Ok(()))
    }
}

/// The read side shared by [`ChildStdout`] and [`ChildStderr`].
#[derive(Debug)]
struct Pipe {
    rx: mpsc::Receiver<Result<Bytes>>,
    /// The unread rest of the last chunk.
    rest: Bytes,
}

impl Pipe {
    fn new(rx: mpsc::Receiver<Result<Bytes>>) -> Self {
        Pipe {
            rx,
            rest: Bytes::new(),
        }
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        if !self.rest.is_empty() {
            return Poll::Ready(Some(Ok(core::mem::take(&mut self.rest))));
        }
        self.rx.poll_next_unpin(cx)
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut chunk = match self.poll_chunk(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => return Poll::Ready(Ok(0)),
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
            Poll::Ready(Some(Ok(chunk))) => chunk,
        };
        let n = chunk.len().min(buf.len());
        let head = chunk.split_to(n);
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(&head);
        }
        self.rest = chunk;
        Poll::Ready(Ok(n))
    }

    async fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        future::poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    async fn read_to_end(&mut self, out: &mut Vec<u8>) -> Result<usize> {
        let before = out.len();
        while let Some(chunk) = future::poll_fn(|cx| self.poll_chunk(cx)).await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.len() - before)
    }
}

macro_rules! output_pipe {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Also a `Stream` of chunks, and (with the `tokio-io` / `futures-io` features)
        /// `AsyncRead`. A read error (the session failed) is returned once after the data
        /// that arrived before it; the pipe then ends.
        ///
        /// ```no_run
        /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
        /// use futures_util::StreamExt;
        ///
        /// // Print stdout as it arrives, chunk by chunk.
        /// let mut stdout = child.take_stdout().expect("not taken yet");
        /// while let Some(chunk) = stdout.next().await {
        ///     print!("{}", String::from_utf8_lossy(&chunk?));
        /// }
        /// # Ok(()) }
        /// ```
        #[derive(Debug)]
        pub struct $name {
            pipe: Pipe,
        }

        impl $name {
            /// Reads into `buf`; `Ok(0)` at the end of the output.
            ///
            /// ```no_run
            /// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
            /// let mut stdout = child.take_stdout().expect("not taken yet");
            /// let mut buf = vec![0u8; 8192];
            /// let mut total = 0;
            /// loop {
            ///     match stdout.read(&mut buf).await? {
            ///         0 => break,
            ///         n => total += n,
            ///     }
            /// }
            /// println!("{total} bytes of output");
            /// # Ok(()) }
            /// ```
            pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
                self.pipe.read(buf).await
            }

            /// Reads everything until the end of the output.
            ///
            /// ```no_run
            /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
            /// let mut child = sprite.command("tar").args(["czf", "-", "/home/sprite/app"]).spawn().await?;
            /// let archive = child.take_stdout().expect("not taken yet").read_to_end().await?;
            /// assert!(child.wait().await?.success());
            /// # drop(archive);
            /// # Ok(()) }
            /// ```
            pub async fn read_to_end(&mut self) -> Result<Vec<u8>> {
                let mut out = Vec::new();
                self.pipe.read_to_end(&mut out).await?;
                Ok(out)
            }

            /// Reads everything until the end of the output as text (invalid UTF-8 is
            /// replaced).
            ///
            /// ```no_run
            /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
            /// let mut child = sprite.command("uname").arg("-r").spawn().await?;
            /// let kernel = child.stdout().expect("not taken").read_to_string().await?;
            /// println!("kernel {}", kernel.trim());
            /// # Ok(()) }
            /// ```
            pub async fn read_to_string(&mut self) -> Result<String> {
                let bytes = self.read_to_end().await?;
                Ok(match String::from_utf8(bytes) {
                    Ok(s) => s,
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                })
            }
        }

        impl Stream for $name {
            type Item = Result<Bytes>;

            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                self.get_mut().pipe.poll_chunk(cx)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl tokio::io::AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<std::io::Result<()>> {
                let this = self.get_mut();
                match this.pipe.poll_read(cx, buf.initialize_unfilled()) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Ok(n)) => {
                        buf.advance(n);
                        Poll::Ready(Ok(()))
                    }
                    Poll::Ready(Err(e)) => Poll::Ready(Err(std::io::Error::other(e))),
                }
            }
        }

        #[cfg(feature = "futures-io")]
        impl futures_io::AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<std::io::Result<usize>> {
                self.get_mut()
                    .pipe
                    .poll_read(cx, buf)
                    .map_err(std::io::Error::other)
            }
        }
    };
}

output_pipe!(
    /// The read end of a child's stdout (with a TTY: everything the terminal printed).
    ChildStdout
);
output_pipe!(
    /// The read end of a child's stderr (never yields data with a TTY).
    ChildStderr
);

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut()
            .poll_write_inner(cx, buf)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::BrokenPipe, e))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Ends the input (the stdin EOF).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.get_mut()
            .poll_close_inner(cx)
            .map_err(std::io::Error::other)
    }
}

#[cfg(feature = "futures-io")]
impl futures_io::AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut()
            .poll_write_inner(cx, buf)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::BrokenPipe, e))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Ends the input (the stdin EOF).
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.get_mut()
            .poll_close_inner(cx)
            .map_err(std::io::Error::other)
    }
}

/// A port that a process in the sprite started or stopped listening on.
///
/// ```no_run
/// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// use sprites_core::client::PortChange;
///
/// while let Some(change) = child.port_events().expect("not taken").next().await {
///     if let PortChange::Opened(port) = change {
///         println!("pid {} listens on {}:{}", port.pid, port.address, port.port);
///         break;
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PortChange {
    /// `port_opened`.
    Opened(PortEvent),
    /// `port_closed`.
    Closed(PortEvent),
}

/// A `Stream` of the ports opened and closed in the sprite during the session; it ends with
/// the session. Up to 64 unread events are kept; later ones are dropped until it is read.
///
/// ```no_run
/// # async fn demo(mut child: sprites_core::client::Child<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// use futures_util::StreamExt;
///
/// let ports = child.take_port_events().expect("not taken yet");
/// let changes: Vec<_> = ports.collect().await; // until the session ends
/// println!("{} port changes", changes.len());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PortEvents {
    rx: mpsc::Receiver<PortChange>,
}

impl PortEvents {
    /// The next event; `None` once the session ended.
    ///
    /// ```no_run
    /// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
    /// use core::time::Duration;
    /// use sprites_core::client::{PortChange, Runtime};
    /// use futures_util::future::{select, Either};
    ///
    /// // Wait up to 30 s for the dev server to listen.
    /// let mut child = sprite.command("npm").args(["run", "dev"]).spawn().await?;
    /// let ports = child.port_events().expect("not taken");
    /// let sleep = sprite.client().runtime().sleep(Duration::from_secs(30));
    /// match select(core::pin::pin!(ports.next()), core::pin::pin!(sleep)).await {
    ///     Either::Left((Some(PortChange::Opened(port)), _)) => println!("up on {}", port.port),
    ///     _ => println!("no port yet"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next(&mut self) -> Option<PortChange> {
        self.rx.next().await
    }
}

impl Stream for PortEvents {
    type Item = PortChange;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<PortChange>> {
        self.get_mut().rx.poll_next_unpin(cx)
    }
}

// --- the driver ----------------------------------------------------------------------------

struct DriverOptions {
    pipe_capacity: usize,
    /// Send stderr into the stdout pipe (arrival order kept: `combined_output`).
    merge_stderr: bool,
    /// Whether dropping every stdin handle ends the input (not on attach).
    eof_on_drop: bool,
}

/// Creates the session on an open socket, starts the driver, and waits (bounded) for
/// `session_info`.
async fn launch<R: Runtime>(
    sprite: &Sprite<R>,
    socket: R::WebSocket,
    headers: &[(String, String)],
    config: ExecConfig,
    options: DriverOptions,
) -> Child<R> {
    let client = sprite.client().clone();
    let runtime = client.runtime().clone();
    let stdin_open = config.stdin;
    let mut session = ExecSession::new(config, runtime.now());
    session.handle_upgrade(headers);
    let supports_signal = session.supports_signal();
    let known_tty = session.tty();

    let (stdin_tx, stdin_rx) = mpsc::channel(STDIN_CAPACITY);
    let (stdout_tx, stdout_rx) = mpsc::channel(options.pipe_capacity);
    let (stderr_tx, stderr_rx) = mpsc::channel(options.pipe_capacity);
    let (ports_tx, ports_rx) = mpsc::channel(PORT_EVENT_CAPACITY);
    let (control_tx, control_rx) = mpsc::unbounded();
    let (info_tx, info_rx) = oneshot::channel();
    let (exit_tx, exit_rx) = oneshot::channel();

    let mut driver = Driver {
        client,
        sprite: String::from(sprite.name()),
        socket,
        session,
        outgoing: None,
        needs_flush: false,
        sink_broken: false,
        stdin: stdin_open.then_some(stdin_rx),
        control: Some(control_rx),
        stdout: Some(stdout_tx),
        stderr: (!options.merge_stderr).then_some(stderr_tx),
        ports: Some(ports_tx),
        info: Some(info_tx),
        exit: Some(exit_tx),
        kills: FuturesUnordered::new(),
        timer: None,
        merge_stderr: options.merge_stderr,
        eof_on_drop: options.eof_on_drop,
        child_gone: false,
        socket_done: false,
    };
    runtime.spawn(future::poll_fn(move |cx| driver.poll(cx)));

    let limit = sprite
        .client()
        .timeouts()
        .for_class(TimeoutClass::WebSocket)
        .unwrap_or(SESSION_INFO_WAIT);
    let info = {
        let sleep = core::pin::pin!(runtime.sleep(limit));
        match future::select(info_rx, sleep).await {
            Either::Left((Ok(info), _)) => Some(info),
            // The session ended before session_info, or it is late: `wait` tells the rest.
            Either::Left((Err(_), _)) | Either::Right(_) => None,
        }
    };
    let tty = info.as_ref().map(|i| i.tty).or(known_tty);
    Child {
        sprite: sprite.clone(),
        argv: Vec::new(),
        stdin: stdin_open.then(|| ChildStdin {
            tx: stdin_tx,
            sprite: String::from(sprite.name()),
            closed: AtomicBool::new(false),
        }),
        stdout: Some(ChildStdout {
            pipe: Pipe::new(stdout_rx),
        }),
        stderr: Some(ChildStderr {
            pipe: Pipe::new(stderr_rx),
        }),
        ports: Some(PortEvents { rx: ports_rx }),
        control: control_tx,
        exit: Some(exit_rx),
        result: None,
        session_id: info.as_ref().map(|i| i.session_id.clone()),
        info,
        tty,
        supports_signal,
        deadline: None,
    }
}

/// The background task of one exec connection: owns the socket and the session.
struct Driver<R: Runtime> {
    client: SpritesClient<R>,
    sprite: String,
    socket: R::WebSocket,
    session: ExecSession,
    /// A message taken from the session that the sink was not ready for.
    outgoing: Option<WsMessage>,
    needs_flush: bool,
    /// The socket failed to send: further messages are dropped.
    sink_broken: bool,
    stdin: Option<mpsc::Receiver<StdinMessage>>,
    control: Option<mpsc::UnboundedReceiver<Control>>,
    stdout: Option<mpsc::Sender<Result<Bytes>>>,
    stderr: Option<mpsc::Sender<Result<Bytes>>>,
    ports: Option<mpsc::Sender<PortChange>>,
    info: Option<oneshot::Sender<SessionInfo>>,
    exit: Option<oneshot::Sender<Result<ExitStatus>>>,
    /// Signal fallbacks in flight (`POST …/kill`).
    kills: FuturesUnordered<BoxFuture<'static, ()>>,
    timer: Option<(Instant, BoxFuture<'static, ()>)>,
    merge_stderr: bool,
    eof_on_drop: bool,
    /// The `Child` was dropped.
    child_gone: bool,
    /// The socket's stream ended.
    socket_done: bool,
}

impl<R: Runtime> Driver<R> {
    /// One turn of the driver: runs every step until none makes progress.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut progress = false;
            progress |= self.poll_control(cx);
            progress |= self.poll_transmits(cx);
            progress |= self.poll_stdin(cx);
            let (delivered, events_drained) = self.poll_events(cx);
            progress |= delivered;
            progress |= self.poll_socket(cx);
            progress |= self.poll_kills(cx);
            progress |= self.poll_timer(cx);
            if progress {
                continue;
            }
            // Nothing moved in a whole turn, so `events_drained` is still true.
            let done = self.session.is_finished()
                && events_drained
                && self.outgoing.is_none()
                && !self.needs_flush
                && self.kills.is_empty();
            return if done { Poll::Ready(()) } else { Poll::Pending };
        }
    }

    fn now(&self) -> Instant {
        self.client.runtime().now()
    }

    /// Resize, signal and detach requests from the `Child`.
    fn poll_control(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(control) = self.control.as_mut() else {
            return false;
        };
        match control.poll_next_unpin(cx) {
            Poll::Pending => false,
            Poll::Ready(Some(Control::Resize { rows, cols })) => {
                // A finished session has nothing to resize; the `Child` checked the rest.
                let _ = self.session.resize(rows, cols);
                true
            }
            Poll::Ready(Some(Control::Signal(signal))) => {
                let _ = self.session.signal(signal);
                true
            }
            Poll::Ready(Some(Control::Detach)) => {
                self.session.close();
                true
            }
            Poll::Ready(None) => {
                self.control = None;
                self.child_gone = true;
                self.detach_if_orphaned();
                true
            }
        }
    }

    /// Closes the connection once nobody can see the session any more.
    fn detach_if_orphaned(&mut self) {
        let closed = |tx: &Option<mpsc::Sender<Result<Bytes>>>| {
            tx.as_ref().is_none_or(mpsc::Sender::is_closed)
        };
        if self.child_gone
            && self.stdin.is_none()
            && closed(&self.stdout)
            && closed(&self.stderr)
            && self.ports.as_ref().is_none_or(mpsc::Sender::is_closed)
        {
            self.session.close();
        }
    }

    /// Sends the session's messages while the sink takes them.
    fn poll_transmits(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        loop {
            if self.outgoing.is_none() {
                self.outgoing = self.session.poll_transmit();
            }
            let Some(message) = self.outgoing.take() else {
                break;
            };
            if self.sink_broken {
                progress = true;
                continue;
            }
            match Pin::new(&mut self.socket).poll_ready(cx) {
                Poll::Pending => {
                    self.outgoing = Some(message);
                    break;
                }
                Poll::Ready(Ok(())) => {
                    progress = true;
                    match Pin::new(&mut self.socket).start_send(message) {
                        Ok(()) => self.needs_flush = true,
                        Err(_) => self.on_sink_error(),
                    }
                }
                Poll::Ready(Err(_)) => {
                    progress = true;
                    self.on_sink_error();
                }
            }
        }
        if self.needs_flush && !self.sink_broken {
            match Pin::new(&mut self.socket).poll_flush(cx) {
                Poll::Pending => {}
                Poll::Ready(Ok(())) => {
                    self.needs_flush = false;
                    progress = true;
                }
                Poll::Ready(Err(_)) => {
                    progress = true;
                    self.on_sink_error();
                }
            }
        }
        if self.sink_broken {
            self.needs_flush = false;
        }
        progress
    }

    fn on_sink_error(&mut self) {
        self.sink_broken = true;
        let now = self.now();
        self.session.handle_close(now);
    }

    /// Takes input from `ChildStdin` once everything before it went into the sink.
    fn poll_stdin(&mut self, cx: &mut Context<'_>) -> bool {
        if self.outgoing.is_some() {
            return false;
        }
        if self.session.is_finished() {
            // Writers then see that the session ended.
            return self.stdin.take().is_some();
        }
        let Some(stdin) = self.stdin.as_mut() else {
            return false;
        };
        match stdin.poll_next_unpin(cx) {
            Poll::Pending => false,
            Poll::Ready(Some(StdinMessage::Data(data))) => {
                let _ = self.session.send_stdin(data);
                true
            }
            Poll::Ready(Some(StdinMessage::Eof)) => {
                let _ = self.session.close_stdin();
                true
            }
            Poll::Ready(None) => {
                self.stdin = None;
                if self.eof_on_drop {
                    let _ = self.session.close_stdin();
                }
                self.detach_if_orphaned();
                true
            }
        }
    }

    /// Delivers events while both output pipes have room. Returns (progress, drained).
    fn poll_events(&mut self, cx: &mut Context<'_>) -> (bool, bool) {
        let mut progress = false;
        loop {
            if !(pipe_ready(&mut self.stdout, cx) && pipe_ready(&mut self.stderr, cx)) {
                return (progress, false);
            }
            let Some(event) = self.session.poll_event() else {
                return (progress, true);
            };
            progress = true;
            self.deliver(event);
        }
    }

    fn deliver(&mut self, event: ExecEvent) {
        match event {
            ExecEvent::Stdout(data) => send_chunk(&mut self.stdout, Ok(data)),
            ExecEvent::Stderr(data) if self.merge_stderr => {
                send_chunk(&mut self.stdout, Ok(data));
            }
            ExecEvent::Stderr(data) => send_chunk(&mut self.stderr, Ok(data)),
            ExecEvent::SessionInfo(info) => {
                if let Some(tx) = self.info.take() {
                    let _ = tx.send(info);
                }
            }
            ExecEvent::Exit(code) => self.finish(Ok(ExitStatus::new(code))),
            ExecEvent::Failed(error) => {
                send_chunk(&mut self.stdout, Err(duplicate(&error)));
                send_chunk(&mut self.stderr, Err(duplicate(&error)));
                self.finish(Err(error));
            }
            ExecEvent::PortOpened(port) => self.send_port(PortChange::Opened(port)),
            ExecEvent::PortClosed(port) => self.send_port(PortChange::Closed(port)),
            ExecEvent::KillRequest { signal, session_id } => {
                let client = self.client.clone();
                let op = KillSession {
                    sprite: self.sprite.clone(),
                    session_id,
                    signal: Some(signal),
                    timeout: Some(Duration::ZERO),
                };
                self.kills.push(Box::pin(async move {
                    if let Ok(events) = client.call_stream(&op).await {
                        let _ = events.collect_all().await;
                    }
                }));
            }
            _ => {}
        }
    }

    /// The end: the status to `wait`, the end of output to the pipes.
    fn finish(&mut self, result: Result<ExitStatus>) {
        if let Some(tx) = self.exit.take() {
            let _ = tx.send(result);
        }
        self.stdout = None;
        self.stderr = None;
        self.ports = None;
        self.info = None;
    }

    fn send_port(&mut self, change: PortChange) {
        if let Some(tx) = self.ports.as_mut() {
            if let Err(e) = tx.try_send(change) {
                if e.is_disconnected() {
                    self.ports = None;
                }
            }
        }
    }

    /// Reads the socket while the session wants input.
    fn poll_socket(&mut self, cx: &mut Context<'_>) -> bool {
        // One message per turn: its events are delivered before the next is read, so a
        // full pipe stops the reading.
        if self.socket_done || !self.session.wants_read() {
            return false;
        }
        match Pin::new(&mut self.socket).poll_next(cx) {
            Poll::Pending => return false,
            Poll::Ready(Some(Ok(message))) => {
                let now = self.now();
                self.session.handle_message(message, now);
            }
            Poll::Ready(Some(Err(_)) | None) => {
                self.socket_done = true;
                let now = self.now();
                self.session.handle_close(now);
            }
        }
        true
    }

    fn poll_kills(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while let Poll::Ready(Some(())) = self.kills.poll_next_unpin(cx) {
            progress = true;
        }
        progress
    }

    /// Keeps one sleep armed for the session's next deadline and fires it.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(at) = self.session.poll_timeout() else {
            self.timer = None;
            return false;
        };
        let now = self.now();
        if now >= at {
            self.timer = None;
            self.session.handle_timeout(now);
            return true;
        }
        if self.timer.as_ref().is_none_or(|(armed, _)| *armed != at) {
            let runtime = self.client.runtime().clone();
            let wait = at.saturating_duration_since(now);
            let sleep: BoxFuture<'static, ()> = Box::pin(async move { runtime.sleep(wait).await });
            self.timer = Some((at, sleep));
        }
        let Some((_, sleep)) = self.timer.as_mut() else {
            return false;
        };
        match sleep.as_mut().poll(cx) {
            Poll::Pending => false,
            Poll::Ready(()) => {
                self.timer = None;
                let now = self.now();
                self.session.handle_timeout(now.max(at));
                true
            }
        }
    }
}

/// Whether an output pipe can take a chunk now (a pipe whose reader is gone can: its
/// output is discarded).
fn pipe_ready(tx: &mut Option<mpsc::Sender<Result<Bytes>>>, cx: &mut Context<'_>) -> bool {
    let Some(sender) = tx.as_mut() else {
        return true;
    };
    match sender.poll_ready(cx) {
        Poll::Pending => false,
        Poll::Ready(Ok(())) => true,
        Poll::Ready(Err(_)) => {
            *tx = None;
            true
        }
    }
}

/// Sends a chunk into a pipe that [`pipe_ready`] said has room.
fn send_chunk(tx: &mut Option<mpsc::Sender<Result<Bytes>>>, chunk: Result<Bytes>) {
    if let Some(sender) = tx.as_mut() {
        if sender.start_send(chunk).is_err() {
            *tx = None;
        }
    }
}

fn duplicate_result(result: &Result<ExitStatus>) -> Result<ExitStatus> {
    match result {
        Ok(status) => Ok(*status),
        Err(e) => Err(duplicate(e)),
    }
}

/// A copy of `error` for a second receiver (pipes and `wait` both report a failure).
fn duplicate(error: &Error) -> Error {
    match error {
        Error::ClosedBeforeExit {
            sprite,
            session_id,
            close_code,
        } => Error::ClosedBeforeExit {
            sprite: sprite.clone(),
            session_id: session_id.clone(),
            close_code: *close_code,
        },
        Error::Timeout(m) => Error::Timeout(m.clone()),
        Error::Protocol(m) => Error::Protocol(m.clone()),
        Error::InvalidArgument(m) => Error::InvalidArgument(m.clone()),
        Error::Stream { message } => Error::Stream {
            message: message.clone(),
        },
        other => Error::transport(other.to_string(), None),
    }
}
