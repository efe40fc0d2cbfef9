//! Where the owner's secrets live: each published own card's Ed25519 seed and share secret.
//!
//! They never go into SQLite or a log. [`SecretStore`] is a small trait with three stores:
//!
//! * [`OsStore`]: the operating system's keystore through the `keyring-core` family (v4
//!   stores): Apple Keychain (macOS) / protected data (iOS), Android's keystore, Windows
//!   Credential Manager, and on Linux the kernel keyutils store (works headless; needs a
//!   session keyring — in a bare VM run the program under `keyctl session - CMD`). What the
//!   product and the CLI use. Note: keyutils keys live in the session/persistent keyring and do
//!   not survive a reboot on every system — `livecard keys export` is the backup.
//! * [`MemoryStore`]: a map in memory, for unit tests.
//! * [`InsecureFileStore`]: one file per secret in a directory. The tests choose it with
//!   `LIVECARD_KEYSTORE=insecure-file:<dir>` (the two-device test runs two CLI "devices" in one
//!   VM) — a **test hook that exists only in debug builds** ([`test_override`]; release builds
//!   read no such variable, `scripts/check-release.sh` checks the bytes).
//!
//! The core opens [`LazyOsStore`]: the OS keystore, except on a desktop Linux whose kernel
//! keyring refuses access (headless VMs, containers, CI): there the secrets go to files of mode
//! 0600 in `<data dir>/keys/` (a 0700 directory), the way `~/.ssh` keeps keys — a decision, so
//! that the CLI works on such machines at all; phones, macOS and Windows never fall back.
//!
//! Names are `card/<CARD ID>/seed` and `card/<CARD ID>/secret` (the server's card id, so a
//! key backup restores on another device whatever the local ids are).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::error::{CoreError, Result};

/// The keyring "service" all livecard secrets are filed under.
pub const SERVICE: &str = "livecard";

/// The environment variable that selects a keystore in debug builds (`os`, `memory`, or
/// `insecure-file:<dir>` for tests). Release builds do not have it.
#[cfg(debug_assertions)]
pub const KEYSTORE_ENV: &str = "LIVECARD_KEYSTORE";

/// Named secret bytes.
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// The secret `name`, or `None` when there is none.
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>>;
    /// Stores (or replaces) the secret `name`.
    fn set(&self, name: &str, secret: &[u8]) -> Result<()>;
    /// Removes the secret `name` (no error when absent).
    fn delete(&self, name: &str) -> Result<()>;
    /// A short description for messages ("OS keystore (keyutils)").
    fn describe(&self) -> String;
}

/// The name of a card's signing-key seed.
pub fn seed_name(card_id: &str) -> String {
    format!("card/{card_id}/seed")
}

/// The name of a card's share secret.
pub fn secret_name(card_id: &str) -> String {
    format!("card/{card_id}/secret")
}

fn ks_err(what: &str, e: impl fmt::Display) -> CoreError {
    CoreError::Keystore(format!("{what}: {e}"))
}

/// Secrets in memory (tests).
#[derive(Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Zeroizing<Vec<u8>>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemoryStore({} secrets)", self.lock().len())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        Ok(self.lock().get(name).cloned())
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<()> {
        self.lock()
            .insert(name.to_string(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<()> {
        self.lock().remove(name);
        Ok(())
    }
    fn describe(&self) -> String {
        "in-memory keystore (tests)".into()
    }
}

/// TEST-ONLY: each secret in a file (mode 0600) under a directory. Not a keystore: anyone who
/// can read the directory has the owner's keys. Only chosen by
/// `LIVECARD_KEYSTORE=insecure-file:<dir>`.
#[derive(Debug)]
pub struct InsecureFileStore {
    dir: PathBuf,
}

impl InsecureFileStore {
    pub fn new(dir: impl Into<PathBuf>) -> InsecureFileStore {
        InsecureFileStore { dir: dir.into() }
    }

    fn path(&self, name: &str) -> PathBuf {
        // Names are ours (card/<base32>/seed): map '/' so each is one flat file.
        self.dir.join(name.replace('/', "__"))
    }
}

impl SecretStore for InsecureFileStore {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match std::fs::read(self.path(name)) {
            Ok(b) => Ok(Some(Zeroizing::new(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ks_err("reading the test keystore file", e)),
        }
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| ks_err("creating the test keystore", e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| ks_err("protecting the keystore directory", e))?;
        }
        let path = self.path(name);
        let tmp = path.with_extension("tmp");
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts
                .open(&tmp)
                .map_err(|e| ks_err("writing the test keystore", e))?;
            f.write_all(secret)
                .and_then(|_| f.sync_all())
                .map_err(|e| ks_err("writing the test keystore", e))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| ks_err("writing the test keystore", e))
    }
    fn delete(&self, name: &str) -> Result<()> {
        match std::fs::remove_file(self.path(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ks_err("deleting from the test keystore", e)),
        }
    }
    fn describe(&self) -> String {
        format!("INSECURE test keystore in {}", self.dir.display())
    }
}

/// The operating system's keystore (keyring-core with the platform's store).
pub struct OsStore {
    store: Arc<keyring_core::CredentialStore>,
    name: &'static str,
}

impl fmt::Debug for OsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OsStore({})", self.name)
    }
}

