// SPDX-License-Identifier: GPL-2.0

//! A device's simulated interrupt: one line of its own `irq_sim` domain
//! (`kernel/irq/irq_sim.c`, the interrupt chip gpio-sim uses), created
//! with the device and removed after `device_del()`. The device's `irq`
//! attribute names the line, `fire_irq` raises it; a driver requests it
//! through `drvsim_device_irq()` (`rust/irq.rs`). See
//! `Documentation/drvsim.rst`, "Interrupts, work and timers across unbind".
//!
//! `irq_sim` raises a line through `irq_work`
//! (`irq_set_irqchip_state(IRQCHIP_STATE_PENDING)`), so the handler runs in
//! hard irq context, on the raising CPU as a rule, right after the raise.

use core::{
    ptr,
    sync::atomic::{
        AtomicPtr,
        Ordering, //
    }, //
};
use kernel::{
    error::to_result,
    ffi::{
        c_int,
        c_uint, //
    },
    prelude::*, //
};

/// `struct irq_domain`, only ever behind a pointer.
#[repr(C)]
struct IrqDomain {
    _opaque: [u8; 0],
}

// `rust/exports.c`: `irq_sim.h` is not in the kernel's Rust bindings.
extern "C" {
    fn drvsim_sim_irq_create(domain: *mut *mut IrqDomain) -> c_int;
    fn drvsim_sim_irq_remove(domain: *mut IrqDomain, virq: c_uint);
    fn drvsim_sim_irq_fire(virq: c_uint, n: c_uint) -> c_int;
}

/// The most interrupts one `fire_irq` write raises.
pub(crate) const FIRE_MAX: u32 = 100_000;

/// A device's interrupt line.
///
/// # Invariants
///
/// `virq` is the line's mapping in `domain` while `domain` is not NULL;
/// once `domain` is NULL both are gone.
pub(crate) struct SimIrq {
    domain: AtomicPtr<IrqDomain>,
    virq: u32,
}

impl SimIrq {
    /// A domain of one line, and its mapping.
    pub(crate) fn new() -> Result<Self> {
        let mut domain = ptr::null_mut();
        // SAFETY: `domain` is a valid place for the result.
        let virq = unsafe { drvsim_sim_irq_create(&mut domain) };
        to_result(virq)?;
        // INVARIANT: created together.
        Ok(Self {
            domain: AtomicPtr::new(domain),
            virq: virq as u32,
        })
    }

    /// The line's Linux irq number (0 once removed).
    pub(crate) fn virq(&self) -> u32 {
        if self.domain.load(Ordering::Acquire).is_null() {
            0
        } else {
            self.virq
        }
    }

    /// Raises the line `n` times (1 to [`FIRE_MAX`]), each once the
    /// previous one was taken, so that each is one interrupt: `EINVAL`
    /// otherwise, `ENODEV` once the line is removed. A line nobody
    /// requested drops them. Sleeps; a fatal signal stops it (`EINTR`).
    pub(crate) fn fire(&self, n: u64) -> Result {
        if n == 0 || n > u64::from(FIRE_MAX) {
            return Err(EINVAL);
        }
        // The device's sysfs attributes, the only callers, are gone
        // before `remove()` runs.
        if self.domain.load(Ordering::Acquire).is_null() {
            return Err(ENODEV);
        }
        // SAFETY: `virq` is mapped (type invariant, domain not NULL); `n`
        // fits (checked above).
        to_result(unsafe { drvsim_sim_irq_fire(self.virq, n as c_uint) })
    }

    /// Removes the line and its domain, once; from the device's removal,
    /// after `device_del()` (no attribute, no driver left), and from its
    /// `release` for a device that never got there.
    pub(crate) fn remove(&self) {
        let domain = self.domain.swap(ptr::null_mut(), Ordering::AcqRel);
        if !domain.is_null() {
            // SAFETY: created together (type invariant); the swap makes
            // this the only removal.
            unsafe { drvsim_sim_irq_remove(domain, self.virq) };
        }
    }
}

impl Drop for SimIrq {
    fn drop(&mut self) {
        self.remove();
    }
}

#[kunit_tests(drvsim_sim_irq)]
mod tests {
    use super::*;
    use core::sync::atomic::AtomicU32;
    use kernel::{
        bindings,
        ffi::c_void, //
    };

    /// Interrupts [`count`] took.
    static TAKEN: AtomicU32 = AtomicU32::new(0);

    extern "C" fn count(_irq: c_int, _cookie: *mut c_void) -> bindings::irqreturn_t {
        TAKEN.fetch_add(1, Ordering::Relaxed);
        bindings::irqreturn::IRQ_HANDLED
    }

    /// A raise is dropped while nobody requested the line, and is one
    /// interrupt, handled before `fire()` returns, while a handler is
    /// registered; the line is gone once removed.
    #[test]
    fn each_raise_is_one_interrupt_while_requested() {
        let line = SimIrq::new();
        assert!(line.is_ok());
        let Ok(line) = line else { return };
        let virq = line.virq();
        assert!(virq > 0);
        assert_eq!(line.fire(3), Ok(()));
        TAKEN.store(0, Ordering::Relaxed);
        // SAFETY: our own line; a static handler, no cookie.
        let r = unsafe {
            bindings::request_irq(
                virq,
                Some(count),
                0,
                c"drvsim_kunit".as_char_ptr(),
                ptr::null_mut(),
            )
        };
        assert_eq!(r, 0);
        let fired = line.fire(5);
        let taken = TAKEN.load(Ordering::Relaxed);
        if r == 0 {
            // SAFETY: requested above, with this cookie.
            unsafe { bindings::free_irq(virq, ptr::null_mut()) };
        }
        assert_eq!((fired, taken), (Ok(()), 5));
        assert_eq!(line.fire(2), Ok(()));
        assert_eq!(TAKEN.load(Ordering::Relaxed), 5);
        assert_eq!(line.fire(0), Err(EINVAL));
        assert_eq!(line.fire(u64::from(FIRE_MAX) + 1), Err(EINVAL));
        line.remove();
        assert_eq!((line.virq(), line.fire(1)), (0, Err(ENODEV)));
    }
}
