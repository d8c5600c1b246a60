// SPDX-License-Identifier: GPL-2.0

//! The drvsim device object: its allocation and registration, its
//! reference count, its state flags, a PF's SR-IOV state and its register
//! regions. Adding and removing devices is `lifecycle.rs`'s.
//!
//! A device is a reference-counted `struct device` embedded in
//! [`DrvsimDevice`]; its memory is freed only by `release`, when the last
//! reference (sysfs, a driver, an open file, a lookup) is gone.

use crate::{
    abi::{
        Bus,
        DriverRaw, //
    },
    device_lock::{
        self,
        DeviceLock,
        LockClass, //
    },
    ids,
    legacy_override::LegacyOverride,
    names,
    parse::{
        Name,
        NewDevice, //
    },
    regions::{
        self,
        Region, //
    },
    sim_irq::SimIrq, //
};
use core::{
    mem::ManuallyDrop,
    ptr::{
        self,
        NonNull, //
    },
    sync::atomic::{
        AtomicBool,
        AtomicPtr,
        AtomicU32,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_int,
        c_void, //
    },
    new_mutex,
    prelude::*,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        Mutex, //
    },
    types::Opaque, //
};

/// A counted reference to a [`DrvsimDevice`], dropped with `put_device()`.
pub(crate) type DevRef = ARef<DrvsimDevice>;

/// What a new device is: the parsed `new_device` line, or a VF of a PF.
pub(crate) struct Spec {
    /// Device name.
    pub(crate) name: Name,
    /// Device type.
    pub(crate) type_: Name,
    /// Virtual functions it may spawn.
    pub(crate) totalvfs: u32,
    /// Simulated register regions.
    pub(crate) regions: u32,
    /// For a VF: its PF and its index.
    pub(crate) physfn: Option<(DevRef, u32)>,
    /// Whether drivers may match the device from its creation on, so that
    /// `device_add()`'s own probe binds it (`new_device`'s `early_probe`).
    pub(crate) early_probe: bool,
    /// The device whose line it takes (`new_device`'s `supplier`).
    pub(crate) supplier: Option<Name>,
    /// The bus it goes on (a VF: its PF's).
    pub(crate) bus: Bus,
}

impl Spec {
    /// The device a `new_device` line written to `bus` asks for.
    pub(crate) fn new(req: &NewDevice, bus: Bus) -> Self {
        Spec {
            name: req.name,
            type_: req.type_,
            totalvfs: req.totalvfs,
            regions: req.regions,
            physfn: None,
            early_probe: req.early_probe,
            supplier: req.supplier,
            bus,
        }
    }
}

/// A PF's SR-IOV state (unused on other devices); `sriov.rs` and
/// `lifecycle.rs` change it under the rescan/remove lock.
#[pin_data]
pub(crate) struct Sriov {
    /// The number of enabled VFs, 0 when SR-IOV is disabled.
    pub(crate) num_vfs: AtomicU32,
    /// Whether VFs may be probed (`sriov_drivers_autoprobe`).
    pub(crate) autoprobe: AtomicBool,
    /// The VFs. Changed under the rescan/remove lock; the mutex keeps the
    /// list itself sound even on the legacy design's unlocked paths.
    #[pin]
    pub(crate) vfs: Mutex<KVec<DevRef>>,
}

impl Sriov {
    /// SR-IOV disabled, autoprobe on.
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            num_vfs: AtomicU32::new(0),
            autoprobe: AtomicBool::new(true),
            vfs <- new_mutex!(KVec::new()),
        })
    }

    /// Calls `f` on every VF.
    pub(crate) fn for_each_vf(&self, mut f: impl FnMut(&DrvsimDevice)) {
        self.vfs.lock().iter().for_each(|vf| f(vf));
    }

    /// Whether VFs of this PF may be probed without a `driver_override`.
    pub(crate) fn autoprobe(&self) -> bool {
        self.autoprobe.load(Ordering::Acquire)
    }

    /// The number of enabled VFs.
    pub(crate) fn num_vfs(&self) -> u32 {
        self.num_vfs.load(Ordering::Acquire)
    }
}

