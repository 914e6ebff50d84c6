#!/usr/bin/python3
"""PyTorch on the CPU (Debian's python3-torch) on the shapes of docs/DESIGN.md §7, with rnn4j's weights
and inputs, checked against rnn4j's outputs before timing.

torch.nn.LSTM / GRU / RNN(tanh) with the flat parameters Compare.java wrote (PyTorch's own order,
so they are copied as they are). Threads: torch.set_num_threads(THREADS); the caller also sets
OPENBLAS_NUM_THREADS (Debian's PyTorch runs its GEMMs on Debian's OpenBLAS, whose own thread
pool would otherwise use every core), OMP_WAIT_POLICY and, where needed, OPENBLAS_CORETYPE.

Timed regions (the same as every harness of the comparison):
  infer: m(x) under torch.inference_mode(): zero initial states, x [T, N, I] (PyTorch's default
         layout, the same as rnn4j's) to y [T, N, D*H] and the final states.
  train: y, _ = m(x, (h0, c0)); y.backward(dy): forward with autograd recording, then the full
         backward: dx, dh0, dc0 (h0, c0 are zero tensors that require grad) and every parameter
         gradient. Gradients are reset to None before each call, outside the timed region
         (optimizer.zero_grad(set_to_none=True), the idiomatic way), so the backward allocates
         them, as PyTorch always does.

Variant "dynamic-int8" (inference only): the module converted by torch.ao.quantization.quantize_dynamic
to PyTorch's dynamically quantized LSTM / GRU (int8 weights with per-tensor scales, activations
quantized per call, the scheme rnn4j's INT8 follows with per-row scales), on the fastest quantized
engine this build has (x86, fbgemm, onednn, qnnpack in that order); nn.RNN has no quantized form
(a "skipped" row). It computes another function than the fp32 reference: it is checked against it
with the loose REDUCED_TOLERANCE and the distance is reported.

usage: torch_bench.py REFDIR SHAPES THREADS WARMUP REPS OUT.csv VARIANT
"""
import ctypes
import os
import sys
import time

import numpy as np
import torch

TOLERANCE = 1e-3  # max |got - ref| over a tensor, relative to max |ref| (as Compare.java)
REDUCED_TOLERANCE = 0.1  # reduced precision vs the fp32 reference: catches gross errors only (common.hpp)
HEADER = "impl,variant,shape,threads,mode,median_ms,min_ms,max_ms,reps,check,max_rel_err,note"


def load_reference(ref_dir, shape):
    meta, tensors, order = {}, {}, []
    with open(os.path.join(ref_dir, shape + ".txt")) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "tensor":
                order.append((parts[1], int(parts[2])))
            else:
                meta[parts[0]] = parts[1]
    data = np.fromfile(os.path.join(ref_dir, shape + ".f32"), dtype="<f4")
    off = 0
    for name, n in order:
        tensors[name] = data[off:off + n]
        off += n
    if off != data.size:
        raise ValueError(f"{shape}.f32 holds {data.size} floats, the manifest {off}")
    return meta, tensors


def blas_core():
    """The core Debian's OpenBLAS (the one PyTorch calls) picked on this CPU."""
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode(), lib.openblas_get_config().decode()
    except (OSError, AttributeError):
        return "unknown", "libblas.so.3 is not OpenBLAS"


class Check:
    def __init__(self, tolerance=TOLERANCE):
        self.tolerance = tolerance
        self.worst, self.worst_name, self.failures = 0.0, "", []

    def compare(self, name, got, ref):
        got = got.detach().reshape(-1).double().numpy() if torch.is_tensor(got) else np.asarray(got, np.float64)
        ref = ref.astype(np.float64)
        rel = np.max(np.abs(got - ref)) / max(np.max(np.abs(ref)), 1e-3)
        if not rel <= self.tolerance:
            self.failures.append(f"{name} ({rel:.2e})")
        if not rel <= self.worst:
            self.worst, self.worst_name = rel, name

    def ok(self):
        return not self.failures


def time_ms(call, warmup, reps, before=None):
    for _ in range(warmup):
        if before:
            before()
        call()
    out = []
    for _ in range(reps):
        if before:
            before()
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def row(out, variant, shape, threads, mode, ms, check, err, note):
    s = sorted(ms)
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    out.write(f"torch,{variant},{shape},{threads},{mode},{med:.4f},{s[0]:.4f},{s[-1]:.4f},{n},{check},{err:.3e},"
              f"{note.replace(',', ';')}\n")
    out.flush()
    return med


def failed_row(out, variant, shape, threads, mode, check, note):
    out.write(f"torch,{variant},{shape},{threads},{mode},,,,0,FAIL,{check.worst:.3e},{note.replace(',', ';')}\n")
    out.flush()


