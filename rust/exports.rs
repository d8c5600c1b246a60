// SPDX-License-Identifier: GPL-2.0

//! Every function `drvsim.ko` exports to driver modules (`exports.c` holds
//! their `EXPORT_SYMBOL_GPL()`s; `driver.rs` and `region_io.rs` their
//! callers). Each turns its raw pointers into typed references once and
//! hands them on; errors become negative errnos.
//!
//! The functions that take a `struct device *` first check that it is a
//! drvsim device (on either drvsim bus, [`DrvsimDevice::from_any`]): a NULL
//! pointer or another bus's device, a driver module's mistake, gets
//! `NULL`, `false`, 0 or `-EINVAL` as each documents (`drvsim_sriov_disable()`
//! does nothing), instead of being taken for the `DrvsimDevice` around it.

use crate::{
    abi::DriverRaw,
    device::DrvsimDevice,
    lifecycle,
    names,
    pause::{
        self,
        Point, //
    },
    registration, //
};
use core::ptr;
use kernel::{
    bindings,
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    prelude::*, //
};

/// 0, or the negative errno of `r`.
fn errno(r: Result) -> c_int {
    r.map_or_else(|e| e.to_errno(), |()| 0)
}

/// Registers a driver on the drvsim bus `drv.bus` names, in the steps of
/// `registration::register()`; on failure nothing of the registration is
/// left, dynamic ids written meanwhile included.
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
    // SAFETY: `drv` is valid, and nothing else uses it yet (safety
    // requirements).
    let drv = unsafe { &*drv };
    let raw = drv.as_raw();
    // SAFETY: the driver core does not know `drv` yet; `name` and `owner`
    // outlive it.
    unsafe {
        (*raw).name = name;
        (*raw).mod_name = name;
        (*raw).owner = owner.cast();
        (*raw).bus = names::bus(drv.bus);
    }
    // SAFETY: `drv` is ready and stays pinned until unregistered.
    errno(unsafe { registration::register(drv) })
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
    // SAFETY: `drv` is a driver that `drvsim_driver_register()`
    // registered and nobody unregistered yet (safety requirement).
    unsafe { registration::unregister(&*drv) }
}

/// The type of a drvsim device, NUL-terminated; NULL if `dev` is not a
/// drvsim device.
///
/// # Safety
///
/// `dev` must be NULL or a live device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_device_type(dev: *const bindings::device) -> *const c_char {
    // SAFETY: NULL or a live device (safety requirement).
    let dev = unsafe { DrvsimDevice::from_any(dev) };
    dev.map_or(ptr::null(), |d| d.type_.as_cstr().as_char_ptr())
}

/// Whether a drvsim device is still present, i.e. not surprise-removed;
/// `false` if `dev` is not a drvsim device.
///
/// # Safety
///
/// `dev` must be NULL or a live device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_device_is_present(dev: *const bindings::device) -> bool {
    // SAFETY: NULL or a live device (safety requirement).
    unsafe { DrvsimDevice::from_any(dev) }.is_some_and(|d| d.is_present())
}

/// Enables `num_vfs` VFs on the PF `dev`, like `pci_enable_sriov()`; 0 or
/// a negative errno, `-EINVAL` if `dev` is not a drvsim device.
///
/// # Safety
///
/// `dev` must be NULL or a live device; a drvsim device must be bound to
/// the calling driver.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_sriov_enable(
    dev: *mut bindings::device,
    num_vfs: c_int,
) -> c_int {
    // SAFETY: NULL or a live device (safety requirement).
    let pf = unsafe { DrvsimDevice::from_any(dev) }.ok_or(EINVAL);
    let n = u32::try_from(num_vfs).map_err(|_| EINVAL);
    errno(pf.and_then(|pf| lifecycle::enable_vfs(pf, n?)))
}

/// Disables SR-IOV on the PF `dev`, removing its VFs, like
/// `pci_disable_sriov()`; does nothing if `dev` is not a drvsim device.
///
/// # Safety
///
/// `dev` must be NULL or a live device; a drvsim device must be bound to
/// the calling driver.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_sriov_disable(dev: *mut bindings::device) {
    // SAFETY: NULL or a live device (safety requirement).
    if let Some(pf) = unsafe { DrvsimDevice::from_any(dev) } {
        lifecycle::remove_vfs(pf);
    }
}

