// SPDX-License-Identifier: GPL-2.0

//! SR-IOV on drvsim, following `drivers/pci/iov.c`: a device created with
//! `totalvfs=<n>` is a physical function (PF); its driver enables and
//! disables virtual functions (VFs), each a drvsim device of type
//! `<pf type>-vf` named `<pf>-vf<i>`, linked as `virtfn<i>` from the PF and
//! `physfn` back.
//!
//! Adding and removing VFs takes the rescan/remove lock only for the
//! bookkeeping (the VF list and count, the reserved names), never across
//! `device_add()`, `device_del()` or a probe, which take device locks; see
//! `Documentation/drvsim.rst`.

use crate::{
    bus,
    device::{DevRef, DrvsimDevice, Spec},
    device_lock, parse, rescan_remove,
    sysfs::{self, Static},
};
use core::{
    ptr,
    sync::atomic::{AtomicBool, AtomicU32, Ordering},
};
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_char, c_int},
    new_mutex,
    prelude::*,
    sync::Mutex,
};

/// A PF's SR-IOV state (unused on other devices).
#[pin_data]
pub(crate) struct Sriov {
    /// The number of enabled VFs, 0 when SR-IOV is disabled.
    num_vfs: AtomicU32,
    /// Whether VFs may be probed (`sriov_drivers_autoprobe`).
    autoprobe: AtomicBool,
    /// The VFs. Changed under the rescan/remove lock; the mutex keeps the
    /// list itself sound even on the legacy design's unlocked paths.
    #[pin]
    vfs: Mutex<KVec<DevRef>>,
}

impl Sriov {
    /// SR-IOV disabled, autoprobe on.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            num_vfs: AtomicU32::new(0),
            autoprobe: AtomicBool::new(true),
            vfs <- new_mutex!(KVec::new()),
        })
    }

    /// Calls `f` on every VF.
    pub(crate) fn for_each_vf(&self, mut f: impl FnMut(&DrvsimDevice)) {
        self.vfs.lock().iter().for_each(|vf| f(vf));
    }

    /// Whether VFs of this PF may be probed without a `driver_override`.
    pub(crate) fn autoprobe(&self) -> bool {
        self.autoprobe.load(Ordering::Acquire)
    }
}

/// `virtfn<index>`, the name of a PF's link to a VF, NUL-terminated on the
/// stack: removing a link, in a failure's rollback too, needs no memory.
struct Virtfn([u8; 17]);

impl Virtfn {
    fn new(index: u32) -> Self {
        let (mut name, mut digits) = ([0u8; 17], [0u8; 10]);
        let digits = parse::decimal(index, &mut digits);
        name[..6].copy_from_slice(b"virtfn");
        name[6..6 + digits.len()].copy_from_slice(digits);
        Self(name)
    }

    fn as_char_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
}

/// Creates `vf`'s `physfn` link and the PF's `virtfn<index>` link.
fn link(pf: &DrvsimDevice, vf: &DrvsimDevice, index: u32) -> Result {
    // sysfs allocates the links.
    crate::abi::should_fail_alloc()?;
    let name = Virtfn::new(index);
    // SAFETY: both devices are registered; their kobjects are live.
    unsafe {
        to_result(bindings::sysfs_create_link(&raw mut (*pf.as_raw()).kobj, &raw mut (*vf.as_raw()).kobj, name.as_char_ptr()))?;
        to_result(bindings::sysfs_create_link(&raw mut (*vf.as_raw()).kobj, &raw mut (*pf.as_raw()).kobj, c"physfn".as_char_ptr()))
            .inspect_err(|_| bindings::sysfs_remove_link(&raw mut (*pf.as_raw()).kobj, name.as_char_ptr()))
    }
}

/// Removes `vf`'s `physfn` link and the PF's `virtfn<index>` link.
fn unlink(pf: &DrvsimDevice, index: u32, vf: &DrvsimDevice) {
    // SAFETY: both devices are still registered; removing a link that does
    // not exist is harmless.
    unsafe {
        bindings::sysfs_remove_link(&raw mut (*pf.as_raw()).kobj, Virtfn::new(index).as_char_ptr());
        bindings::sysfs_remove_link(&raw mut (*vf.as_raw()).kobj, c"physfn".as_char_ptr());
    }
}

