// SPDX-License-Identifier: GPL-2.0

//! Adding devices to the bus and removing them, VFs included.
//!
//! The order is the one of the SR-IOV locking patch
//! (`shared/seeds/pci-sriov-rescan-remove-abba.txt`), and stricter: the
//! rescan/remove lock is taken only around the bookkeeping (names, VF
//! lists, links), never around `device_add()`, `device_del()`, a driver's
//! release or a probe, which take device locks. See `Documentation/drvsim.rst`.

use crate::{
    device::{
        DevRef,
        DrvsimDevice,
        Spec, //
    },
    names,
    pause::{
        self,
        Point, //
    },
    rescan_remove,
    sriov, //
};
use core::sync::atomic::Ordering;
use kernel::{
    bindings,
    prelude::*, //
};

/// Adds a device to the bus, not yet probed: reserves the name under the
/// rescan/remove lock (`EEXIST` if taken), then calls `device_add()`
/// without it (`device_add()` takes the new device's lock).
pub(crate) fn add_device(spec: Spec) -> Result<DevRef> {
    let name = spec.name;
    let hold = {
        let _rr = rescan_remove::lock();
        if names::is_closing() {
            return Err(ENODEV);
        }
        // A device of that name, or an entry of the root device's own
        // (`uevent`, `power`): `EEXIST`, without `device_add()`'s stack dump.
        if DrvsimDevice::find(Some(name.as_cstr())).is_some() || names::is_root_entry(&name) {
            return Err(EEXIST);
        }
        names::reserve_new(name)?;
        // Taken in the same section as the closing check: module exit,
        // which closes under this lock, waits for this device from here
        // until its release.
        names::Hold::new()
    };
    let r = DrvsimDevice::create(spec, hold);
    // One section: the name goes back and the device becomes removable
    // together (the lock is reentrant, `names` takes it too).
    let rr = rescan_remove::lock();
    let Ok(dev) = r else {
        names::release_gone(name);
        return r;
    };
    names::release_added(name);
    dev.set_added();
    // Module unload started meanwhile, and may have passed this device
    // over (it was not added yet): remove it here.
    let closing = names::is_closing();
    drop(rr);
    if closing {
        // The caller holds what the design requires (`legacy_lock()`).
        let _ = remove_locked(&dev, false);
        return Err(ENODEV);
    }
    Ok(dev)
}

/// Removes `dev` from the bus; `ENOENT` if removal already started.
///
/// Mark the device dead (drvsim's claim, then the driver core's
/// `kill_device()` under the device lock, as PCI/IOV v10 does) so that
/// nothing binds it again, release its driver (device lock only; a PF
/// driver disables SR-IOV there), remove any VFs left, then delete the
/// device. With `legacy_remove_no_kill=1` the device is not killed, and a
/// binder between the release and `device_del()` binds it again. With `legacy_rescan_remove=1` the plain
/// lock is instead held across all of it, from before the driver is
/// released, as before the patch.
pub(crate) fn remove(dev: &DrvsimDevice) -> Result {
    let _legacy = rescan_remove::legacy_lock();
    remove_locked(dev, false)
}

/// A surprise removal (`hot_unplug`): as [`remove`], but the device and
/// its VFs are gone before the driver is told.
///
/// With `hot_unplug_takes_rescan_remove=1` the (reentrant) rescan/remove
/// lock is held across the whole removal, driver release included, as
/// PCI's hotplug drivers hold it (`pciehp_unconfigure_device()`): AB-BA
/// against a PF driver's unbind, which disables SR-IOV with the PF's
/// device lock held, the limitation PCI/IOV v10 leaves open.
pub(crate) fn remove_surprise(dev: &DrvsimDevice) -> Result {
    let _legacy = rescan_remove::legacy_lock();
    // Not with `legacy_rescan_remove`, whose plain lock is held already.
    let _hotplug = (hot_unplug_takes_lock() && !rescan_remove::legacy())
        .then(|| rescan_remove::RESCAN_REMOVE.lock());
    remove_locked(dev, true)
}

/// Whether `hot_unplug_takes_rescan_remove` holds the rescan/remove lock
/// across a surprise removal (PCI's hotplug drivers).
fn hot_unplug_takes_lock() -> bool {
    crate::module_parameters::hot_unplug_takes_rescan_remove.value()
}