impl OsStore {
    /// The platform's store. Fails on a platform without one (say so; never falls back to a
    /// file or memory silently).
    pub fn new() -> Result<OsStore> {
        let (store, name) = platform_store()?;
        Ok(OsStore { store, name })
    }

    fn entry(&self, name: &str) -> Result<keyring_core::Entry> {
        keyring_core::Entry::new_in_store(&self.store, SERVICE, name)
            .map_err(|e| ks_err("OS keystore", e))
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, &'static str)> {
    let s = linux_keyutils_keyring_store::Store::new()
        .map_err(|e| ks_err("opening the kernel keyutils keystore", e))?;
    Ok((s, "keyutils"))
}

#[cfg(target_os = "android")]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, &'static str)> {
    let s = android_native_keyring_store::Store::new_with_configuration(&HashMap::new())
        .map_err(|e| ks_err("opening the Android keystore", e))?;
    Ok((s, "android"))
}

#[cfg(target_os = "ios")]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, &'static str)> {
    let s = apple_native_keyring_store::protected::Store::new_with_configuration(&HashMap::new())
        .map_err(|e| ks_err("opening the iOS keychain", e))?;
    Ok((s, "ios-protected"))
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, &'static str)> {
    let s = apple_native_keyring_store::keychain::Store::new_with_configuration(&HashMap::new())
        .map_err(|e| ks_err("opening the macOS keychain", e))?;
    Ok((s, "keychain"))
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, &'static str)> {
    let s = windows_native_keyring_store::Store::new_with_configuration(&HashMap::new())
        .map_err(|e| ks_err("opening the Windows credential store", e))?;
    Ok((s, "windows"))
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "ios",
    target_os = "macos",
    target_os = "windows"
)))]
fn platform_store() -> Result<(Arc<keyring_core::CredentialStore>, &'static str)> {
    Err(CoreError::Keystore(
        "no OS keystore on this platform".into(),
    ))
}

impl SecretStore for OsStore {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match self.entry(name)?.get_secret() {
            Ok(b) => Ok(Some(Zeroizing::new(b))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(os_err(self.name, e)),
        }
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<()> {
        self.entry(name)?
            .set_secret(secret)
            .map_err(|e| os_err(self.name, e))
    }
    fn delete(&self, name: &str) -> Result<()> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(os_err(self.name, e)),
        }
    }
    fn describe(&self) -> String {
        format!("OS keystore ({})", self.name)
    }
}

fn os_err(store: &str, e: keyring_core::Error) -> CoreError {
    let hint = if store == "keyutils" {
        " (on a headless Linux without a session keyring, run under `keyctl session - …`)"
    } else {
        ""
    };
    CoreError::Keystore(format!("OS keystore ({store}): {e}{hint}"))
}

