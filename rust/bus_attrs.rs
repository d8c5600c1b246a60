// SPDX-License-Identifier: GPL-2.0

//! The sysfs interface of the buses (`new_device`, `del_device`, `rescan`,
//! `hot_unplug`, `link`, the same on `drvsim` and `drvsim1`, each acting
//! on its own bus's devices) and of every device (`type`, `modalias`, `remove`,
//! `irq`, `fire_irq`, `legacy_driver_override`'s `driver_override`; the
//! SR-IOV attributes are `sriov.rs`'s). Syntax and errnos are in
//! `Documentation/sysfs.rst`.

use crate::{
    abi::Bus,
    device::{
        DevRef,
        DrvsimDevice,
        Spec, //
    },
    device_lock::DeviceLock,
    lifecycle,
    names,
    parse::{
        self,
        LinkFlags,
        Name,
        NewDevice,
        NewLink, //
    },
    pause::{
        self,
        Point, //
    },
    rescan_remove,
    sriov,
    sysfs::{
        self,
        ShowBuf,
        Static, //
    }, //
};
use core::ptr;
use kernel::{
    bindings,
    ffi::{
        c_char,
        c_int, //
    },
    prelude::*, //
};

/// Which drvsim bus the driver core called a bus attribute of.
fn bus_of_attr(bus: *const bindings::bus_type) -> Result<Bus> {
    names::bus_of(bus).ok_or(ENODEV)
}

/// `new_device`: `<name> [type=<type>] [totalvfs=<n>] [regions=<n>]
/// [early_probe=<0|1>] [supplier=<name>]`, a device on `bus`. Names are unique across both
/// buses: a name the other bus has is `EEXIST`.
fn new_device(input: &[u8], bus: Bus) -> Result {
    let req = NewDevice::parse(input)?;
    let _legacy = rescan_remove::legacy_lock();
    lifecycle::add_device(Spec::new(&req, bus))?.attach();
    Ok(())
}

/// The device of `bus` a `del_device` or `hot_unplug` write names; a
/// device of the other bus is `ENOENT`, as no device.
fn named_device(input: &[u8], bus: Bus) -> Result<DevRef> {
    let name = Name::parse(parse::chomp(input))?;
    DrvsimDevice::find(Some(name.as_cstr()))
        .filter(|d| d.bus() == bus)
        .ok_or(ENOENT)
}

/// `rescan`: as PCI's, a number (`kstrtoul()`, any base) that is not 0
/// re-probes every unbound device, `0` does nothing; anything else,
/// including a number beyond 64 bits, is `EINVAL`, as PCI maps every
/// `kstrtoul()` failure.
///
/// The devices are listed under the rescan/remove lock and probed after it is
/// dropped: a probe that blocks must not stop devices coming and going.
fn rescan(n: Result<u64>, bus: Bus) -> Result {
    let _legacy = rescan_remove::legacy_lock();
    if n.map_err(|_| EINVAL)? == 0 {
        return Ok(());
    }
    unbound_devices(bus).map(|devs| devs.iter().for_each(|d| d.reprobe()))
}

/// Every device of `bus` without a driver, listed under the rescan/remove
/// lock, each once: devices are deleted without that lock, and the walk
/// goes on past a device deleted under it (see [`DrvsimDevice::for_each`]).
fn unbound_devices(bus: Bus) -> Result<KVec<DevRef>> {
    let _rr = rescan_remove::lock();
    let mut devs = KVec::new();
    DrvsimDevice::for_each(bus, |d| {
        // A device bound meanwhile is skipped by the driver core's attach.
        if !d.is_bound() {
            devs.push(DevRef::from(d), GFP_KERNEL)?;
        }
        Ok(())
    })?;
    Ok(devs)
}

// `DL_FLAG_*` are `BIT()` macros, which bindgen does not translate;
// rust/exports.c checks these values against them at build time.
/// `DL_FLAG_STATELESS`.
const DL_FLAG_STATELESS: u32 = 1 << 0;
/// `DL_FLAG_AUTOREMOVE_CONSUMER`.
const DL_FLAG_AUTOREMOVE_CONSUMER: u32 = 1 << 1;
/// `DL_FLAG_AUTOREMOVE_SUPPLIER`.
const DL_FLAG_AUTOREMOVE_SUPPLIER: u32 = 1 << 4;
/// `DL_FLAG_AUTOPROBE_CONSUMER`.
const DL_FLAG_AUTOPROBE_CONSUMER: u32 = 1 << 5;

