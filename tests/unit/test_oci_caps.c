/* test_oci_caps.c - runtime/oci_caps.c: process.capabilities names into the five masks, what is
 * left out (unknown names, ambient the kernel cannot raise) and what is refused (sets capset
 * would refuse), and that the name table keeps Linux's numbers. TAP on stdout. */
#include <errno.h>
#include <json.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

#include "runtime/oci_spec.h"

#include "tap.h"

static int parse(const char *text, struct oci_caps *c, struct error *err)
{
	json_object *o = json_tokener_parse(text);
	memset(err, 0, sizeof(*err));
	int r = oci_caps_parse(o, c, err);
	json_object_put(o);
	return r;
}

#define BIT(c) (1ull << (c))

int main(void)
{
	struct oci_caps c;
	struct error err;
	char got[1024];

	int r = parse("{\"bounding\": [\"CAP_CHOWN\", \"CAP_SYS_ADMIN\", \"CAP_NET_RAW\"], \"permitted\": [\"CAP_CHOWN\", "
		      "\"CAP_NET_RAW\"], \"effective\": [\"CAP_CHOWN\"], \"inheritable\": [\"CAP_NET_RAW\"], \"ambient\": "
		      "[\"CAP_NET_RAW\"]}", &c, &err);
	snprintf(got, sizeof(got), "r=%d bnd=%llx prm=%llx eff=%llx inh=%llx amb=%llx %s", r,
		 (unsigned long long)c.set[OCI_CAP_BOUNDING], (unsigned long long)c.set[OCI_CAP_PERMITTED],
		 (unsigned long long)c.set[OCI_CAP_EFFECTIVE], (unsigned long long)c.set[OCI_CAP_INHERITABLE],
		 (unsigned long long)c.set[OCI_CAP_AMBIENT], err.msg);
	tap(r == 0 && c.set[OCI_CAP_BOUNDING] == (BIT(CAP_CHOWN) | BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_RAW)) &&
		    c.set[OCI_CAP_PERMITTED] == (BIT(CAP_CHOWN) | BIT(CAP_NET_RAW)) && c.set[OCI_CAP_EFFECTIVE] == BIT(CAP_CHOWN) &&
		    c.set[OCI_CAP_INHERITABLE] == BIT(CAP_NET_RAW) && c.set[OCI_CAP_AMBIENT] == BIT(CAP_NET_RAW),
	    got, "the five sets become masks of Linux's numbers");

	r = parse("{\"bounding\": [\"CAP_KILL\", \"CAP_NOPE\", \"kill\"], \"permitted\": null}", &c, &err);
	tap(r == 0 && c.set[OCI_CAP_BOUNDING] == BIT(CAP_KILL) && c.n_unknown == 2 && !strcmp(c.unknown[0], "CAP_NOPE") &&
		    !strcmp(c.unknown[1], "kill"),
	    err.msg, "unknown names (and runc's exact spelling only) are listed, not granted");

	r = parse("{\"bounding\": [\"CAP_KILL\"], \"permitted\": [\"CAP_KILL\"], \"ambient\": [\"CAP_KILL\"]}", &c, &err);
	tap(r == 0 && c.set[OCI_CAP_AMBIENT] == 0, err.msg, "ambient outside inheritable is left out (crun's default spec)");

	r = parse("{\"permitted\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\", \"CAP_SYS_ADMIN\"]}", &c, &err);
	tap(r == -EINVAL && strstr(err.msg, "process.capabilities.effective: CAP_SYS_ADMIN is not in permitted"), err.msg,
	    "effective outside permitted is refused, naming the set and the capability");

	r = parse("{\"bounding\": [\"CAP_KILL\"], \"inheritable\": [\"CAP_CHOWN\"]}", &c, &err);
	tap(r == -EINVAL && strstr(err.msg, "process.capabilities.inheritable: CAP_CHOWN is not in bounding"), err.msg,
	    "inheritable outside bounding is refused");

	r = parse("{\"bounding\": \"CAP_KILL\"}", &c, &err);
	tap(r == -EINVAL && strstr(err.msg, "bounding: not an array"), err.msg, "a set that is not an array is refused");
	r = parse("{\"permited\": []}", &c, &err);
	tap(r == -EINVAL && strstr(err.msg, "process.capabilities.permited: unknown"), err.msg, "a misspelt set is refused");
	r = parse("{\"bounding\": [1]}", &c, &err);
	tap(r == -EINVAL && strstr(err.msg, "bounding[0]: not a string"), err.msg, "a name that is not a string is refused");
	r = parse("[]", &c, &err);
	tap(r == -EINVAL, err.msg, "capabilities that is not an object is refused");

	tap(!strcmp(oci_cap_name(CAP_CHOWN), "CAP_CHOWN") && !strcmp(oci_cap_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN") &&
		    !strcmp(oci_cap_name(CAP_CHECKPOINT_RESTORE), "CAP_CHECKPOINT_RESTORE") &&
		    oci_cap_name(CAP_LAST_CAP + 1) == NULL && OCI_CAP_COUNT == CAP_LAST_CAP + 1,
	    NULL, "the table follows <linux/capability.h> (CAP_LAST_CAP %d)", CAP_LAST_CAP);
	return tap_done();
}
