#!/usr/bin/python3
"""Fixtures for rnn4j's model-file tests (dev.rnn4j.io), made by real producers: PyTorch writes the
state_dicts and the outputs, torch.onnx.export writes the ONNX models.

    /usr/bin/python3 scripts/make-io-fixtures.py              # (re)writes the fixtures
    /usr/bin/python3 scripts/make-io-fixtures.py --check DIR  # reads rnn4j-written files back into PyTorch

Needs Debian's python3-torch (1.13) and python3-onnx (apt-get install python3-torch python3-onnx).

The .safetensors files are written by the reference implementation, safetensors.torch.save_file
(the `safetensors` Python package; Debian packages none and PyPI is not reachable here, so install it
from a wheel you have, e.g. into a venv that sees Debian's torch:
    /usr/bin/python3 -m venv --system-site-packages /tmp/st && /tmp/st/bin/pip install safetensors-*.whl
and run this script with /tmp/st/bin/python). Without the package, write_safetensors() below writes
them itself from the torch tensors' bytes, following the published format (an 8-byte little-endian
header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {..}} padded with
spaces to a multiple of 8, then the tensors back to back, row-major, little-endian), and says so.
--check reads rnn4j's files with safetensors.torch.load_file when the package is there, else with
read_safetensors() below. The committed fixtures' producer is in each file's __metadata__.
Outputs are computed by PyTorch in float32 on a fixed input.
"""
import json
import os
import struct
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'rnn4j', 'src', 'test', 'resources',
                   'dev', 'rnn4j', 'io')
I, H, P, T, N = 3, 4, 2, 5, 2

DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64'}
BY_NAME = {v: k for k, v in DTYPES.items()}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: its bits are the top half of a float32
        return (t.to(torch.float32).view(torch.int32) >> 16).to(torch.int16).numpy().astype('<i2').tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()


try:
    import safetensors
    import safetensors.torch
    PRODUCER = 'safetensors.torch.save_file %s, torch %s' % (safetensors.__version__, torch.__version__)
except ImportError:
    safetensors = None
    PRODUCER = 'make-io-fixtures.py write_safetensors (no safetensors package), torch %s' % torch.__version__


