// SPDX-License-Identifier: GPL-2.0

//! KUnit cases for the kernel's own [`Devres`] and [`Revocable`]
//! (`rust/kernel/devres.rs`, `rust/kernel/revocable.rs`), not drvsim's
//! `DevresSet`: what they promise drivers, checked on a real drvsim device
//! bound to a test driver and unbound with `device_release_driver()`, the
//! unbind of a sysfs `unbind` write.
//!
//! - A `Devres` dropped while its device is bound drops its object at
//!   once and leaves the device's devres list; one that outlives the
//!   unbind is revoked by it; one whose initialiser fails leaves nothing
//!   registered.
//! - When the unbind and a `Devres`'s own drop race for one object, the
//!   object's drop is complete when either side returns.
//! - `Revocable::revoke()` waits for a reader inside `try_access()`.
//!
//! Where a case has to know that a task waits inside the kernel (the loser
//! of a race, waiting for the winner's drop), it reads the task's kernel
//! stack, as the kselftests' `in_kernel` reads `/proc/PID/stack`, instead
//! of giving it a while.

use crate::{
    abi::{
        Bus,
        DeviceIdRaw,
        DriverRaw,
        TYPE_LEN, //
    },
    device::{
        DevRef,
        Spec, //
    },
    exports,
    lifecycle,
    parse::Name, //
};
use core::ptr;
use kernel::{
    bindings,
    device::{
        Bound,
        Device, //
    },
    error::to_result,
    ffi::{
        c_int,
        c_ulong,
        c_void, //
    },
    prelude::*,
    task::Task, //
};

/// `t` as an id table entry.
const fn id(t: &[u8]) -> DeviceIdRaw {
    let mut type_ = [0u8; TYPE_LEN];
    let mut i = 0;
    while i < t.len() {
        type_[i] = t[i];
        i += 1;
    }
    DeviceIdRaw {
        type_,
        driver_data: 0,
    }
}

/// The type of the test device.
const TYPE: &[u8] = b"kunit_kdevres";

/// The test driver's id table: [`TYPE`], then the terminating entry.
static IDS: [DeviceIdRaw; 2] = [id(TYPE), id(b"")];

/// The test driver's probe: binds every device it is offered.
extern "C" fn probe(_dev: *mut bindings::device, _id: *const DeviceIdRaw) -> c_int {
    0
}

/// A drvsim device of type [`TYPE`] bound to a driver of the test's own.
/// Dropping it unbinds and removes the device and unregisters the driver.
///
/// # Invariants
///
/// `drv` is registered on the bus, and stays in its box (pinned) until
/// `drop` unregisters it; `dev` was added to the bus by
/// `lifecycle::add_device()`.
struct Bench {
    drv: KBox<DriverRaw>,
    dev: DevRef,
}

impl Bench {
    /// Registers the driver and adds a device that it binds.
    fn new() -> Result<Self> {
        let mut drv = KBox::new(
            DriverRaw {
                id_table: IDS.as_ptr(),
                probe: Some(probe),
                ..Default::default()
            },
            GFP_KERNEL,
        )?;
        let owner = <crate::LocalModule as kernel::ModuleMetadata>::THIS_MODULE.as_ptr();
        // SAFETY: `drv` is zeroed but for its id table and probe, and stays
        // in its box until `drop` unregisters it; the name and the module
        // are static.
        to_result(unsafe {
            exports::drvsim_driver_register(
                &raw mut *drv,
                owner.cast(),
                c"drvsim_kunit_kdevres".as_char_ptr(),
            )
        })?;
        let dev = Name::parse(b"kunit-kdevres").and_then(|name| {
            lifecycle::add_device(Spec {
                name,
                type_: Name::parse(TYPE)?,
                totalvfs: 0,
                regions: 0,
                physfn: None,
                early_probe: false,
                supplier: None,
                bus: Bus::Drvsim,
            })
        });
        let dev = match dev {
            Ok(dev) => dev,
            Err(e) => {
                // SAFETY: registered above.
                unsafe { exports::drvsim_driver_unregister(&raw mut *drv) };
                return Err(e);
            }
        };
        dev.attach();
        // INVARIANT: registered and added above.
        let bench = Self { drv, dev };
        if !bench.is_bound() {
            return Err(ENODEV);
        }
        Ok(bench)
    }

