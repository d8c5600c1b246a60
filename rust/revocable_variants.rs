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
//! A sleeping reader should poll [`SleepableRevocable::is_revoked`], so
//! that a revocation does not wait for the whole sleep.

use core::{
    marker::PhantomData,
    ops::Deref,
    sync::atomic::{
        AtomicBool,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    prelude::*,
    revocable::Revocable,
    static_lock_class,
    sync::srcu::{
        Guard as SrcuLock,
        Srcu, //
    },
    types::Opaque, //
};

/// The reader side of a sleepable revocable: a lock that readers hold,
/// and a way to wait until none does.
pub trait ReadSide: Send + Sync + Sized {
    /// What a reader holds.
    type Lock<'a>
    where
        Self: 'a;

    /// A new instance.
    fn init() -> impl PinInit<Self, Error>;

    /// Takes the read side.
    fn read_lock(&self) -> Self::Lock<'_>;

    /// Runs `close` (which makes new readers fail) and returns once every
    /// reader that might not have seen it has left.
    fn close_and_wait(&self, close: impl FnOnce());
}

impl ReadSide for Srcu {
    type Lock<'a> = SrcuLock<'a>;

    fn init() -> impl PinInit<Self, Error> {
        Srcu::new(c"drvsim_srcu_revocable", static_lock_class!())
    }

    fn read_lock(&self) -> SrcuLock<'_> {
        Srcu::read_lock(self)
    }

    fn close_and_wait(&self, close: impl FnOnce()) {
        close();
        self.synchronize();
    }
}

/// A `struct rw_semaphore`.
///
/// # Invariants
///
/// `inner` was initialised by `__init_rwsem()` and is pinned.
#[pin_data]
pub struct RwSem {
    #[pin]
    inner: Opaque<bindings::rw_semaphore>,
}

// SAFETY: an rwsem is meant to be used from any task; all its operations
// go through the kernel's synchronised C API.
unsafe impl Send for RwSem {}
// SAFETY: shared references only reach the rwsem through the kernel's
// synchronised C API, which is what an rwsem is for.
unsafe impl Sync for RwSem {}

impl ReadSide for RwSem {
    type Lock<'a> = ReadLock<'a>;

    fn init() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            // SAFETY: `slot` is valid, pinned memory for an rwsem.
            inner <- Opaque::ffi_init(|slot| unsafe {
                let name = c"drvsim_rwsem_revocable".as_char_ptr();
                bindings::__init_rwsem(slot, name, static_lock_class!().as_ptr())
            }),
        }? Error)
    }

    fn read_lock(&self) -> ReadLock<'_> {
        // SAFETY: `inner` is initialised (type invariant).
        unsafe { bindings::down_read(self.inner.get()) };
        ReadLock(self)
    }

    fn close_and_wait(&self, close: impl FnOnce()) {
        // SAFETY: `inner` is initialised (type invariant).
        unsafe { bindings::down_write(self.inner.get()) };
        close();
        // SAFETY: taken for writing above.
        unsafe { bindings::up_write(self.inner.get()) };
    }
}

/// Holds an rwsem for reading.
pub struct ReadLock<'a>(&'a RwSem);

impl Drop for ReadLock<'_> {
    fn drop(&mut self) {
        // SAFETY: taken for reading by `RwSem::read_lock()`.
        unsafe { bindings::up_read(self.0.inner.get()) };
    }
}

/// A revocable object whose readers hold `S`'s read side and may sleep.
///
/// # Invariants
///
/// While `available` is true the object in `data` is live; it is dropped
/// only after `available` turned false and `S` saw every reader leave.
#[pin_data]
pub struct SleepableRevocable<T, S: ReadSide> {
    #[pin]
    side: S,
    available: AtomicBool,
    #[pin]
    data: Revocable<T>,
}

/// A revocable object whose readers hold an SRCU read lock.
pub type SrcuRevocable<T> = SleepableRevocable<T, Srcu>;
/// A revocable object whose readers hold an rwsem for reading.
pub type RwsemRevocable<T> = SleepableRevocable<T, RwSem>;

