#!/usr/bin/python3
"""Merges the CSVs of one scripts/bench-compare.sh run into a markdown table, one CSV and a PNG.

usage: report.py RAWDIR REFDIR OUTDIR HEADER.txt
  RAWDIR   the per-harness CSVs (rnn4j.csv, sgemm.csv, onednn-*.csv, torch-*.csv, dl4j-*.csv)
  REFDIR   the reference manifests (for the FLOP counts and the shapes' descriptions)
  OUTDIR   receives results.md, results.csv and chart.png
  HEADER   text put above the tables (date, machine, command, settings)
"""
import csv
import glob
import os
import sys

SHAPE_ORDER = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "L1", "L2", "L3"]
# (impl, variant) -> column label, in table order; variants not listed get "impl variant"
LABELS = [
    (("rnn4j", "CPU"), "rnn4j CPU"),
    (("rnn4j", "CPU-openblas-unset"), "rnn4j CPU, OPENBLAS_* unset"),
    (("rnn4j", "JAVA"), "rnn4j Java ref"),
    (("onednn", None), "oneDNN"),
    (("torch", "tuned"), "PyTorch"),
    (("torch", "default-omp"), "PyTorch, default OMP wait"),
    (("torch", "generic-blas"), "PyTorch, OpenBLAS as detected"),
    (("dl4j", "tuned"), "DL4J"),
    (("dl4j", "generic-blas"), "DL4J, OpenBLAS as detected"),
    (("onnxruntime", None), "ONNX Runtime Java"),
    (("djl", None), "DJL + PyTorch"),
    (("sgemm", "limit"), "sgemm limit"),
    (("sgemm", "limit-openblas-unset"), "sgemm limit, OPENBLAS_* unset"),
    (("bandwidth", None), "weight read limit"),
]
LIMITS = ("sgemm", "weight read limit")  # label prefixes of the rows that are limits, not implementations
# rnn4j's own rows: with the environment as it is, and (when the environment sets OpenBLAS's core
# type or cache size) again with those variables unset; each gets its line in the speed-up table
RNN4J = ["rnn4j CPU", "rnn4j CPU, OPENBLAS_* unset"]


# Reduced-precision inference rows (rnn4j CPU-bf16/-int8, oneDNN <prim>-bf16/-int8, PyTorch
# dynamic-int8): their own tables, beside the fp32 rows they are measured against
REDUCED = [  # (column label, impl, predicate on the variant)
    ("rnn4j FP32", "rnn4j", lambda v: v == "CPU"),
    ("rnn4j BF16", "rnn4j", lambda v: v == "CPU-bf16"),
    ("rnn4j INT8", "rnn4j", lambda v: v == "CPU-int8"),
    ("oneDNN FP32", "onednn", lambda v: not v.endswith(("-bf16", "-int8"))),
    ("oneDNN BF16", "onednn", lambda v: v.endswith("-bf16")),
    ("oneDNN INT8", "onednn", lambda v: v.endswith("-int8")),
    ("ONNX Runtime Java FP32", "onnxruntime", lambda v: True),
    ("PyTorch FP32", "torch", lambda v: v == "tuned"),
    ("PyTorch dynamic INT8", "torch", lambda v: v == "dynamic-int8"),
]
# speed-ups reported: (rnn4j column, the column it is compared with)
REDUCED_RATIOS = [("rnn4j BF16", c) for c in ("rnn4j FP32", "oneDNN FP32", "ONNX Runtime Java FP32", "oneDNN BF16")] + \
                 [("rnn4j INT8", c) for c in ("rnn4j FP32", "oneDNN FP32", "ONNX Runtime Java FP32", "oneDNN INT8",
                                              "PyTorch dynamic INT8")]


def is_reduced(r):
    return r["variant"].endswith(("-bf16", "-int8")) or r["variant"] == "dynamic-int8"


