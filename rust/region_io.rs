// SPDX-License-Identifier: GPL-2.0

//! A device's register regions as resources that its driver holds.
//!
//! A driver requests region `i` of its device in probe and gets a
//! [`RegionIo`] wrapped for revocation: the kernel's `Devres<RegionIo>`
//! ([`Device::request_region`]) or a member of a per-device
//! [`DevresSet`] ([`Device::request_region_in`]). In both cases,
//! `access(&Device<Bound>)` gives it without synchronisation where the
//! device is provably bound, `try_access()` elsewhere, and it is revoked
//! when the device is unbound.
//!
//! The third model needs no revocation at all: a [`BoundRegion<'bound>`]
//! ([`Device::bound_region`]) borrows the device for the bound scope that
//! the driver core hands to probe (`&'bound Device<Core<'_>>`), so it can
//! live in the driver's `Data<'bound>` and nowhere that outlives the
//! binding; the compiler, not a run-time check, keeps it there
//! (`Documentation/resources.rst`, `tests/compile-fail/`).
//!
//! `RegionIo` does not implement the kernel's `kernel::io::Io` traits. Those
//! map loads and stores onto a pointer view of MMIO or memory. The
//! simulated registers have behaviour (a read-only ID, a read counter) and
//! are reached through `drvsim.ko`'s exported accessors, so there is no
//! pointer to hand out. The method names and argument order follow `Io`
//! (`read32(offset)`, `write32(value, offset)`); errors are returned, as
//! `Io::try_read32()` does, because the simulation can refuse an access.

use super::{
    devres_set::{
        DevresSet,
        SetDevres, //
    },
    Device, //
};
use kernel::{
    bindings,
    device,
    devres::Devres,
    error::to_result,
    ffi::c_int,
    prelude::*,
    sync::aref::ARef, //
};

#[expect(improper_ctypes, reason = "only pointers to `struct device` cross")]
extern "C" {
    fn drvsim_region_read32(
        dev: *const bindings::device,
        index: u32,
        offset: u32,
        value: *mut u32,
    ) -> c_int;
    fn drvsim_region_write32(
        dev: *const bindings::device,
        index: u32,
        offset: u32,
        value: u32,
    ) -> c_int;
    fn drvsim_device_regions(dev: *const bindings::device) -> u32;
}

/// One register region of a drvsim device (`Documentation/sysfs.rst`
/// lists its registers).
///
/// # Invariants
///
/// `dev` is a drvsim device with more than `index` regions.
pub struct RegionIo {
    dev: ARef<device::Device>,
    index: u32,
}

/// The `struct device` behind `dev`.
fn raw(dev: &device::Device) -> *const bindings::device {
    // `kernel::device::Device` is a transparent wrapper of `struct device`.
    core::ptr::from_ref(dev).cast()
}

impl RegionIo {
    /// Reads the 32-bit register at `offset`: `EINVAL` for an unaligned or
    /// out-of-range offset, `ENXIO` once the device was surprise-removed.
    pub fn read32(&self, offset: usize) -> Result<u32> {
        let offset = u32::try_from(offset).map_err(|_| EINVAL)?;
        let mut value = 0;
        // SAFETY: `dev` is a live drvsim device (type invariant and the
        // reference `dev` holds); `value` is a valid `u32`.
        to_result(unsafe { drvsim_region_read32(raw(&self.dev), self.index, offset, &mut value) })?;
        Ok(value)
    }

    /// Writes `value` to the register at `offset`: as `read32()`, and
    /// `EPERM` for a read-only register.
    pub fn write32(&self, value: u32, offset: usize) -> Result {
        let offset = u32::try_from(offset).map_err(|_| EINVAL)?;
        // SAFETY: `dev` is a live drvsim device (type invariant).
        to_result(unsafe { drvsim_region_write32(raw(&self.dev), self.index, offset, value) })
    }
}

/// One register region, borrowed for the device's bound scope `'bound`.
///
/// # Invariants
///
/// `dev` is a drvsim device with more than `index` regions, bound to the
/// driver whose probe created this for as long as `'bound` lasts.
pub struct BoundRegion<'bound> {
    dev: &'bound device::Device<device::Bound>,
    index: u32,
}

