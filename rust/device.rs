// SPDX-License-Identifier: GPL-2.0

//! drvsim devices: creation, lookup, removal, and their sysfs attributes.
//!
//! A device is a reference-counted `struct device` embedded in
//! [`DrvsimDevice`]; its memory is freed only by `release`, when the last
//! reference (sysfs, a driver, an open file, a lookup) is gone.

use crate::{
    bus, device_lock,
    parse::{self, Name, NewDevice},
    regions::{self, Region},
    rescan_remove,
    sriov::{self, Sriov},
    sysfs::{self, Static},
};
use core::{
    ops::Deref,
    pin::Pin,
    ptr::{self, NonNull},
    sync::atomic::{AtomicBool, AtomicPtr, Ordering},
};
use kernel::{bindings, error::to_result, ffi::c_char, prelude::*, types::Opaque};

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
}

impl From<&NewDevice> for Spec {
    fn from(req: &NewDevice) -> Self {
        Spec { name: req.name, type_: req.type_, totalvfs: req.totalvfs, regions: req.regions, physfn: None }
    }
}

/// A device on the `drvsim` bus.
///
/// # Invariants
///
/// `dev` has been initialised with `device_initialize()`, its `bus` is the
/// drvsim bus and its `release` is [`DrvsimDevice::release`]; the memory was
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
    /// Number of simulated register regions.
    pub(crate) regions: u32,
    /// The simulated register regions (`regions.rs`).
    pub(crate) region_mem: KVec<Region>,
    /// For a VF, its PF (a counted reference) and its index.
    pub(crate) physfn: Option<(DevRef, u32)>,
    /// For a PF, its SR-IOV state.
    #[pin]
    pub(crate) sriov: Sriov,
    /// Set once `device_add()` has returned (under the rescan/remove
    /// lock): until then the device is not anyone's to remove.
    added: AtomicBool,
    /// Set when removal starts; a dead device matches no driver.
    dead: AtomicBool,
    /// Set by a surprise removal: the hardware is gone before the driver
    /// is told.
    gone: AtomicBool,
    /// Whether drivers may match yet (PCI's `match_driver`): off while the
    /// device is being added, so that no probe runs under a bus lock.
    matchable: AtomicBool,
    /// The task running this device's probe, if any.
    probing: AtomicPtr<bindings::task_struct>,
    /// This device lock's own lockdep class, with `lockdep_device_class`.
    lock_key: Opaque<bindings::lock_class_key>,
    /// Whether `lock_key` is registered.
    has_lock_key: bool,
}

impl DrvsimDevice {
    /// Creates and registers (`device_add()`) a device that no driver can
    /// match yet; [`DrvsimDevice::attach`] probes it. The caller has
    /// reserved the name (see `bus::add_device()`).
    pub(crate) fn create(spec: Spec) -> Result<DevRef> {
        crate::abi::should_fail_alloc()?;
        let this = KBox::pin_init(
            try_pin_init!(DrvsimDevice {
                dev: Opaque::zeroed(),
                name: spec.name,
                type_: spec.type_,
                totalvfs: spec.totalvfs,
                regions: spec.regions,
                region_mem: alloc_regions(spec.regions)?,
                physfn: spec.physfn,
                sriov <- Sriov::new(),
                added: AtomicBool::new(false),
                dead: AtomicBool::new(false),
                gone: AtomicBool::new(false),
                matchable: AtomicBool::new(false),
                probing: AtomicPtr::new(ptr::null_mut()),
                lock_key: Opaque::zeroed(),
                has_lock_key: device_lock::per_device_class(),
            }? Error),
            GFP_KERNEL,
        )?;
        // SAFETY: the allocation stays pinned: only `release` frees it.
        let this = KBox::into_raw(unsafe { Pin::into_inner_unchecked(this) });
        // SAFETY: `this` was just allocated and is valid.
        let dev = unsafe { (*this).dev.get() };
        // SAFETY: `dev` is zeroed, not yet initialised memory for a `struct
        // device`. From `device_initialize()` on, `put_device()` frees `this`
        // through `release`.
        unsafe {
            bindings::device_initialize(dev);
            (*dev).bus = bus::BUS.get();
            (*dev).parent = bus::root();
            (*dev).release = Some(Self::release);
        }
        // SAFETY: `this` is valid until `release`.
        if unsafe { (*this).has_lock_key } {
            // SAFETY: `dev` is initialised and unlocked; the key lives in the
            // same allocation and `release` unregisters it before freeing.
            unsafe { device_lock::register_class(dev, (*this).lock_key.get()) };
        }
        // SAFETY: `dev` is initialised; the format takes one C string, the
        // NUL-terminated name that `this` owns.
        let r = to_result(unsafe {
            bindings::dev_set_name(dev, c"%s".as_ptr().cast(), (*this).name.as_cstr().as_ptr())
        })
        // SAFETY: `dev` is initialised and named.
        .and_then(|()| to_result(unsafe { bindings::device_add(dev) }));
        if let Err(e) = r {
            // SAFETY: drops the reference from `device_initialize()`.
            unsafe { bindings::put_device(dev) };
            return Err(e);
        }
        // SAFETY: `dev` is registered, and the reference from
        // `device_initialize()` keeps it alive until `remove()`.
        Ok(unsafe { DevRef::get(dev) })
    }

