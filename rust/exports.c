// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of drvsim.ko: symbol exports of the Rust functions that
 * driver modules call (see rust/abi.rs), and static inline helpers that
 * Rust cannot call directly.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/device.h>
#include <linux/error-injection.h>
#include <linux/export.h>
#include <linux/hw_breakpoint.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_sim.h>
#include <linux/irqdomain.h>
#include <linux/kprobes.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "exports.h"

EXPORT_SYMBOL_GPL(drvsim_driver_register);
EXPORT_SYMBOL_GPL(drvsim_driver_unregister);
EXPORT_SYMBOL_GPL(drvsim_device_type);
EXPORT_SYMBOL_GPL(drvsim_device_is_present);
EXPORT_SYMBOL_GPL(drvsim_sriov_enable);
EXPORT_SYMBOL_GPL(drvsim_sriov_disable);
EXPORT_SYMBOL_GPL(drvsim_sriov_num_vfs);
EXPORT_SYMBOL_GPL(drvsim_region_read32);
EXPORT_SYMBOL_GPL(drvsim_region_write32);
EXPORT_SYMBOL_GPL(drvsim_device_regions);
EXPORT_SYMBOL_GPL(drvsim_pause_register_window);
EXPORT_SYMBOL_GPL(drvsim_pause_revoke);
EXPORT_SYMBOL_GPL(drvsim_pause_sample_exit);
EXPORT_SYMBOL_GPL(drvsim_legacy_devres_set_unlock);
EXPORT_SYMBOL_GPL(drvsim_device_irq);
EXPORT_SYMBOL_GPL(drvsim_pause_unbind_devres);
/* Lines one device lends another (rust/lines.rs). */
EXPORT_SYMBOL_GPL(drvsim_line_provide);
EXPORT_SYMBOL_GPL(drvsim_line_withdraw);
EXPORT_SYMBOL_GPL(drvsim_line_get);
EXPORT_SYMBOL_GPL(drvsim_line_put);
EXPORT_SYMBOL_GPL(drvsim_line_read);
EXPORT_SYMBOL_GPL(drvsim_line_write);
EXPORT_SYMBOL_GPL(drvsim_line_link);

/* The DL_FLAG_* values rust/bus_attrs.rs uses (bindgen skips BIT()). */
static_assert(DL_FLAG_STATELESS == 1 << 0);
static_assert(DL_FLAG_AUTOREMOVE_CONSUMER == 1 << 1);
static_assert(DL_FLAG_AUTOREMOVE_SUPPLIER == 1 << 4);
static_assert(DL_FLAG_AUTOPROBE_CONSUMER == 1 << 5);

/*
 * override_widen_ms (debugfs): while non-zero, a kprobe on strcmp() is
 * registered, and each write of a non-zero value arms one window: the
 * next drvsim match that compares a driver_override is held between the
 * load of the name and strcmp()'s read of it, with the override's spinlock
 * held, for that many ms. So a test can write driver_override while a
 * match is inside the window: the writer must wait for the lock, or KASAN
 * sees strcmp() read the name the writer freed. override_widen_inside
 * reads 1 while a task is held.
 */
#define DRVSIM_WIDEN_MAX_MS 10000

static DEFINE_MUTEX(drvsim_widen_lock);
static u32 drvsim_widen_ms;
static atomic_t drvsim_widen_inside = ATOMIC_INIT(0);
/* 1 while a window is armed and nobody took it. */
static atomic_t drvsim_widen_armed = ATOMIC_INIT(0);
/* The task in drvsim_match_driver_override() whose match is widened. */
static struct task_struct *drvsim_widen_task;
static struct device *drvsim_widen_dev;