    /// Whether the device is bound to the test driver; a snapshot.
    fn is_bound(&self) -> bool {
        let locked = self.dev.lock();
        locked.driver().map(ptr::from_ref) == Some(ptr::from_ref(&*self.drv))
    }

    /// Runs `f` on the device as a bound device, holding its lock;
    /// `ENODEV` if it is not bound to the test driver.
    fn with_bound<R>(&self, f: impl FnOnce(&Device<Bound>) -> R) -> Result<R> {
        let locked = self.dev.lock();
        if locked.driver().map(ptr::from_ref) != Some(ptr::from_ref(&*self.drv)) {
            return Err(ENODEV);
        }
        // SAFETY: the device is bound, and stays bound while its lock is
        // held, which `locked` does until after `f` returned.
        let r = f(unsafe { self.dev.as_dev().as_bound() });
        drop(locked);
        Ok(r)
    }

    /// A reference to the device, for another task to unbind it.
    fn dev(&self) -> DevRef {
        self.dev.clone()
    }
}

/// Unbinds `dev` from its driver, as a write to the driver's `unbind`
/// does; returns when the unbind is complete (its devres list released).
fn unbind(dev: &DevRef) {
    // SAFETY: `dev` is a device of the bus, kept alive by the reference.
    unsafe { bindings::device_release_driver(dev.as_raw()) };
}

impl Drop for Bench {
    fn drop(&mut self) {
        unbind(&self.dev);
        let _ = lifecycle::remove(&self.dev);
        // SAFETY: registered by `new()` (type invariant), unregistered
        // only here.
        unsafe { exports::drvsim_driver_unregister(&raw mut *self.drv) };
    }
}

/// Frames of a kernel stack trace read at most.
const STACK_DEPTH: usize = 48;
/// Room for a symbol's name as `sprint_symbol_no_offset()` writes it
/// (`KSYM_SYMBOL_LEN`, with room to spare).
const SYMBOL_LEN: usize = 1024;

/// Reads where another task sleeps in the kernel. The buffers are
/// allocated up front, so that [`StackProbe::sleeps_in`] neither sleeps
/// nor allocates (it may be called inside an RCU read-side section).
struct StackProbe {
    entries: KVec<c_ulong>,
    name: KVec<u8>,
}

impl StackProbe {
    fn new() -> Result<Self> {
        let mut entries = KVec::with_capacity(STACK_DEPTH, GFP_KERNEL)?;
        entries.resize(STACK_DEPTH, 0, GFP_KERNEL)?;
        let mut name = KVec::with_capacity(SYMBOL_LEN, GFP_KERNEL)?;
        name.resize(SYMBOL_LEN, 0, GFP_KERNEL)?;
        Ok(Self { entries, name })
    }

    /// Whether `task` sleeps uninterruptibly (as in `wait_for_completion()`
    /// or `synchronize_rcu()`) with, for each of `patterns`, a frame on
    /// its stack whose symbol contains it. `stack_trace_save_tsk()` leaves
    /// the scheduler's functions out (`wait_for_completion()` is one), so
    /// a pattern names a caller.
    fn sleeps_in(&mut self, task: &Task, patterns: &[&[u8]]) -> bool {
        let t = task.as_ptr();
        let state = || {
            // SAFETY: `task` is alive (the reference); `__state` is written
            // with `WRITE_ONCE()`, and this is the matching `READ_ONCE()`.
            unsafe { ptr::read_volatile(&raw const (*t).__state) }
        };
        if state() != bindings::TASK_UNINTERRUPTIBLE {
            return false;
        }
        // SAFETY: `task` is alive, the buffer holds `STACK_DEPTH` entries.
        let n = unsafe {
            bindings::stack_trace_save_tsk(t, self.entries.as_mut_ptr(), STACK_DEPTH as u32, 0)
        } as usize;
        let mut found = [false; 4];
        for &addr in &self.entries[..n.min(STACK_DEPTH)] {
            // SAFETY: the buffer has room for any symbol's name.
            let len =
                unsafe { bindings::sprint_symbol_no_offset(self.name.as_mut_ptr().cast(), addr) };
            let sym = &self.name[..(len.max(0) as usize).min(SYMBOL_LEN)];
            for (i, p) in patterns.iter().enumerate().take(found.len()) {
                found[i] |= sym.windows(p.len()).any(|w| w == *p);
            }
        }
        // Still asleep: the stack read was the one of that sleep.
        found[..patterns.len()].iter().all(|&f| f) && state() == bindings::TASK_UNINTERRUPTIBLE
    }
}

