// SPDX-License-Identifier: GPL-2.0

//! The buses' namespace: where devices live (the two buses, `drvsim` and
//! `drvsim1`, and their shared root device `/sys/devices/drvsim`), the
//! names of devices being added or deleted, and whether new devices may
//! still be added. One namespace for both buses: every device's directory
//! is a child of the one root device, so names are unique across them.

use crate::{
    abi::Bus,
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

/// The names of the devices not (or no longer) on the bus's list, and
/// how many devices there are.
///
/// # Invariants
///
/// `names.capacity() >= live`, and every entry of `names` is the name of
/// one of the `live` devices: so reserving the name of a device being
/// removed never allocates.
struct Busy {
    /// Names taken by devices being added or deleted.
    names: KVVec<Name>,
    /// Devices from the reservation of their name for `device_add()` to the
    /// release of their name after `device_del()`.
    live: usize,
}

kernel::sync::global_lock! {
    // SAFETY: initialised in `init()` before the bus exists.
    /// The busy names. Changed under the rescan/remove lock.
    unsafe(uninit) static BUSY: Mutex<Busy> = Busy { names: KVVec::new(), live: 0 };
}

// Only a pointer to `struct dentry` crosses; bindgen's zero-sized
// `its_array` inside it trips the lint although no such value is passed.
#[expect(improper_ctypes, reason = "only a pointer to `struct dentry` crosses")]
extern "C" {
    fn drvsim_live_get();
    fn drvsim_live_put();
    fn drvsim_live_wait();
    fn drvsim_live_debugfs(dir: *mut bindings::dentry);
}

/// Holds off module unload until dropped: each device holds one until its
/// release, and so does a sysfs writer that goes on after removing its own
/// attribute (`remove`). See [`wait_until_gone`].
pub(crate) struct Hold(());

impl Hold {
    /// Takes a hold.
    pub(crate) fn new() -> Self {
        // SAFETY: a counter increment, callable from any context.
        unsafe { drvsim_live_get() };
        Hold(())
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        // SAFETY: drops the count taken by `new()`.
        unsafe { drvsim_live_put() };
    }
}

/// At module exit, after [`close`]: waits until every [`Hold`] is dropped.
/// (What runs of drvsim's code after the last drop is the return path of
/// the function that dropped it, as with netdevsim's `complete()`.)
pub(crate) fn wait_until_gone() {
    // SAFETY: called once, at module exit: drops the module's own count.
    unsafe { drvsim_live_wait() };
}

/// Creates `live` in drvsim's debugfs directory `dir` (NULL or an error
/// pointer without debugfs, which debugfs accepts): the count of holds,
/// every device until its release among them, plus the module's own.
pub(crate) fn debugfs_init(dir: *mut bindings::dentry) {
    // SAFETY: `dir` is drvsim's directory (or NULL or an error pointer),
    // whose removal at unload takes the file with it; the count is a
    // static of `exports.c`.
    unsafe { drvsim_live_debugfs(dir) };
}

/// Set at module unload: no device may be added any more.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// The parent of every drvsim device, `/sys/devices/drvsim`, so that
/// device names cannot clash with other entries of `/sys/devices`.
static ROOT: AtomicPtr<bindings::device> = AtomicPtr::new(ptr::null_mut());

/// The buses (`bus.rs`), by [`Bus::index`].
static BUSES: [AtomicPtr<bindings::bus_type>; 2] = [
    AtomicPtr::new(ptr::null_mut()),
    AtomicPtr::new(ptr::null_mut()),
];

/// Whether each bus (by [`Bus::index`]) is registered: set once
/// `bus_register()` has returned, cleared before `bus_unregister()`.
/// `bus_register()` makes a bus visible to `bus_find_device()` before it
/// initialises the bus's device list, so a lookup over both buses, from
/// the other bus's attributes while this one registers, must skip it.
static REGISTERED: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

/// Records that `bus` is (or is no longer) registered; see [`REGISTERED`].
pub(crate) fn set_registered(bus: Bus, registered: bool) {
    REGISTERED[bus.index()].store(registered, Ordering::Release);
}

/// Whether `bus` is registered; see [`REGISTERED`].
pub(crate) fn is_registered(bus: Bus) -> bool {
    REGISTERED[bus.index()].load(Ordering::Acquire)
}

/// Sets up the namespace of `buses` (by [`Bus::index`]) and registers the
/// root device.
///
/// # Safety
///
/// Called once, from module init, before anything else in this module and
/// before the buses are registered.
pub(crate) unsafe fn init(buses: [&'static Static<bindings::bus_type>; 2]) -> Result {
    // SAFETY: once, before anything can lock it (safety requirement).
    unsafe { BUSY.init() };
    CLOSING.store(false, Ordering::Release);
    for (slot, bus) in BUSES.iter().zip(buses) {
        slot.store(bus.get(), Ordering::Release);
    }
    // SAFETY: a static name; no owner module link is needed.
    let root =
        unsafe { bindings::__root_device_register(c"drvsim".as_char_ptr(), ptr::null_mut()) };
    ROOT.store(kernel::error::from_err_ptr(root)?, Ordering::Release);
    Ok(())
}

/// Unregisters the root device (if [`init`] registered it) and frees the
/// name set; at module exit, once every device is gone, or when init fails.
pub(crate) fn exit() {
    let root = ROOT.swap(ptr::null_mut(), Ordering::AcqRel);
    if !root.is_null() {
        // SAFETY: registered in `init()`; its children are all gone.
        unsafe { bindings::root_device_unregister(root) };
    }
    // A global outlives the module's data: free its buffer, not just its
    // entries, or kmemleak reports it after rmmod.
    BUSY.lock().names = KVVec::new();
}

/// The drvsim bus `bus`, for the driver core's functions.
pub(crate) fn bus(bus: Bus) -> *mut bindings::bus_type {
    BUSES[bus.index()].load(Ordering::Acquire)
}

/// Which drvsim bus `bus` is; `None` for another bus (or NULL).
pub(crate) fn bus_of(bus: *const bindings::bus_type) -> Option<Bus> {
    Bus::ALL
        .into_iter()
        .find(|&b| !bus.is_null() && ptr::eq(self::bus(b), bus))
}

/// The root device (see [`ROOT`]).
pub(crate) fn root() -> *mut bindings::device {
    ROOT.load(Ordering::Acquire)
}

/// Takes `name` for a device about to be added: `EEXIST` if it is taken.
/// Grows the name set so that it has room for every device, this one
/// included: removing a device never allocates. Called under the
/// rescan/remove lock.
pub(crate) fn reserve_new(name: Name) -> Result {
    let mut busy = BUSY.lock();
    if busy.names.contains(&name) {
        return Err(EEXIST);
    }
    let room = busy.live + 1 - busy.names.len();
    busy.names.reserve(room, GFP_KERNEL)?;
    busy.live += 1;
    // INVARIANT: `capacity >= len + room = live`; the name is this new
    // device's.
    busy.names.push(name, GFP_KERNEL)?;
    Ok(())
}

/// Gives back the name of a device whose `device_add()` succeeded: from
/// now on lookups on the bus find it.
pub(crate) fn release_added(name: Name) {
    let _rr = rescan_remove::lock();
    BUSY.lock().names.retain(|n| *n != name);
}

/// Gives back the name of a device that is gone, or was never added.
pub(crate) fn release_gone(name: Name) {
    let _rr = rescan_remove::lock();
    let mut busy = BUSY.lock();
    busy.names.retain(|n| *n != name);
    // INVARIANT: one name and one device fewer.
    busy.live -= 1;
}

/// Takes the name of a device being deleted, until [`release_gone`]: a
/// new device of that name gets `EEXIST` until the old directory is gone.
/// Never allocates (see [`Busy`]). Called under the rescan/remove lock.
pub(crate) fn reserve_dying(name: Name) {
    let mut busy = BUSY.lock();
    // By the type invariant there is room: this device is live and its
    // name is not in the set (the device is on the bus's list).
    let full = busy.names.push_within_capacity(name).is_err();
    kernel::warn_on!(full);
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

/// Whether a device is being added or deleted (`legacy_unload_poll`).
pub(crate) fn any_busy() -> bool {
    !BUSY.lock().names.is_empty()
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

#[kunit_tests(drvsim_names)]
mod tests {
    use super::*;

    /// Eight devices removed at once, after the busy-name set last grew for
    /// one at a time: the removals' reservations allocate nothing.
    ///
    /// A failed assertion ends the test's thread without running
    /// destructors, so the values are taken with the locks held and the
    /// names given back before anything is asserted: a failure is
    /// reported instead of leaving the rescan/remove lock held and the
    /// names busy for good.
    #[test]
    fn removing_devices_never_allocates() {
        let names: [Name; 8] = core::array::from_fn(|i| {
            let mut digits = [0u8; 10];
            let digit = crate::parse::decimal(i as u32, &mut digits)[0];
            Name::parse(&[b'k', b'u', b'n', b'i', b't', digit]).unwrap()
        });
        let rr = rescan_remove::lock();
        let mut added = [false; 8];
        for (n, ok) in names.iter().zip(added.iter_mut()) {
            *ok = reserve_new(*n).is_ok();
            if *ok {
                release_added(*n);
            }
        }
        let (len, cap) = {
            let busy = BUSY.lock();
            (busy.names.len(), busy.names.capacity())
        };
        for (n, _) in names.iter().zip(added).filter(|(_, ok)| *ok) {
            reserve_dying(*n);
        }
        let (cap_dying, len_dying) = {
            let busy = BUSY.lock();
            (busy.names.capacity(), busy.names.len())
        };
        for (n, _) in names.iter().zip(added).filter(|(_, ok)| *ok) {
            release_gone(*n);
        }
        let len_after = BUSY.lock().names.len();
        drop(rr);

        assert_eq!(added, [true; 8]);
        assert_eq!(cap_dying, cap);
        assert_eq!(len_dying, len + names.len());
        assert_eq!(len_after, len);
    }
}
