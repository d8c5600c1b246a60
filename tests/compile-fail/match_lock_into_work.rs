// SPDX-License-Identifier: GPL-2.0

//! compile-fail: E0277
//!
//! A `MatchLock` (`rust/device_lock.rs`) moved into a work item, which
//! runs in another task: that task would unlock the device lock the match
//! took, or tell lockdep it released a lock it never took.
//! It is not `Send`, as the kernel's lock guards are not.

use kernel::{
    device::Device,
    prelude::*,
    workqueue, //
};

#[path = "../../rust/device_lock.rs"]
mod device_lock;

module! {
    type: Cf,
    name: "match_lock_into_work",
    authors: ["drvsim developers"],
    description: "compile-fail case",
    license: "GPL",
    // What `device_lock.rs` reads (`drvsim.ko` has them).
    params: {
        match_takes_device_lock: bool {
            default: false,
            description: "as drvsim.ko's",
        },
        lockdep_device_class: bool {
            default: false,
            description: "as drvsim.ko's",
        },
    },
}

/// Matches `dev` here and undoes it from the system workqueue.
pub fn unlock_elsewhere(dev: &'static Device) -> Result {
    let guard = device_lock::MatchLock::enter(dev, || false);
    workqueue::system().try_spawn(GFP_KERNEL, move || drop(guard))?; //~ ERROR E0277
    Ok(())
}

struct Cf;

impl kernel::Module for Cf {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Cf)
    }
}