/// A `struct drvsim_watch` (`rust/exports.c`).
#[repr(C)]
struct WatchRaw {
    _opaque: [u8; 0],
}

extern "C" {
    fn drvsim_watch_start(addr: *const c_void, len: c_int, out: *mut *mut WatchRaw) -> c_int;
    fn drvsim_watch_stop(w: *mut WatchRaw, depth: *mut c_int, max: c_int) -> c_int;
}

/// A data watchpoint on a few bytes: for each access that the task that
/// set it makes to them, it records the task's RCU read-side nesting
/// depth (perf's breakpoint path may add a level of its own: compare with
/// an access made outside any read-side section).
///
/// # Invariants
///
/// `.0` was set by `drvsim_watch_start()` and is stopped only by
/// [`Watch::stop`].
struct Watch(*mut WatchRaw);

impl Watch {
    /// Watches `T`, which must be 1, 2, 4 or 8 bytes (and aligned to it).
    fn start<T>(what: &T) -> Result<Self> {
        let mut w = ptr::null_mut();
        let len = c_int::try_from(core::mem::size_of::<T>())?;
        // SAFETY: `what` is valid memory; the watchpoint only observes it,
        // and is removed by `stop()` (which the caller runs before `what`
        // goes away: the watchpoint holds no reference).
        to_result(unsafe { drvsim_watch_start(ptr::from_ref(what).cast(), len, &mut w) })?;
        // INVARIANT: set above.
        Ok(Self(w))
    }

    /// Removes the watchpoint: the number of accesses it saw, and the
    /// depths at the first two (-1 for none).
    fn stop(self) -> (i32, [i32; 2]) {
        let mut depth = [-1; 2];
        // SAFETY: set by `start()` (type invariant) and stopped only here,
        // by value; `depth` has room for the 2 asked for.
        let hits = unsafe { drvsim_watch_stop(self.0, depth.as_mut_ptr(), 2) };
        (hits, depth)
    }
}

#[kunit_tests(drvsim_kernel_devres)]
mod tests {
    use super::super::revocable_variants::{
        counter,
        Counted,
        TestQueue, //
    };
    use super::*;
    use core::sync::atomic::{
        AtomicBool,
        AtomicUsize,
        Ordering, //
    };
    use kernel::{
        current,
        devres::Devres,
        new_mutex,
        revocable::Revocable,
        sync::{
            aref::ARef,
            Arc,
            Completion,
            Mutex, //
        },
        time::{
            delay::{
                fsleep,
                udelay, //
            },
            Delta, //
        }, //
    };

    // A failed KUnit assertion ends the case without running destructors:
    // each case records what it sees, unbinds and removes its device,
    // then asserts.

    /// A `Devres` dropped while its device is bound drops its object then
    /// (and gives its node and the node's reference back: kmemleak reports
    /// a `Devres` whose drop leaves the node's `Arc` reference behind,
    /// KASAN one that gives back a reference it never took); the unbind
    /// later finds nothing of it.
    #[test]
    fn devres_dropped_while_bound() {
        let bench = Bench::new().unwrap();
        let drops = counter();
        let res = bench.with_bound(|dev| {
            let d = Devres::<Counted>::new(dev, Ok::<_, Error>(Counted(drops.clone())))?;
            let seen = (d.try_access().is_some(), d.access(dev).is_ok());
            drop(d);
            Ok::<_, Error>((seen, drops.load(Ordering::Relaxed)))
        });
        unbind(&bench.dev());
        let after_unbind = drops.load(Ordering::Relaxed);
        drop(bench);
        assert_eq!(res, Ok(Ok(((true, true), 1))));
        assert_eq!(after_unbind, 1);
    }

