//! The model types against every JSON example of the spec (§3–§12), both sides of each
//! disagreement of §15, and the wire shapes they serialize to.

use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use sprites_core::model::*;

const SPRITE_CREATE_LIVE: &str = include_str!("fixtures/model/sprite_create_live.json");
const CHECKPOINT_CREATE_LIVE: &str = include_str!("fixtures/model/checkpoint_create_live.ndjson");
const CHECKPOINT_LIST_LIVE: &str = include_str!("fixtures/model/checkpoint_list_live.json");
const CHECKPOINT_RESTORE_LIVE: &str = include_str!("fixtures/model/checkpoint_restore_live.ndjson");
const CHECKPOINT_RESTORE_UNKNOWN: &str =
    include_str!("fixtures/model/checkpoint_restore_unknown.ndjson");
const SESSIONS_LIST_LIVE: &str = include_str!("fixtures/model/sessions_list_live.json");
const SESSIONS_LIST_DOCS: &str = include_str!("fixtures/model/sessions_list_docs.json");
const KILL_LIVE_TTY: &str = include_str!("fixtures/model/kill_live_tty.ndjson");
const KILL_DOCS: &str = include_str!("fixtures/model/kill_docs.ndjson");
const SERVICE_CREATE_STREAM: &str = include_str!("fixtures/model/service_create_stream.ndjson");
const SERVICE_CRASH_STREAM: &str = include_str!("fixtures/model/service_crash_stream.ndjson");
const SERVICE_STOP_STREAM: &str = include_str!("fixtures/model/service_stop_stream.ndjson");
const POLICY_DOCS: &str = include_str!("fixtures/model/policy_docs.json");
const FS_LIST_DIR: &str = include_str!("fixtures/model/fs_list_dir.json");

fn parse<T: DeserializeOwned>(text: &str) -> T {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("failed to parse {text}: {e}"),
    }
}

fn lines<T: DeserializeOwned>(ndjson: &str) -> Vec<T> {
    ndjson
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse)
        .collect()
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

// ---------------------------------------------------------------- sprites (§3, §4)

#[test]
fn sprite_live_create_response_parses() {
    let info: SpriteInfo = parse(SPRITE_CREATE_LIVE);
    assert_eq!(info.id, "sprite-5b0e4c1e-8f0a-4a5e-9c41-6f1f3b7f2d10");
    assert_eq!(info.name, "new-sprite");
    assert_eq!(info.status, SpriteStatus::Cold);
    assert_eq!(info.organization_name, "test-org");
    assert_eq!(
        info.url.as_deref(),
        Some("https://new-sprite-xxxx.sprites.app")
    );
    assert_eq!(info.url_settings.unwrap().auth, UrlAuth::Sprite);
    assert_eq!(info.version, None);
    assert_eq!(info.environment_version, None);
}

#[test]
fn sprite_timestamps_keep_microseconds() {
    let info: SpriteInfo = parse(SPRITE_CREATE_LIVE);
    let created = info.created_at.unwrap();
    assert_eq!(
        created.timestamp(),
        utc(2026, 1, 31, 10, 28, 13).timestamp()
    );
    assert_eq!(created.timestamp_subsec_micros(), 366_126);
}

#[test]
fn sprite_serializes_to_live_shape() {
    let info: SpriteInfo = parse(SPRITE_CREATE_LIVE);
    let expected: Value = parse(SPRITE_CREATE_LIVE);
    assert_eq!(to_value(&info), expected);
}

#[test]
fn sprite_docs_list_entry_reads_org_slug() {
    let info: SpriteInfo =
        parse(r#"{"name":"dev","org_slug":"acme","updated_at":"2026-01-31T10:28:13Z"}"#);
    assert_eq!(info.organization_name, "acme");
    assert_eq!(info.updated_at, Some(utc(2026, 1, 31, 10, 28, 13)));
    assert_eq!(info.status, SpriteStatus::Cold);
}

#[test]
fn sprite_serializes_organization_not_org_slug() {
    let info = SpriteInfo {
        name: "dev".into(),
        organization_name: "acme".into(),
        ..SpriteInfo::default()
    };
    let v = to_value(&info);
    assert_eq!(v["organization"], "acme");
    assert!(v.get("org_slug").is_none());
    assert!(v.get("organization_name").is_none());
}

#[test]
fn sprite_go_fields_parse() {
    let info: SpriteInfo = parse(
        r#"{"id":"sprite-1","name":"dev","organization":"acme","status":"running",
        "config":{"ram_mb":2048,"cpus":2,"region":"ord","storage_gb":10},
        "environment":{"FOO":"bar"},"bucket_name":"b-1","primary_region":"ord",
        "labels":["ci","team-a"],"last_running_at":"2026-01-31T10:00:00Z",
        "last_warming_at":"2026-01-31T09:00:00Z","last_started_at":null,
        "last_active_at":"2026-01-31T10:05:00.5Z","version":"v0.0.1-rc31",
        "environment_version":"e2"}"#,
    );
    assert_eq!(info.status, SpriteStatus::Running);
    assert_eq!(info.config.ram_mb, Some(2048));
    assert_eq!(info.config.cpus, Some(2));
    assert_eq!(info.config.region.as_deref(), Some("ord"));
    assert_eq!(info.config.storage_gb, Some(10));
    assert_eq!(info.environment.get("FOO").map(String::as_str), Some("bar"));
    assert_eq!(info.bucket_name.as_deref(), Some("b-1"));
    assert_eq!(info.primary_region.as_deref(), Some("ord"));
    assert_eq!(info.labels, vec!["ci", "team-a"]);
    assert_eq!(info.last_running_at, Some(utc(2026, 1, 31, 10, 0, 0)));
    assert_eq!(info.last_warming_at, Some(utc(2026, 1, 31, 9, 0, 0)));
    assert_eq!(info.last_started_at, None);
    assert_eq!(info.last_active_at.unwrap().timestamp_subsec_millis(), 500);
    assert_eq!(info.version.as_deref(), Some("v0.0.1-rc31"));
    assert_eq!(info.environment_version.as_deref(), Some("e2"));
}

#[test]
fn sprite_round_trips_with_every_field() {
    let info: SpriteInfo = parse(
        r#"{"id":"sprite-1","name":"dev","organization":"acme","status":"warm",
        "config":{"cpus":2},"environment":{"A":"1"},"created_at":"2026-01-31T10:28:13.366126Z",
        "updated_at":"2026-01-31T10:28:14Z","url":"https://dev.sprites.app",
        "url_settings":{"auth":"public","private_access":"admins"},"bucket_name":"b",
        "primary_region":"ord","labels":["x"],"version":null,"environment_version":null,
        "last_running_at":"2026-01-31T10:00:00Z","last_warming_at":"2026-01-31T10:00:01Z",
        "last_started_at":"2026-01-31T10:00:02Z","last_active_at":"2026-01-31T10:00:03Z"}"#,
    );
    let again: SpriteInfo = serde_json::from_value(to_value(&info)).unwrap();
    assert_eq!(again, info);
}

