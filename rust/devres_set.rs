// SPDX-License-Identifier: GPL-2.0

//! Per-device resource sets: everything a device holds, revoked on unbind
//! with one RCU grace period.
//!
//! The kernel's [`Devres`](kernel::devres::Devres) revokes each object with
//! its own `synchronize_rcu()`, so a device with 64 resources waits 64 grace
//! periods on unbind (the cost the revocable thread complained about). A
//! [`DevresSet`] puts one gate, itself a kernel [`Revocable`], in front of
//! all of a device's resources. An access passes the gate and then the
//! resource's own [`Revocable`], both under one RCU read lock. Unbind
//! closes the gate and waits one grace period. Then no reader can be inside
//! any member, so every member is dropped with
//! [`Revocable::revoke_nosync`].
//!
//! Members are dropped outside the set's lock, so a member may own handles
//! of its own set or of another device's set. Unbind and a member's early
//! drop may race for one object: as in the kernel's `Devres`, the side
//! that loses waits on the member's completion until the winner's drop has
//! finished, so revocation is complete when either side returns.
//!
//! [`SetDevres`] keeps the access API of `Devres`: `access(&Device<Bound>)`
//! costs a pointer comparison and a flag load (the set's revocation, for a
//! handle kept past its binding), and `try_access` costs an RCU read lock
//! and two flag loads. See `Documentation/drvsim.rst` for the benchmark.

use core::{
    marker::PhantomData,
    ops::Deref,
    sync::atomic::{
        AtomicBool,
        AtomicUsize,
        Ordering, //
    }, //
};
use kernel::{
    device::{
        Bound,
        Device, //
    },
    devres,
    new_mutex,
    prelude::*,
    revocable::Revocable,
    sync::{
        aref::ARef,
        rcu,
        Arc,
        Completion,
        Mutex, //
    }, //
};

/// One object of a [`RevocableSet`], and the completion of its drop.
#[pin_data]
pub struct SetMember<T> {
    #[pin]
    data: Revocable<T>,
    /// Completed once the object has been dropped.
    #[pin]
    dropped: Completion,
}

impl<T> SetMember<T> {
    fn new<E>(data: impl PinInit<T, E>) -> impl PinInit<Self, Error>
    where
        Error: From<E>,
    {
        try_pin_init!(Self {
            data <- Revocable::new(data),
            dropped <- Completion::new(),
        }? Error)
    }
}

/// A member of a [`RevocableSet`], with its type erased.
trait Member: Send + Sync {
    /// Drops the object, or waits until the task that got there first has
    /// dropped it; returns whether this call dropped it.
    ///
    /// # Safety
    ///
    /// No reader may be inside an access of the object.
    unsafe fn revoke_nosync(&self) -> bool;
}

impl<T: Send + Sync> Member for SetMember<T> {
    unsafe fn revoke_nosync(&self) -> bool {
        // SAFETY: no reader is inside an access of `self.data` (this
        // method's own safety requirement, the same as `revoke_nosync()`'s).
        if unsafe { self.data.revoke_nosync() } {
            self.dropped.complete_all();
            return true;
        }
        // `legacy_devres_set_unlock` restores the broken design, for the
        // control in `Documentation/bugs.rst`: the loser returns while the
        // winner may still be dropping the object.
        if !super::abi::legacy_devres_set_unlock() {
            self.dropped.wait_for_completion();
        }
        false
    }
}

/// A set of revocable objects that are revoked together with a single
/// RCU grace period. Independent of any device; [`DevresSet`] ties one to
/// a device's binding.
///
/// # Invariants
///
/// Once `gate` is revoked, `revoked` is set, `members` is empty and stays
/// empty, and every object that was in it is dropped (or being dropped)
/// after a grace period that began after the gate closed.
#[pin_data]
pub struct RevocableSet {
    /// Open while the members may be accessed.
    #[pin]
    gate: Revocable<()>,
    /// The members not revoked yet. The lock serialises revocation against
    /// members that join or leave the set; no object is dropped under it,
    /// so an object's drop may use this set or another one.
    #[pin]
    members: Mutex<KVec<Arc<dyn Member>>>,
    /// Set when revocation starts, under the lock, before the gate closes;
    /// read without RCU by [`SetDevres::access`].
    revoked: AtomicBool,
    /// Grace periods this set has waited for; at most one.
    grace_periods: AtomicUsize,
}

