// SPDX-License-Identifier: GPL-2.0

//! A driver whose interrupt handler, work item and timer touch its driver
//! data, for the three concurrent users of a binding that Jason Gunthorpe
//! lists ("work queues, timers, interrupts") and Laurent Pinchart's
//! `devm_request_irq()` handler that "can run right after .remove()"
//! (`shared/seeds/revocable-revert-debate.txt`). See
//! `Documentation/bugs.rst`, row 21.
//!
//! Devices of type `irq`. Probe allocates the binding's state (the data
//! everything below touches) and, by default:
//!
//! - requests the device's interrupt line through `drvsim::irq` (7.3's
//!   `kernel::irq::Registration`, with a handler that gets
//!   `&Device<Bound>`), freed with the driver data;
//! - arms a delayed work (`kernel::workqueue`) and an hrtimer
//!   (`kernel::time::hrtimer`), each re-arming itself every [`TICK_MS`],
//!   cancelled (`cancel_delayed_work_sync()`, `hrtimer_cancel()`) when the
//!   driver data is dropped, before the state is freed.
//!
//! The broken designs, one module parameter each:
//!
//! - `legacy_irq=1`: the C order, `devm_request_irq()` in probe before the
//!   driver data exists; the line is freed by devres, after the unbind has
//!   dropped the data its handler uses;
//! - `legacy_work=1`, `legacy_timer=1`: nothing stops them at unbind; they
//!   run on and touch the freed state.
//!
//! Probe registers one device-managed action last, so that it runs first
//! at unbind, after the driver data is gone and before the legacy line is
//! freed: the `unbind_devres` pause point (`drvsim_pause_unbind_devres()`),
//! where a test fires the interrupt. From there on a legacy work or timer
//! (re-arming every [`UNBIND_TICK_MS`] once the unbind started) runs
//! [`LEGACY_RUNS`] more times and stops, so that a control's log holds
//! a few reports, not thousands; module exit cancels what is left.
//!
//! The driver's `irqs`, `works` and `timers` attributes count the handled
//! interrupts, work runs and timer expiries since the module was loaded.

