//! Sprite management, auth, error shapes, health, unimplemented routes (spec §1, §4).

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;
use sprites_emulator::IsolationChoice::Plain;

#[tokio::test]
async fn create_returns_201_with_full_sprite_info() {
    let env = start(Plain).await;
    let (status, body) = env
        .json(
            Method::POST,
            "/v1/sprites",
            Some(json!({"name": "dev", "labels": ["x"]})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["name"], "dev");
    assert_eq!(body["status"], "cold");
    assert!(body["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("sprite-")));
    assert_eq!(body["url_settings"]["auth"], "sprite");
    assert_eq!(body["labels"], json!(["x"]));
    assert!(body["created_at"].as_str().is_some());
    env.emu.shutdown().await;
}

#[tokio::test]
async fn duplicate_name_is_409() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let (status, body) = env
        .json(Method::POST, "/v1/sprites", Some(json!({"name": "dev"})))
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        body["error"],
        "A sprite named 'dev' already exists. Please choose a different name."
    );
    env.emu.shutdown().await;
}

#[tokio::test]
async fn invalid_names_are_400_with_errors_array() {
    let env = start(Plain).await;
    for name in ["", "UPPER", "-x", "a_b", "a/b", &"x".repeat(64)] {
        let (status, body) = env
            .json(Method::POST, "/v1/sprites", Some(json!({"name": name})))
            .await;
        assert_eq!(status, 400, "{name}");
        assert_eq!(body["errors"], json!(["invalid sprite name format"]));
    }
    env.emu.shutdown().await;
}

#[tokio::test]
async fn status_becomes_running_when_used() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let mut ws = env.exec("dev", &cmd(&["true"])).await;
    collect(&mut ws).await;
    let (_, body) = env.json(Method::GET, "/v1/sprites/dev", None).await;
    assert_eq!(body["status"], "running");
    env.emu.shutdown().await;
}

#[tokio::test]
async fn list_paginates_with_prefix_and_tokens() {
    let env = start(Plain).await;
    for n in ["a1", "a2", "a3", "b1"] {
        env.create_sprite(n).await;
    }
    let (_, page1) = env
        .json(Method::GET, "/v1/sprites?prefix=a&max_results=2", None)
        .await;
    assert_eq!(page1["sprites"].as_array().map(Vec::len), Some(2));
    assert_eq!(page1["has_more"], true);
    let token = page1["next_continuation_token"]
        .as_str()
        .expect("token")
        .to_string();
    let (_, page2) = env
        .json(
            Method::GET,
            &format!("/v1/sprites?prefix=a&max_results=2&continuation_token={token}"),
            None,
        )
        .await;
    let names: Vec<&str> = page2["sprites"]
        .as_array()
        .expect("arr")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["a3"]);
    assert_eq!(page2["has_more"], false);
    assert_eq!(page2["next_continuation_token"], serde_json::Value::Null);
    env.emu.shutdown().await;
}

#[tokio::test]
async fn invalid_query_values_are_400() {
    let env = start(Plain).await;
    let (status, body) = env
        .json(Method::GET, "/v1/sprites?max_results=lots", None)
        .await;
    assert_eq!(status, 400);
    assert!(body["errors"].is_array());
    env.emu.shutdown().await;
}

#[tokio::test]
async fn update_changes_labels_and_url_settings() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let (status, body) = env
        .json(
            Method::PUT,
            "/v1/sprites/dev",
            Some(json!({"url_settings": {"auth": "public"}, "labels": ["a", "b"]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["url_settings"]["auth"], "public");
    assert_eq!(body["labels"], json!(["a", "b"]));
    let (status, body) = env
        .json(
            Method::PUT,
            "/v1/sprites/dev",
            Some(json!({"url_settings": {"auth": "nobody"}})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"],
        json!(["invalid auth type, must be one of: sprite, public"])
    );
    env.emu.shutdown().await;
}

#[tokio::test]
async fn delete_is_204_and_removes_the_sprite() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let resp = env
        .req(Method::DELETE, "/v1/sprites/dev")
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 204);
    assert!(!env.emu.data_dir().join("sprites/dev").exists());
    let (status, _) = env.json(Method::GET, "/v1/sprites/dev", None).await;
    assert_eq!(status, 404);
    env.emu.shutdown().await;
}

#[tokio::test]
async fn delete_ends_running_processes() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let mut ws = env.exec("dev", &cmd(&["sleep", "60"])).await;
    until_text(&mut ws, "session_info").await;
    let resp = env
        .req(Method::DELETE, "/v1/sprites/dev")
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 204);
    let run = collect(&mut ws).await;
    assert_eq!(run.exit_code(), Some(137));
    env.emu.shutdown().await;
}

#[tokio::test]
async fn upgrade_is_204() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let resp = env
        .req(Method::POST, "/v1/sprites/dev/upgrade")
        .send()
        .await
        .expect("upgrade");
    assert_eq!(resp.status(), 204);
    env.emu.shutdown().await;
}

#[tokio::test]
async fn every_route_requires_the_token() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    for (method, path) in [
        (Method::GET, "/v1/sprites"),
        (Method::GET, "/v1/sprites/dev"),
        (Method::GET, "/v1/sprites/dev/exec"),
        (Method::GET, "/v1/sprites/dev/fs/list?path=/"),
        (Method::GET, "/_emulator/health"),
        (Method::GET, "/no/such/route"),
    ] {
        for auth in [None, Some("Bearer wrong")] {
            let mut req = env.http.request(method.clone(), env.url(path));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let resp = req.send().await.expect("send");
            assert_eq!(resp.status(), 401, "{method} {path}");
            let body: serde_json::Value = resp.json().await.expect("json");
            assert_eq!(body, json!({"error": "authentication failed"}));
        }
    }
    env.emu.shutdown().await;
}

