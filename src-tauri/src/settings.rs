//! The app's own settings (server URL, language, theme), kept as JSON in the data directory.
//! The UI keeps nothing in localStorage, so a fresh data directory is a fresh app.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{CommandError, CommandResult};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Language {
    /// Follow the system (navigator.language in the webview).
    #[default]
    Auto,
    Zh,
    En,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Theme {
    /// Follow prefers-color-scheme.
    #[default]
    Auto,
    Light,
    Dark,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Settings {
    /// The sync server, e.g. `http://127.0.0.1:8787`. Empty: not configured.
    pub server_url: String,
    pub language: Language,
    pub theme: Theme,
    /// The user finished or skipped the first-run screen.
    pub onboarded: bool,
    /// Lift-to-call / put-down-to-text on an open card (opt-in, off by default).
    pub gestures: bool,
    /// Swap what the gestures do: lifting sends an SMS, putting down calls (for people who
    /// find the other way round more natural).
    pub gestures_swapped: bool,
}

impl Settings {
    /// Check what a person typed; the server URL must be http(s) with a host, or empty.
    pub fn validated(mut self) -> CommandResult<Self> {
        let url = self.server_url.trim().trim_end_matches('/').to_string();
        if !url.is_empty() {
            let ok = (url.starts_with("http://") || url.starts_with("https://"))
                && url.split("://").nth(1).is_some_and(|rest| !rest.is_empty());
            if !ok {
                return Err(CommandError::invalid(format!(
                    "server URL {url:?} must start with http:// or https:// and name a host"
                )));
            }
        }
        self.server_url = url;
        Ok(self)
    }
}

/// Settings stored in `<data dir>/settings.json`.
#[derive(Debug)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    pub fn new(data_dir: &Path) -> Self {
        SettingsStore {
            path: data_dir.join("settings.json"),
        }
    }

    /// The stored settings; defaults when there is no file yet. `server_override` (from
    /// LIVECARD_SERVER) wins over the file's server URL while it is set.
    pub fn load(&self, server_override: Option<&str>) -> CommandResult<Settings> {
        let mut s = match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice::<Settings>(&bytes).map_err(|e| {
                CommandError::new(
                    "corrupt",
                    format!("settings file {} is not valid: {e}", self.path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
            Err(e) => return Err(e.into()),
        };
        if let Some(url) = server_override.filter(|u| !u.trim().is_empty()) {
            s.server_url = url.trim().trim_end_matches('/').to_string();
        }
        Ok(s)
    }

    /// Validate and store; writes a temporary file and renames it so a crash never leaves
    /// half a file.
    pub fn save(&self, s: Settings) -> CommandResult<Settings> {
        let s = s.validated()?;
        let json = serde_json::to_vec_pretty(&s)
            .map_err(|e| CommandError::new("internal", e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::new(dir.path());
        assert_eq!(store.load(None).unwrap(), Settings::default());
        let saved = store
            .save(Settings {
                server_url: "http://127.0.0.1:8787/".into(),
                language: Language::Zh,
                theme: Theme::Dark,
                onboarded: true,
                gestures: true,
                gestures_swapped: true,
            })
            .unwrap();
        assert_eq!(saved.server_url, "http://127.0.0.1:8787");
        assert_eq!(store.load(None).unwrap(), saved);
    }

    #[test]
    fn env_override_wins_and_bad_urls_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::new(dir.path());
        let s = store.load(Some("https://cards.example/")).unwrap();
        assert_eq!(s.server_url, "https://cards.example");
        let e = store
            .save(Settings {
                server_url: "ftp://x".into(),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.kind, "invalid_input");
    }

    #[test]
    fn corrupt_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), b"{not json").unwrap();
        let e = SettingsStore::new(dir.path()).load(None).unwrap_err();
        assert_eq!(e.kind, "corrupt");
        assert!(e.message.contains("settings.json"), "{}", e.message);
    }
}
