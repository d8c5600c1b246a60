// SPDX-License-Identifier: GPL-2.0

//! A driver for drvsim devices of type `faulty` whose probe misbehaves on
//! request, per device, to show what a broken driver does to the bus.
//!
//! `/sys/bus/drvsim/drivers/drvsim_faulty/probe_mode` takes
//! `<device> <mode>` (set before or after the device exists; applies to
//! its next probe) and lists the configured modes when read:
//!
//! - `ok`: succeed (the default);
//! - `fail=<errno>`: fail with `-errno`, 1 to 4095;
//! - `defer`: return `-EPROBE_DEFER`;
//! - `sleep=<ms>`: sleep (interruptibly) up to 60000 ms, then succeed;
//! - `block`: hold the probe, and so the device lock, until `release`;
//! - `register_driver`: register the companion driver
//!   `drvsim_faulty_child` on the drvsim bus from inside probe (the
//!   anti-pattern from the locked-match thread), then succeed;
//! - `oops`: read through a NULL pointer inside probe, a real oops
//!   (`drvsim_faulty_oops.c`) that kills the probing task with the device
//!   lock held; refused with `EPERM` unless the module was loaded with
//!   `allow_oops=1`;
//! - `stale_set`, `stale_devres`: keep a resource of the binding past its
//!   unbind (in a static, as safe code may), a `SetDevres` or the kernel's
//!   `Devres`, and `access()` it with the device of the next binding's
//!   probe. The probe fails with the access's errno, which a fixed wrapper
//!   makes `ENXIO`; the kernel's `Devres` (7.3) returns the object its
//!   unbind dropped: a use-after-free (`Documentation/bugs.rst`). A
//!   resource kept from another device is dropped unused.
//!
//! `remove_mode` and `shutdown_mode` take `<device> block|ok`: the
//! driver's unbind and its `shutdown` (reboot, power-off) hold the device
//! lock until `release` (`drvsim_faulty_holds.rs`).
//!
//! `release` takes `<device>` or `all` and lets blocked probes, unbinds
//! and shutdowns finish. Waits are interruptible, so a blocked callback
//! is not a hung task; the tasks that wait for its device lock are.

use core::fmt::Write;
use kernel::{
    bindings,
    device::{
        Bound,
        Core,
        Device, //
    },
    devres::Devres,
    driver,
    ffi::c_char,
    prelude::*,
    task::Task,
    InPlaceModule,
    ThisModule, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;
#[path = "drvsim_faulty_holds.rs"]
mod holds;
#[path = "../rust/parse.rs"]
pub mod parse;
#[path = "../rust/sysfs.rs"]
pub mod sysfs;

use drvsim::devres_set::{
    DevresSet,
    SetDevres, //
};
use drvsim::DeviceId;
use parse::Name;
use sysfs::Static;

module! {
    type: FaultyModule,
    name: "drvsim_faulty",
    authors: ["drvsim developers"],
    description: "drvsim driver whose probe misbehaves on request",
    license: "GPL",
    params: {
        allow_oops: bool {
            default: false,
            description: "Allow probe_mode 'oops', a NULL pointer dereference inside probe",
        },
        legacy_exit_order: bool {
            default: false,
            description: "Broken design: module exit tears down (companion driver, mode table) before unregistering the driver",
        },
    },
}

/// What a device's next probe does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ok,
    Fail(u32),
    Defer,
    Sleep(u32),
    Block,
    RegisterDriver,
    Oops,
    StaleSet,
    StaleDevres,
}

impl Mode {
    fn parse(s: &[u8]) -> Result<Self> {
        let num = |v: &[u8], max: u32| -> Result<u32> {
            if v.is_empty() || v.len() > 5 || !v.iter().all(u8::is_ascii_digit) {
                return Err(EINVAL);
            }
            let n = v.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
            if n == 0 || n > max {
                Err(EINVAL)
            } else {
                Ok(n)
            }
        };
        Ok(match s {
            b"ok" => Mode::Ok,
            b"defer" => Mode::Defer,
            b"block" => Mode::Block,
            b"register_driver" => Mode::RegisterDriver,
            b"oops" => Mode::Oops,
            b"stale_set" => Mode::StaleSet,
            b"stale_devres" => Mode::StaleDevres,
            _ if s.starts_with(b"fail=") => Mode::Fail(num(&s[5..], 4095)?),
            _ if s.starts_with(b"sleep=") => Mode::Sleep(num(&s[6..], 60000)?),
            _ => return Err(EINVAL),
        })
    }
}

/// Most devices with a configured mode.
const MODES_MAX: usize = 64;

