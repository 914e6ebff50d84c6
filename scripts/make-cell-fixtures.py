#!/usr/bin/python3
"""Fixtures for the cell options of issue 16, made by real producers:

  * dropout between layers: PyTorch computes a stacked RNN whose inter-layer dropout masks are given
    explicitly (one single-layer module per layer, glued by `out * mask / (1 - p)`), with the loss
    sum(y*dy) + sum(h_n*dh_n) + sum(c_n*dc_n) differentiated by autograd. Before writing, the script
    checks that this composition IS torch.nn.LSTM/GRU/RNN(num_layers=L, dropout=p) in training mode:
    with the generator reset, the module's own dropout draws exactly the masks that
    torch.empty_like(out).bernoulli_(1 - p) draws, layer after layer, and its outputs match.
    Files: rnn4j/src/test/resources/dev/rnn4j/reference/dropout_<name>.safetensors with the
    parameters (PyTorch's names), x, h0, (c0), dy, dh_n, (dc_n), the masks mask_l<k> [T, N, D*H]
    (1 = kept), the outputs y, h_n, (c_n), and the gradients dx, dh0, (dc0), grad.<parameter>.
  * GRU reset-before: an ONNX GRU node written with onnx.helper WITHOUT linear_before_reset (the
    operator's default, 0), bidirectional, with sequence_lens and initial_h as graph inputs:
    rnn4j/src/test/resources/dev/rnn4j/io/onnx_gru_reset_before.onnx. Its expected outputs come
    from ONNX Runtime in the test (OnnxTest).

    /usr/bin/python3 scripts/make-cell-fixtures.py

Needs Debian's python3-torch (1.13) and python3-onnx. Safetensors are written as
scripts/make-io-fixtures.py writes them (its write_safetensors).
"""
import importlib.util
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('io_fixtures', os.path.join(HERE, 'make-io-fixtures.py'))
io_fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(io_fixtures)
REFERENCE = os.path.join(HERE, '..', 'rnn4j', 'src', 'test', 'resources', 'dev', 'rnn4j', 'reference')
IO = io_fixtures.OUT

I, H, T, N = 3, 4, 5, 2
# name: (module class, layers, bidirectional, p)
DROPOUT = {
    'lstm_bi3': (torch.nn.LSTM, 3, True, 0.3),
    'gru_2': (torch.nn.GRU, 2, False, 0.5),
    'rnn_tanh_bi2': (torch.nn.RNN, 2, True, 0.25),
}


def layer_module(cls, full, k, bidirectional):
    """Layer k of `full` as a one-layer module sharing its parameters (gradients reach `full`)."""
    in_size = I if k == 0 else H * (2 if bidirectional else 1)
    m = cls(in_size, H, num_layers=1, bidirectional=bidirectional)
    for suffix in ([''] + (['_reverse'] if bidirectional else [])):
        for kind in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'):
            setattr(m, '%s_l0%s' % (kind, suffix), getattr(full, '%s_l%d%s' % (kind, k, suffix)))
    return m


def composed(cls, full, L, bidirectional, p, x, h0, c0, masks):
    """The stacked module with the given masks between layers."""
    D = 2 if bidirectional else 1
    inp, hs, cs = x, [], []
    for k in range(L):
        m = layer_module(cls, full, k, bidirectional)
        state = (h0[k * D:(k + 1) * D], c0[k * D:(k + 1) * D]) if c0 is not None else h0[k * D:(k + 1) * D]
        out, st = m(inp, state)
        if c0 is not None:
            hs.append(st[0])
            cs.append(st[1])
        else:
            hs.append(st)
        inp = out * masks[k] / (1 - p) if k < L - 1 else out
    return inp, torch.cat(hs), (torch.cat(cs) if c0 is not None else None)


