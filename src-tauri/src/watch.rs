//! Live updates and "send mine back" (issue 16) in the app. While the window is in front the
//! app holds `Core::watch` (watch streams to the servers of the cards held); each change is
//! emitted to the webview as the event `card-changed` (a `livecard_core::WatchUpdate`), which
//! refreshes the list and the open card with its "what changed" badge. When the window goes to
//! the background the streams stop (no background connection: phones rely on sync when the app
//! comes back, docs/MOBILE.md). The reply and inbox commands are a few lines over `Core`.

use std::sync::Mutex;

use livecard_core::{InboxEntry, ReplySent, WatchEvent};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::error::CommandResult;
use crate::AppState;

/// The running watch (its stop signal), if any.
#[derive(Debug, Default)]
pub struct WatchState {
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

fn guard(
    m: &Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
) -> std::sync::MutexGuard<'_, Option<tokio::sync::oneshot::Sender<()>>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts watching (window in front). A watch already running is kept.
pub fn start(app: &AppHandle) {
    let (Some(state), Some(w)) = (app.try_state::<AppState>(), app.try_state::<WatchState>())
    else {
        return;
    };
    let mut slot = guard(&w.stop);
    if slot.as_ref().is_some_and(|s| !s.is_closed()) {
        return;
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    *slot = Some(tx);
    let core = state.core();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let emitter = app.clone();
        // Ends on stop, or with an error (e.g. the PIN lock locked): the next focus retries.
        let _ = core
            .watch(
                async {
                    let _ = rx.await;
                },
                move |ev| {
                    if let WatchEvent::Update(u) = ev {
                        let _ = emitter.emit("card-changed", &u);
                    }
                },
            )
            .await;
        if let Some(w) = app.try_state::<WatchState>() {
            let mut slot = guard(&w.stop);
            if slot.as_ref().is_some_and(|s| s.is_closed()) {
                *slot = None;
            }
        }
    });
}

/// Stops watching (window hidden or in the background).
pub fn stop(app: &AppHandle) {
    if let Some(w) = app.try_state::<WatchState>() {
        if let Some(tx) = guard(&w.stop).take() {
            let _ = tx.send(());
        }
    }
}

/// "Send mine back": my card's link (and a note) sealed to the inbox of received card `id`.
#[tauri::command]
pub async fn reply_send(
    state: State<'_, AppState>,
    id: String,
    note: Option<String>,
) -> CommandResult<ReplySent> {
    Ok(state.core().reply(&id, note.as_deref()).await?)
}

/// Replies that arrived ("new card from …").
#[tauri::command]
pub async fn inbox_list(state: State<'_, AppState>) -> CommandResult<Vec<InboxEntry>> {
    Ok(state.core().inbox().await?)
}

/// `accept`, `ignore` or `block` the reply `msg`.
#[tauri::command]
pub async fn inbox_set(
    state: State<'_, AppState>,
    msg: String,
    action: String,
) -> CommandResult<InboxEntry> {
    let core = state.core();
    Ok(match action.as_str() {
        "accept" => core.inbox_accept(&msg).await?,
        "ignore" => core.inbox_ignore(&msg).await?,
        "block" => core.inbox_block(&msg).await?,
        other => {
            return Err(crate::error::CommandError::invalid(format!(
                "unknown inbox action {other:?} (accept, ignore or block)"
            )))
        }
    })
}