/// A device on a drvsim bus (`drvsim` or `drvsim1`).
///
/// # Invariants
///
/// `dev` has been initialised with `device_initialize()`, its `bus` is one
/// of the drvsim buses and its `release` is [`DrvsimDevice::release`]; the memory was
/// allocated as a pinned `KBox<DrvsimDevice>` and is freed only by `release`.
#[repr(C)]
#[pin_data]
pub(crate) struct DrvsimDevice {
    dev: Opaque<bindings::device>,
    /// The name under `/sys/bus/drvsim/devices`.
    pub(crate) name: Name,
    /// The type drivers match on.
    pub(crate) type_: Name,
    /// Virtual functions this device may spawn (0: not a PF).
    pub(crate) totalvfs: u32,
    /// The simulated register regions (`regions.rs`).
    pub(crate) regions: KVVec<Region>,
    /// For a VF, its PF (a counted reference) and its index.
    pub(crate) physfn: Option<(DevRef, u32)>,
    /// Its simulated interrupt line (`sim_irq.rs`), created on first use.
    #[pin]
    pub(crate) irq: SimIrq,
    /// For a PF, its SR-IOV state.
    #[pin]
    pub(crate) sriov: Sriov,
    /// The device whose line its driver takes (`new_device`'s
    /// `supplier`, `lines.rs`).
    pub(crate) supplier: Option<Name>,
    /// Set once `device_add()` has returned (under the rescan/remove
    /// lock): until then the device is not anyone's to remove.
    added: AtomicBool,
    /// Set when removal starts (drvsim's claim: one remover per device);
    /// the driver core's own dead flag (`kill_device()`) follows.
    dead: AtomicBool,
    /// Set by a surprise removal: the hardware is gone before the driver
    /// is told.
    gone: AtomicBool,
    /// Whether drivers may match yet (PCI's `match_driver`): off while the
    /// device is being added, so that no probe runs under a bus lock;
    /// on from the start with `early_probe`.
    matchable: AtomicBool,
    /// Set when `device_del()` sends the device's `KOBJ_REMOVE` uevent:
    /// the driver core has killed the device by then, and must not probe
    /// it any more.
    deleted: AtomicBool,
    /// The task running this device's probe, if any.
    probing: AtomicPtr<bindings::task_struct>,
    /// The bus-private `driver_override` of `legacy_driver_override`.
    pub(crate) legacy_override: LegacyOverride,
    /// This device lock's own lockdep class, with `lockdep_device_class`.
    #[pin]
    lock_class: LockClass,
    /// Holds off module unload from before the device's creation until
    /// `release` has freed it; dropped last there (see `release`).
    hold: ManuallyDrop<names::Hold>,
}

// SAFETY: a device may be released from any task: `release` only frees
// memory and unregisters a lockdep key, which are not tied to a task.
unsafe impl Send for DrvsimDevice {}
// SAFETY: the driver core synchronises the embedded `struct device`
// itself; every other field is immutable after creation, atomic, or
// behind a mutex.
unsafe impl Sync for DrvsimDevice {}