def write_safetensors(path, tensors, metadata=None):
    metadata = dict(metadata or {}, producer=PRODUCER)
    if safetensors is not None:
        safetensors.torch.save_file({k: v.detach().contiguous() for k, v in tensors.items()}, path, metadata=metadata)
        return
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if metadata:
        header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    if safetensors is not None:
        with safetensors.safe_open(path, framework='pt') as f:
            return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    meta = header.pop('__metadata__', {})
    out = {}
    for name, h in header.items():
        begin, end = h['data_offsets']
        if h['dtype'] != 'F32':
            raise ValueError(f'{path}: {name}: rnn4j writes F32, got {h["dtype"]}')
        out[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(h['shape'])
    return out, meta


def make(kind, layers=1, bidirectional=False, bias=True, proj=0):
    torch.manual_seed(1234)
    if kind == 'LSTM':
        return torch.nn.LSTM(I, H, num_layers=layers, bidirectional=bidirectional, bias=bias, proj_size=proj)
    if kind == 'GRU':
        return torch.nn.GRU(I, H, num_layers=layers, bidirectional=bidirectional, bias=bias)
    return torch.nn.RNN(I, H, num_layers=layers, bidirectional=bidirectional, bias=bias,
                        nonlinearity='relu' if kind == 'RNN_RELU' else 'tanh')


# name: (cell, layers, bidirectional, bias, projection, also exported to ONNX)
CONFIGS = {
    'lstm': ('LSTM', 1, False, True, 0, True),
    'gru': ('GRU', 1, False, True, 0, True),
    'rnn_tanh': ('RNN_TANH', 1, False, True, 0, True),
    'rnn_relu': ('RNN_RELU', 1, False, True, 0, True),
    'lstm_bi2': ('LSTM', 2, True, True, 0, True),
    'gru_bi2': ('GRU', 2, True, True, 0, True),
    'rnn_tanh_bi2': ('RNN_TANH', 2, True, True, 0, True),
    'lstm_nobias': ('LSTM', 1, False, False, 0, True),
    'gru_nobias': ('GRU', 1, False, False, 0, True),
    'lstm_proj': ('LSTM', 1, False, True, P, False),
    'lstm_proj_bi2': ('LSTM', 2, True, True, P, False),
}


def fixed_input():
    g = torch.Generator().manual_seed(99)
    return torch.randn(T, N, I, generator=g)


def outputs(model, x):
    with torch.no_grad():
        y, state = model(x)
    out = {'x': x, 'y': y}
    if isinstance(state, tuple):
        out['h_n'], out['c_n'] = state
    else:
        out['h_n'] = state
    return out


def generate():
    os.makedirs(OUT, exist_ok=True)
    x = fixed_input()
    for name, (cell, layers, bi, bias, proj, onnx_too) in CONFIGS.items():
        model = make(cell, layers, bi, bias, proj).eval()
        write_safetensors(os.path.join(OUT, name + '.safetensors'), model.state_dict())
        write_safetensors(os.path.join(OUT, name + '.expected.safetensors'), outputs(model, x))
        if onnx_too:
            names = ['y', 'h_n', 'c_n'] if cell == 'LSTM' else ['y', 'h_n']
            torch.onnx.export(model, (x,), os.path.join(OUT, name + '.onnx'), input_names=['x'], output_names=names,
                              opset_version=14, do_constant_folding=True)
    # The LSTM in the other dtypes the reader accepts; expected outputs of the weights rounded to them.
    model = make('LSTM').eval()
    for dtype in (torch.float16, torch.bfloat16, torch.float64):
        sd = {k: v.to(dtype) for k, v in model.state_dict().items()}
        write_safetensors(os.path.join(OUT, 'lstm.%s.safetensors' % DTYPES[dtype].lower()), sd)
        rounded = make('LSTM').eval()
        rounded.load_state_dict({k: v.to(torch.float32) for k, v in sd.items()})
        write_safetensors(os.path.join(OUT, 'lstm.%s.expected.safetensors' % DTYPES[dtype].lower()), outputs(rounded, x))
    # A whole small model: embedding, an LSTM under a prefix, a linear head.
    torch.manual_seed(7)

    class Tagger(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(10, I)
            self.encoder = torch.nn.Module()
            self.encoder.lstm = torch.nn.LSTM(I, H, num_layers=2)
            self.head = torch.nn.Linear(H, 6)

    tagger = Tagger().eval()
    with torch.no_grad():
        y, (h, c) = tagger.encoder.lstm(x)
        logits = tagger.head(y)
    write_safetensors(os.path.join(OUT, 'tagger.safetensors'), tagger.state_dict(), {'note': 'embedding unused here'})
    write_safetensors(os.path.join(OUT, 'tagger.expected.safetensors'), {'x': x, 'y': y, 'h_n': h, 'c_n': c,
                                                                          'logits': logits})
    helper_models()
    print('fixtures written to', os.path.normpath(OUT), 'by', PRODUCER)


def helper_models():
    """Single-node ONNX models written with onnx.helper, the patterns torch.onnx.export does not write:
    sequence_lens and initial states as graph inputs, a constant non-zero initial state, explicit
    activations. Their expected outputs come from ONNX Runtime (the tests' oracle)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(5)

    def weights(d, g, i):
        return [numpy_helper.from_array((rng.standard_normal(shape) * 0.5).astype(np.float32), name)
                for name, shape in (('W', (d, g * H, i)), ('R', (d, g * H, H)), ('B', (d, 2 * g * H)))]

    def save(name, node, inputs, outputs, inits):
        graph = helper.make_graph([node], name, inputs, outputs, inits)
        model = helper.make_model(graph, producer_name='onnx.helper ' + onnx.__version__,
                                  opset_imports=[helper.make_opsetid('', 14)])
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(OUT, name + '.onnx'))

    f = TensorProto.FLOAT
    # bidirectional LSTM, lengths and both initial states as graph inputs
    save('onnx_lstm_bi_seqlens',
         helper.make_node('LSTM', ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c'], ['Y', 'Y_h', 'Y_c'],
                          name='lstm', hidden_size=H, direction='bidirectional'),
         [helper.make_tensor_value_info('X', f, [T, N, I]),
          helper.make_tensor_value_info('sequence_lens', TensorProto.INT32, [N]),
          helper.make_tensor_value_info('initial_h', f, [2, N, H]), helper.make_tensor_value_info('initial_c', f, [2, N, H])],
         [helper.make_tensor_value_info('Y', f, [T, 2, N, H]), helper.make_tensor_value_info('Y_h', f, [2, N, H]),
          helper.make_tensor_value_info('Y_c', f, [2, N, H])], weights(2, 4, I))
    # GRU (PyTorch's variant) with a constant non-zero initial state
    h0 = numpy_helper.from_array((rng.standard_normal((1, N, H)) * 0.5).astype(np.float32), 'h0')
    save('onnx_gru_const_h0',
         helper.make_node('GRU', ['X', 'W', 'R', 'B', '', 'h0'], ['Y', 'Y_h'], name='gru', hidden_size=H,
                          linear_before_reset=1),
         [helper.make_tensor_value_info('X', f, [T, N, I])],
         [helper.make_tensor_value_info('Y', f, [T, 1, N, H]), helper.make_tensor_value_info('Y_h', f, [1, N, H])],
         weights(1, 3, I) + [h0])
    # bidirectional ReLU RNN, activations spelled out
    save('onnx_rnn_relu_bi',
         helper.make_node('RNN', ['X', 'W', 'R', 'B'], ['Y', 'Y_h'], name='rnn', hidden_size=H, direction='bidirectional',
                          activations=['Relu', 'Relu']),
         [helper.make_tensor_value_info('X', f, [T, N, I])],
         [helper.make_tensor_value_info('Y', f, [T, 2, N, H]), helper.make_tensor_value_info('Y_h', f, [2, N, H])],
         weights(2, 1, I))


def check(directory):
    """Loads every <name>.safetensors that rnn4j wrote (with <name>.io.safetensors: x and rnn4j's outputs,
    and the spec in its metadata) into a fresh PyTorch module and compares PyTorch's outputs."""
    worst, count = 0.0, 0
    for f in sorted(os.listdir(directory)):
        if not f.endswith('.safetensors') or f.endswith('.io.safetensors'):
            continue
        name = f[:-len('.safetensors')]
        sd, _ = read_safetensors(os.path.join(directory, f))
        io, meta = read_safetensors(os.path.join(directory, name + '.io.safetensors'))
        model = make(meta['cell'], int(meta['layers']), meta['bidirectional'] == 'true', meta['bias'] == 'true',
                     int(meta['projection'])).eval()
        model.load_state_dict(sd, strict=True)
        got = outputs(model, io['x'])
        for key in ('y', 'h_n', 'c_n'):
            if key not in io:
                continue
            ref = got[key]
            allowed = 1e-4 * ref.abs() + 1e-5 * max(ref.abs().max().item(), 1e-3)
            ratio = ((io[key] - ref).abs() / allowed).max().item()
            worst = max(worst, ratio)
            if ratio > 1:
                print(f'FAIL {name} {key}: {ratio:.3g} x tolerance')
                sys.exit(1)
        count += 1
    if count == 0:
        print('FAIL no rnn4j-written files in', directory)
        sys.exit(1)
    reader = 'safetensors %s' % safetensors.__version__ if safetensors is not None else 'the script\'s reader'
    print(f'OK {count} rnn4j-written state_dicts load into torch {torch.__version__} (read by {reader}); worst {worst:.3g} x tolerance')


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--check':
        check(sys.argv[2])
    elif len(sys.argv) == 1:
        generate()
    else:
        print(__doc__)
        sys.exit(2)