use core::{
    pin::Pin,
    sync::atomic::{
        AtomicBool,
        AtomicU32,
        AtomicU64,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    device::Core,
    driver,
    ffi::{
        c_char,
        c_int,
        c_uint,
        c_void, //
    },
    impl_has_delayed_work,
    impl_has_hr_timer,
    new_delayed_work,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
    time::{
        hrtimer::{
            ArcHrTimerHandle,
            HrTimer,
            HrTimerCallback,
            HrTimerCallbackContext,
            HrTimerPointer,
            HrTimerRestart,
            RelativeMode, //
        },
        msecs_to_jiffies,
        Delta,
        Monotonic, //
    },
    workqueue::{
        self,
        DelayedWork,
        WorkItem, //
    },
    InPlaceModule, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;
#[path = "../rust/sysfs.rs"]
pub mod sysfs;

use drvsim::{
    irq::{
        self,
        IrqReturn, //
    },
    DeviceId, //
};
use sysfs::Static;

module! {
    type: IrqModule,
    name: "drvsim_irq",
    authors: ["drvsim developers"],
    description: "drvsim driver with an interrupt handler, a work item and a timer across unbind",
    license: "GPL",
    params: {
        legacy_irq: bool {
            default: false,
            description: "Broken design: the interrupt handler is registered device-managed (devm_request_irq()) before the driver data it uses, so it runs after unbind dropped that data (the C order)",
        },
        legacy_work: bool {
            default: false,
            description: "Broken design: the self-rearming delayed work armed in probe is not cancelled at unbind and runs on the freed driver data",
        },
        legacy_timer: bool {
            default: false,
            description: "Broken design: the self-rearming hrtimer armed in probe is not cancelled at unbind and runs on the freed driver data",
        },
    },
}

/// The period of the work and the timer, in ms.
const TICK_MS: u32 = 2;

/// Their period once the unbind has started. A KASAN report printed from
/// the timer's hard irq takes longer than [`TICK_MS`] under TCG: at that
/// period a broken timer would starve the unbinding task on its vCPU and
/// report again and again until the unbind got through.
const UNBIND_TICK_MS: u32 = 20;

/// How many times a legacy work or timer runs after the unbind freed its
/// data before it stops re-arming itself.
const LEGACY_RUNS: u32 = 3;

/// Handled interrupts since load (the `irqs` attribute).
static IRQS: AtomicU64 = AtomicU64::new(0);
/// Work runs since load (`works`).
static WORKS: AtomicU64 = AtomicU64::new(0);
/// Timer expiries since load (`timers`).
static TIMERS: AtomicU64 = AtomicU64::new(0);

kernel::sync::global_lock! {
    // SAFETY: initialised in module init, before the driver registers.
    /// The legacy designs' work and timers, which nothing stopped at unbind;
    /// module exit cancels them.
    unsafe(uninit) static LEAKED: Mutex<KVec<Stoppers>> = KVec::new();
}

/// A binding's state: the driver data that the handler, the work and the
/// timer read. They only read it: KASAN keeps its own metadata in a freed
/// object, which a write through a stale pointer would corrupt.
struct State {
    /// Whether the binding takes events (always, while it exists).
    live: AtomicBool,
}

/// Counts an interrupt if `state` takes it; `state` is freed memory, with
/// `legacy_irq`, for a handler that runs after unbind. Not inlined, so
/// that a KASAN report names it.
#[inline(never)]
fn count_irq(state: &State) {
    if state.live.load(Ordering::Relaxed) {
        IRQS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts a work run, as [`count_irq`].
#[inline(never)]
fn count_work(state: &State) {
    if state.live.load(Ordering::Relaxed) {
        WORKS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts a timer expiry, as [`count_irq`].
#[inline(never)]
fn count_timer(state: &State) {
    if state.live.load(Ordering::Relaxed) {
        TIMERS.fetch_add(1, Ordering::Relaxed);
    }
}

/// The default design's interrupt handler.
///
/// # Invariants
///
/// `state` points to the state of the binding whose driver data holds
/// the registration of this handler; the data drops the registration
/// (`free_irq()`) before the state.
struct IrqHandler {
    state: *const State,
}

// SAFETY: `state` is only read through as a shared reference to atomics.
unsafe impl Send for IrqHandler {}
// SAFETY: as `Send`.
unsafe impl Sync for IrqHandler {}

impl irq::Handler for IrqHandler {
    fn handle(&self, dev: &drvsim::Device<kernel::device::Bound>) -> IrqReturn {
        // A surprise-removed device raises nothing: not ours.
        if !dev.is_present() {
            return IrqReturn::None;
        }
        // SAFETY: the state outlives the registration (type invariant).
        count_irq(unsafe { &*self.state });
        IrqReturn::Handled
    }
}

/// `legacy_irq`'s handler, registered with `devm_request_irq()`; the
/// cookie is the binding's state.
///
/// # Safety
///
/// None: this is the broken design. The cookie is freed with the driver
/// data at unbind, before devres frees the line.
unsafe extern "C" fn legacy_irq_handler(_irq: c_int, cookie: *mut c_void) -> bindings::irqreturn_t {
    // SAFETY: not safe after the unbind dropped the driver data: the bug
    // that `legacy_irq` restores, for KASAN to report.
    count_irq(unsafe { &*cookie.cast_const().cast::<State>() });
    bindings::irqreturn_t(IrqReturn::Handled as c_uint)
}

/// The delayed work and the hrtimer of a binding, each re-arming itself.
///
/// # Invariants
///
/// `state` points to the binding's state, which the default design
/// keeps alive until both are cancelled.
#[pin_data]
struct Ticker {
    #[pin]
    work: DelayedWork<Ticker>,
    #[pin]
    timer: HrTimer<Ticker>,
    state: *const State,
    /// Set when the unbind starts (the driver's `unbind`).
    unbinding: AtomicBool,
    /// Set by the device-managed action of the unbind, once the driver
    /// data is gone.
    freed: AtomicBool,
    /// Runs left after `freed`, for the work and for the timer.
    work_left: AtomicU32,
    timer_left: AtomicU32,
}

// SAFETY: `state` is only read through as a shared reference to atomics;
// the rest is `Send` and `Sync`.
unsafe impl Send for Ticker {}
// SAFETY: as `Send`.
unsafe impl Sync for Ticker {}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Ticker { self.work }
}

impl_has_hr_timer! {
    impl HasHrTimer<Self> for Ticker {
        mode: RelativeMode<Monotonic>,
        field: self.timer
    }
}

impl Ticker {
    fn new(state: *const State) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                work <- new_delayed_work!("drvsim_irq_work"),
                timer <- HrTimer::new(),
                state,
                unbinding: AtomicBool::new(false),
                freed: AtomicBool::new(false),
                work_left: AtomicU32::new(LEGACY_RUNS),
                timer_left: AtomicU32::new(LEGACY_RUNS),
            }),
            GFP_KERNEL,
        )
    }

    /// Whether to re-arm after a run: always while the data lives; for a
    /// legacy design that lets it run on, [`LEGACY_RUNS`] times after.
    fn again(&self, left: &AtomicU32) -> bool {
        !self.freed.load(Ordering::Acquire) || left.fetch_sub(1, Ordering::AcqRel) > 1
    }

    /// The period: [`TICK_MS`], [`UNBIND_TICK_MS`] once the unbind started.
    fn period(&self) -> u32 {
        if self.unbinding.load(Ordering::Relaxed) {
            UNBIND_TICK_MS
        } else {
            TICK_MS
        }
    }

    /// Queues the work on the system workqueue, one period from now. A
    /// work that is queued already (or being cancelled) gives the
    /// reference back, which is dropped.
    fn queue_work(this: Arc<Self>) {
        let delay = msecs_to_jiffies(this.period());
        let _ = workqueue::system().enqueue_delayed(this, delay);
    }
}

impl WorkItem for Ticker {
    type Pointer = Arc<Ticker>;

    fn run(this: Arc<Ticker>) {
        // SAFETY: valid until the work is cancelled (type invariant); not
        // with `legacy_work`, the bug for KASAN to report.
        count_work(unsafe { &*this.state });
        if this.again(&this.work_left) {
            Self::queue_work(this);
        }
    }
}

impl HrTimerCallback for Ticker {
    type Pointer<'a> = Arc<Ticker>;

    fn run(
        this: ArcBorrow<'_, Ticker>,
        mut ctx: HrTimerCallbackContext<'_, Self>,
    ) -> HrTimerRestart {
        // SAFETY: valid until the timer is cancelled (type invariant); not
        // with `legacy_timer`, the bug for KASAN to report.
        count_timer(unsafe { &*this.state });
        if !this.again(&this.timer_left) {
            return HrTimerRestart::NoRestart;
        }
        ctx.forward_now(Delta::from_millis(this.period().into()));
        HrTimerRestart::Restart
    }
}

/// Cancels a [`Ticker`]'s work when dropped, and waits for a run in
/// progress; a self-requeue meanwhile fails.
struct WorkStopper(Arc<Ticker>);

impl Drop for WorkStopper {
    fn drop(&mut self) {
        let dwork: *const DelayedWork<Ticker> = &self.0.work;
        // SAFETY: `DelayedWork` is a transparent wrapper of an initialised
        // `struct delayed_work`, which lives as long as `self.0`.
        let was_queued = unsafe { bindings::cancel_delayed_work_sync(dwork.cast_mut().cast()) };
        if was_queued {
            // SAFETY: a queued work owns the `Arc` reference that
            // `enqueue_delayed()` turned into a raw pointer; the cancel
            // took it off the queue, so it is ours to drop.
            drop(unsafe { Arc::from_raw(Arc::as_ptr(&self.0)) });
        }
    }
}

/// What stops a binding's work and timer: the default design keeps them
/// in its driver data, a legacy one in [`LEAKED`] until module exit.
#[derive(Default)]
struct Stoppers {
    timer: Option<ArcHrTimerHandle<Ticker>>,
    work: Option<WorkStopper>,
}

/// A binding's driver data. Fields drop in declaration order: the default
/// design's line, timer and work stop before the state goes.
struct Binding<'bound> {
    ticker: Arc<Ticker>,
    _line: Option<Pin<KBox<irq::Registration<'bound, IrqHandler>>>>,
    _stoppers: Stoppers,
    _state: KBox<State>,
}

