//! Filesystem routes (spec §11), including hostile paths and planted symlinks.

mod common;

use common::*;
use reqwest::Method;
use sprites_emulator::IsolationChoice;

both_levels!(
    write_then_read_round_trips,
    written_file_is_visible_to_exec,
    write_sets_mode_and_creates_parents,
    list_directory_and_stat_file,
    missing_path_is_404_enoent,
    delete_non_empty_dir_needs_recursive,
    rename_copy_chmod_work,
    dotdot_cannot_escape_the_sprite,
    planted_absolute_symlink_stays_inside,
    planted_relative_symlink_chain_stays_inside,
);

async fn write(env: &Env, path: &str, body: &'static [u8]) -> (u16, serde_json::Value) {
    let resp = env
        .req(
            Method::PUT,
            &format!("/v1/sprites/s/fs/write?path={}", urlencode(path)),
        )
        .body(body)
        .send()
        .await
        .expect("write");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

async fn read(env: &Env, path: &str) -> (u16, Vec<u8>) {
    let resp = env
        .req(
            Method::GET,
            &format!("/v1/sprites/s/fs/read?path={}", urlencode(path)),
        )
        .send()
        .await
        .expect("read");
    let status = resp.status().as_u16();
    (status, resp.bytes().await.expect("bytes").to_vec())
}

async fn sh(env: &Env, script: &str) -> Run {
    let mut ws = env.exec("s", &cmd(&["sh", "-c", script])).await;
    collect(&mut ws).await
}

async fn write_then_read_round_trips(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (status, body) = write(&env, "/home/sprite/a.txt", b"hello").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["path"], "/home/sprite/a.txt");
    assert_eq!(body["size"], 5);
    assert_eq!(
        read(&env, "/home/sprite/a.txt").await,
        (200, b"hello".to_vec())
    );
    env.emu.shutdown().await;
}

async fn written_file_is_visible_to_exec(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    write(&env, "/home/sprite/note", b"from-fs").await;
    let run = sh(&env, "cat note").await;
    assert_eq!(run.stdout(), "from-fs");
    env.emu.shutdown().await;
}

async fn write_sets_mode_and_creates_parents(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let resp = env
        .req(
            Method::PUT,
            "/v1/sprites/s/fs/write?path=/home/sprite/x/y/run.sh&mode=0755&mkdirParents=true",
        )
        .body("#!/bin/sh\necho ran\n")
        .send()
        .await
        .expect("write");
    assert_eq!(resp.status(), 200);
    let run = sh(&env, "./x/y/run.sh").await;
    assert_eq!(run.stdout(), "ran\n");
    env.emu.shutdown().await;
}

async fn list_directory_and_stat_file(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    write(&env, "/home/sprite/d/f1", b"1").await;
    write(&env, "/home/sprite/d/f2", b"22").await;
    let (status, body) = env
        .json(
            Method::GET,
            "/v1/sprites/s/fs/list?path=/home/sprite/d",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 2);
    assert_eq!(body["entries"][1]["name"], "f2");
    assert_eq!(body["entries"][1]["path"], "/home/sprite/d/f2");
    assert_eq!(body["entries"][1]["size"], 2);
    assert_eq!(body["entries"][1]["type"], "file");
    assert_eq!(body["entries"][1]["isDir"], false);
    let (_, stat) = env
        .json(
            Method::GET,
            "/v1/sprites/s/fs/list?path=f1&workingDir=/home/sprite/d",
            None,
        )
        .await;
    assert_eq!(stat["entries"][0]["path"], "/home/sprite/d/f1");
    assert_eq!(stat["entries"][0]["mode"], "644");
    env.emu.shutdown().await;
}

async fn missing_path_is_404_enoent(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (status, body) = env
        .json(
            Method::GET,
            "/v1/sprites/s/fs/read?path=/home/sprite/none",
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "ENOENT");
    assert_eq!(body["path"], "/home/sprite/none");
    env.emu.shutdown().await;
}

async fn delete_non_empty_dir_needs_recursive(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    write(&env, "/home/sprite/d/f", b"x").await;
    let (status, body) = env
        .json(
            Method::DELETE,
            "/v1/sprites/s/fs/delete?path=/home/sprite/d",
            None,
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "ENOTEMPTY");
    let (status, body) = env
        .json(
            Method::DELETE,
            "/v1/sprites/s/fs/delete?path=/home/sprite/d&recursive=true",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 2);
    assert_eq!(read(&env, "/home/sprite/d/f").await.0, 404);
    env.emu.shutdown().await;
}

