#!/usr/bin/env bash
# The layer rule of docs/design.md, checked on every #include "..." of the C sources, as TAP:
# one line per module. A module may include its own headers and those of a lower layer, never
# one of its own layer or above (an include that points up or sideways fails):
#   0 lib   1 policy   2 cgroup ns rootfs   3 security   4 runtime   5 tools   6 runtime/main.c
# runtime/main.c is the top: its dispatch table is the one place that lists the tools.
set -u
cd "$(dirname "$0")/.."

declare -A rank=([lib]=0 [policy]=1 [cgroup]=2 [ns]=2 [rootfs]=2 [security]=3 [runtime]=4 [tools]=5)
# Generated at build time into $(BUILD)/gen, included by security/builtin.c through -I.
generated=" builtin_filters.h "

layer_of() { # file -> rank ("" if not in a module)
	[ "$1" = runtime/main.c ] && { echo 6; return; }
	echo "${rank[${1%%/*}]:-}"
}

n=0 failed=0
for mod in lib policy cgroup ns rootfs security runtime tools; do
	bad=()
	while IFS= read -r src; do
		own=$(layer_of "$src")
		while IFS= read -r inc; do
			case "$generated" in *" $inc "*) continue ;; esac
			dir=$(dirname "$src")
			if [ -e "$dir/$inc" ]; then
				tgt=$(realpath -m --relative-to=. "$dir/$inc")
			elif [ -e "$inc" ]; then
				tgt=$(realpath -m --relative-to=. "$inc")
			else
				bad+=("$src: #include \"$inc\" names no file in the tree")
				continue
			fi
			[ "${tgt%%/*}" = "${src%%/*}" ] && continue # own module
			theirs=$(layer_of "$tgt")
			if [ -z "$theirs" ] || [ "$theirs" -ge "$own" ]; then
				bad+=("$src: #include \"$inc\" ($tgt, layer ${theirs:-none}) is not below layer $own")
			fi
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$src")
	done < <(find "$mod" -name '*.[ch]' | sort)
	n=$((n + 1))
	if [ ${#bad[@]} -eq 0 ]; then
		echo "ok $n - layers: $mod/ includes only its own and lower layers' headers"
	else
		failed=$((failed + 1))
		echo "not ok $n - layers: $mod/ includes a header of its own layer or above"
		printf '#   %s\n' "${bad[@]}"
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
