// SPDX-License-Identifier: GPL-2.0

//! The `drvsim` bus type: match, probe, remove, shutdown and uevent, and
//! the registration of its two instances, `drvsim` and `drvsim1`, at
//! module load and unload. Their sysfs attributes are in `bus_attrs.rs`.

use crate::{
    abi::{
        Bus,
        DeviceIdRaw,
        DriverRaw, //
    },
    bus_attrs::{
        BUS_GROUPS,
        DEV_GROUPS, //
    },
    device::DrvsimDevice,
    device_lock::MatchLock,
    ids,
    lifecycle,
    names,
    pause::{
        self,
        Point, //
    },
    registration,
    rescan_remove::RESCAN_REMOVE,
    sysfs::Static, //
};
use core::ptr;
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*,
    task::Task, //
};

// `device_match_driver_override()` is a static inline (rust/exports.c).
#[expect(improper_ctypes, reason = "only pointers to `struct device` cross")]
extern "C" {
    fn drvsim_match_driver_override(
        dev: *mut bindings::device,
        drv: *const bindings::device_driver,
    ) -> c_int;
}

/// Whether `drv` may bind `dev`, and with which id entry (`None` for a
/// match through a dynamic id or `driver_override` alone). A driver being
/// unregistered matches nothing.
///
/// Never takes the device lock: `driver_override` has its own spinlock.
///
/// # Safety
///
/// `drv` must be a driver the driver core passed to match or probe.
unsafe fn match_device<'a>(
    dev: &DrvsimDevice,
    drv: &'a DriverRaw,
) -> Option<Option<&'a DeviceIdRaw>> {
    if !dev.is_matchable() {
        return None;
    }
    let type_ = dev.type_.as_bytes();
    // SAFETY: the driver core passed `drv` in (safety requirement);
    // `None`: the driver is being unregistered.
    let dynamic = unsafe { registration::dyn_match(drv, type_) }?;
    let id = ids::lookup_id(ids::ids(drv), type_).map(Some);
    let id = id.or(dynamic.then_some(None));
    let overridden = if crate::legacy_override::enabled() {
        // SAFETY: a registered driver's name is a C string. (The broken
        // design: the override string may be freed meanwhile.)
        unsafe { dev.legacy_override.matches((*drv.as_raw()).name) }
    } else {
        // SAFETY: both are live; the helper takes the spinlock.
        let o = unsafe { drvsim_match_driver_override(dev.as_raw(), drv.as_raw()) };
        pause::at(Point::Match);
        o
    };
    match overridden {
        0 => None,
        1 => Some(id.flatten()),
        // As PCI's `pci_device_can_probe()`: with its PF's
        // `sriov_drivers_autoprobe` off, a VF binds only by override.
        _ if dev
            .physfn
            .as_ref()
            .is_some_and(|(pf, _)| !pf.sriov.autoprobe()) =>
        {
            None
        }
        _ => id,
    }
}

extern "C" fn bus_match(dev: *mut bindings::device, drv: *const bindings::device_driver) -> c_int {
    // SAFETY: the driver core calls match with a live device and a
    // registered driver of this bus.
    let (dev, drv) = unsafe { (DrvsimDevice::from_raw(dev), ids::to_driver(drv)) };
    let _lock = MatchLock::enter(dev.as_dev(), || dev.in_probe_of(Task::current_raw()));
    // SAFETY: the driver core passed `drv` to match.
    c_int::from(unsafe { match_device(dev, drv) }.is_some())
}

extern "C" fn bus_probe(dev: *mut bindings::device) -> c_int {
    // SAFETY: the core calls probe with a live device of this bus, holding
    // its lock, after setting `dev->driver` to a registered driver of this
    // bus.
    let (dev, drv) = unsafe { (DrvsimDevice::from_raw(dev), ids::to_driver((*dev).driver)) };
    // The driver core promises not to probe a device that `device_del()`
    // has killed (654888327e9f): drvsim checks it, for the tests.
    if dev.is_deleted() {
        dev_err!(
            dev.as_dev(),
            "drvsim: probe of a device device_del() killed\n"
        );
        return ENODEV.to_errno();
    }
    // Match again: `driver_override` may have changed since the core
    // matched, and the id entry is needed anyway.
    // SAFETY: the driver core passed `drv` to probe.
    let Some(id) = (unsafe { match_device(dev, drv) }) else {
        return ENODEV.to_errno();
    };
    let Some(probe) = drv.probe else {
        return ENODEV.to_errno();
    };
    pause::at(Point::Probe);
    dev.set_probing(Task::current_raw());
    // SAFETY: the driver's probe contract: a device being bound, with its
    // lock held, and an entry of its own id table or NULL.
    let r = unsafe { probe(dev.as_raw(), id.map_or(ptr::null(), ptr::from_ref)) };
    dev.set_probing(ptr::null_mut());
    r
}

