//! Fs: placeholder.
use crate::error::{ApiError, ApiResult};
use axum::response::Response;
pub(crate) async fn read() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn write() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn list() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn delete() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn rename() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn copy() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn chmod() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
pub(crate) async fn chown() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
