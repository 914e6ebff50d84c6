#!/usr/bin/python3
"""Exports rnn4j's benchmark networks, with rnn4j's weights, for the JVM peers of the comparison:
an ONNX model for ONNX Runtime Java and a TorchScript module for DJL's PyTorch engine.

Both come from the very torch.nn.LSTM / GRU / RNN(tanh) that torch_bench.py times, loaded with the
flat parameters Compare.java wrote (PyTorch's own order), so every peer runs the same network:

  SHAPE.onnx     torch.onnx.export (opset 14) of m(x) -> y, hN[, cN]: zero initial states, fixed
                 shapes. The exporter writes ONNX's LSTM / GRU / RNN nodes itself, gate blocks
                 reordered (PyTorch's i,f,g,o to ONNX's i,o,f,c; r,z,n to z,r,h) and
                 linear_before_reset=1 on the GRU, PyTorch's GRU; one node per layer, both
                 directions in one node.
  SHAPE.pt       torch.jit.trace of (x, h0[, c0]) -> y, hN[, cN], parameters inside: the initial
                 states are inputs so that training yields dh0 and dc0 too.
  SHAPE.params   the traced module's parameter names in PyTorch's flat order (the order of the
                 reference's params and grads tensors), one a line.

Before writing, the exported ONNX graph is checked for the RNN node it must hold (a graph of loose
MatMuls would be a different benchmark). Whether the models compute rnn4j's outputs is checked by
the harnesses that load them, against the reference, before they time anything.

usage: export_models.py REFDIR SHAPES OUTDIR
"""
import os
import sys
import warnings

import torch

from torch_bench import build, load_reference


class Infer(torch.nn.Module):
    """m(x) with zero initial states, returning a flat tuple (ONNX outputs are a flat list)."""

    def __init__(self, m, lstm):
        super().__init__()
        self.m, self.lstm = m, lstm

    def forward(self, x):
        y, hs = self.m(x)
        return (y, hs[0], hs[1]) if self.lstm else (y, hs)


class TrainLstm(torch.nn.Module):
    """m(x, (h0, c0)) as a flat tuple: what DJL's PyTorch engine hands back as an NDList."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x, h0, c0):
        y, (h, c) = self.m(x, (h0, c0))
        return y, h, c


class TrainH(torch.nn.Module):
    """m(x, h0) as a flat tuple, for the cells without a cell state (GRU, RNN)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x, h0):
        y, h = self.m(x, h0)
        return y, h


def onnx_ops(path):
    try:
        import onnx
    except ImportError:
        return None
    return {n.op_type for n in onnx.load(path).graph.node}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ref_dir, shapes, out_dir = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    os.makedirs(out_dir, exist_ok=True)
    warnings.filterwarnings("ignore")  # the tracer's and exporter's notes on RNNs with fixed shapes
    for shape in shapes:
        meta, t = load_reference(ref_dir, shape)
        T, N, I = int(meta["steps"]), int(meta["batch"]), int(meta["input"])
        L, D, H = int(meta["layers"]), int(meta["directions"]), int(meta["hidden"])
        lstm = meta["cell"] == "LSTM"
        m = build(meta, t).eval()
        x = torch.from_numpy(t["x"].copy()).view(T, N, I)
        h0 = torch.zeros(L * D, N, H)
        names = ["y", "hN", "cN"] if lstm else ["y", "hN"]

        onnx_path = os.path.join(out_dir, shape + ".onnx")
        with torch.no_grad():
            torch.onnx.export(Infer(m, lstm), (x,), onnx_path, input_names=["x"], output_names=names,
                              opset_version=14, do_constant_folding=True)
        ops = onnx_ops(onnx_path)
        want = {"LSTM": "LSTM", "GRU": "GRU"}.get(meta["cell"], "RNN")
        if ops is not None and want not in ops:
            sys.exit(f"{shape}: the exported ONNX graph has no {want} node (ops: {sorted(ops)})")

        # the initial states are inputs (not constants) so that training yields dh0 and dc0
        traced = torch.jit.trace(TrainLstm(m), (x, h0, h0.clone())) if lstm else torch.jit.trace(TrainH(m), (x, h0))
        traced.save(os.path.join(out_dir, shape + ".pt"))
        with open(os.path.join(out_dir, shape + ".params"), "w") as f:
            for name in m._flat_weights_names:
                f.write("m." + name + "\n")
        print(f"{shape}: {onnx_path} (ONNX ops: {', '.join(sorted(ops)) if ops else 'not inspected'}), "
              f"{shape}.pt (TorchScript, torch {torch.__version__})")


if __name__ == "__main__":
    main()