    /// A `Devres` kept past the unbind: the unbind drops its object and
    /// revokes access; the `Devres`'s own drop later drops nothing (and
    /// KASAN reports it if the devres list gave back a reference the
    /// `Devres` still uses).
    #[test]
    fn devres_outliving_the_unbind_is_revoked_by_it() {
        let bench = Bench::new().unwrap();
        let drops = counter();
        let d = bench
            .with_bound(|dev| Devres::<Counted>::new(dev, Ok::<_, Error>(Counted(drops.clone()))))
            .and_then(|d| d);
        let before = drops.load(Ordering::Relaxed);
        unbind(&bench.dev());
        let at_unbind = drops.load(Ordering::Relaxed);
        let revoked = d.as_ref().map(|d| d.try_access().is_none()).map_err(|&e| e);
        drop(d);
        let after_drop = drops.load(Ordering::Relaxed);
        drop(bench);
        assert_eq!((before, at_unbind, after_drop), (0, 1, 1));
        assert_eq!(revoked, Ok(true));
    }

    /// `Devres::new()` whose initialiser fails returns the error and leaves
    /// nothing on the device's devres list: the unbind then releases only
    /// the `Devres` created next to it (KASAN reports the unbind walking a
    /// node freed with the failed allocation, if the node was registered
    /// before the data was initialised).
    #[test]
    fn devres_new_with_a_failing_initialiser_registers_nothing() {
        let bench = Bench::new().unwrap();
        let drops = counter();
        let res = bench.with_bound(|dev| {
            let failed = Devres::<Counted>::new(dev, Err::<Counted, Error>(ENOMEM)).err();
            let kept = Devres::<Counted>::new(dev, Ok::<_, Error>(Counted(drops.clone())));
            (failed, kept)
        });
        unbind(&bench.dev());
        let at_unbind = drops.load(Ordering::Relaxed);
        let (failed, kept) = match res {
            Ok((failed, kept)) => (failed, kept.map(|_| ()).err()),
            Err(e) => (Some(e), Some(e)),
        };
        drop(bench);
        assert_eq!((failed, kept), (Some(ENOMEM), None));
        assert_eq!(at_unbind, 1);
    }

    /// The state of a race between the unbind and a `Devres`'s drop.
    #[pin_data]
    struct Race {
        /// Completed when the object's drop has begun.
        #[pin]
        started: Completion,
        /// Completed by the case to let the object's drop finish.
        #[pin]
        release: Completion,
        /// Set when the object's drop has finished.
        done: AtomicBool,
        drops: AtomicUsize,
        /// The task running the side that loses the race.
        #[pin]
        loser: Mutex<Option<ARef<Task>>>,
        loser_returned: AtomicBool,
        /// `done` as each side saw it when it returned.
        done_at_winner_return: AtomicBool,
        done_at_loser_return: AtomicBool,
    }

    impl Race {
        fn new() -> impl PinInit<Self> {
            pin_init!(Self {
                started <- Completion::new(),
                release <- Completion::new(),
                done: AtomicBool::new(false),
                drops: AtomicUsize::new(0),
                loser <- new_mutex!(None),
                loser_returned: AtomicBool::new(false),
                done_at_winner_return: AtomicBool::new(false),
                done_at_loser_return: AtomicBool::new(false),
            })
        }
    }

    /// An object whose drop waits until the case lets it finish.
    struct SlowDrop(Arc<Race>);

    impl Drop for SlowDrop {
        fn drop(&mut self) {
            self.0.started.complete_all();
            self.0.release.wait_for_completion();
            self.0.drops.fetch_add(1, Ordering::Relaxed);
            self.0.done.store(true, Ordering::Release);
        }
    }

    /// Runs `f` in a work item on `wq`, as the winner or the loser of
    /// `race`, and records whether the object's drop was done when `f`
    /// returned.
    fn spawn(
        wq: &TestQueue,
        race: &Arc<Race>,
        loser: bool,
        f: impl FnOnce() + Send + 'static,
    ) -> Result {
        let race = race.clone();
        wq.queue().try_spawn(GFP_KERNEL, move || {
            if loser {
                let me: &Task = current!();
                *race.loser.lock() = Some(ARef::from(me));
            }
            f();
            let done = race.done.load(Ordering::Acquire);
            if loser {
                race.done_at_loser_return.store(done, Ordering::Relaxed);
                race.loser_returned.store(true, Ordering::Release);
            } else {
                race.done_at_winner_return.store(done, Ordering::Relaxed);
            }
        })?;
        Ok(())
    }

