//! One behavioural suite for every runtime.
//!
//! Each scenario is an `async fn` generic over the core's [`Runtime`], so the tokio,
//! async-std and wasm adapters run the very same checks. A runner (see `tests/tokio.rs`)
//! starts the emulator, builds a client on its runtime, and calls each scenario with a
//! [`Ctx`] that gives it unique sprite names.
//!
//! Scenarios assert with `assert!`/`assert_eq!` and clean up the sprites they create.

use std::future::Future;
use std::time::Duration;

use futures_util::future::{self, Either};
use sha2::{Digest, Sha256};
use sprites_core::client::{Runtime, Sprite, SpritesClient};
use sprites_core::error::FsErrorCode;
use sprites_core::model::{
    KillEvent, ListOptions, NetworkPolicy, NetworkPolicyRule, PolicyAction, ServiceRequest,
    ServiceStatus, Signal,
};
use sprites_core::Error;

/// What every scenario gets: a client and a prefix for the names it creates.
#[derive(Debug)]
pub struct Ctx<R: Runtime> {
    /// A client authorised against the server under test.
    pub client: SpritesClient<R>,
    /// A prefix unique to this scenario run (a DNS label).
    pub prefix: String,
}

impl<R: Runtime> Ctx<R> {
    /// A context for `client` with names starting with `prefix`.
    pub fn new(client: SpritesClient<R>, prefix: &str) -> Self {
        Ctx {
            client,
            prefix: prefix.to_ascii_lowercase().replace('_', "-"),
        }
    }

    /// `<prefix>-<suffix>`.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }

    /// Creates a sprite named `<prefix>-<suffix>`.
    pub async fn sprite(&self, suffix: &str) -> Sprite<R> {
        let name = self.name(suffix);
        self.client
            .create(name.clone())
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e}"))
    }

    /// Fails the scenario if `fut` takes longer than `limit`.
    pub async fn within<T>(&self, limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
        let fut = std::pin::pin!(fut);
        let sleep = std::pin::pin!(self.client.runtime().sleep(limit));
        match future::select(fut, sleep).await {
            Either::Left((out, _)) => out,
            Either::Right(_) => panic!("{what}: no result within {limit:?}"),
        }
    }
}

/// A generous limit for one network step; a hang fails fast instead of stalling CI.
pub const STEP: Duration = Duration::from_secs(30);

/// Create, get, list with prefix and pages, update labels, duplicate and invalid names, delete.
pub async fn sprites_crud_and_listing<R: Runtime>(cx: &Ctx<R>) {
    let a = cx.sprite("a").await;
    let _b = cx.sprite("b").await;
    let _c = cx.sprite("c").await;

    let info = a.info().await.expect("get");
    assert_eq!(info.name, cx.name("a"));

    let page = cx
        .client
        .list_with_options(ListOptions {
            prefix: Some(cx.prefix.clone()),
            max_results: Some(2),
            ..ListOptions::default()
        })
        .await
        .expect("first page");
    assert_eq!(page.sprites.len(), 2);
    assert!(page.has_more);

    let all = cx
        .client
        .list_all_with_options(ListOptions {
            prefix: Some(cx.prefix.clone()),
            max_results: Some(2),
            ..ListOptions::default()
        })
        .await
        .expect("all pages");
    let mut names: Vec<_> = all.iter().map(|s| s.name.clone()).collect();
    names.sort();
    assert_eq!(names, [cx.name("a"), cx.name("b"), cx.name("c")]);

    let updated = a.set_labels(vec!["team-x".into()]).await.expect("labels");
    assert_eq!(updated.labels, ["team-x"]);

    let dup = cx.client.create(cx.name("a")).await.expect_err("duplicate");
    assert!(matches!(dup, Error::Conflict(_)), "{dup:?}");

    let invalid = cx
        .client
        .create("Not A Valid Name!")
        .await
        .expect_err("invalid");
    assert_eq!(invalid.status(), Some(400), "{invalid:?}");

    for s in ["a", "b", "c"] {
        cx.client.delete(&cx.name(s)).await.expect("delete");
    }
    let gone = cx.client.get(&cx.name("a")).await.expect_err("deleted");
    assert!(gone.is_not_found(), "{gone:?}");
}

