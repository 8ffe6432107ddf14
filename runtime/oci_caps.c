/* oci_caps.c - process.capabilities: the five sets of CAP_* names as bit masks. Pure: fuzzed
 * through oci_spec_parse.
 *
 * A name this table does not know is left out (never granted) and listed for a warning, as the
 * runtime-spec asks ("logged as a warning ... SHOULD NOT fail") and runc and crun do; a name
 * the running kernel lacks is dropped by mlrun-oci create (tools/oci.c), with a warning too.
 * Sets capset would refuse (effective within permitted, inheritable within bounding) fail here,
 * naming the set, where runc and crun fail in the container's set-up. */
#include <errno.h>
#include <json.h>
#include <string.h>

#include "oci_spec.h"

/* Linux's numbers (include/uapi/linux/capability.h); their order is the ABI. */
static const char *const cap_names[OCI_CAP_COUNT] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
	"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
	"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

static const char *const set_names[OCI_CAP_SETS] = { "bounding", "effective", "permitted", "inheritable",
						     "ambient" };

const char *oci_cap_name(int cap)
{
	return cap >= 0 && cap < OCI_CAP_COUNT ? cap_names[cap] : NULL;
}

const char *oci_cap_set_name(enum oci_cap_set set)
{
	return set < OCI_CAP_SETS ? set_names[set] : "?";
}

static int cap_number(const char *name)
{
	for (int i = 0; i < OCI_CAP_COUNT; i++)
		if (strcmp(cap_names[i], name) == 0)
			return i;
	return -1;
}

/* The first name of mask's bits, for a message. */
static const char *first_name(uint64_t mask)
{
	for (int i = 0; i < OCI_CAP_COUNT; i++)
		if (mask & (1ull << i))
			return cap_names[i];
	return "?";
}

int oci_caps_parse(json_object *o, struct oci_caps *c, struct error *err)
{
	memset(c, 0, sizeof(*c));
	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return error_set(err, EINVAL, "process.capabilities: not an object");
	json_object_object_foreach(o, key, val)
	{
		int set = -1;
		for (int i = 0; i < OCI_CAP_SETS; i++)
			if (strcmp(key, set_names[i]) == 0)
				set = i;
		if (set < 0)
			return error_set(err, EINVAL, "process.capabilities.%s: unknown or unsupported field (docs/oci.md)", key);
		if (json_object_is_type(val, json_type_null))
			continue;
		if (!json_object_is_type(val, json_type_array))
			return error_set(err, EINVAL, "process.capabilities.%s: not an array", key);
		for (size_t i = 0; i < json_object_array_length(val); i++) {
			json_object *e = json_object_array_get_idx(val, i);
			if (!e || !json_object_is_type(e, json_type_string))
				return error_set(err, EINVAL, "process.capabilities.%s[%zu]: not a string", key, i);
			const char *name = json_object_get_string(e);
			int cap = cap_number(name);
			if (cap >= 0) {
				c->set[set] |= 1ull << cap;
				continue;
			}
			if (c->n_unknown < OCI_CAP_MAX_UNKNOWN)
				c->unknown[c->n_unknown] = name; /* owned by the document */
			c->n_unknown++;
		}
	}
	uint64_t missing;
	if ((missing = c->set[OCI_CAP_EFFECTIVE] & ~c->set[OCI_CAP_PERMITTED]))
		return error_set(err, EINVAL, "process.capabilities.effective: %s is not in permitted (the kernel allows "
				 "no effective capability outside the permitted set)", first_name(missing));
	if ((missing = c->set[OCI_CAP_INHERITABLE] & ~c->set[OCI_CAP_BOUNDING]))
		return error_set(err, EINVAL, "process.capabilities.inheritable: %s is not in bounding (the kernel adds no "
				 "inheritable capability outside the bounding set)", first_name(missing));
	/* The kernel holds no ambient capability outside permitted and inheritable: crun's own
	 * default spec lists ambient ones without inheritable, and runc and crun leave them out
	 * without a word, as here (docs/oci.md). */
	c->set[OCI_CAP_AMBIENT] &= c->set[OCI_CAP_PERMITTED] & c->set[OCI_CAP_INHERITABLE];
	return 0;
}
