#!/usr/bin/env python3
"""PyTorch (cuDNN) side of scripts/gpu-check.sh, and the combined report.

  gpu_torch_bench.py bench --shapes SHAPES.jsonl [--dry-run] [--device cuda|cpu] [--max-seconds S]
      Times torch.nn.LSTM / GRU / RNN on the shapes listed by `rnn4j_cuda_bench --list`, in fp32
      (TF32 disabled for matmul AND cuDNN; note PyTorch enables cuDNN TF32 by default) and in tf32
      (torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True).
      One JSON line per measurement on stdout, in the format of rnn4j_cuda_bench.
      --dry-run prints what would be timed and needs no torch and no GPU.

  gpu_torch_bench.py report RNN4J.jsonl TORCH.jsonl
      Prints ONE table: per shape, mode and math, rnn4j ms, PyTorch ms, their ratio
      (torch / rnn4j: above 1 means rnn4j is faster) and rnn4j GFLOP/s.

Timed region (identical to rnn4j_cuda_bench): infer = one forward under torch.no_grad(); train =
one forward + autograd backward of (y, hN[, cN]) with upstream gradient dy on y only, computing
dx, dh0, dc0 and every weight gradient (accumulated into .grad). Tensors and modules are created
once, outside the timed region; each sample ends with torch.cuda.synchronize(); the median of the
samples is reported: warm-up 2 runs (1 when a run takes over 250 ms), then at least 5 samples (3 when
slow), more until 1.5 s.
"""
import argparse
import json
import statistics
import sys
import time


def load_jsonl(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"warning: {path}: skipping a malformed line: {line[:80]}", file=sys.stderr)
    return rows


def flops(s, train):
    g = {"LSTM": 4, "GRU": 3}.get(s["cell"], 1)
    d = 2 if s["bi"] else 1
    f = 0.0
    for k in range(s["L"]):
        ik = s["I"] if k == 0 else d * s["H"]
        f += d * 2.0 * g * s["H"] * (ik + s["H"]) * s["N"] * s["T"]
    return 3 * f if train else f


def plan(shapes):
    for s in shapes:
        for math in ("fp32", "tf32"):
            for mode in ("infer", "train"):
                if s.get(mode):
                    yield s, mode, math


def bench(args):
    shapes = [s for s in load_jsonl(args.shapes) if "cell" in s]
    if not shapes:
        print(f"error: no shapes in {args.shapes}", file=sys.stderr)
        return 2
    if args.dry_run:
        for s, mode, math in plan(shapes):
            print(json.dumps({"impl": "torch", "id": s["id"], "mode": mode, "math": math, "dry_run": True,
                              "gflop": round(flops(s, mode == "train") / 1e9, 3)}))
        return 0
    try:
        import torch
    except ImportError as e:
        print(f"error: PyTorch is not importable ({e}); install it or run with --dry-run", file=sys.stderr)
        return 3
    dev = torch.device(args.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        print("error: torch.cuda.is_available() is False", file=sys.stderr)
        return 3

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    info = {"impl": "torch", "torch": torch.__version__, "device": str(dev)}
    if dev.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cudnn"] = torch.backends.cudnn.version()
    print(json.dumps(info), flush=True)
    start_all = time.time()
    for s, mode, math in plan(shapes):
        if args.max_seconds and time.time() - start_all > args.max_seconds:
            print(json.dumps({"impl": "torch", "id": s["id"], "mode": mode, "math": math,
                              "error": "skipped: time budget spent"}), flush=True)
            continue
        tf32 = math == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}.get(s["cell"], torch.nn.RNN)
        kw = {} if cls is not torch.nn.RNN else {"nonlinearity": "relu" if s["cell"] == "RNN_RELU" else "tanh"}
        try:
            m = cls(s["I"], s["H"], num_layers=s["L"], bidirectional=bool(s["bi"]), **kw).to(dev)
            d = 2 if s["bi"] else 1
            x = torch.randn(s["T"], s["N"], s["I"], device=dev)
            h0 = torch.randn(s["L"] * d, s["N"], s["H"], device=dev) * 0.5
            c0 = torch.randn_like(h0) * 0.5
            dy = torch.randn(s["T"], s["N"], d * s["H"], device=dev)
            train = mode == "train"
            if train:
                x.requires_grad_(True)
                h0.requires_grad_(True)
                c0.requires_grad_(True)
            state = (h0, c0) if cls is torch.nn.LSTM else h0

            def run():
                if train:
                    y, _ = m(x, state)
                    y.backward(dy)
                else:
                    with torch.no_grad():
                        m(x, state)
                sync()

            a0 = time.perf_counter()
            run()
            slow = time.perf_counter() - a0 > 0.25
            if not slow:
                run()
            times = []
            t0 = time.perf_counter()
            while len(times) < (3 if slow else 5) or (time.perf_counter() - t0 < 1.5 and len(times) < 200):
                a = time.perf_counter()
                run()
                times.append((time.perf_counter() - a) * 1e3)
            ms = statistics.median(times)
            row = {"impl": "torch", "id": s["id"], "cell": s["cell"], "I": s["I"], "H": s["H"], "N": s["N"],
                   "T": s["T"], "L": s["L"], "bi": s["bi"], "mode": mode, "math": math, "ms": round(ms, 4),
                   "gflops": round(flops(s, train) / (ms * 1e6), 1)}
        except Exception as e:  # noqa: BLE001 - report and go on with the next shape
            row = {"impl": "torch", "id": s["id"], "mode": mode, "math": math, "error": repr(e)[:200]}
        print(json.dumps(row), flush=True)
        del m
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    return 0