/// Exit codes 0–255 come back exactly (a sample), and a death by signal is 128 + N.
pub async fn exit_codes<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("exit").await;
    for code in [0, 1, 2, 7, 42, 127, 128, 200, 255] {
        let out = cx
            .within(
                STEP,
                "exit",
                sprite
                    .command("sh")
                    .args(["-c", &format!("exit {code}")])
                    .output(),
            )
            .await
            .expect("exec");
        assert_eq!(out.status, code, "exit {code}");
        assert_eq!(out.success(), code == 0);
    }
    let killed = sprite
        .command("sh")
        .args(["-c", "kill -TERM $$"])
        .output()
        .await
        .expect("exec");
    assert_eq!(killed.status, 143);
    sprite.destroy().await.expect("destroy");
}

/// Output, stderr and exit code of one command; `combined_output` keeps arrival order.
pub async fn output_and_stderr<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("out").await;
    let out = sprite
        .command("sh")
        .args(["-c", "echo out; echo err >&2; exit 3"])
        .output()
        .await
        .expect("exec");
    assert_eq!(out.stdout_str(), "out\n");
    assert_eq!(out.stderr_str(), "err\n");
    assert_eq!(out.status, 3);

    let combined = sprite
        .command("sh")
        .args([
            "-c",
            "echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three",
        ])
        .combined_output()
        .await
        .expect("exec");
    assert_eq!(combined.stdout_str(), "one\ntwo\nthree\n");
    sprite.destroy().await.expect("destroy");
}

/// Bytes written to stdin come back through `cat`, and EOF ends it.
pub async fn stdin_round_trip<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("stdin").await;
    let mut child = sprite
        .command("cat")
        .stdin(true)
        .spawn()
        .await
        .expect("spawn");
    let stdin = child.take_stdin().expect("stdin");
    let mut stdout = child.take_stdout().expect("stdout");
    stdin.write_all(b"hello\n").await.expect("write");
    stdin.write_all(b"world\n").await.expect("write");
    stdin.close().await.expect("eof");
    let got = cx
        .within(STEP, "cat", stdout.read_to_end())
        .await
        .expect("read");
    assert_eq!(got, b"hello\nworld\n");
    let status = cx.within(STEP, "wait", child.wait()).await.expect("wait");
    assert!(status.success());
    sprite.destroy().await.expect("destroy");
}

/// The environment replaces the default one, and the working directory is honoured.
pub async fn env_and_working_dir<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("env").await;
    let out = sprite
        .command("sh")
        .args(["-c", "echo \"$GREETING\"; pwd; echo \"${HOME:-unset}\""])
        .env("GREETING", "hi there")
        .env("PATH", "/usr/bin:/bin")
        .current_dir("/tmp")
        .output()
        .await
        .expect("exec");
    assert_eq!(out.stdout_str(), "hi there\n/tmp\nunset\n");
    sprite.destroy().await.expect("destroy");
}

/// A TTY reports its size, and `resize` changes it.
pub async fn tty_and_resize<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("tty").await;
    let mut child = sprite
        .command("sh")
        .args(["-c", "stty size; read line; stty size"])
        .tty(true)
        .tty_size(24, 80)
        .spawn()
        .await
        .expect("spawn");
    assert!(child.is_tty());
    let mut stdout = child.take_stdout().expect("stdout");
    let mut seen = Vec::new();
    cx.within(
        STEP,
        "first size",
        read_until(&mut stdout, &mut seen, b"24 80"),
    )
    .await;
    child.resize(40, 100).expect("resize");
    let stdin = child.take_stdin().expect("stdin");
    stdin.write_all(b"go\r").await.expect("write");
    cx.within(
        STEP,
        "second size",
        read_until(&mut stdout, &mut seen, b"40 100"),
    )
    .await;
    let status = cx.within(STEP, "wait", child.wait()).await.expect("wait");
    assert!(status.success());

    // An interactive shell on the terminal exits with its own code (it owns the terminal).
    let mut shell = sprite
        .command("sh")
        .tty(true)
        .spawn()
        .await
        .expect("spawn sh");
    let shell_in = shell.take_stdin().expect("stdin");
    shell_in.write_all(b"exit 3\r").await.expect("write");
    let status = cx
        .within(STEP, "shell exit", shell.wait())
        .await
        .expect("wait");
    assert_eq!(status.code(), 3);

    let mut plain = sprite.command("true").spawn().await.expect("spawn");
    let err = plain.resize(10, 10).expect_err("resize without a tty");
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    let _ = plain.wait().await;
    sprite.destroy().await.expect("destroy");
}

