// SPDX-License-Identifier: GPL-2.0

//! The `drvsim` bus type: match, probe, remove, uevent, the bus attributes
//! (`new_device`, `del_device`, `rescan`, `hot_unplug`) and driver
//! registration.

use crate::{
    abi::{DeviceIdRaw, DriverRaw, TYPE_LEN},
    device::{DevRef, DrvsimDevice, Spec, DEV_GROUPS},
    device_lock::MatchLock,
    parse::{self, Name, NewDevice},
    registration,
    rescan_remove::{self, RESCAN_REMOVE},
    sysfs::{self, Static},
};
use core::{
    ptr,
    sync::atomic::{AtomicBool, AtomicPtr, Ordering},
};
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_char, c_int, c_void},
    prelude::*,
    task::Task,
};

kernel::sync::global_lock! {
    // SAFETY: initialised in `register()` before the bus exists.
    /// Names taken by devices not (or no longer) on the bus's list: being
    /// added, or being deleted. Changed under the rescan/remove lock.
    unsafe(uninit) static BUSY_NAMES: Mutex<KVec<Name>> = KVec::new();
}

/// Set at module unload: no device may be added any more.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// The parent of every drvsim device, `/sys/devices/drvsim`, so that
/// device names cannot clash with other entries of `/sys/devices`.
static ROOT: AtomicPtr<bindings::device> = AtomicPtr::new(ptr::null_mut());

/// The root device (see [`ROOT`]).
pub(crate) fn root() -> *mut bindings::device {
    ROOT.load(Ordering::Acquire)
}

/// Takes `name` for a device being added or deleted; `EEXIST` if it is
/// taken. Called under the rescan/remove lock.
pub(crate) fn reserve_name(name: Name) -> Result {
    let mut busy = BUSY_NAMES.lock();
    if busy.contains(&name) {
        return Err(EEXIST);
    }
    busy.push(name, GFP_KERNEL)?;
    Ok(())
}

/// Gives back a name taken by [`reserve_name`].
pub(crate) fn release_name(name: Name) {
    let _rr = rescan_remove::lock();
    BUSY_NAMES.lock().retain(|n| *n != name);
}

// `device_match_driver_override()` is a static inline (rust/exports.c).
// Only pointers cross; see the note on `improper_ctypes` in driver.rs.
#[allow(improper_ctypes)]
extern "C" {
    fn drvsim_match_driver_override(dev: *mut bindings::device, drv: *const bindings::device_driver) -> c_int;
}

/// The entry of `ids` (terminated by an empty type) matching `type_`.
pub(crate) fn lookup_id<'a>(ids: impl IntoIterator<Item = &'a DeviceIdRaw>, type_: &[u8]) -> Option<&'a DeviceIdRaw> {
    ids.into_iter()
        .take_while(|id| id.type_[0] != 0)
        .find(|id| id.type_.split(|&c| c == 0).next() == Some(type_))
}

/// The id table of `drv` as an iterator.
///
/// # Safety
///
/// `drv` must be a registered drvsim driver.
unsafe fn ids<'a>(drv: *const DriverRaw) -> impl Iterator<Item = &'a DeviceIdRaw> {
    // SAFETY: a registered driver has a table terminated by an empty type.
    let mut p = unsafe { (*drv).id_table };
    core::iter::from_fn(move || {
        // SAFETY: `p` stays within the table: we stop at its terminator.
        let id = unsafe { p.as_ref()? };
        if id.type_[0] == 0 {
            return None;
        }
        // SAFETY: not past the terminator.
        p = unsafe { p.add(1) };
        Some(id)
    })
}

/// Whether the static id table of `drv` has `type_`.
///
/// # Safety
///
/// `drv` must be a registered drvsim driver.
pub(crate) unsafe fn in_id_table(drv: *const DriverRaw, type_: &[u8]) -> bool {
    // SAFETY: per the safety requirement.
    unsafe { lookup_id(ids(drv), type_) }.is_some()
}

