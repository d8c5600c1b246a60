// SPDX-License-Identifier: GPL-2.0

//! A driver for drvsim devices of type `bench` that measures what device
//! resources cost, for `make bench` (`tests/bench/revocation.sh`).
//!
//! `/sys/bus/drvsim/drivers/drvsim_bench/config` takes what the next probe
//! does (`EINVAL` otherwise):
//!
//! - `devres <n>`: hold n objects, one kernel `Devres` each;
//! - `set <n>`: hold n objects in one `DevresSet`;
//! - `bound <n>`: hold n `BoundRegion<'bound>`s in the driver data (the
//!   device needs n regions): nothing outlives the binding, nothing is
//!   revoked;
//! - `access`: measure the cost of one access through each wrapper, alone
//!   and with a concurrent reader, and put the table in `results`.
//!
//! n is 0 to 4096 (`bound`'s probe fails with `EINVAL` unless the device
//! has n regions, and a device has at most 256). For `devres` and `set`,
//! the objects outlive the driver data until the next probe, as they do
//! when a file or a work item still holds them. That is the case
//! revocation exists for, and the only case in which unbinding revokes
//! them: a `Devres` dropped with the driver data is dropped without a
//! grace period. So `unbind` then pays for the revocation, and the
//! benchmark times it from user space.

