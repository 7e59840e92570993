//! Measurements, ignored by default (run with `cargo test -p sprites-emulator --release
//! --test bench -- --ignored --nocapture`). They print figures and assert the limits of
//! the issue: 1 GiB through a slow reader keeps the emulator under 64 MiB RSS.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use reqwest::Method;
use sprites_emulator::IsolationChoice;
use tokio_tungstenite::tungstenite::Message;

/// Peak and current RSS of a process, in KiB, from /proc.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: streams 1 GiB"]
async fn one_gib_through_a_slow_reader_stays_under_64_mib_rss() {
    use std::io::BufRead;
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_sprites-emulator"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--ephemeral",
                "--token",
                "t",
                "--isolation",
                "plain",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn emulator"),
    );
    let pid = child.0.id();
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = lines
        .find_map(|l| {
            l.ok()
                .and_then(|l| l.strip_prefix("SPRITES_EMULATOR_URL=").map(str::to_string))
        })
        .expect("url line");
    let http = http_client();
    let resp = http
        .post(format!("{url}/v1/sprites"))
        .bearer_auth("t")
        .json(&serde_json::json!({"name": "big"}))
        .send()
        .await
        .expect("create");
    assert_eq!(resp.status(), 201);
    let ws_url = format!(
        "{}/v1/sprites/big/exec?cmd=head&cmd=-c&cmd=1G&cmd=/dev/zero",
        url.replacen("http", "ws", 1)
    );
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(ws_url)
            .expect("req");
    req.headers_mut()
        .insert("authorization", "Bearer t".parse().expect("h"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    let started = Instant::now();
    let mut received: u64 = 0;
    let mut since_pause: u64 = 0;
    let mut peak_sample = 0u64;
    let mut exit = None;
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(120), ws.next())
        .await
        .expect("in time")
    {
        match msg.expect("frame") {
            Message::Binary(b) if b.first() == Some(&1) => {
                received += b.len() as u64 - 1;
                since_pause += b.len() as u64;
                // The slow reader: about 100 MiB/s at most.
                if since_pause >= 1 << 20 {
                    since_pause = 0;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    peak_sample = peak_sample.max(rss_kib(pid).1);
                }
            }
            Message::Binary(b) if b.first() == Some(&3) => exit = b.get(1).copied(),
            Message::Close(_) => break,
            _ => {}
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let (hwm, now) = rss_kib(pid);
    println!(
        "flow control: {} MiB in {secs:.1} s ({:.0} MiB/s), emulator RSS peak {} KiB (VmHWM), max sampled {} KiB, at end {} KiB",
        received >> 20,
        (received >> 20) as f64 / secs,
        hwm,
        peak_sample,
        now
    );
    assert_eq!(received, 1 << 30);
    assert_eq!(exit, Some(0));
    assert!(hwm < 64 * 1024, "peak RSS {hwm} KiB exceeds 64 MiB");
}

async fn checkpoint_bench(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    // Relative paths: the plain level runs in the sprite's home directory on the host.
    let script = "import os\nos.makedirs('data', exist_ok=True)\nfor i in range(2000):\n    open(f'data/f{i}', 'wb').write(os.urandom(52429))\n";
    let resp = env
        .req(
            Method::PUT,
            "/v1/sprites/s/fs/write?path=/home/sprite/gen.py",
        )
        .body(script)
        .send()
        .await
        .expect("write");
    assert_eq!(resp.status(), 200);
    let mut ws = env.exec("s", &cmd(&["/usr/bin/python3", "gen.py"])).await;
    let run = collect(&mut ws).await;
    assert_eq!(run.exit_code(), Some(0), "{}", run.stderr());
    let t = Instant::now();
    let (status, lines) = env.ndjson(Method::POST, "/v1/sprites/s/checkpoint").await;
    let create = t.elapsed();
    assert_eq!(
        (status, lines.last().map(|l| l["type"].clone())),
        (200, Some("complete".into()))
    );
    let t = Instant::now();
    let (status, lines) = env
        .ndjson(Method::POST, "/v1/sprites/s/checkpoints/v1/restore")
        .await;
    let restore = t.elapsed();
    assert_eq!(
        (status, lines.last().map(|l| l["type"].clone())),
        (200, Some("complete".into()))
    );
    let mut ws = env
        .exec(
            "s",
            &cmd(&["sh", "-c", "ls data | wc -l; du -sm data | cut -f1"]),
        )
        .await;
    let run = collect(&mut ws).await;
    println!(
        "checkpoint ({:?}): 100 MiB in 2000 files: create {:.0} ms, restore {:.0} ms; after restore: {}",
        level,
        create.as_secs_f64() * 1000.0,
        restore.as_secs_f64() * 1000.0,
        run.stdout().replace('\n', " ")
    );
    env.emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: writes 100 MiB"]
async fn checkpoint_of_100_mib_in_2000_files_overlay() {
    checkpoint_bench(IsolationChoice::Overlay).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: writes 100 MiB"]
async fn checkpoint_of_100_mib_in_2000_files_plain() {
    checkpoint_bench(IsolationChoice::Plain).await;
}
