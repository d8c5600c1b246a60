// SPDX-License-Identifier: GPL-2.0

//! compile-pass
//!
//! The C tables the kernel only reads are still declared with
//! `sysfs::Static` (`rust/sysfs.rs`, `sysfs::CTable`): attributes, their
//! groups and NULL-terminated tables of both, and a `file_operations`
//! with its module in `owner`, as `rust/pause.rs` declares its debugfs
//! files' operations.

use core::ptr;
use kernel::{
    bindings,
    ffi::c_char,
    prelude::*, //
};

#[path = "../../rust/sysfs.rs"]
pub mod sysfs;

use sysfs::Static;

extern "C" fn show(_drv: *mut bindings::device_driver, buf: *mut c_char) -> isize {
    // SAFETY: sysfs passes its page buffer.
    unsafe { sysfs::ShowBuf::new(buf) }.emit(&[b"0"])
}

static ATTR: Static<bindings::driver_attribute> =
    Static::new(sysfs::drv_attr(c"attr", Some(show), None));
static ATTRS: Static<[*mut bindings::attribute; 2]> =
    Static::new([ATTR.get().cast(), ptr::null_mut()]);
static GROUP: Static<bindings::attribute_group> = Static::new(sysfs::group(ATTRS.get().cast()));
static GROUPS: Static<[*const bindings::attribute_group; 2]> =
    Static::new([GROUP.get().cast_const(), ptr::null()]);

static FOPS: Static<bindings::file_operations> = Static::new({
    // SAFETY: `struct file_operations` is plain C data; all-zero leaves
    // every operation unset.
    let mut f: bindings::file_operations = unsafe { core::mem::zeroed() };
    f.owner = kernel::module::this_module::<LocalModule>().as_ptr();
    f.open = Some(bindings::simple_open);
    f.llseek = Some(bindings::default_llseek);
    f
});

module! {
    type: Cf,
    name: "static_c_tables",
    authors: ["drvsim developers"],
    description: "compile-pass case",
    license: "GPL",
}

struct Cf;

impl kernel::Module for Cf {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("{:p} {:p}\n", GROUPS.get(), FOPS.get());
        Ok(Cf)
    }
}