/// [`remove`] for callers that already hold what the design requires (VF
/// removal inside a PF's removal or `sriov_configure`).
fn remove_locked(dev: &DrvsimDevice, surprise: bool) -> Result {
    {
        let _rr = rescan_remove::lock();
        // Until `device_add()` returned, or once someone else started
        // removing it, the device is not ours to remove.
        if !dev.is_added() || !dev.claim_removal() {
            return Err(ENOENT);
        }
        // The name stays taken until `device_del()` has removed the
        // sysfs directory, so that a new device of the same name gets
        // `EEXIST`, not a clash in sysfs.
        names::reserve_dying(dev.name);
    }
    // The hardware vanishes whatever locks anyone holds: before the
    // device lock, which a writer inside the driver may hold.
    if surprise {
        dev.set_gone();
    }
    if !legacy_no_kill() {
        let _locked = dev.lock();
        // SAFETY: `dev` is registered and its device lock is held, as
        // `kill_device()` requires. From here on the driver core binds no
        // driver to it (`__device_attach()`, `__driver_probe_device()`).
        unsafe { bindings::kill_device(dev.as_raw()) };
    }
    pause::at(Point::Remove);
    // SAFETY: `dev` is registered (added, and we are its only remover)
    // and the caller's reference keeps it alive.
    unsafe { bindings::device_release_driver(dev.as_raw()) };
    remove_vfs(dev);
    if let Some((pf, index)) = &dev.physfn {
        sriov::unlink_vf(pf, *index, dev);
    }
    pause::at(Point::KillWindow);
    report_if_bound(dev);
    // SAFETY: `dev` is still registered: only its remover, us, deletes it;
    // the caller's reference keeps it alive.
    unsafe { bindings::device_del(dev.as_raw()) };
    // No attribute fires it and no driver holds it any more.
    dev.irq.remove();
    names::release_gone(dev.name);
    // SAFETY: drops the reference taken by `device_initialize()`, which
    // the registration owned.
    unsafe { bindings::put_device(dev.as_raw()) };
    Ok(())
}

/// Whether `legacy_remove_no_kill` restores the order without
/// `kill_device()` (PCI/IOV before v10).
fn legacy_no_kill() -> bool {
    crate::module_parameters::legacy_remove_no_kill.value()
}

/// Warns (`WARN_ON`, which the log scanner reports as `WARNING:`) if a
/// driver is bound to `dev` just before `device_del()`.
///
/// The default design cannot trip it: `kill_device()` ran under the
/// device lock before `device_release_driver()`, and every path that binds
/// (`bind`, `drivers_probe`, `rescan`, `new_id`, a driver's registration,
/// an asynchronous probe) checks the dead flag under that same lock, so
/// once the release has unbound the device nothing binds it again. With
/// `legacy_remove_no_kill=1` a binder in the window between the release
/// and `device_del()` binds it: this is that bug's detector (and a kernel
/// that lost its dead checks trips it too).
fn report_if_bound(dev: &DrvsimDevice) {
    let bound = {
        let _locked = dev.lock();
        dev.is_bound()
    };
    if bound {
        dev_err!(dev.as_dev(), "drvsim: deleted while bound\n");
    }
    kernel::warn_on!(bound);
}

/// Removes every VF of `pf`, last first (as `sriov_del_vfs()`): SR-IOV
/// disable, for the PF's driver and for the PF's own removal.
pub(crate) fn remove_vfs(pf: &DrvsimDevice) {
    for vf in sriov::detach_vfs(pf).iter().rev() {
        let _ = remove_locked(vf, false);
    }
}

/// Enables `n` VFs on `pf`; the PF's driver calls it, usually from
/// `sriov_configure` with the PF's device lock held. Fails completely or
/// not at all.
pub(crate) fn enable_vfs(pf: &DrvsimDevice, n: u32) -> Result {
    if pf.totalvfs == 0 {
        return Err(ENODEV);
    }
    if n == 0 || n > pf.totalvfs {
        return Err(EINVAL);
    }
    let vf_type = pf.type_.vf_type()?;
    {
        let _rr = rescan_remove::lock();
        // A PF being removed (or surprise-removed) gets no new VFs: its
        // remover would only remove them again, and on a gone PF they
        // would be VFs of hardware that is not there.
        if pf.is_removing() || !pf.is_present() {
            return Err(ENODEV);
        }
        if pf.sriov.num_vfs() != 0 {
            return Err(EBUSY);
        }
        pf.sriov.num_vfs.store(n, Ordering::Release);
    }
    // Room for every VF up front: a VF that is added but cannot be listed
    // would be out of reach of `remove_vfs()`.
    let reserved = crate::abi::should_fail_alloc().and_then(|()| {
        pf.sriov
            .vfs
            .lock()
            .reserve(n as usize, GFP_KERNEL)
            .map_err(Error::from)
    });
    if let Err(e) = reserved {
        pf.sriov.num_vfs.store(0, Ordering::Release);
        return Err(e);
    }
    let pf_ref = DevRef::from(pf);
    for i in 0..n {
        // `NewDevice::parse()` made sure that every VF name of the PF fits.
        let vf = pf.name.vf_name(i).and_then(|name| {
            add_device(Spec {
                name,
                type_: vf_type,
                totalvfs: 0,
                regions: pf.regions.len() as u32,
                physfn: Some((pf_ref.clone(), i)),
                early_probe: false,
                supplier: None,
                bus: pf.bus(),
            })
        });
        let vf = match vf {
            Ok(vf) => vf,
            Err(e) => {
                remove_vfs(pf);
                return Err(e);
            }
        };
        if let Err(e) = sriov::publish_vf(pf, &vf, i) {
            // Device locks are taken outside the rescan/remove lock.
            let _ = remove_locked(&vf, false);
            remove_vfs(pf);
            return Err(e);
        }
    }
    pause::at(Point::SriovEnable);
    // Probe outside the rescan/remove lock; `match` applies autoprobe.
    match sriov::listed_vfs(pf) {
        Ok(vfs) => {
            vfs.iter().for_each(|vf| vf.attach());
            Ok(())
        }
        // Fails completely or not at all (found by failslab's fail-nth).
        Err(e) => {
            remove_vfs(pf);
            Err(e)
        }
    }
}
