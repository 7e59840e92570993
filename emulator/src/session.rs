//! Exec sessions: real processes (pipes or a PTY), a bounded scrollback, subscribers with
//! bounded queues (a slow subscriber slows the process through its pipe), stdin, signals,
//! `max_run_after_disconnect`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

use crate::isolation::{ExecSpec, ProcHandle};
use crate::store::{lock, Sprite};

/// Output for one subscriber.
#[derive(Debug)]
pub(crate) enum Out {
    /// Output bytes; stream 1 stdout, 2 stderr (TTY output is reported as stdout).
    Data(u8, Bytes),
    /// The process ended with this code.
    Exit(i32),
}

/// Input to the process.
#[derive(Debug)]
pub(crate) enum Input {
    Data(Bytes),
    Eof,
    Resize(u16, u16),
}

#[derive(Debug, Default)]
struct Scrollback {
    chunks: VecDeque<(u8, Bytes)>,
    bytes: usize,
}

#[derive(Debug)]
struct Inner {
    scrollback: Scrollback,
    subscribers: Vec<(u64, mpsc::Sender<Out>)>,
    /// Bumped on every attach/detach; a pending disconnect kill checks it.
    generation: u64,
    cols: u16,
    rows: u16,
    bytes_total: u64,
    last_io: Option<Instant>,
    last_io_wall: Option<DateTime<Utc>>,
}

/// A running exec session.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: u32,
    pub(crate) tty: bool,
    pub(crate) command: String,
    pub(crate) workdir: String,
    pub(crate) created: DateTime<Utc>,
    pub(crate) handle: ProcHandle,
    max_run_after_disconnect: Option<Duration>,
    scrollback_limit: usize,
    input: mpsc::Sender<Input>,
    exit: watch::Receiver<Option<i32>>,
    inner: Mutex<Inner>,
    next_sub: AtomicU64,
}

/// What a new subscriber gets: the replayed scrollback, then live output on `rx`.
#[derive(Debug)]
pub(crate) struct Subscription {
    pub(crate) id: u64,
    pub(crate) replay: Vec<(u8, Bytes)>,
    pub(crate) rx: mpsc::Receiver<Out>,
}

/// Options for a new session.
#[derive(Debug)]
pub(crate) struct SpawnOptions {
    pub(crate) spec: ExecSpec,
    pub(crate) stdin: bool,
    pub(crate) cols: u16,
    pub(crate) rows: u16,
    pub(crate) max_run_after_disconnect: Option<Duration>,
    pub(crate) queue: usize,
    pub(crate) scrollback: usize,
}

impl Session {
    /// Spawns the process, registers the session in the sprite, and subscribes the creator
    /// before any output is read.
    pub(crate) async fn spawn(
        sprite: &Arc<Sprite>,
        opts: SpawnOptions,
    ) -> std::io::Result<(Arc<Session>, Subscription)> {
        let _guard = sprite.lifecycle.read().await;
        let (cmd, cg) = sprite.env.command(&opts.spec).await?;
        let (input_tx, input_rx) = mpsc::channel::<Input>(8);
        let (exit_tx, exit_rx) = watch::channel(None);
        let mut command = opts.spec.program.clone();
        for a in &opts.spec.args {
            command.push(' ');
            command.push_str(a);
        }
        let workdir = opts
            .spec
            .dir
            .clone()
            .unwrap_or_else(|| "/home/sprite".into());
        let make = |pid: u32| {
            let handle = match &cg {
                Some(cg) => ProcHandle::Cgroup {
                    cg: cg.clone(),
                    wrapper: pid,
                },
                None => ProcHandle::Group(pid),
            };
            Arc::new(Session {
                id: pid,
                tty: opts.spec.tty,
                command: command.clone(),
                workdir: workdir.clone(),
                created: Utc::now(),
                handle,
                max_run_after_disconnect: opts.max_run_after_disconnect,
                scrollback_limit: opts.scrollback,
                input: input_tx.clone(),
                exit: exit_rx.clone(),
                inner: Mutex::new(Inner {
                    scrollback: Scrollback::default(),
                    subscribers: Vec::new(),
                    generation: 0,
                    cols: opts.cols,
                    rows: opts.rows,
                    bytes_total: 0,
                    last_io: None,
                    last_io_wall: None,
                }),
                next_sub: AtomicU64::new(1),
            })
        };
        let spawned = if opts.spec.tty {
            spawn_tty(cmd, &opts)
        } else {
            spawn_pipes(cmd, &opts)
        };
        let (child, io) = match spawned {
            Ok(v) => v,
            Err(e) => {
                if let Some(cg) = &cg {
                    cg.remove();
                }
                return Err(e);
            }
        };
        let pid = child.id().unwrap_or_default();
        let session = make(pid);
        let sub = session.subscribe(opts.queue);
        lock(&sprite.sessions).insert(pid, session.clone());
        sprite.touch();
        tokio::spawn(run(
            sprite.clone(),
            session.clone(),
            child,
            io,
            input_rx,
            exit_tx,
        ));
        Ok((session, sub))
    }

