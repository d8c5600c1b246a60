// SPDX-License-Identifier: GPL-2.0

//! Driver registrations: the state the bus keeps for each one, its dynamic
//! ids (`new_id`, `remove_id`), and pinning a driver against
//! unregistration.
//!
//! Background: `shared/seeds/get-driver-lifetime.txt`. A driver's lifetime
//! is its registration, not a refcount: nothing may call into a driver once
//! its unregistration has returned, and a pointer to a driver says nothing
//! about whether it is registered (usb-serial's `new_id` crashed on a
//! `usb_driver` that was not registered yet). So:
//!
//! - every registration has a [`DriverState`], owned by `drvsim.ko` and
//!   reached through `DriverRaw::bus_private`, holding its dynamic ids and
//!   its [`State`];
//! - a path that acts on a driver it found by pointer looks it up with
//!   [`DriverPin::published`], which returns nothing unless the driver is
//!   registered and otherwise pins it until the [`DriverPin`] is dropped;
//!   unregistration marks the registration dead (nothing matches, finds or
//!   pins it any more), waits for the pins, and only then calls
//!   `driver_unregister()`;
//! - the dynamic ids belong to the registration and are freed with it,
//!   whether it ends by unregistration or by a failure half-way through
//!   [`register`], after `new_id` was created and written.
//!
//! `legacy_get_driver=1` restores the design the seed describes: lookups
//! trust the pointer and pin nothing, match accepts dying drivers, and
//! unregistration waits for nobody. `legacy_dynid_leak=1` restores its
//! leak: a registration that fails keeps the ids written meanwhile.

use crate::{
    abi::{
        DriverRaw,
        DriverSlot, //
    },
    ids,
    parse::{
        self,
        Name, //
    },
    pause::{
        self,
        Point, //
    },
    sysfs::{
        self,
        Static, //
    }, //
};
use core::{
    ptr,
    sync::atomic::{
        AtomicPtr,
        AtomicU32,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_char,
        c_void, //
    },
    new_condvar,
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow,
        CondVar,
        Mutex, //
    }, //
};

/// Whether `legacy_get_driver` restores the broken design.
fn legacy() -> bool {
    crate::module_parameters::legacy_get_driver.value()
}

/// Where a registration is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// [`register`] is running. The driver core may already match and
    /// probe the driver (`driver_register()` binds the devices it finds),
    /// but lookups do not find it: it is not registered yet.
    Registering,
    /// Registered: lookups find and pin it.
    Registered,
    /// Being unregistered, or its registration failed: nothing matches,
    /// finds or pins it any more.
    Dead,
}

/// The dynamic ids of a driver, as `new_id` added them.
pub(crate) struct DynIds(KVec<Name>);

impl DynIds {
    /// No ids.
    const fn new() -> Self {
        Self(KVec::new())
    }

    /// Whether `type_` is one of the ids.
    fn contains(&self, type_: &[u8]) -> bool {
        self.0.iter().any(|t| t.as_bytes() == type_)
    }

    /// Adds `type_`: `EEXIST` if it is already there or `in_table` (the
    /// driver's static table has it), as PCI's `new_id`.
    fn add(&mut self, type_: Name, in_table: bool) -> Result {
        if in_table || self.contains(type_.as_bytes()) {
            return Err(EEXIST);
        }
        crate::abi::should_fail_alloc()?;
        self.0.push(type_, GFP_KERNEL)?;
        Ok(())
    }

    /// Removes `type_`: `ENODEV` if it is not there, as PCI's `remove_id`.
    fn remove(&mut self, type_: Name) -> Result {
        let before = self.0.len();
        self.0.retain(|t| *t != type_);
        if self.0.len() == before {
            Err(ENODEV)
        } else {
            Ok(())
        }
    }
}

/// The part of a [`DriverState`] its mutex protects.
struct Inner {
    state: State,
    /// How many [`DriverPin`]s count on this registration.
    pins: usize,
    ids: DynIds,
}

