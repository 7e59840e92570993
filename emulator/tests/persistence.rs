//! Persistence (issue item 11): sprites, files, checkpoints and services survive a restart
//! with the same data directory.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;
use sprites_emulator::{Emulator, IsolationChoice};

both_levels!(state_survives_a_restart);

async fn state_survives_a_restart(level: IsolationChoice) {
    let dir = tempfile::tempdir().expect("tempdir");
    let builder = || {
        Emulator::builder()
            .isolation(level)
            .data_dir(dir.path())
            .token("t")
    };
    let env = start_with(builder()).await;
    env.create_sprite("keep").await;
    let resp = env
        .req(Method::PUT, "/v1/sprites/keep/fs/write?path=/home/sprite/f")
        .body("persisted")
        .send()
        .await
        .expect("write");
    assert_eq!(resp.status(), 200);
    env.ndjson(Method::POST, "/v1/sprites/keep/checkpoint")
        .await;
    let resp = env
        .req(Method::PUT, "/v1/sprites/keep/services/svc?duration=0s")
        .json(&json!({"cmd": "sleep", "args": ["30"]}))
        .send()
        .await
        .expect("service");
    assert_eq!(resp.status(), 200);
    resp.text().await.expect("body");
    env.emu.shutdown().await;

    let env = start_with(builder()).await;
    let (status, body) = env.json(Method::GET, "/v1/sprites/keep", None).await;
    assert_eq!(status, 200, "{body}");
    let resp = env
        .req(Method::GET, "/v1/sprites/keep/fs/read?path=/home/sprite/f")
        .send()
        .await
        .expect("read");
    assert_eq!(resp.text().await.expect("text"), "persisted");
    let (_, cps) = env
        .json(Method::GET, "/v1/sprites/keep/checkpoints", None)
        .await;
    let ids: Vec<&str> = cps
        .as_array()
        .expect("arr")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, ["Current", "v1", "v0"]);
    eventually("service running again", || async {
        let (_, s) = env
            .json(Method::GET, "/v1/sprites/keep/services/svc", None)
            .await;
        s["state"]["status"] == "running"
    })
    .await;
    env.emu.shutdown().await;
}