// SAFETY: drvsim devices are always reference counted through their
// embedded `struct device`, whose `release` frees them.
unsafe impl AlwaysRefCounted for DrvsimDevice {
    fn inc_ref(&self) {
        // SAFETY: a shared reference means a non-zero refcount.
        unsafe { bindings::get_device(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up a reference it owns; the object is
        // live until then.
        unsafe { bindings::put_device(obj.as_ref().as_raw()) }
    }
}

impl DrvsimDevice {
    /// Creates and registers (`device_add()`) a device that no driver can
    /// match yet; [`DrvsimDevice::attach`] probes it. The caller has
    /// reserved the name (see `lifecycle::add_device()`).
    /// `hold` keeps module exit waiting for the device; it goes with it.
    pub(crate) fn create(spec: Spec, hold: names::Hold) -> Result<DevRef> {
        crate::abi::should_fail_alloc()?;
        let this = KBox::pin_init(
            try_pin_init!(DrvsimDevice {
                dev: Opaque::zeroed(),
                name: spec.name,
                type_: spec.type_,
                totalvfs: spec.totalvfs,
                regions: alloc_regions(spec.regions)?,
                physfn: spec.physfn,
                irq <- SimIrq::new(),
                sriov <- Sriov::new(),
                supplier: spec.supplier,
                added: AtomicBool::new(false),
                dead: AtomicBool::new(false),
                gone: AtomicBool::new(false),
                matchable: AtomicBool::new(spec.early_probe),
                deleted: AtomicBool::new(false),
                probing: AtomicPtr::new(ptr::null_mut()),
                legacy_override: LegacyOverride::new(),
                lock_class <- LockClass::new(),
                hold: ManuallyDrop::new(hold),
            }? Error),
            GFP_KERNEL,
        )?;
        // SAFETY: the allocation stays pinned: only `release` frees it,
        // and only after the reference `device_initialize()` takes below.
        let this: &DrvsimDevice = unsafe { &*KBox::into_raw(Pin::into_inner_unchecked(this)) };
        let dev = this.as_raw();
        // SAFETY: `dev` is zeroed, not yet initialised memory for a `struct
        // device`. From `device_initialize()` on, `put_device()` frees `this`
        // through `release`.
        // INVARIANT: initialised, on a drvsim bus, released by `release`.
        unsafe {
            bindings::device_initialize(dev);
            (*dev).bus = names::bus(spec.bus);
            (*dev).parent = names::root();
            (*dev).release = Some(Self::release);
        }
        if device_lock::per_device_class() {
            // SAFETY: `dev` is initialised and unlocked; the class lives in
            // the same allocation and is dropped by `release`, after the
            // last use of the lock.
            unsafe { this.lock_class.assign(this.as_dev()) };
        }
        // SAFETY: `dev` is initialised; the format takes one C string, the
        // NUL-terminated name that `this` owns.
        let named = to_result(unsafe {
            bindings::dev_set_name(dev, c"%s".as_char_ptr(), this.name.as_cstr().as_char_ptr())
        });
        // SAFETY: `dev` is initialised and named.
        let r = named.and_then(|()| to_result(unsafe { bindings::device_add(dev) }));
        if let Err(e) = r {
            // SAFETY: drops the reference from `device_initialize()`.
            unsafe { bindings::put_device(dev) };
            return Err(e);
        }
        // The reference from `device_initialize()` stays with the
        // registration, until `lifecycle::remove_locked()`.
        Ok(this.into())
    }

    extern "C" fn release(dev: *mut bindings::device) {
        // SAFETY: by the type invariant `dev` is the `dev` field of a
        // `DrvsimDevice`, so the container is in the same allocation.
        let this = unsafe {
            kernel::container_of!(dev.cast::<Opaque<bindings::device>>(), DrvsimDevice, dev)
        };
        // SAFETY: `this` came from `KBox::into_raw()` in `create()`, and
        // this is the last reference to it.
        let mut this = unsafe { KBox::from_raw(this) };
        // SAFETY: taken once, here; `this` is freed right after without
        // touching it again.
        let hold = unsafe { ManuallyDrop::take(&mut this.hold) };
        drop(this);
        // Last, so that as little of drvsim's code as possible runs after
        // module exit may have stopped waiting for this device.
        drop(hold);
    }

    /// The `DrvsimDevice` that embeds `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must be a device of a drvsim bus, alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(dev: *const bindings::device) -> &'a DrvsimDevice {
        let dev = dev.cast::<Opaque<bindings::device>>();
        // SAFETY: `dev` is the `dev` field of a `DrvsimDevice` alive for `'a`
        // (safety requirement).
        unsafe { &*kernel::container_of!(dev, DrvsimDevice, dev) }
    }

    /// The `DrvsimDevice` that embeds `dev`, or `None` if `dev` is NULL or
    /// a device of a bus that is not drvsim's: for pointers from outside `drvsim.ko`'s
    /// own callbacks (the exports to driver modules), which could be any
    /// device.
    ///
    /// # Safety
    ///
    /// `dev` must be NULL or a live device (of any bus), alive for `'a`.
    pub(crate) unsafe fn from_any<'a>(dev: *const bindings::device) -> Option<&'a DrvsimDevice> {
        // SAFETY: `dev` is a live device (safety requirement), whose `bus`
        // was set before anyone else could see it and never changes.
        if dev.is_null() || names::bus_of(unsafe { (*dev).bus }).is_none() {
            return None;
        }
        // SAFETY: only `create()` puts devices on the drvsim buses (their
        // `bus_type`s are not exported), so `dev` is a `DrvsimDevice`'s,
        // alive for `'a` (safety requirement).
        Some(unsafe { Self::from_raw(dev) })
    }

    /// The embedded `struct device`.
    pub(crate) fn as_raw(&self) -> *mut bindings::device {
        self.dev.get()
    }

    /// The embedded `struct device`, as the kernel's Rust type.
    pub(crate) fn as_dev(&self) -> &kernel::device::Device {
        // SAFETY: `dev` is an initialised device (type invariant) that lives
        // as long as `self`.
        unsafe { kernel::device::Device::from_raw(self.as_raw()) }
    }

    /// The bus the device is on.
    pub(crate) fn bus(&self) -> Bus {
        // SAFETY: `bus` was set in `create()`, before anyone else could see
        // the device, and never changes.
        let bus = unsafe { (*self.as_raw()).bus };
        // By the type invariant the device is on one of the drvsim buses.
        names::bus_of(bus).unwrap_or(Bus::Drvsim)
    }

    /// Looks up a device by name, or any device for `None`, on either bus
    /// (names are unique across both, see `names.rs`).
    pub(crate) fn find(name: Option<&CStr>) -> Option<DevRef> {
        type MatchFn = unsafe extern "C" fn(*mut bindings::device, *const c_void) -> c_int;
        let (data, m): (*const c_void, MatchFn) = match name {
            Some(n) => (n.as_char_ptr().cast(), bindings::device_match_name),
            None => (ptr::null(), bindings::device_match_any),
        };
        // A bus still inside `bus_register()` has no device list yet.
        Bus::ALL
            .into_iter()
            .filter(|&b| names::is_registered(b))
            .find_map(|bus| {
                // SAFETY: the bus is registered (and stays so while devices
                // exist); `data` is what `m` expects.
                let dev = unsafe {
                    bindings::bus_find_device(names::bus(bus), ptr::null_mut(), data, Some(m))
                };
                // SAFETY: every device on the bus is a drvsim device, and
                // `bus_find_device()` took a reference for us.
                NonNull::new(dev)
                    .map(|d| unsafe { ARef::from_raw(NonNull::from(Self::from_raw(d.as_ptr()))) })
            })
    }

    /// Calls `f` on every device on `bus`, in the bus's order, until it
    /// returns an error, which this returns.
    ///
    /// The driver core's iterator (`bus_for_each_dev()`) pins the device
    /// it stands on, with a reference: a device deleted meanwhile, the one
    /// `f` has or any other, neither ends the walk nor sends it back to the
    /// start of the list; the walk goes on after it and skips the devices
    /// deleted before it reaches them. (Looking up the next device after
    /// one that is off the list would start again from the head.)
    pub(crate) fn for_each<F: FnMut(&DrvsimDevice) -> Result>(bus: Bus, mut f: F) -> Result {
        /// Calls the `F` at `data` on `dev`, for `bus_for_each_dev()`.
        ///
        /// # Safety
        ///
        /// `data` must point to an `F` that nothing else uses during the
        /// call, and `dev` be a device of a drvsim bus, alive during it.
        unsafe extern "C" fn call<F: FnMut(&DrvsimDevice) -> Result>(
            dev: *mut bindings::device,
            data: *mut c_void,
        ) -> c_int {
            // SAFETY: `data` points to an `F` that only this call uses
            // (safety requirement).
            let f = unsafe { &mut *data.cast::<F>() };
            // SAFETY: a drvsim device, alive during the call (safety
            // requirement).
            let dev = unsafe { DrvsimDevice::from_raw(dev) };
            f(dev).map_or_else(|e| e.to_errno(), |()| 0)
        }
        // SAFETY: the bus is registered while devices exist; `data` points
        // to `f`, which outlives the walk and which only `call` uses
        // meanwhile; the iterator passes devices of this bus, pinned (and
        // so alive) while `call` runs.
        to_result(unsafe {
            bindings::bus_for_each_dev(
                names::bus(bus),
                ptr::null_mut(),
                (&raw mut f).cast(),
                Some(call::<F>),
            )
        })
    }

    /// Marks `device_add()` as done; called under the rescan/remove lock.
    pub(crate) fn set_added(&self) {
        self.added.store(true, Ordering::Release);
    }

    /// Whether `device_add()` is done.
    pub(crate) fn is_added(&self) -> bool {
        self.added.load(Ordering::Acquire)
    }

    /// Marks the device as being removed; `true` for the caller that
    /// marked it, `false` if removal had started already (one remover per
    /// device, even where the legacy design leaves the check unlocked).
    pub(crate) fn claim_removal(&self) -> bool {
        !self.dead.swap(true, Ordering::AcqRel)
    }

    /// Whether removal of the device has started.
    pub(crate) fn is_removing(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Whether drivers may match the device: added (or `early_probe`).
    ///
    /// A device being removed still matches: the driver core's dead flag
    /// (`kill_device()`, `lifecycle::remove_locked()`) is what refuses
    /// binders then, so the suite exercises the kernel's checks rather
    /// than a filter of drvsim's own (`Documentation/drvsim.rst`,
    /// "The kill_device() window").
    pub(crate) fn is_matchable(&self) -> bool {
        self.matchable.load(Ordering::Acquire)
    }

    /// Records that `device_del()` sent the device's `KOBJ_REMOVE` uevent.
    pub(crate) fn set_deleted(&self) {
        self.deleted.store(true, Ordering::Release);
    }

    /// Whether `device_del()` sent the device's `KOBJ_REMOVE` uevent.
    pub(crate) fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    /// Whether the device is still there (not surprise-removed).
    pub(crate) fn is_present(&self) -> bool {
        !self.gone.load(Ordering::Acquire)
    }

    /// Marks the device, and its VFs, as surprise-removed.
    pub(crate) fn set_gone(&self) {
        self.gone.store(true, Ordering::Release);
        // VFs have no VFs: no recursion, so no nesting of VF-list locks.
        self.sriov
            .for_each_vf(|vf| vf.gone.store(true, Ordering::Release));
    }

    /// Lets drivers match the device and probes it, as PCI's
    /// `pci_bus_add_device()` does. Called with no bus lock held, so that a
    /// probe that blocks holds only its own device lock.
    pub(crate) fn attach(&self) {
        self.matchable.store(true, Ordering::Release);
        self.probe_now();
    }

    /// Probes the device again if drivers may match it (`rescan`).
    pub(crate) fn reprobe(&self) {
        if self.is_matchable() {
            self.probe_now();
        }
    }

    fn probe_now(&self) {
        // SAFETY: `self` is alive; a device being removed meanwhile is
        // refused by the driver core (`kill_device()` marked it dead). A
        // failed probe leaves the device unbound, which is not an error of
        // the caller's.
        let _ = unsafe { bindings::device_attach(self.as_raw()) };
    }

    /// Whether a driver is bound; a snapshot, unless the device lock is
    /// held.
    pub(crate) fn is_bound(&self) -> bool {
        // SAFETY: `dev` is live; the driver core writes `driver` with
        // `WRITE_ONCE()`, and this is the matching `READ_ONCE()`.
        !unsafe { ptr::read_volatile(&raw const (*self.as_raw()).driver) }.is_null()
    }

    /// Records that `task` runs (or, with NULL, no longer runs) this
    /// device's probe.
    pub(crate) fn set_probing(&self, task: *mut bindings::task_struct) {
        self.probing.store(task, Ordering::Release);
    }

    /// Whether `task` is running this device's probe.
    pub(crate) fn in_probe_of(&self, task: *mut bindings::task_struct) -> bool {
        self.probing.load(Ordering::Acquire) == task
    }

    /// Region `index`: `EINVAL` if there is none, `ENXIO` once the device
    /// was surprise-removed.
    pub(crate) fn region(&self, index: u32) -> Result<&Region> {
        if !self.is_present() {
            return Err(ENXIO);
        }
        self.regions.get(index as usize).ok_or(EINVAL)
    }

    /// Takes the device lock.
    pub(crate) fn lock(&self) -> LockedDevice<'_> {
        // INVARIANT: the lock taken is `self`'s.
        LockedDevice {
            dev: self,
            _lock: DeviceLock::new(self.as_dev()),
        }
    }
}

/// A drvsim device whose lock is held; not `Send`, as the [`DeviceLock`]
/// it holds.
///
/// # Invariants
///
/// `_lock` holds the lock of `dev`.
pub(crate) struct LockedDevice<'a> {
    dev: &'a DrvsimDevice,
    _lock: DeviceLock<'a>,
}