impl BoundRegion<'_> {
    /// Reads the 32-bit register at `offset`, as [`RegionIo::read32`],
    /// with no revocation check: the borrow proves the device is bound.
    pub fn read32(&self, offset: usize) -> Result<u32> {
        let offset = u32::try_from(offset).map_err(|_| EINVAL)?;
        let mut value = 0;
        // SAFETY: `dev` is a live drvsim device (type invariant: borrowed
        // for `'bound`); `value` is a valid `u32`.
        to_result(unsafe { drvsim_region_read32(raw(self.dev), self.index, offset, &mut value) })?;
        Ok(value)
    }

    /// Writes `value` to the register at `offset`, as [`RegionIo::write32`].
    pub fn write32(&self, value: u32, offset: usize) -> Result {
        let offset = u32::try_from(offset).map_err(|_| EINVAL)?;
        // SAFETY: `dev` is a live drvsim device (type invariant).
        to_result(unsafe { drvsim_region_write32(raw(self.dev), self.index, offset, value) })
    }
}

impl RegionIo {
    /// Runs `f` on region `index` of `dev` without holding a reference to
    /// the device. This is the broken design that the positive controls
    /// turn on: a file that keeps a bare device pointer, as C drivers
    /// often do, reads freed memory once the device is gone.
    ///
    /// # Safety
    ///
    /// `dev` must be a live drvsim device with more than `index` regions.
    pub unsafe fn with_unreferenced<R>(
        dev: core::ptr::NonNull<device::Device>,
        index: u32,
        f: impl FnOnce(&RegionIo) -> R,
    ) -> R {
        // SAFETY: `dev` is live (safety requirement); `ManuallyDrop` keeps
        // the reference that `from_raw` assumes from being put.
        let dev = unsafe { ARef::from_raw(dev) };
        // INVARIANT: `dev` has more than `index` regions (safety requirement).
        let io = core::mem::ManuallyDrop::new(RegionIo { dev, index });
        f(&io)
    }
}

impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// The number of register regions (`new_device ... regions=<n>`).
    pub fn region_count(&self) -> u32 {
        // SAFETY: by the type invariant this is a live drvsim device.
        unsafe { drvsim_device_regions(self.as_raw()) }
    }
}

impl Device<device::Bound> {
    /// Region `index` without a wrapper, for a driver that wraps it in a
    /// revocable of its own and revokes that on unbind. `EINVAL` if there
    /// is no such region.
    pub fn unmanaged_region(&self, index: u32) -> Result<RegionIo> {
        if index >= self.region_count() {
            return Err(EINVAL);
        }
        // INVARIANT: checked above.
        Ok(RegionIo {
            dev: self.as_ref().into(),
            index,
        })
    }

    /// Region `index` as a kernel `Devres`, revoked on unbind with its own
    /// grace period. `EINVAL` if there is no such region.
    pub fn request_region(&self, index: u32) -> Result<Devres<RegionIo>> {
        Devres::new::<Error>(self.as_ref(), Ok(self.unmanaged_region(index)?))
    }

    /// Region `index` as a member of `set`, revoked on unbind together
    /// with the rest of the set. `EINVAL` if there is no such region or
    /// `set` belongs to another device.
    pub fn request_region_in(&self, set: &DevresSet, index: u32) -> Result<SetDevres<RegionIo>> {
        set.add::<RegionIo, Error>(self.as_ref(), Ok(self.unmanaged_region(index)?))
    }
}

impl<'a> Device<device::Core<'a>> {
    /// Region `index` for the bound scope: what probe receives `self` for
    /// (`&'bound Device<Core<'_>>`) bounds the borrow, so the region fits
    /// in the driver's `Data<'bound>` and cannot escape into anything that
    /// outlives the binding. `EINVAL` if there is no such region.
    pub fn bound_region<'bound>(&'bound self, index: u32) -> Result<BoundRegion<'bound>> {
        if index >= self.region_count() {
            return Err(EINVAL);
        }
        let dev: &'bound device::Device<device::Core<'a>> = self.as_ref();
        // INVARIANT: checked above; the device is bound while `self` (and
        // so `'bound`) lasts, the contract of `Core`.
        Ok(BoundRegion { dev, index })
    }
}