/// What the bus keeps for one registration of a driver.
///
/// # Invariants
///
/// `drv` is the driver this state was created for by [`register`]; from
/// then until [`teardown`] returns, `drv`'s `bus_private` holds a
/// reference (from [`Arc::into_raw`]) to this state. `drv` is only
/// dereferenced while the registration is alive (the caller is inside a
/// registration step, the driver core passed `drv` in, or a pin is held).
#[pin_data]
pub(crate) struct DriverState {
    drv: *mut DriverRaw,
    /// Where the driver publishes itself (its `slot`), or NULL: how lookups
    /// find this registration.
    published_in: *const DriverSlot,
    #[pin]
    inner: Mutex<Inner>,
    /// Signalled when the last pin goes.
    #[pin]
    unpinned: CondVar,
}

// SAFETY: `drv` is only a way into the driver core, which
// does its own locking; everything else is behind the mutex. So the state
// may move to another task.
unsafe impl Send for DriverState {}
// SAFETY: shared references only read `drv` and `published_in`, which never
// change, and
// reach the rest through the mutex and the condition variable.
unsafe impl Sync for DriverState {}

impl DriverState {
    fn new(drv: *mut DriverRaw, published_in: *const DriverSlot) -> impl PinInit<Self> {
        pin_init!(Self {
            drv,
            published_in,
            inner <- new_mutex!(Inner { state: State::Registering, pins: 0, ids: DynIds::new() }),
            unpinned <- new_condvar!(),
        })
    }

    /// The registration of `drv`.
    ///
    /// # Safety
    ///
    /// `drv` must be registered, or inside a registration step, for `'a`: a
    /// driver the driver core passed in, or whose `new_id`/`remove_id` is
    /// being written.
    unsafe fn of<'a>(drv: &DriverRaw) -> ArcBorrow<'a, Self> {
        let st = drv.bus_private.load(Ordering::Acquire).cast::<Self>();
        // SAFETY: per the safety requirement, `bus_private` holds the
        // reference `register()` stored there, and keeps it until after
        // the driver core and our attributes are done with the driver.
        unsafe { ArcBorrow::from_raw(st) }
    }

    /// The driver of this registration.
    ///
    /// # Safety
    ///
    /// The registration must not end while the result is borrowed (the
    /// caller is inside a registration step, or holds a pin).
    unsafe fn driver(&self) -> &DriverRaw {
        // SAFETY: by the type invariant `drv` is valid while the
        // registration lasts, which the caller guarantees.
        unsafe { &*self.drv }
    }

    /// Pins the registration if it is registered.
    #[must_use]
    fn pin(self: ArcBorrow<'_, Self>) -> Option<DriverPin> {
        let mut inner = self.inner.lock();
        if inner.state != State::Registered {
            return None;
        }
        inner.pins += 1;
        // INVARIANT: counted above, while registered.
        Some(DriverPin {
            st: self.into(),
            counted: true,
        })
    }

    /// Marks the registration dead and waits until nothing pins it
    /// (`legacy_get_driver`: does not wait).
    fn kill(&self) {
        let mut inner = self.inner.lock();
        inner.state = State::Dead;
        if legacy() {
            return;
        }
        while inner.pins > 0 {
            self.unpinned.wait(&mut inner);
        }
    }

    /// Adds a dynamic id through this driver's own `new_id`: pins it and
    /// returns the pin to attach with if it is registered; returns `None`
    /// while it is still registering (the last step of [`register`]
    /// attaches then); `ENODEV` if it is dead.
    fn add_own_id(self: ArcBorrow<'_, Self>, type_: Name) -> Result<Option<DriverPin>> {
        // SAFETY: our caller is the driver's `new_id`, so it is alive.
        let in_table = ids::in_id_table(unsafe { self.driver() }, type_.as_bytes());
        let mut inner = self.inner.lock();
        if legacy() {
            inner.ids.add(type_, in_table)?;
            return Ok(Some(DriverPin {
                st: self.into(),
                counted: false,
            }));
        }
        match inner.state {
            State::Dead => Err(ENODEV),
            State::Registering => inner.ids.add(type_, in_table).map(|()| None),
            State::Registered => {
                inner.ids.add(type_, in_table)?;
                inner.pins += 1;
                // INVARIANT: counted above, while registered.
                Ok(Some(DriverPin {
                    st: self.into(),
                    counted: true,
                }))
            }
        }
    }

