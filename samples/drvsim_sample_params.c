// SPDX-License-Identifier: GPL-2.0
/*
 * drvsim_sample's string parameter resource_model: Rust's module! macro in
 * 7.3 declares integer and bool parameters only. An unknown model fails
 * the load with EINVAL; the Rust side reads the model through
 * drvsim_sample_resource_model().
 */
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

static const char * const models[] = { "set", "devres", "bound" };
static const char *resource_model = "set";

static int resource_model_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(models, val);

	if (i < 0)
		return -EINVAL;
	resource_model = models[i];
	return 0;
}

static int resource_model_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", resource_model);
}

static const struct kernel_param_ops resource_model_ops = {
	.set = resource_model_set,
	.get = resource_model_get,
};
module_param_cb(resource_model, &resource_model_ops, NULL, 0444);
MODULE_PARM_DESC(resource_model,
		 "How the regions are held: set (one DevresSet per device, the default), devres (one kernel Devres each) or bound (in the driver data for the bound scope; files still go through a DevresSet)");

const char *drvsim_sample_resource_model(void);
const char *drvsim_sample_resource_model(void)
{
	return resource_model;
}