/// The drvsim driver embedding `drv`.
///
/// # Safety
///
/// `drv` must belong to a driver registered on the drvsim bus.
pub(crate) unsafe fn to_driver(drv: *const bindings::device_driver) -> *const DriverRaw {
    // SAFETY: drvsim drivers embed their `device_driver` in a `DriverRaw`.
    unsafe { kernel::container_of!(drv, DriverRaw, driver) }
}

/// Whether `drv` may bind `dev`, and with which id entry (`None` for a
/// match through a dynamic id or `driver_override` alone). A driver being
/// unregistered matches nothing.
///
/// Never takes the device lock: `driver_override` has its own spinlock.
///
/// # Safety
///
/// `dev` and `drv` must be a live drvsim device and a registered driver.
unsafe fn match_device(dev: *mut bindings::device, drv: *const bindings::device_driver) -> Option<Option<*const DeviceIdRaw>> {
    // SAFETY: per the safety requirement.
    let this = unsafe { &*DrvsimDevice::from_raw(dev) };
    if !this.is_matchable() {
        return None;
    }
    // SAFETY: per the safety requirement.
    let (drv_raw, type_) = (unsafe { to_driver(drv) }, this.type_.as_bytes());
    // SAFETY: as above; `None`: the driver is being unregistered.
    let dynamic = unsafe { registration::dyn_match(drv_raw, type_) }?;
    // SAFETY: as above.
    let id = unsafe { lookup_id(ids(drv_raw), type_) }.map(|id| Some(ptr::from_ref(id)));
    let id = id.or(dynamic.then_some(None));
    // SAFETY: both are live; the helper takes the spinlock.
    match unsafe { drvsim_match_driver_override(dev, drv) } {
        0 => None,
        1 => Some(id.flatten()),
        // As PCI's `pci_device_can_probe()`: with its PF's
        // `sriov_drivers_autoprobe` off, a VF binds only by override.
        _ if this.physfn.as_ref().is_some_and(|(pf, _)| !pf.sriov.autoprobe()) => None,
        _ => id,
    }
}

unsafe extern "C" fn bus_match(dev: *mut bindings::device, drv: *const bindings::device_driver) -> c_int {
    // SAFETY: the driver core calls match with a device of this bus.
    let _lock = MatchLock::enter(unsafe { &*DrvsimDevice::from_raw(dev) });
    // SAFETY: the driver core calls match with a device and a driver of this bus.
    c_int::from(unsafe { match_device(dev, drv) }.is_some())
}

unsafe extern "C" fn bus_probe(dev: *mut bindings::device) -> c_int {
    // SAFETY: the core set `dev->driver` to a driver of this bus before
    // calling probe, and holds the device lock.
    let drv = unsafe { (*dev).driver };
    // SAFETY: as above. Match again: `driver_override` may have changed
    // since the core matched, and the id entry is needed anyway.
    let Some(id) = (unsafe { match_device(dev, drv) }) else {
        return ENODEV.to_errno();
    };
    // SAFETY: `drv` is a registered drvsim driver.
    let Some(probe) = (unsafe { (*to_driver(drv)).probe }) else {
        return ENODEV.to_errno();
    };
    // SAFETY: `dev` is a live drvsim device.
    let this = unsafe { &*DrvsimDevice::from_raw(dev) };
    this.set_probing(Task::current_raw());
    // SAFETY: the driver's probe contract: a bound-in-progress device.
    let r = unsafe { probe(dev, id.unwrap_or(ptr::null())) };
    this.set_probing(ptr::null_mut());
    r
}

unsafe extern "C" fn bus_remove(dev: *mut bindings::device) {
    // SAFETY: `dev` is bound to a drvsim driver; the device lock is held.
    if let Some(remove) = unsafe { (*to_driver((*dev).driver)).remove } {
        // SAFETY: as above.
        unsafe { remove(dev) };
    }
}

unsafe extern "C" fn bus_uevent(dev: *const bindings::device, env: *mut bindings::kobj_uevent_env) -> c_int {
    // SAFETY: `dev` is a live drvsim device.
    let this = unsafe { &*DrvsimDevice::from_raw(dev) };
    // SAFETY: one C string argument for one `%s`.
    unsafe { bindings::add_uevent_var(env, c"MODALIAS=drvsim:%s".as_ptr().cast(), this.type_.as_cstr().as_ptr()) }
}

