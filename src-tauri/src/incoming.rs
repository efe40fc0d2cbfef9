//! Everything that reaches the app from outside without the user pressing a button in it:
//! tapped share links (deep links: cold start and warm) and NFC tags tapped while the app was
//! closed or in the background. One way in for all of them:
//!
//! 1. A producer calls [`deliver_links`] (the deep-link plugin's URLs) or [`deliver_nfc`]
//!    (an NDEF message, e.g. from the NFC plugin's NDEF_DISCOVERED intent).
//! 2. The item is de-duplicated ([`Incoming::offer`]): the same share link delivered twice (the
//!    cold-start link that Android's `getCurrent` never clears, a warm echo of it) is added once.
//! 3. It is added through the core (`Core::add_link`, `Core::add_nfc`). While the PIN lock is
//!    locked the core answers `locked`: the item then waits in memory, in order, and is added
//!    by the next [`Incoming::drain`] after unlock. The queue does not survive an app kill: the
//!    link is still where it was tapped (browser, chat, tag) and a cold start delivers it again.
//! 4. The UI is pinged with the event [`EVENT`] and fetches the results with the command
//!    [`incoming_take`] (which drains first). Results stay here until taken, so nothing that
//!    arrived before the UI listened (the cold-start race) is lost.
//!
//! Desktop link form: `livecard://HOST/c/ID#SECRET` (https) or `livecard:` followed by a whole
//! share link; see [`livecard_format::crypto::ShareLink::parse`].

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use livecard_core::{AddOutcome, Core};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::error::{CommandError, CommandResult};
use crate::AppState;

/// The event that tells the UI there is something to take (payload: [`Ping`]).
pub const EVENT: &str = "incoming";

/// One thing from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A share link as delivered (https App Link, `livecard://…` on desktop, QR upper-case).
    Link(String),
    /// An NDEF message (the bytes of a tag), as `Core::add_nfc` takes it.
    Nfc(Vec<u8>),
}

impl Item {
    fn source(&self) -> &'static str {
        match self {
            Item::Link(_) => "link",
            Item::Nfc(_) => "nfc",
        }
    }

    /// Two deliveries with the same key are the same item. A share link's key is its card id
    /// and secret (case-insensitive, any of its forms); other text is its trimmed self.
    fn key(&self) -> String {
        match self {
            Item::Link(text) => match livecard_format::crypto::ShareLink::parse(text) {
                Ok(l) => format!("link:{}#{}", l.id, l.secret.to_base32()),
                Err(_) => format!("text:{}", text.trim()),
            },
            Item::Nfc(bytes) => {
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                format!("nfc:{hex}")
            }
        }
    }
}

/// What became of one item, as the UI gets it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncomingResult {
    /// Increasing per app run.
    pub seq: u64,
    /// `link` or `nfc`.
    #[cfg_attr(feature = "ts", ts(type = "'link' | 'nfc'"))]
    pub source: &'static str,
    /// The cards added or updated (empty on error).
    pub added: Vec<AddOutcome>,
    /// The same link came again after it had been added: `added` repeats the first outcome
    /// (the UI opens the card without announcing it again).
    pub repeat: bool,
    pub error: Option<CommandError>,
}

/// The event payload and the answer of [`incoming_take`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Ping {
    /// Items waiting for the PIN lock to open.
    pub waiting: usize,
    /// Results not yet taken by the UI.
    pub ready: usize,
}

/// Answer of [`incoming_take`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Taken {
    pub results: Vec<IncomingResult>,
    /// Items still waiting for the PIN lock to open.
    pub waiting: usize,
}

#[derive(Debug, Clone)]
enum Seen {
    /// Queued or being added.
    Pending,
    /// Added; a repeat gets this answer.
    Added(Vec<AddOutcome>),
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Item>,
    results: Vec<IncomingResult>,
    /// Link keys delivered this run (NFC items are only de-duplicated while pending: tapping
    /// a tag again is a new read).
    seen: HashMap<String, Seen>,
    next_seq: u64,
}

