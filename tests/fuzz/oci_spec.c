/* An OCI bundle's config.json as `mlrun-oci create` reads it: oci_spec_parse() gets the file's
 * bytes (read whole, at most 4 MiB) and must refuse, naming the field, anything it does not
 * honour; then, like create with an annotation-free config, its linux.seccomp object goes to
 * seccomp_compile_oci() (libseccomp, no OS state). */
#include "fuzz.h"

#include "../../runtime/oci_spec.h"
#include "../../security/security.h"

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
	free(text);
	return 0;
}
