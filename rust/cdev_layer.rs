// SPDX-License-Identifier: GPL-2.0

//! A character-device layer that owns the file operations of the drivers
//! registered with it, the way misc owns `misc_open()`: every file
//! operation runs inside an *active section* that the layer enters and
//! leaves, and unregistration follows Laurent Pinchart's recipe from the
//! revocable thread (`Documentation/resources.rst`, "The cdev layer"):
//! mark the device dead, wake every sleeper, wait for the operations in
//! flight, zap the user mappings, and only then let the driver's bound
//! state go.
//!
//! A driver implements [`CdevDriver`] and embeds a [`CdevRegistration`] in
//! its driver data; the node is `/dev/drvsim-cdev-<name>` (a misc device).
//! Files hold the refcounted [`CdevNode`], which outlives the driver; the
//! driver's [`CdevDriver::Bound`] state does not: the layer drops it at
//! unregistration, after the last operation in flight left. So a file
//! operation reaches it only through an [`Active`] section, and gets
//! `ENXIO` once the device is gone. `release()` too runs in a section when
//! it can, and is told (`None`) when the device is gone.
//!
//! Like `devres_set.rs`, this file is compiled into every module that
//! includes `rust/driver.rs` and into `drvsim.ko`; its two C helpers are in
//! `exports.c` (`page_to_pfn()` and `vm_flags_set()` are static inlines
//! that Rust cannot call).

use core::{
    marker::PhantomData,
    ptr::{
        self,
        NonNull, //
    },
    sync::atomic::{
        AtomicPtr,
        Ordering, //
    },
};
use kernel::{
    bindings,
    error::to_result,
    ffi::{
        c_char,
        c_int,
        c_uint,
        c_void, //
    },
    fs::File,
    module::this_module,
    new_condvar,
    new_poll_condvar,
    new_spinlock,
    page::{
        Page,
        PAGE_SIZE, //
    },
    prelude::*,
    str::CString,
    sync::{
        poll::{
            PollCondVar,
            PollTable, //
        },
        Arc,
        ArcBorrow,
        CondVar,
        SpinLock, //
    },
    types::{
        ForeignOwnable,
        Opaque, //
    },
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceReader,
        UserSliceWriter, //
    },
    ModuleMetadata, //
};

// drvsim.ko's C helpers (rust/exports.c). Only pointers cross; bindgen's
// zero-sized members inside these structs trip the lint.
#[expect(improper_ctypes, reason = "only pointers to the structs cross")]
extern "C" {
    /// Makes `vma` a mapping of MMIO-like pfns (`VM_PFNMAP | VM_IO |
    /// VM_DONTEXPAND | VM_DONTDUMP`), filled by faults only.
    fn drvsim_cdev_mmap_prepare(vma: *mut bindings::vm_area_struct);
    /// Takes a reference to `inode` and to its superblock (`s_active`).
    fn drvsim_cdev_hold_inode(inode: *mut bindings::inode);
    /// Drops the references `drvsim_cdev_hold_inode()` took; may sleep.
    fn drvsim_cdev_put_inode(inode: *mut bindings::inode);
    /// Inserts `page`'s pfn at the faulting address of `vmf`.
    fn drvsim_cdev_fault_insert(
        vmf: *mut bindings::vm_fault,
        page: *mut bindings::page,
    ) -> bindings::vm_fault_t;
}

/// The broken designs the layer can be switched back to
/// (`Documentation/bugs.rst`); all `false` is the fixed design.
#[derive(Clone, Copy, Default)]
pub struct Legacy {
    /// Unregistration marks the device dead but wakes nobody: it waits
    /// for a sleeping `read()` that never wakes.
    pub no_wake: bool,
    /// Unregistration does not zap the user mappings: the region's page
    /// is freed while still mapped.
    pub no_zap: bool,
    /// `release()` runs outside any active section, with the bound state
    /// the device had: after unbind, freed memory.
    pub release_unguarded: bool,
}