/// `new_device`: `<name> [type=<type>] [totalvfs=<n>] [regions=<n>]`.
unsafe extern "C" fn new_device_store(_bus: *const bindings::bus_type, buf: *const c_char, count: usize) -> isize {
    // SAFETY: sysfs passes the input it received.
    let r = NewDevice::parse(unsafe { sysfs::input(buf, count) }).and_then(|req| {
        let _legacy = rescan_remove::legacy_lock();
        add_device(Spec::from(&req))?.attach();
        Ok(())
    });
    sysfs::store_result(r, count)
}

/// Adds a device to the bus, not yet probed: reserves the name under the
/// rescan/remove lock (`EEXIST` if taken), then calls `device_add()`
/// without it (`device_add()` takes the new device's lock).
pub(crate) fn add_device(spec: Spec) -> Result<DevRef> {
    let name = spec.name;
    {
        let _rr = rescan_remove::lock();
        if CLOSING.load(Ordering::Acquire) {
            return Err(ENODEV);
        }
        if DevRef::find(Some(name.as_cstr())).is_some() {
            return Err(EEXIST);
        }
        reserve_name(name)?;
    }
    let r = DrvsimDevice::create(spec);
    // One section: the name goes back and the device becomes removable
    // together (the lock is reentrant, `release_name()` takes it too).
    let _rr = rescan_remove::lock();
    release_name(name);
    if let Ok(dev) = &r {
        dev.set_added();
    }
    r
}

/// The device a `del_device` or `hot_unplug` write names.
///
/// # Safety
///
/// `buf` and `count` must be the arguments the driver core passed to `store`.
unsafe fn named_device(buf: *const c_char, count: usize) -> Result<DevRef> {
    // SAFETY: per the safety requirement.
    let name = Name::parse(parse::chomp(unsafe { sysfs::input(buf, count) }))?;
    DevRef::find(Some(name.as_cstr())).ok_or(ENOENT)
}

/// `del_device`: `<name>`.
unsafe extern "C" fn del_device_store(_bus: *const bindings::bus_type, buf: *const c_char, count: usize) -> isize {
    // SAFETY: sysfs passes the input it received.
    let r = unsafe { named_device(buf, count) }.and_then(|dev| dev.remove());
    sysfs::store_result(r, count)
}

/// `rescan`: as PCI's, a non-zero number re-probes every unbound device,
/// `0` does nothing, anything else is `EINVAL`.
///
/// The devices are listed under the rescan/remove lock and probed after it is
/// dropped: a probe that blocks must not stop devices coming and going.
unsafe extern "C" fn rescan_store(_bus: *const bindings::bus_type, buf: *const c_char, count: usize) -> isize {
    // SAFETY: sysfs passes the input it received.
    let s = parse::chomp(unsafe { sysfs::input(buf, count) });
    let _legacy = rescan_remove::legacy_lock();
    let r = if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        Err(EINVAL)
    } else if s.iter().all(|&c| c == b'0') {
        Ok(())
    } else {
        unbound_devices().map(|devs| devs.iter().for_each(|d| d.reprobe()))
    };
    sysfs::store_result(r, count)
}

/// Every device without a driver, listed under the rescan/remove lock.
fn unbound_devices() -> Result<KVec<DevRef>> {
    let _rr = rescan_remove::lock();
    let mut devs = KVec::new();
    let mut cur = DevRef::find(None);
    while let Some(d) = cur {
        // SAFETY: reading `driver` races benignly with binding: a device
        // bound meanwhile is skipped by the driver core's attach.
        if unsafe { (*d.as_raw()).driver }.is_null() {
            devs.push(d.clone(), GFP_KERNEL)?;
        }
        cur = DevRef::find_from(Some(&d), None);
    }
    Ok(devs)
}

