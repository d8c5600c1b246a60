// SPDX-License-Identifier: GPL-2.0

//! The consumer of `Documentation/resources.rst`, "Resources one device
//! lends another": binds drvsim devices of type `consumer`, takes in probe
//! the line of the device its `new_device` line named (`supplier=<name>`),
//! and uses it from a file (`/dev/drvsim-line-<name>`), from a work item
//! and from its own unbind. The `design` parameter (read at each probe)
//! says how it holds the line:
//!
//! - `revocable`: through the provider's revocable in `drvsim.ko`; once
//!   the provider is gone every use gets `ENXIO`, and the consumer stays
//!   bound.
//! - `link`: a managed device link to the supplier
//!   (`DL_FLAG_AUTOPROBE_CONSUMER`), so that the driver core unbinds the
//!   consumer before the provider; the files, which outlive the binding,
//!   go through the consumer's own revocable, revoked in its unbind.
//! - `bare` (broken design): a bare pointer into the provider's driver
//!   data; the first use after the provider's unbind reads freed memory.

use core::{
    ptr::NonNull,
    sync::atomic::{
        AtomicBool,
        AtomicI32,
        AtomicU32,
        Ordering, //
    },
};
use kernel::{
    device::Core,
    error::to_result,
    fs::{
        File,
        Kiocb, //
    },
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
    revocable::Revocable,
    str::CString,
    sync::{
        Arc,
        ArcBorrow,
        Completion, //
    },
    workqueue::{
        self,
        impl_has_work,
        new_work,
        Work,
        WorkItem, //
    }, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;

use drvsim::{
    line::LineHandle,
    DeviceId, //
};

drvsim::drvsim_device_table!(CONSUMER_IDS, (), [(DeviceId::new(c"consumer"), ())]);

extern "C" {
    /// The `design` parameter (`drvsim_line_params.c`): `revocable`,
    /// `link` or `bare`, checked when set.
    fn drvsim_line_design() -> *const kernel::ffi::c_char;
}

/// How a consumer holds its supplier's line (the `design` parameter).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Design {
    /// The provider's revocable (`drvsim.ko`'s line).
    Revocable,
    /// A managed device link, and the consumer's own revocable.
    Link,
    /// A bare pointer (broken).
    Bare,
}

/// The design `design` names now.
fn design() -> Design {
    // SAFETY: the parameter is a static NUL-terminated string of ours.
    match unsafe { CStr::from_char_ptr(drvsim_line_design()) }.to_bytes() {
        b"link" => Design::Link,
        b"bare" => Design::Bare,
        _ => Design::Revocable,
    }
}

/// The provider's register, as the `link` and `bare` designs keep it.
///
/// # Invariants
///
/// Points to the provider's register, which is valid until the provider
/// unbinds; nothing here keeps it so: that is the designs' business.
struct RawValue(NonNull<AtomicU32>);

// SAFETY: only an `AtomicU32` is reached through it; when it is valid is
// up to the design that holds it (the missing guarantee of `bare` is the
// bug its positive control shows).
unsafe impl Send for RawValue {}
// SAFETY: as above.
unsafe impl Sync for RawValue {}

/// How one binding reaches the line.
enum Access {
    /// `revocable`: the handle's own accesses, revoked by the provider.
    Revocable,
    /// `link`: the register behind the consumer's own revocable, revoked
    /// in its unbind, which the device link runs before the provider's.
    Link(Pin<KBox<Revocable<RawValue>>>),
    /// `bare` (broken): the register, unguarded.
    Bare(RawValue),
}

/// What a binding's files and work items share; it outlives the binding.
struct Shared {
    /// The reference to the line, which keeps `drvsim.ko`'s line object
    /// (not the provider's register) alive.
    line: LineHandle,
    access: Access,
    /// Set in unbind: the `revocable` design's files get `ENXIO` from then
    /// on too (the line itself is safe to reach; the binding is over).
    unbound: AtomicBool,
}