/// A driver of the layer. Every function runs inside an active section
/// except [`CdevDriver::release`] after unbind.
pub trait CdevDriver: Sized + 'static {
    /// The module that owns the file operations (`crate::LocalModule`):
    /// an open file pins it, as with misc.
    type OwnerModule: ModuleMetadata;

    /// What the files reach while the device is bound; the layer drops it
    /// at unregistration, once no operation is in flight.
    type Bound: Send + Sync;

    /// `read(2)`; may sleep in [`Active::wait_event`].
    fn read(cdev: &Active<'_, Self>, nonblock: bool, out: &mut UserSliceWriter) -> Result<usize>;

    /// `write(2)`.
    fn write(cdev: &Active<'_, Self>, data: &mut UserSliceReader) -> Result<usize>;

    /// Whether `read(2)` would not block, for `poll(2)`.
    fn readable(bound: &Self::Bound) -> bool;

    /// The page `mmap(2)` maps (offset 0, one page).
    fn mmap_page(bound: &Self::Bound) -> &Page;

    /// The last close of a file: `Some` while the device is bound (inside
    /// an active section), `None` after unbind.
    fn release(bound: Option<&Self::Bound>);
}

/// The layer's state of a device, under [`CdevNode::state`].
struct State {
    /// Set by unregistration; no section starts once it is set.
    dead: bool,
    /// The active sections (file operations in flight).
    active: usize,
}

/// The per-device object the files hold: it outlives the driver.
///
/// # Invariants
///
/// `bound` points to the driver's [`CdevDriver::Bound`], a leaked
/// `KBox`, from construction until [`CdevNode::shut_down`] frees it, which
/// it does once `dead` is set and `active` is 0 under `state`; so it is
/// valid inside every active section. `inode`, once non-null, is an inode
/// this node holds a reference to, and to its superblock
/// (`drvsim_cdev_hold_inode()`), dropped with the node.
#[pin_data(PinnedDrop)]
pub struct CdevNode<T: CdevDriver> {
    #[pin]
    state: SpinLock<State>,
    /// Sleepers of `read()` and `poll()`: woken by data, and all at death.
    #[pin]
    waiters: PollCondVar,
    /// Unregistration, waiting for the active sections to drain.
    #[pin]
    drained: CondVar,
    bound: NonNull<T::Bound>,
    /// The first inode opened: every file's `f_mapping` is its
    /// `i_mapping`, so one `unmap_mapping_range()` zaps every mapping,
    /// whichever device node (`mknod`) a file was opened through.
    inode: AtomicPtr<bindings::inode>,
    legacy: Legacy,
}

// SAFETY: `bound` is shared only as `&T::Bound` (which is `Sync`) and freed
// once by `shut_down`; the rest is synchronised (lock, atomics).
unsafe impl<T: CdevDriver> Send for CdevNode<T> {}
// SAFETY: as above.
unsafe impl<T: CdevDriver> Sync for CdevNode<T> {}

/// Proof that an active section is open on a node: the bound state is
/// valid until it is dropped, which leaves the section.
pub struct Active<'a, T: CdevDriver> {
    node: &'a CdevNode<T>,
}

impl<T: CdevDriver> Active<'_, T> {
    /// The driver's bound state.
    pub fn bound(&self) -> &T::Bound {
        // SAFETY: inside an active section (type invariant of `CdevNode`).
        unsafe { self.node.bound.as_ref() }
    }

    /// Sleeps (interruptibly) until `cond` holds: `Ok`, or `ENXIO` once
    /// the device is unbound, or `ERESTARTSYS` on a signal. `cond` runs
    /// under the layer's spinlock: it must not sleep.
    pub fn wait_event(&self, mut cond: impl FnMut(&T::Bound) -> bool) -> Result {
        let mut g = self.node.state.lock();
        loop {
            if g.dead {
                return Err(ENXIO);
            }
            if cond(self.bound()) {
                return Ok(());
            }
            if self.node.waiters.wait_interruptible(&mut g) {
                return Err(ERESTARTSYS);
            }
        }
    }

    /// Wakes the sleepers of `read()` and `poll()`, after the driver made
    /// a condition true.
    pub fn wake_up(&self) {
        // Under the lock: a sleeper that checked its condition before the
        // change is on the queue by the time it lets the lock go.
        let _g = self.node.state.lock();
        self.node.waiters.notify_all();
    }
}

