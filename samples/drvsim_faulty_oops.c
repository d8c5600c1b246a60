// SPDX-License-Identifier: GPL-2.0
/*
 * drvsim_faulty's probe_mode oops: a read through a NULL pointer, the bug of
 * a fragile C driver (the firewire oops of the locked-match thread). In C
 * because that is where such reads compile as written: the kernel builds C
 * with -fno-delete-null-pointer-checks, so the load is emitted and the CPU
 * faults. In Rust a read through a null pointer is undefined behaviour
 * that the compiler may assume away. Under KASAN the read's shadow check
 * faults first ("general protection fault ... KASAN: null-ptr-deref").
 */
#include <linux/compiler.h>

int drvsim_faulty_read(const int *p);
int drvsim_faulty_read(const int *p)
{
	return READ_ONCE(*p);
}