impl Shared {
    /// Takes the line of `dev`'s supplier, in `design`.
    fn new(dev: &drvsim::Device<Core<'_>>, design: Design) -> Result<Self> {
        if design == Design::Link {
            // Before the line: a supplier without a driver leaves the link
            // (dormant) behind our deferral, and the driver core probes us
            // again when the supplier binds.
            dev.link_to_supplier()?;
        }
        let (line, raw) = dev.take_line()?;
        // INVARIANT: the provider's register, valid while it is bound.
        let raw = RawValue(NonNull::new(raw).ok_or(ENXIO)?);
        let access = match design {
            Design::Revocable => Access::Revocable,
            Design::Link => Access::Link(KBox::pin_init(
                Revocable::new(Ok::<_, Error>(raw)),
                GFP_KERNEL,
            )?),
            Design::Bare => Access::Bare(raw),
        };
        Ok(Self {
            line,
            access,
            unbound: AtomicBool::new(false),
        })
    }

    /// Runs `f` on the register, or `ENXIO` once it is out of reach.
    fn with<R>(
        &self,
        f: impl FnOnce(&AtomicU32) -> R,
        via_handle: impl FnOnce(&LineHandle) -> Result<R>,
    ) -> Result<R> {
        match &self.access {
            Access::Revocable if self.unbound.load(Ordering::Relaxed) => Err(ENXIO),
            Access::Revocable => via_handle(&self.line),
            // SAFETY: not revoked while the closure runs (RCU read lock),
            // and the consumer's unbind, which revokes it, runs before the
            // provider's (the device link), so the register is valid.
            Access::Link(r) => r
                .try_access_with(|v| f(unsafe { v.0.as_ref() }))
                .ok_or(ENXIO),
            // SAFETY: none once the provider unbound: this is the
            // use-after-free that `tests/controls/bare_supplier_pointer.sh`
            // makes KASAN report.
            Access::Bare(v) => Ok(f(unsafe { v.0.as_ref() })),
        }
    }

    /// Reads the line in this binding's design.
    fn read(&self) -> Result<u32> {
        self.with(|v| v.load(Ordering::Relaxed), |l| l.read())
    }

    /// Writes the line in this binding's design.
    fn write(&self, x: u32) -> Result {
        self.with(|v| v.store(x, Ordering::Relaxed), |l| l.write(x))
    }

    /// Releases the line (writes 0), from the consumer's unbind. Not
    /// inlined: the positive control tells this use from the work item's
    /// `write` by the function KASAN names.
    #[inline(never)]
    fn release(&self) -> Result {
        self.with(|v| v.store(0, Ordering::Relaxed), |l| l.write(0))
    }

    /// Writes `x` to the line from a work item, as a driver that drives its
    /// line from process context of its own; waits for it.
    fn write_from_work(this: ArcBorrow<'_, Self>, x: u32) -> Result {
        let req = Arc::pin_init(
            pin_init!(Request {
                shared: this.into(),
                value: x,
                result: AtomicI32::new(0),
                done <- Completion::new(),
                work <- new_work!("drvsim_line_consumer::Request::work"),
            }),
            GFP_KERNEL,
        )?;
        // A new work item is not queued yet, so this queues it.
        let _ = workqueue::system().enqueue(req.clone());
        req.done.wait_for_completion();
        to_result(req.result.load(Ordering::Relaxed))
    }
}

/// One write of the line from the consumer's work item.
#[pin_data]
struct Request {
    shared: Arc<Shared>,
    value: u32,
    /// 0 or the negative errno of the write.
    result: AtomicI32,
    #[pin]
    done: Completion,
    #[pin]
    work: Work<Request>,
}

impl_has_work! {
    impl HasWork<Self> for Request { self.work }
}

impl WorkItem for Request {
    type Pointer = Arc<Request>;

    fn run(this: Arc<Request>) {
        let r = this.shared.write(this.value);
        this.result
            .store(r.map_or_else(|e| e.to_errno(), |()| 0), Ordering::Relaxed);
        this.done.complete_all();
    }
}

/// Parses a decimal `u32`.
fn decimal(s: &[u8]) -> Result<u32> {
    if s.is_empty() || s.len() > 10 || !s.iter().all(u8::is_ascii_digit) {
        return Err(EINVAL);
    }
    let v = s.iter().fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
    u32::try_from(v).map_err(|_| EINVAL)
}

/// The longest write the file takes.
const WRITE_MAX: usize = 32;