use core::{
    fmt::Write,
    hint::black_box,
    sync::atomic::{
        AtomicBool,
        AtomicPtr,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    device::{
        Bound,
        Core, //
    },
    devres::Devres,
    ffi::c_char,
    prelude::*,
    sync::Arc,
    time::{
        delay::fsleep,
        Delta,
        Instant,
        Monotonic, //
    },
    workqueue, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;
#[path = "../rust/parse.rs"]
pub mod parse;
#[path = "../rust/sysfs.rs"]
pub mod sysfs;

use drvsim::{
    devres_set::{
        DevresSet,
        SetDevres, //
    },
    region_io::BoundRegion,
    revocable_variants::{
        RwsemRevocable,
        SrcuRevocable, //
    },
    DeviceId, //
};
use sysfs::Static;

/// The largest `devres`/`set` count.
const MAX_OBJECTS: u32 = 4096;
/// Each access figure is the best of `ROUNDS` windows of `WINDOW_MS`: the
/// minimum is what the access costs when nothing else on the host (TCG
/// vCPUs are host threads) got in the way.
const ROUNDS: usize = 5;
/// One measuring window, in ms.
const WINDOW_MS: i64 = 40;
/// Accesses between two clock reads.
const BATCH: u64 = 4096;

/// What the next probe does.
#[derive(Clone, Copy)]
enum Config {
    Devres(u32),
    Set(u32),
    Bound(u32),
    Access,
}

/// The object every wrapper holds. A type of this crate's own, so that
/// the wrappers' generic code is compiled here (and can be inlined), not
/// taken from an instance the kernel crate happens to export (as it does
/// for `Devres<u64>`).
#[derive(Clone, Copy)]
struct Payload(u64);

/// Objects held beyond the driver data (see the module documentation).
enum Held {
    Devres(
        #[expect(dead_code, reason = "held only to be revoked at unbind")] KVec<Devres<Payload>>,
    ),
    Set(
        #[expect(dead_code, reason = "held only to be revoked at unbind")] KVec<SetDevres<Payload>>,
    ),
}

kernel::sync::global_lock! {
    // SAFETY: initialised in module init before the driver registers.
    /// The configuration for the next probe.
    unsafe(uninit) static CONFIG: Mutex<Config> = Config::Devres(0);
}

kernel::sync::global_lock! {
    // SAFETY: initialised in module init before the driver registers.
    /// The objects the last probe created; dropped by the next one.
    unsafe(uninit) static HELD: Mutex<Option<Arc<Held>>> = None;
}

kernel::sync::global_lock! {
    // SAFETY: initialised in module init before the driver registers.
    /// The last access table.
    unsafe(uninit) static RESULTS: Mutex<KVec<u8>> = KVec::new();
}

/// `config` store.
extern "C" fn config_store(
    _drv: *mut bindings::device_driver,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: sysfs passes the input it received.
    let line = parse::chomp(unsafe { sysfs::input(buf, count) });
    let r = (|| {
        let n = |s: &[u8]| -> Result<u32> {
            let n = core::str::from_utf8(s)
                .map_err(|_| EINVAL)?
                .parse::<u32>()
                .map_err(|_| EINVAL)?;
            if n > MAX_OBJECTS {
                Err(EINVAL)
            } else {
                Ok(n)
            }
        };
        *CONFIG.lock() = match line {
            b"access" => Config::Access,
            _ if line.starts_with(b"devres ") => Config::Devres(n(&line[7..])?),
            _ if line.starts_with(b"set ") => Config::Set(n(&line[4..])?),
            _ if line.starts_with(b"bound ") => Config::Bound(n(&line[6..])?),
            _ => return Err(EINVAL),
        };
        Ok(())
    })();
    sysfs::store_result(r, count)
}

/// `config` show.
extern "C" fn config_show(_drv: *mut bindings::device_driver, buf: *mut c_char) -> isize {
    // SAFETY: sysfs passes its page buffer.
    let mut out = unsafe { sysfs::ShowBuf::new(buf) };
    let _ = match *CONFIG.lock() {
        Config::Devres(n) => writeln!(out, "devres {n}"),
        Config::Set(n) => writeln!(out, "set {n}"),
        Config::Bound(n) => writeln!(out, "bound {n}"),
        Config::Access => writeln!(out, "access"),
    };
    out.done()
}

/// `results` show: the last access table.
extern "C" fn results_show(_drv: *mut bindings::device_driver, buf: *mut c_char) -> isize {
    // SAFETY: sysfs passes its page buffer.
    let mut out = unsafe { sysfs::ShowBuf::new(buf) };
    out.push(&RESULTS.lock());
    out.done()
}

static ATTR_CONFIG: Static<bindings::driver_attribute> = Static::new(sysfs::drv_attr(
    c"config",
    Some(config_show),
    Some(config_store),
));
static ATTR_RESULTS: Static<bindings::driver_attribute> =
    Static::new(sysfs::drv_attr(c"results", Some(results_show), None));
static ATTRS: Static<[*mut bindings::attribute; 3]> = Static::new([
    ATTR_CONFIG.get().cast(),
    ATTR_RESULTS.get().cast(),
    core::ptr::null_mut(),
]);
static GROUP: Static<bindings::attribute_group> = Static::new(sysfs::group(ATTRS.get().cast()));
static GROUPS: Static<[*const bindings::attribute_group; 2]> =
    Static::new([GROUP.get().cast_const(), core::ptr::null()]);

/// Creates the objects for `devres <n>` or `set <n>`.
fn hold(dev: &kernel::device::Device<Bound>, config: Config) -> Result<Option<Arc<Held>>> {
    let held = match config {
        Config::Devres(n) => {
            let mut v = KVec::with_capacity(n as usize, GFP_KERNEL)?;
            for i in 0..n {
                v.push(
                    Devres::new::<Error>(dev, Ok(Payload(u64::from(i))))?,
                    GFP_KERNEL,
                )?;
            }
            Held::Devres(v)
        }
        Config::Set(n) => {
            let set = DevresSet::new(dev)?;
            let mut v = KVec::with_capacity(n as usize, GFP_KERNEL)?;
            for i in 0..n {
                v.push(
                    set.add::<Payload, Error>(dev, Ok(Payload(u64::from(i))))?,
                    GFP_KERNEL,
                )?;
            }
            Held::Set(v)
        }
        Config::Bound(_) | Config::Access => return Ok(None),
    };
    Ok(Some(Arc::new(held, GFP_KERNEL)?))
}

/// Every wrapper around the same value, for the access table.
#[pin_data]
struct Wrappers {
    /// What a driver without revocation keeps: a pointer to the object.
    raw: KBox<Payload>,
    devres: Devres<Payload>,
    set_member: SetDevres<Payload>,
    #[pin]
    srcu: SrcuRevocable<Payload>,
    #[pin]
    rwsem: RwsemRevocable<Payload>,
    /// Tells the concurrent reader to stop.
    stop: AtomicBool,
    /// Set by the concurrent reader while it runs.
    running: AtomicBool,
}

impl Wrappers {
    /// The object as the `'bound` model holds it: a reference whose
    /// lifetime is the proof, checked by the compiler, not at run time.
    #[inline(always)]
    fn bound(&self) -> &Payload {
        &self.raw
    }
}

/// The wrappers measured, by row of the table.
#[derive(Clone, Copy)]
enum Variant {
    Raw,
    Bound,
    DevresAccess,
    SetAccess,
    DevresTryAccess,
    SetTryAccess,
    Srcu,
    Rwsem,
}

impl Variant {
    const ALL: [Variant; 8] = [
        Variant::Raw,
        Variant::Bound,
        Variant::DevresAccess,
        Variant::SetAccess,
        Variant::DevresTryAccess,
        Variant::SetTryAccess,
        Variant::Srcu,
        Variant::Rwsem,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Raw => "raw pointer",
            Variant::Bound => "&'bound borrow (BoundRegion's model)",
            Variant::DevresAccess => "Devres::access(&Device<Bound>)",
            Variant::SetAccess => "SetDevres::access(&Device<Bound>)",
            Variant::DevresTryAccess => "Devres::try_access (RCU)",
            Variant::SetTryAccess => "SetDevres::try_access (RCU)",
            Variant::Srcu => "SrcuRevocable::try_access",
            Variant::Rwsem => "RwsemRevocable::try_access",
        }
    }

    /// One read through the wrapper, from a context that may not have a
    /// `Device<Bound>`: what the concurrent reader does. The `access`
    /// rows have no synchronisation to contend on, so their reader reads
    /// the value directly.
    #[inline(always)]
    fn read_unbound(self, w: &Wrappers) -> u64 {
        let w = black_box(w);
        match self {
            Variant::Raw | Variant::DevresAccess | Variant::SetAccess => w.raw.0,
            Variant::Bound => w.bound().0,
            Variant::DevresTryAccess => w.devres.try_access().map_or(0, |g| g.0),
            Variant::SetTryAccess => w.set_member.try_access().map_or(0, |g| g.0),
            Variant::Srcu => w.srcu.try_access().map_or(0, |g| g.0),
            Variant::Rwsem => w.rwsem.try_access().map_or(0, |g| g.0),
        }
    }

    /// One read through the wrapper in a bound scope.
    #[inline(always)]
    fn read(self, w: &Wrappers, dev: &kernel::device::Device<Bound>) -> u64 {
        let w = black_box(w);
        match self {
            Variant::DevresAccess => w.devres.access(dev).map_or(0, |v| v.0),
            Variant::SetAccess => w.set_member.access(dev).map_or(0, |v| v.0),
            _ => self.read_unbound(w),
        }
    }
}

/// Picoseconds per access of `v`: the best of `ROUNDS` windows.
fn measure(v: Variant, w: &Wrappers, dev: &kernel::device::Device<Bound>) -> u64 {
    (0..ROUNDS).map(|_| window(v, w, dev)).min().unwrap_or(0)
}

/// Picoseconds per access of `v` over one window of `WINDOW_MS`.
fn window(v: Variant, w: &Wrappers, dev: &kernel::device::Device<Bound>) -> u64 {
    let start = Instant::<Monotonic>::now();
    let mut n = 0u64;
    let mut sum = 0u64;
    loop {
        for _ in 0..BATCH {
            sum = sum.wrapping_add(v.read(w, dev));
        }
        n += BATCH;
        let ns = start.elapsed().as_nanos();
        if ns >= WINDOW_MS * 1_000_000 {
            black_box(sum);
            return (ns as u64).saturating_mul(1000) / n;
        }
    }
}

/// The module's own unbound workqueue for the concurrent reader: module
/// exit destroys it, which waits for a reader still running.
static READER_QUEUE: AtomicPtr<bindings::workqueue_struct> = AtomicPtr::new(core::ptr::null_mut());

fn reader_queue() -> &'static workqueue::Queue {
    // SAFETY: created in module init, which fails without it, and
    // destroyed at module exit after the driver, so after every user.
    unsafe { workqueue::Queue::from_raw(READER_QUEUE.load(Ordering::Acquire)) }
}

