#!/usr/bin/env bash
# segbench-data kits19-verify against a checksum table: a table made here from a small stand-in
# preprocessed directory (the check hashes bytes; it does not parse them). A match passes; a
# changed byte, a missing case and an extra file all fail, reported together in one run;
# segbench's manifest is never a data file; the default table is the official one, except for
# data marked synthetic, which is checked against its manifest and never called official.
# Usage: kits19_verify_check.sh SEGBENCH_DATA
set -euo pipefail
DATA_TOOL=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-verify.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
not_in() { ! grep -q -- "$1" "$2" || { cat "$2" >&2; fail "did not expect '$1' in $2"; }; }

D="$WORK/npy"
mkdir -p "$D"
for id in 00000 00001 00002; do
  for part in x y; do head -c 4096 /dev/urandom > "$D/case_${id}_$part.npy"; done
done
table() {  # the upstream format: one JSON object {file name: md5}
  (cd "$1" && md5sum case_*.npy) | awk 'BEGIN {printf "{"} NR > 1 {printf ", "}
    {printf "\"%s\": \"%s\"", $2, $1} END {print "}"}'
}
table "$D" > "$WORK/table.json"
printf '{"format": "segbench-checksum-manifest", "synthetic": false, "files": %s}\n' \
  "$(cat "$WORK/table.json")" > "$D/segbench_manifest.json"

echo "== a matching directory passes (the manifest beside the data is not a data file)"
expect_exit 0 "$WORK/ok.txt" "$DATA_TOOL" kits19-verify --results_dir "$D" --checksums "$WORK/table.json"
expect_in "verification passed" "$WORK/ok.txt"
not_in "segbench_manifest.json" "$WORK/ok.txt"
[ ! -e "$D/segbench_verified.json" ] || fail "a non-official table left a verification record"

echo "== the table inside the directory (as upstream keeps checksum.json) is not unexpected"
cp "$WORK/table.json" "$D/checksum.json"
expect_exit 0 "$WORK/inside.txt" "$DATA_TOOL" kits19-verify --results_dir "$D" --checksums "$D/checksum.json"
rm "$D/checksum.json"

echo "== one changed byte, one missing case, one extra file: all reported, exit 1"
printf '\x01' | dd of="$D/case_00001_x.npy" bs=1 seek=100 conv=notrunc status=none
rm "$D/case_00002_x.npy" "$D/case_00002_y.npy"
head -c 10 /dev/urandom > "$D/case_00003_x.npy"
expect_exit 1 "$WORK/bad.txt" "$DATA_TOOL" kits19-verify --results_dir "$D" --checksums "$WORK/table.json"
expect_in "case_00001_x.npy: MD5 mismatch: expected $(grep -o '"case_00001_x.npy": "[0-9a-f]*"' "$WORK/table.json" | cut -d'"' -f4)" "$WORK/bad.txt"
expect_in "case_00002_x.npy: missing" "$WORK/bad.txt"
expect_in "case_00002_y.npy: missing" "$WORK/bad.txt"
expect_in "case_00003_x.npy: unexpected file" "$WORK/bad.txt"
expect_in "verification failed: 4 problem(s)" "$WORK/bad.txt"
not_in "case_00000" "$WORK/bad.txt"
not_in "segbench_manifest.json: unexpected" "$WORK/bad.txt"

echo "== default: the official MLCommons table (420 files); no record on failure"
expect_exit 1 "$WORK/official.txt" "$DATA_TOOL" kits19-verify --results_dir "$D"
expect_in "case_00000_x.npy: MD5 mismatch: expected .* (the official MLCommons KiTS19 checksums)" "$WORK/official.txt"
expect_in "case_00209_y.npy: missing" "$WORK/official.txt"
expect_in "case_00003_x.npy: MD5 mismatch" "$WORK/official.txt"
expect_in "problem(s) in $D against the official MLCommons KiTS19 checksums" "$WORK/official.txt"
expect_in "note: the official MD5s come from the reference's PyTorch" "$WORK/official.txt"
[ ! -e "$D/segbench_verified.json" ] || fail "a failed verification left a record"

echo "== synthetic data: checked against its manifest, never called official"
rm "$D/case_00003_x.npy"
table "$D" > "$WORK/table.json"
printf '{"format": "segbench-checksum-manifest", "synthetic": true, "files": %s}\n' \
  "$(cat "$WORK/table.json")" > "$D/segbench_manifest.json"
expect_exit 0 "$WORK/synth.txt" "$DATA_TOOL" kits19-verify --results_dir "$D"
expect_in "matches $D/segbench_manifest.json (synthetic data); not verified as the official KiTS19 data" "$WORK/synth.txt"
[ ! -e "$D/segbench_verified.json" ] || fail "synthetic data got a verification record"

echo "== errors name the table"
expect_exit 2 "$WORK/nofile.txt" "$DATA_TOOL" kits19-verify --results_dir "$D" --checksums "$WORK/none.json"
expect_in "$WORK/none.json: cannot open checksum table" "$WORK/nofile.txt"
echo '{"case_00000_x.npy": 5}' > "$WORK/badtable.json"
expect_exit 2 "$WORK/badtable.txt" "$DATA_TOOL" kits19-verify --results_dir "$D" --checksums "$WORK/badtable.json"
expect_in "badtable.json: entry case_00000_x.npy is not an MD5 string" "$WORK/badtable.txt"
echo "PASS"