/// Takes VF `index` off its PF's list and removes both links, unless
/// that was done already ([`detach_vfs`]); called while the VF is removed,
/// after it was marked dead. Whoever takes a VF off the list removes its
/// links, under the lock, while the PF is certainly still registered (a
/// PF detaches its VFs before it is deleted).
pub(crate) fn unlink_vf(pf: &DrvsimDevice, index: u32, vf: &DrvsimDevice) {
    let _rr = rescan_remove::lock();
    let mut vfs = pf.sriov.vfs.lock();
    let before = vfs.len();
    vfs.retain(|v| !ptr::eq::<DrvsimDevice>(&**v, vf));
    if vfs.len() < before {
        unlink(pf, index, vf);
    }
}

/// Takes all VFs off `pf`'s list, removes their links and sets the count
/// to 0; the caller removes the VFs.
fn detach_vfs(pf: &DrvsimDevice) -> KVec<DevRef> {
    let _rr = rescan_remove::lock();
    pf.sriov.num_vfs.store(0, Ordering::Release);
    let vfs = core::mem::take(&mut *pf.sriov.vfs.lock());
    for vf in vfs.iter() {
        if let Some((_, index)) = &vf.physfn {
            unlink(pf, *index, vf);
        }
    }
    vfs
}

/// Removes every VF of `pf`, last first (as `sriov_del_vfs()`): SR-IOV
/// disable, for the PF's driver and for the PF's own removal.
pub(crate) fn remove_vfs(pf: &DrvsimDevice) {
    for vf in detach_vfs(pf).iter().rev() {
        let _ = vf.remove_locked(false);
    }
}

/// Enables `n` VFs on `pf`; the PF's driver calls it, usually from
/// `sriov_configure` with the PF's device lock held.
pub(crate) fn enable(pf: &DrvsimDevice, n: u32) -> Result {
    if pf.totalvfs == 0 {
        return Err(ENODEV);
    }
    if n == 0 || n > pf.totalvfs {
        return Err(EINVAL);
    }
    let vf_type = pf.type_.vf_type()?;
    {
        let _rr = rescan_remove::lock();
        if pf.sriov.num_vfs.load(Ordering::Acquire) != 0 {
            return Err(EBUSY);
        }
        pf.sriov.num_vfs.store(n, Ordering::Release);
    }
    // Room for every VF up front: a VF that is added but cannot be listed
    // would be out of reach of `remove_vfs()`.
    let reserved = crate::abi::should_fail_alloc()
        .and_then(|()| pf.sriov.vfs.lock().reserve(n as usize, GFP_KERNEL).map_err(Error::from));
    if let Err(e) = reserved {
        pf.sriov.num_vfs.store(0, Ordering::Release);
        return Err(e);
    }
    // SAFETY: `pf` is alive for the duration of this call.
    let pf_ref = unsafe { DevRef::get(pf.as_raw()) };
    for i in 0..n {
        let spec = Spec {
            name: pf.name.vf_name(i),
            type_: vf_type,
            totalvfs: 0,
            regions: pf.regions,
            physfn: Some((pf_ref.clone(), i)),
        };
        let vf = match bus::add_device(spec) {
            Ok(vf) => vf,
            Err(e) => {
                remove_vfs(pf);
                return Err(e);
            }
        };
        // Links and list entry go in under the lock, and only while the VF
        // is not being removed: its remover unlinks under the same lock
        // after marking it dead, so no link can outlive it.
        let published = {
            let _rr = rescan_remove::lock();
            if vf.is_removing() {
                Ok(())
            } else {
                link(pf, &vf, i).and_then(|()| {
                    pf.sriov.vfs.lock().push(vf.clone(), GFP_KERNEL).map_err(|e| {
                        unlink(pf, i, &vf);
                        Error::from(e)
                    })
                })
            }
        };
        if let Err(e) = published {
            // Device locks are taken outside the rescan/remove lock.
            let _ = vf.remove_locked(false);
            remove_vfs(pf);
            return Err(e);
        }
    }
    // Probe outside the rescan/remove lock; `match` applies autoprobe.
    let vfs = match listed_vfs(pf) {
        Ok(vfs) => vfs,
        // Fails completely or not at all (found by failslab's fail-nth).
        Err(e) => {
            remove_vfs(pf);
            return Err(e);
        }
    };
    vfs.iter().for_each(|vf| vf.attach());
    Ok(())
}

