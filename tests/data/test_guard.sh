#!/usr/bin/env bash
# Hostile data files (issue 17), each built here with h5py:
#  - Y claiming 1,023,410,236 columns (chunked, never written): `info --check`
#    must refuse it from the metadata, before allocating anything sized by the
#    file (run under a memory ulimit, so an allocation of gigabytes fails the
#    test instead of passing slowly);
#  - 10^10 rows, never written: `info` bounds its column statistics to a
#    sample of rows and says so (same ulimit);
#  - a damaged compressed chunk: exit 2 (bad HDF5 content), naming file,
#    dataset and the chunk's rows;
#  - `gen -o` over an existing file refuses without --force.
# Also: `info --check` prints the content checksum that a resume compares,
# and it changes when one value of the file changes.
set -u
BIN=${MLPS_BIN:?}
T=${MLPS_TMP:?}/data_guard
PY=/usr/bin/python3
rm -rf "$T" && mkdir -p "$T"
. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"

# Address space allowed to the commands below (KiB). Under ASan the shadow
# memory alone needs terabytes of address space, so the limit is used only
# when a plain command runs under it.
VLIM=400000
if (ulimit -v $VLIM && "$BIN" --help >/dev/null 2>&1); then
  limited() { (ulimit -v $VLIM && exec "$@"); }
  have_limit=1
else
  echo "note: cannot run under ulimit -v $VLIM (sanitizer build?); running without the limit"
  limited() { "$@"; }
  have_limit=0
fi

"$PY" - "$T" <<'PYEOF' || { echo "FAIL: h5py could not build the files"; exit 1; }
import sys, h5py, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(4)
# Y claims 1,023,410,236 columns; no chunk is ever written (the file is small).
with h5py.File(f"{d}/hugecols.h5", "w") as f:
    f.create_dataset("X", data=rng.random((10, 3)))
    f.create_dataset("Y", shape=(10, 1023410236), dtype="f4", chunks=(1, 1 << 20))
# 10^10 rows, never written.
with h5py.File(f"{d}/hugerows.h5", "w") as f:
    f.create_dataset("X", shape=(10**10, 3), dtype="f4", chunks=(1 << 16, 3))
    f.create_dataset("Y", shape=(10**10, 2), dtype="f8", chunks=(1 << 16, 2))
# Compressed, checksummed chunks of 100 rows; chunk 2 of Y (rows 200..299) is overwritten.
with h5py.File(f"{d}/damaged.h5", "w") as f:
    f.create_dataset("X", data=rng.random((1000, 4)), chunks=(100, 4), compression="gzip", fletcher32=True)
    f.create_dataset("Y", data=rng.random((1000, 5)), chunks=(100, 5), compression="gzip", fletcher32=True)
with h5py.File(f"{d}/damaged.h5", "r") as f:
    info = f["Y"].id.get_chunk_info(2)
    assert info.chunk_offset == (200, 0), info
    off, size = info.byte_offset, info.size