    /// Removes a dynamic id: `ENODEV` if it is not there, or (through the
    /// driver's own `remove_id`) if the registration is dead.
    fn remove_id(&self, type_: Name) -> Result {
        let mut inner = self.inner.lock();
        if inner.state == State::Dead && !legacy() {
            return Err(ENODEV);
        }
        inner.ids.remove(type_)
    }
}

/// A driver pinned against unregistration: until this is dropped,
/// `drvsim_driver_unregister()` waits, so whatever the holder does with
/// the driver (attach it, probe with it) happens while it is registered.
///
/// # Invariants
///
/// If `counted`, this pin is included in `st`'s pin count, which was taken
/// while `st` was registered. (Not `counted` only with `legacy_get_driver`:
/// then it is a bare reference, as `get_driver()` was.)
#[must_use = "the driver is unpinned as soon as the pin is dropped"]
pub(crate) struct DriverPin {
    st: Arc<DriverState>,
    counted: bool,
}

impl DriverPin {
    /// Looks up the driver published in `slot` and pins it: `None` unless
    /// one is registered, that is for an empty slot, a driver whose
    /// registration has not finished, and one being or already
    /// unregistered. Registrations are found by their slot, never by the
    /// driver's address, which a later registration may reuse.
    #[must_use = "a lookup that is not checked is get_driver()'s bug"]
    pub(crate) fn published(slot: &DriverSlot) -> Option<Self> {
        if legacy() {
            let drv = slot.0.load(Ordering::Acquire);
            // SAFETY: none, on purpose: this is `get_driver()` before the
            // seed's fix, which took a reference on whatever `drv` pointed
            // to. A driver that is not registered has no state: NULL
            // `bus_private`, and the lookup crashes, as usb-serial's did.
            let st = unsafe {
                ArcBorrow::from_raw(
                    (*drv)
                        .bus_private
                        .load(Ordering::Acquire)
                        .cast::<DriverState>(),
                )
            };
            return Some(Self {
                st: st.into(),
                counted: false,
            });
        }
        let registry = REGISTRY.lock();
        let st = registry.iter().find(|s| ptr::eq(s.published_in, slot))?;
        st.as_arc_borrow().pin()
    }

    /// The pinned driver.
    fn driver(&self) -> &DriverRaw {
        // SAFETY: the driver is pinned, so registered (type invariant)
        // while `self` is borrowed.
        unsafe { self.st.driver() }
    }

    /// Binds every device the pinned driver matches (`driver_attach()`).
    pub(crate) fn attach(&self) -> Result {
        // SAFETY: the driver is pinned, so registered.
        to_result(unsafe { bindings::driver_attach(self.driver().as_raw()) })
    }
}

impl Drop for DriverPin {
    fn drop(&mut self) {
        if self.counted {
            let mut inner = self.st.inner.lock();
            inner.pins -= 1;
            if inner.pins == 0 {
                self.st.unpinned.notify_all();
            }
        }
    }
}

kernel::sync::global_lock! {
    // SAFETY: initialised by `init()` from module init, before any driver
    // can register.
    /// Every registration that has not ended: what lookups search.
    unsafe(uninit) static REGISTRY: Mutex<KVec<Arc<DriverState>>> = KVec::new();
}