def build(meta, tensors):
    cell, L, D = meta["cell"], int(meta["layers"]), int(meta["directions"])
    I, H = int(meta["input"]), int(meta["hidden"])
    if cell == "LSTM":
        m = torch.nn.LSTM(I, H, num_layers=L, bidirectional=D == 2)
    elif cell == "GRU":
        m = torch.nn.GRU(I, H, num_layers=L, bidirectional=D == 2)
    else:
        m = torch.nn.RNN(I, H, num_layers=L, bidirectional=D == 2, nonlinearity="tanh")
    params = tensors["params"]
    off = 0
    with torch.no_grad():
        for p in m._flat_weights:  # weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse, l1, ...
            n = p.numel()
            p.copy_(torch.from_numpy(params[off:off + n].copy()).view_as(p))
            off += n
    if off != params.size:
        raise ValueError(f"parameter count: PyTorch has {off}, the reference {params.size}")
    return m


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    ref_dir, shapes, threads = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
    warmup, reps, out_path, variant = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
    torch.set_num_threads(threads)
    core, config = blas_core()
    env = " ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")
                   if k in os.environ)
    print(f"torch {torch.__version__} [{variant}] threads={torch.get_num_threads()} BLAS: {config} {env}")
    note_env = f"OpenBLAS core {core}; {env}".strip("; ")
    quantized = variant == "dynamic-int8"
    if quantized:
        engines = torch.backends.quantized.supported_engines
        engine = next((e for e in ("x86", "fbgemm", "onednn", "qnnpack") if e in engines), None)
        if engine is None:
            sys.exit(f"torch {torch.__version__} has no quantized engine (supported: {engines})")
        torch.backends.quantized.engine = engine
        note_env = f"quantize_dynamic(qint8) on the {engine} engine; " + note_env
        print(f"quantized engine: {engine} (this build has {', '.join(engines)})")
    failures = 0
    with open(out_path, "w") as out:
        out.write(HEADER + "\n")
        for shape in shapes:
            meta, t = load_reference(ref_dir, shape)
            T, N, I = int(meta["steps"]), int(meta["batch"]), int(meta["input"])
            L, D, H = int(meta["layers"]), int(meta["directions"]), int(meta["hidden"])
            lstm = meta["cell"] == "LSTM"
            m = build(meta, t)
            x = torch.from_numpy(t["x"].copy()).view(T, N, I)
            if quantized:
                if not isinstance(m, (torch.nn.LSTM, torch.nn.GRU)):
                    out.write(f"torch,{variant},{shape},{threads},infer,,,,0,skipped,,skipped: PyTorch has no "
                              f"dynamically quantized {type(m).__name__}\n")
                    continue
                m = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(m), {torch.nn.LSTM, torch.nn.GRU},
                                                           dtype=torch.qint8)[0]

            def infer():
                with torch.inference_mode():
                    return m(x)

            y, hs = infer()
            c = Check(REDUCED_TOLERANCE if quantized else TOLERANCE)
            c.compare("y", y, t["y"])
            c.compare("hN", hs[0] if lstm else hs, t["hN"])
            if lstm:
                c.compare("cN", hs[1], t["cN"])
            print(f"torch {shape} infer check vs rnn4j: {'ok' if c.ok() else 'FAIL'} (worst {c.worst:.1e} in "
                  f"{c.worst_name}) {'; '.join(c.failures)}")
            if c.ok():
                med = row(out, variant, shape, threads, "infer", time_ms(infer, warmup, reps), "ok", c.worst,
                          f"{type(m).__module__.split('.')[-1] if quantized else 'nn'}.{type(m).__name__} inference_mode; "
                          f"{note_env}" + ("; max_rel_err = distance from rnn4j fp32" if quantized else ""))
                print(f"  infer threads={threads} median {med:.3f} ms")
            else:
                failures += 1
                failed_row(out, variant, shape, threads, "infer", c, "not timed: " + "; ".join(c.failures))
            if meta.get("training") != "1" or quantized:
                continue

            xg = x.clone().requires_grad_(True)
            h0 = torch.zeros(L * D, N, H, requires_grad=True)
            c0 = torch.zeros(L * D, N, H, requires_grad=True)
            dy = torch.from_numpy(t["dy"].copy()).view(T, N, D * H)

            def reset():
                m.zero_grad(set_to_none=True)
                xg.grad = h0.grad = c0.grad = None

            def train():
                y, _ = m(xg, (h0, c0)) if lstm else m(xg, h0)
                y.backward(dy)
                return y

            reset()
            y = train()
            c = Check()
            c.compare("y", y, t["y"])
            c.compare("dx", xg.grad, t["dx"])
            c.compare("dh0", h0.grad, t["dh0"])
            if lstm:
                c.compare("dc0", c0.grad, t["dc0"])
            c.compare("grads", torch.cat([p.grad.reshape(-1) for p in m._flat_weights]), t["grads"])
            print(f"torch {shape} train check vs rnn4j: {'ok' if c.ok() else 'FAIL'} (worst {c.worst:.1e} in "
                  f"{c.worst_name}) {'; '.join(c.failures)}")
            if c.ok():
                med = row(out, variant, shape, threads, "train", time_ms(train, warmup, reps, reset), "ok", c.worst,
                          f"nn.{type(m).__name__} forward + backward; {note_env}")
                print(f"  train threads={threads} median {med:.3f} ms")
            else:
                failures += 1
                failed_row(out, variant, shape, threads, "train", c, "not timed: " + "; ".join(c.failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
