//! Exec over WebSocket (spec §5): frames, order, exit codes, stdin, env, dir, signals, TTY.

mod common;

use common::*;
use serde_json::json;
use sprites_emulator::IsolationChoice;

both_levels!(
    frames_arrive_in_spec_order,
    nonzero_exit_code_is_reported,
    stderr_has_its_own_stream,
    stdin_reaches_the_process_until_eof,
    env_replaces_the_environment,
    dir_sets_the_working_directory,
    default_directory_is_home_sprite,
    signal_death_exits_128_plus_n,
    in_band_signal_reaches_the_process,
    tty_runs_on_a_real_terminal,
    tty_resize_changes_the_terminal_size,
    head_exec_reports_sprite_version,
    unknown_sprite_is_404_before_upgrade,
    late_stdin_after_exit_keeps_the_socket,
    missing_command_exits_127,
);

async fn frames_arrive_in_spec_order(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (mut ws, headers) = env
        .ws(&format!(
            "/v1/sprites/s/exec?{}",
            cmd(&["sh", "-c", "echo hello"])
        ))
        .await;
    assert_eq!(
        headers
            .get("x-sprite-capabilities")
            .map(|v| v.to_str().ok()),
        Some(Some("signal"))
    );
    let run = collect(&mut ws).await;
    let ev = &run.events;
    assert!(
        matches!(&ev[0], Ev::Text(v) if v["type"] == "session_info" && v["is_owner"] == true && v["tty"] == false)
    );
    let n = ev.len();
    assert_eq!(ev[n - 1], Ev::Close(Some(1000)));
    assert_eq!(ev[n - 2], Ev::Binary(vec![3, 0]));
    assert!(matches!(&ev[n - 3], Ev::Text(v) if v["type"] == "exit" && v["exit_code"] == 0));
    assert_eq!(run.stdout(), "hello\n");
    let sid = ev[0].clone();
    let Ev::Text(info) = sid else { unreachable!() };
    assert!(info["session_id"]
        .as_str()
        .is_some_and(|s| s.parse::<u32>().is_ok()));
    env.emu.shutdown().await;
}

async fn nonzero_exit_code_is_reported(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env.exec("s", &cmd(&["sh", "-c", "exit 7"])).await;
    let run = collect(&mut ws).await;
    assert_eq!(run.exit_code(), Some(7));
    assert_eq!(run.stream(3), vec![7]);
    env.emu.shutdown().await;
}

async fn stderr_has_its_own_stream(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec("s", &cmd(&["sh", "-c", "echo out; echo err >&2"]))
        .await;
    let run = collect(&mut ws).await;
    assert_eq!(run.stdout(), "out\n");
    assert_eq!(run.stderr(), "err\n");
    env.emu.shutdown().await;
}

async fn stdin_reaches_the_process_until_eof(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec("s", &format!("{}&stdin=true", cmd(&["cat"])))
        .await;
    send_stdin(&mut ws, b"ping\n").await;
    send_stdin(&mut ws, b"pong").await;
    send_eof(&mut ws).await;
    let run = collect(&mut ws).await;
    assert_eq!(run.stdout(), "ping\npong");
    assert_eq!(run.exit_code(), Some(0));
    env.emu.shutdown().await;
}

async fn env_replaces_the_environment(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let q = format!(
        "{}&env=FOO%3Dbar&env=PATH%3D%2Fusr%2Fbin%3A%2Fbin",
        cmd(&["env"])
    );
    let mut ws = env.exec("s", &q).await;
    let run = collect(&mut ws).await;
    let mut lines: Vec<&str> = run.stdout().leak().lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["FOO=bar", "PATH=/usr/bin:/bin"]);
    env.emu.shutdown().await;
}

async fn dir_sets_the_working_directory(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec("s", &format!("{}&dir=%2Ftmp", cmd(&["pwd"])))
        .await;
    let run = collect(&mut ws).await;
    assert_eq!(run.stdout(), "/tmp\n");
    env.emu.shutdown().await;
}

async fn default_directory_is_home_sprite(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env.exec("s", &cmd(&["pwd"])).await;
    let run = collect(&mut ws).await;
    assert!(
        run.stdout().trim_end().ends_with("/home/sprite"),
        "{}",
        run.stdout()
    );
    env.emu.shutdown().await;
}