impl Inner {
    /// Keeps a result for the UI, numbered in arrival order.
    fn record(
        &mut self,
        source: &'static str,
        added: Vec<AddOutcome>,
        repeat: bool,
        error: Option<CommandError>,
    ) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.results.push(IncomingResult {
            seq,
            source,
            added,
            repeat,
            error,
        });
    }
}

/// The queue and the results; managed as Tauri state.
#[derive(Default)]
pub struct Incoming {
    inner: Mutex<Inner>,
    /// One drain at a time, so an item is never added twice concurrently.
    draining: tokio::sync::Mutex<()>,
}

impl Incoming {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes an item in. Returns false when it is a duplicate of one pending (dropped); a
    /// repeat of a link already added becomes a `repeat` result at once.
    pub fn offer(&self, item: Item) -> bool {
        let key = item.key();
        let mut inner = self.inner();
        match inner.seen.get(&key).cloned() {
            Some(Seen::Pending) => return false,
            Some(Seen::Added(added)) => {
                inner.record(item.source(), added, true, None);
                return true;
            }
            None => {}
        }
        inner.seen.insert(key, Seen::Pending);
        inner.queue.push_back(item);
        true
    }

    /// Adds every queued item through the core, in order, until the queue is empty or the
    /// core says `locked` (the item stays first in the queue: it is only removed once
    /// answered, so the waiting count never dips while an item is tried).
    pub async fn drain(&self, core: &Core) {
        let _one = self.draining.lock().await;
        loop {
            // Only this drain removes items (one drain at a time); offers only append.
            let Some(item) = self.inner().queue.front().cloned() else {
                return;
            };
            let answer: CommandResult<Vec<AddOutcome>> = match &item {
                Item::Link(text) => core
                    .add_link(text.trim())
                    .await
                    .map(|o| vec![o])
                    .map_err(CommandError::from),
                Item::Nfc(bytes) => core.add_nfc(bytes).await.map_err(CommandError::from),
            };
            let mut inner = self.inner();
            let key = item.key();
            // Locked, or keys missing (a way out may follow): the item waits for the open.
            if matches!(&answer, Err(e) if e.kind == "locked" || e.kind == "keys_missing") {
                return;
            }
            inner.queue.pop_front();
            match answer {
                Ok(added) => {
                    if matches!(item, Item::Link(_)) {
                        inner.seen.insert(key, Seen::Added(added.clone()));
                    } else {
                        inner.seen.remove(&key);
                    }
                    inner.record(item.source(), added, false, None);
                }
                Err(e) => {
                    // A failed item may be delivered again (e.g. back online): forget it.
                    inner.seen.remove(&key);
                    inner.record(item.source(), Vec::new(), false, Some(e));
                }
            }
        }
    }

    /// Counts for the UI's ping.
    pub fn ping(&self) -> Ping {
        let inner = self.inner();
        Ping {
            waiting: inner.queue.len(),
            ready: inner.results.len(),
        }
    }

    /// The results not yet taken (oldest first), removed from here.
    pub fn take(&self) -> Taken {
        let mut inner = self.inner();
        Taken {
            results: std::mem::take(&mut inner.results),
            waiting: inner.queue.len(),
        }
    }
}

/// Hands share links (as the deep-link plugin gives them) to the handler.
pub fn deliver_links<R: Runtime>(app: &AppHandle<R>, urls: Vec<String>) {
    deliver(app, urls.into_iter().map(Item::Link).collect());
}

/// Hands an NDEF message (a tag's bytes) to the handler; added with `Core::add_nfc`.
pub fn deliver_nfc<R: Runtime>(app: &AppHandle<R>, ndef_message: Vec<u8>) {
    deliver(app, vec![Item::Nfc(ndef_message)]);
}