/// How `type_` matches the registration of `drv`: `None` if the
/// registration is dead (a driver being unregistered matches nothing),
/// else whether `type_` is one of its dynamic ids.
///
/// # Safety
///
/// `drv` must be a driver the driver core passed to match or probe.
pub(crate) unsafe fn dyn_match(drv: &DriverRaw, type_: &[u8]) -> Option<bool> {
    // SAFETY: the driver core passes only drivers between `driver_register()`
    // and the return of `driver_unregister()`, inside the registration.
    let st = unsafe { DriverState::of(drv) };
    let inner = st.inner.lock();
    (inner.state != State::Dead || legacy()).then(|| inner.ids.contains(type_))
}

/// The steps of [`register`], in order; `fail_register_step` names one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Step {
    /// The [`DriverState`] is allocated and in the registry.
    State = 1,
    /// `driver_register()`: the driver's directory, `bind`/`unbind`, its
    /// own attribute groups; existing devices are matched and probed.
    DriverRegister = 2,
    /// `new_id` exists (from here on a write may add ids).
    NewId = 3,
    /// `remove_id` exists.
    RemoveId = 4,
    /// Registered; the ids written meanwhile are attached.
    Live = 5,
}

const STEPS: [Step; 5] = [
    Step::State,
    Step::DriverRegister,
    Step::NewId,
    Step::RemoveId,
    Step::Live,
];

/// `fail_register_step` (debugfs): 0, or the step after which every
/// registration fails with `ENOMEM`.
static FAIL_STEP: AtomicU32 = AtomicU32::new(0);
/// `fail_register_wait_ms` (debugfs): how long an injected failure after
/// `new_id` exists waits for a write to it first.
static FAIL_WAIT_MS: AtomicU32 = AtomicU32::new(0);
/// `/sys/kernel/debug/drvsim`.
static DEBUGFS: AtomicPtr<bindings::dentry> = AtomicPtr::new(ptr::null_mut());

/// The injected failure after `step`, if `fail_register_step` names it.
/// Once `new_id` exists it first waits up to `fail_register_wait_ms` for a
/// dynamic id to be written, so that a test can write one.
fn injected(step: Step, st: &DriverState) -> Result {
    if FAIL_STEP.load(Ordering::Relaxed) != step as u32 {
        return Ok(());
    }
    let mut left = if step >= Step::NewId {
        FAIL_WAIT_MS.load(Ordering::Relaxed)
    } else {
        0
    };
    while left > 0 && st.inner.lock().ids.0.is_empty() {
        // SAFETY: process context (module init).
        unsafe { bindings::msleep(10) };
        left = left.saturating_sub(10);
    }
    Err(ENOMEM)
}

// `parse::NAME_MAX` bounds types as well as names: a type that `new_id`
// takes also fits a static id table's entry, NUL included.
const _: () = assert!(parse::NAME_MAX < crate::abi::TYPE_LEN);

static DRV_ATTR_NEW_ID: Static<bindings::driver_attribute> =
    Static::new(sysfs::drv_attr(c"new_id", None, Some(new_id_store)));
static DRV_ATTR_REMOVE_ID: Static<bindings::driver_attribute> =
    Static::new(sysfs::drv_attr(c"remove_id", None, Some(remove_id_store)));

impl DriverState {
    /// Does the work of `step`.
    ///
    /// # Safety
    ///
    /// `self.drv` is being registered by [`register`], which runs the
    /// steps in order, once each.
    unsafe fn run(&self, step: Step) -> Result {
        // SAFETY: the registration is under way (safety requirement), so
        // the driver is valid.
        let drv = unsafe { self.driver() }.as_raw();
        match step {
            Step::State => Ok(()),
            // SAFETY: `drv` is valid, pinned and ready for the driver core.
            Step::DriverRegister => to_result(unsafe { bindings::driver_register(drv) }),
            Step::NewId => {
                // SAFETY: `drv` is registered with the driver core (previous
                // step); the attribute is static.
                to_result(unsafe { bindings::driver_create_file(drv, DRV_ATTR_NEW_ID.get()) })
            }
            Step::RemoveId => {
                // SAFETY: `drv` is registered with the driver core (step
                // `DriverRegister`); the attribute is static.
                to_result(unsafe { bindings::driver_create_file(drv, DRV_ATTR_REMOVE_ID.get()) })
            }
            Step::Live => {
                let written = {
                    let mut inner = self.inner.lock();
                    inner.state = State::Registered;
                    !inner.ids.0.is_empty()
                };
                // The ids written while registering: their attach attempt.
                // No pin needed: only our caller can end the registration.
                if written {
                    // SAFETY: `drv` is registered with the driver core.
                    to_result(unsafe { bindings::driver_attach(drv) })?;
                }
                Ok(())
            }
        }
    }
}

