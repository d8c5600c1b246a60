#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# DevresSet before the hardening issue (legacy_devres_set_unlock=1): the
# side that loses the race for an object (a member's early drop against
# revocation, or the other way round) returns without waiting for the
# member's completion, so it can return while the other side still drops
# the object. The KUnit case revocation_is_complete_when_either_side_returns
# (rust/devres_set.rs) holds one drop asleep and checks, deterministically,
# that it finished when the other side returned: it fails at drvsim's load.
# control-params: legacy_devres_set_unlock=1
# control-samples: drvsim_sample
# control-expect: kunit: .*revocation_is_complete_when_either_side_returns: ASSERTION FAILED
exit 0
