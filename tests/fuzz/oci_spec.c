/* An OCI bundle's config.json as `mlrun-oci create` reads it: oci_spec_parse() gets the file's
 * bytes (read whole, at most 4 MiB) and must refuse, naming the field, anything it does not
 * honour; then, like create with an annotation-free config, its linux.seccomp object goes to
 * seccomp_compile_oci() (libseccomp, no OS state). The same bytes as `mlrun-oci exec --process
 * FILE`'s process object go to oci_process_parse(). */
#include "fuzz.h"

#include "../../runtime/oci_spec.h"
#include "../../security/security.h"

#include <json-c/json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_spec s;
	struct error err = { 0 };
	char *text = fuzz_strdup(data, size);

	if (oci_spec_parse(text, strlen(text), &s, &err) == 0 && s.seccomp) {
		struct sock_fprog prog = { 0 };
		struct error e2 = { 0 };
		if (seccomp_compile_oci(s.seccomp, &prog, &e2) == 0)
			free(prog.filter);
	}
	oci_spec_free(&s);

	json_object *p = json_tokener_parse(text);
	struct oci_spec ps;
	struct error e3 = { 0 };
	oci_process_parse(p, &ps, &e3);
	oci_spec_free(&ps);
	json_object_put(p);
	free(text);
	return 0;
}