/// Registers `drv` in [`STEPS`]; on a failure at any step undoes the ones
/// done, including the ids written meanwhile.
///
/// # Safety
///
/// `drv` must be ready for `driver_register()`, stay valid and pinned
/// until [`unregister`] (or until this fails), and have NULL `bus_private`.
pub(crate) unsafe fn register(drv: &DriverRaw) -> Result {
    let st = Arc::pin_init(
        DriverState::new(ptr::from_ref(drv).cast_mut(), drv.slot),
        GFP_KERNEL,
    )?;
    REGISTRY.lock().push(st.clone(), GFP_KERNEL)?;
    // INVARIANT: `bus_private` holds a reference until `teardown()`.
    let own = Arc::into_raw(st.clone()).cast_mut().cast::<c_void>();
    drv.bus_private.store(own, Ordering::Release);
    let mut done = None;
    for step in STEPS {
        // SAFETY: the steps run in order, once each, on a valid `drv`.
        let r = unsafe { st.run(step) }.and_then(|()| {
            done = Some(step);
            injected(step, &st)
        });
        if let Err(e) = r {
            // SAFETY: `drv` and `st` are registered up to `done`.
            unsafe { teardown(&st, done) };
            if crate::module_parameters::legacy_dynid_leak.value() {
                // The broken design: ids are freed by unregistration, and
                // a registration that failed is never unregistered.
                core::mem::forget(core::mem::replace(&mut st.inner.lock().ids, DynIds::new()));
            }
            // SAFETY: the name is a C string that outlives the driver, and
            // the driver core no longer changes `driver`.
            let name = unsafe { CStr::from_char_ptr((*drv.as_raw()).name) };
            let (name, step) = (name.to_str().unwrap_or("?"), done.map_or(0, |s| s as u32));
            pr_warn!("registering driver {name} failed after step {step} of 5: {e:?}\n");
            return Err(e);
        }
    }
    Ok(())
}

/// Unregisters a driver [`register`] registered: no lookup finds it and
/// nothing matches it from the start; returns once nothing pins it and the
/// driver core is done with it.
///
/// # Safety
///
/// `drv` must have been registered by [`register`] and not unregistered.
pub(crate) unsafe fn unregister(drv: &DriverRaw) {
    // SAFETY: `drv` is registered (safety requirement), so `bus_private`
    // holds its state until `teardown()` below.
    let st: Arc<DriverState> = unsafe { DriverState::of(drv) }.into();
    // SAFETY: every step was done.
    unsafe { teardown(&st, Some(Step::Live)) };
}

