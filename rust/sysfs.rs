// SPDX-License-Identifier: GPL-2.0

//! Static sysfs attribute tables for the bus, its devices and its drivers.
//!
//! The driver core keeps pointers to these C structures for as long as the
//! bus is registered, so they are `static`s built in const context
//! ([`Static`]; other C tables the kernel only reads, such as
//! `file_operations`, use it too). The callbacks live next to the state
//! they act on (`bus_attrs.rs`, `sriov.rs`, `registration.rs`).
//! Sample drivers include this file too, for their driver attributes, and
//! each includer uses only part of it: every includer declares it `pub`.

use core::cell::UnsafeCell;
use kernel::{
    bindings,
    error::to_result,
    ffi::c_char,
    prelude::*, //
};

/// A C object with a static address that the kernel reads: a sysfs
/// attribute, a group, a table of pointers to them, a `bus_type`, a
/// `file_operations`.
///
/// A `static` of it is only possible for a `T` that is [`CTable`]: that is
/// what makes sharing it between tasks sound.
///
/// # Invariants
///
/// Rust code never forms a reference to the contents, only raw pointers,
/// which it hands to C code. Nothing writes the contents while another
/// task may read them: Rust code writes only before it hands them to the
/// kernel (a `bus_type` before `bus_register()`), and the kernel only
/// reads them.
#[repr(transparent)]
pub struct Static<T>(UnsafeCell<T>);

/// C data that a [`Static`] may share between tasks: plain C structures,
/// or arrays of pointers to them, which are not `Sync` by themselves
/// because they hold raw pointers, but which the kernel only reads (it
/// takes them as `const`).
///
/// # Safety
///
/// Every user of a value of the implementing type, C code handed a pointer
/// to it and Rust code, must only read it, and what its pointers lead to
/// must be readable from any task: then sharing it is sound.
pub unsafe trait CTable {}

// SAFETY: the driver core and sysfs take these as `const` and only read
// them; their pointers are to static names and to other `CTable`s, and
// their callbacks are functions.
unsafe impl CTable for bindings::device_attribute {}
// SAFETY: as for `device_attribute`.
unsafe impl CTable for bindings::bus_attribute {}
// SAFETY: as for `device_attribute`.
unsafe impl CTable for bindings::driver_attribute {}
// SAFETY: as for `device_attribute`.
unsafe impl CTable for bindings::attribute_group {}
// SAFETY: NULL-terminated arrays of pointers to `CTable`s, which sysfs
// only reads (`struct attribute_group.attrs`).
unsafe impl<const N: usize> CTable for [*mut bindings::attribute; N] {}
// SAFETY: as for the arrays of attributes (`bus_groups`, `dev_groups`).
unsafe impl<const N: usize> CTable for [*const bindings::attribute_group; N] {}
// SAFETY: `bus_register()` takes the bus as `const` and only reads it; its
// pointers are to a static name, to `CTable`s and to functions.
unsafe impl CTable for bindings::bus_type {}
// SAFETY: the VFS only reads file operations (`const struct
// file_operations *`); they point to functions and to their module
// (`owner`), which the VFS pins with a reference count of the module's
// own, not in this structure.
unsafe impl CTable for bindings::file_operations {}

// SAFETY: by the type invariant nothing writes the contents while they
// are shared, and `CTable` makes reading them from any task sound.
unsafe impl<T: CTable> Sync for Static<T> {}

impl<T> Static<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Self {
        Self(UnsafeCell::new(value))
    }

    /// A raw pointer to the contents, for C code that only reads them
    /// (`*mut` because C prototypes ask for it).
    pub const fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// A `struct attribute` named `name` with permissions `mode`.
#[expect(clippy::disallowed_methods, reason = "`as_char_ptr()` is not `const`")]
pub const fn attr(name: &'static CStr, mode: u16) -> bindings::attribute {
    // SAFETY: `struct attribute` is plain C data for which all-zero is valid
    // (NULL pointers, zero mode, an unused lockdep key).
    let mut a: bindings::attribute = unsafe { core::mem::zeroed() };
    a.name = name.as_ptr().cast();
    a.mode = mode;
    a
}

/// A device attribute's `show`, as the driver core calls it.
pub type DevShow = unsafe extern "C" fn(
    *mut bindings::device,
    *mut bindings::device_attribute,
    *mut c_char,
) -> isize;
/// A device attribute's `store`, as the driver core calls it.
pub type DevStore = unsafe extern "C" fn(
    *mut bindings::device,
    *mut bindings::device_attribute,
    *const c_char,
    usize,
) -> isize;
/// A bus attribute's `store`, as the driver core calls it.
pub type BusStore = unsafe extern "C" fn(*const bindings::bus_type, *const c_char, usize) -> isize;