fn deliver<R: Runtime>(app: &AppHandle<R>, items: Vec<Item>) {
    let Some(incoming) = app.try_state::<Incoming>() else {
        return;
    };
    let mut any = false;
    for item in items {
        any |= incoming.offer(item);
    }
    if !any {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (Some(incoming), Some(state)) =
            (app.try_state::<Incoming>(), app.try_state::<AppState>())
        else {
            return;
        };
        incoming.drain(&state.core()).await;
        let _ = app.emit(EVENT, incoming.ping());
    });
}

/// Wires the deep-link plugin to the handler: links that arrive while the app runs, and the
/// link the app was started with. Call once in setup, after `AppState` is managed.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    app.manage(Incoming::default());
    use tauri_plugin_deep_link::DeepLinkExt;
    let handle = app.clone();
    // Listen first, then read the start link (iOS may deliver it as an event only).
    app.deep_link().on_open_url(move |event| {
        let urls = event.urls().iter().map(|u| u.to_string()).collect();
        deliver_links(&handle, urls);
    });
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        deliver_links(app, urls.iter().map(|u| u.to_string()).collect());
    }
}

/// The app's identifier (tauri.conf.json), the base of its D-Bus name on Linux.
pub const IDENTIFIER: &str = "org.livecard.client";

/// The D-Bus id of the single-instance plugin for a data directory: one running app per data
/// directory (the platform default shares the plain identifier; `--data-dir` /
/// `LIVECARD_DATA_DIR` get their own, so separate profiles and tests do not swallow each
/// other's launches).
pub fn single_instance_id(custom_data_dir: Option<&std::path::Path>) -> String {
    match custom_data_dir {
        None => IDENTIFIER.to_string(),
        Some(dir) => {
            let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            // FNV-1a: stable across builds (both launches must agree), no dependency.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in dir.as_os_str().as_encoded_bytes() {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
            format!("{IDENTIFIER}.dir_{h:016x}")
        }
    }
}

/// The single-instance plugin (desktop): a second launch on the same data directory hands
/// its arguments to this one, where deep-link checks them for a `livecard:` link (the
/// plugin's `deep-link` feature) and [`start`]'s listener adds it.
#[cfg(desktop)]
pub fn single_instance<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env_dir = std::env::var("LIVECARD_DATA_DIR").ok();
    let custom = crate::resolve_data_dir(&args, env_dir.as_deref(), || None);
    tauri_plugin_single_instance::Builder::new()
        .dbus_id(single_instance_id(custom.as_deref()))
        .callback(|app, _args, _cwd| {
            // Launched again (a link, or the icon): bring the window forward.
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
        })
        .build()
}

/// Adds what can be added now (after unlock too) and returns every result the UI has not
/// taken yet. The UI calls it at start, on each [`EVENT`], and after unlocking.
#[tauri::command]
pub async fn incoming_take(
    state: State<'_, AppState>,
    incoming: State<'_, Incoming>,
) -> CommandResult<Taken> {
    incoming.drain(&state.core()).await;
    Ok(incoming.take())
}

/// How many items wait for the PIN lock and how many results are ready; adds and takes
/// nothing (the lock screen asks it).
#[tauri::command]
pub fn incoming_status(incoming: State<'_, Incoming>) -> Ping {
    incoming.ping()
}

#[cfg(test)]
mod tests {
    use super::*;
    use livecard_format::ndef::{encode_message, Record};