/// The `device_link_add()` flags of a `link` write.
fn dl_flags(f: LinkFlags) -> u32 {
    [
        (f.stateless, DL_FLAG_STATELESS),
        (f.autoremove_consumer, DL_FLAG_AUTOREMOVE_CONSUMER),
        (f.autoremove_supplier, DL_FLAG_AUTOREMOVE_SUPPLIER),
        (f.autoprobe_consumer, DL_FLAG_AUTOPROBE_CONSUMER),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .fold(0, |flags, (_, bit)| flags | bit)
}

/// `link`: `<consumer> <supplier> [<flag>...]` adds a device link with
/// `device_link_add()`, as a consumer driver's probe would, or the
/// firmware's dependencies do. Either device may be on either bus.
///
/// The consumer's device lock is held across the addition, so that the
/// consumer is not in the middle of a probe: a link that appears between
/// the probe's check of its suppliers and its end is one the driver core
/// cannot account for (it warns when the probe succeeds). The rescan/remove
/// lock is held too, so that neither device can start its removal
/// meanwhile: a device being removed gets `ENOENT`, and one whose removal
/// starts later purges the link in `device_del()` (a link added after that
/// purge would pin both devices for ever). The only device lock taken
/// under it is that of the link's own device, new and unseen, in its
/// `device_add()`.
fn link(input: &[u8]) -> Result {
    let req = NewLink::parse(input)?;
    let consumer = DrvsimDevice::find(Some(req.consumer.as_cstr())).ok_or(ENOENT)?;
    let supplier = DrvsimDevice::find(Some(req.supplier.as_cstr())).ok_or(ENOENT)?;
    let _legacy = rescan_remove::legacy_lock();
    let _lock = DeviceLock::new(consumer.as_dev());
    let _rr = rescan_remove::lock();
    let removable = |d: &DrvsimDevice| d.is_added() && !d.is_removing();
    if !removable(&consumer) || !removable(&supplier) {
        return Err(ENOENT);
    }
    // SAFETY: both devices are registered (added, not being removed, which
    // the locks held keep so) and pinned by our references; the flags are a
    // combination `NewLink::parse()` accepted.
    let link = unsafe {
        bindings::device_link_add(consumer.as_raw(), supplier.as_raw(), dl_flags(req.flags))
    };
    // A refusal: the supplier depends on the consumer already (a link
    // the other way round), or no memory for the link.
    if link.is_null() {
        return Err(EINVAL);
    }
    Ok(())
}

extern "C" fn new_device_store(
    bus: *const bindings::bus_type,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received.
    let input = unsafe { sysfs::input(buf, count) };
    sysfs::store_result(bus_of_attr(bus).and_then(|b| new_device(input, b)), count)
}

extern "C" fn link_store(
    _bus: *const bindings::bus_type,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received.
    sysfs::store_result(link(unsafe { sysfs::input(buf, count) }), count)
}

/// `del_device`: `<name>`.
extern "C" fn del_device_store(
    bus: *const bindings::bus_type,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received.
    let input = unsafe { sysfs::input(buf, count) };
    let dev = bus_of_attr(bus).and_then(|b| named_device(input, b));
    sysfs::store_result(dev.and_then(|d| lifecycle::remove(&d)), count)
}

extern "C" fn rescan_store(
    bus: *const bindings::bus_type,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received, NUL-terminated.
    let n = unsafe { sysfs::kstrtoull(buf) };
    sysfs::store_result(bus_of_attr(bus).and_then(|b| rescan(n, b)), count)
}

/// `hot_unplug`: `<name>`; a surprise removal, as a hotplug controller
/// reports it: the device (and a PF's VFs) is gone before its driver is
/// told, then it is removed like `del_device`. PCI's hotplug handlers take
/// the rescan/remove lock before releasing drivers, which deadlocks
/// against a PF driver's unbind disabling SR-IOV (the limitation the patch
/// leaves open); this path takes it only for bookkeeping, like `remove`
/// (unless `hot_unplug_takes_rescan_remove` restores PCI's order).
extern "C" fn hot_unplug_store(
    bus: *const bindings::bus_type,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received.
    let input = unsafe { sysfs::input(buf, count) };
    let dev = bus_of_attr(bus).and_then(|b| named_device(input, b));
    sysfs::store_result(dev.and_then(|d| lifecycle::remove_surprise(&d)), count)
}

extern "C" fn type_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // its page buffer.
    let (dev, out) = unsafe { (DrvsimDevice::from_raw(dev), ShowBuf::new(buf)) };
    out.emit(&[dev.type_.as_bytes()])
}