/// The number of enabled VFs of `dev`; 0 if `dev` is not a drvsim device.
///
/// # Safety
///
/// `dev` must be NULL or a live device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_sriov_num_vfs(dev: *const bindings::device) -> c_int {
    // SAFETY: NULL or a live device (safety requirement).
    let n = unsafe { DrvsimDevice::from_any(dev) }.map_or(0, |d| d.sriov.num_vfs());
    // `parse` caps `totalvfs` far below `c_int::MAX`.
    n as c_int
}

/// Reads register `offset` of region `index` of `dev` into `*value`: 0,
/// `-EINVAL` for a bad region or offset or if `dev` is not a drvsim
/// device, or `-ENXIO` once the device was surprise-removed.
///
/// # Safety
///
/// `dev` must be NULL or a live device, and `value` valid for a write.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_region_read32(
    dev: *const bindings::device,
    index: u32,
    offset: u32,
    value: *mut u32,
) -> c_int {
    // SAFETY: NULL or a live device (safety requirement).
    let dev = unsafe { DrvsimDevice::from_any(dev) }.ok_or(EINVAL);
    errno(
        dev.and_then(|d| d.region(index))
            .and_then(|r| r.read32(offset as usize))
            .map(|v| {
                // SAFETY: `value` is valid for a write (safety requirement).
                unsafe { value.write(v) }
            }),
    )
}

/// Writes `value` to register `offset` of region `index` of `dev`: 0,
/// `-EINVAL` (as for [`drvsim_region_read32`]), `-EPERM` for a read-only
/// register, or `-ENXIO` once the device was surprise-removed.
///
/// # Safety
///
/// `dev` must be NULL or a live device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_region_write32(
    dev: *const bindings::device,
    index: u32,
    offset: u32,
    value: u32,
) -> c_int {
    // SAFETY: NULL or a live device (safety requirement).
    let dev = unsafe { DrvsimDevice::from_any(dev) }.ok_or(EINVAL);
    errno(
        dev.and_then(|d| d.region(index))
            .and_then(|r| r.write32(offset as usize, value)),
    )
}

/// Stops at the `register_window` pause point if it is armed (for
/// `drvsim_pair`, between its two registrations).
#[no_mangle]
pub(crate) extern "C" fn drvsim_pause_register_window() {
    pause::at(Point::RegisterWindow);
}

/// Stops at the `revoke` pause point if it is armed (for `DevresSet`,
/// which the driver modules compile in).
#[no_mangle]
pub(crate) extern "C" fn drvsim_pause_revoke() {
    pause::at(Point::Revoke);
}

/// Whether `legacy_devres_set_unlock` is set (for `DevresSet`, which the
/// driver modules compile in).
#[no_mangle]
pub(crate) extern "C" fn drvsim_legacy_devres_set_unlock() -> bool {
    crate::module_parameters::legacy_devres_set_unlock.value()
}

/// Stops at the `sample_exit` pause point if it is armed (for
/// `drvsim_faulty`'s module exit).
#[no_mangle]
pub(crate) extern "C" fn drvsim_pause_sample_exit() {
    pause::at(Point::SampleExit);
}

/// Stops at the `unbind_devres` pause point if it is armed: a devres
/// action (`devm_add_action()`), which `drvsim_irq` registers last in its
/// probe, so that it runs first in the unbind's `devres_release_all()`.
#[no_mangle]
pub(crate) extern "C" fn drvsim_pause_unbind_devres(_unused: *mut c_void) {
    pause::at(Point::UnbindDevres);
}

/// The Linux irq number of `dev`'s simulated interrupt line, created on
/// first use; `-ENXIO` if `dev` is not a drvsim device, or the line's
/// errno (`SimIrq::virq()`).
///
/// # Safety
///
/// `dev` must be NULL or a live device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_device_irq(dev: *const bindings::device) -> c_int {
    // SAFETY: NULL or a live device (safety requirement).
    let dev = unsafe { DrvsimDevice::from_any(dev) };
    match dev.ok_or(ENXIO).and_then(|d| d.irq.virq()) {
        // An irq number fits: the kernel's are below `NR_IRQS` plus a few
        // thousand.
        Ok(virq) => virq as c_int,
        Err(e) => e.to_errno(),
    }
}