    const LINK: &str = "https://livecard.example/c/AAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn vcard_tag(name: &str) -> Vec<u8> {
        let vcf =
            format!("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nTEL:13800138000\r\nEND:VCARD\r\n");
        encode_message(&[Record::mime("text/vcard", vcf.into_bytes())]).unwrap()
    }

    async fn core(dir: &std::path::Path) -> Core {
        Core::open(dir, livecard_format::Region::default())
            .await
            .unwrap()
            .with_secrets(std::sync::Arc::new(
                livecard_core::keystore::MemoryStore::default(),
            ))
            .with_insecure_pin_hash_for_tests()
    }

    #[test]
    fn the_same_link_in_any_form_is_one_item() {
        let inc = Incoming::default();
        assert!(inc.offer(Item::Link(LINK.into())));
        for echo in [
            LINK.to_ascii_uppercase(),
            format!("livecard:{LINK}"),
            LINK.replacen("https://", "livecard://", 1),
            format!("  {LINK}\n"),
        ] {
            assert!(!inc.offer(Item::Link(echo.clone())), "{echo}");
        }
        assert_eq!(
            inc.ping(),
            Ping {
                waiting: 1,
                ready: 0
            }
        );
        // Another card's link is another item.
        assert!(inc.offer(Item::Link(LINK.replace("#A", "#B"))));
        assert_eq!(inc.ping().waiting, 2);
    }

    #[tokio::test]
    async fn a_bad_link_is_reported_and_may_come_again() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(dir.path()).await;
        let inc = Incoming::default();
        assert!(inc.offer(Item::Link("livecard://livecard.example/c/nope".into())));
        inc.drain(&core).await;
        let taken = inc.take();
        assert_eq!(taken.waiting, 0);
        assert_eq!(taken.results.len(), 1);
        let r = &taken.results[0];
        assert_eq!((r.source, r.repeat), ("link", false));
        assert!(r.added.is_empty());
        assert_eq!(r.error.as_ref().unwrap().kind, "invalid_input");
        // Taken once only.
        assert!(inc.take().results.is_empty());
        // A failed item is forgotten: delivered again, it is tried again.
        assert!(inc.offer(Item::Link("livecard://livecard.example/c/nope".into())));
    }

    #[tokio::test]
    async fn items_wait_while_locked_and_land_in_order_after_unlock() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(dir.path()).await;
        core.set_pin("2468", None).await.unwrap();
        core.lock_now().await.unwrap();
        let inc = Incoming::default();
        assert!(inc.offer(Item::Nfc(vcard_tag("张三"))));
        assert!(inc.offer(Item::Nfc(vcard_tag("李四"))));
        // The same tag while the first read still waits: one item.
        assert!(!inc.offer(Item::Nfc(vcard_tag("张三"))));
        inc.drain(&core).await;
        assert_eq!(
            inc.ping(),
            Ping {
                waiting: 2,
                ready: 0
            }
        );
        assert!(inc.take().results.is_empty());
        core.unlock("2468").await.unwrap();
        assert!(core.summaries(Default::default()).await.unwrap().is_empty());
        inc.drain(&core).await;
        let taken = inc.take();
        assert_eq!(taken.waiting, 0);
        let names: Vec<(u64, &str, &str)> = taken
            .results
            .iter()
            .map(|r| (r.seq, r.source, r.added[0].name.as_str()))
            .collect();
        assert_eq!(names, [(0, "nfc", "张三"), (1, "nfc", "李四")]);
        assert_eq!(core.summaries(Default::default()).await.unwrap().len(), 2);
        // Tapping a tag again later is a new read (the core keeps one card).
        assert!(inc.offer(Item::Nfc(vcard_tag("张三"))));
        inc.drain(&core).await;
        let again = inc.take().results;
        assert_eq!(again[0].added[0].id, taken.results[0].added[0].id);
        assert_eq!(core.summaries(Default::default()).await.unwrap().len(), 2);
    }

    #[test]
    fn one_instance_per_data_directory() {
        assert_eq!(single_instance_id(None), IDENTIFIER);
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let ida = single_instance_id(Some(a.path()));
        assert_eq!(ida, single_instance_id(Some(&a.path().join("."))));
        assert_ne!(ida, single_instance_id(Some(b.path())));
        // A valid D-Bus name element after the identifier.
        let last = ida.rsplit('.').next().unwrap();
        assert!(last.starts_with("dir_") && last.len() == 20, "{ida}");
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(conf["identifier"], IDENTIFIER);
    }
}