/// The keystore named by `spec`: `os` (or empty) for the OS keystore, `insecure-file:<dir>`
/// for the test-only file store, `memory` for a store that forgets everything at exit.
/// Debug builds only (a test hook).
#[cfg(debug_assertions)]
pub fn from_spec(spec: &str) -> Result<Arc<dyn SecretStore>> {
    let spec = spec.trim();
    if spec.is_empty() || spec == "os" {
        return Ok(Arc::new(OsStore::new()?));
    }
    if spec == "memory" {
        return Ok(Arc::new(MemoryStore::new()));
    }
    if let Some(dir) = spec.strip_prefix("insecure-file:") {
        if dir.trim().is_empty() {
            return Err(CoreError::InvalidInput(format!(
                "{KEYSTORE_ENV}=insecure-file: needs a directory"
            )));
        }
        return Ok(Arc::new(InsecureFileStore::new(dir.trim())));
    }
    Err(CoreError::InvalidInput(format!(
        "{KEYSTORE_ENV}={spec:?}: use os, memory or insecure-file:<dir> (tests only)"
    )))
}

/// The keystore chosen by `LIVECARD_KEYSTORE` (default: the OS keystore). Debug builds only.
#[cfg(debug_assertions)]
pub fn from_env() -> Result<Arc<dyn SecretStore>> {
    from_spec(&std::env::var(KEYSTORE_ENV).unwrap_or_default())
}

/// TEST HOOK for the shells (CLI, app): in a debug build, the keystore `LIVECARD_KEYSTORE`
/// names when it is set; `None` otherwise — and always `None` in a release build, which has no
/// such variable, no spec parser and no way to pick the file store (see ARCHITECTURE.md
/// "no test hooks in release builds").
pub fn test_override() -> Result<Option<Arc<dyn SecretStore>>> {
    #[cfg(debug_assertions)]
    if std::env::var_os(KEYSTORE_ENV).is_some() {
        return from_env().map(Some);
    }
    Ok(None)
}

/// A store that opens the OS keystore on first use, so that opening the core never fails
/// because of the keystore (reading and searching cards need none).
///
/// Desktop Linux only: when the OS keystore cannot be used (a headless machine whose kernel
/// keyring refuses access, as in containers and CI VMs), and a fallback directory was given,
/// secrets go to files of mode 0600 in that directory — the way `~/.ssh` keeps keys — and
/// [`SecretStore::describe`] says so. Phones and other desktops never fall back.
#[derive(Debug, Default)]
pub struct LazyOsStore {
    inner: std::sync::OnceLock<std::result::Result<Chosen, String>>,
    fallback_dir: Option<PathBuf>,
}

#[derive(Debug)]
enum Chosen {
    Os(OsStore),
    File(InsecureFileStore, String),
}

impl Chosen {
    fn store(&self) -> &dyn SecretStore {
        match self {
            Chosen::Os(s) => s,
            Chosen::File(s, _) => s,
        }
    }
}

/// The name probed to learn whether the OS keystore answers.
const PROBE: &str = "probe";

impl LazyOsStore {
    /// Like `default()`, but on desktop Linux falls back to files of mode 0600 in `dir` when
    /// the kernel keyring refuses access.
    pub fn with_fallback_dir(dir: impl Into<PathBuf>) -> LazyOsStore {
        LazyOsStore {
            inner: std::sync::OnceLock::new(),
            fallback_dir: Some(dir.into()),
        }
    }

    fn chosen(&self) -> Result<&Chosen> {
        self.inner
            .get_or_init(|| {
                let os = OsStore::new().and_then(|s| s.get(PROBE).map(|_| s));
                match os {
                    Ok(s) => Ok(Chosen::Os(s)),
                    Err(e) => match &self.fallback_dir {
                        Some(dir) if cfg!(all(target_os = "linux", not(target_os = "android"))) => {
                            Ok(Chosen::File(InsecureFileStore::new(dir), e.to_string()))
                        }
                        _ => Err(e.to_string()),
                    },
                }
            })
            .as_ref()
            .map_err(|e| CoreError::Keystore(e.clone()))
    }

    /// Why the OS keystore is not used, when secrets went to the fallback directory.
    pub fn fallback_reason(&self) -> Option<String> {
        match self.chosen() {
            Ok(Chosen::File(_, why)) => Some(why.clone()),
            _ => None,
        }
    }
}