kernel::sync::global_lock! {
    // SAFETY: initialised in module init before the driver registers.
    /// The configured mode of each device by name; absent means `Ok`.
    unsafe(uninit) static MODES: Mutex<KVec<(Name, Mode)>> = KVec::new();
}

kernel::sync::global_lock! {
    // SAFETY: initialised in module init before the driver registers.
    /// The companion driver, once a `register_driver` probe registered it.
    unsafe(uninit) static CHILD: Mutex<Option<Pin<KBox<driver::Registration<drvsim::Adapter<ChildDriver>>>>>> = None;
}

/// What a `stale_*` probe keeps: a heap object, so that a use after its
/// drop is a use-after-free KASAN reports.
type Kept = KBox<u64>;
/// The value a kept object holds.
const KEPT_VALUE: u64 = 0x5eed_f00d;

/// The resources `stale_*` probes kept past their binding.
struct KeptResources {
    set: Option<SetDevres<Kept>>,
    devres: Option<Devres<Kept>>,
}

kernel::sync::global_lock! {
    // SAFETY: initialised in module init before the driver registers.
    /// What `stale_*` probes kept, one of each kind.
    unsafe(uninit) static KEPT: Mutex<KeptResources> = KeptResources { set: None, devres: None };
}

/// Whether `kept` belongs to `dev`.
fn same_device(kept: &Device, dev: &Device<Bound>) -> bool {
    core::ptr::from_ref(kept).addr() == core::ptr::from_ref(dev).addr()
}

/// `stale_set` and `stale_devres`: reads what the device's previous
/// binding kept, then keeps a new object of this binding.
fn stale(dev: &Device<Bound>, mode: Mode) -> Result {
    let data = KBox::new(KEPT_VALUE, GFP_KERNEL)?;
    let value = if mode == Mode::StaleSet {
        let old = KEPT.lock().set.take();
        let value = old
            .filter(|o| same_device(o.device(), dev))
            .map(|o| o.access(dev).map(|v| **v))
            .transpose()?;
        KEPT.lock().set = Some(DevresSet::new(dev)?.add::<Kept, Error>(dev, Ok(data))?);
        value
    } else {
        let old = KEPT.lock().devres.take();
        let value = old
            .filter(|o| same_device(o.device(), dev))
            .map(|o| o.access(dev).map(|v| **v))
            .transpose()?;
        KEPT.lock().devres = Some(Devres::new::<Error>(dev, Ok(data))?);
        value
    };
    if let Some(v) = value {
        dev_info!(
            dev,
            "drvsim_faulty: read {v:#x} from the previous binding\n"
        );
    }
    Ok(())
}

fn mode_of(name: &[u8]) -> Mode {
    MODES
        .lock()
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map_or(Mode::Ok, |&(_, m)| m)
}

fn set_mode(name: Name, mode: Mode) -> Result {
    let mut modes = MODES.lock();
    modes.retain(|(n, _)| *n != name);
    if mode != Mode::Ok {
        if modes.len() >= MODES_MAX {
            return Err(ENOSPC);
        }
        modes.push((name, mode), GFP_KERNEL)?;
    }
    Ok(())
}

/// `probe_mode` store: `<device> <mode>`.
extern "C" fn probe_mode_store(
    _drv: *mut bindings::device_driver,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received.
    let line = parse::chomp(unsafe { sysfs::input(buf, count) });
    let r = (|| {
        let sp = line.iter().position(|&c| c == b' ').ok_or(EINVAL)?;
        let name = Name::parse(&line[..sp])?;
        let mode = Mode::parse(&line[sp + 1..])?;
        if mode == Mode::Oops && !module_parameters::allow_oops.value() {
            return Err(EPERM);
        }
        set_mode(name, mode)
    })();
    sysfs::store_result(r, count)
}

/// `probe_mode` show: one `<device> <mode>` line per configured device.
extern "C" fn probe_mode_show(_drv: *mut bindings::device_driver, buf: *mut c_char) -> isize {
    // SAFETY: sysfs passes its page buffer.
    let mut out = unsafe { sysfs::ShowBuf::new(buf) };
    for (name, mode) in MODES.lock().iter() {
        out.push(name.as_bytes());
        let _ = match *mode {
            Mode::Ok => writeln!(out, " ok"),
            Mode::Fail(e) => writeln!(out, " fail={e}"),
            Mode::Defer => writeln!(out, " defer"),
            Mode::Sleep(ms) => writeln!(out, " sleep={ms}"),
            Mode::Block => writeln!(out, " block"),
            Mode::RegisterDriver => writeln!(out, " register_driver"),
            Mode::Oops => writeln!(out, " oops"),
            Mode::StaleSet => writeln!(out, " stale_set"),
            Mode::StaleDevres => writeln!(out, " stale_devres"),
        };
    }
    out.done()
}