/// Ends the registration of `st`, whose steps up to `done` are done.
///
/// # Safety
///
/// `st` must have been set up by [`register`] up to `done`, and not torn
/// down yet.
unsafe fn teardown(st: &Arc<DriverState>, done: Option<Step>) {
    st.kill();
    pause::at(Point::Unregister);
    // SAFETY: the driver stays valid until this returns (safety
    // requirement of `register()`).
    let drv = unsafe { st.driver() };
    // The attributes go before the driver (kernfs waits for writers still
    // inside them).
    if done >= Some(Step::RemoveId) {
        // SAFETY: created by step `RemoveId`, which was done.
        unsafe { bindings::driver_remove_file(drv.as_raw(), DRV_ATTR_REMOVE_ID.get()) };
    }
    if done >= Some(Step::NewId) {
        // SAFETY: created by step `NewId`, which was done.
        unsafe { bindings::driver_remove_file(drv.as_raw(), DRV_ATTR_NEW_ID.get()) };
    }
    if done >= Some(Step::DriverRegister) {
        // SAFETY: registered by step `DriverRegister`, which was done.
        unsafe { bindings::driver_unregister(drv.as_raw()) };
    }
    REGISTRY.lock().retain(|s| !Arc::ptr_eq(s, st));
    // The driver core and our attributes are done with `drv`, so nothing
    // reads `bus_private` any more (but a legacy lookup, which is the bug).
    let own = drv.bus_private.swap(ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: `own` is the reference `register()` stored there.
    drop(unsafe { Arc::from_raw(own.cast::<DriverState>()) });
}

/// The driver a `new_id`/`remove_id` write of `drv`'s acts on: the
/// companion `drv` names, pinned, or `None` for `drv` itself.
fn target(drv: &DriverRaw) -> Result<Option<DriverPin>> {
    // SAFETY: NULL, or a static of a module that `drv`'s module depends on
    // (or is), so loaded while one of `drv`'s attributes is written.
    let Some(companion) = (unsafe { drv.companion.as_ref() }) else {
        return Ok(None);
    };
    // The companion may not be registered yet (usb-serial's crash), or
    // any more: the lookup checks, and pins it.
    DriverPin::published(companion).map(Some).ok_or(ENODEV)
}

/// `new_id`: `<type>`; adds a dynamic id to `drv` (or its companion) and
/// binds the unbound devices it now matches.
fn new_id(drv: &DriverRaw, input: &[u8]) -> Result {
    let type_ = Name::parse(parse::chomp(input))?;
    let pin = match target(drv)? {
        Some(pin) => {
            let in_table = ids::in_id_table(pin.driver(), type_.as_bytes());
            pin.st.inner.lock().ids.add(type_, in_table)?;
            Some(pin)
        }
        // SAFETY: `drv`'s attribute is being written, so its registration
        // lasts until we return.
        None => unsafe { DriverState::of(drv) }.add_own_id(type_)?,
    };
    pin.map_or(Ok(()), |p| p.attach())
}

/// `remove_id`: `<type>`; removes a dynamic id; bound devices stay bound.
fn remove_id(drv: &DriverRaw, input: &[u8]) -> Result {
    let type_ = Name::parse(parse::chomp(input))?;
    match target(drv)? {
        Some(pin) => pin.st.remove_id(type_),
        // SAFETY: `drv`'s attribute is being written, so its registration
        // lasts until we return.
        None => unsafe { DriverState::of(drv) }.remove_id(type_),
    }
}

extern "C" fn new_id_store(
    drv: *mut bindings::device_driver,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs calls this for a drvsim driver whose attribute exists,
    // so it is registered during the call; it passes the input it received.
    let (drv, input) = unsafe { (ids::to_driver(drv), sysfs::input(buf, count)) };
    sysfs::store_result(new_id(drv, input), count)
}

extern "C" fn remove_id_store(
    drv: *mut bindings::device_driver,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs calls this for a drvsim driver whose attribute exists,
    // so it is registered during the call; it passes the input it received.
    let (drv, input) = unsafe { (ids::to_driver(drv), sysfs::input(buf, count)) };
    sysfs::store_result(remove_id(drv, input), count)
}

// Only a pointer to `struct dentry` crosses; bindgen's zero-sized
// `its_array` inside it trips the lint although no such value is passed.
#[expect(improper_ctypes, reason = "only a pointer to `struct dentry` crosses")]
extern "C" {
    fn drvsim_widen_debugfs(dir: *mut bindings::dentry);
    fn drvsim_widen_exit();
}

/// Sets up the registry and the fault-injection knobs, and the
/// `override_widen_ms` window of `exports.c`; from module init.
pub(crate) fn init() {
    // SAFETY: called once, from module init, before any driver registers.
    unsafe { REGISTRY.init() };
    FAIL_STEP.store(0, Ordering::Relaxed);
    FAIL_WAIT_MS.store(0, Ordering::Relaxed);
    // SAFETY: static names; the files point at statics that outlive them
    // (removed in `exit()`). An error pointer (no debugfs) is accepted by
    // the file functions and by `debugfs_remove()`.
    unsafe {
        let dir = bindings::debugfs_create_dir(c"drvsim".as_char_ptr(), ptr::null_mut());
        bindings::debugfs_create_u32(
            c"fail_register_step".as_char_ptr(),
            0o600,
            dir,
            FAIL_STEP.as_ptr(),
        );
        bindings::debugfs_create_u32(
            c"fail_register_wait_ms".as_char_ptr(),
            0o600,
            dir,
            FAIL_WAIT_MS.as_ptr(),
        );
        drvsim_widen_debugfs(dir);
        DEBUGFS.store(dir, Ordering::Release);
    }
}

/// drvsim's debugfs directory, `/sys/kernel/debug/drvsim` (NULL or an
/// error pointer without debugfs), for the other knobs.
pub(crate) fn debugfs_dir() -> *mut bindings::dentry {
    DEBUGFS.load(Ordering::Acquire)
}

/// Removes the knobs and frees the registry; at module exit, when every
/// driver is gone (their modules depend on this one).
pub(crate) fn exit() {
    // SAFETY: created in `init()`.
    unsafe { bindings::debugfs_remove(DEBUGFS.swap(ptr::null_mut(), Ordering::AcqRel)) };
    // SAFETY: once, at module exit, after the files that register the
    // kprobe are gone: unregisters it before the module's text goes.
    unsafe { drvsim_widen_exit() };
    // A global outlives the module's data: free the buffer (kmemleak).
    *REGISTRY.lock() = KVec::new();
}

#[kunit_tests(drvsim_registration)]
mod tests {
    use super::*;

    fn name(s: &[u8]) -> Name {
        Name::parse(s).unwrap()
    }

    #[test]
    fn dynamic_ids_add_and_remove() {
        let mut ids = DynIds::new();
        assert_eq!(ids.add(name(b"a"), false), Ok(()));
        assert_eq!(ids.add(name(b"a"), false), Err(EEXIST));
        assert_eq!(ids.add(name(b"b"), true), Err(EEXIST));
        assert!(ids.contains(b"a") && !ids.contains(b"b"));
        assert_eq!(ids.remove(name(b"c")), Err(ENODEV));
        assert_eq!(ids.remove(name(b"a")), Ok(()));
        assert_eq!(ids.remove(name(b"a")), Err(ENODEV));
        assert!(!ids.contains(b"a"));
    }

    #[test]
    fn only_registered_drivers_are_found_and_pinned() {
        // The legacy design dereferences what it is given: skip.
        if legacy() {
            return;
        }
        let slot = DriverSlot(AtomicPtr::new(ptr::null_mut()));
        let mut fake = DriverRaw::default();
        let drv = &raw mut fake;
        assert!(DriverPin::published(&slot).is_none());
        let st = Arc::pin_init(DriverState::new(drv, &raw const slot), GFP_KERNEL).unwrap();
        REGISTRY.lock().push(st.clone(), GFP_KERNEL).unwrap();
        // Still registering: not found.
        assert!(DriverPin::published(&slot).is_none());
        st.inner.lock().state = State::Registered;
        let pin = DriverPin::published(&slot);
        assert!(pin.is_some());
        assert_eq!(st.inner.lock().pins, 1);
        drop(pin);
        assert_eq!(st.inner.lock().pins, 0);
        // Another slot, though the same driver address: not found.
        let other = DriverSlot(AtomicPtr::new(drv));
        assert!(DriverPin::published(&other).is_none());
        st.kill();
        // No longer registered: not found.
        assert!(DriverPin::published(&slot).is_none());
        REGISTRY.lock().retain(|s| !Arc::ptr_eq(s, &st));
    }
}
