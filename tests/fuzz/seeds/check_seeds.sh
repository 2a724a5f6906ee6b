#!/bin/sh
# fuzz_seeds_current: the committed frame/JSON seeds are exactly what the
# encoders write now. Usage: check_seeds.sh MAKE_SEEDS SRC_FUZZ_DIR SCRATCH
set -eu
make_seeds=$1 src=$2 fresh=$3
rm -rf "$fresh"
for h in channel_frame exec_client agent_frame relay vm_json; do mkdir -p "$fresh/$h/corpus"; done
"$make_seeds" "$fresh"
n=0
for f in "$fresh"/*/corpus/*.seed; do
	rel=${f#"$fresh"/}
	cmp "$f" "$src/$rel" || { echo "stale seed $rel: run fuzz_make_seeds tests/fuzz"; exit 1; }
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "fuzz_make_seeds wrote no seeds"; exit 1; }
echo "$n seeds current"
