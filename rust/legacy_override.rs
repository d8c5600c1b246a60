// SPDX-License-Identifier: GPL-2.0

//! `legacy_driver_override=1`: a bus-private `driver_override` string, the
//! way buses kept it before "driver core: generalize driver_override in
//! struct device" moved it into `struct device` under a spinlock.
//!
//! A store replaces the string and frees the old one under the device lock
//! (the 2017 fix of the platform and PCI buses); match reads the pointer
//! without any lock and then the string. A store between the two frees the
//! string match is about to read: the use-after-free of kernel bugzilla
//! 220789, which 7.0-rc1 closed by taking the device lock in match (drvsim's
//! `match_takes_device_lock=1`) before the generalisation replaced it.
//! `Documentation/bugs.rst` has the control; the `match` pause point sits
//! between the two reads.

use crate::{
    pause::{
        self,
        Point, //
    },
    sysfs::ShowBuf,
};
use core::{
    ptr,
    sync::atomic::{
        AtomicPtr,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    ffi::c_char,
    prelude::*, //
};

/// Whether `legacy_driver_override` gives each device a bus-private
/// override string instead of the driver core's.
pub(crate) fn enabled() -> bool {
    crate::module_parameters::legacy_driver_override.value()
}

/// A device's bus-private override: a `kstrndup()`ed driver name or NULL.
///
/// # Invariants
///
/// The pointer is NULL or a NUL-terminated string from `kstrndup()` that
/// only [`LegacyOverride::set`] and `drop` free.
pub(crate) struct LegacyOverride(AtomicPtr<c_char>);

impl LegacyOverride {
    /// No override.
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(ptr::null_mut()))
    }

    /// Replaces the override with `name` (none if empty, one trailing
    /// newline dropped) and frees the old string. The caller holds the
    /// device lock, as stores did after the 2017 fix; match does not.
    pub(crate) fn set(&self, name: &[u8]) -> Result {
        let name = name.strip_suffix(b"\n").unwrap_or(name);
        let new = if name.is_empty() {
            ptr::null_mut()
        } else {
            // SAFETY: `name` is valid for its length; the copy is
            // NUL-terminated.
            let p = unsafe {
                bindings::kstrndup(name.as_ptr().cast(), name.len(), bindings::GFP_KERNEL)
            };
            if p.is_null() {
                return Err(ENOMEM);
            }
            p
        };
        let old = self.0.swap(new, Ordering::AcqRel);
        // SAFETY: `old` came from `kstrndup()` or is NULL (invariant); it is
        // no longer reachable from `self`. A match that loaded it before
        // the swap may still read it: that is the bug this switch restores.
        unsafe { bindings::kfree(old.cast()) };
        Ok(())
    }

    /// 1 if the override names `drv`, 0 if it names another driver, -1 if
    /// there is none, as `device_match_driver_override()`. Loads the
    /// pointer, stops at the `match` pause point, then reads the string,
    /// with no lock.
    ///
    /// # Safety
    ///
    /// `drv` must be a NUL-terminated driver name.
    pub(crate) unsafe fn matches(&self, drv: *const c_char) -> i32 {
        let s = self.0.load(Ordering::Acquire);
        if s.is_null() {
            return -1;
        }
        pause::at(Point::Match);
        // SAFETY: both are NUL-terminated strings; `s` may have been freed
        // since it was loaded, the broken design's use-after-free.
        i32::from(unsafe { bindings::strcmp(s, drv) } == 0)
    }

    /// The `driver_override` file's contents; the caller holds the device
    /// lock, which keeps stores out.
    pub(crate) fn show(&self, out: ShowBuf) -> isize {
        let s = self.0.load(Ordering::Acquire);
        if s.is_null() {
            return out.emit(&[b"(null)"]);
        }
        // SAFETY: under the device lock no store frees the string.
        out.emit(&[unsafe { CStr::from_char_ptr(s) }.to_bytes()])
    }
}

impl Drop for LegacyOverride {
    fn drop(&mut self) {
        // SAFETY: NULL or from `kstrndup()` (invariant), and nobody else can
        // reach it any more.
        unsafe { bindings::kfree(self.0.load(Ordering::Relaxed).cast()) };
    }
}
