//! Sprite management routes (spec §4): create, list, get, update, delete, upgrade.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::SubsecRound;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use sprites_core::model::{SpriteInfo, SpriteStatus, UrlSettings};

use crate::error::{edge_json, ApiError, ApiResult};
use crate::isolation::SpriteEnv;
use crate::store::{
    is_valid_name, lock, random_uuid, AppState, CheckpointMeta, Shared, Sprite, SpriteMeta,
};
use crate::util::{json_body, Query};

#[derive(Debug, Deserialize)]
struct CreateBody {
    name: Option<String>,
    #[serde(default)]
    config: Option<serde_json::Value>,
    #[serde(default)]
    environment: Option<BTreeMap<String, String>>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    url_settings: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct UpdateBody {
    #[serde(default)]
    url_settings: Option<serde_json::Value>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    clear_labels: Option<bool>,
}

/// `POST /v1/sprites`.
pub(crate) async fn create(State(st): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let body: CreateBody = json_body(&body)?;
    let name = body.name.unwrap_or_default();
    if !is_valid_name(&name) {
        return Err(ApiError::bad_request("invalid sprite name format"));
    }
    let url_settings = validate_url_settings(body.url_settings, None)?;
    let sprite = {
        let mut sprites = lock(&st.sprites);
        if sprites.contains_key(&name) {
            return Err(ApiError::conflict(format!(
                "A sprite named '{name}' already exists. Please choose a different name."
            )));
        }
        let now = Utc::now();
        let meta = SpriteMeta {
            id: format!("sprite-{}", random_uuid()),
            name: name.clone(),
            created_at: now,
            updated_at: now,
            labels: body.labels.unwrap_or_default(),
            url_settings,
            environment: body.environment.unwrap_or_default(),
            config: body.config.unwrap_or(serde_json::Value::Null),
            checkpoints: vec![CheckpointMeta {
                id: "v0".into(),
                create_time: now,
                comment: None,
                source_id: None,
            }],
            next_checkpoint: 1,
            current_checkpoint: Some("v0".into()),
            services: BTreeMap::new(),
            network_policy: None,
            privileges_policy: None,
            resources_policy: None,
            last_running_at: None,
        };
        let sprite = Arc::new(new_sprite(&st, meta));
        sprites.insert(name.clone(), sprite.clone());
        sprite
    };
    let prepared = sprite.env.create_dirs().and_then(|()| {
        crate::checkpoints::copy_tree(
            &sprite.env.layer_dir(),
            &sprite.checkpoints_dir().join("v0"),
        )?;
        sprite.save()
    });
    if let Err(e) = prepared {
        lock(&st.sprites).remove(&name);
        let _ = crate::util::remove_tree(&sprite.dir);
        return Err(ApiError::internal(format!("failed to create sprite: {e}")));
    }
    Ok(edge_json(StatusCode::CREATED, &info(&st, &sprite)))
}

/// Builds the runtime object for a sprite's metadata (no I/O).
pub(crate) fn new_sprite(st: &Shared, meta: SpriteMeta) -> Sprite {
    let dir = st.sprites_dir().join(&meta.name);
    let cg = st
        .cgroup_root
        .as_ref()
        .map(|root| crate::cgroup::Cgroup::new(root.join(&meta.name)));
    let env = SpriteEnv::new(st.isolation, dir.clone(), cg);
    Sprite::new(meta.name.clone(), dir, meta, env)
}

fn validate_url_settings(
    value: Option<serde_json::Value>,
    current: Option<&serde_json::Value>,
) -> ApiResult<serde_json::Value> {
    let invalid = || ApiError::bad_request("invalid auth type, must be one of: sprite, public");
    let mut out = current
        .filter(|v| v.is_object())
        .cloned()
        .unwrap_or_else(|| json!({"auth": "sprite"}));
    let Some(value) = value else {
        return Ok(out);
    };
    let obj = value.as_object().ok_or_else(invalid)?;
    if let Some(auth) = obj.get("auth") {
        match auth.as_str() {
            Some("sprite" | "public") => {}
            _ => return Err(invalid()),
        }
    }
    if let Some(target) = out.as_object_mut() {
        for (k, v) in obj {
            target.insert(k.clone(), v.clone());
        }
    }
    Ok(out)
}

/// The full `SpriteInfo` of a sprite.
pub(crate) fn info(st: &Shared, sprite: &Sprite) -> serde_json::Value {
    let status = match sprite.status(&st.limits) {
        "running" => SpriteStatus::Running,
        "warm" => SpriteStatus::Warm,
        _ => SpriteStatus::Cold,
    };
    let meta = lock(&sprite.meta);
    let micros = |t: &chrono::DateTime<Utc>| t.trunc_subsecs(6);
    let info = SpriteInfo {
        id: meta.id.clone(),
        name: meta.name.clone(),
        organization_name: "emulator".into(),
        status,
        config: serde_json::from_value(meta.config.clone()).unwrap_or_default(),
        environment: meta.environment.clone(),
        created_at: Some(micros(&meta.created_at)),
        updated_at: Some(micros(&meta.updated_at)),
        url: Some(format!("{}/s/{}", st.base_url, meta.name)),
        url_settings: serde_json::from_value::<UrlSettings>(meta.url_settings.clone()).ok(),
        bucket_name: None,
        primary_region: Some("local".into()),
        labels: meta.labels.clone(),
        version: None,
        environment_version: None,
        last_running_at: meta.last_running_at.as_ref().map(micros),
        last_warming_at: None,
        last_started_at: None,
        last_active_at: meta.last_running_at.as_ref().map(micros),
    };
    serde_json::to_value(&info).unwrap_or_default()
}

/// `GET /v1/sprites?prefix=&max_results=&continuation_token=`.
pub(crate) async fn list(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Query::parse(raw.as_deref());
    let prefix = q.get("prefix").unwrap_or("");
    let max = match q.u64("max_results")? {
        None => 50,
        Some(0) => return Err(ApiError::bad_request("invalid max_results: 0")),
        Some(n) => usize::try_from(n.min(100)).unwrap_or(100),
    };
    let after = q.get("continuation_token").filter(|t| !t.is_empty());
    let all: Vec<Arc<Sprite>> = lock(&st.sprites)
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .filter(|(name, _)| after.is_none_or(|a| name.as_str() > a))
        .map(|(_, s)| s.clone())
        .collect();
    let has_more = all.len() > max;
    let page: Vec<&Arc<Sprite>> = all.iter().take(max).collect();
    let next = if has_more {
        page.last().map(|s| s.name.clone())
    } else {
        None
    };
    let sprites: Vec<serde_json::Value> = page.iter().map(|s| info(&st, s)).collect();
    Ok(edge_json(
        StatusCode::OK,
        &json!({"sprites": sprites, "has_more": has_more, "next_continuation_token": next}),
    ))
}

/// `GET /v1/sprites/{name}`.
pub(crate) async fn get(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let sprite = st.sprite(&name).ok_or_else(ApiError::sprite_not_found)?;
    Ok(edge_json(StatusCode::OK, &info(&st, &sprite)))
}

/// `PUT /v1/sprites/{name}`.
pub(crate) async fn update(
    State(st): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let sprite = st.sprite(&name).ok_or_else(ApiError::sprite_not_found)?;
    let body: UpdateBody = json_body(&body)?;
    {
        let mut meta = lock(&sprite.meta);
        let url_settings = validate_url_settings(body.url_settings, Some(&meta.url_settings))?;
        meta.url_settings = url_settings;
        if body.clear_labels == Some(true) {
            meta.labels.clear();
        }
        if let Some(labels) = body.labels {
            meta.labels = labels;
        }
        meta.updated_at = Utc::now();
    }
    sprite
        .save()
        .map_err(|e| ApiError::internal(format!("failed to save sprite: {e}")))?;
    Ok(edge_json(StatusCode::OK, &info(&st, &sprite)))
}

/// `DELETE /v1/sprites/{name}`: ends every process and removes the sprite's data.
pub(crate) async fn delete(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let sprite = lock(&st.sprites)
        .remove(&name)
        .ok_or_else(ApiError::sprite_not_found)?;
    let _guard = sprite.lifecycle.write().await;
    stop_everything(&sprite).await;
    sprite.env.remove_cgroup();
    let _ = tokio::task::spawn_blocking({
        let dir = sprite.dir.clone();
        move || crate::util::remove_tree(&dir)
    })
    .await;
    Ok(no_content())
}

/// Ends every service and session of a sprite (the caller holds the lifecycle lock).
pub(crate) async fn stop_everything(sprite: &Sprite) {
    crate::services::stop_all(sprite).await;
    let sessions: Vec<_> = lock(&sprite.sessions).values().cloned().collect();
    for s in &sessions {
        s.handle.kill();
    }
    sprite.env.stop().await;
    for s in &sessions {
        let _ = s.wait_exit(std::time::Duration::from_secs(5)).await;
    }
}

/// `POST /v1/sprites/{name}/upgrade`: nothing to upgrade; `204`.
pub(crate) async fn upgrade(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    st.sprite(&name).ok_or_else(ApiError::sprite_not_found)?;
    Ok(no_content())
}

pub(crate) fn no_content() -> Response {
    let mut resp = Response::new(axum::body::Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
}

/// Loads every persisted sprite from the data directory.
pub(crate) fn load_all(st: &Shared) -> std::io::Result<()> {
    let dir = st.sprites_dir();
    std::fs::create_dir_all(&dir)?;
    for entry in std::fs::read_dir(&dir)?.flatten() {
        let Ok(bytes) = std::fs::read(entry.path().join("meta.json")) else {
            continue;
        };
        let Ok(meta) = serde_json::from_slice::<SpriteMeta>(&bytes) else {
            continue;
        };
        if !is_valid_name(&meta.name) || entry.file_name().to_str() != Some(meta.name.as_str()) {
            continue;
        }
        let sprite = Arc::new(new_sprite(st, meta));
        let _ = sprite.env.create_dirs();
        remove_leftovers(&sprite);
        lock(&st.sprites).insert(sprite.name.clone(), sprite);
    }
    Ok(())
}

/// Removes what an interrupted restore or checkpoint left behind.
fn remove_leftovers(sprite: &Sprite) {
    let dirs = [sprite.dir.clone(), sprite.checkpoints_dir()];
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("trash-") || name.ends_with(".partial") {
                let _ = crate::util::remove_tree(&entry.path());
            }
        }
    }
}