#[tokio::test]
async fn malformed_json_is_400() {
    let env = start(Plain).await;
    let resp = env
        .req(Method::POST, "/v1/sprites")
        .body("{\"name\":")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert!(body["errors"][0]
        .as_str()
        .is_some_and(|e| e.starts_with("invalid JSON body")));
    env.emu.shutdown().await;
}

#[tokio::test]
async fn oversized_body_is_413_json() {
    let env = start(Plain).await;
    let big = vec![b' '; 2 << 20];
    let resp = env
        .req(Method::POST, "/v1/sprites")
        .body(big)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 413);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "request body too large");
    env.emu.shutdown().await;
}

#[tokio::test]
async fn unknown_route_is_404_json_and_wrong_method_is_405_json() {
    let env = start(Plain).await;
    let (status, body) = env.json(Method::GET, "/v2/whatever", None).await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string());
    let (status, body) = env.json(Method::PATCH, "/v1/sprites", None).await;
    assert_eq!(status, 405);
    assert!(body["error"].is_string());
    env.emu.shutdown().await;
}

#[tokio::test]
async fn unknown_sprite_on_agent_routes_is_404() {
    let env = start(Plain).await;
    for path in [
        "/v1/sprites/nope",
        "/v1/sprites/nope/checkpoints",
        "/v1/sprites/nope/services",
        "/v1/sprites/nope/fs/list?path=/",
    ] {
        let (status, body) = env.json(Method::GET, path, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("sprite not found")),
            "{path}"
        );
    }
    env.emu.shutdown().await;
}

#[tokio::test]
async fn unimplemented_routes_are_501_naming_them() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let (status, body) = env.json(Method::GET, "/v1/sprites/dev/control", None).await;
    assert_eq!(status, 501);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("/v1/sprites/dev/control")));
    let (status, _) = env
        .json(
            Method::POST,
            "/v1/organizations/acme/tokens",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 501);
    env.emu.shutdown().await;
}

#[tokio::test]
async fn health_lists_routes_and_isolation_level() {
    let env = start(Plain).await;
    let (status, body) = env.json(Method::GET, "/_emulator/health", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["isolation"], "plain");
    let implemented = body["implemented"].as_array().expect("routes");
    assert!(implemented
        .iter()
        .any(|r| r["method"] == "WS" && r["path"] == "/v1/sprites/{name}/exec"));
    assert!(body["not_implemented"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    env.emu.shutdown().await;
}

#[tokio::test]
async fn agent_routes_carry_sprite_version() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let resp = env
        .req(Method::GET, "/v1/sprites/dev/checkpoints")
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.headers()["sprite-version"],
        sprites_emulator::SPRITE_VERSION
    );
    env.emu.shutdown().await;
}

#[tokio::test]
async fn http_post_exec_streams_records_and_exit() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let resp = env
        .req(
            Method::POST,
            &format!(
                "/v1/sprites/dev/exec?{}&stdin=true",
                cmd(&["sh", "-c", "cat; echo err >&2; exit 4"])
            ),
        )
        .body("input")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.expect("body");
    let mut dec = sprites_core::http_exec::HttpExecDecoder::new();
    dec.handle_slice(&body);
    dec.finish();
    let (mut out, mut err, mut code) = (Vec::new(), Vec::new(), None);
    while let Some(ev) = dec.poll_event() {
        match ev.expect("valid body") {
            sprites_core::http_exec::HttpExecEvent::Stdout(b) => out.extend_from_slice(&b),
            sprites_core::http_exec::HttpExecEvent::Stderr(b) => err.extend_from_slice(&b),
            sprites_core::http_exec::HttpExecEvent::Exit(c) => code = Some(c),
            _ => {}
        }
    }
    assert_eq!(
        (out.as_slice(), err.as_slice(), code),
        (&b"input"[..], &b"err\n"[..], Some(4))
    );
    env.emu.shutdown().await;
}

#[tokio::test]
async fn ephemeral_data_dir_is_removed_on_shutdown() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let dir = env.emu.data_dir().to_path_buf();
    assert!(dir.exists());
    env.emu.shutdown().await;
    assert!(!dir.exists());
}

#[tokio::test]
async fn websocket_token_in_subprotocol_is_accepted_and_selected() {
    let env = start(Plain).await;
    env.create_sprite("dev").await;
    let token: String = env.emu.token().bytes().map(|b| b as char).collect();
    let encoded = base64url(token.as_bytes());
    let url = format!(
        "{}/v1/sprites/dev/exec?cmd=echo&cmd=hi",
        env.emu.base_url().replacen("http", "ws", 1)
    );
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .expect("req");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        format!("sprites, sprites.bearer.{encoded}")
            .parse()
            .expect("header"),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    assert_eq!(resp.headers()["sec-websocket-protocol"], "sprites");
    let run = collect(&mut ws).await;
    assert_eq!(run.stdout(), "hi\n");
    env.emu.shutdown().await;
}

fn base64url(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn cors_preflight_and_headers_let_browsers_in() {
    let env = start(Plain).await;
    let resp = env
        .http
        .request(Method::OPTIONS, env.url("/v1/sprites"))
        .header("origin", "http://example.test")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert_eq!(resp.status(), 204);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(resp.headers()["access-control-allow-headers"]
        .to_str()
        .expect("h")
        .contains("authorization"));
    let resp = env
        .req(Method::GET, "/v1/sprites")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    env.emu.shutdown().await;
}