    /// Adds a subscriber: the current scrollback plus every later chunk, in order.
    pub(crate) fn subscribe(&self, queue: usize) -> Subscription {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let id = self.next_sub.fetch_add(1, Ordering::Relaxed);
        let mut inner = lock(&self.inner);
        inner.generation += 1;
        inner.subscribers.push((id, tx));
        Subscription {
            id,
            replay: inner.scrollback.chunks.iter().cloned().collect(),
            rx,
        }
    }

    /// Removes a subscriber; when none is left, schedules the disconnect kill.
    pub(crate) fn unsubscribe(self: &Arc<Self>, id: u64) {
        let generation = {
            let mut inner = lock(&self.inner);
            inner.subscribers.retain(|(sid, _)| *sid != id);
            inner.generation += 1;
            if !inner.subscribers.is_empty() {
                return;
            }
            inner.generation
        };
        let Some(limit) = self.max_run_after_disconnect else {
            return;
        };
        let session = self.clone();
        tokio::spawn(async move {
            let mut exit = session.exit.clone();
            let ended = tokio::time::timeout(limit, exit.wait_for(Option::is_some)).await;
            if ended.is_ok() {
                return;
            }
            let still_detached = {
                let inner = lock(&session.inner);
                inner.generation == generation && inner.subscribers.is_empty()
            };
            if still_detached {
                session.handle.kill();
            }
        });
    }

    /// Queues input for the process (waits while the process is not reading).
    pub(crate) async fn send_input(&self, input: Input) -> bool {
        self.input.send(input).await.is_ok()
    }

    /// Waits for the exit code, up to `limit`.
    pub(crate) async fn wait_exit(&self, limit: Duration) -> Option<i32> {
        let mut exit = self.exit.clone();
        let waited = tokio::time::timeout(limit, exit.wait_for(Option::is_some)).await;
        match waited {
            Ok(Ok(code)) => *code,
            _ => None,
        }
    }

    /// The terminal size last set.
    pub(crate) fn size(&self) -> (u16, u16) {
        let inner = lock(&self.inner);
        (inner.cols, inner.rows)
    }

    /// The session in the live list shape.
    pub(crate) fn list_entry(&self) -> sprites_core::model::SessionInfo {
        let inner = lock(&self.inner);
        let active = inner
            .last_io
            .is_some_and(|t| t.elapsed() < Duration::from_secs(5));
        let age = Utc::now()
            .signed_duration_since(self.created)
            .num_milliseconds()
            .max(1);
        #[allow(clippy::cast_precision_loss)]
        let bps = inner.bytes_total as f64 * 1000.0 / age as f64;
        sprites_core::model::SessionInfo {
            id: self.id.to_string(),
            command: self.command.clone(),
            workdir: Some(self.workdir.clone()),
            created: self.created,
            is_active: active,
            last_activity: inner.last_io_wall,
            tty: self.tty,
            bytes_per_second: Some(bps),
        }
    }

    /// Appends a chunk to the scrollback and hands it to every subscriber, waiting for
    /// room in each queue (backpressure).
    async fn deliver(&self, stream: u8, data: Bytes) {
        let subs: Vec<(u64, mpsc::Sender<Out>)> = {
            let mut inner = lock(&self.inner);
            inner.bytes_total += data.len() as u64;
            inner.last_io = Some(Instant::now());
            inner.last_io_wall = Some(Utc::now());
            let sb = &mut inner.scrollback;
            sb.bytes += data.len();
            sb.chunks.push_back((stream, data.clone()));
            while sb.bytes > self.scrollback_limit {
                match sb.chunks.pop_front() {
                    Some((_, old)) => sb.bytes -= old.len(),
                    None => break,
                }
            }
            inner.subscribers.clone()
        };
        for (id, tx) in subs {
            if tx.send(Out::Data(stream, data.clone())).await.is_err() {
                lock(&self.inner).subscribers.retain(|(sid, _)| *sid != id);
            }
        }
    }

    async fn finish(&self, code: i32) {
        let subs: Vec<(u64, mpsc::Sender<Out>)> =
            std::mem::take(&mut lock(&self.inner).subscribers);
        for (_, tx) in subs {
            let _ = tx.send(Out::Exit(code)).await;
        }
    }
}

type Reader = Box<dyn AsyncRead + Send + Unpin>;

enum Io {
    Pipes {
        stdin: Option<tokio::process::ChildStdin>,
        stdout: Reader,
        stderr: Reader,
    },
    Tty {
        read: pty_process::OwnedReadPty,
        write: pty_process::OwnedWritePty,
    },
}

