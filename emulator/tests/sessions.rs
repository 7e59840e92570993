//! Sessions (spec §5.6–5.12): list, attach (path and legacy form), scrollback, kill,
//! max_run_after_disconnect.

mod common;

use common::*;
use reqwest::Method;
use sprites_emulator::IsolationChoice;

both_levels!(
    running_session_is_listed_in_live_shape,
    attach_by_path_replays_scrollback_then_live_output,
    attach_by_legacy_id_query_works,
    attach_to_unknown_session_is_404,
    kill_streams_signal_exited_complete,
    kill_unknown_session_is_404_and_exited_is_410,
    kill_escalates_to_sigkill_after_timeout,
    non_tty_session_dies_after_max_run_after_disconnect,
    tty_session_survives_disconnect,
);

async fn session_id(ws: &mut Ws) -> String {
    let run = until_text(ws, "session_info").await;
    run.texts("session_info")[0]["session_id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn running_session_is_listed_in_live_shape(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env.exec("s", &cmd(&["sleep", "30"])).await;
    let id = session_id(&mut ws).await;
    let (status, body) = env.json(Method::GET, "/v1/sprites/s/exec", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 1);
    let s = &body["sessions"][0];
    assert_eq!(s["id"], id.as_str());
    assert_eq!(s["command"], "sleep 30");
    assert_eq!(s["tty"], false);
    assert!(s["created"].as_str().is_some_and(|c| c.ends_with('Z')));
    env.emu.shutdown().await;
}

async fn attach_by_path_replays_scrollback_then_live_output(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let q = format!(
        "{}&stdin=true",
        cmd(&["sh", "-c", "echo first; read x; echo second-$x"])
    );
    let mut owner = env.exec("s", &q).await;
    let id = session_id(&mut owner).await;
    until_output(&mut owner, "first").await;
    let (mut second, _) = env.ws(&format!("/v1/sprites/s/exec/{id}")).await;
    let head = until_output(&mut second, "first").await;
    let info = &head.texts("session_info")[0];
    assert_eq!(info["is_owner"], false);
    assert_eq!(info["session_id"], id.as_str());
    send_stdin(&mut owner, b"go\n").await;
    let rest = collect(&mut second).await;
    assert!(rest.stdout().contains("second-go"), "{rest:?}");
    assert_eq!(rest.exit_code(), Some(0));
    env.emu.shutdown().await;
}

async fn attach_by_legacy_id_query_works(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut owner = env
        .exec("s", &cmd(&["sh", "-c", "echo hi; sleep 30"]))
        .await;
    let id = session_id(&mut owner).await;
    until_output(&mut owner, "hi").await;
    let (mut second, _) = env.ws(&format!("/v1/sprites/s/exec?id={id}")).await;
    let run = until_output(&mut second, "hi").await;
    assert_eq!(run.texts("session_info")[0]["session_id"], id.as_str());
    env.emu.shutdown().await;
}

async fn attach_to_unknown_session_is_404(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (status, body) = env
        .json(Method::GET, "/v1/sprites/s/exec/999999", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "session not found: 999999");
    env.emu.shutdown().await;
}

async fn kill_streams_signal_exited_complete(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env.exec("s", &cmd(&["sleep", "30"])).await;
    let id = session_id(&mut ws).await;
    let (status, lines) = env
        .ndjson(
            Method::POST,
            &format!("/v1/sprites/s/exec/{id}/kill?signal=TERM&timeout=10s"),
        )
        .await;
    assert_eq!(status, 200);
    let types: Vec<&str> = lines
        .iter()
        .map(|l| l["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(types, ["signal", "exited", "complete"]);
    assert_eq!(lines[0]["signal"], "SIGTERM");
    assert_eq!(lines[2]["exit_code"], 143);
    let run = collect(&mut ws).await;
    assert_eq!(run.exit_code(), Some(143));
    env.emu.shutdown().await;
}

async fn kill_unknown_session_is_404_and_exited_is_410(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (status, _) = env
        .json(Method::POST, "/v1/sprites/s/exec/999999/kill", None)
        .await;
    assert_eq!(status, 404);
    let mut ws = env.exec("s", &cmd(&["true"])).await;
    let id = session_id(&mut ws).await;
    collect(&mut ws).await;
    let (status, _) = env
        .json(Method::POST, &format!("/v1/sprites/s/exec/{id}/kill"), None)
        .await;
    assert_eq!(status, 410);
    env.emu.shutdown().await;
}

async fn kill_escalates_to_sigkill_after_timeout(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec(
            "s",
            &cmd(&[
                "sh",
                "-c",
                "trap '' TERM; echo armed; while :; do sleep 0.05; done",
            ]),
        )
        .await;
    let id = session_id(&mut ws).await;
    until_output(&mut ws, "armed").await;
    let (_, lines) = env
        .ndjson(
            Method::POST,
            &format!("/v1/sprites/s/exec/{id}/kill?timeout=200ms"),
        )
        .await;
    let types: Vec<&str> = lines
        .iter()
        .map(|l| l["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(types, ["signal", "timeout", "killed", "complete"]);
    assert_eq!(lines[3]["exit_code"], 137);
    env.emu.shutdown().await;
}

async fn non_tty_session_dies_after_max_run_after_disconnect(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec(
            "s",
            &format!("{}&max_run_after_disconnect=100ms", cmd(&["sleep", "30"])),
        )
        .await;
    session_id(&mut ws).await;
    drop(ws);
    eventually("session to end", || async {
        let (_, body) = env.json(Method::GET, "/v1/sprites/s/exec", None).await;
        body["count"] == 0
    })
    .await;
    env.emu.shutdown().await;
}

async fn tty_session_survives_disconnect(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec(
            "s",
            &format!(
                "{}&tty=true",
                cmd(&["sh", "-c", "echo up; read x; echo got-$x"])
            ),
        )
        .await;
    let id = session_id(&mut ws).await;
    until_output(&mut ws, "up").await;
    drop(ws);
    let (mut again, _) = env.ws(&format!("/v1/sprites/s/exec/{id}")).await;
    until_text(&mut again, "session_info").await;
    futures_util::SinkExt::send(
        &mut again,
        tokio_tungstenite::tungstenite::Message::Binary(b"back\n".to_vec().into()),
    )
    .await
    .expect("send");
    let run = collect(&mut again).await;
    assert!(run.raw().contains("got-back"), "{}", run.raw());
    env.emu.shutdown().await;
}