/// A copy of `pf`'s VF list, to walk without holding its lock.
fn listed_vfs(pf: &DrvsimDevice) -> Result<KVec<DevRef>> {
    crate::abi::should_fail_alloc()?;
    let list = pf.sriov.vfs.lock();
    let mut v = KVec::with_capacity(list.len(), GFP_KERNEL)?;
    for vf in list.iter() {
        v.push(vf.clone(), GFP_KERNEL)?;
    }
    Ok(v)
}

/// `sriov_totalvfs`.
unsafe extern "C" fn totalvfs_show(dev: *mut bindings::device, _a: *mut bindings::device_attribute, buf: *mut c_char) -> isize {
    // SAFETY: sysfs passes a live drvsim device and its page buffer.
    let (pf, mut out) = unsafe { (&*DrvsimDevice::from_raw(dev), sysfs::ShowBuf::new(buf)) };
    let _ = core::fmt::Write::write_fmt(&mut out, fmt!("{}\n", pf.totalvfs));
    out.done()
}

/// `sriov_numvfs` (read).
unsafe extern "C" fn numvfs_show(dev: *mut bindings::device, _a: *mut bindings::device_attribute, buf: *mut c_char) -> isize {
    // SAFETY: sysfs passes a live drvsim device and its page buffer.
    let (pf, mut out) = unsafe { (&*DrvsimDevice::from_raw(dev), sysfs::ShowBuf::new(buf)) };
    let _ = core::fmt::Write::write_fmt(&mut out, fmt!("{}\n", pf.sriov.num_vfs.load(Ordering::Acquire)));
    out.done()
}

/// `sriov_numvfs` (write), as PCI's `sriov_numvfs_store()`: calls the bound
/// driver's `sriov_configure` with the PF's device lock held.
unsafe extern "C" fn numvfs_store(
    dev: *mut bindings::device,
    _a: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    let mut n: u16 = 0;
    // SAFETY: sysfs NUL-terminates `buf`; `kstrtou16` accepts one newline.
    if let Err(e) = to_result(unsafe { bindings::kstrtou16(buf, 0, &mut n) }) {
        return e.to_errno() as isize;
    }
    // SAFETY: sysfs passes a live drvsim device.
    let pf = unsafe { &*DrvsimDevice::from_raw(dev) };
    if u32::from(n) > pf.totalvfs {
        return ERANGE.to_errno() as isize;
    }
    let _dev_lock = device_lock::DeviceLock::new(dev);
    let r = (|| {
        let current = pf.sriov.num_vfs.load(Ordering::Acquire);
        if u32::from(n) == current {
            return Ok(());
        }
        // SAFETY: we hold the device lock, so `driver` is stable.
        let drv = unsafe { (*dev).driver };
        // SAFETY: a bound drvsim device's driver is a drvsim driver.
        let configure = (!drv.is_null()).then(|| unsafe { (*bus::to_driver(drv)).sriov_configure }).flatten();
        let Some(configure) = configure else {
            return Err(ENOENT);
        };
        if n != 0 && current != 0 {
            return Err(EBUSY);
        }
        // The legacy design holds the plain lock around the driver's
        // callback: device lock, then rescan/remove lock.
        let _legacy = rescan_remove::legacy_lock();
        // SAFETY: `dev` is bound to this driver and its lock is held.
        to_result(unsafe { configure(dev, c_int::from(n)) })
    })();
    sysfs::store_result(r, count)
}

/// `sriov_drivers_autoprobe` (read).
unsafe extern "C" fn autoprobe_show(dev: *mut bindings::device, _a: *mut bindings::device_attribute, buf: *mut c_char) -> isize {
    // SAFETY: sysfs passes a live drvsim device and its page buffer.
    let pf = unsafe { &*DrvsimDevice::from_raw(dev) };
    // SAFETY: as above.
    unsafe { sysfs::emit(buf, &[if pf.sriov.autoprobe() { b"1" } else { b"0" }]) }
}

