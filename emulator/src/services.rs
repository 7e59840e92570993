//! Services: placeholder.
use crate::error::{ApiError, ApiResult};
use crate::store::{Shared, Sprite};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ServiceDef {
    pub(crate) cmd: String,
}
#[derive(Debug)]
pub(crate) struct ServiceRuntime;
pub(crate) async fn stop_all(_s: &Sprite) {}
pub(crate) fn boot_all(_s: &Shared) {}
pub(crate) async fn boot(_s: Arc<Sprite>) {}
pub(crate) async fn list() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn get() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn put() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn delete() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn start() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn stop() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn restart() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn logs() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn signal() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn policy_get() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn policy_set() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn policy_delete() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