async fn rename_copy_chmod_work(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    write(&env, "/home/sprite/a", b"data").await;
    let (status, body) = env
        .json(
            Method::POST,
            "/v1/sprites/s/fs/rename",
            Some(serde_json::json!({"source": "a", "dest": "b", "workingDir": "/home/sprite"})),
        )
        .await;
    assert_eq!(
        (status, body["dest"].as_str()),
        (200, Some("/home/sprite/b"))
    );
    let (status, body) = env
        .json(Method::POST, "/v1/sprites/s/fs/copy", Some(serde_json::json!({"source": "/home/sprite/b", "dest": "/home/sprite/c", "recursive": true})))
        .await;
    assert_eq!((status, body["totalBytes"].as_u64()), (200, Some(4)));
    let (status, body) = env
        .json(
            Method::POST,
            "/v1/sprites/s/fs/chmod",
            Some(serde_json::json!({"path": "/home/sprite/c", "mode": "0600"})),
        )
        .await;
    assert_eq!(
        (status, body["affected"][0]["mode"].as_str()),
        (200, Some("0600"))
    );
    assert_eq!(sh(&env, "stat -c %a c; cat b").await.stdout(), "600\ndata");
    env.emu.shutdown().await;
}

async fn dotdot_cannot_escape_the_sprite(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let marker = format!("escape-{}", std::process::id());
    let (status, body) = write(
        &env,
        &format!("/home/sprite/../../../../../tmp/{marker}"),
        b"x",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["path"], format!("/tmp/{marker}"));
    assert!(
        !std::path::Path::new(&format!("/tmp/{marker}")).exists(),
        "host /tmp must be untouched"
    );
    env.emu.shutdown().await;
}

async fn planted_absolute_symlink_stays_inside(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let host_dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(host_dir.path().join("secret"), "host-secret").expect("write");
    let target = host_dir.path().display().to_string();
    sh(&env, &format!("ln -s {target} /home/sprite/evil")).await;
    if level == IsolationChoice::Plain {
        // The overlay level shows the host's root read-only by design; the plain level
        // shows nothing of the host.
        let (status, _) = read(&env, "/home/sprite/evil/secret").await;
        assert_eq!(status, 404, "the symlink must resolve inside the sprite");
    }
    let (status, _) = write(&env, "/home/sprite/evil/planted", b"x").await;
    assert!(
        !host_dir.path().join("planted").exists(),
        "status {status}: wrote through a symlink to the host"
    );
    env.emu.shutdown().await;
}

async fn planted_relative_symlink_chain_stays_inside(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let host_dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(host_dir.path().join("secret"), "host-secret").expect("write");
    let rel = host_dir.path().display().to_string();
    sh(
        &env,
        "ln -s ../../../../../../../.. /home/sprite/up && ln -s up/up /home/sprite/up2",
    )
    .await;
    if level == IsolationChoice::Plain {
        let (status, _) = read(&env, &format!("/home/sprite/up2{rel}/secret")).await;
        assert_eq!(status, 404, "the chain must stop at the sprite's root");
    }
    let (status, _) = write(&env, &format!("/home/sprite/up2{rel}/planted"), b"x").await;
    assert!(
        !host_dir.path().join("planted").exists(),
        "status {status}: wrote through a chain to the host"
    );
    env.emu.shutdown().await;
}

#[tokio::test]
async fn chown_changes_owner_recursively() {
    let env = start(IsolationChoice::Plain).await;
    env.create_sprite("s").await;
    write(&env, "/home/sprite/own/a", b"x").await;
    let (status, body) = env
        .json(Method::POST, "/v1/sprites/s/fs/chown", Some(serde_json::json!({"path": "/home/sprite/own", "uid": 1234, "gid": 4321, "recursive": true})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 2);
    assert_eq!(body["affected"][0]["uid"], 1234);
    let meta = std::fs::metadata(env.emu.data_dir().join("sprites/s/root/home/sprite/own/a"))
        .expect("meta");
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 1234);
    assert_eq!(std::os::unix::fs::MetadataExt::gid(&meta), 4321);
    env.emu.shutdown().await;
}
