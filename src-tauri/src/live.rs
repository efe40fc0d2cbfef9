//! Commands for the live parts: sharing my card (link, QR, offline QR, reset), publishing,
//! adding by link or QR image, open-cached-then-refresh, batch sync, contact actions and the
//! gesture classifier. Thin over `livecard_core::Core` and `livecard_actions`.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use livecard_actions::{
    action_for_gesture, actions_for, fallback_for, Action, FallbackOffer, FieldActions, Gesture,
    GestureClassifier, GestureConfig, GestureMapping, Platform, Sample,
};
use livecard_core::{
    AddOutcome, AddReport, Change, Core, CoreError, PublishState, ReceivedCard, Refresh,
    ShareState, SyncReport,
};
use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::AppState;

/// The platform actions are built for.
#[cfg(target_os = "android")]
pub const PLATFORM: Platform = Platform::Android;
#[cfg(target_os = "ios")]
pub const PLATFORM: Platform = Platform::Ios;
#[cfg(not(any(target_os = "android", target_os = "ios")))]
pub const PLATFORM: Platform = Platform::Desktop;

/// Sync bookkeeping of this run (when each card last heard from its server is kept by the
/// core, in SQLite).
#[derive(Debug, Default)]
pub struct LiveState {
    /// Held while a batch sync runs: a second one is skipped, not queued.
    sync_running: tokio::sync::Mutex<()>,
    last_sync: Mutex<Option<SyncStatus>>,
    /// One classifier per open card.
    gestures: Mutex<HashMap<String, GestureClassifier>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ------------------------------------------------------------------ my card: share and publish

/// What the "my card" screen shows about sharing: the core's [`ShareState`] and whether a
/// server is configured.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MyShare {
    #[serde(flatten)]
    pub share: ShareState,
    /// A server is configured.
    pub has_server: bool,
}

#[tauri::command]
pub async fn me_share(state: State<'_, AppState>) -> CommandResult<MyShare> {
    me_share_in(&state.core(), state.has_server()).await
}

pub async fn me_share_in(core: &Core, has_server: bool) -> CommandResult<MyShare> {
    Ok(MyShare {
        share: core.share_state(None).await?,
        has_server,
    })
}

/// The QR code (SVG) of the link plus an offline copy of the card, within the offline-QR
/// budget (optional fields such as the avatar left out to fit; the CLI's `me qr-offline`
/// makes the same).
#[tauri::command]
pub async fn me_offline_qr(state: State<'_, AppState>) -> CommandResult<String> {
    me_offline_qr_in(&state.core()).await
}

pub async fn me_offline_qr_in(core: &Core) -> CommandResult<String> {
    let q = core.offline_qr(None).await?;
    Ok(livecard_core::qr::qr_svg(&q.text).map_err(CoreError::Qr)?)
}

#[tauri::command]
pub async fn me_publish(state: State<'_, AppState>) -> CommandResult<PublishState> {
    publish_in(&state.core()).await
}

pub async fn publish_in(core: &Core) -> CommandResult<PublishState> {
    Ok(core.publish_state(None).await?)
}

/// New share link: holders of the old one keep their copy and stop receiving updates.
#[tauri::command]
pub async fn me_reset_link(state: State<'_, AppState>) -> CommandResult<MyShare> {
    let core = state.core();
    core.reset_link(None).await?;
    me_share_in(&core, state.has_server()).await
}

// ------------------------------------------------------------------ adding

/// Add the card of a pasted share link.
#[tauri::command]
pub async fn add_link(state: State<'_, AppState>, text: String) -> CommandResult<AddOutcome> {
    Ok(state.core().add_link(text.trim()).await?)
}

