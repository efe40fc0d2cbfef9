//! livecard's Tauri shell. Everything a card can do lives in `livecard-core`; this crate
//! opens the window, registers plugins, and maps commands (in [`commands`]) onto the core.

pub mod commands;
pub mod device;
pub mod error;
pub mod incoming;
pub mod live;
pub mod settings;
pub mod share;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tauri::{Emitter, Manager};

pub use error::{CommandError, CommandResult};

/// Where the app keeps its data: `--data-dir DIR` (or `--data-dir=DIR`) on the command line,
/// else `LIVECARD_DATA_DIR`, else the platform's app data directory. Tests pass their own
/// directory so every run starts fresh.
pub fn resolve_data_dir(
    args: &[String],
    env_dir: Option<&str>,
    platform_default: impl FnOnce() -> Option<PathBuf>,
) -> Option<PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--data-dir" {
            if let Some(v) = it.next().filter(|v| !v.is_empty()) {
                return Some(PathBuf::from(v));
            }
        } else if let Some(v) = a.strip_prefix("--data-dir=").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(v));
        }
    }
    if let Some(v) = env_dir.filter(|v| !v.trim().is_empty()) {
        return Some(PathBuf::from(v));
    }
    platform_default()
}

/// State shared by every command.
pub struct AppState {
    /// The client core; replaced (same store, same keystore) when the server URL changes.
    core: RwLock<Arc<livecard_core::Core>>,
    pub data_dir: PathBuf,
    pub settings: settings::SettingsStore,
    /// LIVECARD_SERVER, when set: the server to use whatever the settings say.
    pub server_override: Option<String>,
    /// Sync times, the running-sync guard, gesture classifiers.
    pub live: live::LiveState,
}

impl AppState {
    pub async fn open(data_dir: &Path, server_override: Option<String>) -> CommandResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            CommandError::new(
                "io",
                format!("cannot create data directory {}: {e}", data_dir.display()),
            )
        })?;
        let settings = settings::SettingsStore::new(data_dir);
        let server = effective_server(&settings, server_override.as_deref());
        let mut core = livecard_core::Core::open(data_dir, livecard_format::Region::default())
            .await?
            .with_server(server);
        // The OS keystore; debug builds only: the one LIVECARD_KEYSTORE names (as the CLI
        // does; most E2E tests use a file store, one runs the real keystore).
        if let Some(store) = livecard_core::keystore::test_override()? {
            core = core.with_secrets(store);
        }
        let core = Arc::new(core);
        // The list's index loads while the window and the webview start; the first list
        // request waits for this load instead of starting its own. An error here is the
        // first list request's error too, and is reported there.
        let warm = core.clone();
        tauri::async_runtime::spawn(async move {
            let _ = warm.prefetch_list().await;
        });
        Ok(AppState {
            core: RwLock::new(core),
            data_dir: data_dir.to_path_buf(),
            settings,
            server_override,
            live: live::LiveState::default(),
        })
    }

    /// The current core.
    pub fn core(&self) -> Arc<livecard_core::Core> {
        match self.core.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub fn has_server(&self) -> bool {
        effective_server(&self.settings, self.server_override.as_deref()).is_some()
    }

    /// Re-open the core after the server URL changed (same data directory and keystore).
    /// The new core loads the PIN lock afresh, locked when a PIN is set: the user enters the
    /// PIN again rather than an unlock being carried over.
    pub async fn reload_core(&self) -> CommandResult<()> {
        let old = self.core();
        let server = effective_server(&self.settings, self.server_override.as_deref());
        let core = livecard_core::Core::open(&self.data_dir, livecard_format::Region::default())
            .await?
            .with_server(server)
            .with_secrets(old.secrets().clone());
        match self.core.write() {
            Ok(mut c) => *c = Arc::new(core),
            Err(p) => *p.into_inner() = Arc::new(core),
        }
        Ok(())
    }
}