async fn read_until(
    stdout: &mut sprites_core::client::ChildStdout,
    seen: &mut Vec<u8>,
    needle: &[u8],
) {
    let mut buf = [0u8; 4096];
    while !contains(seen, needle) {
        let n = stdout.read(&mut buf).await.expect("read stdout");
        assert!(
            n > 0,
            "output ended before {:?}",
            String::from_utf8_lossy(needle)
        );
        seen.extend_from_slice(&buf[..n]);
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `size` random bytes go through `cat` and back, and out of `head -c`, unchanged
/// (SHA-256 compared), while being hashed as they stream (memory stays flat).
pub async fn large_output_integrity<R: Runtime>(cx: &Ctx<R>, size: u64) {
    let sprite = cx.sprite("big").await;

    // Out of head -c: the sprite hashes the file, we hash the stream.
    let made = sprite
        .command("sh")
        .args([
            "-c",
            &format!("head -c {size} /dev/urandom > /tmp/big && sha256sum /tmp/big"),
        ])
        .output()
        .await
        .expect("make file");
    assert!(made.success(), "{}", made.stderr_str());
    let expected = made
        .stdout_str()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let mut child = sprite
        .command("cat")
        .arg("/tmp/big")
        .spawn()
        .await
        .expect("spawn");
    let mut stdout = child.take_stdout().expect("stdout");
    let (hash, len) = hash_stream(&mut stdout).await;
    assert_eq!(len, size);
    assert_eq!(hash, expected);
    assert!(child.wait().await.expect("wait").success());

    // Through cat and back: write pseudo-random bytes while reading them back.
    let mut child = sprite
        .command("sh")
        .args(["-c", "cat | tee /tmp/echo | sha256sum >&2; true"])
        .stdin(true)
        .spawn()
        .await
        .expect("spawn");
    let stdin = child.take_stdin().expect("stdin");
    let mut stderr = child.take_stderr().expect("stderr");
    let writer = async move {
        let mut hasher = Sha256::new();
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut chunk = vec![0u8; 256 * 1024];
        let mut left = size;
        while left > 0 {
            for word in chunk.chunks_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
            }
            let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
            hasher.update(&chunk[..n]);
            stdin.write_all(&chunk[..n]).await.expect("write stdin");
            left -= n as u64;
        }
        stdin.close().await.expect("eof");
        hex(&hasher.finalize())
    };
    let reader = async move { stderr.read_to_end().await.expect("read stderr") };
    let (sent, echoed) = future::join(writer, reader).await;
    let echoed = String::from_utf8_lossy(&echoed)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(echoed, sent, "the sprite saw different bytes than we sent");
    assert!(child.wait().await.expect("wait").success());
    sprite.destroy().await.expect("destroy");
}

async fn hash_stream(stdout: &mut sprites_core::client::ChildStdout) -> (String, u64) {
    let mut hasher = Sha256::new();
    let mut len = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = stdout.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    (hex(&hasher.finalize()), len)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A session is listed, can be attached to (scrollback first), and killed with a stream of
/// kill events.
pub async fn sessions_attach_and_kill<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("sess").await;
    let mut child = sprite
        .command("sh")
        .args(["-c", "echo started; exec sleep 60"])
        .tty(true)
        .spawn()
        .await
        .expect("spawn");
    let id = child.session_id().expect("session id").to_string();
    let mut stdout = child.take_stdout().expect("stdout");
    let mut seen = Vec::new();
    cx.within(
        STEP,
        "started",
        read_until(&mut stdout, &mut seen, b"started"),
    )
    .await;

    let sessions = sprite.list_sessions().await.expect("list");
    assert!(sessions.iter().any(|s| s.id == id), "{sessions:?}");

    let mut attached = sprite.attach_session(&id).spawn().await.expect("attach");
    let mut replay = attached.take_stdout().expect("stdout");
    let mut replayed = Vec::new();
    cx.within(
        STEP,
        "scrollback",
        read_until(&mut replay, &mut replayed, b"started"),
    )
    .await;

    let events = sprite
        .kill_session(&id, Some(Signal::SIGTERM), Some(Duration::from_secs(5)))
        .await
        .expect("kill")
        .collect_all()
        .await
        .expect("kill events");
    let code = events.iter().find_map(|e| match e {
        KillEvent::Complete { exit_code } => Some(*exit_code),
        _ => None,
    });
    assert_eq!(code, Some(143), "{events:?}");
    let status = cx
        .within(STEP, "attached exit", attached.wait())
        .await
        .expect("wait");
    assert_eq!(status.code(), 143);
    let _ = cx.within(STEP, "owner exit", child.wait()).await;
    let after = sprite.list_sessions().await.expect("list");
    assert!(!after.iter().any(|s| s.id == id));
    sprite.destroy().await.expect("destroy");
}

/// Checkpoint, change, restore: the change is undone; an unknown checkpoint is an error.
pub async fn checkpoints<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("ckpt").await;
    let fs = sprite.filesystem();
    fs.write_file("/home/sprite/keep.txt", b"v1")
        .await
        .expect("write");
    let cp = sprite.checkpoint("first").await.expect("checkpoint");
    assert_eq!(cp.id, "v1");
    fs.remove("/home/sprite/keep.txt").await.expect("remove");
    assert!(!fs.exists("/home/sprite/keep.txt").await.expect("exists"));

    let list = sprite.list_checkpoints().await.expect("list");
    let ids: Vec<_> = list.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["Current", "v1", "v0"]);
    let got = sprite.get_checkpoint("v1").await.expect("get");
    assert_eq!(got.comment.as_deref(), Some("first"));

    sprite.restore(&cp.id).await.expect("restore");
    let text = fs
        .read_to_string("/home/sprite/keep.txt")
        .await
        .expect("read back");
    assert_eq!(text, "v1");

    let err = sprite
        .restore("v999")
        .await
        .expect_err("unknown checkpoint");
    assert!(
        matches!(err, Error::Stream { .. } | Error::NotFound(_)),
        "{err:?}"
    );
    sprite.destroy().await.expect("destroy");
}