/// The number of regions of `dev`; 0 if `dev` is not a drvsim device.
///
/// # Safety
///
/// `dev` must be NULL or a live device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_device_regions(dev: *const bindings::device) -> u32 {
    // SAFETY: NULL or a live device (safety requirement).
    let dev = unsafe { DrvsimDevice::from_any(dev) };
    // `parse` caps `regions` at `REGIONS_MAX`.
    dev.map_or(0, |d| d.regions.len() as u32)
}

#[kunit_tests(drvsim_exports)]
mod tests {
    use super::*;
    use crate::{
        abi::Bus,
        device::Spec,
        parse::Name, //
    };

    /// The exports serve a drvsim device, and refuse NULL and a device of
    /// no bus, the root device `/sys/devices/drvsim`, instead of taking it
    /// for a `DrvsimDevice` (whose fields would lie past the end of the
    /// root device's allocation).
    #[test]
    fn exports_check_the_bus() {
        let dev = Name::parse(b"kunit-exports").and_then(|name| {
            lifecycle::add_device(Spec {
                name,
                type_: Name::parse(b"kunit")?,
                totalvfs: 0,
                regions: 1,
                physfn: None,
                early_probe: false,
                supplier: None,
                bus: Bus::Drvsim,
            })
        });
        let mut value = 0;
        let ours = dev.as_ref().map(|d| {
            let d = d.as_raw();
            // SAFETY: a live drvsim device; `value` is valid for a write.
            unsafe {
                let type_ = CStr::from_char_ptr(drvsim_device_type(d));
                (
                    type_.to_bytes() == b"kunit",
                    drvsim_device_regions(d),
                    drvsim_region_read32(d, 0, 0, &mut value),
                )
            }
        });
        let theirs = [ptr::null_mut(), names::root()].map(|d| {
            // SAFETY: NULL or the root device, which lives as long as the
            // bus; `value` is valid for a write.
            unsafe {
                drvsim_sriov_disable(d);
                (
                    drvsim_device_type(d).is_null(),
                    drvsim_device_is_present(d),
                    drvsim_sriov_enable(d, 1),
                    drvsim_sriov_num_vfs(d),
                    drvsim_region_read32(d, 0, 0, &mut value),
                    drvsim_region_write32(d, 0, 4, 1),
                    drvsim_device_regions(d),
                )
            }
        });
        // Clean up before asserting: a failed assertion runs no destructor.
        if let Ok(d) = &dev {
            let _ = lifecycle::remove(d);
        }
        let einval = EINVAL.to_errno();
        assert_eq!(ours.ok(), Some((true, 1, 0)));
        assert_eq!(theirs, [(true, false, einval, 0, einval, einval, 0); 2]);
    }

    /// A device of the second bus is a drvsim device for the exports too,
    /// and its name is taken on both buses.
    #[test]
    fn exports_serve_the_second_bus() {
        let spec = |bus| {
            Ok(Spec {
                name: Name::parse(b"kunit-exports1")?,
                type_: Name::parse(b"kunit")?,
                totalvfs: 0,
                regions: 1,
                physfn: None,
                early_probe: false,
                supplier: None,
                bus,
            })
        };
        let dev = spec(Bus::Drvsim1).and_then(lifecycle::add_device);
        let twin = spec(Bus::Drvsim).and_then(lifecycle::add_device);
        let ours = dev.as_ref().map(|d| {
            let raw = d.as_raw();
            // SAFETY: a live drvsim device.
            let typed = unsafe { !drvsim_device_type(raw).is_null() };
            // SAFETY: as above.
            (d.bus() == Bus::Drvsim1, typed, unsafe {
                drvsim_device_regions(raw)
            })
        });
        // Clean up before asserting: a failed assertion runs no destructor.
        for d in [&dev, &twin].into_iter().flatten() {
            let _ = lifecycle::remove(d);
        }
        assert_eq!(ours.ok(), Some((true, true, 1)));
        assert_eq!(twin.err(), Some(EEXIST));
    }
}
