// SPDX-License-Identifier: GPL-2.0

//! The drivers' side of the lines one device lends another (`lines.rs`
//! in `drvsim.ko`; `Documentation/resources.rst`, "Resources one device
//! lends another"): a provider offers its device's line in probe and
//! withdraws it in unbind; a consumer takes its supplier's line in probe.

use super::Device;
use core::{
    ptr::NonNull,
    sync::atomic::AtomicU32, //
};
use kernel::{
    bindings,
    device::{
        Bound,
        Core, //
    },
    error::to_result,
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*, //
};

// Only pointers to `struct device` cross (see `driver.rs`).
#[expect(improper_ctypes, reason = "only pointers to `struct device` cross")]
extern "C" {
    fn drvsim_line_provide(dev: *mut bindings::device, value: *mut u32) -> c_int;
    fn drvsim_line_withdraw(dev: *mut bindings::device);
    fn drvsim_line_get(
        consumer: *mut bindings::device,
        line: *mut *const c_void,
        value: *mut *mut u32,
    ) -> c_int;
    fn drvsim_line_put(line: *const c_void);
    fn drvsim_line_read(line: *const c_void, value: *mut u32) -> c_int;
    fn drvsim_line_write(line: *const c_void, value: u32) -> c_int;
    fn drvsim_line_link(consumer: *mut bindings::device) -> c_int;
}

/// A consumer's reference to its supplier's line, kept in `drvsim.ko`
/// and revoked there when the provider withdraws it.
///
/// # Invariants
///
/// `0` is a reference from `drvsim_line_get()`, put only by `drop`.
pub struct LineHandle(NonNull<c_void>);

// SAFETY: the line is reference counted and its accesses are atomic under
// an RCU read lock (`lines.rs`), from any task.
unsafe impl Send for LineHandle {}
// SAFETY: as above.
unsafe impl Sync for LineHandle {}

impl LineHandle {
    /// Reads the line: `ENXIO` once its provider withdrew it.
    pub fn read(&self) -> Result<u32> {
        let mut v = 0;
        // SAFETY: a live reference (type invariant); `v` is writable.
        to_result(unsafe { drvsim_line_read(self.0.as_ptr(), &mut v) })?;
        Ok(v)
    }

    /// Writes the line: `ENXIO` once its provider withdrew it.
    pub fn write(&self, value: u32) -> Result {
        // SAFETY: a live reference (type invariant).
        to_result(unsafe { drvsim_line_write(self.0.as_ptr(), value) })
    }
}

impl Drop for LineHandle {
    fn drop(&mut self) {
        // SAFETY: a live reference (type invariant), not used again.
        unsafe { drvsim_line_put(self.0.as_ptr()) }
    }
}

impl Device<Bound> {
    /// Offers this device's line, whose register is `*value`, to the
    /// devices that name it as their supplier. `EBUSY` if it offers one
    /// already.
    ///
    /// # Safety
    ///
    /// `value` must stay valid until [`Device::withdraw_line`] returns.
    pub unsafe fn provide_line(&self, value: &AtomicU32) -> Result {
        // SAFETY: a bound drvsim device (type state and invariant); `value`
        // stays valid until the withdrawal (the caller's guarantee).
        to_result(unsafe { drvsim_line_provide(self.as_raw(), value.as_ptr()) })
    }

    /// Withdraws this device's line: when this returns, no consumer
    /// reaches the register any more (one RCU grace period).
    pub fn withdraw_line(&self) {
        // SAFETY: a live drvsim device (type invariant).
        unsafe { drvsim_line_withdraw(self.as_raw()) }
    }
}

impl Device<Core<'_>> {
    /// Takes the line of this device's supplier: a handle, and the
    /// provider's register itself, which only the broken design uses.
    /// `ENOENT` if the device names no supplier, `EPROBE_DEFER` if the
    /// supplier offers no line yet.
    pub fn take_line(&self) -> Result<(LineHandle, *mut AtomicU32)> {
        let mut line = core::ptr::null();
        let mut value = core::ptr::null_mut();
        // SAFETY: a live drvsim device (type invariant); both outputs are
        // writable.
        to_result(unsafe { drvsim_line_get(self.as_raw(), &mut line, &mut value) })?;
        let line = NonNull::new(line.cast_mut()).ok_or(EINVAL)?;
        // INVARIANT: a reference from `drvsim_line_get()`.
        Ok((LineHandle(line), value.cast()))
    }

    /// Adds a managed device link (`DL_FLAG_AUTOPROBE_CONSUMER`) from this
    /// device to its supplier device: `EPROBE_DEFER` if there is no such
    /// device yet, `ENOENT` if the device names no supplier.
    pub fn link_to_supplier(&self) -> Result {
        // SAFETY: a live drvsim device in its probe (type state).
        to_result(unsafe { drvsim_line_link(self.as_raw()) })
    }
}
