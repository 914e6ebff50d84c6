package dev.rnn4j.io;

import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.ForwardResult;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.TensorAssert;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** The files made by scripts/make-io-fixtures.py (PyTorch 1.13, torch.onnx.export) and their expected outputs. */
final class Fixtures {
    /** Sizes of every fixture: I = 3, H = 4, T = 5, N = 2 (P = 2). */
    static final int T = 5, N = 2;

    /** Every safetensors fixture: name, cell hint (needed for RNN only). */
    static final Map<String, CellType> STATE_DICTS = Map.ofEntries(
            Map.entry("lstm", CellType.LSTM), Map.entry("gru", CellType.GRU),
            Map.entry("rnn_tanh", CellType.RNN_TANH), Map.entry("rnn_relu", CellType.RNN_RELU),
            Map.entry("lstm_bi2", CellType.LSTM), Map.entry("gru_bi2", CellType.GRU),
            Map.entry("rnn_tanh_bi2", CellType.RNN_TANH), Map.entry("lstm_nobias", CellType.LSTM),
            Map.entry("gru_nobias", CellType.GRU), Map.entry("lstm_proj", CellType.LSTM),
            Map.entry("lstm_proj_bi2", CellType.LSTM));

    /** The fixtures also exported to ONNX by torch.onnx.export. */
    static final String[] ONNX = {"lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_bi2", "gru_bi2", "rnn_tanh_bi2",
        "lstm_nobias", "gru_nobias"};

    private Fixtures() {}

    static Path path(String file) {
        try {
            var url = Fixtures.class.getResource(file);
            if (url == null) throw new IllegalStateException("fixture " + file + " missing: run scripts/make-io-fixtures.py");
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** x, y, h_n and (LSTM) c_n as PyTorch computed them. */
    static Map<String, float[]> expected(String name) throws IOException {
        try (SafeTensors f = SafeTensors.open(path(name + ".expected.safetensors"))) {
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            for (String n : f.names()) out.put(n, f.floats(n));
            return out;
        }
    }

    /**
     * Runs {@code rnn} on the expected input and asserts PyTorch's outputs within the project's
     * tolerance; returns the worst ratio to the tolerance.
     */
    static double assertMatches(String what, Rnn rnn, Map<String, float[]> expected) {
        ForwardResult out = rnn.forward(Mode.INFERENCE, Batch.of(T, N), expected.get("x"), null, null);
        TensorAssert.assertClose(what + " y", out.y(), expected.get("y"));
        TensorAssert.assertClose(what + " h_n", out.hN(), expected.get("h_n"));
        double worst = Math.max(ratio(out.y(), expected.get("y")), ratio(out.hN(), expected.get("h_n")));
        if (expected.containsKey("c_n")) {
            TensorAssert.assertClose(what + " c_n", out.cN(), expected.get("c_n"));
            worst = Math.max(worst, ratio(out.cN(), expected.get("c_n")));
        }
        return worst;
    }

    static double ratio(float[] got, float[] ref) {
        return TensorAssert.compare(got, ref, TensorAssert.RTOL, TensorAssert.ATOL).ratio();
    }
}
