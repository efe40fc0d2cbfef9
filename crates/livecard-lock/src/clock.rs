//! Time sources. The lock never calls `SystemTime::now()` itself: everything goes through
//! [`Clock`], so tests drive time by hand with [`ManualClock`].

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A reading of the device's boot clock: which boot, and how long since it (sleep included).
/// Unlike the wall clock, the user cannot set it; it restarts at 0 on reboot (new `boot_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootStamp {
    /// Changes on every boot (Linux/Android: `/proc/sys/kernel/random/boot_id`).
    pub boot_id: String,
    /// Milliseconds since boot, counting time asleep.
    pub since_boot_ms: u64,
}

/// Where the lock gets time from.
pub trait Clock: Send {
    /// Wall-clock time. The user (and a thief with an unlocked phone) can set it.
    fn now(&self) -> DateTime<Utc>;
    /// Monotonic time since an arbitrary point fixed in this process; never goes back and is
    /// not affected by setting the wall clock. Used for auto-lock.
    fn monotonic(&self) -> Duration;
    /// The boot clock, where the platform exposes one; `None` otherwise.
    fn since_boot(&self) -> Option<BootStamp> {
        None
    }
}

/// The real clock: `Utc::now()`, `Instant`, and on Linux/Android the boot clock from
/// `/proc` (`boot_id` and `/proc/uptime`, which counts suspend).
#[derive(Debug, Clone)]
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    /// A clock whose monotonic reading starts now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn monotonic(&self) -> Duration {
        self.start.elapsed()
    }

    fn since_boot(&self) -> Option<BootStamp> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
            let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
            let secs: f64 = uptime.split_whitespace().next()?.parse().ok()?;
            if !secs.is_finite() || secs < 0.0 {
                return None;
            }
            Some(BootStamp {
                boot_id: boot_id.trim().to_owned(),
                // f64 seconds → whole milliseconds; uptime is far below u64::MAX ms.
                since_boot_ms: (secs * 1000.0) as u64,
            })
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            None
        }
    }
}

#[derive(Debug)]
struct ManualInner {
    wall: DateTime<Utc>,
    mono: Duration,
    boot: Option<BootStamp>,
    boots: u32,
}

/// A clock moved by hand, for tests and simulations. Clones share the same time, so a test
/// keeps one clone and gives another to the lock.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualInner>>,
}

impl ManualClock {
    /// Starts at `wall`, monotonic 0, without a boot clock.
    pub fn new(wall: DateTime<Utc>) -> Self {
        Self {
            inner: Arc::new(Mutex::new(ManualInner {
                wall,
                mono: Duration::ZERO,
                boot: None,
                boots: 0,
            })),
        }
    }

    /// Starts at `wall` with a boot clock at 0 (boot id "boot-1").
    pub fn with_boot_clock(wall: DateTime<Utc>) -> Self {
        let c = Self::new(wall);
        c.reboot();
        c
    }

    fn inner(&self) -> MutexGuard<'_, ManualInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Real time passes: wall, monotonic and boot clock all move forward.
    pub fn advance_secs(&self, secs: u64) {
        let mut i = self.inner();
        i.wall += ChronoDuration::seconds(secs as i64);
        i.mono += Duration::from_secs(secs);
        if let Some(b) = i.boot.as_mut() {
            b.since_boot_ms += secs * 1000;
        }
    }

    /// Someone sets the wall clock; monotonic and boot clocks do not move.
    pub fn set_wall(&self, wall: DateTime<Utc>) {
        self.inner().wall = wall;
    }

    /// Moves only the wall clock by `secs` (negative = back).
    pub fn shift_wall_secs(&self, secs: i64) {
        let mut i = self.inner();
        i.wall += ChronoDuration::seconds(secs);
    }

    /// The device reboots: a new boot id, boot clock back to 0.
    pub fn reboot(&self) {
        let mut i = self.inner();
        i.boots += 1;
        i.boot = Some(BootStamp {
            boot_id: format!("boot-{}", i.boots),
            since_boot_ms: 0,
        });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.inner().wall
    }

    fn monotonic(&self) -> Duration {
        self.inner().mono
    }

    fn since_boot(&self) -> Option<BootStamp> {
        self.inner().boot.clone()
    }
}

impl<C: Clock + Sync> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
    fn since_boot(&self) -> Option<BootStamp> {
        (**self).since_boot()
    }
}
