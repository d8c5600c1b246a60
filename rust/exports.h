/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of the functions rust/exports.c exports or defines.
 */
#ifndef DRVSIM_EXPORTS_H
#define DRVSIM_EXPORTS_H

#include <linux/mm_types.h>
#include <linux/types.h>

struct dentry;
struct device;
struct device_driver;
struct lock_class_key;
struct module;
struct drvsim_driver;
struct drvsim_watch;
struct irq_domain;

/*
 * Defined in Rust, exported by exports.c for the driver modules. The
 * functions that take a struct device check that it is on the drvsim bus:
 * NULL or another bus's device gets NULL, false, 0 or -EINVAL (see each in
 * rust/exports.rs; drvsim_sriov_disable() does nothing).
 */
int drvsim_driver_register(struct drvsim_driver *drv, struct module *owner, const char *name);
void drvsim_driver_unregister(struct drvsim_driver *drv);
const char *drvsim_device_type(const struct device *dev);
bool drvsim_device_is_present(const struct device *dev);
int drvsim_sriov_enable(struct device *dev, int num_vfs);
void drvsim_sriov_disable(struct device *dev);
int drvsim_sriov_num_vfs(const struct device *dev);
int drvsim_region_read32(const struct device *dev, u32 index, u32 offset, u32 *value);
int drvsim_region_write32(const struct device *dev, u32 index, u32 offset, u32 value);
u32 drvsim_device_regions(const struct device *dev);
void drvsim_pause_register_window(void);
void drvsim_pause_revoke(void);
void drvsim_pause_sample_exit(void);
bool drvsim_legacy_devres_set_unlock(void);
int drvsim_device_irq(const struct device *dev);
void drvsim_pause_unbind_devres(void *unused);
int drvsim_line_provide(struct device *dev, u32 *value);
void drvsim_line_withdraw(struct device *dev);
int drvsim_line_get(struct device *consumer, const void **line, u32 **value);
void drvsim_line_put(const void *line);
int drvsim_line_read(const void *line, u32 *value);
int drvsim_line_write(const void *line, u32 value);
int drvsim_line_link(struct device *consumer);

/* Defined in exports.c, called from drvsim.ko's Rust code only. */
int drvsim_selftest_kcsan_race(void);
int drvsim_match_driver_override(struct device *dev, const struct device_driver *drv);
bool drvsim_device_lock_owned_by_current(struct device *dev);
void drvsim_device_lock(struct device *dev);
void drvsim_device_unlock(struct device *dev);
void drvsim_device_lockdep_register(struct device *dev, struct lock_class_key *key);
void drvsim_device_lockdep_unregister(struct lock_class_key *key);
void drvsim_device_lockdep_acquire(struct device *dev);
void drvsim_device_lockdep_release(struct device *dev);
void drvsim_live_get(void);
void drvsim_live_put(void);
void drvsim_live_wait(void);
void drvsim_live_debugfs(struct dentry *dir);
void drvsim_widen_debugfs(struct dentry *dir);
void drvsim_widen_exit(void);
int drvsim_watch_start(const void *addr, int len, struct drvsim_watch **out);
int drvsim_watch_stop(struct drvsim_watch *w, int *depth, int max);
int drvsim_sim_irq_create(struct irq_domain **domain);
void drvsim_sim_irq_remove(struct irq_domain *domain, unsigned int virq);
int drvsim_sim_irq_fire(unsigned int virq, unsigned int n);

/* Defined and exported in exports.c. */
int drvsim_should_fail_alloc(void);
/* The cdev layer's helpers (rust/cdev_layer.rs); mm_types.h: vm_fault_t. */
void drvsim_cdev_mmap_prepare(struct vm_area_struct *vma);
void drvsim_cdev_hold_inode(struct inode *inode);
void drvsim_cdev_put_inode(struct inode *inode);
vm_fault_t drvsim_cdev_fault_insert(struct vm_fault *vmf, struct page *page);

#endif /* DRVSIM_EXPORTS_H */
