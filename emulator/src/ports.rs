//! Port watcher: placeholder.
use crate::store::AppState;
pub(crate) async fn watch(_st: AppState) {}
