// SPDX-License-Identifier: GPL-2.0

//! Lines one device lends another: a provider driver offers a line (one
//! value register, GPIO-like) of its device, and a consumer driver of
//! another device takes it in probe, by the name its device's
//! `new_device` line gave as `supplier=<name>`
//! (`Documentation/resources.rst`, "Resources one device lends another").
//!
//! The registry and the lines live here, in `drvsim.ko`, not in either
//! driver module: a consumer may hold a line after its provider's module
//! is gone, so the code that reads and drops a line must outlive both.
//! The functions exported to the driver modules are here too (their
//! `EXPORT_SYMBOL_GPL()`s are in `exports.c`), next to what they serve;
//! `rust/line.rs` is the drivers' side.

use crate::{
    device::DrvsimDevice,
    parse::Name, //
};
use core::{
    ptr::{
        self,
        NonNull, //
    },
    sync::atomic::{
        AtomicU32,
        Ordering, //
    },
};
use kernel::{
    bindings,
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*,
    revocable::Revocable,
    sync::Arc, //
};

/// The provider's value register, in its driver data.
///
/// # Invariants
///
/// Points to an `AtomicU32` that stays valid until the [`Line`] holding
/// this is revoked (the provider's withdrawal, before it frees it).
struct RawValue(NonNull<AtomicU32>);

// SAFETY: only an `AtomicU32` is reached through it, from any task.
unsafe impl Send for RawValue {}
// SAFETY: as above; the register is atomic.
unsafe impl Sync for RawValue {}

/// A line a provider offers, shared by the registry and the consumers
/// that took it (an `Arc`); revoked when the provider withdraws it, so
/// that a consumer's access gets `ENXIO` from then on.
#[pin_data]
pub(crate) struct Line {
    /// The provider's device.
    provider: Name,
    #[pin]
    value: Revocable<RawValue>,
}

impl Line {
    /// Reads the register: `ENXIO` once the provider withdrew the line.
    fn read(&self) -> Result<u32> {
        self.value
            // SAFETY: not revoked while the closure runs (RCU read lock),
            // so the register is valid (type invariant of `RawValue`).
            .try_access_with(|v| unsafe { v.0.as_ref() }.load(Ordering::Relaxed))
            .ok_or(ENXIO)
    }

    /// Writes the register: `ENXIO` once the provider withdrew the line.
    fn write(&self, x: u32) -> Result {
        self.value
            // SAFETY: as in `read`.
            .try_access_with(|v| unsafe { v.0.as_ref() }.store(x, Ordering::Relaxed))
            .ok_or(ENXIO)
    }
}

kernel::sync::global_lock! {
    // SAFETY: initialised in `init()`, at module load, before the bus
    // exists (so before any driver can call in).
    /// The lines on offer, one per provider device.
    unsafe(uninit) static LINES: Mutex<KVec<Arc<Line>>> = KVec::new();
}

/// Initialises the registry; once, at module load.
pub(crate) fn init() {
    // SAFETY: called once, from module init, before anything uses `LINES`.
    unsafe { LINES.init() };
}

/// Frees the registry's buffer; at module exit, once every device is gone
/// (so every line withdrawn). A global outlives the module's data: its
/// emptied `KVec` keeps its buffer, which kmemleak reports after rmmod.
pub(crate) fn exit() {
    *LINES.lock() = KVec::new();
}

/// The `DrvsimDevice` of `dev`, or `EINVAL` if it is not one.
///
/// # Safety
///
/// `dev` must be NULL or a live device, alive for `'a`.
unsafe fn drvsim<'a>(dev: *const bindings::device) -> Result<&'a DrvsimDevice> {
    // SAFETY: the caller's guarantee.
    unsafe { DrvsimDevice::from_any(dev) }.ok_or(EINVAL)
}

/// 0, or the negative errno of `r`.
fn errno(r: Result) -> c_int {
    r.map_or_else(|e| e.to_errno(), |()| 0)
}

/// Offers `dev`'s line, whose register is `value`: 0, `-EBUSY` if `dev`
/// offers one already, `-EINVAL` if it is not a drvsim device, `-ENOMEM`.
///
/// # Safety
///
/// `dev` must be NULL or a live device, bound to the calling driver;
/// `value` must stay valid until [`drvsim_line_withdraw`] for `dev` returns.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_line_provide(
    dev: *mut bindings::device,
    value: *mut u32,
) -> c_int {
    errno((|| {
        // SAFETY: the caller's guarantee.
        let provider = unsafe { drvsim(dev) }?.name;
        let value = NonNull::new(value.cast::<AtomicU32>()).ok_or(EINVAL)?;
        let line = Arc::pin_init(
            try_pin_init!(Line {
                provider,
                // INVARIANT: valid until the withdrawal, which revokes it
                // first (the caller's guarantee).
                value <- Revocable::new(Ok::<_, Error>(RawValue(value))),
            }? Error),
            GFP_KERNEL,
        )?;
        let mut lines = LINES.lock();
        if lines.iter().any(|l| l.provider == provider) {
            return Err(EBUSY);
        }
        lines.push(line, GFP_KERNEL)?;
        Ok(())
    })())
}

