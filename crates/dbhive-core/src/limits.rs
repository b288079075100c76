//! [`StoreLimits`]: the memory and the disk every result store of the app draws on
//! together, so that many tabs of results cannot take more than the user allowed, whatever
//! each one's own budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Default memory for stored rows across every store.
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;
/// Default disk for spilled rows across every store.
pub const DEFAULT_DISK_LIMIT: u64 = 10 << 30;

/// One limit and what is taken from it.
#[derive(Debug)]
pub(crate) struct Quota {
    limit: AtomicU64,
    used: AtomicU64,
}

impl Quota {
    fn new(limit: u64) -> Quota {
        Quota {
            limit: AtomicU64::new(limit),
            used: AtomicU64::new(0),
        }
    }

    /// Takes `n` if it fits under the limit.
    pub(crate) fn take(&self, n: u64) -> bool {
        let limit = self.limit.load(Ordering::Relaxed);
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|total| *total <= limit)
            })
            .is_ok()
    }

    pub(crate) fn give_back(&self, n: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(n))
            });
    }
}

/// Memory and disk shared by every [`ResultStore`] made with them.
#[derive(Debug)]
pub struct StoreLimits {
    pub(crate) memory: Quota,
    pub(crate) disk: Quota,
}

/// What the stores hold now, against the limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitsUsage {
    pub memory_used: u64,
    pub memory_limit: u64,
    pub disk_used: u64,
    pub disk_limit: u64,
}

impl StoreLimits {
    pub fn new(memory_limit: u64, disk_limit: u64) -> Arc<StoreLimits> {
        Arc::new(StoreLimits {
            memory: Quota::new(memory_limit),
            disk: Quota::new(disk_limit),
        })
    }

    /// No shared limit (the CLI, tests): only each store's own budget applies.
    pub fn unlimited() -> Arc<StoreLimits> {
        StoreLimits::new(u64::MAX, u64::MAX)
    }

    /// New limits, for what is stored from now on.
    pub fn set(&self, memory_limit: u64, disk_limit: u64) {
        self.memory.limit.store(memory_limit, Ordering::Relaxed);
        self.disk.limit.store(disk_limit, Ordering::Relaxed);
    }

    pub fn usage(&self) -> LimitsUsage {
        LimitsUsage {
            memory_used: self.memory.used.load(Ordering::Relaxed),
            memory_limit: self.memory.limit.load(Ordering::Relaxed),
            disk_used: self.disk.used.load(Ordering::Relaxed),
            disk_limit: self.disk.limit.load(Ordering::Relaxed),
        }
    }
}