/// Runs `v`'s concurrent reader on another CPU (an unbound work item)
/// until `stop`.
fn start_reader(w: &Arc<Wrappers>, v: Variant) -> Result {
    w.stop.store(false, Ordering::Relaxed);
    let r = w.clone();
    reader_queue().try_spawn(GFP_KERNEL, move || {
        r.running.store(true, Ordering::Release);
        let mut sum = 0u64;
        while !r.stop.load(Ordering::Relaxed) {
            for _ in 0..256 {
                sum = sum.wrapping_add(v.read_unbound(&r));
            }
        }
        black_box(sum);
        r.running.store(false, Ordering::Release);
    })?;
    while !w.running.load(Ordering::Acquire) {
        fsleep(Delta::from_millis(1));
    }
    Ok(())
}

fn stop_reader(w: &Wrappers) {
    w.stop.store(true, Ordering::Relaxed);
    while w.running.load(Ordering::Acquire) {
        fsleep(Delta::from_millis(1));
    }
}

/// Formats picoseconds as nanoseconds with two decimals.
fn ns(ps: u64) -> (u64, u64) {
    (ps / 1000, ps % 1000 / 10)
}

/// Text that `write!` appends to.
struct Text(KVec<u8>);

impl Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

/// Measures every row of the access table into `RESULTS`.
fn access_table(dev: &kernel::device::Device<Bound>) -> Result {
    let set = DevresSet::new(dev)?;
    let w = Arc::pin_init(
        try_pin_init!(Wrappers {
            raw: KBox::new(Payload(1), GFP_KERNEL)?,
            devres: Devres::new::<Error>(dev, Ok(Payload(1)))?,
            set_member: set.add::<Payload, Error>(dev, Ok(Payload(1)))?,
            srcu <- SrcuRevocable::new(Ok::<_, Error>(Payload(1))),
            rwsem <- RwsemRevocable::new(Ok::<_, Error>(Payload(1))),
            stop: AtomicBool::new(false),
            running: AtomicBool::new(false),
        }? Error),
        GFP_KERNEL,
    )?;
    let mut out = Text(KVec::new());
    let mut raw = 0;
    for v in Variant::ALL {
        let alone = measure(v, &w, dev);
        if let Variant::Raw = v {
            raw = alone;
        }
        start_reader(&w, v)?;
        let contended = measure(v, &w, dev);
        stop_reader(&w);
        let ((a, af), (c, cf)) = (ns(alone), ns(contended));
        let ratio = alone * 100 / raw.max(1);
        writeln!(
            out,
            "| {} | {a}.{af:02} | {c}.{cf:02} | {}.{:02} |",
            v.name(),
            ratio / 100,
            ratio % 100
        )
        .map_err(|_| ENOMEM)?;
    }
    *RESULTS.lock() = out.0;
    Ok(())
}

