// SPDX-License-Identifier: GPL-2.0

//! Named pause points: `/sys/kernel/debug/drvsim/pause/<point>`, one file
//! each, so that a test hits a race window in one attempt instead of by
//! hammering.
//!
//! Writing `arm` makes the next task that reaches the point stop there;
//! other tasks pass through. Reading gives `idle`, `armed` or `held <pid>`.
//! `release` lets the held task go on and disarms the point (an armed
//! point nobody reached is just disarmed); `disarm` disarms an armed point
//! nobody reached (`EBUSY` once a task is held). Anything else is
//! `EINVAL`. A held task sleeps interruptibly, so it is not a hung task,
//! and a signal ends its wait as a release would. Module unload releases
//! every point. Where each point is: `Documentation/sysfs.rst`.

use core::{
    ptr,
    sync::atomic::{
        AtomicBool,
        AtomicI32,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    ffi::{
        c_char,
        c_void, //
    },
    prelude::*,
    task::Task,
};

/// Where a task can be held.
#[derive(Clone, Copy)]
pub(crate) enum Point {
    /// Removal (`remove`, `del_device`, `hot_unplug`, VF removal): after
    /// the device is marked dead, before its driver is released.
    Remove,
    /// Removal: after the driver is released and the VFs are removed,
    /// before `device_del()` (the window `kill_device()` closes).
    KillWindow,
    /// The `remove` attribute's writer: after its own attribute is
    /// removed, before the device is removed.
    RemoveSelf,
    /// A driver's unregistration: after it is marked dead, before
    /// `driver_unregister()`.
    Unregister,
    /// The bus's match: after the `driver_override` decision is read,
    /// before it is used.
    Match,
    /// SR-IOV enable: after the VFs are added, before they are probed.
    SriovEnable,
    /// In `drvsim_pair`'s init, between the registration of the driver and
    /// that of its companion (usb-serial's window); reached through
    /// `drvsim_pause_register_window()`.
    RegisterWindow,
    /// In `DevresSet` revocation: after the gate is closed (and its grace
    /// period has passed), before the members are dropped; reached through
    /// `drvsim_pause_revoke()`.
    Revoke,
    /// In `drvsim_faulty`'s module exit, between the unregistration of its
    /// driver and its teardown (the other way round with its
    /// `legacy_exit_order`); reached through `drvsim_pause_sample_exit()`.
    SampleExit,
    /// In `device_add()`'s `KOBJ_ADD` uevent (the bus's uevent callback):
    /// the device is on the bus's list and in sysfs, but the driver core
    /// does not let it probe yet (`dev_ready_to_probe()`).
    UeventAdd,
    /// In `device_del()`'s `KOBJ_REMOVE` uevent (the bus's uevent
    /// callback): the driver core has killed the device (`kill_device()`)
    /// and taken it off the bus, but it is still registered (in sysfs).
    UeventRemove,
    /// In the bus's probe, with the device lock held, before the driver's
    /// probe is called; any probe: `new_device`, `bind`, a driver's
    /// registration, an asynchronous probe's worker.
    Probe,
    /// In an unbind, in the device-managed action that `drvsim_irq`
    /// registers last in probe, so that it runs first of its devres: after
    /// the driver's data is dropped, before the driver's earlier
    /// device-managed resources (a `devm_request_irq()` line) are
    /// released; reached through `drvsim_pause_unbind_devres()`.
    UnbindDevres,
}

/// The points, in `Point` order, with their file names.
const NAMES: [&CStr; 13] = [
    c"remove",
    c"kill_window",
    c"remove_self",
    c"unregister",
    c"match",
    c"sriov_enable",
    c"register_window",
    c"revoke",
    c"sample_exit",
    c"uevent_add",
    c"uevent_remove",
    c"probe",
    c"unbind_devres",
];

/// Not armed.
const IDLE: i32 = 0;
/// Armed: the next task to arrive is held.
const ARMED: i32 = -1;
/// Or'ed into a held task's pid by `release`: the task may go on. Pids stay
/// below `PID_MAX_LIMIT` (2^22), so the bit is free. The release is part of
/// the state, not a separate flag, so it cannot outlive the hold it was
/// meant for: a release that races with a signal ending the hold finds the
/// point idle and does nothing, instead of letting the next task through.
const RELEASING: i32 = 1 << 30;

/// One point's state.
struct PausePoint {
    /// [`IDLE`], [`ARMED`], or the pid of the held task, with
    /// [`RELEASING`] once it was released.
    state: AtomicI32,
}

impl PausePoint {
    const fn new() -> Self {
        Self {
            state: AtomicI32::new(IDLE),
        }
    }

    /// Makes `pid` the held task if the point is armed and holds nobody.
    fn hold(&self, pid: i32) -> bool {
        self.state
            .compare_exchange(ARMED, pid, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Whether the held task `pid` must go on waiting.
    fn holds(&self, pid: i32) -> bool {
        self.state.load(Ordering::Acquire) == pid && !CLOSED.load(Ordering::Acquire)
    }

    /// The held task leaves: released, woken by a signal or at unload.
    fn leave(&self) {
        self.state.store(IDLE, Ordering::Release);
    }
}

static POINTS: [PausePoint; NAMES.len()] = [const { PausePoint::new() }; NAMES.len()];

/// Set at module unload: nothing is held any more.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Holds the current task at `point` if the point is armed and no task is
/// held there; returns when released, on a signal, or at module unload.
pub(crate) fn at(point: Point) {
    let p = &POINTS[point as usize];
    if p.state.load(Ordering::Acquire) != ARMED {
        return;
    }
    let task = Task::current_raw();
    // SAFETY: `current` is a valid task; NULL: the caller's namespace.
    let pid = unsafe {
        bindings::__task_pid_nr_ns(task, bindings::pid_type_PIDTYPE_PID, ptr::null_mut())
    };
    if !p.hold(pid) {
        return;
    }
    while p.holds(pid) {
        // SAFETY: process context; an interruptible sleep, so not a hung
        // task. A non-zero result means a signal woke us.
        if unsafe { bindings::msleep_interruptible(10) } != 0 {
            break;
        }
        // SAFETY: `current` is a valid task.
        if unsafe { bindings::signal_pending(task) } != 0 {
            break;
        }
    }
    p.leave();
}

/// Applies a command written to `p`'s file.
fn command(p: &PausePoint, cmd: &[u8]) -> Result {
    match cmd {
        b"arm" => p
            .state
            .compare_exchange(IDLE, ARMED, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
            .map_err(|_| EBUSY),
        b"disarm" => {
            match p
                .state
                .compare_exchange(ARMED, IDLE, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) | Err(IDLE) => Ok(()),
                Err(_) => Err(EBUSY),
            }
        }
        b"release" => {
            let mut cur = p.state.load(Ordering::Acquire);
            loop {
                let new = match cur {
                    IDLE => return Ok(()),
                    ARMED => IDLE,
                    held if held & RELEASING != 0 => return Ok(()),
                    held => held | RELEASING,
                };
                match p
                    .state
                    .compare_exchange(cur, new, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => return Ok(()),
                    Err(now) => cur = now,
                }
            }
        }
        _ => Err(EINVAL),
    }
}

/// The point behind an open pause file (`simple_open()` copies the inode's
/// data, the point's index, into the file).
fn point_of(file: *mut bindings::file) -> Option<&'static PausePoint> {
    // SAFETY: the VFS passes an open file of ours.
    POINTS.get(unsafe { (*file).private_data } as usize)
}

extern "C" fn pause_read(
    file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    pos: *mut bindings::loff_t,
) -> isize {
    let Some(p) = point_of(file) else {
        return EINVAL.to_errno() as isize;
    };
    let (mut out, mut digits) = ([0u8; 16], [0u8; 10]);
    let text: &[u8] = match p.state.load(Ordering::Acquire) {
        IDLE => b"idle\n",
        ARMED => b"armed\n",
        held => {
            let d = crate::parse::decimal((held & !RELEASING).unsigned_abs(), &mut digits);
            out[..5].copy_from_slice(b"held ");
            out[5..5 + d.len()].copy_from_slice(d);
            out[5 + d.len()] = b'\n';
            &out[..6 + d.len()]
        }
    };
    // SAFETY: `buf` and `pos` come from the VFS for `count` bytes; `text`
    // is valid for its length.
    unsafe {
        bindings::simple_read_from_buffer(buf.cast(), count, pos, text.as_ptr().cast(), text.len())
    }
}

extern "C" fn pause_write(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    let Some(p) = point_of(file) else {
        return EINVAL.to_errno() as isize;
    };
    let mut cmd = [0u8; 16];
    if count >= cmd.len() {
        return EINVAL.to_errno() as isize;
    }
    let mut at = 0;
    // SAFETY: `buf` is a user buffer of `count` bytes, which fit in `cmd`.
    let n = unsafe {
        bindings::simple_write_to_buffer(
            cmd.as_mut_ptr().cast(),
            cmd.len(),
            &mut at,
            buf.cast(),
            count,
        )
    };
    if n < 0 {
        return n;
    }
    match command(p, crate::parse::chomp(&cmd[..n as usize])) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// The pause files' operations. `owner` makes an open pause file pin
/// drvsim.ko (`fops_get()` in debugfs's proxy open): without it `rmmod`
/// succeeded with a file open, and its close read `release` from the
/// freed module.
static FOPS: crate::sysfs::Static<bindings::file_operations> = crate::sysfs::Static::new({
    // SAFETY: `struct file_operations` is plain C data; all-zero leaves
    // every operation unset.
    let mut f: bindings::file_operations = unsafe { core::mem::zeroed() };
    f.owner = kernel::module::this_module::<crate::LocalModule>().as_ptr();
    f.open = Some(bindings::simple_open);
    f.read = Some(pause_read);
    f.write = Some(pause_write);
    f.llseek = Some(bindings::default_llseek);
    f
});

/// Creates `pause/` and its files under `parent` (drvsim's debugfs
/// directory); from module init.
pub(crate) fn init(parent: *mut bindings::dentry) {
    CLOSED.store(false, Ordering::Release);
    for p in &POINTS {
        p.leave();
    }
    // SAFETY: static names; `parent` is NULL, an error pointer (both
    // accepted) or drvsim's directory, whose removal at unload takes
    // these files with it. The data is the point's index, not a pointer.
    unsafe {
        let dir = bindings::debugfs_create_dir(c"pause".as_char_ptr(), parent);
        for (i, name) in NAMES.iter().enumerate() {
            bindings::debugfs_create_file_full(
                name.as_char_ptr(),
                0o600,
                dir,
                i as *mut c_void,
                ptr::null(),
                FOPS.get(),
            );
        }
    }
}

/// Releases every held task and lets nobody stop any more; from module
/// exit, before it waits for the tasks in drvsim's code.
pub(crate) fn release_all() {
    CLOSED.store(true, Ordering::Release);
}

#[kunit_tests(drvsim_pause)]
mod tests {
    use super::*;

    /// A held task (pid 100) is released while a signal wakes it, and
    /// leaves on the signal without seeing the release: the release must
    /// not let the next held task (pid 200) through.
    #[test]
    fn a_release_racing_a_signal_does_not_pass_the_next_task() {
        let p = PausePoint::new();
        assert!(command(&p, b"arm").is_ok());
        assert!(p.hold(100));
        assert!(command(&p, b"release").is_ok());
        p.leave();
        assert!(command(&p, b"arm").is_ok());
        assert!(p.hold(200));
        let held = p.holds(200);
        p.leave();
        assert!(held);
    }

    #[test]
    fn release_lets_the_held_task_go_and_rearm_works() {
        let p = PausePoint::new();
        assert!(command(&p, b"arm").is_ok());
        assert!(p.hold(100));
        let busy = (command(&p, b"arm"), command(&p, b"disarm"));
        assert!(command(&p, b"release").is_ok());
        let held = p.holds(100);
        p.leave();
        assert_eq!(busy, (Err(EBUSY), Err(EBUSY)));
        assert!(!held);
        assert!(command(&p, b"arm").is_ok());
        assert!(command(&p, b"release").is_ok());
        assert!(!p.hold(300));
    }
}