impl<T: CdevDriver> Drop for Active<'_, T> {
    fn drop(&mut self) {
        let mut g = self.node.state.lock();
        g.active -= 1;
        if g.dead && g.active == 0 {
            self.node.drained.notify_all();
        }
    }
}

impl<T: CdevDriver> CdevNode<T> {
    /// Opens an active section, unless the device is dead.
    fn enter(&self) -> Option<Active<'_, T>> {
        let mut g = self.state.lock();
        if g.dead {
            return None;
        }
        g.active += 1;
        Some(Active { node: self })
    }

    /// Laurent's recipe: dead, wake all, wait for the sections in flight,
    /// zap the mappings, then free the bound state.
    fn shut_down(&self) {
        self.state.lock().dead = true;
        if !self.legacy.no_wake {
            let _g = self.state.lock();
            self.waiters.notify_all();
        }
        let mut g = self.state.lock();
        while g.active > 0 {
            self.drained.wait(&mut g);
        }
        drop(g);
        let inode = self.inode.load(Ordering::Acquire);
        if !self.legacy.no_zap && !inode.is_null() {
            // SAFETY: `inode` is held by this node (type invariant). Every
            // mapping of the device's files is in its `i_mapping`
            // (`open`); `mmap()` fails from now on, and a fault
            // (`fault`) inserts nothing: after this, no page table maps
            // the bound state's page.
            unsafe { bindings::unmap_mapping_range((*inode).i_mapping, 0, 0, 1) };
        }
        // SAFETY: dead and drained: no section is open or can open, so
        // nothing uses `bound` (type invariant); `bound` came from
        // `KBox::into_raw` and is freed only here (called once, from
        // `CdevRegistration`'s drop).
        drop(unsafe { KBox::from_raw(self.bound.as_ptr()) });
    }
}

#[pinned_drop]
impl<T: CdevDriver> PinnedDrop for CdevNode<T> {
    fn drop(self: Pin<&mut Self>) {
        let inode = self.inode.load(Ordering::Acquire);
        if !inode.is_null() {
            // SAFETY: the references `open` took (type invariant).
            unsafe { drvsim_cdev_put_inode(inode) };
        }
    }
}

/// A driver's registration with the layer, embedded (pinned) in its
/// driver data: its drop unregisters the node and shuts the device down.
///
/// # Invariants
///
/// `misc` is registered with `misc_register()`, its `name` pointing into
/// `name`, until the drop.
#[pin_data(PinnedDrop)]
pub struct CdevRegistration<T: CdevDriver> {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    node: Arc<CdevNode<T>>,
    name: CString,
}

// SAFETY: `misc` is only touched by `misc_register()`/`misc_deregister()`,
// which lock; the rest is `Send`/`Sync`.
unsafe impl<T: CdevDriver> Send for CdevRegistration<T> {}
// SAFETY: as above.
unsafe impl<T: CdevDriver> Sync for CdevRegistration<T> {}

impl<T: CdevDriver> CdevRegistration<T> {
    /// Registers `/dev/drvsim-cdev-<name>` for a device whose bound state
    /// is `bound`.
    pub fn register(name: &CStr, bound: T::Bound, legacy: Legacy) -> impl PinInit<Self, Error> {
        let full = name
            .to_str()
            .map_err(|_| EINVAL)
            .and_then(|n| CString::try_from_fmt(fmt!("drvsim-cdev-{n}")));
        try_pin_init!(Self {
            name: full?,
            node: {
                let raw = KBox::into_raw(KBox::new(bound, GFP_KERNEL)?);
                // SAFETY: `into_raw` never gives NULL.
                let bound = unsafe { NonNull::new_unchecked(raw) };
                match Arc::pin_init(
                    pin_init!(CdevNode {
                        state <- new_spinlock!(State { dead: false, active: 0 }),
                        waiters <- new_poll_condvar!(),
                        drained <- new_condvar!(),
                        bound,
                        inode: AtomicPtr::new(ptr::null_mut()),
                        legacy,
                    }),
                    GFP_KERNEL,
                ) {
                    Ok(n) => n,
                    Err(e) => {
                        // SAFETY: from `into_raw` above, never shared.
                        drop(unsafe { KBox::from_raw(raw) });
                        return Err(e);
                    }
                }
            },
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                // SAFETY: `slot` is valid for writes, zeroed is a valid
                // `miscdevice`; `name` (initialised above) outlives the
                // registration; the vtable is static.
                unsafe {
                    slot.write(pin_init::zeroed());
                    (*slot).minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                    (*slot).name = name.as_char_ptr();
                    (*slot).fops = FopsTable::<T>::build();
                    to_result(bindings::misc_register(slot))
                }
                .inspect_err(|_| node.shut_down())
            }),
        })
    }
}