    /// The side that drops the object in [`race`].
    #[derive(Clone, Copy)]
    enum Winner {
        /// `Devres::drop()`; the unbind loses.
        Drop,
        /// The unbind (`devres_release_all()`); `Devres::drop()` loses.
        Unbind,
    }

    /// The winner starts dropping the object (in a work item, where the
    /// drop waits for the case); then the loser starts (in another work
    /// item); the case lets the drop finish once the loser waits for it in
    /// the kernel, or has returned. Returns (whether the loser was seen
    /// waiting, the object's drop was done when the winner returned, when
    /// the loser returned, the drops).
    fn race(winner: Winner) -> (bool, bool, bool, usize) {
        let bench = Bench::new().unwrap();
        let race = Arc::pin_init(Race::new(), GFP_KERNEL).unwrap();
        let mut probe = StackProbe::new().unwrap();
        let d = bench
            .with_bound(|dev| Devres::<SlowDrop>::new(dev, Ok::<_, Error>(SlowDrop(race.clone()))))
            .and_then(|d| d)
            .unwrap();
        let wq = TestQueue::with_max_active(2).unwrap();
        let dev = bench.dev();
        let drop_side = move || drop(d);
        let unbind_side = move || unbind(&dev);
        // Where the loser waits: the unbind in the devres callback, under
        // `devres_release_all()`; the drop in `Devres::drop()` (or the
        // `drop_in_place()` it is inlined into). Neither sleeps there
        // otherwise.
        let patterns: &[&[u8]] = match winner {
            Winner::Drop => {
                spawn(&wq, &race, false, drop_side).unwrap();
                race.started.wait_for_completion();
                spawn(&wq, &race, true, unbind_side).unwrap();
                &[b"devres_release_all"]
            }
            Winner::Unbind => {
                spawn(&wq, &race, false, unbind_side).unwrap();
                race.started.wait_for_completion();
                spawn(&wq, &race, true, drop_side).unwrap();
                &[b"Devres"]
            }
        };
        let mut waiting = false;
        // At most about 5 s: a loser that neither waits nor returns fails.
        for _ in 0..500 {
            if race.loser_returned.load(Ordering::Acquire) {
                break;
            }
            let loser = race.loser.lock();
            if let Some(t) = loser.as_ref() {
                if probe.sleeps_in(t, patterns) {
                    waiting = true;
                    break;
                }
            }
            drop(loser);
            fsleep(Delta::from_millis(10));
        }
        race.release.complete_all();
        // Waits for both sides.
        drop(wq);
        drop(bench);
        (
            waiting,
            race.done_at_winner_return.load(Ordering::Relaxed),
            race.done_at_loser_return.load(Ordering::Relaxed),
            race.drops.load(Ordering::Relaxed),
        )
    }

    /// `Devres::drop()` drops the object while the device is unbound: the
    /// unbind (its devres callback) waits until that drop has finished,
    /// so the object is gone when the unbind returns
    /// (a10639966fd7, "rust: devres: ensure revocation is complete before
    /// device finishes unbinding").
    #[test]
    fn unbind_waits_for_a_racing_devres_drop() {
        let (waiting, at_drop_return, at_unbind_return, drops) = race(Winner::Drop);
        assert!(at_unbind_return);
        assert!(at_drop_return);
        assert!(waiting);
        assert_eq!(drops, 1);
    }

    /// The unbind drops the object while the `Devres` is dropped: the
    /// `Devres`'s drop waits until the unbind's drop has finished, so the
    /// object is gone when it returns (acc516dfa197, "rust: devres: fix
    /// race between concurrent revokers").
    #[test]
    fn devres_drop_waits_for_a_racing_unbind() {
        let (waiting, at_unbind_return, at_drop_return, drops) = race(Winner::Unbind);
        assert!(at_drop_return);
        assert!(at_unbind_return);
        assert!(waiting);
        assert_eq!(drops, 1);
    }