extern "C" fn bus_remove(dev: *mut bindings::device) {
    // SAFETY: `dev` is bound to a drvsim driver, and the device lock is
    // held, so the driver stays registered.
    let drv = unsafe { ids::to_driver((*dev).driver) };
    if let Some(remove) = drv.remove {
        // SAFETY: the driver's remove contract: a device bound to it, whose
        // lock is held.
        unsafe { remove(dev) };
    }
}

/// `device_shutdown()` (reboot, power-off) calls this for every device
/// of the bus, bound or not, holding its lock (and its parent's), as
/// `platform_shutdown()` is called: the bound driver's shutdown, if any.
extern "C" fn bus_shutdown(dev: *mut bindings::device) {
    // SAFETY: the driver core calls shutdown with a live device, holding
    // its lock, so `driver` cannot change under us.
    let drv = unsafe { (*dev).driver };
    if drv.is_null() {
        return;
    }
    // SAFETY: a device's driver is a drvsim driver, registered while the
    // device lock keeps the device bound to it.
    let drv = unsafe { ids::to_driver(drv) };
    if let Some(shutdown) = drv.shutdown {
        // SAFETY: the driver's shutdown contract: a device bound to it,
        // whose lock is held.
        unsafe { shutdown(dev) };
    }
}

/// The action of the uevent being built in `env` (`b"add"`, ...): from its
/// first variable, `ACTION=`, which `kobject_uevent_env()` adds before it
/// calls the bus. `None` for a `uevent` file's read (no `ACTION=`) and for
/// a synthetic uevent, one written to a `uevent` file (`SYNTH_UUID=`).
///
/// # Safety
///
/// `env` must be the environment the driver core passed to the bus's
/// uevent callback, and the result not outlive the callback.
unsafe fn uevent_action<'a>(env: *const bindings::kobj_uevent_env) -> Option<&'a [u8]> {
    // SAFETY: the driver core's `env` (safety requirement): its first
    // `envp_idx` entries are NUL-terminated strings that live until the
    // callback returns.
    let (envp, n) = unsafe { (&(*env).envp, (*env).envp_idx) };
    let vars = &envp[..(n.max(0) as usize).min(envp.len())];
    let mut strings = vars
        .iter()
        .filter(|v| !v.is_null())
        // SAFETY: as above.
        .map(|&v| unsafe { CStr::from_char_ptr(v) }.to_bytes());
    let action = strings.next()?.strip_prefix(b"ACTION=")?;
    if strings.any(|v| v.starts_with(b"SYNTH_UUID=")) {
        return None;
    }
    Some(action)
}

extern "C" fn bus_uevent(
    dev: *const bindings::device,
    env: *mut bindings::kobj_uevent_env,
) -> c_int {
    // SAFETY: the driver core passes a live drvsim device.
    let dev = unsafe { DrvsimDevice::from_raw(dev) };
    // SAFETY: the driver core passed `env` to this callback.
    match unsafe { uevent_action(env) } {
        // Inside `device_add()`: `create()` has not returned yet.
        Some(b"add") if !dev.is_added() => pause::at(Point::UeventAdd),
        // Inside `device_del()`, which drvsim calls only once removal has
        // started; after its `kill_device()`.
        Some(b"remove") if dev.is_removing() => {
            dev.set_deleted();
            pause::at(Point::UeventRemove);
        }
        _ => {}
    }
    // SAFETY: one C string argument for one `%s`.
    unsafe {
        bindings::add_uevent_var(
            env,
            c"MODALIAS=drvsim:%s".as_char_ptr(),
            dev.type_.as_cstr().as_char_ptr(),
        )
    }
}

/// A drvsim bus named `name`: both buses run the same callbacks and
/// attributes.
#[expect(clippy::disallowed_methods, reason = "`as_char_ptr()` is not `const`")]
const fn bus_type(name: &'static CStr) -> bindings::bus_type {
    // SAFETY: `struct bus_type` is plain C data; all-zero leaves every
    // optional callback unset.
    let mut b: bindings::bus_type = unsafe { core::mem::zeroed() };
    b.name = name.as_ptr().cast();
    b.bus_groups = BUS_GROUPS.get().cast();
    b.dev_groups = DEV_GROUPS.get().cast();
    b.match_ = Some(bus_match);
    b.probe = Some(bus_probe);
    b.remove = Some(bus_remove);
    b.shutdown = Some(bus_shutdown);
    b.uevent = Some(bus_uevent);
    // The driver core provides the `driver_override` attribute.
    b.driver_override = true;
    b
}

/// The `drvsim` bus.
static BUS: Static<bindings::bus_type> = Static::new(bus_type(c"drvsim"));

/// The second bus, `drvsim1`: the same code, its own devices and drivers,
/// for drivers on one bus that serve devices of the other
/// (`Documentation/drvsim.rst`, "The second bus").
static BUS1: Static<bindings::bus_type> = Static::new(bus_type(c"drvsim1"));

/// Both buses, by `abi::Bus::index()`.
const BUSES: [&Static<bindings::bus_type>; 2] = [&BUS, &BUS1];

