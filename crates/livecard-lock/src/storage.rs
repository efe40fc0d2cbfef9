//! Where the lock keeps its state: one opaque byte string (JSON, see [`crate::Lock`]). The app
//! backs it with the OS keystore; [`MemoryStorage`] and [`FileStorage`] are for tests and the
//! desktop CLI's test harness.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Error from a storage backend (keystore, file …), boxed so any backend's error fits.
pub type StorageError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Persistence of the lock state: a single value that is read once at start and written
/// whole after every change. `save` must be durable when it returns `Ok` — the wrong-try
/// counter is saved *before* a PIN is checked, and a lost write would give tries back.
pub trait LockStorage: Send {
    /// The bytes last saved, or `None` if nothing was ever saved.
    fn load(&self) -> Result<Option<Vec<u8>>, StorageError>;
    /// Replaces the stored bytes.
    fn save(&self, bytes: &[u8]) -> Result<(), StorageError>;
}

impl<S: LockStorage + ?Sized> LockStorage for Box<S> {
    fn load(&self) -> Result<Option<Vec<u8>>, StorageError> {
        (**self).load()
    }
    fn save(&self, bytes: &[u8]) -> Result<(), StorageError> {
        (**self).save(bytes)
    }
}

impl<S: LockStorage + Sync + ?Sized> LockStorage for Arc<S> {
    fn load(&self) -> Result<Option<Vec<u8>>, StorageError> {
        (**self).load()
    }
    fn save(&self, bytes: &[u8]) -> Result<(), StorageError> {
        (**self).save(bytes)
    }
}

/// In-memory storage. Clones share the same slot, so a test can drop a lock and open a new
/// one from a clone ("restart").
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    slot: Arc<Mutex<Option<Vec<u8>>>>,
}

impl MemoryStorage {
    /// Empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// What is stored now (for tests that inspect the persisted form).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl LockStorage for MemoryStorage {
    fn load(&self) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.bytes())
    }

    fn save(&self, bytes: &[u8]) -> Result<(), StorageError> {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(bytes.to_vec());
        Ok(())
    }
}

/// A file (written to `<path>.tmp`, synced, then renamed over `<path>`). Not a secret store:
/// it is for tests and simulations of separate processes.
#[derive(Debug, Clone)]
pub struct FileStorage {
    path: PathBuf,
}

impl FileStorage {
    /// Storage in the file at `path` (created on first save).
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
        }
    }
}

impl LockStorage for FileStorage {
    fn load(&self) -> Result<Option<Vec<u8>>, StorageError> {
        match std::fs::read(&self.path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("reading {}: {e}", self.path.display()).into()),
        }
    }

    fn save(&self, bytes: &[u8]) -> Result<(), StorageError> {
        use std::io::Write;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| format!("writing {}: {e}", self.path.display()).into())
    }
}