    /// `Revocable::try_access()` reads whether the object is still there
    /// inside the RCU read-side section that its guard holds: read before
    /// `rcu_read_lock()`, it may see the object there, and a whole
    /// revocation (the flag, the grace period, the drop) pass before the
    /// section begins, which the reader then spends on a dropped object.
    /// That window is a few instructions, so instead of racing for it the
    /// case sets a data watchpoint on the flag (a `Revocable<()>` is only
    /// its flag) and compares the task's RCU nesting depth at
    /// `try_access()`'s read with the depth at a read of its own, outside
    /// any read-side section.
    #[test]
    fn revocable_try_access_reads_under_rcu() {
        let r = KBox::pin_init(Revocable::new(Ok::<(), Error>(())), GFP_KERNEL).unwrap();
        let flag = ptr::from_ref::<Revocable<()>>(&r).cast::<u8>();
        let (seen, counts) = match Watch::start::<Revocable<()>>(&r) {
            Ok(w) => {
                // SAFETY: `flag` points to the live revocable's flag (all
                // of it), initialised, which nobody writes meanwhile.
                let _ = unsafe { ptr::read_volatile(flag) };
                let seen = r.try_access().is_some();
                (seen, Ok(w.stop()))
            }
            Err(e) => (false, Err(e)),
        };
        r.revoke();
        let gone = r.try_access().is_none();
        let (hits, [outside, inside]) = counts.unwrap_or((-1, [-1, -1]));
        assert!(seen && gone);
        // The watchpoint saw both reads (it works here), and
        // `try_access()`'s was one level deeper in RCU.
        assert_eq!(hits, 2);
        assert_eq!(inside, outside + 1);
    }

    /// A reader inside `Revocable::try_access()` holds off `revoke()`:
    /// the object is still there while the reader is inside (it stays
    /// until the revoker sleeps in `synchronize_rcu()`, or the object is
    /// dropped under it), and dropped when `revoke()` returns.
    #[test]
    fn revocable_revoke_waits_for_a_reader_inside() {
        #[pin_data]
        struct Shared {
            #[pin]
            r: Revocable<Counted>,
            drops: Arc<AtomicUsize>,
            #[pin]
            inside: Completion,
            revoker: ARef<Task>,
            /// (dropped while the reader was inside, the revoker was seen
            /// in `synchronize_rcu()`).
            dropped_inside: AtomicBool,
            saw_revoker_wait: AtomicBool,
        }
        let drops = counter();
        let me: &Task = current!();
        let (object, shared) = (Counted(drops.clone()), drops.clone());
        let s = Arc::pin_init(
            pin_init!(Shared {
                r <- Revocable::new(Ok::<_, Error>(object)),
                drops: shared,
                inside <- Completion::new(),
                revoker: ARef::from(me),
                dropped_inside: AtomicBool::new(false),
                saw_revoker_wait: AtomicBool::new(false),
            }? Error),
            GFP_KERNEL,
        )
        .unwrap();
        let mut probe = StackProbe::new().unwrap();
        let s2 = s.clone();
        let wq = TestQueue::new().unwrap();
        wq.queue()
            .try_spawn(GFP_KERNEL, move || {
                let Some(g) = s2.r.try_access() else {
                    return;
                };
                s2.inside.complete_all();
                // Busy, at most about 1 s: no sleeping under RCU.
                for _ in 0..10000 {
                    if s2.drops.load(Ordering::Relaxed) != 0 {
                        s2.dropped_inside.store(true, Ordering::Relaxed);
                        break;
                    }
                    if probe.sleeps_in(&s2.revoker, &[b"synchronize_rcu"]) {
                        s2.saw_revoker_wait.store(true, Ordering::Relaxed);
                        break;
                    }
                    udelay(Delta::from_micros(100));
                }
                drop(g);
            })
            .unwrap();
        s.inside.wait_for_completion();
        let revoked = s.r.revoke();
        let at_revoke_return = drops.load(Ordering::Relaxed);
        // Waits for the reader.
        drop(wq);
        let again = (s.r.revoke(), s.r.try_access().is_none());
        let reader = (
            s.dropped_inside.load(Ordering::Relaxed),
            s.saw_revoker_wait.load(Ordering::Relaxed),
        );
        drop(s);
        assert_eq!((revoked, at_revoke_return), (true, 1));
        // Not dropped while the reader was inside; the reader saw the
        // revoker wait for it.
        assert_eq!(reader, (false, true));
        assert_eq!(again, (false, true));
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }
}