/// Withdraws `dev`'s line, if it offers one: new consumers do not find it,
/// and once this returns no consumer reaches the register any more (their
/// accesses get `-ENXIO`); waits one RCU grace period for those inside.
///
/// # Safety
///
/// `dev` must be NULL or a live device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_line_withdraw(dev: *mut bindings::device) {
    // SAFETY: the caller's guarantee.
    let Ok(provider) = (unsafe { drvsim(dev) }).map(|d| d.name) else {
        return;
    };
    let line = {
        let mut lines = LINES.lock();
        let i = lines.iter().position(|l| l.provider == provider);
        i.and_then(|i| lines.remove(i).ok())
    };
    // Outside the lock: the grace period is long.
    if let Some(line) = line {
        line.value.revoke();
    }
}

/// Takes the line of `consumer`'s supplier (`new_device`'s `supplier`):
/// stores a counted reference to it in `*line` (for the other
/// `drvsim_line_*` calls, given back with [`drvsim_line_put`]) and the
/// provider's register itself in `*value`, which a consumer of the broken
/// design reads directly. `-ENOENT` if the device names no supplier,
/// `-EPROBE_DEFER` if the supplier offers no line (yet), `-EINVAL` if
/// `consumer` is not a drvsim device.
///
/// # Safety
///
/// `consumer` must be NULL or a live device; `line` and `value` must be
/// valid for writes.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_line_get(
    consumer: *mut bindings::device,
    line: *mut *const c_void,
    value: *mut *mut u32,
) -> c_int {
    errno((|| {
        // SAFETY: the caller's guarantee.
        let supplier = unsafe { drvsim(consumer) }?.supplier.ok_or(ENOENT)?;
        let lines = LINES.lock();
        let l = lines
            .iter()
            .find(|l| l.provider == supplier)
            .ok_or(EPROBE_DEFER)?;
        // A snapshot of the pointer: what the broken design keeps.
        let raw = l
            .value
            .try_access_with(|v| v.0.as_ptr().cast::<u32>())
            .unwrap_or(ptr::null_mut());
        // SAFETY: both are valid for writes (the caller's guarantee).
        unsafe {
            *value = raw;
            *line = Arc::into_raw(l.clone()).cast();
        }
        Ok(())
    })())
}

/// The line behind a reference from [`drvsim_line_get`].
///
/// # Safety
///
/// `line` must be a reference from `drvsim_line_get()` not yet put.
unsafe fn line<'a>(line: *const c_void) -> &'a Line {
    // SAFETY: the reference keeps the `Line` alive (the caller's guarantee).
    unsafe { &*line.cast::<Line>() }
}

/// Drops a reference from [`drvsim_line_get`].
///
/// # Safety
///
/// `line` must be a reference from `drvsim_line_get()`, not used after.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_line_put(line: *const c_void) {
    // SAFETY: it came from `Arc::into_raw()` (the caller's guarantee).
    drop(unsafe { Arc::from_raw(line.cast::<Line>()) });
}

/// Reads the line into `*value`: 0, or `-ENXIO` once its provider
/// withdrew it.
///
/// # Safety
///
/// `line` must be a reference from [`drvsim_line_get`] not yet put;
/// `value` valid for a write.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_line_read(line: *const c_void, value: *mut u32) -> c_int {
    // SAFETY: the caller's guarantee.
    errno(unsafe { self::line(line) }.read().map(|v| {
        // SAFETY: valid for a write (the caller's guarantee).
        unsafe { *value = v };
    }))
}

/// Writes `value` to the line: 0, or `-ENXIO` once its provider withdrew
/// it.
///
/// # Safety
///
/// `line` must be a reference from [`drvsim_line_get`] not yet put.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_line_write(line: *const c_void, value: u32) -> c_int {
    // SAFETY: the caller's guarantee.
    errno(unsafe { self::line(line) }.write(value))
}

/// `DL_FLAG_AUTOPROBE_CONSUMER` (`exports.c` checks the value).
const DL_FLAG_AUTOPROBE_CONSUMER: u32 = 1 << 5;

/// Adds a managed device link from `consumer` to its supplier device
/// (`DL_FLAG_AUTOPROBE_CONSUMER`), as a consumer driver's probe does:
/// 0 (also if the link is there already), `-ENOENT` if the device names
/// no supplier, `-EPROBE_DEFER` if no device has that name (yet),
/// `-EINVAL` if `consumer` is not a drvsim device or the driver core
/// refuses the link (the supplier depends on the consumer, or is being
/// removed).
///
/// # Safety
///
/// `consumer` must be NULL or a live device, in its probe (its device
/// lock held).
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_line_link(consumer: *mut bindings::device) -> c_int {
    errno((|| {
        // SAFETY: the caller's guarantee.
        let c = unsafe { drvsim(consumer) }?;
        let name = c.supplier.ok_or(ENOENT)?;
        let supplier = DrvsimDevice::find(Some(name.as_cstr())).ok_or(EPROBE_DEFER)?;
        // SAFETY: both devices are live (ours pinned by the reference
        // `find()` took); the flags are valid. A supplier past
        // `device_del()`'s PM removal is refused (`NULL`), so no link can
        // outlive its purge.
        let link = unsafe {
            bindings::device_link_add(c.as_raw(), supplier.as_raw(), DL_FLAG_AUTOPROBE_CONSUMER)
        };
        if link.is_null() {
            return Err(EINVAL);
        }
        Ok(())
    })())
}