/// `sriov_drivers_autoprobe` (write): `kstrtobool()` syntax.
unsafe extern "C" fn autoprobe_store(
    dev: *mut bindings::device,
    _a: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    let mut b = false;
    // SAFETY: sysfs NUL-terminates `buf`.
    let r = to_result(unsafe { bindings::kstrtobool(buf, &mut b) }).map(|()| {
        // SAFETY: sysfs passes a live drvsim device.
        unsafe { &*DrvsimDevice::from_raw(dev) }.sriov.autoprobe.store(b, Ordering::Release)
    });
    sysfs::store_result(r, count)
}

/// Shows the SR-IOV attributes on PFs only.
unsafe extern "C" fn pf_attr_visible(kobj: *mut bindings::kobject, attr: *mut bindings::attribute, _n: c_int) -> u16 {
    // SAFETY: the group belongs to drvsim devices, whose kobject is the
    // one embedded in their `struct device`.
    let dev = unsafe { kernel::container_of!(kobj, bindings::device, kobj) };
    // SAFETY: as above; `attr` is one of this group's attributes.
    unsafe { if (*DrvsimDevice::from_raw(dev)).totalvfs > 0 { (*attr).mode } else { 0 } }
}

static ATTR_TOTALVFS: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"sriov_totalvfs", Some(totalvfs_show), None));
static ATTR_NUMVFS: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"sriov_numvfs", Some(numvfs_show), Some(numvfs_store)));
static ATTR_AUTOPROBE: Static<bindings::device_attribute> =
    Static::new(sysfs::dev_attr(c"sriov_drivers_autoprobe", Some(autoprobe_show), Some(autoprobe_store)));
static PF_ATTRS: Static<[*mut bindings::attribute; 4]> = Static::new([
    ATTR_TOTALVFS.get().cast(),
    ATTR_NUMVFS.get().cast(),
    ATTR_AUTOPROBE.get().cast(),
    ptr::null_mut(),
]);
/// The SR-IOV attributes, visible on PFs.
pub(crate) static PF_GROUP: Static<bindings::attribute_group> = Static::new({
    let mut g = sysfs::group(PF_ATTRS.get().cast());
    g.__bindgen_anon_1.is_visible = Some(pf_attr_visible);
    g
});

/// Enables `num_vfs` VFs on the PF `dev` (exported to drivers, like
/// `pci_enable_sriov()`); 0 or a negative errno.
///
/// # Safety
///
/// `dev` must be a drvsim device bound to the calling driver.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_sriov_enable(dev: *mut bindings::device, num_vfs: c_int) -> c_int {
    let n = u32::try_from(num_vfs).map_err(|_| EINVAL);
    // SAFETY: per the safety requirement.
    let pf = unsafe { &*DrvsimDevice::from_raw(dev) };
    match n.and_then(|n| enable(pf, n)) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Disables SR-IOV on the PF `dev`, removing its VFs (exported to drivers,
/// like `pci_disable_sriov()`).
///
/// # Safety
///
/// `dev` must be a drvsim device bound to the calling driver.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_sriov_disable(dev: *mut bindings::device) {
    // SAFETY: per the safety requirement.
    remove_vfs(unsafe { &*DrvsimDevice::from_raw(dev) })
}

/// The number of enabled VFs of `dev` (exported to drivers).
///
/// # Safety
///
/// `dev` must be a live drvsim device.
#[no_mangle]
pub(crate) unsafe extern "C" fn drvsim_sriov_num_vfs(dev: *const bindings::device) -> c_int {
    // SAFETY: per the safety requirement.
    let n = unsafe { (*DrvsimDevice::from_raw(dev)).sriov.num_vfs.load(Ordering::Acquire) };
    n as c_int
}

// `parse` caps `totalvfs`, so VF indices fit a C int and four digits.
const _: () = assert!(parse::TOTALVFS_MAX <= 9999);
