// SPDX-License-Identifier: GPL-2.0
/*
 * drvsim_line_consumer's string parameter design: Rust's module! macro in
 * 7.3 declares integer and bool parameters only. Writable, so that a test
 * can change it between probes: each consumer reads it once, in probe,
 * and keeps the design it found for its binding. An unknown design gets
 * EINVAL (at load, or at the write).
 */
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

static const char * const designs[] = { "revocable", "link", "bare" };
static int design;

static int design_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(designs, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(design, i);
	return 0;
}

static int design_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", designs[READ_ONCE(design)]);
}

static const struct kernel_param_ops design_ops = {
	.set = design_set,
	.get = design_get,
};
module_param_cb(design, &design_ops, NULL, 0644);
MODULE_PARM_DESC(design,
		 "How a consumer holds its supplier's line, read at each probe: revocable (the provider's revocable, ENXIO once it is gone; the default), link (a managed device link: the driver core unbinds the consumer first) or bare (broken design: a bare pointer into the provider's driver data, a use-after-free once the provider unbinds)");

const char *drvsim_line_design(void);
const char *drvsim_line_design(void)
{
	return designs[READ_ONCE(design)];
}
