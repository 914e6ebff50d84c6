#!/usr/bin/env python3
"""Summarises bench-compare's interleaved rnn4j / oneDNN rounds (pairs.csv) as a Markdown table.

Each round runs, per shape and thread count, four processes one right after the other: rnn4j,
oneDNN, oneDNN, rnn4j (each the median of its timed calls). The round's ratio is
(oneDNN 1 + oneDNN 2) / (rnn4j 1 + rnn4j 2): the order cancels a machine that gets steadily faster
or slower during the round, and the two implementations are timed seconds apart instead of the
minutes between the main comparison's blocks, which on a shared VM is most of the noise.

usage: pairs.py PAIRS.csv > pairs.md
PAIRS.csv columns: impl,shape,threads,round,mode,median_ms (impl: rnn4j or onednn; mode: infer or train)
"""
import csv
import statistics
import sys
from collections import defaultdict


def main(path):
    runs = defaultdict(list)  # (shape, mode, threads, round, impl) -> [ms, ms]
    for r in csv.DictReader(open(path)):
        runs[(r["shape"], r["mode"], int(r["threads"]), int(r["round"]), r["impl"])].append(float(r["median_ms"]))
    rounds = defaultdict(list)  # (shape, mode, threads) -> [(rnn4j ms, onednn ms, ratio)]
    for (shape, mode, threads, rnd, impl), ms in sorted(runs.items()):
        if impl != "rnn4j":
            continue
        other = runs.get((shape, mode, threads, rnd, "onednn"), [])
        if len(ms) != 2 or len(other) != 2:
            continue  # a run failed (its check or its process): no ratio for this round
        rounds[(shape, mode, threads)].append((sum(ms) / 2, sum(other) / 2, sum(other) / sum(ms)))
    if not rounds:
        print("No complete round (every round needs two rnn4j and two oneDNN runs).")
        return
    n_rounds = max(len(v) for v in rounds.values())
    print("rnn4j and oneDNN interleaved (rnn4j, oneDNN, oneDNN, rnn4j per round, "
          f"{n_rounds} round(s)); ratio = oneDNN time / rnn4j time, above 1 means rnn4j is faster.")
    print()
    print("| shape | mode | threads | rnn4j ms | oneDNN ms | ratio, median of rounds | lowest – highest round |")
    print("|---|---|---|---|---|---|---|")
    order = lambda k: (k[2], k[1] != "train", int(k[0][1:]) + (100 if k[0][0] == "L" else 0))
    below = []
    for key in sorted(rounds, key=order):
        shape, mode, threads = key
        rs = rounds[key]
        ratio = statistics.median(r[2] for r in rs)
        if ratio < 1.0:
            below.append(f"{shape} {mode} {threads}T {ratio:.2f}×")
        print(f"| {shape} | {mode} | {threads} | {statistics.median(r[0] for r in rs):.3f} | "
              f"{statistics.median(r[1] for r in rs):.3f} | {ratio:.2f}× | "
              f"{min(r[2] for r in rs):.2f}–{max(r[2] for r in rs):.2f}× |")
    print()
    print(f"Below 1.0× (median of rounds): {', '.join(below) if below else 'none'}.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