/// `release` store: `<device>` or `all`, for probes, unbinds and
/// shutdowns; `ENOENT` if none was set to block.
extern "C" fn release_store(
    _drv: *mut bindings::device_driver,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received.
    let arg = parse::chomp(unsafe { sysfs::input(buf, count) });
    let mut modes = MODES.lock();
    let before = modes.len();
    modes.retain(|(n, m)| !(*m == Mode::Block && (arg == b"all" || n.as_bytes() == arg)));
    let probes = modes.len() < before;
    drop(modes);
    let others = holds::release(arg);
    sysfs::store_result(
        if probes || others {
            Ok(())
        } else {
            Err(ENOENT)
        },
        count,
    )
}

static ATTR_PROBE_MODE: Static<bindings::driver_attribute> = Static::new(sysfs::drv_attr(
    c"probe_mode",
    Some(probe_mode_show),
    Some(probe_mode_store),
));
static ATTR_RELEASE: Static<bindings::driver_attribute> =
    Static::new(sysfs::drv_attr(c"release", None, Some(release_store)));
static ATTR_REMOVE_MODE: Static<bindings::driver_attribute> = Static::new(sysfs::drv_attr(
    c"remove_mode",
    Some(holds::remove_mode_show),
    Some(holds::remove_mode_store),
));
static ATTR_SHUTDOWN_MODE: Static<bindings::driver_attribute> = Static::new(sysfs::drv_attr(
    c"shutdown_mode",
    Some(holds::shutdown_mode_show),
    Some(holds::shutdown_mode_store),
));
static ATTRS: Static<[*mut bindings::attribute; 5]> = Static::new([
    ATTR_PROBE_MODE.get().cast(),
    ATTR_RELEASE.get().cast(),
    ATTR_REMOVE_MODE.get().cast(),
    ATTR_SHUTDOWN_MODE.get().cast(),
    core::ptr::null_mut(),
]);
static GROUP: Static<bindings::attribute_group> = Static::new(sysfs::group(ATTRS.get().cast()));
static GROUPS: Static<[*const bindings::attribute_group; 2]> =
    Static::new([GROUP.get().cast_const(), core::ptr::null()]);

/// Sleeps interruptibly for `ms`; `EINTR` if a signal cut it short.
pub(crate) fn sleep_ms(ms: u32) -> Result {
    // SAFETY: may sleep; probe runs in process context.
    let left = unsafe { bindings::msleep_interruptible(ms) };
    if left == 0 {
        Ok(())
    } else {
        Err(EINTR)
    }
}

/// Blocks until `name` is no longer in `Block` mode. Polls, so that the
/// wait needs no state beyond the mode table; 10 ms is nothing next to
/// the seconds a test holds a probe for.
fn block(name: &[u8]) -> Result {
    while mode_of(name) == Mode::Block {
        sleep_ms(10)?;
        // SAFETY: `current` is valid in process context.
        if unsafe { Task::current() }.signal_pending() {
            return Err(EINTR);
        }
    }
    Ok(())
}

/// Registers the companion driver, once.
fn register_child() -> Result {
    let mut child = CHILD.lock();
    if child.is_none() {
        *child = Some(KBox::pin_init(
            driver::Registration::new(c"drvsim_faulty_child", &THIS_MODULE),
            GFP_KERNEL,
        )?);
    }
    Ok(())
}

extern "C" {
    /// Reads an `int` through `p` (`drvsim_faulty_oops.c`): in C, where a
    /// NULL `p` is loaded from as written and faults.
    fn drvsim_faulty_read(p: *const kernel::ffi::c_int) -> kernel::ffi::c_int;
}

/// `oops`: a fragile driver's NULL pointer dereference. The oops kills
/// the probing task, so this does not return.
fn oops() -> Result {
    // SAFETY: the NULL pointer is this mode's bug, on purpose and only
    // with `allow_oops=1`. Nothing on the Rust side reads through it: the
    // C side does, which the kernel builds to load from address 0 as
    // written (`-fno-delete-null-pointer-checks`); the CPU faults and the
    // oops ends this task inside the call.
    let v = unsafe { drvsim_faulty_read(core::ptr::null()) };
    // Only if something were mapped at address 0.
    pr_err!("drvsim_faulty: read {v} through a NULL pointer\n");
    Err(EFAULT)
}

