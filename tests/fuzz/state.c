/* State files (/run/mlrun/ID.json, $XDG_RUNTIME_DIR/mlrun/ID.json) as `mlrun ps`, `kill`,
 * `stats` and `gc` read them: through state_find(), the public entry point, whatever reads
 * and parses the file underneath. The file itself never exists: the harness is linked with
 * -Wl,--wrap for json-c's file readers, which hand over the input (from a memfd) instead of
 * the state directory's file. If state.c stops reading through them, the harness aborts
 * rather than fuzz nothing: then follow the new read function here. */
#include "fuzz.h"

#include <json.h>

#include "../../runtime/state.h"

static const uint8_t *cur_data;
static size_t cur_size;
static int reads;

json_object *__real_json_object_from_fd(int fd);
json_object *__wrap_json_object_from_file(const char *path);
json_object *__wrap_json_object_from_fd(int fd);

static json_object *from_input(void)
{
	char path[64];
	int fd = fuzz_memfd(cur_data, cur_size, path, sizeof(path));

	reads++;
	if (lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return __real_json_object_from_fd(fd);
}

json_object *__wrap_json_object_from_file(const char *path)
{
	(void)path;
	return from_input();
}

json_object *__wrap_json_object_from_fd(int fd)
{
	(void)fd;
	return from_input();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_entry e;
	struct error err = { 0 };

	cur_data = data, cur_size = size, reads = 0;
	state_find("r-0123456789ab", &e, &err);
	if (reads != 1) {
		fprintf(stderr, "fuzz/state: state_find read %d files through json-c: update tests/fuzz/state.c\n", reads);
		abort();
	}
	return 0;
}
