//! Services (spec §9, §13.6) and network policy (§10).

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;
use sprites_emulator::IsolationChoice;

both_levels!(
    create_streams_started_output_complete,
    running_service_has_state_and_log_file,
    second_http_port_is_409,
    crashing_service_is_restarted_with_backoff,
    stop_streams_stopping_stopped_and_is_sticky,
    signal_unknown_and_invalid_are_rejected,
    delete_removes_the_definition,
    services_come_back_after_restore,
    network_policy_is_stored_and_validated,
);

async fn put_service(
    env: &Env,
    name: &str,
    body: serde_json::Value,
    duration: &str,
) -> (u16, Vec<serde_json::Value>) {
    let resp = env
        .req(
            Method::PUT,
            &format!("/v1/sprites/s/services/{name}?duration={duration}"),
        )
        .json(&body)
        .send()
        .await
        .expect("put");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let lines = if status == 200 {
        text.lines()
            .map(|l| serde_json::from_str(l).expect("line"))
            .collect()
    } else {
        vec![serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))]
    };
    (status, lines)
}

fn types(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["type"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn create_streams_started_output_complete(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (status, lines) = put_service(
        &env,
        "web",
        json!({"cmd": "sh", "args": ["-c", "echo hello; sleep 30"]}),
        "3s",
    )
    .await;
    assert_eq!(status, 200);
    let t = types(&lines);
    assert_eq!(t.first().map(String::as_str), Some("started"));
    assert_eq!(t.last().map(String::as_str), Some("complete"));
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "stdout" && l["data"] == "hello\n"),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().expect("l")["log_files"]["combined"],
        "/.sprite/logs/services/web.log"
    );
    assert!(lines[0]["timestamp"]
        .as_i64()
        .is_some_and(|t| t > 1_600_000_000_000));
    env.emu.shutdown().await;
}

async fn running_service_has_state_and_log_file(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    put_service(
        &env,
        "web",
        json!({"cmd": "sh", "args": ["-c", "echo logged; sleep 30"], "http_port": 8080}),
        "500ms",
    )
    .await;
    eventually("the service to run", || async {
        let (_, body) = env
            .json(Method::GET, "/v1/sprites/s/services/web", None)
            .await;
        body["state"]["status"] == "running"
    })
    .await;
    let (status, body) = env
        .json(Method::GET, "/v1/sprites/s/services/web", None)
        .await;
    assert_eq!(status, 200);
    assert!(body["state"]["pid"].as_u64().is_some());
    assert_eq!(body["http_port"], 8080);
    let (_, list) = env.json(Method::GET, "/v1/sprites/s/services", None).await;
    assert_eq!(list[0]["name"], "web");
    eventually("log file", || async {
        let resp = env
            .req(
                Method::GET,
                "/v1/sprites/s/fs/read?path=/.sprite/logs/services/web.log",
            )
            .send()
            .await
            .expect("read");
        resp.status() == 200
            && resp
                .text()
                .await
                .unwrap_or_default()
                .contains("[stdout] logged")
    })
    .await;
    env.emu.shutdown().await;
}

async fn second_http_port_is_409(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    put_service(
        &env,
        "a",
        json!({"cmd": "sleep", "args": ["30"], "http_port": 8080}),
        "0s",
    )
    .await;
    let (status, body) = put_service(
        &env,
        "b",
        json!({"cmd": "sleep", "args": ["30"], "http_port": 8081}),
        "0s",
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        body[0]["error"],
        "another service already has an HTTP port configured"
    );
    env.emu.shutdown().await;
}

async fn crashing_service_is_restarted_with_backoff(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (_, lines) = put_service(
        &env,
        "crash",
        json!({"cmd": "sh", "args": ["-c", "exit 3"]}),
        "2s",
    )
    .await;
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "exit" && l["exit_code"] == 3),
        "{lines:?}"
    );
    eventually("a restart", || async {
        let (_, body) = env
            .json(Method::GET, "/v1/sprites/s/services/crash", None)
            .await;
        body["state"]["restart_count"].as_u64().unwrap_or(0) >= 2
    })
    .await;
    env.emu.shutdown().await;
}

async fn stop_streams_stopping_stopped_and_is_sticky(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    put_service(&env, "web", json!({"cmd": "sleep", "args": ["30"]}), "0s").await;
    let (status, lines) = env
        .ndjson(Method::POST, "/v1/sprites/s/services/web/stop")
        .await;
    assert_eq!(status, 200);
    let t = types(&lines);
    assert_eq!(t.first().map(String::as_str), Some("stopping"), "{lines:?}");
    assert!(t.contains(&"stopped".to_string()), "{lines:?}");
    assert_eq!(t.last().map(String::as_str), Some("complete"));
    let (_, body) = env
        .json(Method::GET, "/v1/sprites/s/services/web", None)
        .await;
    assert_eq!(body["state"]["status"], "stopped");
    let (status, _) = env
        .json(Method::POST, "/v1/sprites/s/services/web/stop", None)
        .await;
    assert_eq!(status, 409);
    env.emu.shutdown().await;
}

