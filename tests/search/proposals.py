#!/usr/bin/python3
"""Proposals of every sampler, through tests/search/sampler_pipe (the exact
path a sweep's proposals take), for a fixed ask/tell schedule with synthetic
objective values: a regression guard that a refactoring of src/search/
changes no proposal, bit for bit.

    proposals.py PIPE SRC [--seeds 1,2,3] [--asks 60] [--check REF | --write REF]

Without --check/--write the record goes to stdout. Runs: grid
(configs/demo-grid.yaml), and random, lhs, sobol, TPE univariate, TPE
multivariate and TPE in generations (search.batch 4) on
configs/quickstart.yaml and configs/bench-tpe.yaml, each at every seed.
Asynchronous runs keep up to 3 trials running (pend), so TPE's constant
liar and near-identical guard are exercised, and tell them partly out of
order; some trials fail or diverge. The record is exact for one platform
(x86-64, glibc's libm): after a deliberate change of proposals, or on a
platform whose exp/log/erfc round differently, rewrite it with --write.
"""
import math
import subprocess
import sys

WINDOW = 3   # trials running at once
BATCH = 4    # search.batch of the generations run


def objective(x):
    # Any fixed function of the point: smooth, with a minimum inside.
    return sum((math.log1p(abs(v)) - 0.7 * (j % 3)) ** 2 for j, v in enumerate(x))


def status_of(t):
    return "failed" if t % 7 == 3 else "diverged" if t % 13 == 5 else "ok"


class Pipe:
    def __init__(self, exe, cfg, sets):
        args = [exe, cfg]
        for s in sets:
            args += ["--set", s]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, bufsize=1)
        self.header = self.p.stdout.readline().rstrip("\n")
        if not self.header.startswith("params"):
            raise RuntimeError(f"{cfg} {sets}: {self.header} {self.p.stderr.read()}")

    def send(self, line):
        self.p.stdin.write(line + "\n")

    def ask(self, t):
        self.send(f"ask {t}")
        reply = self.p.stdout.readline().rstrip("\n")
        f = reply.split()
        if not f or f[0] != "x" or int(f[1]) != t:
            raise RuntimeError(f"ask {t}: {reply!r}")
        return reply, f[2:]

    def close(self):
        self.p.stdin.close()
        rc = self.p.wait()
        if rc != 0:
            raise RuntimeError(f"sampler_pipe exited {rc}: {self.p.stderr.read()}")


def run(exe, cfg, sets, asks, batch_start=None):
    """One run: returns the pipe's reply lines. batch_start: startup trials
    of a generations run (trial t needs trials < start + g BATCH told)."""
    p = Pipe(exe, cfg, sets)
    out = [p.header]
    running = []  # (trial, coordinates as printed)

    def tell(i):
        t, xs = running.pop(i)
        st = status_of(t)
        val = objective([float(v) for v in xs]) if st == "ok" else 0.0
        p.send(f"tell {t} {st} {val!r} " + " ".join(xs))

    for t in range(asks):
        if batch_start is not None and t >= batch_start:
            need = batch_start + (t - batch_start) // BATCH * BATCH
            while running and running[0][0] < need:
                tell(0)
        reply, xs = p.ask(t)
        out.append(reply)
        p.send(f"pend {t} " + " ".join(xs))
        running.append((t, xs))
        if len(running) >= WINDOW:
            # partly out of order: the history is not always sorted by id
            tell(0 if batch_start is not None else t % len(running))
    p.close()
    return out


def startup_of(cfg):
    for line in open(cfg):
        s = line.split("#")[0].strip()
        if s.startswith("startup_trials:"):
            return int(s.split(":")[1])
    return 10


def record(exe, src, seeds, asks):
    lines = []
    grid = f"{src}/configs/demo-grid.yaml"
    lines.append("# demo-grid grid")
    lines += run(exe, grid, [], asks=9)
    variants = [("random", ["search.method=random"], False),
                ("lhs", ["search.method=lhs"], False),
                ("sobol", ["search.method=sobol"], False),
                ("tpe-univariate", ["search.method=tpe", "search.multivariate=false"], False),
                ("tpe-multivariate", ["search.method=tpe", "search.multivariate=true"], False),
                ("tpe-batch", ["search.method=tpe", f"search.batch={BATCH}"], True)]
    for name in ("quickstart", "bench-tpe"):
        cfg = f"{src}/configs/{name}.yaml"
        for seed in seeds:
            for vname, sets, batch in variants:
                lines.append(f"# {name} {vname} seed {seed}")
                lines += run(exe, cfg, sets + [f"seed={seed}"], asks,
                             batch_start=startup_of(cfg) if batch else None)
    return lines


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    exe, src = argv[1], argv[2]
    seeds, asks, mode, ref = [1, 2, 3], 60, None, None
    i = 3
    while i < len(argv):
        a = argv[i]
        if a == "--seeds":
            seeds = [int(s) for s in argv[i + 1].split(",")]
        elif a == "--asks":
            asks = int(argv[i + 1])
        elif a in ("--check", "--write"):
            mode, ref = a, argv[i + 1]
        else:
            print(f"proposals.py: unexpected argument {a!r}", file=sys.stderr)
            return 2
        i += 2
    text = "\n".join(record(exe, src, seeds, asks)) + "\n"
    if mode == "--write":
        open(ref, "w").write(text)
    elif mode == "--check":
        want = open(ref).read().splitlines()
        got = text.splitlines()
        run_name = ""
        for k in range(max(len(want), len(got))):
            w = want[k] if k < len(want) else "<missing>"
            g = got[k] if k < len(got) else "<missing>"
            if w.startswith("#"):
                run_name = w
            if w != g:
                print(f"FAIL: {ref}:{k + 1} ({run_name}): expected\n  {w}\ngot\n  {g}", file=sys.stderr)
                return 1
        print(f"ok: {len(got)} lines of proposals equal {ref}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