impl RevocableSet {
    /// An empty, open set.
    pub fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            gate <- Revocable::new(Ok::<(), Error>(())),
            members <- new_mutex!(KVec::new()),
            revoked: AtomicBool::new(false),
            grace_periods: AtomicUsize::new(0),
        }? Error)
    }

    /// Adds `data` to the set; `ENXIO` if the set was revoked already.
    pub fn add<T: Send + Sync + 'static, E>(
        &self,
        data: impl PinInit<T, E>,
    ) -> Result<Arc<SetMember<T>>>
    where
        Error: From<E>,
    {
        let member = Arc::pin_init::<Error>(SetMember::new(data), GFP_KERNEL)?;
        let mut members = self.members.lock();
        if self.gate.try_access().is_none() {
            return Err(ENXIO);
        }
        members.push(member.clone(), GFP_KERNEL)?;
        Ok(member)
    }

    /// Removes `member` from the set and drops its object.
    ///
    /// # Safety
    ///
    /// No reader may be inside an access of `member`.
    unsafe fn remove(&self, member: &Arc<SetMember<impl Send + Sync + 'static>>) {
        // SAFETY: no reader is inside an access of `member` (safety
        // requirement). If a concurrent `revoke_all()` took it first, this
        // waits until that drop has finished. The member leaves the set
        // only after its drop: a `revoke_all()` meanwhile finds it there
        // and waits for the drop in turn.
        unsafe { Member::revoke_nosync(&**member) };
        let ptr = Arc::as_ptr(member).cast::<()>();
        self.members
            .lock()
            .retain(|m| Arc::as_ptr(m).cast::<()>() != ptr);
    }

    /// Accesses `member` under `guard` if neither the set nor the member
    /// was revoked.
    fn access_with_guard<'a, T>(
        &'a self,
        member: &'a SetMember<T>,
        guard: &'a rcu::Guard,
    ) -> Option<&'a T> {
        self.gate.try_access_with_guard(guard)?;
        member.data.try_access_with_guard(guard)
    }

    /// Revokes every member with one grace period and drops their objects.
    /// Returns how many objects this call dropped; 0 if the set was revoked
    /// already, in which case it returns at once, maybe while the first
    /// call still drops the objects (only the device's devres action calls
    /// it, once).
    pub fn revoke_all(&self) -> usize {
        let revoked = {
            let mut members = self.members.lock();
            self.revoked.store(true, Ordering::Relaxed);
            if members.is_empty() {
                // SAFETY: accesses go through members' handles, and a
                // handle leaves the set before it goes away: no member, no
                // reader.
                unsafe { self.gate.revoke_nosync() };
                return 0;
            }
            // Close the gate and wait for the readers that passed it: one
            // grace period for the whole set.
            if self.gate.revoke() {
                self.grace_periods.fetch_add(1, Ordering::Relaxed);
            }
            core::mem::take(&mut *members)
        };
        // Dropped after unlocking: an object's drop may drop handles of
        // this set (which take its lock) or of another device's set (whose
        // lock shares this one's lockdep class). A concurrent `remove()`
        // that loses an object to this loop waits for its drop, and this
        // loop waits for an object such a `remove()` took first.
        super::abi::pause(super::abi::Pause::Revoke);
        // SAFETY: the gate is closed and a grace period has passed since,
        // so no reader is inside any member.
        revoked
            .iter()
            .filter(|m| unsafe { m.revoke_nosync() })
            .count()
    }

    /// The grace periods this set waited for.
    pub fn grace_periods(&self) -> usize {
        self.grace_periods.load(Ordering::Relaxed)
    }

    /// Whether the set was revoked.
    pub fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::Relaxed)
    }
}

/// The address of `dev`, to compare devices by.
fn addr_of<Ctx: kernel::device::DeviceContext>(dev: &Device<Ctx>) -> usize {
    core::ptr::from_ref(dev).addr()
}

/// Revokes a set when dropped; what the device's devres list holds.
struct RevokeOnUnbind(Arc<RevocableSet>);

impl Drop for RevokeOnUnbind {
    fn drop(&mut self) {
        self.0.revoke_all();
    }
}

/// The resources a device holds for its current binding, revoked together
/// when the device is unbound: one grace period, however many there are.
pub struct DevresSet {
    dev: ARef<Device>,
    set: Arc<RevocableSet>,
}

impl DevresSet {
    /// A set revoked when `dev` is unbound.
    pub fn new(dev: &Device<Bound>) -> Result<Self> {
        let set = Arc::pin_init(RevocableSet::new(), GFP_KERNEL)?;
        devres::register(dev, RevokeOnUnbind(set.clone()), GFP_KERNEL)?;
        Ok(Self {
            dev: dev.into(),
            set,
        })
    }

