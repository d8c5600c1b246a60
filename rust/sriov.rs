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
    device::{
        DevRef,
        DrvsimDevice, //
    },
    parse,
    rescan_remove,
    sysfs::{
        self,
        ShowBuf,
        Static, //
    }, //
};
use core::{
    ptr,
    sync::atomic::Ordering, //
};
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_char,
        c_int, //
    },
    prelude::*, //
};

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
        to_result(bindings::sysfs_create_link(
            &raw mut (*pf.as_raw()).kobj,
            &raw mut (*vf.as_raw()).kobj,
            name.as_char_ptr(),
        ))?;
        to_result(bindings::sysfs_create_link(
            &raw mut (*vf.as_raw()).kobj,
            &raw mut (*pf.as_raw()).kobj,
            c"physfn".as_char_ptr(),
        ))
        .inspect_err(|_| {
            bindings::sysfs_remove_link(&raw mut (*pf.as_raw()).kobj, name.as_char_ptr())
        })
    }
}

/// Removes `vf`'s `physfn` link and the PF's `virtfn<index>` link.
fn unlink(pf: &DrvsimDevice, index: u32, vf: &DrvsimDevice) {
    // SAFETY: both devices are still registered; removing a link that does
    // not exist is harmless.
    unsafe {
        bindings::sysfs_remove_link(
            &raw mut (*pf.as_raw()).kobj,
            Virtfn::new(index).as_char_ptr(),
        );
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
pub(crate) fn detach_vfs(pf: &DrvsimDevice) -> KVec<DevRef> {
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

/// Lists `vf` as VF `index` of `pf` and links them, unless `vf` is
/// already being removed (then its remover has nothing to unlink): its
/// remover unlinks under the same lock after marking it dead, so no link
/// can outlive it. On failure nothing is listed or linked.
pub(crate) fn publish_vf(pf: &DrvsimDevice, vf: &DevRef, index: u32) -> Result {
    let _rr = rescan_remove::lock();
    if vf.is_removing() {
        return Ok(());
    }
    link(pf, vf, index)?;
    pf.sriov
        .vfs
        .lock()
        .push(vf.clone(), GFP_KERNEL)
        .map_err(|e| {
            unlink(pf, index, vf);
            Error::from(e)
        })
}

/// A copy of `pf`'s VF list, to walk without holding its lock.
pub(crate) fn listed_vfs(pf: &DrvsimDevice) -> Result<KVec<DevRef>> {
    crate::abi::should_fail_alloc()?;
    let list = pf.sriov.vfs.lock();
    let mut v = KVec::with_capacity(list.len(), GFP_KERNEL)?;
    for vf in list.iter() {
        v.push(vf.clone(), GFP_KERNEL)?;
    }
    Ok(v)
}

/// `sriov_totalvfs`.
extern "C" fn totalvfs_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // its page buffer.
    let (pf, out) = unsafe { (DrvsimDevice::from_raw(dev), ShowBuf::new(buf)) };
    out.emit_fmt(fmt!("{}\n", pf.totalvfs))
}

/// `sriov_numvfs` (read).
extern "C" fn numvfs_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // its page buffer.
    let (pf, out) = unsafe { (DrvsimDevice::from_raw(dev), ShowBuf::new(buf)) };
    out.emit_fmt(fmt!("{}\n", pf.sriov.num_vfs()))
}

/// `sriov_numvfs` (write), as PCI's `sriov_numvfs_store()`: calls the bound
/// driver's `sriov_configure` with the PF's device lock held.
extern "C" fn numvfs_store(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // the input it received, NUL-terminated.
    let (pf, n) = unsafe { (DrvsimDevice::from_raw(dev), sysfs::kstrtou16(buf)) };
    let r = n.and_then(|n| set_num_vfs(pf, n));
    sysfs::store_result(r, count)
}

/// Asks `pf`'s driver for `n` VFs, through its `sriov_configure`.
fn set_num_vfs(pf: &DrvsimDevice, n: u16) -> Result {
    if u32::from(n) > pf.totalvfs {
        return Err(ERANGE);
    }
    let locked = pf.lock();
    let current = pf.sriov.num_vfs();
    if u32::from(n) == current {
        return Ok(());
    }
    let Some(configure) = locked.driver().and_then(|drv| drv.sriov_configure) else {
        return Err(ENOENT);
    };
    if n != 0 && current != 0 {
        return Err(EBUSY);
    }
    // The legacy design holds the plain lock around the driver's
    // callback: device lock, then rescan/remove lock.
    let _legacy = rescan_remove::legacy_lock();
    // SAFETY: `pf` is bound to this driver and its lock is held.
    to_result(unsafe { configure(pf.as_raw(), c_int::from(n)) })
}

/// `sriov_drivers_autoprobe` (read).
extern "C" fn autoprobe_show(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // its page buffer.
    let (pf, out) = unsafe { (DrvsimDevice::from_raw(dev), ShowBuf::new(buf)) };
    out.emit(&[if pf.sriov.autoprobe() { b"1" } else { b"0" }])
}

/// `sriov_drivers_autoprobe` (write): `kstrtobool()` syntax.
extern "C" fn autoprobe_store(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes a drvsim device, alive during the callback, and
    // the input it received, NUL-terminated.
    let (pf, b) = unsafe { (DrvsimDevice::from_raw(dev), sysfs::kstrtobool(buf)) };
    let r = b.map(|b| pf.sriov.autoprobe.store(b, Ordering::Release));
    sysfs::store_result(r, count)
}

/// Shows the SR-IOV attributes on PFs only.
extern "C" fn pf_attr_visible(
    kobj: *mut bindings::kobject,
    attr: *mut bindings::attribute,
    _n: c_int,
) -> u16 {
    // SAFETY: the group belongs to drvsim devices, whose kobject is the
    // one embedded in their `struct device`, alive during the callback.
    let pf = unsafe { DrvsimDevice::from_raw(kernel::container_of!(kobj, bindings::device, kobj)) };
    if pf.totalvfs == 0 {
        return 0;
    }
    // SAFETY: `attr` is one of this group's static attributes.
    unsafe { (*attr).mode }
}

static ATTR_TOTALVFS: Static<bindings::device_attribute> = Static::new(sysfs::dev_attr(
    c"sriov_totalvfs",
    Some(totalvfs_show),
    None,
));
static ATTR_NUMVFS: Static<bindings::device_attribute> = Static::new(sysfs::dev_attr(
    c"sriov_numvfs",
    Some(numvfs_show),
    Some(numvfs_store),
));
static ATTR_AUTOPROBE: Static<bindings::device_attribute> = Static::new(sysfs::dev_attr(
    c"sriov_drivers_autoprobe",
    Some(autoprobe_show),
    Some(autoprobe_store),
));
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

// `parse` caps `totalvfs`, so VF indices fit a C int and four digits.
const _: () = assert!(parse::TOTALVFS_MAX <= 9999);
