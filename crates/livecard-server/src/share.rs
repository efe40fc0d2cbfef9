//! Share page routes (`GET /c/{id}`, `/C/{id}`, `/.well-known/…`) — owned by the share-page
//! work (issue 3 item 5). They are merged into [`crate::app`]; responses with a content type
//! other than text/plain (HTML) pass the JSON error middleware unchanged.

use axum::Router;

use crate::AppState;

/// The share page's routes (implemented in [`crate::share_page`]).
pub fn routes() -> Router<AppState> {
    crate::share_page::routes()
}
