/* internal.h - what the security module's files share; not part of its interface. */
#pragma once

#include "security.h"

int landlock_prepare(struct security_plan *sec, const struct policy *p, const struct rootfs_plan *plan,
		     struct error *err);
void landlock_release(struct security_plan *sec);
