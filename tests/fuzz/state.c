/* State files (/run/mlrun/ID.json, $XDG_RUNTIME_DIR/mlrun/ID.json) as `mlrun ps`, `kill`,
 * `stats` and `gc` read them: state_find() checks the file (a private regular file of ours, one
 * link, in the verified state directory) and hands its content to state_entry_parse(), the
 * parser fuzzed here. */
#include "fuzz.h"

#include "../../runtime/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_entry e;
	char *text = fuzz_strdup(data, size);

	state_entry_parse(text, "r-0123456789ab.json", &e);
	free(text);
	return 0;
}