/// A device attribute (`DEVICE_ATTR_RO`/`_WO`/`_RW`).
pub const fn dev_attr(
    name: &'static CStr,
    show: Option<DevShow>,
    store: Option<DevStore>,
) -> bindings::device_attribute {
    // SAFETY: `struct device_attribute` is plain C data for which all-zero
    // is valid: an all-zero `attr` (see `attr()`) and `None` callbacks.
    let mut a: bindings::device_attribute = unsafe { core::mem::zeroed() };
    a.attr = attr(name, mode(show.is_some(), store.is_some()));
    a.__bindgen_anon_1.show = show;
    a.__bindgen_anon_2.store = store;
    a
}

/// A write-only bus attribute (`BUS_ATTR_WO`).
pub const fn bus_attr_wo(name: &'static CStr, store: BusStore) -> bindings::bus_attribute {
    bindings::bus_attribute {
        attr: attr(name, 0o200),
        show: None,
        store: Some(store),
    }
}

/// A driver attribute's `show`, as the driver core calls it.
pub type DrvShow = unsafe extern "C" fn(*mut bindings::device_driver, *mut c_char) -> isize;
/// A driver attribute's `store`, as the driver core calls it.
pub type DrvStore =
    unsafe extern "C" fn(*mut bindings::device_driver, *const c_char, usize) -> isize;

/// A driver attribute (`DRIVER_ATTR_RO`/`_WO`/`_RW`).
pub const fn drv_attr(
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
pub const fn group(attrs: *mut *mut bindings::attribute) -> bindings::attribute_group {
    // SAFETY: `struct attribute_group` is plain C data; all-zero is an
    // unnamed group with no callbacks.
    let mut g: bindings::attribute_group = unsafe { core::mem::zeroed() };
    g.__bindgen_anon_2.attrs = attrs;
    g
}

/// A sysfs `show` buffer (one page) that bytes and `write!` fill in;
/// what does not fit is dropped.
pub struct ShowBuf {
    buf: *mut c_char,
    len: usize,
}

impl ShowBuf {
    /// Wraps the buffer a `show` callback received.
    ///
    /// # Safety
    ///
    /// `buf` must be the page-sized buffer the driver core passed to `show`.
    pub unsafe fn new(buf: *mut c_char) -> Self {
        Self { buf, len: 0 }
    }

    /// Appends `bytes`, as much as fits (one byte stays free for sysfs's NUL).
    pub fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(bindings::PAGE_SIZE - 1 - self.len);
        // SAFETY: `buf` has room for a page and `len + n < PAGE_SIZE`.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buf.add(self.len).cast(), n) };
        self.len += n;
    }

    /// What `show` returns: the number of bytes written.
    pub fn done(self) -> isize {
        self.len as isize
    }

    /// Appends `parts` and a newline; returns what `show` returns.
    pub fn emit(mut self, parts: &[&[u8]]) -> isize {
        for p in parts {
            self.push(p);
        }
        self.push(b"\n");
        self.done()
    }

    /// Appends `args`; returns what `show` returns.
    pub fn emit_fmt(mut self, args: core::fmt::Arguments<'_>) -> isize {
        // `write_str` never fails; what does not fit is dropped.
        let _ = core::fmt::Write::write_fmt(&mut self, args);
        self.done()
    }
}

impl core::fmt::Write for ShowBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// A `store` callback's input as a `u16` (`kstrtou16()`, any base, one
/// trailing newline).
///
/// # Safety
///
/// `buf` must be the NUL-terminated buffer the driver core passed to `store`.
pub unsafe fn kstrtou16(buf: *const c_char) -> Result<u16> {
    let mut n = 0;
    // SAFETY: `buf` is a NUL-terminated string (safety requirement).
    to_result(unsafe { bindings::kstrtou16(buf, 0, &mut n) })?;
    Ok(n)
}

/// A `store` callback's input as a `u64` (`kstrtoull()`, any base, one
/// trailing newline): `EINVAL` or `ERANGE` as that returns them.
///
/// # Safety
///
/// `buf` must be the NUL-terminated buffer the driver core passed to `store`.
pub unsafe fn kstrtoull(buf: *const c_char) -> Result<u64> {
    let mut n = 0;
    // SAFETY: `buf` is a NUL-terminated string (safety requirement).
    to_result(unsafe { bindings::kstrtoull(buf, 0, &mut n) })?;
    Ok(n)
}

/// A `store` callback's input as a boolean (`kstrtobool()` syntax).
///
/// # Safety
///
/// `buf` must be the NUL-terminated buffer the driver core passed to `store`.
pub unsafe fn kstrtobool(buf: *const c_char) -> Result<bool> {
    let mut b = false;
    // SAFETY: `buf` is a NUL-terminated string (safety requirement).
    to_result(unsafe { bindings::kstrtobool(buf, &mut b) })?;
    Ok(b)
}

/// The bytes a sysfs `store` callback received.
///
/// # Safety
///
/// `buf` and `count` must be the arguments the driver core passed to `store`.
pub unsafe fn input<'a>(buf: *const c_char, count: usize) -> &'a [u8] {
    // SAFETY: the driver core passes `count` readable bytes at `buf`.
    unsafe { core::slice::from_raw_parts(buf.cast(), count) }
}

/// The value a `store` callback returns: `count` on success, else `-errno`.
pub fn store_result(r: Result, count: usize) -> isize {
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