drvsim::drvsim_device_table!(FAULTY_IDS, (), [(DeviceId::new(c"faulty"), ())]);
drvsim::drvsim_device_table!(CHILD_IDS, (), [(DeviceId::new(c"faulty-child"), ())]);

/// The `faulty` driver.
struct FaultyDriver;

#[vtable]
impl drvsim::Driver for FaultyDriver {
    type IdInfo = ();
    type Data<'bound> = ();
    const ID_TABLE: drvsim::IdTable<()> = &FAULTY_IDS;
    const GROUPS: *const *const bindings::attribute_group = GROUPS.get().cast_const().cast();

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<(), Error> + 'bound {
        let name = dev.as_ref().name().to_bytes();
        let mode = mode_of(name);
        dev_info!(dev.as_ref(), "drvsim_faulty: probe\n");
        match mode {
            Mode::Ok => Ok(()),
            Mode::Fail(e) => Err(Error::from_errno(-(e as i32))),
            Mode::Defer => Err(EPROBE_DEFER),
            Mode::Sleep(ms) => sleep_ms(ms),
            Mode::Block => block(name),
            Mode::RegisterDriver => register_child(),
            Mode::Oops => oops(),
            Mode::StaleSet | Mode::StaleDevres => {
                let bound: &drvsim::Device<Bound> = dev;
                stale(bound.as_ref(), mode)
            }
        }
    }

    fn unbind<'bound>(dev: &'bound drvsim::Device<Core<'_>>, _this: Pin<&()>) {
        holds::hold(dev.as_ref(), holds::Callback::Remove);
    }

    fn shutdown<'bound>(dev: &'bound drvsim::Device<Core<'_>>, _this: Pin<&()>) {
        holds::hold(dev.as_ref(), holds::Callback::Shutdown);
    }
}

/// The companion driver that `register_driver` registers from probe.
struct ChildDriver;

#[vtable]
impl drvsim::Driver for ChildDriver {
    type IdInfo = ();
    type Data<'bound> = ();
    const ID_TABLE: drvsim::IdTable<()> = &CHILD_IDS;

    fn probe<'bound>(
        _dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<(), Error> + 'bound {
        Ok(())
    }
}

/// The module: the `faulty` driver; the companion driver if a probe
/// registered it goes away after it.
#[pin_data]
struct FaultyModule {
    /// With `legacy_exit_order`: tears down before `driver` is
    /// unregistered (fields drop in declaration order).
    _legacy_teardown: Teardown,
    #[pin]
    driver: driver::Registration<drvsim::Adapter<FaultyDriver>>,
    /// Tears down after `driver` is unregistered: then no probe can
    /// register the companion again and no `probe_mode` write can refill
    /// the table.
    _teardown: Teardown,
}

/// Unregisters the companion driver and frees the mode table; of the two
/// fields, the one on the side of the unregistration that
/// `legacy_exit_order` (read-only, so the same as at init) picks. The
/// `sample_exit` pause point sits between unregistration and teardown.
struct Teardown {
    /// Whether this field comes before the unregistration.
    first: bool,
}

impl Drop for Teardown {
    fn drop(&mut self) {
        if self.first != module_parameters::legacy_exit_order.value() {
            return;
        }
        if !self.first {
            drvsim::abi::pause(drvsim::abi::Pause::SampleExit);
        }
        *CHILD.lock() = None;
        // Free the table itself, not just its entries.
        *MODES.lock() = KVec::new();
        holds::teardown();
        let mut kept = KEPT.lock();
        (kept.set, kept.devres) = (None, None);
        if self.first {
            drvsim::abi::pause(drvsim::abi::Pause::SampleExit);
        }
    }
}

/// This module, for the companion driver's registration.
static THIS_MODULE: ThisModule = <FaultyModule as kernel::ModuleMetadata>::THIS_MODULE;

impl InPlaceModule for FaultyModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: called once, before the driver and its attributes exist.
        unsafe {
            MODES.init();
            CHILD.init();
            KEPT.init();
            holds::init();
        }
        // Both teardowns are built before the registration, though one
        // drops after it at exit (declaration order): a registration that
        // fails after probing (`fail_register_step`) drops what was built,
        // so the companion driver a probe registered meanwhile goes away
        // with the module instead of staying on the bus in freed text. The
        // registration unregisters the driver before it fails, so the
        // teardown still comes after the unregistration.
        try_pin_init!(Self {
            _legacy_teardown: Teardown { first: true },
            _teardown: Teardown { first: false },
            driver <- driver::Registration::new(c"drvsim_faulty", module),
        })
    }
}