/// LIVECARD_SERVER, else the settings' server URL; `None` when neither names one.
fn effective_server(settings: &settings::SettingsStore, over: Option<&str>) -> Option<String> {
    settings
        .load(over)
        .ok()
        .map(|s| s.server_url)
        .filter(|u| !u.trim().is_empty())
}

/// The commands the webview may call, listed once: the handler and [`COMMANDS`] (their names,
/// generated into `ui/src/lib/generated/ipc.ts` so the UI cannot call a name that does not
/// exist; `tests/ipc_types.rs` fails on drift).
macro_rules! app_commands {
    ($($module:ident :: $name:ident),* $(,)?) => {
        /// Every command's name, in registration order.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($module::$name),*]
        }
    };
}

app_commands![
    commands::app_info,
    commands::settings_get,
    commands::settings_set,
    commands::validate_field,
    commands::me_get,
    commands::me_save,
    commands::me_from_received,
    commands::cards_list,
    commands::cards_search,
    commands::cards_window,
    commands::card_open,
    commands::card_set_notes,
    commands::card_add_tag,
    commands::card_remove_tag,
    commands::card_delete,
    commands::import_vcf,
    commands::import_text,
    commands::lock_status,
    commands::lock_unlock,
    commands::lock_set_pin,
    commands::lock_remove,
    commands::lock_now,
    commands::lock_set_auto,
    commands::lock_set_wipe_after,
    commands::lock_recover_from_backup,
    commands::lock_start_over,
    device::add_scanned_text,
    device::nfc_read,
    device::nfc_write_my_card,
    device::nfc_cancel,
    device::lock_biometric_status,
    device::lock_set_biometric,
    device::lock_unlock_biometric,
    device::export_cards,
    device::export_key_backup,
    device::import_key_backup,
    live::me_share,
    live::me_offline_qr,
    live::me_publish,
    live::me_reset_link,
    live::add_link,
    live::add_qr_image,
    live::decode_qr_frame,
    share::share_link,
    share::share_vcf,
    share::sms_link_url,
    live::card_view,
    live::card_refresh,
    live::sync_now,
    live::sync_status,
    live::card_actions,
    live::action_fallbacks,
    live::action_labels,
    live::gesture_start,
    live::gesture_stop,
    live::gesture_feed,
    incoming::incoming_take,
    watch::reply_send,
    watch::inbox_list,
    watch::inbox_set,
    incoming::incoming_status,
];