    /// Wraps `data` as a member of this set, as `Devres::new()` does for a
    /// single object: `EINVAL` if `dev` is not this set's device, `ENXIO`
    /// if the set was revoked already.
    pub fn add<T: Send + Sync + 'static, E>(
        &self,
        dev: &Device<Bound>,
        data: impl PinInit<T, E>,
    ) -> Result<SetDevres<T>>
    where
        Error: From<E>,
    {
        if addr_of(dev) != addr_of(&self.dev) {
            return Err(EINVAL);
        }
        let data = self.set.add(data)?;
        Ok(SetDevres {
            dev_addr: addr_of(dev),
            dev: self.dev.clone(),
            set: self.set.clone(),
            data,
        })
    }
}

/// One object of a [`DevresSet`], with the access API of `Devres<T>`.
pub struct SetDevres<T: Send + Sync + 'static> {
    /// `dev`'s address: `access()` compares it without going through the
    /// `ARef` (whose `Deref` is an out-of-line call into the kernel crate).
    dev_addr: usize,
    dev: ARef<Device>,
    set: Arc<RevocableSet>,
    data: Arc<SetMember<T>>,
}

impl<T: Send + Sync + 'static> SetDevres<T> {
    /// The object, without synchronisation: `dev` proves that the device is
    /// bound, so the set cannot be revoked while the reference lives.
    /// `EINVAL` if `dev` is not this object's device; `ENXIO` if the object
    /// belongs to an earlier binding of it (kept past its unbind, in a
    /// static, an `Arc` or a file), whose unbind revoked it.
    pub fn access<'a>(&'a self, dev: &'a Device<Bound>) -> Result<&'a T> {
        if addr_of(dev) != self.dev_addr {
            return Err(EINVAL);
        }
        // The device check alone is not enough: after an unbind and a
        // rebind, `dev` is bound again, but not in this set's binding. A
        // set is revoked on its binding's unbind, which happens before the
        // next binding's probe (both under the device lock), so a relaxed
        // load sees it.
        if self.set.is_revoked() {
            return Err(ENXIO);
        }
        // SAFETY: `dev` is bound for as long as it lives, in this set's
        // binding (the set was not revoked, and is revoked only when that
        // binding ends), so the set cannot be revoked while the reference
        // lives; the member could leave the set only if `self` were
        // dropped, which the borrow of `self` excludes. (As for the
        // kernel's `Devres::access()`, this relies on no `&Device<Bound>`
        // being used after the device's devres list released this set:
        // code that the list releases later, such as a threaded interrupt
        // handler registered before the set, must not call it.)
        Ok(unsafe { self.data.data.access() })
    }

    /// The object under an RCU read lock, or `None` once it was revoked.
    /// The guard must not be held across a sleep.
    pub fn try_access(&self) -> Option<SetGuard<'_, T>> {
        let guard = rcu::read_lock();
        let data: *const T = self.set.access_with_guard(&self.data, &guard)?;
        Some(SetGuard {
            data,
            _rcu: guard,
            _p: PhantomData,
        })
    }

    /// Runs `f` on the object under an RCU read lock; `None` once revoked.
    pub fn try_access_with<R, F: FnOnce(&T) -> R>(&self, f: F) -> Option<R> {
        self.try_access().map(|g| f(&g))
    }

    /// The device this object belongs to.
    pub fn device(&self) -> &Device {
        &self.dev
    }
}

impl<T: Send + Sync + 'static> Drop for SetDevres<T> {
    fn drop(&mut self) {
        // SAFETY: accesses borrow `self`, so none is in progress.
        unsafe { self.set.remove(&self.data) };
    }
}

/// Access to an object of a [`DevresSet`], under an RCU read lock.
///
/// # Invariants
///
/// `data` points to a member that was accessible when `_rcu` was taken; a
/// revocation waits for `_rcu` to be released before dropping it.
pub struct SetGuard<'a, T> {
    data: *const T,
    _rcu: rcu::Guard,
    _p: PhantomData<&'a T>,
}

impl<T> Deref for SetGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: by the type invariant the object lives while the guard does.
        unsafe { &*self.data }
    }
}

