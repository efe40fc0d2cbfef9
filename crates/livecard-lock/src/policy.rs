//! The delay schedule and the hourly cap.

/// How wrong PINs are slowed down.
///
/// Default (`Policy::default()`), modelled on iOS's passcode delays:
///
/// | consecutive wrong PINs | wait before the next try |
/// | --- | --- |
/// | 1 – 4 | none |
/// | 5 | 30 s |
/// | 6 | 1 min |
/// | 7 | 5 min |
/// | 8 | 15 min |
/// | 9 and more | 1 h each |
///
/// and never more than 100 tries in any rolling hour of wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Wrong PINs allowed without any wait.
    pub free_tries: u32,
    /// Waits in seconds after wrong PIN number `free_tries`, `free_tries + 1`, …; the last one
    /// repeats for every further wrong PIN. Must not be empty.
    pub delays_secs: Vec<u64>,
    /// At most this many tries (right or wrong) in any rolling hour.
    pub max_tries_per_hour: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            free_tries: 5,
            delays_secs: vec![30, 60, 5 * 60, 15 * 60, 60 * 60],
            max_tries_per_hour: 100,
        }
    }
}

impl Policy {
    /// The wait in seconds after `wrong` consecutive wrong PINs.
    pub fn wait_after(&self, wrong: u32) -> u64 {
        if wrong < self.free_tries.max(1) || self.delays_secs.is_empty() {
            return 0;
        }
        let step = (wrong - self.free_tries.max(1)) as usize;
        self.delays_secs[step.min(self.delays_secs.len() - 1)]
    }

    /// Wrong PINs still allowed before the first wait.
    pub fn tries_left_before_delay(&self, wrong: u32) -> u32 {
        self.free_tries.saturating_sub(wrong)
    }
}

/// Smallest N accepted for wipe-after-N (never fewer than the default free tries, so a child
/// playing with the phone cannot erase the cards in a few taps).
pub const WIPE_AFTER_MIN: u32 = 5;
/// Largest N accepted for wipe-after-N.
pub const WIPE_AFTER_MAX: u32 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table() {
        let p = Policy::default();
        let waits: Vec<u64> = (0..=12).map(|n| p.wait_after(n)).collect();
        assert_eq!(
            waits,
            [0, 0, 0, 0, 0, 30, 60, 300, 900, 3600, 3600, 3600, 3600]
        );
        assert_eq!(p.tries_left_before_delay(0), 5);
        assert_eq!(p.tries_left_before_delay(4), 1);
        assert_eq!(p.tries_left_before_delay(7), 0);
    }
}
