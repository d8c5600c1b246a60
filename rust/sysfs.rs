// SPDX-License-Identifier: GPL-2.0

//! Static sysfs attribute tables for the bus, its devices and its drivers.
//!
//! The driver core keeps pointers to these C structures for as long as the
//! bus is registered, so they are `static`s built in const context. The
//! callbacks live next to the state they act on (`bus.rs`, `device.rs`).
//! Sample drivers include this file too, for their driver attributes, and
//! each includer uses only part of it.

#![allow(dead_code)]

use core::cell::UnsafeCell;
use kernel::{bindings, ffi::c_char, prelude::*};

/// A C object with a static address that the driver core reads and writes.
///
/// # Invariants
///
/// Rust code never forms a reference to the contents, only raw pointers,
/// which it hands to the driver core; the core does its own locking.
#[repr(transparent)]
pub(crate) struct Static<T>(UnsafeCell<T>);

// SAFETY: per the type invariant, all accesses go through the driver core,
// which synchronises them.
unsafe impl<T> Sync for Static<T> {}

impl<T> Static<T> {
    /// Wraps `value`.
    pub(crate) const fn new(value: T) -> Self {
        Self(UnsafeCell::new(value))
    }

    /// A raw pointer to the contents.
    pub(crate) const fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// A `struct attribute` named `name` with permissions `mode`.
pub(crate) const fn attr(name: &'static CStr, mode: u16) -> bindings::attribute {
    // SAFETY: `struct attribute` is plain C data for which all-zero is valid
    // (NULL pointers, zero mode, an unused lockdep key).
    let mut a: bindings::attribute = unsafe { core::mem::zeroed() };
    a.name = name.as_ptr().cast();
    a.mode = mode;
    a
}

/// Callback types, as the driver core calls them.
pub(crate) type DevShow =
    unsafe extern "C" fn(*mut bindings::device, *mut bindings::device_attribute, *mut c_char) -> isize;
pub(crate) type DevStore = unsafe extern "C" fn(
    *mut bindings::device,
    *mut bindings::device_attribute,
    *const c_char,
    usize,
) -> isize;
pub(crate) type BusStore = unsafe extern "C" fn(*const bindings::bus_type, *const c_char, usize) -> isize;

/// A device attribute (`DEVICE_ATTR_RO`/`_WO`/`_RW`).
pub(crate) const fn dev_attr(
    name: &'static CStr,
    show: Option<DevShow>,
    store: Option<DevStore>,
) -> bindings::device_attribute {
    // SAFETY: as in `attr()`; the callback unions are all-`None` when zero.
    let mut a: bindings::device_attribute = unsafe { core::mem::zeroed() };
    a.attr = attr(name, mode(show.is_some(), store.is_some()));
    a.__bindgen_anon_1.show = show;
    a.__bindgen_anon_2.store = store;
    a
}

/// A write-only bus attribute (`BUS_ATTR_WO`).
pub(crate) const fn bus_attr_wo(name: &'static CStr, store: BusStore) -> bindings::bus_attribute {
    bindings::bus_attribute {
        attr: attr(name, 0o200),
        show: None,
        store: Some(store),
    }
}

/// Callback types of driver attributes.
pub(crate) type DrvShow = unsafe extern "C" fn(*mut bindings::device_driver, *mut c_char) -> isize;
pub(crate) type DrvStore = unsafe extern "C" fn(*mut bindings::device_driver, *const c_char, usize) -> isize;

/// A driver attribute (`DRIVER_ATTR_RO`/`_WO`/`_RW`).
pub(crate) const fn drv_attr(
    name: &'static CStr,
    show: Option<DrvShow>,
    store: Option<DrvStore>,
) -> bindings::driver_attribute {
    bindings::driver_attribute {
        attr: attr(name, mode(show.is_some(), store.is_some())),
        show,
        store,
    }
}

const fn mode(read: bool, write: bool) -> u16 {
    (if read { 0o444 } else { 0 }) | (if write { 0o200 } else { 0 })
}

/// An attribute group over a NULL-terminated array of `struct attribute *`.
pub(crate) const fn group(attrs: *mut *mut bindings::attribute) -> bindings::attribute_group {
    // SAFETY: `struct attribute_group` is plain C data; all-zero is an
    // unnamed group with no callbacks.
    let mut g: bindings::attribute_group = unsafe { core::mem::zeroed() };
    g.__bindgen_anon_2.attrs = attrs;
    g
}

/// A sysfs `show` buffer (one page) that bytes and `write!` fill in;
/// what does not fit is dropped.
pub(crate) struct ShowBuf {
    buf: *mut c_char,
    len: usize,
}

impl ShowBuf {
    /// Wraps the buffer a `show` callback received.
    ///
    /// # Safety
    ///
    /// `buf` must be the page-sized buffer the driver core passed to `show`.
    pub(crate) unsafe fn new(buf: *mut c_char) -> Self {
        Self { buf, len: 0 }
    }

    /// Appends `bytes`, as much as fits (one byte stays free for sysfs's NUL).
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(bindings::PAGE_SIZE as usize - 1 - self.len);
        // SAFETY: `buf` has room for a page and `len + n < PAGE_SIZE`.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buf.add(self.len).cast(), n) };
        self.len += n;
    }

    /// What `show` returns: the number of bytes written.
    pub(crate) fn done(self) -> isize {
        self.len as isize
    }
}

impl core::fmt::Write for ShowBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// Copies `parts` and a newline into a sysfs `show` buffer.
///
/// # Safety
///
/// `buf` must be the page-sized buffer the driver core passed to `show`.
pub(crate) unsafe fn emit(buf: *mut c_char, parts: &[&[u8]]) -> isize {
    // SAFETY: per the safety requirement.
    let mut out = unsafe { ShowBuf::new(buf) };
    for p in parts {
        out.push(p);
    }
    out.push(b"\n");
    out.done()
}

/// The bytes a sysfs `store` callback received.
///
/// # Safety
///
/// `buf` and `count` must be the arguments the driver core passed to `store`.
pub(crate) unsafe fn input<'a>(buf: *const c_char, count: usize) -> &'a [u8] {
    // SAFETY: the driver core passes `count` readable bytes at `buf`.
    unsafe { core::slice::from_raw_parts(buf.cast(), count) }
}

/// The value a `store` callback returns: `count` on success, else `-errno`.
pub(crate) fn store_result(r: Result, count: usize) -> isize {
    match r {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

// The tables cast `struct xxx_attribute *` to `struct attribute *`, which
// is only right while `attr` is the first member, as the C macros assume.
const _: () = assert!(core::mem::offset_of!(bindings::device_attribute, attr) == 0);
const _: () = assert!(core::mem::offset_of!(bindings::bus_attribute, attr) == 0);
const _: () = assert!(core::mem::offset_of!(bindings::driver_attribute, attr) == 0);
