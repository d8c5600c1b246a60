// SPDX-License-Identifier: GPL-2.0

//! The bus's namespace: where devices live (the bus and the root device
//! `/sys/devices/drvsim`), the names of devices being added or deleted,
//! and whether new devices may still be added.

use crate::{
    parse::Name,
    rescan_remove,
    sysfs::Static, //
};
use core::{
    ptr,
    sync::atomic::{
        AtomicBool,
        AtomicPtr,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    prelude::*, //
};

kernel::sync::global_lock! {
    // SAFETY: initialised in `init()` before the bus exists.
    /// Names taken by devices not (or no longer) on the bus's list: being
    /// added, or being deleted. Changed under the rescan/remove lock.
    unsafe(uninit) static BUSY_NAMES: Mutex<KVec<Name>> = KVec::new();
}

/// Set at module unload: no device may be added any more.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// The parent of every drvsim device, `/sys/devices/drvsim`, so that
/// device names cannot clash with other entries of `/sys/devices`.
static ROOT: AtomicPtr<bindings::device> = AtomicPtr::new(ptr::null_mut());

/// The `drvsim` bus (`bus.rs`), once registered.
static BUS: AtomicPtr<bindings::bus_type> = AtomicPtr::new(ptr::null_mut());

/// Sets up the namespace of `bus` and registers the root device.
///
/// # Safety
///
/// Called once, from module init, before anything else in this module and
/// before `bus` is registered.
pub(crate) unsafe fn init(bus: &'static Static<bindings::bus_type>) -> Result {
    // SAFETY: once, before anything can lock it (safety requirement).
    unsafe { BUSY_NAMES.init() };
    CLOSING.store(false, Ordering::Release);
    BUS.store(bus.get(), Ordering::Release);
    // SAFETY: a static name; no owner module link is needed.
    let root =
        unsafe { bindings::__root_device_register(c"drvsim".as_char_ptr(), ptr::null_mut()) };
    ROOT.store(kernel::error::from_err_ptr(root)?, Ordering::Release);
    Ok(())
}

/// Unregisters the root device and frees the name set; at module exit,
/// once every device is gone, or when init fails after [`init`].
pub(crate) fn exit() {
    // SAFETY: registered in `init()`; its children are all gone.
    unsafe { bindings::root_device_unregister(ROOT.swap(ptr::null_mut(), Ordering::AcqRel)) };
    // A global outlives the module's data: free its buffer, not just its
    // entries, or kmemleak reports it after rmmod.
    *BUSY_NAMES.lock() = KVec::new();
}

/// The drvsim bus, for the driver core's functions.
pub(crate) fn bus() -> *mut bindings::bus_type {
    BUS.load(Ordering::Acquire)
}

/// The root device (see [`ROOT`]).
pub(crate) fn root() -> *mut bindings::device {
    ROOT.load(Ordering::Acquire)
}

/// Takes `name` for a device being added or deleted; `EEXIST` if it is
/// taken. Called under the rescan/remove lock.
pub(crate) fn reserve(name: Name) -> Result {
    let mut busy = BUSY_NAMES.lock();
    if busy.contains(&name) {
        return Err(EEXIST);
    }
    busy.push(name, GFP_KERNEL)?;
    Ok(())
}

/// Whether the root device's directory, `/sys/devices/drvsim`, has an
/// entry `name` that is not a drvsim device: its own `uevent` and `power`.
/// A device of that name would make `device_add()` fail with a stack dump
/// ("sysfs: cannot create duplicate filename").
pub(crate) fn is_root_entry(name: &Name) -> bool {
    let root = root();
    // SAFETY: the root device is registered while the bus is, so its
    // directory is live; `name` is a C string.
    let kn = unsafe {
        bindings::kernfs_find_and_get_ns((*root).kobj.sd, name.as_cstr().as_char_ptr(), ptr::null())
    };
    if kn.is_null() {
        return false;
    }
    // SAFETY: `kernfs_find_and_get_ns()` took a reference for us.
    unsafe { bindings::kernfs_put(kn) };
    true
}

/// Gives back a name taken by [`reserve`].
pub(crate) fn release(name: Name) {
    let _rr = rescan_remove::lock();
    BUSY_NAMES.lock().retain(|n| *n != name);
}

/// Whether a device is being added or deleted.
pub(crate) fn any_busy() -> bool {
    !BUSY_NAMES.lock().is_empty()
}

/// Refuses every device added from now on (module unload).
pub(crate) fn close() {
    // The reentrant lock even with `legacy_rescan_remove`: its mutex is
    // the one the legacy entry points hold.
    let _rr = rescan_remove::RESCAN_REMOVE.lock();
    CLOSING.store(true, Ordering::Release);
}

/// Whether [`close`] was called; read under the rescan/remove lock.
pub(crate) fn is_closing() -> bool {
    CLOSING.load(Ordering::Acquire)
}
