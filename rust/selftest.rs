// SPDX-License-Identifier: GPL-2.0

//! Deliberate lockdep splats: positive controls proving that the test
//! suite's log scanner catches what it claims to catch.

use kernel::{new_mutex, prelude::*};

/// Takes lock A then B, and later B then A: no deadlock (one thread), but
/// lockdep reports "possible circular locking dependency detected".
pub(crate) fn lockdep_abba() -> Result {
    let a = KBox::pin_init(new_mutex!(()), GFP_KERNEL)?;
    let b = KBox::pin_init(new_mutex!(()), GFP_KERNEL)?;
    {
        let _a = a.lock();
        let _b = b.lock();
    }
    {
        let _b = b.lock();
        let _a = a.lock();
    }
    pr_info!("drvsim: selftest_lockdep_abba done\n");
    Ok(())
}