with open(f"{d}/damaged.h5", "r+b") as fh:
    fh.seek(off + size // 4)
    fh.write(b"\xa5" * (size // 2))
PYEOF

# --- sizes checked before anything sized by the file is allocated --------
# The default limit is the memory available, which under `ulimit -v` is what
# the limit leaves; --mem-limit makes the other cases independent of the machine.
if [ $have_limit = 1 ]; then
  run 2 "1023410236 columns) need 38.1 GiB as float32" limited "$BIN" info --check "$T/hugecols.h5"
fi
L="--mem-limit 2e9"
run 2 "need 38.1 GiB as float32 (plus 22.9 GiB while loading), but only 1.86 GiB are allowed" limited "$BIN" info --check "$T/hugecols.h5" $L
# also when the column selection is explicit (the old parser allocated one byte per file column)
run 2 "need 38.1 GiB" limited "$BIN" info --check "$T/hugecols.h5" $L --target-columns 0:1023410236
# two columns, but whole rows are read: the read buffer alone is too big
run 2 "need 200 B as float32 (plus 7.63 GiB while loading), but only 1.86 GiB are allowed (memory limit); blocks of whole file rows are read (float64), so put the columns you use in a dataset of their own" limited "$BIN" info --check "$T/hugecols.h5" $L --target-columns 5,1023410235
run 2 "column 1023410236 is out of range" limited "$BIN" info --check "$T/hugecols.h5" $L --target-columns 1023410236
run 2 "column 7 is selected twice" limited "$BIN" info --check "$T/hugecols.h5" $L --target-columns 0:9,7

# --- info on huge datasets: statistics over a stated sample ---------------
# (timeout: a guard against the old behaviour, minutes of work, not a timing check)
run 0 "statistics over the first 1000000 of 10000000000 rows" limited timeout 150 "$BIN" info "$T/hugerows.h5"
run 0 "/Y  float32  (10, 1023410236)" limited "$BIN" info "$T/hugecols.h5"
run 0 "statistics for the first 65536 of 1023410236 columns" limited "$BIN" info "$T/hugecols.h5"
# small datasets keep their full statistics, with no sampling note
out=$("$BIN" info "$T/damaged.h5" --columns 0 2>&1 | grep -c "statistics over the first")
[ "$out" = 0 ] || fail "a 1000-row dataset was sampled"

# --- damaged chunk: bad HDF5 content, exit 2, naming the rows -------------
run 2 "damaged.h5: dataset 'Y': rows 200..299 cannot be read" "$BIN" info --check "$T/damaged.h5"
run 2 "re-create or re-copy the file" "$BIN" info --check "$T/damaged.h5"
run 0 "ok:" "$BIN" info --check "$T/damaged.h5" --max-rows 200
run 2 "rows 200..299 cannot be read" "$BIN" info "$T/damaged.h5"

# --- the content checksum -------------------------------------------------
"$PY" - "$T" <<'PYEOF'
import sys, h5py, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(5)
x, y = rng.random((300, 3)), rng.random((300, 4))
for name, chunks in [("a.h5", None), ("b.h5", (7, 4))]:
    with h5py.File(f"{d}/{name}", "w") as f:
        f.create_dataset("X", data=x, chunks=None if chunks is None else (7, 3))
        f.create_dataset("Y", data=y, chunks=chunks, compression=None if chunks is None else "gzip")
y[123, 2] = np.nextafter(np.float32(y[123, 2]), np.float32(2), dtype=np.float32)
with h5py.File(f"{d}/c.h5", "w") as f:
    f.create_dataset("X", data=x)
    f.create_dataset("Y", data=y)
PYEOF
ck() { "$BIN" info --check "$@" 2>&1 | sed -n 's/.*content checksum \([0-9a-f]\{16\}\).*/\1/p'; }
a=$(ck "$T/a.h5") b=$(ck "$T/b.h5") c=$(ck "$T/c.h5") a2=$(ck "$T/a.h5" --max-rows 299)
[ -n "$a" ] && [ "$a" = "$b" ] && echo "ok: same values, contiguous and chunked+gzip: checksum $a" ||
  fail "checksums of the same values differ or are missing: '$a' '$b'"
[ -n "$c" ] && [ "$c" != "$a" ] && echo "ok: one value one ulp away: $c" || fail "one changed value, same checksum '$c'"
[ -n "$a2" ] && [ "$a2" != "$a" ] && echo "ok: one row fewer: $a2" || fail "one row fewer, same checksum '$a2'"

# --- gen over an existing file --------------------------------------------
run 0 "wrote" "$BIN" gen powerlaw --n 20 --seed 1 -o "$T/g.h5"
before=$(md5sum <"$T/g.h5")
run 2 "$T/g.h5 exists; pass --force" "$BIN" gen powerlaw --n 30 --seed 2 -o "$T/g.h5"
[ "$(md5sum <"$T/g.h5")" = "$before" ] && echo "ok: refused gen left the file alone" || fail "refused gen changed the file"
run 0 "wrote" "$BIN" gen powerlaw --n 30 --seed 2 --force -o "$T/g.h5"
run 0 "ok: $T/g.h5: inputs 'X' float64 (30, 2)" "$BIN" info --check "$T/g.h5"
run 0 "--force" "$BIN" gen --help

cli_done data_guard