static int drvsim_widen_pre(struct kprobe *p, struct pt_regs *regs)
{
	const char *name = (const char *)regs_get_kernel_argument(regs, 0);
	struct device *dev;
	u32 ms, i;

	if (READ_ONCE(drvsim_widen_task) != current)
		return 0;
	dev = READ_ONCE(drvsim_widen_dev);
	/* Only device_match_driver_override()'s strcmp(), with the lock held. */
	if (!dev || name != READ_ONCE(dev->driver_override.name))
		return 0;
	/* Once per match, and once per arming. */
	WRITE_ONCE(drvsim_widen_dev, NULL);
	if (atomic_cmpxchg(&drvsim_widen_armed, 1, 0) != 1)
		return 0;
	ms = READ_ONCE(drvsim_widen_ms);
	atomic_set(&drvsim_widen_inside, 1);
	/*
	 * Not until the writer waits for the lock: spin_is_contended() cannot
	 * tell, as a guest's qspinlock waits in virt_spin_lock() without
	 * setting the pending bit.
	 */
	for (i = 0; i < ms; i++)
		mdelay(1);
	atomic_set(&drvsim_widen_inside, 0);
	return 0;
}

static struct kprobe drvsim_widen_kp = {
	.symbol_name = "strcmp",
	.pre_handler = drvsim_widen_pre,
};

static int drvsim_widen_get(void *data, u64 *val)
{
	*val = READ_ONCE(drvsim_widen_ms);
	return 0;
}

/*
 * 0 unregisters the kprobe and disarms; 1..DRVSIM_WIDEN_MAX_MS registers
 * it (unless registered) and arms one window.
 */
static int drvsim_widen_set(void *data, u64 val)
{
	int err = 0;

	if (val > DRVSIM_WIDEN_MAX_MS)
		return -EINVAL;
	mutex_lock(&drvsim_widen_lock);
	if (val && !drvsim_widen_ms) {
		/* A kprobe can be registered again only when zeroed. */
		memset(&drvsim_widen_kp, 0, sizeof(drvsim_widen_kp));
		drvsim_widen_kp.symbol_name = "strcmp";
		drvsim_widen_kp.pre_handler = drvsim_widen_pre;
		err = register_kprobe(&drvsim_widen_kp);
	}
	if (!err && !val && drvsim_widen_ms) {
		WRITE_ONCE(drvsim_widen_ms, 0);
		unregister_kprobe(&drvsim_widen_kp);
	}
	if (!err) {
		WRITE_ONCE(drvsim_widen_ms, val);
		atomic_set(&drvsim_widen_armed, !!val);
	}
	mutex_unlock(&drvsim_widen_lock);
	return err;
}
DEFINE_DEBUGFS_ATTRIBUTE(drvsim_widen_fops, drvsim_widen_get, drvsim_widen_set, "%llu\n");

/* Creates override_widen_ms and override_widen_inside in dir. */
void drvsim_widen_debugfs(struct dentry *dir)
{
	debugfs_create_file_unsafe("override_widen_ms", 0600, dir, NULL, &drvsim_widen_fops);
	debugfs_create_atomic_t("override_widen_inside", 0400, dir, &drvsim_widen_inside);
}

/* At module exit, after the files are removed: unregisters the kprobe. */
void drvsim_widen_exit(void)
{
	drvsim_widen_set(NULL, 0);
}

/* 1: override names drv, 0: override names another driver, <0: no override. */
int drvsim_match_driver_override(struct device *dev, const struct device_driver *drv)
{
	bool widen = atomic_read(&drvsim_widen_armed) &&
		     !cmpxchg(&drvsim_widen_task, NULL, current);
	int ret;

	if (widen)
		WRITE_ONCE(drvsim_widen_dev, dev);
	ret = device_match_driver_override(dev, drv);
	if (widen) {
		WRITE_ONCE(drvsim_widen_dev, NULL);
		/* Pairs with the cmpxchg() above: dev is cleared first. */
		smp_store_release(&drvsim_widen_task, NULL);
	}
	return ret;
}