#[test]
fn sprite_nulls_are_accepted_everywhere() {
    let info: SpriteInfo = parse(
        r#"{"id":null,"name":"dev","organization":null,"status":null,"config":null,
        "environment":null,"created_at":null,"updated_at":null,"url":null,"url_settings":null,
        "bucket_name":null,"primary_region":null,"labels":null,"version":null,
        "environment_version":null,"last_running_at":null,"last_warming_at":null,
        "last_started_at":null,"last_active_at":null}"#,
    );
    assert_eq!(info.name, "dev");
    assert_eq!(info.id, "");
    assert_eq!(info.status, SpriteStatus::Cold);
    assert!(info.labels.is_empty());
}

#[test]
fn sprite_id_may_be_a_number() {
    let info: SpriteInfo = parse(r#"{"id":42,"name":"dev"}"#);
    assert_eq!(info.id, "42");
}

#[test]
fn sprite_unknown_fields_are_ignored() {
    let info: SpriteInfo = parse(r#"{"name":"dev","brand_new_field":{"x":1}}"#);
    assert_eq!(info.name, "dev");
}

#[test]
fn sprite_status_known_values_parse() {
    assert_eq!(parse::<SpriteStatus>(r#""cold""#), SpriteStatus::Cold);
    assert_eq!(parse::<SpriteStatus>(r#""warm""#), SpriteStatus::Warm);
    assert_eq!(parse::<SpriteStatus>(r#""running""#), SpriteStatus::Running);
}

#[test]
fn sprite_status_matches_any_case() {
    assert_eq!(parse::<SpriteStatus>(r#""Running""#), SpriteStatus::Running);
}

#[test]
fn sprite_status_unknown_string_round_trips() {
    let status: SpriteStatus = parse(r#""hibernating""#);
    assert_eq!(status, SpriteStatus::Unknown("hibernating".into()));
    assert_eq!(serde_json::to_string(&status).unwrap(), r#""hibernating""#);
}

#[test]
fn sprite_status_bad_value_does_not_fail_the_sprite() {
    let info: SpriteInfo = parse(r#"{"name":"dev","status":"created"}"#);
    assert_eq!(info.status, SpriteStatus::Unknown("created".into()));
}

#[test]
fn url_auth_unknown_string_round_trips() {
    let auth: UrlAuth = parse(r#""org""#);
    assert_eq!(auth, UrlAuth::Unknown("org".into()));
    assert_eq!(serde_json::to_string(&auth).unwrap(), r#""org""#);
}

#[test]
fn url_settings_private_access_round_trips() {
    let s: UrlSettings = parse(r#"{"auth":"public","private_access":"admins"}"#);
    assert_eq!(s.auth, UrlAuth::Public);
    assert_eq!(s.private_access.as_deref(), Some("admins"));
    assert_eq!(
        to_value(&s),
        json!({"auth":"public","private_access":"admins"})
    );
}

#[test]
fn sprite_config_omits_unset_fields() {
    let c = SpriteConfig {
        cpus: Some(2),
        ..SpriteConfig::default()
    };
    assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"cpus":2}"#);
}

#[test]
fn list_sprites_live_page_with_null_token_parses() {
    let page: ListSpritesResponse = parse(&format!(
        r#"{{"sprites":[{SPRITE_CREATE_LIVE}],"has_more":true,"next_continuation_token":null}}"#
    ));
    assert_eq!(page.sprites.len(), 1);
    assert!(page.has_more);
    assert_eq!(page.next_continuation_token, None);
}

#[test]
fn list_sprites_docs_entries_parse() {
    let page: ListSpritesResponse = parse(
        r#"{"sprites":[{"name":"a","org_slug":"acme","updated_at":"2026-01-31T10:28:13Z"},
        {"name":"b","org_slug":"acme","updated_at":"2026-01-31T10:28:14Z"}],
        "has_more":false,"next_continuation_token":"tok-2"}"#,
    );
    assert_eq!(page.sprites[1].name, "b");
    assert_eq!(page.sprites[1].organization_name, "acme");
    assert_eq!(page.next_continuation_token.as_deref(), Some("tok-2"));
}

#[test]
fn list_sprites_go_org_and_python_counters_parse() {
    let page: ListSpritesResponse = parse(
        r#"{"sprites":[],"has_more":false,"next_continuation_token":null,
        "org":{"name":"acme","running":1,"warm":2,"cold":3,"running_limit":10,"warm_limit":20},
        "running":1,"warm":2,"cold":3}"#,
    );
    let org = page.org.unwrap();
    assert_eq!(
        (org.name.as_str(), org.running, org.warm, org.cold),
        ("acme", 1, 2, 3)
    );
    assert_eq!((org.running_limit, org.warm_limit), (Some(10), Some(20)));
    assert_eq!(
        (page.running, page.warm, page.cold),
        (Some(1), Some(2), Some(3))
    );
}

#[test]
fn list_sprites_serializes_null_token() {
    let page = ListSpritesResponse::default();
    assert_eq!(
        to_value(&page),
        json!({"sprites":[],"has_more":false,"next_continuation_token":null})
    );
}

#[test]
fn list_options_omit_unset_fields() {
    let opts = ListOptions {
        max_results: Some(100),
        ..ListOptions::default()
    };
    assert_eq!(to_value(&opts), json!({"max_results":100}));
}

#[test]
fn create_sprite_request_with_every_field_serializes() {
    let mut req = CreateSpriteRequest::new("dev");
    req.config = Some(SpriteConfig {
        ram_mb: Some(1024),
        ..SpriteConfig::default()
    });
    req.environment.insert("A".into(), "1".into());
    req.labels = vec!["ci".into()];
    req.url_settings = Some(UrlSettings {
        auth: UrlAuth::Public,
        private_access: None,
    });
    req.wait_for_capacity = true;
    req.runtime = Some("dev".into());
    assert_eq!(
        to_value(&req),
        json!({"name":"dev","config":{"ram_mb":1024},"environment":{"A":"1"},"labels":["ci"],
               "url_settings":{"auth":"public"},"wait_for_capacity":true,"runtime":"dev"})
    );
}

#[test]
fn create_sprite_request_parses_minimal_body() {
    let req: CreateSpriteRequest = parse(r#"{"name":"dev"}"#);
    assert_eq!(req, CreateSpriteRequest::new("dev"));
}

#[test]
fn update_sprite_request_sends_only_url_settings() {
    let req = UpdateSpriteRequest {
        url_settings: Some(UrlSettings {
            auth: UrlAuth::Public,
            private_access: None,
        }),
        ..UpdateSpriteRequest::default()
    };
    assert_eq!(to_value(&req), json!({"url_settings":{"auth":"public"}}));
}

#[test]
fn update_sprite_request_distinguishes_empty_labels_from_none() {
    let req = UpdateSpriteRequest {
        labels: Some(vec![]),
        clear_labels: true,
        ..UpdateSpriteRequest::default()
    };
    assert_eq!(to_value(&req), json!({"labels":[],"clear_labels":true}));
}

#[test]
fn token_request_and_response_use_spec_fields() {
    let req = TokenRequest {
        description: Some("Sprite SDK Token".into()),
        invite_code: None,
    };
    assert_eq!(to_value(&req), json!({"description":"Sprite SDK Token"}));
    let resp: TokenResponse = parse(r#"{"token":"acme/1ef8/secret"}"#);
    assert_eq!(resp.token, "acme/1ef8/secret");
}

#[test]
fn token_response_debug_redacts_the_token() {
    let resp: TokenResponse = parse(r#"{"token":"acme/1ef8/secret"}"#);
    assert!(!format!("{resp:?}").contains("secret"));
}

#[test]
fn version_parses() {
    let v: Version = parse(r#"{"version":"v0.0.1-rc46","api_version":"v1"}"#);
    assert_eq!(v.version, "v0.0.1-rc46");
    assert_eq!(v.api_version.as_deref(), Some("v1"));
}

// ---------------------------------------------------------------- checkpoints (§8)

#[test]
fn checkpoint_live_list_parses_newest_first() {
    let list: ListCheckpointsResponse = parse(CHECKPOINT_LIST_LIVE);
    let ids: Vec<&str> = list.checkpoints.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["Current", "v2", "v1", "v0"]);
    assert!(list.checkpoints[0].is_current());
    assert_eq!(
        list.checkpoints[1].comment.as_deref(),
        Some("second checkpoint")
    );
    assert_eq!(
        list.checkpoints[1].created_at,
        Some(utc(2026, 1, 31, 15, 39, 2))
    );
    assert!(list.checkpoints.iter().all(|c| !c.is_auto));
}

#[test]
fn checkpoint_list_serializes_as_bare_array() {
    let list: ListCheckpointsResponse = parse(CHECKPOINT_LIST_LIVE);
    let expected: Value = parse(CHECKPOINT_LIST_LIVE);
    assert_eq!(to_value(&list), expected);
}

#[test]
fn checkpoint_list_accepts_wrapped_object() {
    let list: ListCheckpointsResponse =
        parse(r#"{"checkpoints":[{"id":"v0","create_time":"2026-01-31T15:35:26Z"}]}"#);
    assert_eq!(list.checkpoints[0].id, "v0");
}

#[test]
fn checkpoint_get_example_parses() {
    let c: Checkpoint = parse(
        r#"{"id":"v1","create_time":"2026-01-22T20:46:34Z","comment":"retrieve test","is_auto":false}"#,
    );
    assert_eq!(c.id, "v1");
    assert_eq!(c.created_at, Some(utc(2026, 1, 22, 20, 46, 34)));
    assert!(!c.is_current());
}

#[test]
fn checkpoint_serializes_create_time_and_is_auto() {
    let c = Checkpoint {
        id: "v1".into(),
        created_at: Some(utc(2026, 1, 22, 20, 46, 34)),
        ..Checkpoint::default()
    };
    assert_eq!(
        to_value(&c),
        json!({"id":"v1","create_time":"2026-01-22T20:46:34Z","is_auto":false})
    );
}

#[test]
fn checkpoint_id_may_be_a_number() {
    let c: Checkpoint = parse(r#"{"id":3}"#);
    assert_eq!(c.id, "3");
}

#[test]
fn checkpoint_reads_created_at_alias() {
    let c: Checkpoint = parse(r#"{"id":"v1","created_at":"2026-01-22T20:46:34Z"}"#);
    assert_eq!(c.created_at, Some(utc(2026, 1, 22, 20, 46, 34)));
}

#[test]
fn checkpoint_docs_fields_parse() {
    let c: Checkpoint = parse(
        r#"{"id":"auto-1","create_time":"2026-01-22T20:46:34Z","is_auto":true,
        "history":["v0","v1"],"source_id":"v1","health":"mount_failed","path":"checkpoints/auto-1"}"#,
    );
    assert!(c.is_auto);
    assert_eq!(c.history, vec!["v0", "v1"]);
    assert_eq!(c.source_id.as_deref(), Some("v1"));
    assert_eq!(c.path.as_deref(), Some("checkpoints/auto-1"));
    assert!(!c.is_healthy());
}

#[test]
fn checkpoint_without_health_is_healthy() {
    let c: Checkpoint = parse(r#"{"id":"v1","health":""}"#);
    assert!(c.is_healthy());
}

#[test]
fn list_checkpoints_options_default_hides_auto() {
    let opts = ListCheckpointsOptions::default();
    assert!(!opts.include_auto);
    assert_eq!(opts.history_filter, None);
}

#[test]
fn checkpoint_request_without_comment_is_empty_object() {
    assert_eq!(
        serde_json::to_string(&CheckpointRequest::default()).unwrap(),
        "{}"
    );
    let req = CheckpointRequest {
        comment: Some("text".into()),
    };
    assert_eq!(
        serde_json::to_string(&req).unwrap(),
        r#"{"comment":"text"}"#
    );
}

#[test]
fn checkpoint_create_stream_parses_every_line() {
    let msgs: Vec<StreamMessage> = lines(CHECKPOINT_CREATE_LIVE);
    assert_eq!(msgs.len(), 10);
    assert!(msgs[..9]
        .iter()
        .all(|m| matches!(m, StreamMessage::Info { .. })));
    assert!(msgs[9].is_complete());
    let StreamMessage::Info { data, time } = &msgs[0] else {
        panic!("first line is info")
    };
    assert_eq!(data, "Creating checkpoint...");
    assert_eq!(time.unwrap().timestamp_subsec_nanos(), 779_658_713);
}

#[test]
fn checkpoint_create_stream_yields_id_from_id_line_and_complete_line() {
    let msgs: Vec<StreamMessage> = lines(CHECKPOINT_CREATE_LIVE);
    let ids: Vec<(usize, &str)> = msgs
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.checkpoint_id().map(|id| (i, id)))
        .collect();
    assert_eq!(ids, [(3, "v1"), (9, "v1")]);
}

#[test]
fn checkpoint_id_is_not_read_from_restore_complete() {
    let msg = StreamMessage::Complete {
        data: "Restore from v1 complete".into(),
        time: None,
    };
    assert_eq!(msg.checkpoint_id(), None);
}

#[test]
fn checkpoint_stream_serializes_to_wire_shape() {
    for line in CHECKPOINT_CREATE_LIVE.lines() {
        let msg: StreamMessage = parse(line);
        let expected: Value = parse(line);
        assert_eq!(to_value(&msg), expected, "line {line}");
    }
}

#[test]
fn restore_live_stream_parses() {
    let msgs: Vec<StreamMessage> = lines(CHECKPOINT_RESTORE_LIVE);
    assert_eq!(msgs.len(), 3);
    assert!(matches!(
        &msgs[2],
        StreamMessage::Complete { data, time: Some(_) } if data == "Restore from v1 complete"
    ));
}

trait Time {
    fn time(self) -> Option<DateTime<Utc>>;
}

impl Time for StreamMessage {
    fn time(self) -> Option<DateTime<Utc>> {
        match self {
            StreamMessage::Info { time, .. }
            | StreamMessage::Complete { time, .. }
            | StreamMessage::Error { time, .. } => time,
            _ => None,
        }
    }
}

#[test]
fn restore_unknown_checkpoint_error_line_parses() {
    let msgs: Vec<StreamMessage> = lines(CHECKPOINT_RESTORE_UNKNOWN);
    let msg = &msgs[1];
    assert!(msg
        .error_message()
        .unwrap()
        .starts_with("Failed to restore checkpoint:"));
    assert!(msg.clone().time().is_some());
}

#[test]
fn stream_error_serializes_error_field() {
    let msg = StreamMessage::Error {
        message: "boom".into(),
        time: None,
    };
    assert_eq!(to_value(&msg), json!({"type":"error","error":"boom"}));
}

#[test]
fn stream_error_accepts_message_field() {
    let msg: StreamMessage = parse(r#"{"type":"error","message":"boom"}"#);
    assert_eq!(msg.error_message(), Some("boom"));
}

#[test]
fn stream_stdout_and_stderr_parse() {
    let out: StreamMessage = parse(r#"{"type":"stdout","data":"a\n"}"#);
    let err: StreamMessage = parse(r#"{"type":"stderr","data":"b\n"}"#);
    assert_eq!(out, StreamMessage::Stdout { data: "a\n".into() });
    assert_eq!(err, StreamMessage::Stderr { data: "b\n".into() });
}

#[test]
fn stream_unknown_type_round_trips_whole_line() {
    let line = r#"{"type":"progress","percent":50,"time":"2026-01-31T12:24:41Z"}"#;
    let msg: StreamMessage = parse(line);
    let expected: Value = parse(line);
    assert_eq!(msg, StreamMessage::Unknown(expected.clone()));
    assert_eq!(to_value(&msg), expected);
}

#[test]
fn stream_line_that_is_not_an_object_is_unknown() {
    let msg: StreamMessage = parse(r#""hello""#);
    assert_eq!(msg, StreamMessage::Unknown(json!("hello")));
}

#[test]
fn stream_known_type_with_wrong_field_type_is_an_error() {
    let err = serde_json::from_str::<StreamMessage>(r#"{"type":"info","data":5}"#).unwrap_err();
    assert!(err.to_string().contains("info"), "{err}");
}

#[test]
fn stream_unreadable_time_is_none() {
    let msg: StreamMessage = parse(r#"{"type":"info","data":"x","time":"…"}"#);
    assert_eq!(msg.time(), None);
}

// ---------------------------------------------------------------- exec (§5)

#[test]
fn sessions_live_list_parses() {
    let list: ListSessionsResponse = parse(SESSIONS_LIST_LIVE);
    assert_eq!(list.count, 1);
    let s = &list.sessions[0];
    assert_eq!(s.id(), "15");
    assert_eq!(s.command(), "sleep 120");
    assert_eq!(s.workdir.as_deref(), Some("/home/sprite"));
    assert_eq!(s.created, utc(2026, 8, 4, 0, 0, 0));
    assert!(!s.tty);
    assert!(!s.is_active);
    assert_eq!(s.bytes_per_second, Some(0.0));
    assert_eq!(s.last_activity, Some(utc(2026, 8, 4, 0, 0, 1)));
}

#[test]
fn sessions_docs_bare_array_with_integer_ids_parses() {
    let list: ListSessionsResponse = parse(SESSIONS_LIST_DOCS);
    assert_eq!(list.count, 1);
    let s = &list.sessions[0];
    assert_eq!(s.id(), "1847");
    assert_eq!(s.created.timestamp(), 1_780_420_274);
    assert_eq!(s.bytes_per_second, Some(12.5));
}

#[test]
fn sessions_list_serializes_live_shape() {
    let list: ListSessionsResponse = parse(SESSIONS_LIST_DOCS);
    let v = to_value(&list);
    assert_eq!(v["count"], 1);
    assert_eq!(v["sessions"][0]["id"], "1847");
    assert_eq!(v["sessions"][0]["created"], "2026-06-02T17:11:14Z");
}

#[test]
fn sessions_live_list_round_trips() {
    let list: ListSessionsResponse = parse(SESSIONS_LIST_LIVE);
    let mut expected: Value = parse(SESSIONS_LIST_LIVE);
    // A float field: the live integer 0 comes back as 0.0.
    expected["sessions"][0]["bytes_per_second"] = json!(0.0);
    assert_eq!(to_value(&list), expected);
}

#[test]
fn session_reads_seed_aliases() {
    let s: SessionInfo =
        parse(r#"{"id":"7","cmd":"bash","cwd":"/tmp","created_at":"2026-08-04T00:00:00Z"}"#);
    assert_eq!(s.command, "bash");
    assert_eq!(s.workdir.as_deref(), Some("/tmp"));
    assert_eq!(s.created, utc(2026, 8, 4, 0, 0, 0));
}

#[test]
fn session_without_created_gets_epoch() {
    let s: SessionInfo = parse(r#"{"id":"7","created":null}"#);
    assert_eq!(s.created.timestamp(), 0);
}

#[test]
fn session_is_active_within_five_minutes_of_activity() {
    let s = SessionInfo {
        is_active: true,
        last_activity: Some(utc(2026, 8, 4, 0, 0, 0)),
        ..SessionInfo::default()
    };
    assert!(s.is_session_active(utc(2026, 8, 4, 0, 4, 59)));
    assert!(!s.is_session_active(utc(2026, 8, 4, 0, 5, 0)));
}

#[test]
fn session_not_flagged_active_is_inactive() {
    let s = SessionInfo {
        is_active: false,
        last_activity: Some(utc(2026, 8, 4, 0, 0, 0)),
        ..SessionInfo::default()
    };
    assert!(!s.is_session_active(utc(2026, 8, 4, 0, 0, 1)));
}

#[test]
fn session_activity_age_is_measured_from_now() {
    let s = SessionInfo {
        last_activity: Some(utc(2026, 8, 4, 0, 0, 0)),
        ..SessionInfo::default()
    };
    assert_eq!(
        s.get_activity_age(utc(2026, 8, 4, 0, 1, 0)),
        Some(std::time::Duration::from_secs(60))
    );
    assert_eq!(
        s.get_activity_age(utc(2026, 8, 3, 0, 0, 0)),
        Some(std::time::Duration::ZERO)
    );
}

#[test]
fn kill_live_tty_events_parse() {
    let events: Vec<KillEvent> = lines(KILL_LIVE_TTY);
    assert!(matches!(
        &events[0],
        KillEvent::Signal { signal: Some(s), pid: Some(20), .. } if s == "SIGTERM"
    ));
    assert!(matches!(&events[1], KillEvent::Exited { message } if message == "Process exited"));
    assert!(
        matches!(&events[2], KillEvent::Signal { message, .. } if message == "Closing PTY master")
    );
    assert_eq!(events[3], KillEvent::Complete { exit_code: 143 });
}

#[test]
fn kill_docs_events_round_trip() {
    for line in KILL_DOCS.lines() {
        let event: KillEvent = parse(line);
        let expected: Value = parse(line);
        assert_eq!(to_value(&event), expected, "line {line}");
    }
}

#[test]
fn kill_other_event_kinds_parse() {
    let events: Vec<KillEvent> = lines(
        "{\"type\":\"timeout\",\"message\":\"t\"}\n{\"type\":\"killed\",\"message\":\"k\"}\n\
         {\"type\":\"error\",\"message\":\"e\"}\n",
    );
    assert_eq!(
        events,
        [
            KillEvent::Timeout {
                message: "t".into()
            },
            KillEvent::Killed {
                message: "k".into()
            },
            KillEvent::Error {
                message: "e".into()
            },
        ]
    );
}

#[test]
fn kill_unknown_event_round_trips() {
    let line = r#"{"type":"escalating","after":"10s"}"#;
    let event: KillEvent = parse(line);
    assert!(matches!(event, KillEvent::Unknown(_)));
    assert_eq!(to_value(&event), parse::<Value>(line));
}

#[test]
fn exit_status_reports_code_and_success() {
    let ok = ExitStatus::new(0);
    let term = ExitStatus::new(143);
    assert!(ok.success());
    assert!(!term.success());
    assert_eq!(term.code(), 143);
    assert_eq!(term.to_string(), "exit status: 143");
}

#[test]
fn output_decodes_text_lossily() {
    let out = Output {
        status: 7,
        stdout: b"hi\xff".to_vec(),
        stderr: b"oops\n".to_vec(),
    };
    assert!(!out.success());
    assert_eq!(out.stdout_str(), "hi\u{fffd}");
    assert_eq!(out.stderr_str(), "oops\n");
    assert_eq!(out.exit_status(), ExitStatus::new(7));
}

#[test]
fn port_mapping_new_sets_both_ports() {
    let m = PortMapping::new(3000, 8080);
    assert_eq!((m.local_port, m.remote_port), (3000, 8080));
}

#[test]
fn exec_options_default_is_plain_non_tty() {
    let o = ExecOptions::default();
    assert!(!o.tty && !o.stdin && o.env.is_empty());
}

// ---------------------------------------------------------------- services (§9)

#[test]
fn service_request_omits_empty_fields() {
    let req = ServiceRequest::new("sleep").arg("100");
    assert_eq!(
        serde_json::to_string(&req).unwrap(),
        r#"{"cmd":"sleep","args":["100"]}"#
    );
}

#[test]
fn service_request_with_every_field_serializes() {
    let req = ServiceRequest::new("node")
        .args(["server.js"])
        .need("db")
        .http_port(8080)
        .env("NODE_ENV", "production")
        .dir("/app");
    assert_eq!(
        to_value(&req),
        json!({"cmd":"node","args":["server.js"],"needs":["db"],"http_port":8080,
               "env":{"NODE_ENV":"production"},"dir":"/app"})
    );
}

#[test]
fn service_request_struct_literal_builds() {
    let req = ServiceRequest {
        cmd: "sleep".into(),
        args: vec!["1".into()],
        needs: vec![],
        http_port: None,
        ..ServiceRequest::default()
    };
    assert_eq!(req, ServiceRequest::new("sleep").arg("1"));
}

#[test]
fn service_request_parses_null_http_port() {
    let req: ServiceRequest = parse(r#"{"cmd":"x","args":null,"http_port":null}"#);
    assert_eq!(req, ServiceRequest::new("x"));
}

#[test]
fn service_list_with_state_parses() {
    let list: Vec<Service> = parse(
        r#"[{"name":"web","cmd":"python3","args":["-m","http.server"],"needs":[],"http_port":8000,
        "env":{"PORT":"8000"},"dir":"/app",
        "state":{"name":"web","status":"running","pid":321,"started_at":"2026-06-02T17:11:14.555123456Z",
        "restart_count":2}},
        {"name":"db","cmd":"postgres","args":[],"needs":[],"http_port":null}]"#,
    );
    let web = &list[0];
    assert_eq!(web.http_port, Some(8000));
    assert_eq!(web.env.get("PORT").map(String::as_str), Some("8000"));
    let state = web.state.as_ref().unwrap();
    assert!(state.is_running());
    assert_eq!(state.pid, Some(321));
    assert_eq!(
        state.started_at.unwrap().timestamp_subsec_nanos(),
        555_123_456
    );
    assert_eq!(state.restart_count, Some(2));
    assert_eq!(list[1].state, None);
}

#[test]
fn service_rc43_json_create_response_parses() {
    let svc: Service = parse(
        r#"{"name":"web","cmd":"python3","args":["-m","http.server","8000"],"needs":[],
        "http_port":8000,"state":{"name":"web","status":"starting"}}"#,
    );
    assert_eq!(svc.state.unwrap().status, ServiceStatus::Starting);
}

#[test]
fn service_into_state_merges_definition() {
    let svc: Service = parse(
        r#"{"name":"web","cmd":"python3","args":["-m"],"http_port":8000,
        "state":{"name":"web","status":"failed","error":"exit 1"}}"#,
    );
    let state = svc.into_state();
    assert!(state.is_failed());
    assert_eq!(state.error(), Some("exit 1"));
    assert_eq!(state.cmd, "python3");
    assert_eq!(state.args, vec!["-m"]);
    assert_eq!(state.http_port, Some(8000));
}

#[test]
fn service_without_state_is_stopped() {
    let svc: Service = parse(r#"{"name":"db","cmd":"postgres"}"#);
    let state = svc.into_state();
    assert!(state.is_stopped());
    assert_eq!(state.name(), "db");
}

#[test]
fn service_state_next_restart_parses() {
    let s: ServiceState = parse(
        r#"{"name":"w","status":"starting","next_restart_at":"2026-06-02T17:11:20Z","error":null}"#,
    );
    assert_eq!(s.status, ServiceStatus::Starting);
    assert_eq!(s.next_restart_at, Some(utc(2026, 6, 2, 17, 11, 20)));
}

#[test]
fn service_status_values_parse() {
    let all: Vec<ServiceStatus> = parse(r#"["stopped","starting","running","stopping","failed"]"#);
    assert_eq!(
        all,
        [
            ServiceStatus::Stopped,
            ServiceStatus::Starting,
            ServiceStatus::Running,
            ServiceStatus::Stopping,
            ServiceStatus::Failed,
        ]
    );
}

#[test]
fn service_status_unknown_string_round_trips() {
    let s: ServiceStatus = parse(r#""backoff""#);
    assert_eq!(s, ServiceStatus::Unknown("backoff".into()));
    assert_eq!(serde_json::to_string(&s).unwrap(), r#""backoff""#);
}

#[test]
fn service_create_stream_parses() {
    let events: Vec<ServiceLogEntry> = lines(SERVICE_CREATE_STREAM);
    let kinds: Vec<ServiceLogKind> = events.iter().map(ServiceLogEntry::kind).collect();
    assert_eq!(
        kinds,
        [
            ServiceLogKind::Started,
            ServiceLogKind::Stdout,
            ServiceLogKind::Complete
        ]
    );
    assert_eq!(
        events[0].timestamp.unwrap().timestamp_millis(),
        1_780_420_274_555
    );
    assert_eq!(
        events[1].data.as_deref(),
        Some("Serving HTTP on 0.0.0.0 port 8000\n")
    );
    assert_eq!(
        events[2].log_files.get("combined").map(String::as_str),
        Some("/.sprite/logs/services/web.log")
    );
    assert!(events[2].is_complete());
}

#[test]
fn service_crash_stream_reports_exit_code() {
    let events: Vec<ServiceLogEntry> = lines(SERVICE_CRASH_STREAM);
    assert_eq!(events[1].kind(), ServiceLogKind::Stderr);
    assert_eq!(events[2].kind(), ServiceLogKind::Exit);
    assert_eq!(events[2].exit_code, Some(1));
}

#[test]
fn service_stop_stream_parses() {
    let events: Vec<ServiceLogEntry> = lines(SERVICE_STOP_STREAM);
    assert_eq!(events[0].kind(), ServiceLogKind::Stopping);
    assert_eq!(events[1].kind(), ServiceLogKind::Stopped);
    assert_eq!(events[1].exit_code, Some(143));
}

#[test]
fn service_error_event_carries_data() {
    let e: ServiceLogEntry = parse(r#"{"type":"error","data":"spawn failed","timestamp":1}"#);
    assert_eq!(e.kind(), ServiceLogKind::Error);
    assert_eq!(e.data.as_deref(), Some("spawn failed"));
}

#[test]
fn service_events_serialize_timestamp_as_millis() {
    for stream in [
        SERVICE_CREATE_STREAM,
        SERVICE_CRASH_STREAM,
        SERVICE_STOP_STREAM,
    ] {
        for line in stream.lines() {
            let e: ServiceLogEntry = parse(line);
            assert_eq!(to_value(&e), parse::<Value>(line), "line {line}");
        }
    }
}

#[test]
fn service_event_unknown_type_round_trips() {
    let e: ServiceLogEntry = parse(r#"{"type":"restarting","timestamp":5}"#);
    assert_eq!(e.kind(), ServiceLogKind::Unknown("restarting".into()));
    assert_eq!(to_value(&e), json!({"type":"restarting","timestamp":5}));
}

#[test]
fn service_event_built_by_new_serializes() {
    let e = ServiceLogEntry::new(
        ServiceLogKind::Started,
        chrono::DateTime::from_timestamp_millis(1_780_420_274_555),
    );
    assert_eq!(
        to_value(&e),
        json!({"type":"started","timestamp":1_780_420_274_555_i64})
    );
}

#[test]
fn signal_service_request_sends_bare_signal_name() {
    let req = SignalServiceRequest::new("web", Signal::SIGHUP);
    assert_eq!(to_value(&req), json!({"name":"web","signal":"HUP"}));
}

#[test]
fn signal_service_request_accepts_sig_prefix() {
    let req: SignalServiceRequest = parse(r#"{"name":"web","signal":"SIGTERM"}"#);
    assert_eq!(req.signal, Signal::SIGTERM);
    assert_eq!(to_value(&req.signal), json!("TERM"));
}

// ---------------------------------------------------------------- policy (§10)

#[test]
fn policy_docs_example_moves_include_rules_apart() {
    let policy: NetworkPolicy = parse(POLICY_DOCS);
    assert_eq!(policy.include, vec!["defaults"]);
    assert_eq!(
        policy.rules,
        vec![
            NetworkPolicyRule {
                domain: "api.github.com".into(),
                action: PolicyAction::Allow,
            },
            NetworkPolicyRule {
                domain: "*".into(),
                action: PolicyAction::Deny,
            },
        ]
    );
}

#[test]
fn policy_docs_example_round_trips_to_same_json() {
    let policy: NetworkPolicy = parse(POLICY_DOCS);
    assert_eq!(to_value(&policy), parse::<Value>(POLICY_DOCS));
}

#[test]
fn policy_include_serializes_as_include_rule() {
    let policy = NetworkPolicy {
        rules: vec![],
        include: vec!["defaults".into()],
    };
    assert_eq!(
        serde_json::to_string(&policy).unwrap(),
        r#"{"rules":[{"include":"defaults"}]}"#
    );
}

#[test]
fn policy_seed_struct_literal_serializes() {
    let policy = NetworkPolicy {
        rules: vec![
            NetworkPolicyRule {
                domain: "api.anthropic.com".into(),
                action: PolicyAction::Allow,
            },
            NetworkPolicyRule {
                domain: "*".into(),
                action: PolicyAction::Deny,
            },
        ],
        include: vec![],
    };
    assert_eq!(
        to_value(&policy),
        json!({"rules":[{"domain":"api.anthropic.com","action":"allow"},
                        {"domain":"*","action":"deny"}]})
    );
}

#[test]
fn policy_default_is_empty_rules() {
    assert_eq!(
        serde_json::to_string(&NetworkPolicy::default()).unwrap(),
        r#"{"rules":[]}"#
    );
    let parsed: NetworkPolicy = parse(r#"{"rules":[]}"#);
    assert_eq!(parsed, NetworkPolicy::default());
}

#[test]
fn policy_null_rules_is_empty() {
    let parsed: NetworkPolicy = parse(r#"{"rules":null}"#);
    assert_eq!(parsed, NetworkPolicy::default());
}

#[test]
fn policy_unknown_action_round_trips() {
    let policy: NetworkPolicy = parse(r#"{"rules":[{"domain":"x.com","action":"log"}]}"#);
    assert_eq!(policy.rules[0].action, PolicyAction::Unknown("log".into()));
    assert_eq!(
        to_value(&policy),
        json!({"rules":[{"domain":"x.com","action":"log"}]})
    );
}

// ---------------------------------------------------------------- filesystem (§11)

#[test]
fn fs_list_directory_parses() {
    let list: FsListResponse = parse(FS_LIST_DIR);
    assert_eq!(list.path, "/home/sprite");
    assert_eq!(list.count, 3);
    let app = &list.entries[0];
    assert_eq!(app.file_type, FsEntryType::Directory);
    assert!(app.is_dir);
    assert_eq!(app.mode_bits(), Some(0o755));
    assert_eq!(app.mod_time, Some(utc(2026, 1, 31, 10, 28, 13)));
}

#[test]
fn fs_symlink_is_not_a_dir() {
    let list: FsListResponse = parse(FS_LIST_DIR);
    assert_eq!(list.entries[2].file_type, FsEntryType::Symlink);
    assert!(!list.entries[2].is_dir);
}

#[test]
fn fs_list_round_trips_to_wire_names() {
    let list: FsListResponse = parse(FS_LIST_DIR);
    assert_eq!(to_value(&list), parse::<Value>(FS_LIST_DIR));
}

#[test]
fn fs_entry_other_type_round_trips() {
    let e: FsEntry = parse(r#"{"name":"s","path":"/s","type":"socket","mode":"755"}"#);
    assert_eq!(e.file_type, FsEntryType::Other("socket".into()));
    assert_eq!(to_value(&e)["type"], "socket");
}

#[test]
fn fs_entry_converts_to_file_info() {
    let list: FsListResponse = parse(FS_LIST_DIR);
    let info = FileInfo::from(&list.entries[1]);
    assert_eq!(
        info,
        FileInfo {
            name: "notes.txt".into(),
            size: 12,
            mode: 0o644,
            modified: list.entries[1].mod_time,
            is_dir: false,
        }
    );
}

#[test]
fn fs_entry_converts_to_dir_entry() {
    let list: FsListResponse = parse(FS_LIST_DIR);
    let entry = DirEntry::from(list.entries[0].clone());
    assert_eq!(entry.name, "app");
    assert!(entry.is_dir);
    assert_eq!(entry.mode, 0o755);
    assert_eq!(entry.size, 4096);
}

#[test]
fn fs_entry_with_unreadable_mode_converts_with_zero_mode() {
    let e: FsEntry = parse(r#"{"name":"x","mode":"weird"}"#);
    assert_eq!(FileInfo::from(e).mode, 0);
}

#[test]
fn parse_mode_reads_three_and_four_digit_octal() {
    assert_eq!(parse_mode("644"), Some(0o644));
    assert_eq!(parse_mode("0644"), Some(0o644));
    assert_eq!(parse_mode(" 4755 "), Some(0o4755));
}

#[test]
fn parse_mode_reads_ls_style_text() {
    assert_eq!(parse_mode("-rw-r--r--"), Some(0o644));
    assert_eq!(parse_mode("drwxrwxrwt"), Some(0o1777));
    assert_eq!(parse_mode("-rwsr-xr-x"), Some(0o4755));
}

#[test]
fn parse_mode_rejects_garbage() {
    assert_eq!(parse_mode(""), None);
    assert_eq!(parse_mode("0o"), None);
    assert_eq!(parse_mode("789"), None);
    assert_eq!(parse_mode("77777777777"), None);
    assert_eq!(parse_mode("-rw-r--r-Z"), None);
}

#[test]
fn format_mode_writes_four_digits() {
    assert_eq!(format_mode(0o644), "0644");
    assert_eq!(format_mode(0o100_644), "0644");
}

#[test]
fn fs_write_response_parses() {
    let r: FsWriteResponse = parse(r#"{"path":"/abs/path","size":5,"mode":"0644"}"#);
    assert_eq!(
        r,
        FsWriteResponse {
            path: "/abs/path".into(),
            size: 5,
            mode: "0644".into(),
        }
    );
}

#[test]
fn fs_delete_response_parses() {
    let r: FsDeleteResponse = parse(r#"{"deleted":["/a","/a/b"],"count":2}"#);
    assert_eq!(r.deleted, vec!["/a", "/a/b"]);
    assert_eq!(r.count, 2);
}

#[test]
fn fs_rename_request_uses_camel_case() {
    let req = FsRenameRequest {
        source: "a".into(),
        dest: "b".into(),
        working_dir: Some("/home/sprite".into()),
        as_root: true,
    };
    assert_eq!(
        to_value(&req),
        json!({"source":"a","dest":"b","workingDir":"/home/sprite","asRoot":true})
    );
    let resp: FsRenameResponse = parse(r#"{"source":"/home/sprite/a","dest":"/home/sprite/b"}"#);
    assert_eq!(resp.dest, "/home/sprite/b");
}

#[test]
fn fs_copy_request_and_response_use_camel_case() {
    let req = FsCopyRequest {
        source: "a".into(),
        dest: "b".into(),
        working_dir: Some("/".into()),
        recursive: true,
        preserve_attrs: true,
        as_root: false,
    };
    assert_eq!(
        to_value(&req),
        json!({"source":"a","dest":"b","workingDir":"/","recursive":true,"preserveAttrs":true})
    );
    let resp: FsCopyResponse =
        parse(r#"{"copied":[{"source":"/a","dest":"/b"}],"count":1,"totalBytes":12}"#);
    assert_eq!(resp.copied[0].dest, "/b");
    assert_eq!(resp.total_bytes, 12);
}

#[test]
fn fs_chmod_request_and_response_parse() {
    let req: FsChmodRequest =
        parse(r#"{"path":"x","workingDir":"/","mode":"0755","recursive":false,"asRoot":true}"#);
    assert_eq!(req.mode, "0755");
    assert!(req.as_root);
    let resp: FsChmodResponse = parse(r#"{"affected":[{"path":"/x","mode":"0755"}],"count":1}"#);
    assert_eq!(resp.affected[0].mode, "0755");
}

#[test]
fn fs_chown_request_sends_null_for_unset_ids() {
    let req = FsChownRequest {
        path: "x".into(),
        uid: Some(1000),
        ..FsChownRequest::default()
    };
    assert_eq!(
        to_value(&req),
        json!({"path":"x","uid":1000,"gid":null,"recursive":false})
    );
    let resp: FsChownResponse =
        parse(r#"{"affected":[{"path":"/x","uid":1000,"gid":null}],"count":1}"#);
    assert_eq!(resp.affected[0].uid, Some(1000));
    assert_eq!(resp.affected[0].gid, None);
}

#[test]
fn fs_watch_message_parses() {
    let m: FsWatchMessage = parse(
        r#"{"type":"event","path":"/home/sprite/a","event":"write","isDir":false,"size":3,
        "timestamp":"2026-01-31T10:00:00Z"}"#,
    );
    assert_eq!(m.message_type, "event");
    assert_eq!(m.event.as_deref(), Some("write"));
    assert_eq!(m.is_dir, Some(false));
}

// ---------------------------------------------------------------- errors and proxy (§1.4, §7)

#[test]
fn error_body_simple_shape() {
    let body = ErrorBody::error("authentication failed");
    assert_eq!(to_value(&body), json!({"error":"authentication failed"}));
}

#[test]
fn error_body_rate_limit_shape_round_trips() {
    let text = r#"{"error":"sprite_creation_rate_limited","message":"slow down","limit":10,
        "window_seconds":60,"retry_after_seconds":30,"current_count":11,
        "upgrade_available":true,"upgrade_url":"https://fly.io/upgrade"}"#;
    let body: ErrorBody = parse(text);
    assert_eq!(body.retry_after_seconds, Some(30));
    assert_eq!(body.upgrade_available, Some(true));
    assert_eq!(to_value(&body), parse::<Value>(text));
}

#[test]
fn error_body_validation_shape() {
    let body: ErrorBody =
        parse(r#"{"errors":["invalid auth type, must be one of: sprite, public"]}"#);
    assert_eq!(
        body.errors,
        Some(vec![
            "invalid auth type, must be one of: sprite, public".into()
        ])
    );
}

#[test]
fn error_body_validation_items_that_are_not_strings_become_text() {
    let body: ErrorBody = parse(r#"{"errors":["a",{"field":"name"}]}"#);
    assert_eq!(
        body.errors,
        Some(vec!["a".into(), r#"{"field":"name"}"#.into()])
    );
}

#[test]
fn error_body_filesystem_shape() {
    let body = ErrorBody::filesystem("no such file", "ENOENT", Some("/x".into()));
    assert_eq!(
        to_value(&body),
        json!({"error":"no such file","code":"ENOENT","path":"/x"})
    );
}

#[test]
fn proxy_connect_serializes_host_and_port() {
    let c = ProxyConnect::new("localhost", 8080);
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        r#"{"host":"localhost","port":8080}"#
    );
}

#[test]
fn proxy_connect_empty_host_means_localhost() {
    let c: ProxyConnect = parse(r#"{"host":"","port":22}"#);
    assert_eq!(c.target_host(), "localhost");
    let ip: ProxyConnect = parse(r#"{"host":"fdf::1","port":22}"#);
    assert_eq!(ip.target_host(), "fdf::1");
}

#[test]
fn proxy_connect_rejects_out_of_range_port() {
    assert!(serde_json::from_str::<ProxyConnect>(r#"{"host":"x","port":70000}"#).is_err());
}

#[test]
fn proxy_reply_connected_round_trips() {
    let reply = ProxyReply::connected("localhost:8080");
    assert_eq!(
        to_value(&reply),
        json!({"status":"connected","target":"localhost:8080"})
    );
    assert!(
        parse::<ProxyReply>(r#"{"status":"connected","target":"localhost:8080"}"#).is_connected()
    );
}

#[test]
fn proxy_reply_other_status_is_failure() {
    let reply: ProxyReply = parse(r#"{"status":"refused"}"#);
    assert!(!reply.is_connected());
}

// ---------------------------------------------------------------- properties

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_sprite_status_string_round_trips(s in "\\PC*") {
            let status: SpriteStatus = serde_json::from_value(json!(s)).unwrap();
            let back = serde_json::to_value(&status).unwrap();
            let reparsed: SpriteStatus = serde_json::from_value(back).unwrap();
            prop_assert_eq!(reparsed, status);
        }

        #[test]
        fn unknown_stream_types_keep_the_line(kind in "[a-z_]{1,12}", n in any::<i64>()) {
            prop_assume!(!StreamMessage::KNOWN_TYPES.contains(&kind.as_str()));
            let line = json!({"type": kind, "n": n});
            let msg: StreamMessage = serde_json::from_value(line.clone()).unwrap();
            prop_assert_eq!(serde_json::to_value(&msg).unwrap(), line);
        }

        #[test]
        fn parse_mode_never_panics(s in "\\PC{0,16}") {
            let _ = parse_mode(&s);
        }

        #[test]
        fn octal_modes_round_trip(mode in 0u32..0o7777) {
            prop_assert_eq!(parse_mode(&format_mode(mode)), Some(mode));
        }
    }
}

#[test]
fn stream_message_unknown_lines_are_kept_whole() {
    use sprites_core::model::StreamMessage;
    for line in [
        r#"{"type":"progress","pct":5,"data":"x","time":"2026-01-31T12:24:41Z","nested":{"a":[1,2]}}"#,
        r#"{"type":7,"data":"x"}"#,
        r#"{"data":"no type"}"#,
        r#"[1,2]"#,
        r#""text""#,
    ] {
        let parsed: StreamMessage = serde_json::from_str(line).unwrap();
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(parsed, StreamMessage::Unknown(value), "{line}");
    }
}

#[test]
fn stream_message_known_type_with_bad_field_is_an_error() {
    use sprites_core::model::StreamMessage;
    let err = serde_json::from_str::<StreamMessage>(r#"{"type":"info","data":5}"#).unwrap_err();
    assert!(err.to_string().contains("info"), "{err}");
}