def report(args):
    ours = load_jsonl(args.rnn4j)
    theirs = load_jsonl(args.torch) if args.torch else []
    key = lambda r: (r.get("id"), r.get("mode"), r.get("math"))  # noqa: E731
    torch_rows = {key(r): r for r in theirs if "ms" in r}
    for r in ours + theirs:
        if "device" in r or "gpu" in r:
            print("  " + ", ".join(f"{k}={v}" for k, v in r.items()))
    header = f"{'id':<24} {'cell':<8} {'I':>5} {'H':>5} {'N':>4} {'T':>5} {'mode':<6} {'math':<19}" \
             f" {'rnn4j ms':>10} {'torch ms':>10} {'torch/rnn4j':>11} {'rnn4j GF/s':>10}"
    print(header)
    print("-" * len(header))
    ratios = {}
    for r in ours:
        if "mode" not in r:
            continue
        if "ms" not in r or r["ms"] < 0:
            print(f"{r.get('id', '?'):<24} error: {r.get('error', 'failed')}")
            continue
        base_math = "fp32" if r["math"].startswith("fp32") else r["math"]
        t = torch_rows.get((r["id"], r["mode"], base_math))
        tms = f"{t['ms']:10.3f}" if t else f"{'-':>10}"
        ratio = f"{t['ms'] / r['ms']:11.2f}" if t and r["ms"] > 0 else f"{'-':>11}"
        if t and r["ms"] > 0 and r["math"] in ("fp32", "tf32"):
            ratios.setdefault((r["mode"], r["math"]), []).append(t["ms"] / r["ms"])
        print(f"{r['id']:<24} {r['cell']:<8} {r['I']:>5} {r['H']:>5} {r['N']:>4} {r['T']:>5} {r['mode']:<6}"
              f" {r['math']:<19} {r['ms']:10.3f} {tms} {ratio} {r['gflops']:10.1f}")
    for r in theirs:
        if "error" in r:
            print(f"torch {r.get('id')} {r.get('mode')} {r.get('math')}: {r['error']}")
    for (mode, math), v in sorted(ratios.items()):
        geo = statistics.geometric_mean(v)
        print(f"geometric mean torch/rnn4j, {mode} {math}: {geo:.2f} over {len(v)} shapes"
              f" ({'rnn4j faster' if geo > 1 else 'PyTorch faster'})")
    if not theirs:
        print("(no PyTorch results: ratios omitted)")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench", help="time PyTorch on the shape list")
    b.add_argument("--shapes", required=True, help="JSON lines from `rnn4j_cuda_bench --list`")
    b.add_argument("--dry-run", action="store_true", help="print the plan; needs no torch, no GPU")
    b.add_argument("--device", default="cuda", help="cuda (default) or cpu (to test this script)")
    b.add_argument("--max-seconds", type=float, default=0, help="stop timing new shapes after this long")
    r = sub.add_parser("report", help="merge rnn4j and PyTorch results into one table")
    r.add_argument("rnn4j")
    r.add_argument("torch", nargs="?")
    args = p.parse_args(argv)
    return bench(args) if args.cmd == "bench" else report(args)


if __name__ == "__main__":
    sys.exit(main())