extern "C" fn modalias_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // its page buffer.
    let (dev, out) = unsafe { (DrvsimDevice::from_raw(dev), ShowBuf::new(buf)) };
    out.emit(&[b"drvsim:", dev.type_.as_bytes()])
}

/// `irq`: the Linux irq number of the device's simulated interrupt line,
/// which this creates if nothing used it yet.
extern "C" fn irq_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // its page buffer.
    let (dev, out) = unsafe { (DrvsimDevice::from_raw(dev), ShowBuf::new(buf)) };
    match dev.irq.virq() {
        Ok(virq) => out.emit_fmt(format_args!("{virq}\n")),
        Err(e) => e.to_errno() as isize,
    }
}

/// `fire_irq`: `<n>` raises the device's interrupt line n times, each
/// once the previous one was taken.
extern "C" fn fire_irq_store(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // its NUL-terminated input.
    let (dev, n) = unsafe { (DrvsimDevice::from_raw(dev), sysfs::kstrtoull(buf)) };
    // Out of `u64` is out of range too.
    let n = n.map_err(|_| EINVAL);
    sysfs::store_result(n.and_then(|n| dev.irq.fire(n)), count)
}

/// `remove`: writing `1` removes the device, as PCI's `remove` does.
extern "C" fn remove_store(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received.
    if parse::chomp(unsafe { sysfs::input(buf, count) }) != b"1" {
        return EINVAL.to_errno() as isize;
    }
    // Once our attribute is gone, kernfs no longer holds off module
    // unload for this writer: the hold does, until we return.
    let _hold = names::Hold::new();
    // Hold a reference: removing our own attribute ends sysfs's protection.
    // SAFETY: sysfs keeps `dev`, a drvsim device, alive until we return or
    // remove the file.
    let this = DevRef::from(unsafe { DrvsimDevice::from_raw(dev) });
    // Still inside `device_add()`: not removable yet.
    if !this.is_added() {
        return ENOENT.to_errno() as isize;
    }
    // SAFETY: `attr` is this very attribute of `dev`. It returns false when a
    // concurrent writer removed it first; that one does the removal.
    if !unsafe { bindings::device_remove_file_self(dev, attr) } {
        return count as isize;
    }
    pause::at(Point::RemoveSelf);
    let r = lifecycle::remove(&this).or_else(|e| if e == ENOENT { Ok(()) } else { Err(e) });
    sysfs::store_result(r, count)
}

/// `driver_override` with `legacy_driver_override` (the driver core's own
/// attribute otherwise): the bus-private string, shown and stored under
/// the device lock as the platform and PCI buses did from 2017 on.
extern "C" fn legacy_override_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // its page buffer.
    let (dev, out) = unsafe { (DrvsimDevice::from_raw(dev), ShowBuf::new(buf)) };
    let _lock = DeviceLock::new(dev.as_dev());
    dev.legacy_override.show(out)
}

extern "C" fn legacy_override_store(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // the input it received.
    let (dev, input) = unsafe { (DrvsimDevice::from_raw(dev), sysfs::input(buf, count)) };
    let _lock = DeviceLock::new(dev.as_dev());
    sysfs::store_result(dev.legacy_override.set(input), count)
}

static BUS_ATTR_NEW_DEVICE: Static<bindings::bus_attribute> =
    Static::new(sysfs::bus_attr_wo(c"new_device", new_device_store));
static BUS_ATTR_DEL_DEVICE: Static<bindings::bus_attribute> =
    Static::new(sysfs::bus_attr_wo(c"del_device", del_device_store));
static BUS_ATTR_RESCAN: Static<bindings::bus_attribute> =
    Static::new(sysfs::bus_attr_wo(c"rescan", rescan_store));
static BUS_ATTR_HOT_UNPLUG: Static<bindings::bus_attribute> =
    Static::new(sysfs::bus_attr_wo(c"hot_unplug", hot_unplug_store));
static BUS_ATTR_LINK: Static<bindings::bus_attribute> =
    Static::new(sysfs::bus_attr_wo(c"link", link_store));
static BUS_ATTRS: Static<[*mut bindings::attribute; 6]> = Static::new([
    BUS_ATTR_NEW_DEVICE.get().cast(),
    BUS_ATTR_DEL_DEVICE.get().cast(),
    BUS_ATTR_RESCAN.get().cast(),
    BUS_ATTR_HOT_UNPLUG.get().cast(),
    BUS_ATTR_LINK.get().cast(),
    ptr::null_mut(),
]);
static BUS_GROUP: Static<bindings::attribute_group> =
    Static::new(sysfs::group(BUS_ATTRS.get().cast()));
