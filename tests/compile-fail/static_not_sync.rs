// SPDX-License-Identifier: GPL-2.0

//! compile-fail: E0277
//!
//! A Rust value with unsynchronised interior mutability in a
//! `sysfs::Static` (`rust/sysfs.rs`): `Static` is `Sync` only for the C
//! tables the kernel only reads (`sysfs::CTable`), so the `static` does
//! not build.

use core::cell::Cell;
use kernel::prelude::*;

#[path = "../../rust/sysfs.rs"]
pub mod sysfs;

use sysfs::Static;

/// Shared by every task, written by none in particular.
static COUNT: Static<Cell<u32>> = Static::new(Cell::new(0)); //~ ERROR E0277

module! {
    type: Cf,
    name: "static_not_sync",
    authors: ["drvsim developers"],
    description: "compile-fail case",
    license: "GPL",
}

struct Cf;

impl kernel::Module for Cf {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("{:p}\n", COUNT.get());
        Ok(Cf)
    }
}