/// The filesystem API, including its error codes.
pub async fn filesystem<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("fs").await;
    let fs = sprite.filesystem_at("/home/sprite");
    fs.mkdir_all("a/b").await.expect("mkdir_all");
    fs.write_file("a/b/f.txt", b"data").await.expect("write");
    fs.write_file_with_mode("a/run.sh", b"#!/bin/sh\n", 0o755)
        .await
        .expect("write mode");
    assert_eq!(fs.read_file("a/b/f.txt").await.expect("read"), b"data");
    let stat = fs.stat("a/run.sh").await.expect("stat");
    assert_eq!(stat.mode & 0o777, 0o755);
    assert!(fs.stat("a/b").await.expect("stat dir").is_dir);
    let mut names: Vec<_> = fs
        .read_dir("a")
        .await
        .expect("read_dir")
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    assert_eq!(names, ["b", "run.sh"]);

    fs.rename("a/b/f.txt", "a/g.txt").await.expect("rename");
    fs.copy("a/g.txt", "a/h.txt").await.expect("copy");
    fs.chmod("a/h.txt", 0o600).await.expect("chmod");
    assert_eq!(fs.stat("a/h.txt").await.expect("stat").mode & 0o777, 0o600);
    fs.mkdir("c").await.expect("mkdir");
    assert!(fs.exists("c").await.expect("exists"));

    let missing = fs.read_file("nope.txt").await.expect_err("missing");
    assert!(
        matches!(&missing, Error::Filesystem(e) if e.code == FsErrorCode::NotFound),
        "{missing:?}"
    );
    let not_empty = fs.remove("a").await.expect_err("not empty");
    assert!(
        matches!(&not_empty, Error::Filesystem(e) if e.code == FsErrorCode::DirectoryNotEmpty),
        "{not_empty:?}"
    );
    fs.remove_all("a").await.expect("remove_all");
    assert!(!fs.exists("a").await.expect("exists"));
    sprite.destroy().await.expect("destroy");
}

/// Services: create (started), list, stop, start, signal, logs, one http_port, delete.
pub async fn services<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("svc").await;
    let state = sprite
        .create_service(
            "ticker",
            ServiceRequest::new("sh").args(["-c", "while true; do echo tick; sleep 0.2; done"]),
        )
        .await
        .expect("create");
    assert_eq!(state.status, ServiceStatus::Running, "{state:?}");
    let list = sprite.list_services().await.expect("list");
    assert!(list.iter().any(|s| s.name == "ticker"));

    let logs = sprite
        .service_logs("ticker")
        .await
        .expect("logs")
        .collect_all()
        .await
        .expect("log events");
    assert!(
        logs.iter().any(|e| e.data.as_deref() == Some("tick\n")),
        "{logs:?}"
    );

    sprite.stop_service("ticker").await.expect("stop");
    assert_eq!(
        sprite.get_service("ticker").await.expect("get").status,
        ServiceStatus::Stopped
    );
    let started = sprite.start_service("ticker").await.expect("start");
    assert_eq!(started.status, ServiceStatus::Running);
    sprite
        .signal_service("ticker", Signal::SIGHUP)
        .await
        .expect("signal");

    sprite
        .create_service(
            "web1",
            ServiceRequest::new("sleep").arg("60").http_port(8080),
        )
        .await
        .expect("first http_port");
    let conflict = sprite
        .create_service(
            "web2",
            ServiceRequest::new("sleep").arg("60").http_port(8081),
        )
        .await
        .expect_err("second http_port");
    assert!(matches!(conflict, Error::Conflict(_)), "{conflict:?}");

    sprite.delete_service("ticker").await.expect("delete");
    let gone = sprite.get_service("ticker").await.expect_err("deleted");
    assert!(gone.is_not_found(), "{gone:?}");
    sprite.destroy().await.expect("destroy");
}