    /// Marks `device_add()` as done; called under the rescan/remove lock.
    pub(crate) fn set_added(&self) {
        self.added.store(true, Ordering::Release);
    }

    /// Whether `device_add()` is done.
    pub(crate) fn is_added(&self) -> bool {
        self.added.load(Ordering::Acquire)
    }

    /// Probes the device again if drivers may match it (`rescan`).
    pub(crate) fn reprobe(&self) {
        if self.is_matchable() {
            // SAFETY: `self` is alive; see `attach()`.
            let _ = unsafe { bindings::device_attach(self.as_raw()) };
        }
    }

    /// Lets drivers match the device and probes it, as PCI's
    /// `pci_bus_add_device()` does. Called with no bus lock held, so that a
    /// probe that blocks holds only its own device lock.
    pub(crate) fn attach(&self) {
        self.matchable.store(true, Ordering::Release);
        // SAFETY: `self` is alive; a device deleted meanwhile is refused by
        // the driver core (it is dead) and by `match`. A failed probe leaves
        // the device unbound, which is not an error of the caller's.
        let _ = unsafe { bindings::device_attach(self.as_raw()) };
    }

    /// Whether drivers may match the device: added, not being removed.
    pub(crate) fn is_matchable(&self) -> bool {
        self.matchable.load(Ordering::Acquire) && !self.dead.load(Ordering::Acquire)
    }