/*
 * The switches that restore broken designs (see Documentation/drvsim.rst)
 * need to look at and annotate the device lock, which Rust can only reach
 * through these helpers.
 */
#ifdef CONFIG_PREEMPT_RT
#error "drvsim reads struct mutex's owner word, which PREEMPT_RT does not have"
#endif

/* Whether the current task holds dev's lock (mutex owner word, flags masked). */
bool drvsim_device_lock_owned_by_current(struct device *dev)
{
	return (atomic_long_read(&dev->mutex.owner) & ~0x07UL) == (unsigned long)current;
}

void drvsim_device_lock(struct device *dev)
{
	device_lock(dev);
}

void drvsim_device_unlock(struct device *dev)
{
	device_unlock(dev);
}

/*
 * lockdep_device_class: the driver core puts every device lock in lockdep's
 * "novalidate" class; give this device a class of its own, as in Danilo
 * Krummrich's debugging patch from the locked-match thread. key must live
 * in the device and be unregistered before it is freed.
 */
void drvsim_device_lockdep_register(struct device *dev, struct lock_class_key *key)
{
	lockdep_register_key(key);
	lockdep_set_class(&dev->mutex, key);
}

void drvsim_device_lockdep_unregister(struct lock_class_key *key)
{
	lockdep_unregister_key(key);
}

/* Tell lockdep the device lock is taken in match, without taking it. */
void drvsim_device_lockdep_acquire(struct device *dev)
{
	mutex_acquire(&dev->mutex.dep_map, 0, 0, _RET_IP_);
}

void drvsim_device_lockdep_release(struct device *dev)
{
	mutex_release(&dev->mutex.dep_map, _RET_IP_);
}

/*
 * Fault injection: called before each allocation drvsim makes when it
 * creates devices and VFs, probes (rust/driver.rs) or adds a dynamic id.
 * Returns 0, unless fail_function injects an error into it
 * (Documentation/fault-injection/fault-injection.rst); noinline so that
 * there is a function to inject into.
 */
noinline int drvsim_should_fail_alloc(void)
{
	return 0;
}
EXPORT_SYMBOL_GPL(drvsim_should_fail_alloc);
ALLOW_ERROR_INJECTION(drvsim_should_fail_alloc, ERRNO);

/*
 * What keeps module exit waiting, as netdevsim's device count: every
 * device until its release, and every sysfs writer that runs on after
 * removing its own attribute (kernfs no longer holds off the unload for
 * it). A completion needs a static initialiser, hence C. The count starts
 * at 1, the module's own, which drvsim_live_wait() drops.
 */
static atomic_t drvsim_live = ATOMIC_INIT(1);
static DECLARE_COMPLETION(drvsim_all_gone);

void drvsim_live_get(void)
{
	atomic_inc(&drvsim_live);
}

void drvsim_live_put(void)
{
	if (atomic_dec_and_test(&drvsim_live))
		complete(&drvsim_all_gone);
}

/*
 * debugfs "live" (read-only): the count, so that a test can see a removed
 * device released (Documentation/sysfs.rst). atomic_t files are C's.
 */
void drvsim_live_debugfs(struct dentry *dir)
{
	debugfs_create_atomic_t("live", 0400, dir, &drvsim_live);
}

/* Drop the module's count and wait until every other one is gone. */
void drvsim_live_wait(void)
{
	drvsim_live_put();
	wait_for_completion(&drvsim_all_gone);
}

/*
 * selftest_kcsan_race: two threads increment one plain int for a second,
 * on purpose, so that KCSAN (FLAVOUR=kcsan) must report a data race in
 * drvsim's code. In C because 7.3 does not instrument Rust for KCSAN.
 * No "kcsan_" in these names: KCSAN leaves frames whose function name
 * contains it out of its reports, taking them for its own.
 */
static int drvsim_plain_counter;
static DECLARE_COMPLETION(drvsim_racers_done);

