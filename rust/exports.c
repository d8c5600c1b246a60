// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of drvsim.ko: symbol exports of the Rust functions that
 * driver modules call (see rust/abi.rs), and static inline helpers that
 * Rust cannot call directly.
 */
#include <linux/device.h>
#include <linux/export.h>
#include <linux/module.h>

struct drvsim_driver;

int drvsim_driver_register(struct drvsim_driver *drv, struct module *owner, const char *name);
void drvsim_driver_unregister(struct drvsim_driver *drv);
const char *drvsim_device_type(const struct device *dev);
int drvsim_match_driver_override(struct device *dev, const struct device_driver *drv);

EXPORT_SYMBOL_GPL(drvsim_driver_register);
EXPORT_SYMBOL_GPL(drvsim_driver_unregister);
EXPORT_SYMBOL_GPL(drvsim_device_type);

/* 1: override names drv, 0: override names another driver, <0: no override. */
int drvsim_match_driver_override(struct device *dev, const struct device_driver *drv)
{
	return device_match_driver_override(dev, drv);
}