drvsim::drvsim_device_table!(BENCH_IDS, (), [(DeviceId::new(c"bench"), ())]);

/// The bench driver.
struct BenchDriver;

#[vtable]
impl drvsim::Driver for BenchDriver {
    type IdInfo = ();
    type Data<'bound> = (Option<Arc<Held>>, KVec<BoundRegion<'bound>>);
    const ID_TABLE: drvsim::IdTable<()> = &BENCH_IDS;
    const GROUPS: *const *const bindings::attribute_group = GROUPS.get().cast_const().cast();

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<(Option<Arc<Held>>, KVec<BoundRegion<'bound>>), Error> + 'bound {
        // What the last binding held goes now, revoked or not.
        *HELD.lock() = None;
        let config = *CONFIG.lock();
        (|| {
            let n = match config {
                Config::Bound(n) => n,
                _ => 0,
            };
            let mut bound = KVec::with_capacity(n as usize, GFP_KERNEL)?;
            for i in 0..n {
                bound.push(dev.bound_region(i)?, GFP_KERNEL)?;
            }
            let dev: &drvsim::Device<Bound> = dev;
            let dev = dev.as_ref();
            if let Config::Access = config {
                access_table(dev)?;
            }
            let held = hold(dev, config)?;
            *HELD.lock() = held.clone();
            Ok((held, bound))
        })()
    }
}

/// The module: the bench driver.
#[pin_data]
struct BenchModule {
    #[pin]
    driver: kernel::driver::Registration<drvsim::Adapter<BenchDriver>>,
    /// Dropped after `driver` (declaration order), once no probe or
    /// attribute write can run any more.
    _teardown: Teardown,
}

/// Frees what the driver's probes and attributes filled in, and waits for
/// the reader work item.
struct Teardown;

impl Teardown {
    /// Creates the reader's workqueue, which `drop` destroys.
    fn new() -> Result<Self> {
        // SAFETY: a static name without format directives.
        let wq = unsafe {
            bindings::alloc_workqueue_noprof(
                c"drvsim_bench".as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND,
                1,
            )
        };
        if wq.is_null() {
            return Err(ENOMEM);
        }
        READER_QUEUE.store(wq, Ordering::Release);
        Ok(Teardown)
    }
}

impl Drop for Teardown {
    fn drop(&mut self) {
        *HELD.lock() = None;
        *RESULTS.lock() = KVec::new();
        let wq = READER_QUEUE.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !wq.is_null() {
            // SAFETY: created in module init; the driver is gone, so
            // nothing queues on it any more. Waits for queued work.
            unsafe { bindings::destroy_workqueue(wq) };
        }
    }
}

impl kernel::InPlaceModule for BenchModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: called once, before the driver and its attributes exist.
        unsafe {
            CONFIG.init();
            HELD.init();
            RESULTS.init();
        }
        try_pin_init!(Self {
            _teardown: Teardown::new()?,
            driver <- kernel::driver::Registration::new(c"drvsim_bench", module),
        })
    }
}

module! {
    type: BenchModule,
    name: "drvsim_bench",
    authors: ["drvsim developers"],
    description: "drvsim driver that measures the cost of device resources",
    license: "GPL",
}