    /// Whether removal of the device has started.
    pub(crate) fn is_removing(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Whether the device is still there (not surprise-removed).
    pub(crate) fn is_present(&self) -> bool {
        !self.gone.load(Ordering::Acquire)
    }

    /// Marks the device, and its VFs, as surprise-removed.
    fn set_gone(&self) {
        self.gone.store(true, Ordering::Release);
        // VFs have no VFs: no recursion, so no nesting of VF-list locks.
        self.sriov.for_each_vf(|vf| vf.gone.store(true, Ordering::Release));
    }

    unsafe extern "C" fn release(dev: *mut bindings::device) {
        // SAFETY: by the type invariant `dev` is embedded in a `DrvsimDevice`
        // allocated as a `KBox`, and this is the last reference to it.
        let this = unsafe { KBox::from_raw(Self::from_raw(dev).cast_mut()) };
        if this.has_lock_key {
            // SAFETY: registered in `create()`; nothing uses the lock now.
            unsafe { device_lock::unregister_class(this.lock_key.get()) };
        }
    }

    /// The `DrvsimDevice` that embeds `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must be a device of the drvsim bus.
    pub(crate) unsafe fn from_raw(dev: *const bindings::device) -> *const DrvsimDevice {
        let dev = dev.cast::<Opaque<bindings::device>>();
        // SAFETY: per the safety requirement, `dev` is the `dev` field of a
        // `DrvsimDevice`.
        unsafe { kernel::container_of!(dev, DrvsimDevice, dev) }
    }

    /// The embedded `struct device`.
    pub(crate) fn as_raw(&self) -> *mut bindings::device {
        self.dev.get()
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

    /// Removes the device from the bus; `ENOENT` if removal already started.
    ///
    /// The order is the one of the SR-IOV locking patch, and stricter: mark
    /// the device dead so that nothing binds it again, release its driver
    /// (device lock only; a PF driver disables SR-IOV there), remove any VFs
    /// left, then delete the device. The rescan/remove lock is taken only
    /// inside those steps, for the bookkeeping, never around a device lock.
    /// With `legacy_rescan_remove=1` the plain lock is instead held across
    /// all of it, from before the driver is released, as before the patch.
    pub(crate) fn remove(&self) -> Result {
        let _legacy = rescan_remove::legacy_lock();
        self.remove_locked(false)
    }

    /// A surprise removal (`hot_unplug`): as [`DrvsimDevice::remove`], but
    /// the device and its VFs are gone before the driver is told.
    pub(crate) fn remove_surprise(&self) -> Result {
        let _legacy = rescan_remove::legacy_lock();
        self.remove_locked(true)
    }

    /// [`DrvsimDevice::remove`] for callers that already hold what the
    /// design requires (VF removal inside a PF's removal or `sriov_configure`).
    pub(crate) fn remove_locked(&self, surprise: bool) -> Result {
        {
            let _rr = rescan_remove::lock();
            // Until `device_add()` returned, or once someone else started
            // removing it, the device is not ours to remove.
            if !self.is_added() || self.is_removing() {
                return Err(ENOENT);
            }
            // The name stays taken until `device_del()` has removed the
            // sysfs directory, so that a new device of the same name gets
            // `EEXIST`, not a clash in sysfs.
            bus::reserve_name(self.name)?;
            self.dead.store(true, Ordering::Release);
        }
        if surprise {
            self.set_gone();
        }
        let dev = self.as_raw();
        // SAFETY: `dev` is registered (added, and we are its only remover)
        // and the caller's reference keeps it alive.
        unsafe { bindings::device_release_driver(dev) };
        sriov::remove_vfs(self);
        if let Some((pf, index)) = &self.physfn {
            sriov::unlink_vf(pf, *index, self);
        }
        // SAFETY: `dev` is registered; drop the reference taken by
        // `device_initialize()` after deleting it.
        unsafe { bindings::device_del(dev) };
        bus::release_name(self.name);
        // SAFETY: as above.
        unsafe { bindings::put_device(dev) };
        Ok(())
    }
}

/// The memory of `n` register regions (none for 0), a fault-injection
/// point when there is something to allocate.
fn alloc_regions(n: u32) -> Result<KVec<Region>> {
    if n > 0 {
        crate::abi::should_fail_alloc()?;
    }
    regions::alloc(n)
}

/// A counted reference to a [`DrvsimDevice`], dropped with `put_device()`.
///
/// # Invariants
///
/// The pointer is a live drvsim device on which this object owns one
/// reference.
pub(crate) struct DevRef(NonNull<DrvsimDevice>);

impl DevRef {
    /// Takes over a reference on `dev` that the caller owns.
    ///
    /// # Safety
    ///
    /// `dev` must be a live drvsim device and the caller must own one
    /// reference on it, which passes to the result.
    pub(crate) unsafe fn adopt(dev: *mut bindings::device) -> Self {
        // SAFETY: `dev` is a drvsim device, so `from_raw` is not NULL.
        // INVARIANT: the caller's reference passes to us.
        Self(unsafe { NonNull::new_unchecked(DrvsimDevice::from_raw(dev).cast_mut()) })
    }

    /// Takes a new reference on `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must be a live drvsim device.
    pub(crate) unsafe fn get(dev: *mut bindings::device) -> Self {
        // SAFETY: `dev` is live per the safety requirement.
        unsafe { bindings::get_device(dev) };
        // SAFETY: we own the reference just taken.
        unsafe { Self::adopt(dev) }
    }

    /// The first device after `after` (from the start for `None`) that is
    /// named `name` (any device for `None`).
    pub(crate) fn find_from(after: Option<&DevRef>, name: Option<&CStr>) -> Option<Self> {
        let (data, m): (*const _, _) = match name {
            Some(n) => (n.as_ptr().cast(), bindings::device_match_name as _),
            None => (ptr::null(), bindings::device_match_any as _),
        };
        let start = after.map_or(ptr::null_mut(), |d| d.as_raw());
        // SAFETY: the bus is registered while this module is loaded; `start`
        // is NULL or a device we hold; `data` is what `m` expects.
        let dev = unsafe { bindings::bus_find_device(bus::BUS.get(), start, data, Some(m)) };
        // SAFETY: every device on the bus is a drvsim device, and
        // `bus_find_device()` took a reference for us.
        NonNull::new(dev).map(|d| unsafe { Self::adopt(d.as_ptr()) })
    }

    /// Looks up a device by name, or any device for `None`.
    pub(crate) fn find(name: Option<&CStr>) -> Option<Self> {
        Self::find_from(None, name)
    }
}

impl Clone for DevRef {
    fn clone(&self) -> Self {
        // SAFETY: we hold a reference, so the device is live.
        unsafe { Self::get(self.as_raw()) }
    }
}

impl Deref for DevRef {
    type Target = DrvsimDevice;
    fn deref(&self) -> &DrvsimDevice {
        // SAFETY: by the type invariant the device is live.
        unsafe { self.0.as_ref() }
    }
}

impl Drop for DevRef {
    fn drop(&mut self) {
        // SAFETY: by the type invariant we own one reference.
        unsafe { bindings::put_device(self.as_raw()) };
    }
}

/// The drvsim device behind a sysfs callback's `dev`.
///
/// # Safety
///
/// `dev` must be the device a drvsim device attribute callback received.
unsafe fn of<'a>(dev: *mut bindings::device) -> &'a DrvsimDevice {
    // SAFETY: sysfs keeps the device alive during the callback.
    unsafe { &*DrvsimDevice::from_raw(dev) }
}

unsafe extern "C" fn type_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: called by sysfs with a drvsim device and a page buffer.
    unsafe { sysfs::emit(buf, &[of(dev).type_.as_bytes()]) }
}

unsafe extern "C" fn modalias_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: called by sysfs with a drvsim device and a page buffer.
    unsafe { sysfs::emit(buf, &[b"drvsim:", of(dev).type_.as_bytes()]) }
}