static int drvsim_racer(void *unused)
{
	unsigned long end = jiffies + HZ;

	while (time_before(jiffies, end)) {
		drvsim_plain_counter++;
		cpu_relax();
	}
	/* Never returns into module text that a failed init may free. */
	kthread_complete_and_exit(&drvsim_racers_done, 0);
}

int drvsim_selftest_kcsan_race(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct task_struct *t = kthread_run(drvsim_racer, NULL, "drvsim-race%d", i);

		if (IS_ERR(t)) {
			/* The threads started finish on their own. */
			while (i--)
				wait_for_completion(&drvsim_racers_done);
			return PTR_ERR(t);
		}
	}
	for (i = 0; i < 2; i++)
		wait_for_completion(&drvsim_racers_done);
	pr_info("drvsim: selftest_kcsan_race: %d\n", READ_ONCE(drvsim_plain_counter));
	return 0;
}

/*
 * A data watchpoint for KUnit (rust/kernel_devres.rs): it records, for
 * each access that the task that set it makes to len bytes at addr, the
 * task's RCU read-side nesting depth at the access. The handler runs in
 * the accessing task's context, after the access (x86) or before it
 * (arm64), and perf's breakpoint path may hold an RCU read lock of its
 * own there: a caller compares depths with that of an access of its own
 * made outside any read-side section. Rust reaches neither
 * <linux/hw_breakpoint.h> nor its static inline hw_breakpoint_init().
 */
#define DRVSIM_WATCH_MAX 8

struct drvsim_watch {
	struct perf_event * __percpu *bp;
	struct task_struct *task;
	atomic_t hits;
	int depth[DRVSIM_WATCH_MAX];
};

/* current's RCU read-side nesting depth. */
static int drvsim_rcu_depth(void)
{
#ifdef CONFIG_PREEMPT_RCU
	return rcu_preempt_depth();
#else
	/* rcu_read_lock() disables preemption. */
	return preempt_count() & PREEMPT_MASK;
#endif
}

static void drvsim_watch_hit(struct perf_event *bp, struct perf_sample_data *data,
			     struct pt_regs *regs)
{
	struct drvsim_watch *w = bp->overflow_handler_context;
	int i;

	if (current != w->task)
		return;
	i = atomic_inc_return(&w->hits) - 1;
	if (i < DRVSIM_WATCH_MAX)
		WRITE_ONCE(w->depth[i], drvsim_rcu_depth());
}

/*
 * Watch reads and writes of len (1, 2, 4 or 8, addr aligned to it) bytes
 * at addr on every CPU: 0 and *out, or a negative errno (-EOPNOTSUPP
 * without hardware breakpoints).
 */