/// The network policy round-trips, presets included.
pub async fn policy<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("pol").await;
    assert!(sprite.get_policy().await.expect("get").rules.is_empty());
    let policy = NetworkPolicy {
        rules: vec![
            NetworkPolicyRule {
                domain: "api.github.com".into(),
                action: PolicyAction::Allow,
            },
            NetworkPolicyRule {
                domain: "*".into(),
                action: PolicyAction::Deny,
            },
        ],
        include: vec!["defaults".into()],
    };
    sprite.set_policy(policy.clone()).await.expect("set");
    assert_eq!(sprite.get_policy().await.expect("get"), policy);
    sprite.destroy().await.expect("destroy");
}

/// A process in the sprite listens on `port`: the exec socket reports `port_opened`, and a
/// proxy socket reaches it (both directions, bytes unchanged).
pub async fn proxy_to_a_port_in_the_sprite<R: Runtime>(cx: &Ctx<R>, port: u16) {
    use futures_util::io::{AsyncReadExt, AsyncWriteExt};

    let sprite = cx.sprite("proxy").await;
    let server = format!(
        "import socket\n\
         s = socket.socket()\n\
         s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         s.bind(('127.0.0.1', {port}))\n\
         s.listen()\n\
         print('ready', flush=True)\n\
         c, _ = s.accept()\n\
         data = c.recv(100)\n\
         c.sendall(data.upper())\n\
         c.close()\n"
    );
    let mut child = sprite
        .command("python3")
        .args(["-c", &server])
        .spawn()
        .await
        .expect("spawn the server");
    let mut stdout = child.take_stdout().expect("stdout");
    let mut seen = Vec::new();
    cx.within(
        STEP,
        "server ready",
        read_until(&mut stdout, &mut seen, b"ready"),
    )
    .await;

    let mut events = child.take_port_events().expect("port events");
    let opened = cx
        .within(STEP, "port_opened", async {
            loop {
                match events.next().await {
                    Some(sprites_core::client::PortChange::Opened(e)) if e.port == port => break e,
                    Some(_) => continue,
                    None => panic!("port events ended before port {port} opened"),
                }
            }
        })
        .await;
    assert_eq!(opened.port, port);

    let mut socket = cx
        .within(STEP, "proxy", sprite.proxy_socket("localhost", port))
        .await
        .expect("proxy socket");
    socket.write_all(b"ping").await.expect("write");
    socket.flush().await.expect("flush");
    let mut answer = Vec::new();
    cx.within(STEP, "answer", socket.read_to_end(&mut answer))
        .await
        .expect("read");
    assert_eq!(answer, b"PING");
    let status = cx
        .within(STEP, "server exit", child.wait())
        .await
        .expect("wait");
    assert!(status.success());
    sprite.destroy().await.expect("destroy");
}

/// Error answers are typed: 404, 409, 401.
pub async fn error_cases<R: Runtime>(cx: &Ctx<R>, bad_token_client: &SpritesClient<R>) {
    let missing = cx.client.get(&cx.name("missing")).await.expect_err("404");
    assert!(matches!(missing, Error::NotFound(_)), "{missing:?}");
    let unauthorized = bad_token_client.list().await.expect_err("401");
    assert!(
        matches!(unauthorized, Error::Unauthorized(_)),
        "{unauthorized:?}"
    );
    assert!(!format!("{unauthorized} {unauthorized:?}").contains(bad_token_client.token()));
    let empty = cx.client.get("").await.expect_err("empty name");
    assert!(matches!(empty, Error::InvalidArgument(_)), "{empty:?}");
}

/// Keepalive pings keep a quiet command alive past the idle limit (a shortened clock stands in
/// for "10 minutes of silence").
pub async fn quiet_command_survives_keepalive<R: Runtime>(cx: &Ctx<R>) {
    let sprite = cx.sprite("quiet").await;
    let out = cx
        .within(
            STEP,
            "quiet",
            sprite
                .command("sh")
                .args(["-c", "sleep 2; echo done"])
                .output(),
        )
        .await
        .expect("exec");
    assert_eq!(out.stdout_str(), "done\n");
    sprite.destroy().await.expect("destroy");
}