impl<T: Send, S: ReadSide> SleepableRevocable<T, S> {
    /// Wraps `data`.
    pub fn new<E>(data: impl PinInit<T, E>) -> impl PinInit<Self, Error>
    where
        Error: From<E>,
    {
        try_pin_init!(Self {
            side <- S::init(),
            available: AtomicBool::new(true),
            data <- Revocable::new(data),
        }? Error)
    }

    /// The object, holding the read side, or `None` once revoked. The
    /// holder may sleep.
    pub fn try_access(&self) -> Option<SleepableGuard<'_, T, S::Lock<'_>>> {
        let lock = self.side.read_lock();
        if !self.available.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: available, under the read side: a revocation waits for
        // `lock` to be released before it drops the object.
        let data: *const T = unsafe { self.data.access() };
        // INVARIANT: the object lives until `lock` is released.
        Some(SleepableGuard {
            data,
            _lock: lock,
            _p: PhantomData,
        })
    }

    /// Whether a revocation has begun.
    pub fn is_revoked(&self) -> bool {
        !self.available.load(Ordering::Acquire)
    }

    /// Revokes access, waits for the readers inside and drops the object.
    /// Returns whether this call revoked it.
    pub fn revoke(&self) -> bool {
        let mut revoked = false;
        self.side
            .close_and_wait(|| revoked = self.available.swap(false, Ordering::AcqRel));
        // SAFETY: `available` is false and every reader that saw it true
        // has left, so no reader is inside.
        revoked && unsafe { self.data.revoke_nosync() }
    }
}

/// Access to the object of a sleepable revocable, holding `L`.
///
/// # Invariants
///
/// `data` points to an object that lives while `_lock` is held. A raw
/// pointer, as in the kernel's `RevocableGuard`: a reference would claim
/// validity for all of `'a`, also in a function it is passed to as an
/// argument after the guard itself was dropped there.
pub struct SleepableGuard<'a, T, L> {
    data: *const T,
    _lock: L,
    _p: PhantomData<&'a T>,
}

impl<T, L> Deref for SleepableGuard<'_, T, L> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: by the type invariant the object lives while the guard
        // (and so `_lock`) does, which the borrow of `self` ensures.
        unsafe { &*self.data }
    }
}

/// A workqueue of a KUnit case's own. Dropping it waits until every work
/// item queued on it has returned, so that no code of drvsim.ko runs after
/// the case: a completion signalled by a work item would leave the rest of
/// its closure and its drops running, maybe past the module's unload.
///
/// # Invariants
///
/// `.0` is a workqueue this owns, destroyed only by `drop`.
#[cfg(drvsim_bus)]
pub(crate) struct TestQueue(*mut bindings::workqueue_struct);

#[cfg(drvsim_bus)]
impl TestQueue {
    /// Allocates the workqueue (`WQ_UNBOUND`), one work item at a time.
    pub(crate) fn new() -> Result<Self> {
        Self::with_max_active(1)
    }

    /// Allocates the workqueue (`WQ_UNBOUND`), running up to `max_active`
    /// work items at once: a case whose work items wait for each other.
    pub(crate) fn with_max_active(max_active: i32) -> Result<Self> {
        // SAFETY: a static name without format directives.
        let wq = unsafe {
            bindings::alloc_workqueue_noprof(
                c"drvsim_kunit".as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND,
                max_active,
            )
        };
        if wq.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: allocated above, owned by the value returned.
        Ok(Self(wq))
    }

    /// The queue, to spawn work items on.
    pub(crate) fn queue(&self) -> &kernel::workqueue::Queue {
        // SAFETY: `self.0` is a live workqueue (type invariant), destroyed
        // only when `self` is dropped, which the borrow excludes.
        unsafe { kernel::workqueue::Queue::from_raw(self.0) }
    }
}

#[cfg(drvsim_bus)]
impl Drop for TestQueue {
    fn drop(&mut self) {
        // SAFETY: the workqueue is ours (type invariant); destroying it
        // waits for the work items queued on it.
        unsafe { bindings::destroy_workqueue(self.0) };
    }
}