// `LockedDevice` must not be `Send` (the device lock is unlocked by the
// task that took it). Rust cannot bound on `!Send`, so this names a method
// of a trait that every type has once and every `Send` type twice: the
// name is ambiguous, and the build fails, if `LockedDevice` is `Send`.
const _: fn() = || {
    trait AmbiguousIfSend<A> {
        fn check() {}
    }
    impl<T: ?Sized> AmbiguousIfSend<()> for T {}
    impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}
    <LockedDevice<'static> as AmbiguousIfSend<_>>::check();
};

impl LockedDevice<'_> {
    /// The driver bound to the device, stable while the lock is held.
    pub(crate) fn driver(&self) -> Option<&DriverRaw> {
        // SAFETY: the device lock is held, so `driver` does not change.
        let drv = unsafe { (*self.dev.as_raw()).driver };
        // SAFETY: the driver of a drvsim device is a drvsim driver, and it
        // stays registered while it is bound and the device lock is held.
        (!drv.is_null()).then(|| unsafe { ids::to_driver(drv) })
    }
}

/// The memory of `n` register regions (none for 0), a fault-injection
/// point when there is something to allocate.
fn alloc_regions(n: u32) -> Result<KVVec<Region>> {
    if n > 0 {
        crate::abi::should_fail_alloc()?;
    }
    regions::alloc(n)
}