def label(impl, variant):
    for (i, v), name in LABELS:
        if i == impl and (v is None or v == variant):
            return name
    return f"{impl} {variant}"


def order_of(name):
    names = [n for _, n in LABELS]
    return names.index(name) if name in names else len(names)


def describe(meta):
    cell = meta["cell"]
    stack = (f" {meta['layers']}-layer" if meta["layers"] != "1" else "") + (" bi" if meta["directions"] == "2" else "")
    return f"{cell}{stack} {meta['input']}/{meta['hidden']}/{meta['batch']}/{meta['steps']}"


def read_meta(ref_dir):
    metas = {}
    for path in glob.glob(os.path.join(ref_dir, "*.txt")):
        meta = {}
        with open(path) as f:
            for line in f:
                p = line.split()
                if p and p[0] != "tensor":
                    meta[p[0]] = p[1]
        metas[meta["shape"]] = meta
    return metas


def main():
    raw_dir, ref_dir, out_dir, header_file = sys.argv[1:5]
    metas = read_meta(ref_dir)
    rows = []
    for path in sorted(glob.glob(os.path.join(raw_dir, "*.csv"))):
        with open(path) as f:
            rows.extend(csv.DictReader(f))
    # the 2048^3 sgemm of each core type tried: what this CPU allows at all, not a shape's row
    peaks = [r for r in rows if r["impl"] == "sgemm-peak"]
    rows = [r for r in rows if r["impl"] != "sgemm-peak"]
    best_peak = {}  # threads -> the best GFLOP/s
    for r in peaks:
        gf = 2 * 2048 ** 3 / float(r["median_ms"]) / 1e6
        r["gflops"] = f"{gf:.2f}"
        best_peak[int(r["threads"])] = max(best_peak.get(int(r["threads"]), 0), gf)
    for r in rows:
        r["label"] = label(r["impl"], r["variant"]) if not is_reduced(r) else f"{r['impl']} {r['variant']}"
        meta = metas.get(r["shape"], {})
        flops = float(meta.get("flops_" + r["mode"], 0) or 0)
        r["gflops"] = f"{flops / float(r['median_ms']) / 1e6:.2f}" if r["median_ms"] and float(r["median_ms"]) > 0 and flops else ""
    # results.csv: every row, with GFLOP/s
    os.makedirs(out_dir, exist_ok=True)
    fields = ["impl", "variant", "label", "shape", "threads", "mode", "median_ms", "min_ms", "max_ms", "reps", "gflops",
              "check", "max_rel_err", "note"]
    with open(os.path.join(out_dir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)

    reduced_md = reduced_tables(rows, metas)
    rows = [r for r in rows if not is_reduced(r)]
    # index: (shape, mode, threads) -> label -> row
    table = {}
    for r in rows:
        table.setdefault((r["shape"], r["mode"], int(r["threads"])), {})[r["label"]] = r
    labels = sorted({r["label"] for r in rows}, key=order_of)
    has_dl4j = any(r["impl"] == "dl4j" for r in rows)
    keys = sorted(table, key=lambda k: (k[1] != "train", k[2], SHAPE_ORDER.index(k[0]) if k[0] in SHAPE_ORDER else 99))

    def cell(k, lab):
        r = table[k].get(lab)
        if r is None:
            if lab.startswith("DL4J") and has_dl4j and metas.get(k[0], {}).get("cell") == "GRU":
                return "no GRU layer"
            if lab == "rnn4j Java ref" and k[2] != 1:
                return "(1 thread)"
            return "–"
        if r["check"] == "skipped":
            return r["note"].replace("skipped: ", "skipped, ").replace(" per call", "/call")
        if r["check"] == "FAIL":
            return "**wrong result**"
        return f"{float(r['median_ms']):.2f} ({float(r['gflops']):.0f})" if r["gflops"] else f"{float(r['median_ms']):.2f}"

    md = []
    with open(header_file) as f:
        md.append(f.read().rstrip() + "\n")
    md.append("#### Median time in ms (GFLOP/s)\n")
    md.append("| shape | mode | threads | " + " | ".join(labels) + " |")
    md.append("|---|---|---|" + "---|" * len(labels))
    for k in keys:
        desc = f"{k[0]} {describe(metas[k[0]])}" if k[0] in metas else k[0]
        md.append(f"| {desc} | {k[1]} | {k[2]} | " + " | ".join(cell(k, lab) for lab in labels) + " |")

    peers = [lab for lab in labels if lab not in RNN4J and not lab.startswith(LIMITS)]
    mine_labels = [lab for lab in RNN4J if lab in labels]
    md.extend(peak_table(peaks))
    md.append("\n#### rnn4j CPU: speed-up over each peer (peer time / rnn4j time); fraction of the best sgemm "
              "limit (the faster of the sgemm rows of this run) and of the best 2048³ sgemm peak\n")
    md.append("| shape | mode | threads | rnn4j | " + " | ".join(f"vs {p}" for p in peers)
              + " | of best sgemm limit | of sgemm peak |")
    md.append("|---|---|---|---|" + "---|" * (len(peers) + 2))
    for k in keys:
        for lab in mine_labels:
            mine = table[k].get(lab)
            if not mine or not mine["median_ms"]:
                continue
            t = float(mine["median_ms"])
            cells = []
            for p in peers:
                r = table[k].get(p)
                ok = r and r["median_ms"] and r["check"] in ("ok", "reference")
                cells.append(f"{float(r['median_ms']) / t:.2f}×" if ok else "–")
            limits = [float(r["median_ms"]) for name, r in table[k].items() if name.startswith("sgemm") and r["median_ms"]]
            cells.append(f"{min(limits) / t:.0%}" if limits else "–")
            peak = best_peak.get(k[2])
            cells.append(f"{float(mine['gflops']) / peak:.0%}" if peak and mine["gflops"] else "–")
            which = "env as is" if lab == "rnn4j CPU" else "OPENBLAS_* unset"
            md.append(f"| {k[0]} | {k[1]} | {k[2]} | {which} | " + " | ".join(cells) + " |")

    md.extend(batch1(table, keys, labels, metas))
    md.extend(reduced_md)

    checks = [r for r in rows if r["check"] not in ("n/a", "skipped", "reference")]
    bad = [r for r in checks if r["check"] != "ok"]
    worst = max((float(r["max_rel_err"]) for r in checks if r["max_rel_err"]), default=0.0)
    md.append("")
    md.append(f"Correctness before timing: {len(checks) - len(bad)} of {len(checks)} timed configurations matched "
              f"rnn4j's outputs and gradients (rnn4j CPU: the Java reference) within max|Δ| ≤ 1e-3·max|ref| per "
              f"tensor; the worst was {worst:.1e}."
              + (" **Mismatches (not timed): " + ", ".join(f"{r['label']} {r['shape']} {r['mode']}" for r in bad)
                 + ".**" if bad else ""))
    text = "\n".join(md) + "\n"
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(text)
    print(text)
    chart(table, keys, labels, metas, os.path.join(out_dir, "chart.png"))


def peak_table(peaks):
    """The 2048^3 sgemm of rnn4j's OpenBLAS with each core type tried, per thread count."""
    if not peaks:
        return []
    threads = sorted({int(r["threads"]) for r in peaks})
    by_variant = {}
    for r in peaks:
        by_variant.setdefault(r["variant"], {})[int(r["threads"])] = r
    md = ["\n#### sgemm peak: 2048³ with rnn4j's OpenBLAS, per core type (GFLOP/s)\n",
          "| OpenBLAS core | " + " | ".join(f"{t} thread{'s' if t > 1 else ''}" for t in threads) + " |",
          "|---|" + "---|" * len(threads)]
    # the environment's core type first, OpenBLAS's own choice next, then each core type forced
    order = {"environment": 0}
    for variant, cells in sorted(by_variant.items(), key=lambda kv: (order.get(kv[0], 1 if "own" in kv[0] else 2), kv[0])):
        core = next(iter(cells.values()))["note"].split("core ")[-1].split(";")[0]
        md.append(f"| {variant} ({core}) | " + " | ".join(f"{float(cells[t]['gflops']):.0f}" if t in cells else "–"
                                                         for t in threads) + " |")
    return md


def reduced_tables(rows, metas):
    """Inference in reduced precision (rnn4j BF16/INT8 and the peers' own bf16/int8 schemes) beside
    the fp32 figures of the same run: times, speed-ups, and each scheme's distance from fp32."""
    if not any(is_reduced(r) for r in rows):
        return []
    cells = {}  # (shape, threads) -> column -> row
    for r in rows:
        if r["mode"] != "infer":
            continue
        for col, impl, pred in REDUCED:
            if r["impl"] == impl and pred(r["variant"]):
                cells.setdefault((r["shape"], int(r["threads"])), {})[col] = r
    keys = sorted(cells, key=lambda k: (k[1], SHAPE_ORDER.index(k[0]) if k[0] in SHAPE_ORDER else 99))
    cols = [c for c, _, _ in REDUCED if any(c in cells[k] for k in keys)]

    def ok(r):
        return r is not None and r["median_ms"] and r["check"] in ("ok", "reference")

    def show(r):
        if r is None:
            return "–"
        if r["check"] == "skipped":
            return "not available"
        if r["check"] == "FAIL":
            return "**wrong result**"
        return f"{float(r['median_ms']):.3f}"

    md = ["\n#### Reduced-precision inference: median time in ms\n",
          "BF16 and INT8 are inference precisions: rnn4j's schemes are in the README (\"Reduced-precision "
          "inference\"); oneDNN's and PyTorch's are their own (onednn_bench.cpp, torch_bench.py). Each row is "
          "checked against rnn4j's fp32 outputs before it is timed (rnn4j's also against the Java reference of "
          "the same scheme).\n",
          "| shape | threads | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for k in keys:
        desc = f"{k[0]} {describe(metas[k[0]])}" if k[0] in metas else k[0]
        md.append(f"| {desc} | {k[1]} | " + " | ".join(show(cells[k].get(c)) for c in cols) + " |")
    ratios = [(a, b) for a, b in REDUCED_RATIOS if a in cols and b in cols]
    md += ["\n#### Reduced-precision inference: speed-up of rnn4j (other time / rnn4j time)\n",
           "| shape | threads | " + " | ".join(f"{a} vs {b}" for a, b in ratios) + " |",
           "|---|---|" + "---|" * len(ratios)]
    for k in keys:
        out = []
        for a, b in ratios:
            ra, rb = cells[k].get(a), cells[k].get(b)
            out.append(f"{float(rb['median_ms']) / float(ra['median_ms']):.2f}×" if ok(ra) and ok(rb) else "–")
        md.append(f"| {k[0]} | {k[1]} | " + " | ".join(out) + " |")
    lowp = [c for c in cols if not c.endswith("FP32")]
    md += ["\n#### Reduced-precision inference: distance from rnn4j's fp32 outputs "
           "(max |Δ| / max |fp32| over y and the final states, whole shape)\n",
           "| shape | " + " | ".join(lowp) + " |", "|---|" + "---|" * len(lowp)]
    for shape in dict.fromkeys(k[0] for k in keys):
        k = next(k for k in keys if k[0] == shape)
        md.append(f"| {shape} | " + " | ".join(
            f"{float(cells[k][c]['max_rel_err']):.1e}" if ok(cells[k].get(c)) else "–" for c in lowp) + " |")
    return md


def weight_bytes(meta):
    """Bytes of weights one call must read at least: W_ih once (the input projection) and W_hh once
    per step, over every layer and direction (what batch 1 streams from the cache holding them)."""
    gates = {"LSTM": 4, "GRU": 3}.get(meta["cell"], 1)
    L, D, H, I, T = (int(meta[k]) for k in ("layers", "directions", "hidden", "input", "steps"))
    ih = sum(D * gates * H * (I if k == 0 else D * H) for k in range(L))
    return 4 * (ih + T * L * D * gates * H * H)


def batch1(table, keys, labels, metas):
    """Batch 1 is bound by the bandwidth of the cache level holding the weights: the GB/s each
    implementation achieves on them beside what reading those bytes alone gives on this machine."""
    rows = [k for k in keys if k[0] in metas and metas[k[0]]["batch"] == "1"]
    if not rows:
        return []
    shown = [lab for lab in labels if lab != "rnn4j Java ref" and not lab.startswith(("sgemm", "PyTorch,", "DL4J,"))]
    md = ["\n#### Batch 1: weights read per step and the bandwidth achieved on them, GB/s = (|W_ih| + T·|W_hh|) / "
          "median time\n",
          "| shape | threads | weights per step | " + " | ".join(shown) + " |", "|---|---|---|" + "---|" * len(shown)]
    for k in rows:
        meta = metas[k[0]]
        call_bytes = weight_bytes(meta)
        cells = []
        for lab in shown:
            r = table[k].get(lab)
            ok = r and r["median_ms"] and r["check"] in ("ok", "n/a")
            cells.append(f"{call_bytes / float(r['median_ms']) / 1e6:.1f}" if ok else "–")
        md.append(f"| {k[0]} | {k[2]} | {call_bytes / int(meta['steps']) / 1048576:.2f} MiB | " + " | ".join(cells) + " |")
    md.append("\n\"weight read limit\": the threads read buffers of W_ih's and W_hh's sizes, split between them, W_ih "
              "once and W_hh T times with a barrier per pass (weight_bandwidth.cpp): the bandwidth of the cache level "
              "that holds those bytes, measured in this run. An implementation that reads every weight once per step "
              "cannot beat it.")
    return md


def chart(table, keys, labels, metas, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing: no chart")
        return
    # the main configuration of each implementation; the Java reference (~0.1 GFLOP/s) would not show
    shown = [lab for lab in labels if not lab.startswith(("PyTorch,", "DL4J,")) and lab != "rnn4j Java ref"]
    bars = [lab for lab in shown if not lab.startswith(LIMITS)]
    panels = sorted({(k[1], k[2]) for k in keys}, key=lambda p: (p[0] != "train", p[1]))
    fig, axes = plt.subplots(len(panels), 1, figsize=(14, 3.6 * len(panels)), squeeze=False)
    for ax, (mode, threads) in zip(axes[:, 0], panels):
        shapes = [k[0] for k in keys if k[1] == mode and k[2] == threads]
        width = 0.8 / max(len(bars), 1)
        for i, lab in enumerate(bars):
            vals = []
            for s in shapes:
                r = table[(s, mode, threads)].get(lab)
                vals.append(float(r["gflops"]) if r and r["gflops"] and r["check"] in ("ok", "reference") else 0)
            ax.bar([j + (i - (len(bars) - 1) / 2) * width for j in range(len(shapes))], vals, width, label=lab)
        lim = [table[(s, mode, threads)].get("sgemm limit") for s in shapes]
        ax.scatter([j for j, r in enumerate(lim) if r and r["gflops"]],
                   [float(r["gflops"]) for r in lim if r and r["gflops"]], marker="_", s=900, color="black",
                   label="sgemm limit", zorder=3)
        ax.set_xticks(range(len(shapes)))
        ax.set_xticklabels([f"{s}\n{describe(metas[s])}" if s in metas else s for s in shapes], fontsize=8)
        ax.set_ylabel("GFLOP/s")
        ax.set_title(f"{'training (forward + backward)' if mode == 'train' else 'inference'}, {threads} thread"
                     f"{'s' if threads > 1 else ''}")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.005, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