fn spawn_pipes(
    mut cmd: tokio::process::Command,
    opts: &SpawnOptions,
) -> std::io::Result<(tokio::process::Child, Io)> {
    use std::process::Stdio;
    cmd.stdin(if opts.stdin {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
    let mut child = cmd.spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout"))?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| std::io::Error::other("no stderr"))?;
    let stdin = child.stdin.take();
    Ok((
        child,
        Io::Pipes {
            stdin,
            stdout: Box::new(stdout),
            stderr: Box::new(stderr),
        },
    ))
}

fn spawn_tty(
    cmd: tokio::process::Command,
    opts: &SpawnOptions,
) -> std::io::Result<(tokio::process::Child, Io)> {
    let (pty, pts) = pty_process::open().map_err(std::io::Error::other)?;
    pty.resize(pty_process::Size::new(opts.rows, opts.cols))
        .map_err(std::io::Error::other)?;
    let child = pty_process::Command::from(cmd)
        .spawn(pts)
        .map_err(std::io::Error::other)?;
    let (read, write) = pty.into_split();
    Ok((child, Io::Tty { read, write }))
}

const CHUNK: usize = 32 * 1024;

/// Drives one session: output pumps, stdin, exit.
async fn run(
    sprite: Arc<Sprite>,
    session: Arc<Session>,
    mut child: tokio::process::Child,
    io: Io,
    input_rx: mpsc::Receiver<Input>,
    exit_tx: watch::Sender<Option<i32>>,
) {
    let code = match io {
        Io::Pipes {
            stdin,
            stdout,
            stderr,
        } => {
            let stdin_task = tokio::spawn(pipe_stdin(stdin, input_rx));
            let code = pump_pipes(&session, &mut child, stdout, stderr).await;
            stdin_task.abort();
            code
        }
        Io::Tty { read, write } => {
            let stdin_task = tokio::spawn(pty_stdin(write, input_rx, session.clone()));
            let code = pump_tty(&session, &mut child, read).await;
            stdin_task.abort();
            code
        }
    };
    lock(&sprite.sessions).remove(&session.id);
    {
        let mut exited = lock(&sprite.exited);
        exited.push_back(session.id);
        if exited.len() > 256 {
            exited.pop_front();
        }
    }
    sprite.touch();
    let _ = exit_tx.send(Some(code));
    session.finish(code).await;
    session.handle.release();
}

async fn pipe_stdin(mut stdin: Option<tokio::process::ChildStdin>, mut rx: mpsc::Receiver<Input>) {
    while let Some(msg) = rx.recv().await {
        match msg {
            Input::Data(d) => {
                if let Some(s) = stdin.as_mut() {
                    if s.write_all(&d).await.is_err() {
                        stdin = None;
                    }
                }
            }
            Input::Eof => stdin = None,
            Input::Resize(..) => {}
        }
    }
}

async fn pty_stdin(
    mut write: pty_process::OwnedWritePty,
    mut rx: mpsc::Receiver<Input>,
    session: Arc<Session>,
) {
    while let Some(msg) = rx.recv().await {
        match msg {
            Input::Data(d) => {
                if write.write_all(&d).await.is_err() {
                    return;
                }
            }
            Input::Eof => {}
            Input::Resize(cols, rows) => {
                let _ = write.resize(pty_process::Size::new(rows, cols));
                let mut inner = lock(&session.inner);
                inner.cols = cols;
                inner.rows = rows;
            }
        }
    }
}

/// How long to keep draining output after the process exited (background children may
/// hold the pipe open forever).
const DRAIN_IDLE: Duration = Duration::from_millis(200);

async fn pump_pipes(
    session: &Session,
    child: &mut tokio::process::Child,
    mut stdout: Reader,
    mut stderr: Reader,
) -> i32 {
    let mut out_buf = vec![0u8; CHUNK];
    let mut err_buf = vec![0u8; CHUNK];
    let (mut out_open, mut err_open) = (true, true);
    let mut status = None;
    while out_open || err_open {
        let deadline = async {
            if status.is_some() {
                tokio::time::sleep(DRAIN_IDLE).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            r = stdout.read(&mut out_buf), if out_open => match r {
                Ok(n) if n > 0 => session.deliver(1, Bytes::copy_from_slice(out_buf.get(..n).unwrap_or_default())).await,
                _ => out_open = false,
            },
            r = stderr.read(&mut err_buf), if err_open => match r {
                Ok(n) if n > 0 => session.deliver(2, Bytes::copy_from_slice(err_buf.get(..n).unwrap_or_default())).await,
                _ => err_open = false,
            },
            s = child.wait(), if status.is_none() => {
                status = Some(s.map(crate::util::exit_code).unwrap_or(1));
            },
            () = deadline => break,
        }
    }
    match status {
        Some(code) => code,
        None => child.wait().await.map(crate::util::exit_code).unwrap_or(1),
    }
}

async fn pump_tty(
    session: &Session,
    child: &mut tokio::process::Child,
    mut read: pty_process::OwnedReadPty,
) -> i32 {
    let mut buf = vec![0u8; CHUNK];
    let mut open = true;
    let mut status = None;
    while open {
        let deadline = async {
            if status.is_some() {
                tokio::time::sleep(DRAIN_IDLE).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            r = read.read(&mut buf) => match r {
                Ok(n) if n > 0 => session.deliver(1, Bytes::copy_from_slice(buf.get(..n).unwrap_or_default())).await,
                _ => open = false,
            },
            s = child.wait(), if status.is_none() => {
                status = Some(s.map(crate::util::exit_code).unwrap_or(1));
            },
            () = deadline => break,
        }
    }
    match status {
        Some(code) => code,
        None => child.wait().await.map(crate::util::exit_code).unwrap_or(1),
    }
}