/// `hot_unplug`: `<name>`; a surprise removal, as a hotplug controller
/// reports it: the device (and a PF's VFs) is gone before its driver is
/// told, then it is removed like `del_device`. PCI's hotplug handlers take
/// the rescan/remove lock before releasing drivers, which deadlocks
/// against a PF driver's unbind disabling SR-IOV (the limitation the patch
/// leaves open); this path takes it only for bookkeeping, like `remove`.
unsafe extern "C" fn hot_unplug_store(_bus: *const bindings::bus_type, buf: *const c_char, count: usize) -> isize {
    // SAFETY: sysfs passes the input it received.
    let r = unsafe { named_device(buf, count) }.and_then(|dev| dev.remove_surprise());
    sysfs::store_result(r, count)
}

static BUS_ATTR_NEW_DEVICE: Static<bindings::bus_attribute> =
    Static::new(sysfs::bus_attr_wo(c"new_device", new_device_store));
static BUS_ATTR_DEL_DEVICE: Static<bindings::bus_attribute> =
    Static::new(sysfs::bus_attr_wo(c"del_device", del_device_store));
static BUS_ATTR_RESCAN: Static<bindings::bus_attribute> = Static::new(sysfs::bus_attr_wo(c"rescan", rescan_store));
static BUS_ATTR_HOT_UNPLUG: Static<bindings::bus_attribute> =
    Static::new(sysfs::bus_attr_wo(c"hot_unplug", hot_unplug_store));
static BUS_ATTRS: Static<[*mut bindings::attribute; 5]> = Static::new([
    BUS_ATTR_NEW_DEVICE.get().cast(),
    BUS_ATTR_DEL_DEVICE.get().cast(),
    BUS_ATTR_RESCAN.get().cast(),
    BUS_ATTR_HOT_UNPLUG.get().cast(),
    ptr::null_mut(),
]);
static BUS_GROUP: Static<bindings::attribute_group> = Static::new(sysfs::group(BUS_ATTRS.get().cast()));
static BUS_GROUPS: Static<[*const bindings::attribute_group; 2]> =
    Static::new([BUS_GROUP.get().cast_const(), ptr::null()]);

/// The `drvsim` bus.
pub(crate) static BUS: Static<bindings::bus_type> = Static::new({
    // SAFETY: `struct bus_type` is plain C data; all-zero leaves every
    // optional callback unset.
    let mut b: bindings::bus_type = unsafe { core::mem::zeroed() };
    b.name = c"drvsim".as_ptr().cast();
    b.bus_groups = BUS_GROUPS.get().cast();
    b.dev_groups = DEV_GROUPS.get().cast();
    b.match_ = Some(bus_match);
    b.probe = Some(bus_probe);
    b.remove = Some(bus_remove);
    b.uevent = Some(bus_uevent);
    // The driver core provides the `driver_override` attribute.
    b.driver_override = true;
    b
});

/// Registers the bus.
pub(crate) fn register() -> Result {
    // SAFETY: called once, from module init, before anything can lock them.
    unsafe {
        BUSY_NAMES.init();
        RESCAN_REMOVE.init();
    }
    registration::init();
    CLOSING.store(false, Ordering::Release);
    // SAFETY: a static name; no owner module link is needed.
    let root = unsafe { bindings::__root_device_register(c"drvsim".as_char_ptr(), ptr::null_mut()) };
    if let Err(e) = kernel::error::from_err_ptr(root) {
        return Err(e);
    }
    ROOT.store(root, Ordering::Release);
    // SAFETY: `BUS` is a static, fully initialised `bus_type`.
    to_result(unsafe { bindings::bus_register(BUS.get()) }).inspect_err(|_| {
        // SAFETY: registered above, no children yet.
        unsafe { bindings::root_device_unregister(root) }
    })
}

