// SPDX-License-Identifier: GPL-2.0

//! What `match` does with the device lock.
//!
//! By default nothing: `match` reads only the device's type and the
//! spinlock-protected `driver_override`, so a driver that hangs or
//! crashes in probe (holding its device's lock) cannot stop other drivers
//! from registering. Two module parameters restore what the locked-match
//! thread (shared/seeds/driver-core-locked-match-revert.txt) discussed:
//!
//! - `match_takes_device_lock`: 7.0-rc1's dc23806a7c47, reverted as
//!   9de68394a615. Callers that do not already hold the device lock
//!   (`__driver_attach()` at driver registration, `bind`) take it around
//!   match, so registering any driver waits for every in-flight probe on
//!   the bus: the firewire boot hang.
//! - `lockdep_device_class`: Danilo Krummrich's debugging patch. Each device
//!   lock gets its own lockdep class (the core makes them all
//!   "novalidate") and match tells lockdep it takes the lock, without
//!   taking it. A driver registered from another driver's probe then gives
//!   "possible recursive locking detected" instead of a silent deadlock.
//!
//! Which matches count as "taking the lock": every match except those made
//! by `__device_attach_driver()`, which already holds it. That caller is
//! told apart by the lock being held by the current task while the device
//! is not in its own probe; a match nested in the device's own probe is
//! the anti-pattern and does count.

use crate::device::DrvsimDevice;
use kernel::{bindings, task::Task};

// Only pointers cross; see the note on `improper_ctypes` in driver.rs.
#[allow(improper_ctypes)]
extern "C" {
    fn drvsim_device_lock_owned_by_current(dev: *mut bindings::device) -> bool;
    fn drvsim_device_lock(dev: *mut bindings::device);
    fn drvsim_device_unlock(dev: *mut bindings::device);
    fn drvsim_device_lockdep_register(dev: *mut bindings::device, key: *mut bindings::lock_class_key);
    fn drvsim_device_lockdep_unregister(key: *mut bindings::lock_class_key);
    fn drvsim_device_lockdep_acquire(dev: *mut bindings::device);
    fn drvsim_device_lockdep_release(dev: *mut bindings::device);
}

/// Whether `match_takes_device_lock` is set.
fn takes_lock() -> bool {
    crate::module_parameters::match_takes_device_lock.value()
}

/// Whether `lockdep_device_class` is set.
pub(crate) fn per_device_class() -> bool {
    crate::module_parameters::lockdep_device_class.value()
}

/// Gives `dev`'s lock the lockdep class `key`.
///
/// # Safety
///
/// `dev` must be initialised and unlocked, `key` must live inside the same
/// allocation as `dev`, and [`unregister_class`] must be called before it
/// is freed.
pub(crate) unsafe fn register_class(dev: *mut bindings::device, key: *mut bindings::lock_class_key) {
    // SAFETY: per the safety requirements.
    unsafe { drvsim_device_lockdep_register(dev, key) }
}

/// Forgets a class registered by [`register_class`].
///
/// # Safety
///
/// `key` must have been registered and no lock may use it any more.
pub(crate) unsafe fn unregister_class(key: *mut bindings::lock_class_key) {
    // SAFETY: per the safety requirements.
    unsafe { drvsim_device_lockdep_unregister(key) }
}

/// Holds a device's lock (`device_lock()`) until dropped.
pub(crate) struct DeviceLock(*mut bindings::device);

impl DeviceLock {
    /// Locks `dev`, which must stay alive until the guard is dropped.
    pub(crate) fn new(dev: *mut bindings::device) -> Self {
        // SAFETY: the caller passes a live, initialised device.
        unsafe { drvsim_device_lock(dev) };
        Self(dev)
    }
}

impl Drop for DeviceLock {
    fn drop(&mut self) {
        // SAFETY: locked in `new()`.
        unsafe { drvsim_device_unlock(self.0) };
    }
}

/// What one match did to the device lock; undone on drop.
pub(crate) enum MatchLock {
    /// Nothing: the default, or the caller already holds the lock.
    None,
    /// Took the lock (`match_takes_device_lock`).
    Locked {
        /// Held for its `Drop`, which unlocks.
        _guard: DeviceLock,
    },
    /// Told lockdep it took the lock (`lockdep_device_class`).
    Annotated(*mut bindings::device),
}

impl MatchLock {
    /// Applies the configured design to a match of `dev`.
    pub(crate) fn enter(dev: &DrvsimDevice) -> Self {
        let raw = dev.as_raw();
        if !takes_lock() && !per_device_class() {
            return Self::None;
        }
        // SAFETY: `raw` is a live, initialised device.
        let held = unsafe { drvsim_device_lock_owned_by_current(raw) };
        if held && !dev.in_probe_of(Task::current_raw()) {
            return Self::None;
        }
        if takes_lock() {
            // This may sleep forever: that is the point.
            Self::Locked { _guard: DeviceLock::new(raw) }
        } else {
            // SAFETY: as above; only lockdep's bookkeeping changes.
            unsafe { drvsim_device_lockdep_acquire(raw) };
            Self::Annotated(raw)
        }
    }
}

impl Drop for MatchLock {
    fn drop(&mut self) {
        match self {
            // `DeviceLock` unlocks when dropped.
            Self::None | Self::Locked { .. } => {}
            // SAFETY: annotated in `enter()`.
            Self::Annotated(dev) => unsafe { drvsim_device_lockdep_release(*dev) },
        }
    }
}
