//! The Rust side of the plugin: native commands, run with `run_mobile_plugin_async`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::plugin::{Builder, PluginHandle, TauriPlugin};
use tauri::{Manager, Runtime};

#[cfg(target_os = "android")]
const PLUGIN_IDENTIFIER: &str = "app.livecard.nfc";

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_livecard_nfc);

/// What went wrong. `code` is the native side's reason when it gave one: `unavailable`,
/// `disabled`, `cancelled`, `superseded`, `tag_lost`, `read_only`, `too_small`, `not_ndef`,
/// `no_tag`, `bad_records`, `write_failed`, `timeout`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    Native {
        code: Option<String>,
        message: String,
    },
    #[error("the NFC plugin failed: {0}")]
    Plugin(String),
}

impl Error {
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Native { code, .. } => code.as_deref(),
            Error::Plugin(_) => None,
        }
    }
}

impl From<tauri::plugin::mobile::PluginInvokeError> for Error {
    fn from(e: tauri::plugin::mobile::PluginInvokeError) -> Error {
        use tauri::plugin::mobile::PluginInvokeError as E;
        match e {
            E::InvokeRejected(r) => Error::Native {
                message: r.message.clone().unwrap_or_else(|| r.to_string()),
                code: r.code,
            },
            other => Error::Plugin(other.to_string()),
        }
    }
}

/// Whether the phone has NFC and whether it is on.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
pub struct Status {
    #[serde(default)]
    pub available: bool,
    #[serde(default)]
    pub enabled: bool,
}

/// One NDEF record to write; bytes as unsigned numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRecord {
    pub tnf: u8,
    pub kind: Vec<u8>,
    pub id: Vec<u8>,
    pub payload: Vec<u8>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScanArgs<'a> {
    keep_for_write: bool,
    message: &'a str,
}

#[derive(Serialize)]
struct WriteArgs<'a> {
    records: &'a [RawRecord],
    message: &'a str,
}

#[derive(Serialize)]
struct EventHandlerArgs {
    handler: Channel,
}

#[derive(Deserialize)]
struct LaunchTag {
    #[serde(default)]
    answer: Option<Value>,
}

/// Access to the plugin (`app.livecard_nfc()`).
pub struct LivecardNfc<R: Runtime>(PluginHandle<R>);

impl<R: Runtime> LivecardNfc<R> {
    pub async fn status(&self) -> Result<Status, Error> {
        Ok(self.0.run_mobile_plugin_async("status", ()).await?)
    }

    /// Waits for a tag and answers what it holds (`livecard_format::nfc_answer` shape).
    /// `keep_for_write`: hold the tag (Android) / the session (iOS) for [`Self::write`].
    /// A second scan cancels the first (code `superseded`); [`Self::cancel`] ends it (code
    /// `cancelled`). `message` is the iOS sheet's text.
    pub async fn scan(&self, keep_for_write: bool, message: &str) -> Result<Value, Error> {
        Ok(self
            .0
            .run_mobile_plugin_async(
                "scan",
                ScanArgs {
                    keep_for_write,
                    message,
                },
            )
            .await?)
    }

    /// Writes `records` to the tag held by the last `scan(true, …)`, reads it back and
    /// answers what the tag now holds (compare it with what was written).
    pub async fn write(&self, records: &[RawRecord], message: &str) -> Result<Value, Error> {
        Ok(self
            .0
            .run_mobile_plugin_async("write", WriteArgs { records, message })
            .await?)
    }

    /// Ends a pending scan (it fails with code `cancelled`) and releases a held tag.
    pub async fn cancel(&self) -> Result<(), Error> {
        self.0
            .run_mobile_plugin_async::<Value>("cancel", ())
            .await
            .map(|_| ())
            .map_err(Into::into)
    }

    /// The tag whose NDEF_DISCOVERED intent launched or reached the app, once (then cleared).
    pub async fn take_launch_tag(&self) -> Result<Option<Value>, Error> {
        let t: LaunchTag = self.0.run_mobile_plugin_async("takeLaunchTag", ()).await?;
        Ok(t.answer.filter(|v| !v.is_null()))
    }

    /// Calls `on_tag` whenever a tag intent arrives while the app runs (then take it with
    /// [`Self::take_launch_tag`]).
    pub fn set_event_handler(
        &self,
        on_tag: impl Fn() + Send + Sync + 'static,
    ) -> Result<(), Error> {
        let handler = Channel::new(move |_body: InvokeResponseBody| {
            on_tag();
            Ok(())
        });
        self.0
            .run_mobile_plugin::<Value>("setEventHandler", EventHandlerArgs { handler })
            .map(|_| ())
            .map_err(Into::into)
    }
}

/// `app.livecard_nfc()` on the app, its handle, windows and webviews.
pub trait LivecardNfcExt<R: Runtime> {
    fn livecard_nfc(&self) -> &LivecardNfc<R>;
}

impl<R: Runtime, T: Manager<R>> LivecardNfcExt<R> for T {
    fn livecard_nfc(&self) -> &LivecardNfc<R> {
        self.state::<LivecardNfc<R>>().inner()
    }
}

/// The plugin, named `livecard-nfc`.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("livecard-nfc")
        .setup(|app, api| {
            #[cfg(target_os = "android")]
            let handle = api.register_android_plugin(PLUGIN_IDENTIFIER, "LivecardNfcPlugin")?;
            #[cfg(target_os = "ios")]
            let handle = api.register_ios_plugin(init_plugin_livecard_nfc)?;
            app.manage(LivecardNfc(handle));
            Ok(())
        })
        .build()
}