async fn signal_death_exits_128_plus_n(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env.exec("s", &cmd(&["sh", "-c", "kill -TERM $$"])).await;
    let run = collect(&mut ws).await;
    assert_eq!(run.exit_code(), Some(143));
    assert_eq!(run.stream(3), vec![143]);
    env.emu.shutdown().await;
}

async fn in_band_signal_reaches_the_process(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec(
            "s",
            &cmd(&[
                "sh",
                "-c",
                "trap 'echo got-usr1; exit 3' USR1; echo ready; while :; do sleep 0.05; done",
            ]),
        )
        .await;
    until_output(&mut ws, "ready").await;
    send_text(&mut ws, json!({"type": "signal", "signal": "SIGUSR1"})).await;
    let run = collect(&mut ws).await;
    assert!(run.stdout().contains("got-usr1"), "{run:?}");
    assert_eq!(run.exit_code(), Some(3));
    env.emu.shutdown().await;
}

async fn tty_runs_on_a_real_terminal(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env
        .exec(
            "s",
            &format!(
                "{}&tty=true",
                cmd(&["sh", "-c", "tty; echo term=$TERM; exit 5"])
            ),
        )
        .await;
    let run = collect(&mut ws).await;
    assert!(
        matches!(&run.events[0], Ev::Text(v) if v["type"] == "session_info" && v["tty"] == true)
    );
    assert!(run.raw().contains("/dev/pts/"), "{}", run.raw());
    assert!(run.raw().contains("term=xterm-256color"), "{}", run.raw());
    assert_eq!(run.exit_code(), Some(5));
    assert!(
        !run.events
            .iter()
            .any(|e| matches!(e, Ev::Binary(b) if b == &vec![3u8, 5])),
        "no binary exit frame in TTY mode"
    );
    env.emu.shutdown().await;
}

async fn tty_resize_changes_the_terminal_size(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let q = format!(
        "{}&tty=true&rows=30&cols=100",
        cmd(&["sh", "-c", "stty size; read x; stty size"])
    );
    let mut ws = env.exec("s", &q).await;
    until_output(&mut ws, "30 100").await;
    send_text(&mut ws, json!({"type": "resize", "cols": 120, "rows": 40})).await;
    ws_send_raw(&mut ws, b"\n").await;
    let run = collect(&mut ws).await;
    assert!(run.raw().contains("40 120"), "{}", run.raw());
    env.emu.shutdown().await;
}

async fn ws_send_raw(ws: &mut Ws, data: &[u8]) {
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::Binary(
        data.to_vec().into(),
    ))
    .await
    .expect("send");
}

async fn head_exec_reports_sprite_version(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let resp = env
        .req(reqwest::Method::HEAD, "/v1/sprites/s/exec")
        .send()
        .await
        .expect("head");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["sprite-version"],
        sprites_emulator::SPRITE_VERSION
    );
    env.emu.shutdown().await;
}

async fn unknown_sprite_is_404_before_upgrade(level: IsolationChoice) {
    let env = start(level).await;
    let url = format!(
        "{}/v1/sprites/nope/exec?cmd=true",
        env.emu.base_url().replacen("http", "ws", 1)
    );
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .expect("req");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", env.emu.token()).parse().expect("h"),
    );
    let err = tokio_tungstenite::connect_async(req)
        .await
        .expect_err("no upgrade");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 404),
        other => panic!("unexpected {other}"),
    }
    env.emu.shutdown().await;
}

async fn late_stdin_after_exit_keeps_the_socket(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    for _ in 0..5 {
        let mut ws = env.exec("s", &cmd(&["true"])).await;
        until_text(&mut ws, "exit").await;
        send_stdin(&mut ws, b"late").await;
        send_eof(&mut ws).await;
        let run = collect(&mut ws).await;
        assert_eq!(run.events.last(), Some(&Ev::Close(Some(1000))), "{run:?}");
    }
    env.emu.shutdown().await;
}

async fn missing_command_exits_127(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let mut ws = env.exec("s", &cmd(&["no-such-command-here"])).await;
    let run = collect(&mut ws).await;
    assert_eq!(run.exit_code(), Some(127));
    assert!(
        run.stderr().contains("no-such-command-here"),
        "{}",
        run.stderr()
    );
    env.emu.shutdown().await;
}
