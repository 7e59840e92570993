//! Checkpoints (spec §8, §13.5): ids, list order, live create, restore, delete.

mod common;

use common::*;
use reqwest::Method;
use sprites_emulator::IsolationChoice;

both_levels!(
    v0_exists_from_creation,
    create_streams_live_lines_and_allocates_v1,
    list_is_newest_first_with_current_on_top,
    restore_undoes_a_file_change,
    restore_ends_running_sessions,
    restore_of_unknown_id_is_an_error_line,
    ids_are_never_reused_after_delete,
    current_checkpoint_cannot_be_deleted,
    create_does_not_interrupt_running_processes,
);

async fn sh(env: &Env, script: &str) -> Run {
    let mut ws = env.exec("s", &cmd(&["sh", "-c", script])).await;
    collect(&mut ws).await
}

async fn checkpoint(env: &Env, comment: &str) -> Vec<serde_json::Value> {
    let resp = env
        .req(Method::POST, "/v1/sprites/s/checkpoint")
        .json(&serde_json::json!({"comment": comment}))
        .send()
        .await
        .expect("checkpoint");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    resp.text()
        .await
        .expect("body")
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect()
}

async fn v0_exists_from_creation(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (status, body) = env
        .json(Method::GET, "/v1/sprites/s/checkpoints/v0", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], "v0");
    assert_eq!(body["is_auto"], false);
    env.emu.shutdown().await;
}

async fn create_streams_live_lines_and_allocates_v1(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let lines = checkpoint(&env, "first").await;
    assert_eq!(lines[0]["data"], "Creating checkpoint...");
    assert!(lines.iter().any(|l| l["data"] == "  ID: v1"));
    let last = lines.last().expect("lines");
    assert_eq!(last["type"], "complete");
    assert_eq!(last["data"], "Checkpoint v1 created successfully");
    env.emu.shutdown().await;
}

async fn list_is_newest_first_with_current_on_top(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    checkpoint(&env, "one").await;
    checkpoint(&env, "two").await;
    let (status, body) = env
        .json(Method::GET, "/v1/sprites/s/checkpoints", None)
        .await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = body
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, ["Current", "v2", "v1", "v0"]);
    assert_eq!(body[1]["comment"], "two");
    env.emu.shutdown().await;
}

async fn restore_undoes_a_file_change(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    sh(&env, "echo before > f; echo keep > g").await;
    checkpoint(&env, "base").await;
    sh(&env, "echo after > f; rm g; echo new > h").await;
    let (status, lines) = env
        .ndjson(Method::POST, "/v1/sprites/s/checkpoints/v1/restore")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        lines.last().expect("line")["data"],
        "Restore from v1 complete"
    );
    let run = sh(&env, "cat f g; ls h 2>/dev/null || echo no-h").await;
    assert_eq!(run.stdout(), "before\nkeep\nno-h\n");
    env.emu.shutdown().await;
}

async fn restore_ends_running_sessions(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec("s", &format!("{}&tty=true", cmd(&["sleep", "60"])))
        .await;
    until_text(&mut ws, "session_info").await;
    let (_, lines) = env
        .ndjson(Method::POST, "/v1/sprites/s/checkpoints/v0/restore")
        .await;
    assert_eq!(lines.last().expect("line")["type"], "complete");
    let run = collect(&mut ws).await;
    assert!(
        run.exit_code().is_some(),
        "attached socket sees the end: {run:?}"
    );
    let (_, body) = env.json(Method::GET, "/v1/sprites/s/exec", None).await;
    assert_eq!(body["count"], 0);
    env.emu.shutdown().await;
}

async fn restore_of_unknown_id_is_an_error_line(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (status, lines) = env
        .ndjson(
            Method::POST,
            "/v1/sprites/s/checkpoints/nonexistent/restore",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(lines[0]["data"], "Restoring from checkpoint nonexistent...");
    assert_eq!(lines[1]["type"], "error");
    assert!(lines[1]["error"]
        .as_str()
        .is_some_and(|e| e.contains("not found")));
    env.emu.shutdown().await;
}

async fn ids_are_never_reused_after_delete(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    checkpoint(&env, "a").await;
    let resp = env
        .req(Method::DELETE, "/v1/sprites/s/checkpoints/v1")
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 204);
    let lines = checkpoint(&env, "b").await;
    assert_eq!(
        lines.last().expect("line")["data"],
        "Checkpoint v2 created successfully"
    );
    let (status, _) = env
        .json(Method::GET, "/v1/sprites/s/checkpoints/v1", None)
        .await;
    assert_eq!(status, 404);
    env.emu.shutdown().await;
}

async fn current_checkpoint_cannot_be_deleted(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let resp = env
        .req(Method::DELETE, "/v1/sprites/s/checkpoints/v0")
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 409);
    env.emu.shutdown().await;
}

async fn create_does_not_interrupt_running_processes(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let q = format!(
        "{}&stdin=true",
        cmd(&["sh", "-c", "echo started; read x; echo still-$x"])
    );
    let mut ws = env.exec("s", &q).await;
    until_output(&mut ws, "started").await;
    checkpoint(&env, "live").await;
    send_stdin(&mut ws, b"alive\n").await;
    let run = collect(&mut ws).await;
    assert!(run.stdout().contains("still-alive"));
    assert_eq!(run.exit_code(), Some(0));
    env.emu.shutdown().await;
}