int drvsim_watch_start(const void *addr, int len, struct drvsim_watch **out)
{
	struct perf_event_attr attr;
	struct drvsim_watch *w;

	w = kzalloc_obj(*w, GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	hw_breakpoint_init(&attr);
	attr.bp_addr = (unsigned long)addr;
	attr.bp_len = len;
	attr.bp_type = HW_BREAKPOINT_RW;
	w->task = current;
	w->bp = register_wide_hw_breakpoint(&attr, drvsim_watch_hit, w);
	if (IS_ERR_OR_NULL(w->bp)) {
		int err = w->bp ? PTR_ERR(w->bp) : -EOPNOTSUPP;

		kfree(w);
		return err;
	}
	*out = w;
	return 0;
}

/*
 * Remove the watchpoint and free it. Returns the number of accesses seen;
 * the depths of the first max of them (at most 8) go to depth[].
 */
int drvsim_watch_stop(struct drvsim_watch *w, int *depth, int max)
{
	int hits, i;

	unregister_wide_hw_breakpoint(w->bp);
	hits = atomic_read(&w->hits);
	for (i = 0; i < min3(hits, max, DRVSIM_WATCH_MAX); i++)
		depth[i] = w->depth[i];
	kfree(w);
	return hits;
}

/*
 * A device's simulated interrupt (rust/sim_irq.rs): an irq_sim domain of
 * one line, the interrupt chip gpio-sim uses (kernel/irq/irq_sim.c), and
 * the line's mapping. irq_sim.h is not in the kernel's Rust bindings.
 * Returns the virq (> 0), the domain in *domain, or a negative errno.
 */
int drvsim_sim_irq_create(struct irq_domain **domain)
{
	struct irq_domain *d;
	unsigned int virq;

	d = irq_domain_create_sim(NULL, 1);
	if (IS_ERR(d))
		return PTR_ERR(d);
	virq = irq_create_mapping(d, 0);
	if (!virq) {
		irq_domain_remove_sim(d);
		return -ENOMEM;
	}
	*domain = d;
	return virq;
}

/* Undoes drvsim_sim_irq_create(); the line must have no handler left. */
void drvsim_sim_irq_remove(struct irq_domain *domain, unsigned int virq)
{
	irq_dispose_mapping(virq);
	irq_domain_remove_sim(domain);
}

/*
 * Raises the line n times, each once irq_sim's irq_work has taken the
 * previous one (its handler runs in hard irq context), so that every
 * raise is one interrupt: raised again before that, the line would merge
 * the two. The irq_work is queued on this CPU and runs in its interrupt,
 * so with preemption off, a raise seen taken here has been handled. A
 * line nobody requested is masked: irq_sim drops the raise and reports
 * nothing pending. -EINTR on a fatal signal.
 */
int drvsim_sim_irq_fire(unsigned int virq, unsigned int n)
{
	bool pending;
	int err = 0;

	while (n--) {
		if (fatal_signal_pending(current))
			return -EINTR;
		get_cpu();
		err = irq_set_irqchip_state(virq, IRQCHIP_STATE_PENDING, true);
		do {
			/* irq_sim leaves it alone once the line is masked. */
			pending = false;
			if (!err)
				err = irq_get_irqchip_state(virq, IRQCHIP_STATE_PENDING, &pending);
			cpu_relax();
		} while (!err && pending);
		put_cpu();
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

/*
 * The cdev layer (rust/cdev_layer.rs): a mapping of MMIO-like pfns
 * (VM_PFNMAP), filled at fault time only. Filled in ->mmap (as
 * remap_pfn_range() does), its PTEs would exist before mmap_region() links
 * the VMA into the file's i_mmap, so an unbind's unmap_mapping_range()
 * running in between would miss them (vfio-pci moved to faults for this).
 * page_to_pfn() and vm_flags_set() are static inlines.
 */
void drvsim_cdev_mmap_prepare(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
}
EXPORT_SYMBOL_GPL(drvsim_cdev_mmap_prepare);

/*
 * The cdev layer's hold on the first inode opened, whose i_mapping every
 * file shares: the inode and its filesystem. A node made with mknod on a
 * tmpfs, unmounted while the device lives, would otherwise be a busy inode
 * whose later iput() runs on a dead superblock; s_active keeps the
 * superblock alive past the unmount, as a lazy unmount does. The opener's
 * path holds a mount of it, so s_active is not 0 here.
 */
void drvsim_cdev_hold_inode(struct inode *inode)
{
	atomic_inc(&inode->i_sb->s_active);
	ihold(inode);
}
EXPORT_SYMBOL_GPL(drvsim_cdev_hold_inode);

/* Drops drvsim_cdev_hold_inode()'s references; may sleep. */
void drvsim_cdev_put_inode(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;

	iput(inode);
	deactivate_super(sb);
}
EXPORT_SYMBOL_GPL(drvsim_cdev_put_inode);

vm_fault_t drvsim_cdev_fault_insert(struct vm_fault *vmf, struct page *page)
{
	return vmf_insert_pfn(vmf->vma, vmf->address, page_to_pfn(page));
}
EXPORT_SYMBOL_GPL(drvsim_cdev_fault_insert);
