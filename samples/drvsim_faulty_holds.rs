// SPDX-License-Identifier: GPL-2.0

//! `drvsim_faulty`'s stuck callbacks other than probe: its unbind
//! (`remove`) and its `shutdown` can hold, and so keep the device lock,
//! until `release`, for Danilo's "any bus callback that holds the device
//! lock, not only probe" (`Documentation/bugs.rst`).
//!
//! `remove_mode` and `shutdown_mode` take `<device> block` or
//! `<device> ok` (the default) and list the blocked devices when read.
//! Separate attributes rather than more `probe_mode` values: a device can
//! block in both, and a probe mode applies to the next probe only while
//! these apply to every unbind (shutdown) until released.

use crate::{
    parse::{
        self,
        Name, //
    },
    sleep_ms,
    sysfs, //
};
use kernel::{
    bindings,
    ffi::c_char,
    prelude::*,
    task::Task, //
};

/// A callback that can hold.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Callback {
    /// The driver's unbind (the bus's `remove`).
    Remove,
    /// The driver's `shutdown`, from `device_shutdown()`.
    Shutdown,
}

/// Most held (device, callback) pairs.
const HOLDS_MAX: usize = 64;

kernel::sync::global_lock! {
    // SAFETY: initialised in module init before the driver registers.
    /// The (device, callback) pairs that block; absent means `ok`.
    unsafe(uninit) static HOLDS: Mutex<KVec<(Name, Callback)>> = KVec::new();
}

/// Initialises the table.
///
/// # Safety
///
/// Called once, from module init, before the driver and its attributes
/// exist.
pub(crate) unsafe fn init() {
    // SAFETY: the caller's contract.
    unsafe { HOLDS.init() };
}

/// Frees the table, at module exit.
pub(crate) fn teardown() {
    *HOLDS.lock() = KVec::new();
}

fn held(name: &[u8], cb: Callback) -> bool {
    HOLDS
        .lock()
        .iter()
        .any(|(n, c)| *c == cb && n.as_bytes() == name)
}

/// Holds the calling callback `cb` of device `name` while it is set to
/// block: polls, as the probe's `block`; returns early (the callback then
/// goes on) on a signal, so the holding task is never a hung task, only
/// the tasks that wait for its device lock.
pub(crate) fn hold(dev: &kernel::device::Device, cb: Callback) {
    let name = dev.name().to_bytes();
    if !held(name, cb) {
        return;
    }
    let what = if cb == Callback::Remove {
        "unbind"
    } else {
        "shutdown"
    };
    dev_info!(dev, "drvsim_faulty: {what} blocks until release\n");
    while held(name, cb) {
        // SAFETY: `current` is valid in process context.
        if sleep_ms(10).is_err() || unsafe { Task::current() }.signal_pending() {
            dev_info!(dev, "drvsim_faulty: {what} interrupted by a signal\n");
            return;
        }
    }
    dev_info!(dev, "drvsim_faulty: {what} released\n");
}

/// `release`'s part: lets every held callback of `arg` (a device, or
/// `all`) go on. Whether any was set to block.
pub(crate) fn release(arg: &[u8]) -> bool {
    let mut holds = HOLDS.lock();
    let before = holds.len();
    holds.retain(|(n, _)| !(arg == b"all" || n.as_bytes() == arg));
    holds.len() < before
}

/// `<device> block|ok` into the table for `cb`.
fn store(cb: Callback, buf: *const c_char, count: usize) -> isize {
    // SAFETY: sysfs passes the input it received.
    let line = parse::chomp(unsafe { sysfs::input(buf, count) });
    let r = (|| {
        let sp = line.iter().position(|&c| c == b' ').ok_or(EINVAL)?;
        let name = Name::parse(&line[..sp])?;
        let block = match &line[sp + 1..] {
            b"block" => true,
            b"ok" => false,
            _ => return Err(EINVAL),
        };
        let mut holds = HOLDS.lock();
        holds.retain(|(n, c)| !(*c == cb && *n == name));
        if block {
            if holds.len() >= HOLDS_MAX {
                return Err(ENOSPC);
            }
            holds.push((name, cb), GFP_KERNEL)?;
        }
        Ok(())
    })();
    sysfs::store_result(r, count)
}

/// One `<device> block` line per device whose `cb` blocks.
fn show(cb: Callback, buf: *mut c_char) -> isize {
    // SAFETY: sysfs passes its page buffer.
    let mut out = unsafe { sysfs::ShowBuf::new(buf) };
    for (name, _) in HOLDS.lock().iter().filter(|(_, c)| *c == cb) {
        out.push(name.as_bytes());
        out.push(b" block\n");
    }
    out.done()
}

/// `remove_mode` store.
pub(crate) extern "C" fn remove_mode_store(
    _drv: *mut bindings::device_driver,
    buf: *const c_char,
    count: usize,
) -> isize {
    store(Callback::Remove, buf, count)
}

/// `remove_mode` show.
pub(crate) extern "C" fn remove_mode_show(
    _drv: *mut bindings::device_driver,
    buf: *mut c_char,
) -> isize {
    show(Callback::Remove, buf)
}

/// `shutdown_mode` store.
pub(crate) extern "C" fn shutdown_mode_store(
    _drv: *mut bindings::device_driver,
    buf: *const c_char,
    count: usize,
) -> isize {
    store(Callback::Shutdown, buf, count)
}

/// `shutdown_mode` show.
pub(crate) extern "C" fn shutdown_mode_show(
    _drv: *mut bindings::device_driver,
    buf: *mut c_char,
) -> isize {
    show(Callback::Shutdown, buf)
}