/// The device-managed action probe registers last: it runs first at
/// unbind, after the driver data is dropped and before the earlier
/// device-managed resources (`legacy_irq`'s line) are released. It marks
/// the work and timer's data freed and stops at the `unbind_devres` pause
/// point. `data` is an `Arc<Ticker>` turned into a raw pointer.
///
/// # Safety
///
/// Only as the action registered in probe, with its data, once.
unsafe extern "C" fn unbind_devres(data: *mut c_void) {
    // SAFETY: the reference probe gave this action.
    let ticker = unsafe { Arc::from_raw(data.cast_const().cast::<Ticker>()) };
    ticker.freed.store(true, Ordering::Release);
    drvsim::abi::pause_unbind_devres();
}

/// Registers [`unbind_devres`] for `dev` with a reference to `ticker`.
fn add_unbind_action(dev: &drvsim::Device<kernel::device::Bound>, ticker: &Arc<Ticker>) -> Result {
    let data = Arc::into_raw(ticker.clone());
    // SAFETY: `dev` is bound; the action takes `data` once, at unbind.
    let r = kernel::error::to_result(unsafe {
        bindings::__devm_add_action(
            dev.as_raw(),
            Some(unbind_devres),
            data.cast_mut().cast(),
            c"drvsim_irq_unbind".as_char_ptr(),
        )
    });
    if r.is_err() {
        // SAFETY: not registered: the reference is still ours.
        drop(unsafe { Arc::from_raw(data) });
    }
    r
}