def dropout_fixture(name, cls, L, bidirectional, p):
    D = 2 if bidirectional else 1
    lstm = cls is torch.nn.LSTM
    torch.manual_seed(1234)
    full = cls(I, H, num_layers=L, bidirectional=bidirectional, dropout=p)
    g = torch.Generator().manual_seed(77)
    x = torch.randn(T, N, I, generator=g)
    h0 = torch.randn(L * D, N, H, generator=g) * 0.5
    c0 = torch.randn(L * D, N, H, generator=g) * 0.5 if lstm else None
    dy = torch.randn(T, N, D * H, generator=g)
    dhn = torch.randn(L * D, N, H, generator=g)
    dcn = torch.randn(L * D, N, H, generator=g) if lstm else None

    # PyTorch's own module in training mode, and the masks its dropout draws from the same state.
    full.train()
    torch.manual_seed(4321)
    with torch.no_grad():
        y_ref, st_ref = full(x, (h0, c0) if lstm else h0)
    torch.manual_seed(4321)
    masks = [torch.empty(T, N, D * H).bernoulli_(1 - p) for _ in range(L - 1)]
    with torch.no_grad():
        y_c, h_c, c_c = composed(cls, full, L, bidirectional, p, x, h0, c0, masks)
    assert torch.allclose(y_c, y_ref, rtol=1e-5, atol=1e-6), name + ': the composition is not the module'
    assert torch.allclose(h_c, st_ref[0] if lstm else st_ref, rtol=1e-5, atol=1e-6), name + ': h_n'

    # Outputs and gradients with the masks given explicitly.
    xg = x.clone().requires_grad_()
    h0g = h0.clone().requires_grad_()
    c0g = c0.clone().requires_grad_() if lstm else None
    full.zero_grad()
    y, hn, cn = composed(cls, full, L, bidirectional, p, xg, h0g, c0g, masks)
    loss = (y * dy).sum() + (hn * dhn).sum() + ((cn * dcn).sum() if lstm else 0)
    loss.backward()
    tensors = dict(full.state_dict())
    tensors.update({'x': x, 'h0': h0, 'dy': dy, 'dh_n': dhn, 'y': y.detach(), 'h_n': hn.detach(),
                    'dx': xg.grad, 'dh0': h0g.grad})
    if lstm:
        tensors.update({'c0': c0, 'dc_n': dcn, 'c_n': cn.detach(), 'dc0': c0g.grad})
    for k, m in enumerate(masks):
        tensors['mask_l%d' % k] = m
    for pname, param in full.named_parameters():
        tensors['grad.' + pname] = param.grad
    meta = {'cell': {torch.nn.LSTM: 'LSTM', torch.nn.GRU: 'GRU', torch.nn.RNN: 'RNN_TANH'}[cls], 'layers': str(L),
            'bidirectional': str(bidirectional).lower(), 'dropout': repr(p),
            'note': 'masks given explicitly; checked equal to the module\'s own dropout draws'}
    io_fixtures.write_safetensors(os.path.join(REFERENCE, 'dropout_%s.safetensors' % name), tensors, meta)


def gru_reset_before():
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(16)
    f = TensorProto.FLOAT
    inits = [numpy_helper.from_array((rng.standard_normal(shape) * 0.5).astype(np.float32), nm)
             for nm, shape in (('W', (2, 3 * H, I)), ('R', (2, 3 * H, H)), ('B', (2, 6 * H)))]
    node = helper.make_node('GRU', ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'], ['Y', 'Y_h'], name='gru',
                            hidden_size=H, direction='bidirectional')  # linear_before_reset: the default, 0
    graph = helper.make_graph([node], 'onnx_gru_reset_before',
                              [helper.make_tensor_value_info('X', f, [T, N, I]),
                               helper.make_tensor_value_info('sequence_lens', TensorProto.INT32, [N]),
                               helper.make_tensor_value_info('initial_h', f, [2, N, H])],
                              [helper.make_tensor_value_info('Y', f, [T, 2, N, H]),
                               helper.make_tensor_value_info('Y_h', f, [2, N, H])], inits)
    model = helper.make_model(graph, producer_name='onnx.helper ' + onnx.__version__,
                              opset_imports=[helper.make_opsetid('', 14)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(IO, 'onnx_gru_reset_before.onnx'))


if __name__ == '__main__':
    os.makedirs(REFERENCE, exist_ok=True)
    for name, (cls, L, bi, p) in DROPOUT.items():
        dropout_fixture(name, cls, L, bi, p)
    gru_reset_before()
    print('cell fixtures written by', io_fixtures.PRODUCER)