/// The file operations of `/dev/drvsim-line-<name>` (`Documentation/sysfs.rst`,
/// "Character devices").
struct LineFile;

#[vtable]
impl MiscDevice for LineFile {
    type Ptr = Arc<Shared>;

    fn open(_file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Shared>> {
        // SAFETY: every `MiscDeviceRegistration<LineFile>` is the `misc`
        // field of a `ConsumerData` (see `ConsumerDriver::probe`), which
        // outlives its registration, so while `open` runs.
        let data = unsafe {
            &*kernel::container_of!(core::ptr::from_ref(misc).cast_mut(), ConsumerData, misc)
        };
        Ok(data.shared.clone())
    }

    /// The line's value, `<n>\n`, read from the file's own context.
    fn read_iter(mut kiocb: Kiocb<'_, Arc<Shared>>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        if *kiocb.ki_pos_mut() != 0 {
            return Ok(0);
        }
        let v = kiocb.file().read()?;
        let text = CString::try_from_fmt(fmt!("{}\n", v))?;
        let copied = iov.copy_to_iter(text.to_bytes());
        *kiocb.ki_pos_mut() += copied as i64;
        Ok(copied)
    }

    /// `<n>`: sets the line to n from the consumer's work item;
    /// `bench <n>`: reads the line n times (the per-use cost).
    fn write_iter(kiocb: Kiocb<'_, Arc<Shared>>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let len = iov.len();
        if len > WRITE_MAX {
            return Err(EINVAL);
        }
        let mut buf = [0u8; WRITE_MAX];
        if iov.copy_from_iter(&mut buf[..len]) != len {
            return Err(EFAULT);
        }
        let input = buf[..len].strip_suffix(b"\n").unwrap_or(&buf[..len]);
        let shared = kiocb.file();
        if let Some(n) = input.strip_prefix(b"bench ") {
            for _ in 0..decimal(n)? {
                core::hint::black_box(shared.read()?);
            }
        } else {
            Shared::write_from_work(shared, decimal(input)?)?;
        }
        Ok(len)
    }
}

/// The consumer driver.
struct ConsumerDriver;

/// A bound consumer.
#[pin_data]
struct ConsumerData {
    /// `/dev/drvsim-line-<name>`. Declared before `name`, so dropped first.
    #[pin]
    misc: MiscDeviceRegistration<LineFile>,
    /// The misc device's name, which it borrows.
    name: CString,
    shared: Arc<Shared>,
}

#[vtable]
impl drvsim::Driver for ConsumerDriver {
    type IdInfo = ();
    type Data<'bound> = ConsumerData;
    const ID_TABLE: drvsim::IdTable<()> = &CONSUMER_IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<ConsumerData, Error> + 'bound {
        try_pin_init!(ConsumerData {
            shared: Arc::new(Shared::new(dev, design())?, GFP_KERNEL)?,
            name: CString::try_from_fmt(fmt!(
                "drvsim-line-{}",
                dev.as_ref().name().to_str().map_err(|_| EINVAL)?
            ))?,
            misc <- MiscDeviceRegistration::register(MiscDeviceOptions {
                // SAFETY: `name` owns a heap buffer that does not move with
                // it, and is dropped after `misc` (declaration order), which
                // deregisters the misc device.
                name: unsafe { &*core::ptr::from_ref::<CStr>(name) },
            }),
        }? Error)
    }

    fn unbind<'bound>(dev: &'bound drvsim::Device<Core<'_>>, this: Pin<&ConsumerData>) {
        // Release the line, as a driver drives its GPIO low in remove.
        match this.shared.release() {
            Ok(()) => dev_info!(dev.as_ref(), "drvsim_line_consumer: line released\n"),
            Err(e) => dev_info!(
                dev.as_ref(),
                "drvsim_line_consumer: line already gone ({:?})\n",
                e
            ),
        }
        this.shared.unbound.store(true, Ordering::Relaxed);
        if let Access::Link(r) = &this.shared.access {
            r.revoke();
        }
    }
}

module_drvsim_driver! {
    type: ConsumerDriver,
    name: "drvsim_line_consumer",
    authors: ["drvsim developers"],
    description: "drvsim consumer of another device's line, in one of three designs",
    license: "GPL",
}