// The device types this driver binds.
drvsim::drvsim_device_table!(IRQ_IDS, (), [(DeviceId::new(c"irq"), ())]);

/// The `irq` driver.
struct IrqDriver;

#[vtable]
impl drvsim::Driver for IrqDriver {
    type IdInfo = ();
    type Data<'bound> = Binding<'bound>;
    const ID_TABLE: drvsim::IdTable<()> = &IRQ_IDS;
    const GROUPS: *const *const bindings::attribute_group = GROUPS.get().cast_const().cast();

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let bound: &'bound drvsim::Device<kernel::device::Bound> = dev;
        let state = KBox::new(
            State {
                live: AtomicBool::new(true),
            },
            GFP_KERNEL,
        )?;
        let sp: *const State = &*state;
        let line = if module_parameters::legacy_irq.value() {
            let req = bound.irq_by_index(0)?;
            // SAFETY: the broken design: the line is freed by devres after
            // the data behind the cookie is dropped.
            kernel::error::to_result(unsafe {
                bindings::devm_request_threaded_irq(
                    bound.as_raw(),
                    req.irq(),
                    Some(legacy_irq_handler),
                    None,
                    0,
                    c"drvsim_irq".as_char_ptr(),
                    sp.cast_mut().cast(),
                )
            })?;
            None
        } else {
            // INVARIANT: `state` goes into the same driver data, after
            // the registration.
            let handler = IrqHandler { state: sp };
            // SAFETY: the registration goes into the driver data, which
            // is dropped, never forgotten.
            let reg = unsafe {
                irq::Registration::new(
                    bound.irq_by_index(0)?,
                    c"drvsim_irq",
                    Ok::<_, Error>(handler),
                )
            };
            Some(KBox::pin_init(reg, GFP_KERNEL)?)
        };
        // INVARIANT: the default design keeps the stoppers in the driver
        // data, before `state`.
        let ticker = Ticker::new(sp)?;
        add_unbind_action(bound, &ticker)?;
        let timer = ticker.clone().start(Delta::from_millis(TICK_MS.into()));
        Ticker::queue_work(ticker.clone());
        let mut stoppers = Stoppers {
            timer: Some(timer),
            work: Some(WorkStopper(ticker.clone())),
        };
        let mut leaked = Stoppers::default();
        if module_parameters::legacy_timer.value() {
            leaked.timer = stoppers.timer.take();
        }
        if module_parameters::legacy_work.value() {
            leaked.work = stoppers.work.take();
        }
        if leaked.timer.is_some() || leaked.work.is_some() {
            // Stopped at module exit (or here, if there is no room).
            LEAKED.lock().push(leaked, GFP_KERNEL)?;
        }
        dev_info!(dev.as_ref(), "drvsim_irq: bound\n");
        Ok(Binding {
            ticker,
            _line: line,
            _stoppers: stoppers,
            _state: state,
        })
    }

    fn unbind<'bound>(_dev: &'bound drvsim::Device<Core<'_>>, this: Pin<&Binding<'bound>>) {
        this.ticker.unbinding.store(true, Ordering::Relaxed);
    }
}