/// Add every card whose QR code is in a picture (a phone photo, a screenshot: PNG/JPEG): share
/// links (live cards), offline QR codes (saved at once), vCard/MeCard (static). The bytes come
/// as the raw request body (`invoke('add_qr_image', bytes)`: desktop webviews send it as is;
/// Android's WebView has no request bodies, so there they arrive as a JSON number array).
#[tauri::command]
pub async fn add_qr_image(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> CommandResult<AddReport> {
    let bytes = body_bytes(request.body())?;
    Ok(state.core().add_qr_image(&bytes).await?)
}

/// The QR texts in one camera frame (PNG/JPEG), empty when none: the live webview-camera scan
/// sends a frame every few hundred milliseconds and stops at the first text.
#[tauri::command]
pub async fn decode_qr_frame(request: tauri::ipc::Request<'_>) -> CommandResult<Vec<String>> {
    let bytes = body_bytes(request.body())?;
    match livecard_core::picture::decode_picture(bytes).await {
        Ok(texts) => Ok(texts),
        Err(e) if e.kind() == "no_qr_code" => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// A picture sent as the raw body, or (Android, or an old caller) as a JSON number array or
/// `{"bytes": [...]}`.
pub fn body_bytes(body: &tauri::ipc::InvokeBody) -> CommandResult<Vec<u8>> {
    match body {
        tauri::ipc::InvokeBody::Raw(bytes) => Ok(bytes.clone()),
        tauri::ipc::InvokeBody::Json(v) => {
            let v = v.get("bytes").unwrap_or(v);
            serde_json::from_value::<Vec<u8>>(v.clone())
                .map_err(|_| CommandError::invalid("expected the picture's bytes (PNG or JPEG)"))
        }
    }
}

// ------------------------------------------------------------------ open, refresh, sync

/// A received card as the detail screen shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CardView {
    pub card: ReceivedCard,
    /// Newest first.
    pub changes: Vec<Change>,
    pub partial: bool,
    /// When this card's server last confirmed the copy (kept by the core across restarts).
    pub synced_at: Option<DateTime<Utc>>,
    /// What the refresh did; `None` for the cached view.
    pub refresh: Option<Refresh>,
}

/// The cached copy at once (marks it seen); the UI then calls `card_refresh`.
#[tauri::command]
pub async fn card_view(state: State<'_, AppState>, id: String) -> CommandResult<CardView> {
    let core = state.core();
    let card = core.open_cached(&id).await?;
    Ok(CardView {
        changes: core.changes(&id).await?,
        partial: core.is_partial(&id).await?,
        synced_at: card.synced_at,
        card,
        refresh: None,
    })
}

/// Refresh one card from its server (conditional request); offline is reported, not an error.
#[tauri::command]
pub async fn card_refresh(state: State<'_, AppState>, id: String) -> CommandResult<CardView> {
    let core = state.core();
    let refresh = core.refresh(&id).await?;
    let card = core.get(&id).await?;
    Ok(CardView {
        changes: core.changes(&id).await?,
        partial: core.is_partial(&id).await?,
        synced_at: card.synced_at,
        card,
        refresh: Some(refresh),
    })
}

/// The last batch sync of this run.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    pub at: DateTime<Utc>,
    /// No server answered (every error was "not reachable").
    pub offline: bool,
    pub report: SyncReport,
}

/// What `sync_now` did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncRun {
    /// False when another sync was still running (nothing was done).
    pub ran: bool,
    pub status: Option<SyncStatus>,
}

/// One batch sync of all live cards (and the outbox); skipped while another runs.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> CommandResult<SyncRun> {
    let Ok(_guard) = state.live.sync_running.try_lock() else {
        return Ok(SyncRun {
            ran: false,
            status: lock(&state.live.last_sync).clone(),
        });
    };
    let core = state.core();
    let report = core.sync().await?;
    // Offline: the batch answered nothing (every server unreachable).
    let offline = report.checked + report.outbox_replayed + report.outbox_pending > 0
        && report.requests == 0
        && report.outbox_replayed == 0
        && !report.errors.is_empty();
    let now = Utc::now();
    let status = SyncStatus {
        at: now,
        offline,
        report,
    };
    *lock(&state.live.last_sync) = Some(status.clone());
    Ok(SyncRun {
        ran: true,
        status: Some(status),
    })
}

#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> Option<SyncStatus> {
    lock(&state.live.last_sync).clone()
}

// ------------------------------------------------------------------ actions

/// Every field's actions for a received card (call, SMS, copy, open app, map…).
#[tauri::command]
pub async fn card_actions(
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<Vec<FieldActions>> {
    let card = state.core().get(&id).await?;
    Ok(actions_for(&card.card, Utc::now(), PLATFORM))
}

/// The texts of every action/field/fallback label key in `lang` ("zh…" or English).
#[tauri::command]
pub fn action_labels(lang: String) -> HashMap<String, &'static str> {
    livecard_actions::labels::all(&lang).into_iter().collect()
}

/// What to offer after opening `action` failed (desktop: the web page).
#[tauri::command]
pub fn action_fallbacks(action: Action, app_missing: bool) -> Vec<FallbackOffer> {
    fallback_for(&action, PLATFORM, app_missing)
}

// ------------------------------------------------------------------ gestures

/// A recognised gesture and what it will do after the countdown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GestureHit {
    pub gesture: Gesture,
    pub action: Action,
}

/// Start listening on an open card (a fresh classifier). Refused while gestures are off.
#[tauri::command]
pub fn gesture_start(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    if !state.settings.load(None)?.gestures {
        return Err(CommandError::new(
            "gestures_off",
            "gestures are off in settings",
        ));
    }
    lock(&state.live.gestures).insert(id, GestureClassifier::new(GestureConfig::default()));
    Ok(())
}

#[tauri::command]
pub fn gesture_stop(state: State<'_, AppState>, id: String) {
    lock(&state.live.gestures).remove(&id);
}