#[cfg(drvsim_bus)]
#[kunit_tests(drvsim_devres_set)]
mod tests {
    use super::super::revocable_variants::{
        counter,
        Counted,
        TestQueue, //
    };
    use super::*;
    use kernel::{
        time::delay::{
            fsleep,
            udelay, //
        },
        time::Delta, //
    };

    fn new_set() -> Arc<RevocableSet> {
        Arc::pin_init(RevocableSet::new(), GFP_KERNEL).unwrap()
    }

    fn access<T>(set: &RevocableSet, m: &SetMember<T>) -> bool {
        let g = rcu::read_lock();
        set.access_with_guard(m, &g).is_some()
    }

    #[test]
    fn revoke_without_users_drops_all_with_one_grace_period() {
        let set = new_set();
        let drops = counter();
        let mut members = KVec::new();
        for _ in 0..64 {
            members
                .push(
                    set.add::<Counted, Error>(Ok(Counted(drops.clone())))
                        .unwrap(),
                    GFP_KERNEL,
                )
                .unwrap();
        }
        assert!(access(&set, &members[63]));
        assert_eq!(set.revoke_all(), 64);
        assert_eq!(drops.load(Ordering::Relaxed), 64);
        assert_eq!(set.grace_periods(), 1);
        assert!(!access(&set, &members[0]));
    }

    #[test]
    fn double_revoke_is_a_no_op() {
        let set = new_set();
        let drops = counter();
        let _m = set
            .add::<Counted, Error>(Ok(Counted(drops.clone())))
            .unwrap();
        assert_eq!(set.revoke_all(), 1);
        assert_eq!(set.revoke_all(), 0);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        assert_eq!(set.grace_periods(), 1);
    }

    #[test]
    fn remove_after_revoke_does_not_drop_twice() {
        let set = new_set();
        let drops = counter();
        let m = set
            .add::<Counted, Error>(Ok(Counted(drops.clone())))
            .unwrap();
        set.revoke_all();
        // SAFETY: no reader.
        unsafe { set.remove(&m) };
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn early_remove_drops_now_and_leaves_the_rest() {
        let set = new_set();
        let drops = counter();
        let a = set
            .add::<Counted, Error>(Ok(Counted(drops.clone())))
            .unwrap();
        let b = set
            .add::<Counted, Error>(Ok(Counted(drops.clone())))
            .unwrap();
        // SAFETY: no reader.
        unsafe { set.remove(&a) };
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        assert!(access(&set, &b));
        assert_eq!(set.revoke_all(), 1);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    }

    /// Sleeps in its drop, and records when the drop starts and ends.
    struct SlowDrop(Arc<(AtomicBool, AtomicBool)>);

    impl Drop for SlowDrop {
        fn drop(&mut self) {
            self.0 .0.store(true, Ordering::Release);
            fsleep(Delta::from_millis(50));
            self.0 .1.store(true, Ordering::Release);
        }
    }

    /// Revocation is complete when unbind (`revoke_all()`) returns, and
    /// when a member's early drop (`remove()`) that raced with it returns,
    /// whichever of the two drops the object.
    #[test]
    fn revocation_is_complete_when_either_side_returns() {
        for revoke_drops_it in [true, false] {
            let set = new_set();
            let state =
                Arc::new((AtomicBool::new(false), AtomicBool::new(false)), GFP_KERNEL).unwrap();
            let m = set
                .add::<SlowDrop, Error>(Ok(SlowDrop(state.clone())))
                .unwrap();
            let (set2, m2) = (set.clone(), m.clone());
            // The side that drops the object runs in a work item; this
            // task joins in once the drop has started.
            let wq = TestQueue::new().unwrap();
            wq.queue()
                .try_spawn(GFP_KERNEL, move || {
                    if revoke_drops_it {
                        set2.revoke_all();
                    } else {
                        // SAFETY: no reader.
                        unsafe { set2.remove(&m2) };
                    }
                })
                .unwrap();
            while !state.0.load(Ordering::Acquire) {
                fsleep(Delta::from_millis(1));
            }
            if revoke_drops_it {
                // SAFETY: no reader.
                unsafe { set.remove(&m) };
            } else {
                set.revoke_all();
            }
            let complete = state.1.load(Ordering::Acquire);
            // Waits for the work item.
            drop(wq);
            assert!(complete);
        }
    }

    /// A handle of a member, as `SetDevres` holds one: the member leaves
    /// its set when the handle is dropped.
    struct Handle<T: Send + Sync + 'static>(Arc<RevocableSet>, Arc<SetMember<T>>);

    impl<T: Send + Sync + 'static> Drop for Handle<T> {
        fn drop(&mut self) {
            // SAFETY: no reader.
            unsafe { self.0.remove(&self.1) };
        }
    }