/// Desktop Linux (WebKitGTK) settings that cut memory and change nothing the user sees
/// (docs/PERFORMANCE.md "App with 10,000 cards"): no GPU compositing — with it the web process
/// and the app each hold a GL context and its buffers (~57 MiB PSS in the web process measured
/// with 10,000 cards), for a page with nothing a GPU draws faster; and the smallest cache
/// model, no back/forward cache: one local page that never navigates has nothing to cache.
/// Phones (Android WebView, WKWebView) are untouched.
#[cfg(target_os = "linux")]
fn lighten_webkit(window: &tauri::WebviewWindow) {
    use webkit2gtk::{
        CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
    };
    let applied = window.with_webview(|webview| {
        let view = webview.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            settings.set_enable_page_cache(false);
        }
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
    });
    if let Err(e) = applied {
        eprintln!("livecard: webview memory settings not applied: {e}");
    }
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let builder = tauri::Builder::default();
    // First: a second launch (the OS opening a livecard:// link) forwards its arguments to the
    // running app's deep-link handler and exits before anything else starts.
    #[cfg(desktop)]
    let builder = builder.plugin(incoming::single_instance());
    let builder = builder
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_dialog::init());
    #[cfg(mobile)]
    let builder = builder
        .plugin(tauri_plugin_livecard_nfc::init())
        .plugin(tauri_plugin_barcode_scanner::init())
        .plugin(tauri_plugin_sharekit::init())
        .plugin(tauri_plugin_biometric::init())
        .plugin(tauri_plugin_fs::init());

    let result = builder
        .setup(|app| {
            let args: Vec<String> = std::env::args().skip(1).collect();
            let env_dir = std::env::var("LIVECARD_DATA_DIR").ok();
            let custom = resolve_data_dir(&args, env_dir.as_deref(), || None);
            let data_dir = match custom.clone() {
                Some(d) => d,
                None => app.path().app_data_dir()?,
            };
            let server = std::env::var("LIVECARD_SERVER").ok();
            let state = tauri::async_runtime::block_on(AppState::open(&data_dir, server))?;
            app.manage(state);

            let mut window = tauri::WebviewWindowBuilder::new(
                app,
                "main",
                tauri::WebviewUrl::App("index.html".into()),
            );
            #[cfg(desktop)]
            {
                window = window
                    .title("livecard")
                    .inner_size(360.0, 740.0)
                    .min_inner_size(320.0, 480.0);
            }
            if let Some(d) = custom {
                // Keep the webview's own storage with the data too, so a test's fresh
                // directory is a fresh app.
                window = window.data_directory(d.join("webview"));
            }
            let window = window.build()?;
            #[cfg(target_os = "linux")]
            lighten_webkit(&window);
            #[cfg(not(target_os = "linux"))]
            let _ = window;

            // Share links (livecard://… on desktop, https App Links on phones), cold and warm,
            // and tags tapped with the app closed: added through the core, queued while locked.
            incoming::start(app.handle());
            // Live updates while the window is in front (watch.rs; started on focus).
            app.manage(watch::WatchState::default());
            // The window opens in front: watch now (a focus event may never come, e.g. with no
            // window manager); blur stops it, focus starts it again.
            watch::start(app.handle());
            device::start_nfc_launch(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            // The auto-lock timer runs while the window is away; back in front, a lock that
            // fired is announced so the UI shows the lock screen at once.
            if let tauri::WindowEvent::Focused(focused) = event {
                if let Some(state) = window.try_state::<AppState>() {
                    let core = state.core();
                    if *focused {
                        if core.on_foreground() {
                            let _ = window.emit("locked", ());
                        }
                        watch::start(window.app_handle());
                    } else {
                        core.on_background();
                        watch::stop(window.app_handle());
                    }
                }
            }
        })
        .invoke_handler(handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("livecard could not start: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn permissions(capability: &str) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(capability).unwrap();
        v["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| match p {
                serde_json::Value::String(s) => s.clone(),
                other => other["identifier"].as_str().unwrap().to_string(),
            })
            .collect()
    }

    #[test]
    fn capabilities_are_minimal_and_split_by_platform() {
        let desktop = include_str!("../capabilities/desktop.json");
        let mobile = include_str!("../capabilities/mobile.json");
        for (name, file) in [("desktop", desktop), ("mobile", mobile)] {
            let perms = permissions(file);
            for p in &perms {
                // NFC, biometrics, dialogs and files are reached through Rust commands only:
                // a script in the webview can neither fake a fingerprint nor pick paths.
                for denied in [
                    "fs:",
                    "sql:",
                    "shell:",
                    "nfc:",
                    "livecard-nfc:",
                    "biometric:",
                    "dialog:",
                ] {
                    assert!(!p.starts_with(denied), "{name} grants {p}");
                }
                assert_ne!(p, "opener:default", "{name}: opener must be scoped");
            }
            let v: serde_json::Value = serde_json::from_str(file).unwrap();
            let scope: Vec<&str> = v["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["identifier"] == "opener:allow-open-url")
                .flat_map(|p| p["allow"].as_array().unwrap())
                .map(|a| a["url"].as_str().unwrap())
                .collect();
            for needed in [
                "tel:*",
                "sms:*",
                "mailto:*",
                "https://*",
                "mqqwpa://*",
                "sinaweibo://*",
            ] {
                assert!(
                    scope.contains(&needed),
                    "{name} opener scope lacks {needed}"
                );
            }
            assert!(
                !scope.iter().any(|u| u.starts_with("file:") || *u == "*"),
                "{name}: {scope:?}"
            );
        }
        let m: serde_json::Value = serde_json::from_str(mobile).unwrap();
        assert_eq!(m["platforms"], serde_json::json!(["android", "iOS"]));
        let mp = permissions(mobile);
        for p in [
            "barcode-scanner:allow-scan",
            "barcode-scanner:allow-cancel",
            "barcode-scanner:allow-check-permissions",
            "barcode-scanner:allow-request-permissions",
            "barcode-scanner:allow-open-app-settings",
        ] {
            assert!(mp.contains(&p.to_string()), "mobile lacks {p}");
        }
        assert!(
            !mp.iter().any(|p| p == "barcode-scanner:default"),
            "only the scanner calls the UI makes"
        );
        assert!(!permissions(desktop)
            .iter()
            .any(|p| p.starts_with("barcode-scanner:")));
    }

    #[tokio::test]
    async fn changing_the_server_url_reopens_the_core_on_the_same_store() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(dir.path(), None).await.unwrap();
        assert!(!state.has_server());
        let before = state.core();
        crate::commands::me_save_in(
            &before,
            livecard_format::Card {
                name: "张三".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        state
            .settings
            .save(settings::Settings {
                server_url: "http://127.0.0.1:9".into(),
                ..Default::default()
            })
            .unwrap();
        state.reload_core().await.unwrap();
        assert!(state.has_server());
        let after = state.core();
        assert!(!Arc::ptr_eq(&before, &after));
        // Same data: the own card is still there.
        let me = crate::commands::me_get_in(&after).await.unwrap().unwrap();
        assert_eq!(me.card.name, "张三");
        // LIVECARD_SERVER wins over the settings file.
        let over = AppState::open(dir.path(), Some("https://cards.example".into()))
            .await
            .unwrap();
        assert!(over.has_server());
    }

    #[test]
    fn opener_allows_every_scheme_actions_produce() {
        for file in [
            include_str!("../capabilities/desktop.json"),
            include_str!("../capabilities/mobile.json"),
        ] {
            let v: serde_json::Value = serde_json::from_str(file).unwrap();
            let scope: Vec<String> = v["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["identifier"] == "opener:allow-open-url")
                .flat_map(|p| p["allow"].as_array().unwrap())
                .map(|a| a["url"].as_str().unwrap().to_string())
                .collect();
            for scheme in livecard_actions::SCHEMES {
                assert!(
                    scope.iter().any(|u| u.starts_with(&format!("{scheme}:"))),
                    "{}: opener scope lacks {scheme}: ({scope:?})",
                    v["identifier"]
                );
            }
        }
    }

    #[test]
    fn csp_is_strict() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(conf["app"]["withGlobalTauri"], false);
        let csp = &conf["app"]["security"]["csp"];
        assert_eq!(csp["default-src"], "'self'");
        assert_eq!(csp["object-src"], "'none'");
        let all = csp.to_string();
        assert!(
            !all.contains("unsafe-inline") && !all.contains("unsafe-eval"),
            "{all}"
        );
        let remote = all.replace("http://ipc.localhost", "");
        assert!(
            !remote.contains("http:") && !remote.contains("https:"),
            "no remote origins: {all}"
        );
    }

    #[test]
    fn data_dir_from_args_env_or_default() {
        let def = || Some(PathBuf::from("/default"));
        assert_eq!(
            resolve_data_dir(&s(&["--data-dir", "/a"]), Some("/env"), def),
            Some(PathBuf::from("/a"))
        );
        assert_eq!(
            resolve_data_dir(&s(&["--data-dir=/b"]), None, def),
            Some(PathBuf::from("/b"))
        );
        assert_eq!(
            resolve_data_dir(&s(&["livecard://x"]), Some("/env"), def),
            Some(PathBuf::from("/env"))
        );
        assert_eq!(
            resolve_data_dir(&s(&["--data-dir"]), Some(" "), def),
            Some(PathBuf::from("/default"))
        );
    }
}
