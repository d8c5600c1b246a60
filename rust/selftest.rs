// SPDX-License-Identifier: GPL-2.0

//! Deliberate splats (lockdep, kmemleak, KASAN, KCSAN): positive controls
//! proving that the test suite's log scanner catches what it claims to
//! catch.

use kernel::{
    new_mutex,
    prelude::*, //
};

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

/// Leaks one allocation: kmemleak must report an unreferenced object.
pub(crate) fn kmemleak_leak() -> Result {
    let leaked = KBox::new([0x5au8; 64], GFP_KERNEL)?;
    let _ = KBox::into_raw(leaked);
    pr_info!("drvsim: selftest_kmemleak leaked 64 bytes\n");
    Ok(())
}

/// Reads one byte past a 16-byte allocation: KASAN must report a
/// slab-out-of-bounds read.
pub(crate) fn kasan_out_of_bounds() -> Result {
    let buf = KVec::<u8>::with_capacity(16, GFP_KERNEL)?;
    // A deliberate out-of-bounds read for KASAN to catch; the byte is in
    // the allocator's redzone, mapped memory, so only KASAN notices.
    // SAFETY: not sound on purpose, see above; volatile so it happens.
    let byte = unsafe { core::ptr::read_volatile(buf.as_ptr().add(buf.capacity())) };
    pr_info!("drvsim: selftest_kasan read {byte:#x} out of bounds\n");
    Ok(())
}

extern "C" {
    /// Two threads race on a plain variable for a second (`exports.c`).
    fn drvsim_selftest_kcsan_race() -> kernel::ffi::c_int;
}

/// A data race in drvsim's (C) code: KCSAN must report it.
pub(crate) fn kcsan_race() -> Result {
    // SAFETY: a C function without arguments; process context (init).
    kernel::error::to_result(unsafe { drvsim_selftest_kcsan_race() })
}