/// `irqs`, `works`, `timers`: a count since load.
fn show_count(buf: *mut c_char, count: &AtomicU64) -> isize {
    // SAFETY: sysfs passes its page buffer.
    let out = unsafe { sysfs::ShowBuf::new(buf) };
    out.emit_fmt(format_args!("{}\n", count.load(Ordering::Relaxed)))
}

extern "C" fn irqs_show(_drv: *mut bindings::device_driver, buf: *mut c_char) -> isize {
    show_count(buf, &IRQS)
}

extern "C" fn works_show(_drv: *mut bindings::device_driver, buf: *mut c_char) -> isize {
    show_count(buf, &WORKS)
}

extern "C" fn timers_show(_drv: *mut bindings::device_driver, buf: *mut c_char) -> isize {
    show_count(buf, &TIMERS)
}

static ATTR_IRQS: Static<bindings::driver_attribute> =
    Static::new(sysfs::drv_attr(c"irqs", Some(irqs_show), None));
static ATTR_WORKS: Static<bindings::driver_attribute> =
    Static::new(sysfs::drv_attr(c"works", Some(works_show), None));
static ATTR_TIMERS: Static<bindings::driver_attribute> =
    Static::new(sysfs::drv_attr(c"timers", Some(timers_show), None));
static ATTRS: Static<[*mut bindings::attribute; 4]> = Static::new([
    ATTR_IRQS.get().cast(),
    ATTR_WORKS.get().cast(),
    ATTR_TIMERS.get().cast(),
    core::ptr::null_mut(),
]);
static GROUP: Static<bindings::attribute_group> = Static::new(sysfs::group(ATTRS.get().cast()));
static GROUPS: Static<[*const bindings::attribute_group; 2]> =
    Static::new([GROUP.get().cast_const(), core::ptr::null()]);

/// The module: the driver, then what stops the legacy designs' leftovers.
#[pin_data]
struct IrqModule {
    #[pin]
    driver: driver::Registration<drvsim::Adapter<IrqDriver>>,
    /// Stops what [`LEAKED`] holds, once the driver is unregistered.
    _teardown: Teardown,
}

/// Cancels the legacy designs' work and timers at module exit, before
/// their code goes.
struct Teardown;

impl Drop for Teardown {
    fn drop(&mut self) {
        let leaked = core::mem::take(&mut *LEAKED.lock());
        // Outside the lock: the cancels wait for running callbacks.
        drop(leaked);
    }
}

impl InPlaceModule for IrqModule {
    fn init(module: &'static kernel::ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: called once, before the driver registers.
        unsafe { LEAKED.init() };
        try_pin_init!(Self {
            driver <- driver::Registration::new(c"drvsim_irq", module),
            _teardown: Teardown,
        })
    }
}