/// Feed accelerometer samples (accelerationIncludingGravity, m/s²) of the open card `id`;
/// the first gesture recognised, with the call or SMS it maps to.
#[tauri::command]
pub async fn gesture_feed(
    state: State<'_, AppState>,
    id: String,
    samples: Vec<Sample>,
) -> CommandResult<Option<GestureHit>> {
    let gesture = {
        let mut all = lock(&state.live.gestures);
        let Some(c) = all.get_mut(&id) else {
            return Err(CommandError::new(
                "gestures_off",
                "no gesture listener for this card (open it with gestures on)",
            ));
        };
        classify(c, &samples)
    };
    let Some(gesture) = gesture else {
        return Ok(None);
    };
    let card = state.core().get(&id).await?;
    let fields = actions_for(&card.card, Utc::now(), PLATFORM);
    let mapping = gesture_mapping(state.settings.load(None)?.gestures_swapped);
    Ok(action_for_gesture(&fields, gesture, mapping).map(|action| GestureHit { gesture, action }))
}

/// Lift = call, put down = SMS; swapped in settings: the other way round.
pub fn gesture_mapping(swapped: bool) -> GestureMapping {
    if swapped {
        GestureMapping::default().swapped()
    } else {
        GestureMapping::default()
    }
}

/// Push samples until the classifier recognises a gesture (then it starts afresh).
pub fn classify(c: &mut GestureClassifier, samples: &[Sample]) -> Option<Gesture> {
    for s in samples {
        if !(s.t_ms.is_finite() && s.x.is_finite() && s.y.is_finite() && s.z.is_finite()) {
            continue;
        }
        if let Some(g) = c.push(*s) {
            c.reset();
            return Some(g);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(name: &str) -> Vec<Sample> {
        let path = format!(
            "{}/../crates/livecard-actions/traces/{name}.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        livecard_actions::parse_trace_csv(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn classifier_finds_lift_and_put_down_and_ignores_walking() {
        let mut c = GestureClassifier::new(GestureConfig::default());
        assert_eq!(
            classify(&mut c, &trace("lift_up-lift-01")),
            Some(Gesture::LiftUp)
        );
        let mut c = GestureClassifier::new(GestureConfig::default());
        assert_eq!(
            classify(&mut c, &trace("put_down-put_down-01")),
            Some(Gesture::PutDown)
        );
        let mut c = GestureClassifier::new(GestureConfig::default());
        assert_eq!(classify(&mut c, &trace("none-walking-01")), None);
        // Garbage samples are skipped, not fed.
        let mut c = GestureClassifier::new(GestureConfig::default());
        assert_eq!(
            classify(&mut c, &[Sample::new(f64::NAN, 0.0, 0.0, 9.8)]),
            None
        );
    }

    #[test]
    fn swapped_gestures_text_on_lift_and_call_on_put_down() {
        let card = livecard_format::Card {
            name: "张三".into(),
            mobile: vec!["+8613800138000".into()],
            ..Default::default()
        };
        let fields = actions_for(&card, Utc::now(), Platform::Android);
        let url = |g, swapped| {
            action_for_gesture(&fields, g, gesture_mapping(swapped))
                .unwrap()
                .url
                .unwrap()
        };
        assert!(url(Gesture::LiftUp, false).starts_with("tel:"));
        assert!(url(Gesture::PutDown, false).starts_with("sms"));
        assert!(url(Gesture::LiftUp, true).starts_with("sms"));
        assert!(url(Gesture::PutDown, true).starts_with("tel:"));
    }

    #[tokio::test]
    async fn unpublished_share_and_publish_without_server() {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(dir.path(), livecard_format::Region::default())
            .await
            .unwrap()
            .with_secrets(std::sync::Arc::new(
                livecard_core::keystore::MemoryStore::new(),
            ));
        let s = me_share_in(&core, false).await.unwrap();
        assert!(!s.share.published && s.share.link.is_none());
        crate::commands::me_save_in(
            &core,
            livecard_format::Card {
                name: "张三".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            publish_in(&core).await.unwrap(),
            PublishState::NoServer
        ));
    }

    #[tokio::test]
    async fn garbage_image_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(dir.path(), livecard_format::Region::default())
            .await
            .unwrap();
        let e: CommandError = core.add_qr_image(b"not an image").await.unwrap_err().into();
        assert_eq!(e.kind, "invalid_input");
    }

    #[test]
    fn picture_bytes_come_raw_or_as_a_number_array() {
        use tauri::ipc::InvokeBody;
        let raw = body_bytes(&InvokeBody::Raw(vec![0xFF, 0xD8, 0xFF])).unwrap();
        assert_eq!(raw, vec![0xFF, 0xD8, 0xFF]);
        let arr = body_bytes(&InvokeBody::Json(serde_json::json!([137, 80, 78, 71]))).unwrap();
        assert_eq!(arr, vec![137, 80, 78, 71]);
        let obj = body_bytes(&InvokeBody::Json(serde_json::json!({"bytes": [1, 2]}))).unwrap();
        assert_eq!(obj, vec![1, 2]);
        let e = body_bytes(&InvokeBody::Json(serde_json::json!([1, 300]))).unwrap_err();
        assert_eq!(e.kind, "invalid_input");
        assert!(body_bytes(&InvokeBody::Json(serde_json::json!("text"))).is_err());
    }
}
