// SPDX-License-Identifier: GPL-2.0

//! Every function `drvsim.ko` exports to driver modules (`exports.c` holds
//! their `EXPORT_SYMBOL_GPL()`s; `driver.rs` and `region_io.rs` their
//! callers). Each turns its raw pointers into typed references once and
//! hands them on; errors become negative errnos.

use crate::{
    abi::DriverRaw,
    bus,
    device::DrvsimDevice,
    lifecycle,
    pause::{
        self,
        Point, //
    },
    registration, //
};
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

/// Registers a driver on the drvsim bus, in the steps of
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
        (*raw).bus = bus::BUS.get();
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

/// The type of a drvsim device, NUL-terminated.
///
/// # Safety
///
/// `dev` must be a live drvsim device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_device_type(dev: *const bindings::device) -> *const c_char {
    // SAFETY: the caller passes a live drvsim device (safety requirement).
    let dev = unsafe { DrvsimDevice::from_raw(dev) };
    dev.type_.as_cstr().as_char_ptr()
}

/// Whether a drvsim device is still present, i.e. not surprise-removed.
///
/// # Safety
///
/// `dev` must be a live drvsim device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_device_is_present(dev: *const bindings::device) -> bool {
    // SAFETY: the caller passes a live drvsim device (safety requirement).
    unsafe { DrvsimDevice::from_raw(dev) }.is_present()
}

/// Enables `num_vfs` VFs on the PF `dev`, like `pci_enable_sriov()`; 0 or
/// a negative errno.
///
/// # Safety
///
/// `dev` must be a drvsim device bound to the calling driver.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_sriov_enable(
    dev: *mut bindings::device,
    num_vfs: c_int,
) -> c_int {
    // SAFETY: the caller's own bound device, so a live drvsim device
    // (safety requirement).
    let pf = unsafe { DrvsimDevice::from_raw(dev) };
    let n = u32::try_from(num_vfs).map_err(|_| EINVAL);
    errno(n.and_then(|n| lifecycle::enable_vfs(pf, n)))
}

/// Disables SR-IOV on the PF `dev`, removing its VFs, like
/// `pci_disable_sriov()`.
///
/// # Safety
///
/// `dev` must be a drvsim device bound to the calling driver.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_sriov_disable(dev: *mut bindings::device) {
    // SAFETY: the caller's own bound device, so a live drvsim device
    // (safety requirement).
    lifecycle::remove_vfs(unsafe { DrvsimDevice::from_raw(dev) })
}

/// The number of enabled VFs of `dev`.
///
/// # Safety
///
/// `dev` must be a live drvsim device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_sriov_num_vfs(dev: *const bindings::device) -> c_int {
    // SAFETY: the caller passes a live drvsim device (safety requirement).
    let n = unsafe { DrvsimDevice::from_raw(dev) }.sriov.num_vfs();
    // `parse` caps `totalvfs` far below `c_int::MAX`.
    n as c_int
}

/// Reads register `offset` of region `index` of `dev` into `*value`: 0,
/// `-EINVAL` for a bad region or offset, or `-ENXIO` once the device was
/// surprise-removed.
///
/// # Safety
///
/// `dev` must be a live drvsim device and `value` valid for a write.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_region_read32(
    dev: *const bindings::device,
    index: u32,
    offset: u32,
    value: *mut u32,
) -> c_int {
    // SAFETY: the caller passes a live drvsim device (safety requirement).
    let dev = unsafe { DrvsimDevice::from_raw(dev) };
    errno(
        dev.region(index)
            .and_then(|r| r.read32(offset as usize))
            .map(|v| {
                // SAFETY: `value` is valid for a write (safety requirement).
                unsafe { value.write(v) }
            }),
    )
}

/// Writes `value` to register `offset` of region `index` of `dev`: 0,
/// `-EINVAL`, `-EPERM` for a read-only register, or `-ENXIO` once the
/// device was surprise-removed.
///
/// # Safety
///
/// `dev` must be a live drvsim device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_region_write32(
    dev: *const bindings::device,
    index: u32,
    offset: u32,
    value: u32,
) -> c_int {
    // SAFETY: the caller passes a live drvsim device (safety requirement).
    let dev = unsafe { DrvsimDevice::from_raw(dev) };
    errno(
        dev.region(index)
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

/// The number of regions of `dev`.
///
/// # Safety
///
/// `dev` must be a live drvsim device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_device_regions(dev: *const bindings::device) -> u32 {
    // SAFETY: the caller passes a live drvsim device (safety requirement).
    let dev = unsafe { DrvsimDevice::from_raw(dev) };
    // `parse` caps `regions` at `REGIONS_MAX`.
    dev.regions.len() as u32
}