async fn signal_unknown_and_invalid_are_rejected(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    put_service(&env, "web", json!({"cmd": "sleep", "args": ["30"]}), "0s").await;
    eventually("the service to run", || async {
        let (_, body) = env
            .json(Method::GET, "/v1/sprites/s/services/web", None)
            .await;
        body["state"]["status"] == "running"
    })
    .await;
    let sig = |name: &str, signal: &str| json!({"name": name, "signal": signal});
    let (status, _) = env
        .json(
            Method::POST,
            "/v1/sprites/s/services/signal",
            Some(sig("web", "HUP")),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = env
        .json(
            Method::POST,
            "/v1/sprites/s/services/signal",
            Some(sig("nope", "HUP")),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = env
        .json(
            Method::POST,
            "/v1/sprites/s/services/signal",
            Some(sig("web", "BOGUS")),
        )
        .await;
    assert_eq!(status, 400);
    env.emu.shutdown().await;
}

async fn delete_removes_the_definition(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    put_service(&env, "web", json!({"cmd": "sleep", "args": ["30"]}), "0s").await;
    let resp = env
        .req(Method::DELETE, "/v1/sprites/s/services/web")
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 204);
    let (status, _) = env
        .json(Method::GET, "/v1/sprites/s/services/web", None)
        .await;
    assert_eq!(status, 404);
    env.emu.shutdown().await;
}

async fn services_come_back_after_restore(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    put_service(&env, "db", json!({"cmd": "sleep", "args": ["30"]}), "0s").await;
    put_service(
        &env,
        "web",
        json!({"cmd": "sleep", "args": ["31"], "needs": ["db"]}),
        "0s",
    )
    .await;
    let (_, lines) = env
        .ndjson(Method::POST, "/v1/sprites/s/checkpoints/v0/restore")
        .await;
    assert_eq!(lines.last().expect("l")["type"], "complete");
    eventually("both services running", || async {
        let (_, list) = env.json(Method::GET, "/v1/sprites/s/services", None).await;
        list.as_array()
            .is_some_and(|a| a.len() == 2 && a.iter().all(|s| s["state"]["status"] == "running"))
    })
    .await;
    env.emu.shutdown().await;
}

async fn network_policy_is_stored_and_validated(level: IsolationChoice) {
    let env = start(level).await;
    env.create_sprite("s").await;
    let (status, body) = env
        .json(Method::GET, "/v1/sprites/s/policy/network", None)
        .await;
    assert_eq!((status, body), (200, json!({"rules": []})));
    let policy = json!({"rules": [{"include": "defaults"}, {"domain": "api.github.com", "action": "allow"}, {"domain": "*", "action": "deny"}]});
    let (status, _) = env
        .json(
            Method::POST,
            "/v1/sprites/s/policy/network",
            Some(policy.clone()),
        )
        .await;
    assert_eq!(status, 204);
    let (_, body) = env
        .json(Method::GET, "/v1/sprites/s/policy/network", None)
        .await;
    assert_eq!(body, policy);
    let (status, _) = env
        .json(
            Method::POST,
            "/v1/sprites/s/policy/network",
            Some(json!({"rules": [{"domain": "bad domain", "action": "allow"}]})),
        )
        .await;
    assert_eq!(status, 400);
    env.emu.shutdown().await;
}

#[tokio::test]
async fn logs_replay_buffered_lines_then_complete() {
    let env = start(IsolationChoice::Plain).await;
    env.create_sprite("s").await;
    put_service(
        &env,
        "web",
        json!({"cmd": "sh", "args": ["-c", "echo one; echo two; echo three >&2; sleep 30"]}),
        "500ms",
    )
    .await;
    eventually("three log lines", || async {
        let (_, lines) = env
            .ndjson(Method::GET, "/v1/sprites/s/services/web/logs")
            .await;
        lines.iter().filter(|l| l["data"].is_string()).count() == 3
    })
    .await;
    let (status, lines) = env
        .ndjson(Method::GET, "/v1/sprites/s/services/web/logs?lines=2")
        .await;
    assert_eq!(status, 200);
    let data: Vec<&str> = lines.iter().filter_map(|l| l["data"].as_str()).collect();
    assert_eq!(data.len(), 2, "{lines:?}");
    assert!(data.contains(&"three\n"), "{lines:?}");
    assert_eq!(lines.last().expect("l")["type"], "complete");
    env.emu.shutdown().await;
}

#[tokio::test]
async fn restart_stops_then_starts_again() {
    let env = start(IsolationChoice::Plain).await;
    env.create_sprite("s").await;
    put_service(&env, "web", json!({"cmd": "sleep", "args": ["30"]}), "0s").await;
    eventually("the service to run", || async {
        let (_, body) = env
            .json(Method::GET, "/v1/sprites/s/services/web", None)
            .await;
        body["state"]["status"] == "running"
    })
    .await;
    let (_, before) = env
        .json(Method::GET, "/v1/sprites/s/services/web", None)
        .await;
    let (status, lines) = env
        .ndjson(
            Method::POST,
            "/v1/sprites/s/services/web/restart?duration=2s",
        )
        .await;
    assert_eq!(status, 200);
    let t = types(&lines);
    let pos = |k: &str| t.iter().position(|x| x == k);
    assert!(
        pos("stopping") < pos("stopped") && pos("stopped") < pos("started"),
        "{t:?}"
    );
    let (_, after) = env
        .json(Method::GET, "/v1/sprites/s/services/web", None)
        .await;
    assert_eq!(after["state"]["status"], "running");
    assert_ne!(before["state"]["pid"], after["state"]["pid"]);
    env.emu.shutdown().await;
}
