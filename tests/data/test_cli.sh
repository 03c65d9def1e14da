#!/usr/bin/env bash
# `mlpsweep gen` and `mlpsweep info` end to end: generated files are read by
# h5py with no custom code, `info` describes them, and every malformed-file
# case (files built here with h5py) makes `info --check` print its specific
# message and exit with code 2.
set -u
BIN=${MLPS_BIN:?}
T=${MLPS_TMP:?}/data_cli
PY=/usr/bin/python3
rm -rf "$T" && mkdir -p "$T"
. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"

# --- gen ---------------------------------------------------------------
run 0 "wrote" "$BIN" gen powerlaw --n 64 --seed 3 -o "$T/pl.h5"
run 0 "wrote" "$BIN" gen powerlaw --n 64 --seed 3 --noise poisson --exposure 1e4 --gzip 4 -o "$T/pl_noise.h5"
run 0 "wrote" "$BIN" gen brokenpowerlaw --n 50 --sampling random -o "$T/bpl.h5"
run 0 "wrote" "$BIN" gen linpower --n 40 --seed 2 -o "$T/lp.h5"
run 0 "usage: mlpsweep gen" "$BIN" gen --help
run 2 "did you mean 'powerlaw'" "$BIN" gen powerlaws --n 10 -o "$T/x.h5"
run 2 "missing -o" "$BIN" gen powerlaw --n 10
run 2 "missing --n" "$BIN" gen powerlaw -o "$T/x.h5"
run 2 "--n expects an integer" "$BIN" gen powerlaw --n ten -o "$T/x.h5"
run 2 "power-law models only" "$BIN" gen linpower --n 10 --noise poisson -o "$T/x.h5"
run 2 "--sampling: unknown value 'sobol'" "$BIN" gen powerlaw --n 10 --sampling sobol -o "$T/x.h5"
run 1 "cannot create" "$BIN" gen powerlaw --n 10 -o "$T/no/such/dir/x.h5"

# h5py reads them with no custom code; LHS strata hold one point each.
if ! "$PY" - "$T" <<'PYEOF'
import sys, h5py, numpy as np
d = sys.argv[1]
for name, model, m, dim in [("pl.h5", "powerlaw", 60, 2), ("bpl.h5", "brokenpowerlaw", 60, 3), ("lp.h5", "linpower", 50, 5)]:
    with h5py.File(f"{d}/{name}", "r") as f:
        X, Y, grid = f["X"][:], f["Y"][:], f["grid"][:]
        assert f.attrs["format"] == "mlpsweep-data" and f.attrs["format_version"] == 1, dict(f.attrs)
        assert f.attrs["model"] == model
        names = list(f["X"].attrs["names"])
        assert len(names) == dim and list(f.attrs["param_names"]) == names, names
        lo, hi = f["X"].attrs["low"], f["X"].attrs["high"]
        assert X.shape[1] == dim and Y.shape == (X.shape[0], m) and grid.shape == (m,)
        assert np.all(X >= lo) and np.all(X < hi) and np.all(np.isfinite(Y)) and np.all(Y > 0)
        if f.attrs["sampling"] == "lhs":
            n = X.shape[0]
            strata = np.floor((X - lo) / (hi - lo) * n).astype(int)
            for j in range(dim):
                assert sorted(strata[:, j]) == list(range(n)), (name, j)
with h5py.File(f"{d}/pl.h5", "r") as f:
    X, Y, E = f["X"][:], f["Y"][:], f["grid"][:]
    want = np.exp(X[:, :1]) * E[None, :] ** (-X[:, 1:2])
    assert np.allclose(Y, want, rtol=1e-12), "powerlaw formula"
with h5py.File(f"{d}/pl_noise.h5", "r") as f:
    Y = f["Y"][:]
    assert f["Y"].compression == "gzip" and f["Y"].chunks is not None
    assert np.all(Y == np.round(Y)) and f.attrs["noise"] == "poisson" and f.attrs["exposure"] == 1e4
print("h5py: generated files read and checked")
PYEOF
then fail "h5py could not read or check the generated files"; fi

