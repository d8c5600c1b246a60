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

use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};
use kernel::{
    bindings,
    device::Device,
    prelude::*,
    types::{
        NotThreadSafe,
        Opaque, //
    }, //
};

// Only pointers cross; bindgen's zero-sized `its_array` inside `struct
// device` trips the lint although no such value is passed.
#[expect(improper_ctypes, reason = "only pointers to `struct device` cross")]
extern "C" {
    fn drvsim_device_lock_owned_by_current(dev: *mut bindings::device) -> bool;
    fn drvsim_device_lock(dev: *mut bindings::device);
    fn drvsim_device_unlock(dev: *mut bindings::device);
    fn drvsim_device_lockdep_register(
        dev: *mut bindings::device,
        key: *mut bindings::lock_class_key,
    );
    fn drvsim_device_lockdep_unregister(key: *mut bindings::lock_class_key);
    fn drvsim_device_lockdep_acquire(dev: *mut bindings::device);
    fn drvsim_device_lockdep_release(dev: *mut bindings::device);
}

/// The `struct device` behind `dev`.
fn raw(dev: &Device) -> *mut bindings::device {
    // `kernel::device::Device` is a transparent wrapper of `struct device`
    // in an `Opaque`, so the pointer may be used for writes.
    core::ptr::from_ref(dev).cast_mut().cast()
}

/// Whether `match_takes_device_lock` is set.
fn takes_lock() -> bool {
    crate::module_parameters::match_takes_device_lock.value()
}

/// Whether `lockdep_device_class` is set.
pub(crate) fn per_device_class() -> bool {
    crate::module_parameters::lockdep_device_class.value()
}

/// A lockdep class for one device's lock (`lockdep_device_class`), to be
/// kept in the same allocation as the device.
///
/// # Invariants
///
/// Once `registered` is set, `key` is registered with lockdep; it is
/// unregistered on drop.
#[pin_data(PinnedDrop)]
pub(crate) struct LockClass {
    #[pin]
    key: Opaque<bindings::lock_class_key>,
    registered: AtomicBool,
}

impl LockClass {
    /// A class not given to any lock yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            key: Opaque::zeroed(),
            registered: AtomicBool::new(false)
        })
    }

    /// Registers this class and gives it to `dev`'s lock.
    ///
    /// # Safety
    ///
    /// `dev` must be initialised and unlocked, this must be its first
    /// call, and `dev`'s lock must not be used after `self` is dropped.
    pub(crate) unsafe fn assign(&self, dev: &Device) {
        // SAFETY: `key` is pinned with `self`; `dev` is initialised and
        // unlocked and stops using the key before it goes (safety
        // requirements).
        unsafe { drvsim_device_lockdep_register(raw(dev), self.key.get()) };
        // INVARIANT: registered above.
        self.registered.store(true, Ordering::Relaxed);
    }
}

#[pinned_drop]
impl PinnedDrop for LockClass {
    fn drop(self: Pin<&mut Self>) {
        if self.registered.load(Ordering::Relaxed) {
            // SAFETY: registered (type invariant), and by `assign()`'s
            // safety requirement no lock uses it any more.
            unsafe { drvsim_device_lockdep_unregister(self.key.get()) };
        }
    }
}

/// Holds a device's lock (`device_lock()`) until dropped.
///
/// Not `Send`, as the kernel's lock guards: a mutex must be unlocked by
/// the task that locked it (and [`MatchLock`] and `LockedDevice`, which
/// hold one, are not `Send` either).
///
/// # Invariants
///
/// The current task holds the lock of the device in `.0`, taken by
/// [`DeviceLock::new`].
pub(crate) struct DeviceLock<'a>(&'a Device, NotThreadSafe);

impl<'a> DeviceLock<'a> {
    /// Locks `dev`.
    pub(crate) fn new(dev: &'a Device) -> Self {
        // SAFETY: `dev` is a live, initialised device.
        unsafe { drvsim_device_lock(raw(dev)) };
        // INVARIANT: locked above, by the task that owns the guard, which
        // cannot be sent to another one.
        Self(dev, NotThreadSafe)
    }
}

impl Drop for DeviceLock<'_> {
    fn drop(&mut self) {
        // SAFETY: the current task holds the lock (type invariant).
        unsafe { drvsim_device_unlock(raw(self.0)) };
    }
}

/// What one match did to the device lock; undone on drop, by the task
/// that did it: not `Send`, as the kernel's lock guards.
///
/// # Invariants
///
/// In `Annotated`, lockdep was told that the current task acquired the
/// device's lock, and nothing has told it the lock was released.
pub(crate) enum MatchLock<'a> {
    /// Nothing: the default, or the caller already holds the lock.
    None,
    /// Took the lock (`match_takes_device_lock`).
    Locked {
        /// Held for its `Drop`, which unlocks.
        _guard: DeviceLock<'a>,
    },
    /// Told lockdep it took the lock (`lockdep_device_class`); lockdep
    /// tracks the locks each task holds, so the release must come from
    /// this task too.
    Annotated(&'a Device, NotThreadSafe),
}

impl<'a> MatchLock<'a> {
    /// Applies the configured design to a match of `dev`; `in_own_probe`
    /// tells whether the current task is running `dev`'s probe.
    pub(crate) fn enter(dev: &'a Device, in_own_probe: impl FnOnce() -> bool) -> Self {
        if !takes_lock() && !per_device_class() {
            return Self::None;
        }
        // SAFETY: `dev` is a live, initialised device.
        let held = unsafe { drvsim_device_lock_owned_by_current(raw(dev)) };
        if held && !in_own_probe() {
            return Self::None;
        }
        if takes_lock() {
            // This may sleep forever: that is the point.
            Self::Locked {
                _guard: DeviceLock::new(dev),
            }
        } else {
            // SAFETY: `dev` is live; only lockdep's bookkeeping changes.
            unsafe { drvsim_device_lockdep_acquire(raw(dev)) };
            // INVARIANT: annotated above, by the task that owns the
            // value, which cannot be sent to another one.
            Self::Annotated(dev, NotThreadSafe)
        }
    }
}

impl Drop for MatchLock<'_> {
    fn drop(&mut self) {
        match self {
            // `DeviceLock` unlocks when dropped.
            Self::None | Self::Locked { .. } => {}
            // SAFETY: annotated by this task (type invariant).
            Self::Annotated(dev, _) => unsafe { drvsim_device_lockdep_release(raw(dev)) },
        }
    }
}