/// `remove`: writing `1` removes the device, as PCI's `remove` does.
unsafe extern "C" fn remove_store(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received.
    if parse::chomp(unsafe { sysfs::input(buf, count) }) != b"1" {
        return EINVAL.to_errno() as isize;
    }
    // Hold a reference: removing our own attribute ends sysfs's protection.
    // SAFETY: sysfs keeps `dev` alive until we return or remove the file.
    let this = unsafe { DevRef::get(dev) };
    // Still inside `device_add()`: not removable yet.
    if !this.is_added() {
        return ENOENT.to_errno() as isize;
    }
    // SAFETY: `attr` is this very attribute of `dev`. It returns false when a
    // concurrent writer removed it first; that one does the removal.
    if !unsafe { bindings::device_remove_file_self(dev, attr) } {
        return count as isize;
    }
    sysfs::store_result(this.remove().or_else(|e| if e == ENOENT { Ok(()) } else { Err(e) }), count)
}

static DEV_ATTR_TYPE: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"type", Some(type_show), None));
static DEV_ATTR_MODALIAS: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"modalias", Some(modalias_show), None));
static DEV_ATTR_REMOVE: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"remove", None, Some(remove_store)));

static DEV_ATTRS: Static<[*mut bindings::attribute; 4]> = Static::new([
    DEV_ATTR_TYPE.get().cast(),
    DEV_ATTR_MODALIAS.get().cast(),
    DEV_ATTR_REMOVE.get().cast(),
    ptr::null_mut(),
]);
static DEV_GROUP: Static<bindings::attribute_group> = Static::new(sysfs::group(DEV_ATTRS.get().cast()));
/// The attribute groups of every drvsim device (`bus_type.dev_groups`).
pub(crate) static DEV_GROUPS: Static<[*const bindings::attribute_group; 3]> =
    Static::new([DEV_GROUP.get().cast_const(), sriov::PF_GROUP.get().cast_const(), ptr::null()]);