/// `ENOMEM` if `fail_init_step` asks init to fail after `step`.
fn injected_init_failure(step: u32) -> Result {
    if crate::module_parameters::fail_init_step.value() == step {
        return Err(ENOMEM);
    }
    Ok(())
}

/// Registers the buses in four steps (the registry and the debugfs knobs,
/// the root device, the bus `drvsim`, the bus `drvsim1`); a failure undoes
/// every step done, so that a failed `insmod` leaves nothing behind.
pub(crate) fn register() -> Result {
    // SAFETY: called once, from module init, before anything can lock it.
    unsafe { RESCAN_REMOVE.init() };
    registration::init();
    pause::init(registration::debugfs_dir());
    names::debugfs_init(registration::debugfs_dir());
    if let Err(e) = injected_init_failure(1) {
        registration::exit();
        return Err(e);
    }
    // SAFETY: once, from module init, before the buses are registered.
    if let Err(e) = unsafe { names::init(BUSES) }.and_then(|()| injected_init_failure(2)) {
        names::exit();
        registration::exit();
        return Err(e);
    }
    let mut registered = 0;
    let mut r = Ok(());
    for ((step, bus), which) in (3..).zip(BUSES).zip(Bus::ALL) {
        // SAFETY: `bus` is not registered yet, so nothing else reads it.
        // With the legacy override, the devices' `driver_override`
        // attribute is drvsim's (`bus_attrs.rs`), not the driver core's.
        unsafe { (*bus.get()).driver_override = !crate::legacy_override::enabled() };
        // SAFETY: `bus` is a static, fully initialised `bus_type`.
        r = to_result(unsafe { bindings::bus_register(bus.get()) });
        if r.is_ok() {
            registered += 1;
            names::set_registered(which, true);
        }
        r = r.and_then(|()| injected_init_failure(step));
        if r.is_err() {
            break;
        }
    }
    if let Err(e) = r {
        for (bus, which) in BUSES[..registered].iter().zip(Bus::ALL).rev() {
            names::set_registered(which, false);
            // SAFETY: registered just above, with no device or driver yet.
            unsafe { bindings::bus_unregister(bus.get()) };
        }
        names::exit();
        registration::exit();
        return Err(e);
    }
    Ok(())
}

/// Unregisters both buses, the second first, then the namespace and the
/// registry; once no device is left.
fn unregister_buses() {
    for (bus, which) in BUSES.iter().zip(Bus::ALL).rev() {
        names::set_registered(which, false);
        // SAFETY: registered in `register()`; the bus's list is empty.
        unsafe { bindings::bus_unregister(bus.get()) };
    }
    names::exit();
    registration::exit();
}

/// `legacy_unload_poll`: the exit of before the hardening issue. It polls
/// until no name is busy and the buses' lists are empty, then unregisters,
/// waiting for nobody else: a `remove` writer past its own attribute (or
/// held at a pause point, which this exit does not release) then runs on in
/// freed module code.
fn unregister_polling() {
    names::close();
    loop {
        let busy = names::any_busy();
        match DrvsimDevice::find(None) {
            None if !busy => break,
            Some(d) if lifecycle::remove(&d).is_ok() => continue,
            _ => {
                // SAFETY: process context.
                unsafe { bindings::msleep(10) };
            }
        }
    }
    unregister_buses();
}

/// Removes one device for [`unregister`], through `bus_for_each_dev()`.
extern "C" fn remove_at_exit(dev: *mut bindings::device, _data: *mut c_void) -> c_int {
    // SAFETY: the driver core passes a device of this bus, pinned by its
    // iterator.
    let dev = unsafe { DrvsimDevice::from_raw(dev) };
    // `ENOENT`: someone else is removing it, or still adding it (and will
    // remove it, seeing the bus closed); either way it is not ours.
    let _ = lifecycle::remove(dev);
    0
}

/// Removes every device of both buses, waits until every device is
/// released and every writer that outlives its attribute has returned,
/// then unregisters the buses. Drivers are gone by now: their modules
/// depend on this one.
pub(crate) fn unregister() {
    if crate::module_parameters::legacy_unload_poll.value() {
        return unregister_polling();
    }
    names::close();
    // Nothing stops at a pause point any more, not even this exit's own
    // removals, and held tasks go on: the wait below waits for them.
    pause::release_all();
    // The iterator pins the device it is at, and skips the ones deleted
    // meanwhile (a PF's VFs); every device added before `close()` is
    // on the list or being removed.
    // A device of one bus never removes one of the other (a PF's VFs
    // are on its own bus), so one walk per bus finds them all.
    for bus in BUSES {
        // SAFETY: the bus is registered; `remove_at_exit` takes no data.
        unsafe {
            bindings::bus_for_each_dev(
                bus.get(),
                ptr::null_mut(),
                ptr::null_mut(),
                Some(remove_at_exit),
            )
        };
    }
    names::wait_until_gone();
    unregister_buses();
}
