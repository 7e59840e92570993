//! Proxy: placeholder.
use crate::error::{ApiError, ApiResult};
use axum::response::Response;
pub(crate) async fn proxy() -> ApiResult<Response> {
    Err(ApiError::internal("todo"))
}