impl LazyOsStore {
    /// The file store to use when the OS keystore refuses an operation (desktop Linux only).
    fn file_fallback(&self) -> Option<InsecureFileStore> {
        match &self.fallback_dir {
            Some(dir) if cfg!(all(target_os = "linux", not(target_os = "android"))) => {
                Some(InsecureFileStore::new(dir))
            }
            _ => None,
        }
    }
}

impl SecretStore for LazyOsStore {
    // A kernel keyring can also refuse a single operation after the probe answered (seen on
    // headless VMs): then that secret goes to, or comes from, the fallback files.
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let os = self.chosen()?.store().get(name);
        match (os, self.file_fallback()) {
            (Ok(Some(v)), _) => Ok(Some(v)),
            (Ok(None), Some(f)) => f.get(name),
            (Err(_), Some(f)) => f.get(name),
            (r, None) => r,
        }
    }
    fn set(&self, name: &str, secret: &[u8]) -> Result<()> {
        match (
            self.chosen()?.store().set(name, secret),
            self.file_fallback(),
        ) {
            (Err(_), Some(f)) => f.set(name, secret),
            (r, _) => r,
        }
    }
    fn delete(&self, name: &str) -> Result<()> {
        let os = self.chosen()?.store().delete(name);
        match self.file_fallback() {
            // The secret may sit in either place: remove it from both.
            Some(f) => f.delete(name),
            None => os,
        }
    }
    fn describe(&self) -> String {
        match self.chosen() {
            Ok(Chosen::Os(s)) => s.describe(),
            Ok(Chosen::File(s, why)) => format!(
                "files of mode 0600 in {} (the OS keystore is unavailable: {why})",
                s.dir.display()
            ),
            Err(e) => e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_and_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let stores: Vec<Box<dyn SecretStore>> = vec![
            Box::new(MemoryStore::new()),
            Box::new(InsecureFileStore::new(dir.path().join("ks"))),
        ];
        for s in stores {
            assert_eq!(s.get("card/X/seed").unwrap(), None);
            s.set("card/X/seed", b"abc").unwrap();
            assert_eq!(s.get("card/X/seed").unwrap().unwrap().as_slice(), b"abc");
            s.set("card/X/seed", b"def").unwrap();
            assert_eq!(s.get("card/X/seed").unwrap().unwrap().as_slice(), b"def");
            s.delete("card/X/seed").unwrap();
            s.delete("card/X/seed").unwrap();
            assert_eq!(s.get("card/X/seed").unwrap(), None);
        }
    }

    /// The real OS keystore: a round trip where it is reachable (e.g. under `keyctl session -`),
    /// otherwise an error that says how to make it reachable — never a silent fallback.
    #[test]
    fn os_store_round_trips_or_explains() {
        let store = match OsStore::new() {
            Ok(s) => s,
            Err(e) => {
                assert!(e.to_string().starts_with("keystore:"), "{e}");
                return livecard_testkit::skip("the OS keystore round trip", &e.to_string());
            }
        };
        let mut r = [0u8; 8];
        getrandom::fill(&mut r).unwrap();
        let name = format!("test/{}", data_encoding::HEXLOWER.encode(&r));
        match store.set(&name, b"s3cret") {
            Ok(()) => {
                assert_eq!(store.get(&name).unwrap().unwrap().as_slice(), b"s3cret");
                store.delete(&name).unwrap();
                assert_eq!(store.get(&name).unwrap(), None);
            }
            Err(e) => {
                #[cfg(target_os = "linux")]
                assert!(e.to_string().contains("keyctl session"), "{e}");
                #[cfg(not(target_os = "linux"))]
                assert!(e.to_string().starts_with("keystore:"), "{e}");
                livecard_testkit::skip("the OS keystore round trip", &e.to_string());
            }
        }
    }

    #[cfg(debug_assertions)]
    #[test]
    fn spec_parsing() {
        assert!(from_spec("memory").is_ok());
        assert!(from_spec("insecure-file:/tmp/x").is_ok());
        assert!(from_spec("insecure-file:").is_err());
        assert!(from_spec("plaintext").is_err());
    }
}