#[pinned_drop]
impl<T: CdevDriver> PinnedDrop for CdevRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered (type invariant); after this no `open` runs.
        unsafe { bindings::misc_deregister(self.misc.get()) };
        self.node.shut_down();
    }
}

/// The `file_operations` and `vm_operations_struct` of a driver's nodes.
struct FopsTable<T: CdevDriver>(PhantomData<T>);

/// `EPOLLIN | EPOLLRDNORM`, and what a dead device reports:
/// `EPOLLERR | EPOLLHUP`.
const POLL_IN: c_uint = bindings::POLLIN | bindings::POLLRDNORM;
const POLL_DEAD: c_uint = bindings::POLLERR | bindings::POLLHUP;

impl<T: CdevDriver> FopsTable<T> {
    const FOPS: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open),
        release: Some(Self::release),
        read: Some(Self::read),
        write: Some(Self::write),
        poll: Some(Self::poll),
        mmap: Some(Self::mmap),
        llseek: Some(bindings::noop_llseek),
        owner: this_module::<T::OwnerModule>().as_ptr(),
        ..pin_init::zeroed()
    };

    const VM_OPS: bindings::vm_operations_struct = bindings::vm_operations_struct {
        fault: Some(Self::fault),
        ..pin_init::zeroed()
    };

    const fn build() -> &'static bindings::file_operations {
        &Self::FOPS
    }

    /// The node of an open file.
    ///
    /// # Safety
    ///
    /// `file` is a file `open` succeeded on, not yet released.
    unsafe fn node<'a>(file: *mut bindings::file) -> ArcBorrow<'a, CdevNode<T>> {
        // SAFETY: `open` stored an `Arc<CdevNode<T>>` there, which
        // `release` takes back (safety requirement).
        unsafe { <Arc<CdevNode<T>> as ForeignOwnable>::borrow((*file).private_data) }
    }

    /// # Safety
    ///
    /// Called by `misc_open()` (with `misc_mtx` held) for a miscdevice of
    /// a live `CdevRegistration<T>`.
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `misc_open()` put the miscdevice there; it is the `misc`
        // field of a registration that `misc_mtx` keeps registered.
        let reg = unsafe {
            &*kernel::container_of!(
                (*file).private_data.cast::<Opaque<bindings::miscdevice>>(),
                CdevRegistration<T>,
                misc
            )
        };
        let node = reg.node.clone();
        // The first inode opened is the node's mapping for good.
        let mut held = node.inode.load(Ordering::Acquire);
        if held.is_null() {
            // SAFETY: `inode` is live while it is being opened, and its
            // filesystem mounted (the opener's path holds the mount).
            unsafe { drvsim_cdev_hold_inode(inode) };
            match node.inode.compare_exchange(
                ptr::null_mut(),
                inode,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => held = inode,
                Err(other) => {
                    // SAFETY: the references taken above.
                    unsafe { drvsim_cdev_put_inode(inode) };
                    held = other;
                }
            }
        }
        // SAFETY: `file` is being opened; `held` is held by the node,
        // which the file holds from now on.
        unsafe {
            (*file).f_mapping = (*held).i_mapping;
            (*file).private_data = node.into_foreign().cast();
        }
        0
    }

    /// # Safety
    ///
    /// Called once per file `open` succeeded on.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: the file's last use: `open` stored the `Arc` there.
        let node =
            unsafe { <Arc<CdevNode<T>> as ForeignOwnable>::from_foreign((*file).private_data) };
        if node.legacy.release_unguarded {
            // SAFETY: none once the device is gone: this is the
            // use-after-free the `legacy_cdev_release` control shows.
            T::release(Some(unsafe { node.bound.as_ref() }));
        } else {
            match node.enter() {
                Some(a) => T::release(Some(a.bound())),
                None => T::release(None),
            }
        }
        0
    }

    /// # Safety
    ///
    /// `file` is open; `buf` is a user pointer valid for `len` bytes.
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        len: usize,
        _pos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: `file` is open (safety requirement).
        let (node, flags) = unsafe { (Self::node(file), (*file).f_flags) };
        let Some(a) = node.enter() else {
            return ENXIO.to_errno() as isize;
        };
        let mut out = UserSlice::new(UserPtr::from_ptr(buf.cast::<c_void>()), len).writer();
        match T::read(&a, flags & bindings::O_NONBLOCK != 0, &mut out) {
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// `file` is open; `buf` is a user pointer valid for `len` bytes.
    unsafe extern "C" fn write(
        file: *mut bindings::file,
        buf: *const c_char,
        len: usize,
        _pos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: `file` is open (safety requirement).
        let node = unsafe { Self::node(file) };
        let Some(a) = node.enter() else {
            return ENXIO.to_errno() as isize;
        };
        let mut data = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), len).reader();
        match T::write(&a, &mut data) {
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// `file` is open; `table` is the poll table of this call.
    unsafe extern "C" fn poll(
        file: *mut bindings::file,
        table: *mut bindings::poll_table,
    ) -> c_uint {
        // SAFETY: `file` is open (safety requirement).
        let node = unsafe { Self::node(file) };
        // SAFETY: `table` is valid for this call, `file` is open.
        unsafe {
            PollTable::from_raw(table).register_wait(File::from_raw_file(file), &node.waiters)
        };
        let mask = match node.enter() {
            Some(a) if T::readable(a.bound()) => POLL_IN,
            Some(_) => 0,
            None => POLL_DEAD,
        };
        mask
    }

    /// # Safety
    ///
    /// `file` is open; `vma` is the new mapping of it.
    unsafe extern "C" fn mmap(
        file: *mut bindings::file,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int {
        // SAFETY: `file` is open (safety requirement).
        let node = unsafe { Self::node(file) };
        // A dead device's file maps nothing. The section ends here: the
        // page is inserted by `fault`, in a section of its own, once the
        // VMA is in the file's `i_mmap` where an unbind's zap finds it.
        if node.enter().is_none() {
            return ENXIO.to_errno();
        }
        // SAFETY: `vma` is being set up by `mmap()`, which holds the mmap
        // lock; the node outlives it (`vm_file` holds the file, the file
        // the node).
        unsafe {
            let v = &*vma;
            let len = v.__bindgen_anon_1.__bindgen_anon_1.vm_end
                - v.__bindgen_anon_1.__bindgen_anon_1.vm_start;
            if v.vm_pgoff != 0 || len != PAGE_SIZE {
                return EINVAL.to_errno();
            }
            (*vma).vm_ops = &Self::VM_OPS;
            (*vma).vm_private_data = ptr::from_ref::<CdevNode<T>>(&*node).cast_mut().cast();
            drvsim_cdev_mmap_prepare(vma);
        }
        0
    }

    /// A fault on a mapping: the page again while the device is bound
    /// (after a zap that was not an unbind's), `SIGBUS` once it is dead.
    ///
    /// # Safety
    ///
    /// `vmf` is a fault on a mapping `mmap` set up.
    unsafe extern "C" fn fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
        // SAFETY: `mmap` set `vm_private_data` to the node, which the
        // mapping's file keeps alive.
        let node = unsafe {
            &*(*(*vmf).__bindgen_anon_1.vma)
                .vm_private_data
                .cast::<CdevNode<T>>()
        };
        match node.enter() {
            // SAFETY: `vmf` is this fault; the page is the bound state's,
            // valid in the section, and a zap comes only after it.
            Some(a) => unsafe { drvsim_cdev_fault_insert(vmf, T::mmap_page(a.bound()).as_ptr()) },
            None => bindings::vm_fault_reason_VM_FAULT_SIGBUS,
        }
    }
}
