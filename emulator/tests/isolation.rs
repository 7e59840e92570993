//! The overlay isolation level (issue item 4): own root, PID namespace, cgroup, `/dev`.
//! The plain level is exercised by every `plain::` test of the other files.

mod common;

use common::*;
use reqwest::Method;
use sprites_emulator::IsolationChoice::Overlay;

async fn sh(env: &Env, script: &str) -> Run {
    let mut ws = env.exec("s", &cmd(&["sh", "-c", script])).await;
    collect(&mut ws).await
}

#[tokio::test]
async fn health_reports_the_overlay_level() {
    let env = start(Overlay).await;
    let (_, body) = env.json(Method::GET, "/_emulator/health", None).await;
    assert_eq!(body["isolation"], "overlay");
    env.emu.shutdown().await;
}

#[tokio::test]
async fn writes_outside_home_stay_in_the_sprite() {
    let env = start(Overlay).await;
    env.create_sprite("s").await;
    let marker = format!("/etc/sprites-emu-marker-{}", std::process::id());
    let run = sh(&env, &format!("echo inside > {marker} && cat {marker}")).await;
    assert_eq!(run.stdout(), "inside\n");
    assert!(
        !std::path::Path::new(&marker).exists(),
        "the host's /etc must be untouched"
    );
    env.emu.shutdown().await;
}

#[tokio::test]
async fn sprites_do_not_see_each_others_files() {
    let env = start(Overlay).await;
    env.create_sprite("s").await;
    env.create_sprite("t").await;
    sh(&env, "echo mine > /home/sprite/private").await;
    let mut ws = env
        .exec(
            "t",
            &cmd(&["sh", "-c", "cat /home/sprite/private || echo absent"]),
        )
        .await;
    let run = collect(&mut ws).await;
    assert!(run.stdout().contains("absent"), "{run:?}");
    env.emu.shutdown().await;
}

#[tokio::test]
async fn processes_run_in_their_own_pid_namespace() {
    let env = start(Overlay).await;
    env.create_sprite("s").await;
    let run = sh(&env, "ls /proc | grep -c '^[0-9]'").await;
    let visible: u32 = run.stdout().trim().parse().expect("count");
    assert!(
        visible < 20,
        "saw {visible} processes: the host's are visible"
    );
    env.emu.shutdown().await;
}

#[tokio::test]
async fn processes_are_in_the_sprite_cgroup() {
    let env = start(Overlay).await;
    env.create_sprite("s").await;
    let run = sh(&env, "cat /proc/self/cgroup").await;
    assert!(run.stdout().contains("/sprites-emu-"), "{}", run.stdout());
    env.emu.shutdown().await;
}

#[tokio::test]
async fn deleting_dev_nodes_in_a_sprite_leaves_the_host_alone() {
    let env = start(Overlay).await;
    env.create_sprite("s").await;
    let run = sh(&env, "rm -f /dev/null /dev/zero; ls /dev").await;
    assert!(!run.stdout().contains("null\n"), "{}", run.stdout());
    assert!(std::path::Path::new("/dev/null").exists());
    assert!(std::path::Path::new("/dev/zero").exists());
    let (status, _) = env
        .json(
            Method::DELETE,
            "/v1/sprites/s/fs/delete?path=/dev&recursive=true",
            None,
        )
        .await;
    assert_ne!(
        status, 200,
        "a mount point is never deleted through the fs API"
    );
    assert!(std::path::Path::new("/dev/null").exists());
    env.emu.shutdown().await;
}

#[tokio::test]
async fn background_processes_die_with_the_sprite() {
    let env = start(Overlay).await;
    env.create_sprite("s").await;
    // A duration no other process on the machine uses, so that `pgrep` sees only ours.
    let marker = format!("sleep 299.{}", std::process::id());
    let run = sh(
        &env,
        &format!("setsid {marker} > /dev/null 2>&1 & echo started"),
    )
    .await;
    assert_eq!(run.stdout(), "started\n");
    let resp = env
        .req(Method::DELETE, "/v1/sprites/s")
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 204);
    // SIGKILL is delivered before the answer; give the kernel a bounded moment to finish
    // tearing the process down.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let survivors = loop {
        let out = std::process::Command::new("pgrep")
            .args(["-f", &format!("^{marker}$")])
            .output()
            .expect("pgrep");
        if out.stdout.is_empty() || std::time::Instant::now() >= deadline {
            break out.stdout;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        survivors.is_empty(),
        "a detached process survived: {:?}",
        String::from_utf8_lossy(&survivors)
    );
    env.emu.shutdown().await;
}