    /// An object that owns a handle of another member.
    type Owner = (Handle<Counted>, Counted);

    /// A member owning a handle of its own set: its drop takes the set's
    /// lock again, on unbind and on an early drop (it deadlocked when
    /// members were dropped under the lock).
    #[test]
    fn a_member_may_own_a_handle_of_its_own_set() {
        for unbind in [true, false] {
            let set = new_set();
            let drops = counter();
            let inner = set
                .add::<Counted, Error>(Ok(Counted(drops.clone())))
                .unwrap();
            let outer = set
                .add::<Owner, Error>(Ok((Handle(set.clone(), inner), Counted(drops.clone()))))
                .unwrap();
            if unbind {
                set.revoke_all();
            } else {
                drop(Handle(set.clone(), outer));
            }
            assert_eq!(drops.load(Ordering::Relaxed), 2);
        }
    }

    /// A member of one set owning a handle of another (a PF's resource
    /// held in a VF's set): both sets' locks share one lockdep class, so
    /// dropping it under its own set's lock was "possible recursive
    /// locking". The log scan catches that report.
    #[test]
    fn a_member_may_own_a_handle_of_another_set() {
        for unbind in [true, false] {
            let (vf, pf) = (new_set(), new_set());
            let drops = counter();
            let pf_res = pf
                .add::<Counted, Error>(Ok(Counted(drops.clone())))
                .unwrap();
            let vf_res = vf
                .add::<Owner, Error>(Ok((Handle(pf.clone(), pf_res), Counted(drops.clone()))))
                .unwrap();
            if unbind {
                vf.revoke_all();
            } else {
                drop(Handle(vf.clone(), vf_res));
            }
            let dropped = drops.load(Ordering::Relaxed);
            let pf_left = pf.revoke_all();
            assert_eq!((dropped, pf_left), (2, 0));
        }
    }

    #[test]
    fn revoking_an_empty_set_waits_for_no_grace_period() {
        let set = new_set();
        assert_eq!(set.revoke_all(), 0);
        assert!(set.is_revoked());
        assert_eq!(set.grace_periods(), 0);
    }

    #[test]
    fn add_after_revoke_fails_with_enxio() {
        let set = new_set();
        set.revoke_all();
        assert!(set.is_revoked());
        let drops = counter();
        assert_eq!(
            set.add::<Counted, Error>(Ok(Counted(drops.clone()))).err(),
            Some(ENXIO)
        );
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    /// A reader inside an access holds off the revocation: the object is
    /// still there when the reader leaves, and dropped when revoke returns.
    #[test]
    fn revoke_waits_for_a_reader_inside() {
        struct Shared {
            set: Arc<RevocableSet>,
            member: Arc<SetMember<Counted>>,
            drops: Arc<AtomicUsize>,
            inside: AtomicBool,
            dropped_while_inside: AtomicBool,
        }
        let set = new_set();
        let drops = counter();
        let member = set
            .add::<Counted, Error>(Ok(Counted(drops.clone())))
            .unwrap();
        let s = Arc::new(
            Shared {
                set,
                member,
                drops,
                inside: AtomicBool::new(false),
                dropped_while_inside: AtomicBool::new(false),
            },
            GFP_KERNEL,
        )
        .unwrap();
        let s2 = s.clone();
        let wq = TestQueue::new().unwrap();
        wq.queue()
            .try_spawn(GFP_KERNEL, move || {
                let g = rcu::read_lock();
                if s2.set.access_with_guard(&s2.member, &g).is_some() {
                    s2.inside.store(true, Ordering::Release);
                    // Stay inside for 20 ms (busy: no sleeping under RCU).
                    for _ in 0..20 {
                        udelay(Delta::from_micros(1000));
                    }
                    let n = s2.drops.load(Ordering::Relaxed);
                    s2.dropped_while_inside.store(n != 0, Ordering::Relaxed);
                }
                drop(g);
            })
            .unwrap();
        while !s.inside.load(Ordering::Acquire) {
            fsleep(Delta::from_millis(1));
        }
        let revoked = s.set.revoke_all();
        let drops = s.drops.load(Ordering::Relaxed);
        // Waits for the reader.
        drop(wq);
        assert_eq!((revoked, drops), (1, 1));
        assert!(!s.dropped_while_inside.load(Ordering::Relaxed));
    }
}
