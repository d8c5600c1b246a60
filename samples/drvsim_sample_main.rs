// SPDX-License-Identifier: GPL-2.0

//! A well-behaved driver for drvsim devices of type `sample` and `sample-vf`.
//!
//! Each bound device gets a misc character device `/dev/drvsim-<name>`
//! whose `read`/`write`/`ioctl` reach the device's register regions through
//! revocable wrappers: `try_access` in every file operation, and `ENXIO`
//! once the device is unbound, for as long as the file stays open. The file
//! interface is in `Documentation/sysfs.rst` ("Character devices").

use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};
use kernel::{
    device::{
        Bound,
        Core, //
    },
    devres::Devres,
    fs::{
        File,
        Kiocb, //
    },
    ioctl::{
        _IOW,
        _IOWR, //
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
    str::CString,
    sync::{
        Arc,
        ArcBorrow, //
    },
    time::{
        delay::fsleep,
        Delta,
        Instant,
        Monotonic, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    }, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;

use drvsim::{
    devres_set::{
        DevresSet,
        SetDevres, //
    },
    region_io::{
        BoundRegion,
        RegionIo, //
    },
    revocable_variants::SrcuRevocable,
    DeviceId, //
};

/// What the sample binds, per id.
struct Info {
    is_vf: bool,
}

drvsim::drvsim_device_table!(
    SAMPLE_IDS,
    Info,
    [
        (DeviceId::new(c"sample"), Info { is_vf: false }),
        (DeviceId::new(c"sample-vf"), Info { is_vf: true })
    ]
);

/// Region size in bytes; the file maps region `i` at `i * REGION_SIZE`.
const REGION_SIZE: usize = 256;
/// `struct drvsim_reg { __u32 region, offset, value; }`: one register.
const REG_SIZE: usize = 12;
/// Reads one register: `_IOWR('D', 1, struct drvsim_reg)`.
const DRVSIM_IOC_READ32: u32 = _IOWR::<[u32; 3]>(b'D' as u32, 1);
/// Writes one register: `_IOW('D', 2, struct drvsim_reg)`.
const DRVSIM_IOC_WRITE32: u32 = _IOW::<[u32; 3]>(b'D' as u32, 2);
/// Sleeps inside a (sleepable) access for up to `ms`: `_IOW('D', 3, __u32)`.
const DRVSIM_IOC_HOLD: u32 = _IOW::<u32>(b'D' as u32, 3);
/// The longest `DRVSIM_IOC_HOLD`, in ms.
const HOLD_MAX_MS: u32 = 600_000;
/// How often a held access checks for a revocation, in ms.
const HOLD_POLL_MS: i64 = 10;

extern "C" {
    /// The `resource_model` parameter (`drvsim_sample_params.c`): `set`,
    /// `devres` or `bound`, checked at load.
    fn drvsim_sample_resource_model() -> *const kernel::ffi::c_char;
}

/// How a bound device holds its regions (`resource_model`, see
/// `Documentation/resources.rst`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Model {
    /// One `DevresSet` for the device.
    Set,
    /// One kernel `Devres` per region.
    Devres,
    /// [`BoundRegion`]s in the driver data for what runs inside driver
    /// callbacks; files, which outlive the binding, use a `DevresSet`.
    Bound,
}

/// The model `resource_model` names.
fn model() -> Model {
    // SAFETY: the parameter is a static NUL-terminated string of ours.
    match unsafe { CStr::from_char_ptr(drvsim_sample_resource_model()) }.to_bytes() {
        b"devres" => Model::Devres,
        b"bound" => Model::Bound,
        _ => Model::Set,
    }
}

/// The regions a bound device holds, in one of the two wrappers.
enum Regions {
    /// The kernel's `Devres`, one grace period per region on unbind.
    Devres(KVec<Devres<RegionIo>>),
    /// One `DevresSet` for the device, one grace period in all.
    Set(KVec<SetDevres<RegionIo>>),
    /// Broken design (`unrevoked_file_access`): a bare device pointer and
    /// the region count, as a C driver that stashes `dev` would keep.
    Unrevoked(BarePtr, usize),
}

/// A device pointer that nothing keeps alive (broken design only).
struct BarePtr(core::ptr::NonNull<kernel::device::Device>);

// SAFETY: only a pointer; the (deliberately missing) synchronisation is the
// bug that the `unrevoked_file_access` positive control demonstrates.
unsafe impl Send for BarePtr {}
// SAFETY: a shared `BarePtr` only hands out the pointer; the missing
// synchronisation of its use is, again, the demonstrated bug.
unsafe impl Sync for BarePtr {}

/// What the open files of a device share; it outlives the binding.
struct Shared {
    regions: Regions,
    /// The regions again, for accesses that sleep (`DRVSIM_IOC_HOLD`).
    /// Revoked in `unbind`, which so waits for the sleepers.
    sleepable: Pin<KBox<SrcuRevocable<KVec<RegionIo>>>>,
    /// Set in `unbind` before the sleepable access is revoked; what wakes
    /// a sleeping holder (unless `hold_ignores_revoke`).
    unbinding: AtomicBool,
}

/// `f(i)` for each of `n` regions.
fn per_region<T>(n: u32, mut f: impl FnMut(u32) -> Result<T>) -> Result<KVec<T>> {
    let mut v = KVec::with_capacity(n as usize, GFP_KERNEL)?;
    for i in 0..n {
        v.push(f(i)?, GFP_KERNEL)?;
    }
    Ok(v)
}

impl Shared {
    fn new(dev: &drvsim::Device<Bound>) -> Result<Self> {
        let n = dev.region_count();
        let regions = if module_parameters::unrevoked_file_access.value() {
            Regions::Unrevoked(
                BarePtr(core::ptr::NonNull::from(dev.as_ref()).cast()),
                n as usize,
            )
        } else if model() == Model::Devres {
            Regions::Devres(per_region(n, |i| dev.request_region(i))?)
        } else {
            let set = DevresSet::new(dev.as_ref())?;
            Regions::Set(per_region(n, |i| dev.request_region_in(&set, i))?)
        };
        let raw = per_region(n, |i| dev.unmanaged_region(i))?;
        Ok(Self {
            regions,
            sleepable: KBox::pin_init(SrcuRevocable::new(Ok::<_, Error>(raw)), GFP_KERNEL)?,
            unbinding: AtomicBool::new(false),
        })
    }

    /// Runs `f` on region `index` through `try_access`: `EINVAL` if there is
    /// no such region, `ENXIO` once it was revoked.
    fn with_region<R>(&self, index: usize, f: impl FnOnce(&RegionIo) -> Result<R>) -> Result<R> {
        match &self.regions {
            Regions::Devres(v) => v.get(index).ok_or(EINVAL)?.try_access_with(f),
            Regions::Set(v) => v.get(index).ok_or(EINVAL)?.try_access_with(f),
            Regions::Unrevoked(dev, n) if index < *n => {
                // SAFETY: none once the device is gone: this is the
                // use-after-free the positive control makes KASAN report.
                Some(unsafe { RegionIo::with_unreferenced(dev.0, index as u32, f) })
            }
            Regions::Unrevoked(..) => return Err(EINVAL),
        }
        .ok_or(ENXIO)?
    }

    /// Clears every region's scratch register (offset 4) from inside a
    /// driver callback, where `dev` proves the device bound: through the
    /// `'bound` regions in the bound model, through `access()` (no
    /// synchronisation) in the others.
    fn clear_scratch(&self, dev: &drvsim::Device<Bound>, bound: &[BoundRegion<'_>]) -> Result {
        if model() == Model::Bound {
            return bound.iter().try_for_each(|r| r.write32(0, 4));
        }
        match &self.regions {
            Regions::Devres(v) => v
                .iter()
                .try_for_each(|r| r.access(dev.as_ref())?.write32(0, 4)),
            Regions::Set(v) => v
                .iter()
                .try_for_each(|r| r.access(dev.as_ref())?.write32(0, 4)),
            Regions::Unrevoked(..) => Ok(()),
        }
    }

    fn count(&self) -> usize {
        match &self.regions {
            Regions::Devres(v) => v.len(),
            Regions::Set(v) => v.len(),
            Regions::Unrevoked(_, n) => *n,
        }
    }

    /// `DRVSIM_IOC_HOLD`: holds a sleepable access to the regions for up to
    /// `ms`. `Ok` if the whole time passed, `ENXIO` if the device was (or
    /// got) unbound, `EINTR` on a signal.
    fn hold(&self, ms: u32) -> Result {
        if ms > HOLD_MAX_MS {
            return Err(EINVAL);
        }
        let regions = self.sleepable.try_access().ok_or(ENXIO)?;
        let start = Instant::<Monotonic>::now();
        while start.elapsed().as_millis() < i64::from(ms) {
            if self.unbinding.load(Ordering::Relaxed)
                && !module_parameters::hold_ignores_revoke.value()
            {
                return Err(ENXIO);
            }
            if kernel::current!().signal_pending() {
                return Err(EINTR);
            }
            fsleep(Delta::from_millis(HOLD_POLL_MS));
        }
        // Still inside the access: the regions cannot have been dropped.
        if let Some(r) = regions.first() {
            r.read32(0)?;
        }
        Ok(())
    }
}

/// The file operations of `/dev/drvsim-<name>`.
struct RegionFile;

/// Splits a file position into (region, offset), checking alignment.
fn position(pos: i64, len: usize) -> Result<(usize, usize)> {
    let pos = usize::try_from(pos).map_err(|_| EINVAL)?;
    if pos % 4 != 0 || len % 4 != 0 {
        return Err(EINVAL);
    }
    Ok((pos / REGION_SIZE, pos % REGION_SIZE))
}

#[vtable]
impl MiscDevice for RegionFile {
    type Ptr = Arc<Shared>;

    fn open(_file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Shared>> {
        // SAFETY: every `MiscDeviceRegistration<RegionFile>` is the `misc`
        // field of a `SampleData` (see `SampleDriver::probe`), which
        // outlives its registration, so while `open` runs.
        let data = unsafe {
            &*kernel::container_of!(core::ptr::from_ref(misc).cast_mut(), SampleData<'_>, misc)
        };
        Ok(data.shared.clone())
    }

    fn read_iter(mut kiocb: Kiocb<'_, Arc<Shared>>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let shared = kiocb.file();
        let (region, offset) = position(*kiocb.ki_pos_mut(), iov.len())?;
        if region >= shared.count() {
            return Ok(0);
        }
        let mut buf = [0u8; REGION_SIZE];
        let n = iov.len().min(REGION_SIZE - offset);
        shared.with_region(region, |r| {
            for (i, chunk) in buf[..n].chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&r.read32(offset + 4 * i)?.to_ne_bytes());
            }
            Ok(())
        })?;
        // Outside the RCU read lock: copying to user space may fault.
        let copied = iov.copy_to_iter(&buf[..n]);
        *kiocb.ki_pos_mut() += copied as i64;
        Ok(copied)
    }

    fn write_iter(mut kiocb: Kiocb<'_, Arc<Shared>>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let shared = kiocb.file();
        let (region, offset) = position(*kiocb.ki_pos_mut(), iov.len())?;
        if region >= shared.count() {
            return Err(ENOSPC);
        }
        let mut buf = [0u8; REGION_SIZE];
        let n = iov.len().min(REGION_SIZE - offset);
        // Before the access: copying from user space may fault.
        if iov.copy_from_iter(&mut buf[..n]) != n {
            return Err(EFAULT);
        }
        shared.with_region(region, |r| {
            for (i, chunk) in buf[..n].chunks_exact(4).enumerate() {
                let v = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                r.write32(v, offset + 4 * i)?;
            }
            Ok(())
        })?;
        *kiocb.ki_pos_mut() += n as i64;
        Ok(n)
    }

    fn ioctl(shared: ArcBorrow<'_, Shared>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let user = UserPtr::from_addr(arg);
        match cmd {
            DRVSIM_IOC_READ32 | DRVSIM_IOC_WRITE32 => {
                let (mut reader, mut writer) = UserSlice::new(user, REG_SIZE).reader_writer();
                let [region, offset, value] = reader.read::<[u32; 3]>()?;
                if cmd == DRVSIM_IOC_WRITE32 {
                    shared.with_region(region as usize, |r| r.write32(value, offset as usize))?;
                } else {
                    let v = shared.with_region(region as usize, |r| r.read32(offset as usize))?;
                    writer.write(&[region, offset, v])?;
                }
            }
            DRVSIM_IOC_HOLD => shared.hold(UserSlice::new(user, 4).reader().read::<u32>()?)?,
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}

/// The sample driver.
struct SampleDriver;

/// Per-device state of a bound sample device.
#[pin_data]
struct SampleData<'bound> {
    is_vf: bool,
    /// The regions for the bound scope (bound model only, else empty).
    bound: KVec<BoundRegion<'bound>>,
    /// `/dev/drvsim-<name>`. Declared before `name`, so dropped first.
    #[pin]
    misc: MiscDeviceRegistration<RegionFile>,
    /// The misc device's name, which it borrows.
    name: CString,
    shared: Arc<Shared>,
}

#[vtable]
impl drvsim::Driver for SampleDriver {
    type IdInfo = Info;
    type Data<'bound> = SampleData<'bound>;
    const ID_TABLE: drvsim::IdTable<Info> = &SAMPLE_IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        info: Option<&'bound Info>,
    ) -> impl PinInit<SampleData<'bound>, Error> + 'bound {
        let is_vf = info.is_some_and(|i| i.is_vf);
        dev_info!(
            dev.as_ref(),
            "drvsim_sample: probe (type {}, vf {})\n",
            dev.type_name().to_str().unwrap_or("?"),
            is_vf
        );
        let n = if model() == Model::Bound {
            dev.region_count()
        } else {
            0
        };
        try_pin_init!(SampleData {
            is_vf,
            bound: per_region(n, |i| dev.bound_region(i))?,
            shared: {
                let shared = Arc::new(Shared::new(dev)?, GFP_KERNEL)?;
                // Reset the hardware, from inside probe.
                shared.clear_scratch(dev, bound)?;
                shared
            },
            name: CString::try_from_fmt(fmt!("drvsim-{}", dev.as_ref().name().to_str().map_err(|_| EINVAL)?))?,
            misc <- MiscDeviceRegistration::register(MiscDeviceOptions {
                // SAFETY: `name` owns a heap buffer that does not move with
                // it, and is dropped after `misc` (declaration order), which
                // deregisters the misc device.
                name: unsafe { &*core::ptr::from_ref::<CStr>(name) },
            }),
        })
    }

    fn unbind<'bound>(dev: &'bound drvsim::Device<Core<'_>>, this: Pin<&SampleData<'bound>>) {
        dev_info!(dev.as_ref(), "drvsim_sample: unbind (vf {})\n", this.is_vf);
        // Quiesce the hardware, from inside unbind: still bound here; a
        // surprise-removed device has no hardware left to quiesce.
        let quiesced = if dev.is_present() {
            this.shared.clear_scratch(dev, &this.bound)
        } else {
            Ok(())
        };
        if let Err(e) = quiesced {
            dev_err!(dev.as_ref(), "drvsim_sample: quiesce failed: {:?}\n", e);
        }
        // Wake sleeping holders, then wait for them to leave.
        this.shared.unbinding.store(true, Ordering::Relaxed);
        this.shared.sleepable.revoke();
        // As real PF drivers do in remove: this is what makes the SR-IOV
        // rescan/remove deadlock reachable.
        if dev.sriov_num_vfs() > 0 {
            dev.sriov_disable();
        }
    }

    fn sriov_configure<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _this: Pin<&SampleData<'bound>>,
        num_vfs: u32,
    ) -> Result<u32> {
        if num_vfs == 0 {
            dev.sriov_disable();
        } else {
            dev.sriov_enable(num_vfs)?;
        }
        Ok(num_vfs)
    }
}

module_drvsim_driver! {
    type: SampleDriver,
    name: "drvsim_sample",
    authors: ["drvsim developers"],
    description: "drvsim sample driver",
    license: "GPL",
    params: {
        unrevoked_file_access: bool {
            default: false,
            description: "Broken design: files reach the registers through a bare device pointer instead of a revocable (a use-after-free once the device is gone)",
        },
        hold_ignores_revoke: bool {
            default: false,
            description: "Broken design: a sleeping DRVSIM_IOC_HOLD ignores the unbind, so unbind waits out the whole sleep",
        },
    },
}
