#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A crafted control for check.sh's harness case on eval_control: never
# run; its log (only-and-cases.log) has the expected oops and a KASAN
# report it does not expect, and its guest sent no cases.
# control-only: 1
# control-cases: kselftest:never_sent
# control-expect: oops: .*Oops: general protection fault
exit 1
