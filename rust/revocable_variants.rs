// SPDX-License-Identifier: GPL-2.0

//! Sleepable variants of [`Revocable`]: one on SRCU, one on an rwsem.
//!
//! The kernel's `Revocable` uses RCU: a reader must not sleep inside an
//! access. Both variants here let the reader sleep. They are used to
//! compare costs (`make bench`, as the revocable thread asked: SRCU as in
//! the reverted C revocable, an rwsem as Jason Gunthorpe suggested) and by
//! `drvsim_sample` for an access that sleeps. Only the synchronisation
//! differs: the object lives in a kernel [`Revocable`] that is dropped with
//! `revoke_nosync()` once no reader can be inside.
//!
//! A sleeping reader should poll [`SrcuRevocable::is_revoked`] (or the
//! rwsem one), so that a revocation does not wait for the whole sleep.

use core::{
    ops::Deref,
    sync::atomic::{AtomicBool, Ordering},
};
use kernel::{
    bindings,
    prelude::*,
    revocable::Revocable,
    static_lock_class,
    sync::{
        srcu::{Guard as SrcuLock, Srcu},
        LockClassKey,
    },
    types::Opaque,
};

/// A revocable object whose readers hold an SRCU read lock.
///
/// # Invariants
///
/// While `available` is true the object in `data` is live; it is dropped
/// only after `available` turned false and an SRCU grace period passed.
#[pin_data]
pub(crate) struct SrcuRevocable<T> {
    #[pin]
    srcu: Srcu,
    available: AtomicBool,
    #[pin]
    data: Revocable<T>,
}

impl<T: Send> SrcuRevocable<T> {
    /// Wraps `data`.
    pub(crate) fn new<E>(data: impl PinInit<T, E>) -> impl PinInit<Self, Error>
    where
        Error: From<E>,
    {
        try_pin_init!(Self {
            srcu <- Srcu::new(c"drvsim_srcu_revocable", static_lock_class!()),
            available: AtomicBool::new(true),
            data <- Revocable::new(data),
        }? Error)
    }

    /// The object under an SRCU read lock, or `None` once revoked. The
    /// holder may sleep.
    pub(crate) fn try_access(&self) -> Option<SleepableGuard<'_, T, SrcuLock<'_>>> {
        let lock = self.srcu.read_lock();
        if !self.available.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: available and read-locked: a revocation waits for `lock`.
        let data = unsafe { self.data.access() };
        Some(SleepableGuard { data, _lock: lock })
    }

    /// Whether a revocation has begun.
    pub(crate) fn is_revoked(&self) -> bool {
        !self.available.load(Ordering::Acquire)
    }

    /// Revokes access, waits for the readers inside and drops the object.
    /// Returns whether this call revoked it.
    pub(crate) fn revoke(&self) -> bool {
        if !self.available.swap(false, Ordering::AcqRel) {
            return false;
        }
        self.srcu.synchronize();
        // SAFETY: `available` is false and a grace period has passed, so no
        // reader is inside.
        unsafe { self.data.revoke_nosync() }
    }
}

/// A `struct rw_semaphore`.
///
/// # Invariants
///
/// `inner` was initialised by `__init_rwsem()` and is pinned.
#[pin_data]
struct RwSem {
    #[pin]
    inner: Opaque<bindings::rw_semaphore>,
}

// SAFETY: an rwsem is meant to be used from any task; all its operations
// go through the kernel's synchronised C API.
unsafe impl Send for RwSem {}
// SAFETY: as for `Send`.
unsafe impl Sync for RwSem {}

impl RwSem {
    fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid, pinned memory for an rwsem.
            inner <- Opaque::ffi_init(|slot| unsafe { bindings::__init_rwsem(slot, name.as_char_ptr(), key.as_ptr()) }),
        })
    }
}

/// Holds an rwsem for reading.
pub(crate) struct ReadLock<'a>(&'a RwSem);

impl Drop for ReadLock<'_> {
    fn drop(&mut self) {
        // SAFETY: taken for reading by `RwsemRevocable::try_access()`.
        unsafe { bindings::up_read(self.0.inner.get()) };
    }
}

/// A revocable object whose readers hold an rwsem for reading.
///
/// # Invariants
///
/// `available` changes only with `sem` held for writing; the object is
/// live while it is true.
#[pin_data]
pub(crate) struct RwsemRevocable<T> {
    #[pin]
    sem: RwSem,
    available: AtomicBool,
    #[pin]
    data: Revocable<T>,
}

impl<T: Send> RwsemRevocable<T> {
    /// Wraps `data`.
    pub(crate) fn new<E>(data: impl PinInit<T, E>) -> impl PinInit<Self, Error>
    where
        Error: From<E>,
    {
        try_pin_init!(Self {
            sem <- RwSem::new(c"drvsim_rwsem_revocable", static_lock_class!()),
            available: AtomicBool::new(true),
            data <- Revocable::new(data),
        }? Error)
    }

    /// The object with the rwsem held for reading, or `None` once revoked.
    /// The holder may sleep.
    pub(crate) fn try_access(&self) -> Option<SleepableGuard<'_, T, ReadLock<'_>>> {
        // SAFETY: `sem` is initialised (type invariant).
        unsafe { bindings::down_read(self.sem.inner.get()) };
        let lock = ReadLock(&self.sem);
        if !self.available.load(Ordering::Relaxed) {
            return None;
        }
        // SAFETY: available, and a revocation needs the write lock.
        let data = unsafe { self.data.access() };
        Some(SleepableGuard { data, _lock: lock })
    }

    /// Whether a revocation has begun.
    pub(crate) fn is_revoked(&self) -> bool {
        !self.available.load(Ordering::Relaxed)
    }

    /// Revokes access, waits for the readers inside and drops the object.
    /// Returns whether this call revoked it.
    pub(crate) fn revoke(&self) -> bool {
        // SAFETY: `sem` is initialised (type invariant).
        unsafe { bindings::down_write(self.sem.inner.get()) };
        let was = self.available.swap(false, Ordering::Relaxed);
        // SAFETY: taken for writing above.
        unsafe { bindings::up_write(self.sem.inner.get()) };
        // SAFETY: `available` is false and every reader that saw it true has
        // released the read lock before `down_write()` returned.
        was && unsafe { self.data.revoke_nosync() }
    }
}

/// Access to the object of a sleepable revocable, holding `L`.
pub(crate) struct SleepableGuard<'a, T, L> {
    data: &'a T,
    _lock: L,
}

impl<T, L> Deref for SleepableGuard<'_, T, L> {
    type Target = T;

    fn deref(&self) -> &T {
        self.data
    }
}

#[cfg(drvsim_bus)]
#[kunit_tests(drvsim_revocable_variants)]
mod tests {
    use super::*;
    use kernel::sync::Arc;

    #[test]
    fn srcu_revoke_then_access_fails() {
        let r = Arc::pin_init(SrcuRevocable::new(Ok::<u32, Error>(7)), GFP_KERNEL).unwrap();
        assert_eq!(r.try_access().map(|g| *g), Some(7));
        assert!(r.revoke());
        assert!(r.is_revoked());
        assert!(r.try_access().is_none());
        assert!(!r.revoke());
    }

    #[test]
    fn rwsem_revoke_then_access_fails() {
        let r = Arc::pin_init(RwsemRevocable::new(Ok::<u32, Error>(7)), GFP_KERNEL).unwrap();
        assert_eq!(r.try_access().map(|g| *g), Some(7));
        assert!(r.revoke());
        assert!(r.is_revoked());
        assert!(r.try_access().is_none());
        assert!(!r.revoke());
    }
}
