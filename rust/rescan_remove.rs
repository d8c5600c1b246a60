// SPDX-License-Identifier: GPL-2.0

//! The bus's rescan/remove lock, reentrant for its owner.
//!
//! Modelled on patch 1/2 of "PCI/IOV: Fix SR-IOV locking races and AB-BA
//! deadlock" (shared/seeds/pci-sriov-rescan-remove-abba.txt): a mutex, an
//! owner task and a depth, so that a path that already holds it can call
//! code that takes it again; unlocking by a task that is not the owner
//! warns and does nothing. The mutex is a kernel `Mutex`, so lockdep sees
//! every outermost acquisition (nested ones are invisible to it, as in the
//! patch).
//!
//! It protects the bus's topology bookkeeping: names being added, a PF's
//! list of VFs and its VF count, the `virtfn`/`physfn` links. drvsim never
//! holds it while taking a device lock (see `Documentation/drvsim.rst`,
//! "The rescan/remove lock"), but for the new device link's own device,
//! which `link` creates under it and nobody else can hold yet; with `legacy_rescan_remove=1` it is instead a
//! plain mutex held across driver release and `sriov_configure`, as before
//! the patch.

use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    ptr,
    sync::atomic::{
        AtomicPtr,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    prelude::*,
    sync::GlobalGuard,
    task::Task, //
};

kernel::sync::global_lock! {
    // SAFETY: initialised by `init()` from module init, before first use.
    /// The mutex behind [`RescanRemove`].
    pub(crate) unsafe(uninit) static RESCAN_REMOVE_MUTEX: Mutex<()> = ();
}

/// The reentrant lock.
///
/// # Invariants
///
/// `depth` and `guard` are only accessed by the task stored in `owner`,
/// and `guard` holds the mutex exactly while `depth > 0`.
pub(crate) struct RescanRemove {
    owner: AtomicPtr<bindings::task_struct>,
    depth: UnsafeCell<u32>,
    guard: UnsafeCell<Option<GlobalGuard<RESCAN_REMOVE_MUTEX>>>,
}

// SAFETY: per the type invariant, the cells are only touched by the owner,
// which holds the mutex; `owner` is atomic.
unsafe impl Sync for RescanRemove {}

/// The bus's rescan/remove lock.
pub(crate) static RESCAN_REMOVE: RescanRemove = RescanRemove {
    owner: AtomicPtr::new(ptr::null_mut()),
    depth: UnsafeCell::new(0),
    guard: UnsafeCell::new(None),
};

/// Holds [`RESCAN_REMOVE`] once; dropping it undoes one level.
///
/// Not `Send`: it must be dropped by the task that took it.
pub(crate) struct RescanRemoveGuard(PhantomData<*mut ()>);

impl RescanRemove {
    /// Initialises the mutex.
    ///
    /// # Safety
    ///
    /// Must be called once, before any other method.
    pub(crate) unsafe fn init(&'static self) {
        // SAFETY: called once, before any method can lock the mutex
        // (safety requirement).
        unsafe { RESCAN_REMOVE_MUTEX.init() };
    }

    /// Takes the lock, or one more level of it if the current task owns it.
    pub(crate) fn lock(&'static self) -> RescanRemoveGuard {
        let me = Task::current_raw();
        if self.owner.load(Ordering::Relaxed) == me {
            // SAFETY: we are the owner (only we can have stored `me`).
            unsafe { *self.depth.get() += 1 };
        } else {
            let guard = RESCAN_REMOVE_MUTEX.lock();
            // SAFETY: we hold the mutex, so we are the owner from now on.
            unsafe {
                *self.guard.get() = Some(guard);
                *self.depth.get() = 1;
            }
            self.owner.store(me, Ordering::Relaxed);
        }
        RescanRemoveGuard(PhantomData)
    }

    /// Undoes one level; the last one releases the mutex. Warns and does
    /// nothing if the current task is not the owner.
    fn unlock(&'static self) {
        if kernel::warn_on!(self.owner.load(Ordering::Relaxed) != Task::current_raw()) {
            return;
        }
        // SAFETY: we are the owner.
        let depth = unsafe { &mut *self.depth.get() };
        *depth -= 1;
        if *depth == 0 {
            self.owner.store(ptr::null_mut(), Ordering::Relaxed);
            // SAFETY: we are still the holder of the mutex; dropping the
            // guard releases it.
            drop(unsafe { (*self.guard.get()).take() });
        }
    }

    /// How many levels the current task holds (0 if it is not the owner).
    pub(crate) fn held_depth(&'static self) -> u32 {
        if self.owner.load(Ordering::Relaxed) == Task::current_raw() {
            // SAFETY: we are the owner.
            unsafe { *self.depth.get() }
        } else {
            0
        }
    }
}

/// Whether `legacy_rescan_remove` restores the pre-patch design.
pub(crate) fn legacy() -> bool {
    crate::module_parameters::legacy_rescan_remove.value()
}

/// Takes the lock for a bookkeeping section. With `legacy_rescan_remove`
/// this takes nothing: there, the entry points hold the plain lock across
/// the whole operation ([`legacy_lock`]) and sections cannot nest.
pub(crate) fn lock() -> Option<RescanRemoveGuard> {
    (!legacy()).then(|| RESCAN_REMOVE.lock())
}

/// With `legacy_rescan_remove`: the plain, non-reentrant lock that an entry
/// point (`sriov_numvfs`, `remove`, `new_device`, ...) holds across the
/// whole operation, driver callbacks included, as before the patch.
pub(crate) fn legacy_lock() -> Option<GlobalGuard<RESCAN_REMOVE_MUTEX>> {
    legacy().then(|| RESCAN_REMOVE_MUTEX.lock())
}

impl Drop for RescanRemoveGuard {
    fn drop(&mut self) {
        RESCAN_REMOVE.unlock();
    }
}

#[kunit_tests(drvsim_rescan_remove)]
mod tests {
    use super::*;

    // A failed KUnit assertion ends the test without running destructors:
    // each test records what it sees, gives the lock back, then asserts, so
    // that a failure is reported instead of wedging the bus.

    #[test]
    fn nests_for_the_owner() {
        let mut depths = [0; 5];
        depths[0] = RESCAN_REMOVE.held_depth();
        let outer = RESCAN_REMOVE.lock();
        depths[1] = RESCAN_REMOVE.held_depth();
        {
            let _inner = RESCAN_REMOVE.lock();
            depths[2] = RESCAN_REMOVE.held_depth();
            let _innermost = RESCAN_REMOVE.lock();
            depths[3] = RESCAN_REMOVE.held_depth();
        }
        depths[4] = RESCAN_REMOVE.held_depth();
        drop(outer);
        let after = RESCAN_REMOVE.held_depth();
        assert_eq!(depths, [0, 1, 2, 3, 1]);
        assert_eq!(after, 0);
    }

    #[test]
    fn last_unlock_releases_the_mutex() {
        let g = RESCAN_REMOVE.lock();
        let taken_while_held = RESCAN_REMOVE_MUTEX.try_lock().is_some();
        drop(g);
        let m = RESCAN_REMOVE_MUTEX.try_lock();
        let taken_after = m.is_some();
        drop(m);
        assert!(!taken_while_held);
        assert!(taken_after);
    }
}