# --- info ----------------------------------------------------------------
run 0 "/X  float64  (64, 2)  contiguous" "$BIN" info "$T/pl.h5"
run 0 "@param_names = [\"lnA\", \"Gamma\"]" "$BIN" info "$T/pl.h5"
run 0 "chunked (64, 60), shuffle, gzip 4" "$BIN" info "$T/pl_noise.h5"
run 0 "... 56 more columns" "$BIN" info "$T/pl.h5" --columns 4
run 0 "ok: $T/lp.h5: inputs 'X' float64 (40, 5)" "$BIN" info "$T/lp.h5" --check
run 0 "targets 'Y' float64 (10, 3) of (40, 50)" "$BIN" info "$T/lp.h5" --check --target-columns 0:3 --max-rows 10
run 0 "usage: mlpsweep info" "$BIN" info --help
run 2 "missing FILE.h5" "$BIN" info
run 2 "unknown option '--bogus'" "$BIN" info "$T/pl.h5" --bogus

# --- malformed files, built with h5py ------------------------------------
"$PY" - "$T" <<'PYEOF'
import sys, h5py, numpy as np
d = sys.argv[1]
def mk(name, **dsets):
    with h5py.File(f"{d}/{name}", "w") as f:
        for k, v in dsets.items():
            f.create_dataset(k, data=v)
x, y = np.random.default_rng(1).random((20, 2)), np.random.default_rng(2).random((20, 3))
mk("nox.h5", params=x, **{"spectra/total": y})
mk("rank1.h5", X=x[:, 0], Y=y)
mk("rank3.h5", X=x, Y=y.reshape(20, 3, 1))
mk("rows.h5", X=x, Y=y[:19])
mk("empty.h5", X=np.zeros((0, 2)), Y=np.zeros((0, 3)))
yn = y.copy(); yn[4, 1] = np.nan
mk("nan.h5", X=x, Y=yn)
xi = x.astype(np.float32); xi[6, 0] = -np.inf
mk("inf.h5", X=xi, Y=y)
mk("str.h5", X=np.array([b"a", b"b"]), Y=y)
with h5py.File(f"{d}/gz.h5", "w") as f:
    f.create_dataset("in/X", data=x, chunks=(5, 2), compression="gzip")
    f.create_dataset("out/Y", data=y.astype(np.float32), chunks=(7, 3), compression="gzip", compression_opts=9)
open(f"{d}/text.h5", "w").write("not hdf5\n")
PYEOF
C="$BIN info --check"
run 2 "file not found" $C "$T/missing.h5"
run 2 "not an HDF5 file" $C "$T/text.h5"
run 2 "not an HDF5 file" "$BIN" info "$T/text.h5"
run 2 "dataset 'X' not found; datasets in the file: /params (20, 2), /spectra/total (20, 3)" $C "$T/nox.h5"
run 0 "ok:" $C "$T/nox.h5" --inputs params --targets /spectra/total
run 2 "'spectra' is a group, not a dataset" $C "$T/nox.h5" --inputs params --targets spectra
run 2 "dataset 'X' has rank 1 (shape (20))" $C "$T/rank1.h5"
run 2 "dataset 'Y' has rank 3 (shape (20, 3, 1))" $C "$T/rank3.h5"
run 2 "row counts differ: inputs 'X' has 20 rows but targets 'Y' has 19" $C "$T/rows.h5"
run 2 "dataset 'X' has 0 rows" $C "$T/empty.h5"
run 2 "dataset 'Y': NaN at row 4, column 1" $C "$T/nan.h5"
run 0 "ok:" $C "$T/nan.h5" --target-columns 0,2
run 2 "dataset 'X': -Inf at row 6, column 0" $C "$T/inf.h5"
run 2 "dataset 'X' has type string" $C "$T/str.h5"
run 2 "need 400 B as float32" $C "$T/nox.h5" --inputs params --targets spectra/total --mem-limit 100
run 2 "target_columns \"0:9\": column 8 is out of range" $C "$T/nox.h5" --inputs params --targets spectra/total --target-columns 0:9
run 2 "input_columns \"1;2\": cannot read" $C "$T/nox.h5" --inputs params --targets spectra/total --input-columns "1;2"
run 0 "inputs 'in/X' float64 (20, 2)" $C "$T/gz.h5" --inputs in/X --targets out/Y
run 0 "chunked (7, 3), gzip 9" "$BIN" info "$T/gz.h5"

cli_done data_cli