/// A KUnit case's object that counts its drops in a shared counter.
#[cfg(drvsim_bus)]
pub(crate) struct Counted(pub(crate) kernel::sync::Arc<core::sync::atomic::AtomicUsize>);

#[cfg(drvsim_bus)]
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// A new drop counter for [`Counted`] (KUnit cases only: panics without
/// memory).
#[cfg(drvsim_bus)]
pub(crate) fn counter() -> kernel::sync::Arc<core::sync::atomic::AtomicUsize> {
    kernel::sync::Arc::new(core::sync::atomic::AtomicUsize::new(0), GFP_KERNEL).unwrap()
}

#[cfg(drvsim_bus)]
#[kunit_tests(drvsim_revocable_variants)]
mod tests {
    use super::*;
    use core::sync::atomic::AtomicUsize;
    use kernel::{
        sync::{
            Arc,
            Completion, //
        },
        time::{
            delay::fsleep,
            Delta, //
        }, //
    };

    /// A reader sleeps 30 ms inside an access while the test revokes:
    /// returns (drops seen by the reader before it left, drops after
    /// revoke returned, whether the reader had left when revoke returned).
    /// The reader runs on a [`TestQueue`].
    fn revoke_waits_for_a_sleeping_reader<S: ReadSide + 'static>() -> (usize, usize, bool) {
        let drops = counter();
        let r = Arc::pin_init(
            SleepableRevocable::<Counted, S>::new(Ok::<_, Error>(Counted(drops.clone()))),
            GFP_KERNEL,
        )
        .unwrap();
        let inside = Arc::pin_init(Completion::new(), GFP_KERNEL).unwrap();
        let left = Arc::new(
            (AtomicBool::new(false), AtomicUsize::new(usize::MAX)),
            GFP_KERNEL,
        )
        .unwrap();
        let (r2, inside2, left2, drops2) = (r.clone(), inside.clone(), left.clone(), drops.clone());
        let wq = TestQueue::new().unwrap();
        wq.queue()
            .try_spawn(GFP_KERNEL, move || {
                let g = r2.try_access();
                inside2.complete_all();
                fsleep(Delta::from_millis(30));
                left2
                    .1
                    .store(drops2.load(Ordering::Relaxed), Ordering::Relaxed);
                // Before leaving: a revoke that waited for us sees it.
                left2.0.store(true, Ordering::Release);
                drop(g);
            })
            .unwrap();
        inside.wait_for_completion();
        r.revoke();
        let left_first = left.0.load(Ordering::Acquire);
        // Waits for the reader.
        drop(wq);
        (
            left.1.load(Ordering::Relaxed),
            drops.load(Ordering::Relaxed),
            left_first,
        )
    }

    #[test]
    fn srcu_revoke_waits_for_a_sleeping_reader() {
        assert_eq!(revoke_waits_for_a_sleeping_reader::<Srcu>(), (0, 1, true));
    }

    #[test]
    fn rwsem_revoke_waits_for_a_sleeping_reader() {
        assert_eq!(revoke_waits_for_a_sleeping_reader::<RwSem>(), (0, 1, true));
    }

    /// Access, revoke, access again, revoke again: what each step saw.
    fn revoke_then_access<S: ReadSide>() -> (Option<u32>, bool, bool, bool, bool) {
        let r = Arc::pin_init(
            SleepableRevocable::<u32, S>::new(Ok::<u32, Error>(7)),
            GFP_KERNEL,
        )
        .unwrap();
        let before = r.try_access().map(|g| *g);
        let revoked = r.revoke();
        let after = r.try_access().is_none();
        (before, revoked, r.is_revoked(), after, r.revoke())
    }

    #[test]
    fn srcu_revoke_then_access_fails() {
        assert_eq!(
            revoke_then_access::<Srcu>(),
            (Some(7), true, true, true, false)
        );
    }

    #[test]
    fn rwsem_revoke_then_access_fails() {
        assert_eq!(
            revoke_then_access::<RwSem>(),
            (Some(7), true, true, true, false)
        );
    }
}