/// The buses' attribute groups (`bus_type.bus_groups`), shared: each
/// store finds its bus from the `bus_type` the driver core passes.
pub(crate) static BUS_GROUPS: Static<[*const bindings::attribute_group; 2]> =
    Static::new([BUS_GROUP.get().cast_const(), ptr::null()]);

static DEV_ATTR_TYPE: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"type", Some(type_show), None));
static DEV_ATTR_MODALIAS: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"modalias", Some(modalias_show), None));
static DEV_ATTR_REMOVE: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"remove", None, Some(remove_store)));
static DEV_ATTR_IRQ: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"irq", Some(irq_show), None));
static DEV_ATTR_FIRE_IRQ: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"fire_irq", None, Some(fire_irq_store)));
static DEV_ATTRS: Static<[*mut bindings::attribute; 6]> = Static::new([
    DEV_ATTR_TYPE.get().cast(),
    DEV_ATTR_MODALIAS.get().cast(),
    DEV_ATTR_REMOVE.get().cast(),
    DEV_ATTR_IRQ.get().cast(),
    DEV_ATTR_FIRE_IRQ.get().cast(),
    ptr::null_mut(),
]);
static DEV_GROUP: Static<bindings::attribute_group> =
    Static::new(sysfs::group(DEV_ATTRS.get().cast()));

static DEV_ATTR_LEGACY_OVERRIDE: Static<bindings::device_attribute> = Static::new(sysfs::dev_attr(
    c"driver_override",
    Some(legacy_override_show),
    Some(legacy_override_store),
));
static LEGACY_OVERRIDE_ATTRS: Static<[*mut bindings::attribute; 2]> =
    Static::new([DEV_ATTR_LEGACY_OVERRIDE.get().cast(), ptr::null_mut()]);

/// Only with `legacy_driver_override`.
extern "C" fn legacy_override_visible(
    _kobj: *mut bindings::kobject,
    attr: *mut bindings::attribute,
    _n: c_int,
) -> u16 {
    if crate::legacy_override::enabled() {
        // SAFETY: sysfs passes one of the group's attributes.
        unsafe { (*attr).mode }
    } else {
        0
    }
}

static LEGACY_OVERRIDE_GROUP: Static<bindings::attribute_group> = Static::new({
    let mut g = sysfs::group(LEGACY_OVERRIDE_ATTRS.get().cast());
    g.__bindgen_anon_1.is_visible = Some(legacy_override_visible);
    g
});

/// The attribute groups of every drvsim device (`bus_type.dev_groups`).
pub(crate) static DEV_GROUPS: Static<[*const bindings::attribute_group; 4]> = Static::new([
    DEV_GROUP.get().cast_const(),
    sriov::PF_GROUP.get().cast_const(),
    LEGACY_OVERRIDE_GROUP.get().cast_const(),
    ptr::null(),
]);

#[kunit_tests(drvsim_bus_attrs)]
mod tests {
    use super::*;

    /// The walk that `rescan` lists devices with visits every device once,
    /// also when the device it stands on is deleted under it (by a
    /// `del_device` racing with `rescan`): it goes on after that device
    /// instead of starting again from the head of the bus's list, which
    /// would list (and reprobe) the devices before it twice.
    #[test]
    fn walk_survives_deleting_the_device_it_stands_on() {
        let names = [&b"kunit-walk0"[..], b"kunit-walk1", b"kunit-walk2"].map(Name::parse);
        let devs = names.map(|name| {
            lifecycle::add_device(Spec {
                name: name?,
                type_: Name::parse(b"kunit")?,
                totalvfs: 0,
                regions: 0,
                physfn: None,
                early_probe: false,
                supplier: None,
                bus: Bus::Drvsim,
            })
        });
        let mut seen = [0u32; 3];
        let walked = DrvsimDevice::for_each(Bus::Drvsim, |d| {
            if let Some(i) = names.iter().position(|n| n.as_ref().ok() == Some(&d.name)) {
                seen[i] += 1;
                if i == 1 && seen[i] == 1 {
                    let _ = lifecycle::remove(d);
                }
            }
            Ok(())
        });
        // Clean up before asserting: a failed assertion runs no destructor.
        for d in devs.iter().flatten() {
            let _ = lifecycle::remove(d);
        }
        assert!(devs.iter().all(|d| d.is_ok()));
        assert_eq!(walked, Ok(()));
        assert_eq!(seen, [1, 1, 1]);
    }
}
