package dev.rnn4j.io;

import dev.rnn4j.Backend;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import java.util.List;

/**
 * The recurrent part of an ONNX model, imported by {@link Onnx#importRnn}: the spec, the parameters
 * in rnn4j's (PyTorch's) layout, and how the model's inputs map onto {@code Rnn.forward}.
 *
 * @param spec the stacked model: one layer per ONNX node, in graph order
 * @param parameters the flat parameter buffer ({@link RnnSpec#parameterLayout()})
 * @param nodes the names of the imported nodes, layer 0 first
 * @param input the graph input that feeds layer 0 ({@code x})
 * @param sequenceLens the graph input holding {@code sequence_lens} (the lengths of a {@code Batch}),
 *     or null when the model has none (every sequence runs the whole length)
 * @param initialH the constant initial hidden state {@code [L*D, N, Ho]} if the model holds one that
 *     is not all zeros, else null (zeros)
 * @param initialHInput the graph input holding the initial hidden state {@code [L*D, N, Ho]} (the
 *     {@code h0} of {@code Rnn.forward}; split per layer along its first axis when there are several), or null
 * @param initialC as {@code initialH}, for an LSTM's cell state
 * @param initialCInput as {@code initialHInput}, for an LSTM's cell state
 */
public record OnnxRnn(RnnSpec spec, float[] parameters, List<String> nodes, String input, String sequenceLens,
        float[] initialH, String initialHInput, float[] initialC, String initialCInput) {
    /** A new {@link Rnn} of the spec on {@code backend}, holding the imported parameters. */
    public Rnn create(Backend backend) {
        Rnn rnn = Rnn.create(spec, backend);
        rnn.setParameters(parameters);
        return rnn;
    }

    /** {@link #create(Backend)} on {@link Backend#best()}. */
    public Rnn create() {
        return create(Backend.best());
    }
}