/// Removes every device, then unregisters the bus. Drivers are gone by
/// now: their modules depend on this one.
pub(crate) fn unregister() {
    {
        let _rr = RESCAN_REMOVE.lock();
        CLOSING.store(true, Ordering::Release);
    }
    // A sysfs write does not pin the module: let adds and deletes in
    // flight finish, then remove what is left. A device whose removal is
    // under way elsewhere is still found until it is gone: wait for it.
    loop {
        let busy = !BUSY_NAMES.lock().is_empty();
        let dev = DevRef::find(None);
        match dev {
            None if !busy => break,
            Some(d) if d.remove().is_ok() => continue,
            _ => {
                // SAFETY: process context.
                unsafe { bindings::msleep(10) };
            }
        }
    }
    // SAFETY: registered in `register()`.
    unsafe { bindings::bus_unregister(BUS.get()) };
    // SAFETY: registered in `register()`; its children are all gone.
    unsafe { bindings::root_device_unregister(root()) };
    // A global outlives the module's data: free its buffer, not just its
    // entries, or kmemleak reports it after rmmod.
    *BUSY_NAMES.lock() = KVec::new();
    registration::exit();
}

/// Registers a driver on the drvsim bus (exported to driver modules), in
/// the steps of `registration::register()`; on failure nothing of the
/// registration is left, dynamic ids written meanwhile included.
///
/// # Safety
///
/// `drv` must point to a zero-initialised `DriverRaw` whose `id_table` and
/// `probe` are set and that stays valid and pinned until
/// [`drvsim_driver_unregister`]; `owner` and `name` must outlive it.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_driver_register(
    drv: *mut DriverRaw,
    owner: *mut c_void,
    name: *const c_char,
) -> c_int {
    // SAFETY: per the safety requirements.
    unsafe {
        (*drv).driver.name = name;
        (*drv).driver.mod_name = name;
        (*drv).driver.owner = owner.cast();
        (*drv).driver.bus = BUS.get();
        match registration::register(drv) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}

/// Unregisters a driver registered by [`drvsim_driver_register`]: from the
/// start nothing matches or pins it; returns once nothing pins it and the
/// driver core is done with it, so no probe starts after it returns.
///
/// # Safety
///
/// `drv` must have been registered successfully and not yet unregistered.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_driver_unregister(drv: *mut DriverRaw) {
    // SAFETY: per the safety requirements.
    unsafe { registration::unregister(drv) }
}

/// The type of a drvsim device, NUL-terminated (exported to drivers).
///
/// # Safety
///
/// `dev` must be a live drvsim device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_device_type(dev: *const bindings::device) -> *const c_char {
    // SAFETY: per the safety requirement.
    unsafe { (*DrvsimDevice::from_raw(dev)).type_.as_cstr().as_ptr().cast() }
}

/// Whether a drvsim device is still present, i.e. not surprise-removed
/// (exported to drivers).
///
/// # Safety
///
/// `dev` must be a live drvsim device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_device_is_present(dev: *const bindings::device) -> bool {
    // SAFETY: per the safety requirement.
    unsafe { (*DrvsimDevice::from_raw(dev)).is_present() }
}

const _: () = assert!(TYPE_LEN == parse::NAME_MAX + 1);

#[kunit_tests(drvsim_match)]
mod tests {
    use super::*;

    fn id(t: &[u8], data: usize) -> DeviceIdRaw {
        let mut type_ = [0u8; TYPE_LEN];
        type_[..t.len()].copy_from_slice(t);
        DeviceIdRaw { type_, driver_data: data }
    }

    #[test]
    fn lookup_finds_exact_type() {
        let table = [id(b"sample", 0), id(b"sample-vf", 1), id(b"", 0)];
        assert_eq!(lookup_id(&table, b"sample").map(|i| i.driver_data), Some(0));
        assert_eq!(lookup_id(&table, b"sample-vf").map(|i| i.driver_data), Some(1));
    }

    #[test]
    fn lookup_rejects_prefixes_and_unknown() {
        let table = [id(b"sample-vf", 1), id(b"", 0)];
        assert!(lookup_id(&table, b"sample").is_none());
        assert!(lookup_id(&table, b"sample-vf2").is_none());
        assert!(lookup_id(&table, b"").is_none());
    }

    #[test]
    fn lookup_stops_at_terminator() {
        let table = [id(b"a", 0), id(b"", 0), id(b"b", 2)];
        assert!(lookup_id(&table, b"b").is_none());
    }
}
