package dev.rnn4j.io;

import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import dev.rnn4j.ParameterLayout;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.train.Linear;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A PyTorch {@code state_dict} in a safetensors file (as {@code safetensors.torch.save_file(
 * model.state_dict(), path)} writes it), read by PyTorch's parameter names under a prefix:
 *
 * <pre>{@code
 * try (StateDict sd = StateDict.open(Path.of("model.safetensors"));
 *      Rnn lstm = sd.rnn("encoder.lstm.", null)) {          // spec inferred from names and shapes
 *     Linear head = sd.linear("head.");
 *     float[] embedding = sd.floats("embedding.weight");    // any other tensor, by name
 * }
 * }</pre>
 *
 * <p><b>Inference of the spec.</b> Under the prefix, {@code weight_ih_l0 .. weight_ih_l{L-1}} give
 * the layers, {@code *_reverse} the second direction, {@code bias_ih_l0} the bias,
 * {@code weight_hr_l0} an LSTM projection; the rows of {@code weight_ih_l0} are {@code G*H} and the
 * columns the input size, the columns of {@code weight_hh_l0} are {@code H} (or {@code P}). The gate
 * count {@code G} gives the cell: 4 is LSTM, 3 is GRU, 1 is a vanilla RNN, whose nonlinearity a
 * state_dict does not record, so <b>RNN needs the hint</b> {@link CellType#RNN_TANH} or {@link
 * CellType#RNN_RELU}. For 3 gates GRU is the only 3-gate cell rnn4j has; a hint is checked against
 * the shapes when given. A given {@link RnnSpec} is checked against the file instead: every tensor it
 * needs must be present with its shape. Names that look like recurrent parameters but do not fit
 * (a layer missing in between, a reverse direction of one layer only) are errors; every other tensor
 * is left to the caller ({@link #unused()}).
 *
 * <p><b>Loading is all or nothing:</b> every tensor is read and checked (and with {@link
 * #setFiniteCheck(boolean) the finite check} on, scanned for NaN and infinity) before the model is
 * created or written. F32, F16, BF16 and F64 tensors are read into fp32.
 */
public final class StateDict implements AutoCloseable {
    private final SafeTensors file;
    private final Set<String> used = new LinkedHashSet<>();
    private boolean finiteCheck;

    private StateDict(SafeTensors file) {
        this.file = file;
    }

    /**
     * Opens a safetensors file.
     *
     * @throws ModelFileException if the file is not valid safetensors
     */
    public static StateDict open(Path path) throws IOException {
        return new StateDict(SafeTensors.open(path));
    }

    /** The underlying file: names, dtypes, shapes, metadata. */
    public SafeTensors file() {
        return file;
    }

    /**
     * When on, every tensor loaded into a model is checked for NaN and infinity, and the first one
     * found is a {@link ModelFileException} naming the tensor and the index. Off by default.
     */
    public StateDict setFiniteCheck(boolean on) {
        this.finiteCheck = on;
        return this;
    }

    /** Every tensor name in the file. */
    public Set<String> names() {
        return file.names();
    }

    /** The names not yet loaded into a model or a layer by this object, in file order. */
    public Set<String> unused() {
        Set<String> rest = new LinkedHashSet<>(file.names());
        rest.removeAll(used);
        return rest;
    }

    /** Reads any floating-point tensor by its full name (F32, F16, BF16, F64 into fp32). */
    public float[] floats(String name) throws IOException {
        return file.floats(name);
    }

    /**
     * Infers the spec of the recurrent module under {@code prefix} from its tensor names and shapes.
     *
     * @param prefix for example {@code "encoder.lstm."}, or {@code ""} for a bare module's state_dict
     * @param hint the cell, or null; required for a vanilla RNN (tanh or relu is not in the file)
     * @throws ModelFileException if the tensors do not make a spec, or the hint does not fit them
     */
    public RnnSpec inferSpec(String prefix, CellType hint) throws ModelFileException {
        Objects.requireNonNull(prefix, "prefix must not be null (use \"\" for none)");
        SafeTensors.Info ih = required(prefix + "weight_ih_l0", "no recurrent module here (looked for weight_ih_l0)");
        SafeTensors.Info hh = required(prefix + "weight_hh_l0", "needed with " + prefix + "weight_ih_l0");
        if (ih.shape().length != 2 || hh.shape().length != 2) {
            throw new ModelFileException(file.path(), prefix + "weight_ih_l0", "weights must be 2-D, got "
                    + ih + " and " + hh);
        }
        long rows = ih.shape()[0];
        long input = ih.shape()[1];
        long out = hh.shape()[1];
        int layers = 0;
        while (file.contains(prefix + "weight_ih_l" + layers)) layers++;
        boolean bidirectional = file.contains(prefix + "weight_ih_l0_reverse");
        boolean bias = file.contains(prefix + "bias_ih_l0");
        long projection = 0;
        long hidden = out;
        if (file.contains(prefix + "weight_hr_l0")) {
            SafeTensors.Info hr = file.info(prefix + "weight_hr_l0");
            if (hr.shape().length != 2) throw new ModelFileException(file.path(), hr.name(), "must be 2-D, got " + hr);
            projection = hr.shape()[0];
            hidden = hr.shape()[1];
        }
        if (hidden <= 0 || rows % hidden != 0) {
            throw new ModelFileException(file.path(), ih.name(), "its " + rows + " rows are not a multiple of the hidden size "
                    + hidden + " (from " + (projection > 0 ? prefix + "weight_hr_l0" : hh.name()) + ")");
        }
        long gates = rows / hidden;
        CellType cell;
        if (gates == 4) cell = CellType.LSTM;
        else if (gates == 3) cell = CellType.GRU;
        else if (gates == 1) {
            if (hint != CellType.RNN_TANH && hint != CellType.RNN_RELU) {
                throw new ModelFileException(file.path(), ih.name(), "1 gate: a vanilla RNN, whose nonlinearity a state_dict"
                        + " does not record; pass the hint CellType.RNN_TANH or CellType.RNN_RELU" + (hint == null ? "" : ", not " + hint));
            }
            cell = hint;
        } else {
            throw new ModelFileException(file.path(), ih.name(), rows + " rows = " + gates + " x hidden size " + hidden
                    + ": no cell has " + gates + " gates (LSTM 4, GRU 3, RNN 1)");
        }
        if (hint != null && hint != cell) {
            throw new ModelFileException(file.path(), ih.name(), "the hint " + hint + " has " + hint.gates() + " gates but the"
                    + " shapes " + ih + ", " + hh + " have " + gates + " (" + cell + ")");
        }
        if (projection > 0 && cell != CellType.LSTM) {
            throw new ModelFileException(file.path(), prefix + "weight_hr_l0", "a projection needs an LSTM, the shapes say " + cell);
        }
        RnnSpec spec;
        try {
            spec = RnnSpec.builder(cell, Math.toIntExact(input), Math.toIntExact(hidden)).layers(layers)
                    .bidirectional(bidirectional).bias(bias).projectionSize(Math.toIntExact(projection)).build();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ModelFileException(file.path(), ih.name(), "the shapes make no valid spec: " + e.getMessage(), e);
        }
        check(prefix, spec);
        return spec;
    }

    /**
     * Checks that the file holds every tensor of {@code spec} under {@code prefix} with its shape,
     * and no recurrent parameter beyond them.
     *
     * @throws ModelFileException naming the first missing, misshapen or surplus tensor
     */
    public void check(String prefix, RnnSpec spec) throws ModelFileException {
        ParameterLayout layout = spec.parameterLayout();
        for (ParameterLayout.Entry e : layout.entries()) {
            String name = prefix + e.name();
            SafeTensors.Info i = required(name, "missing for " + spec);
            long[] want = e.kind() == ParameterLayout.Kind.BIAS_IH || e.kind() == ParameterLayout.Kind.BIAS_HH
                    ? new long[] {e.rows()} : new long[] {e.rows(), e.cols()};
            if (!Arrays.equals(i.shape(), want)) {
                throw new ModelFileException(file.path(), name, "shape " + Arrays.toString(i.shape()) + " does not match "
                        + Arrays.toString(want) + " of " + spec);
            }
        }
        for (String name : file.names()) {
            if (!name.startsWith(prefix)) continue;
            String rest = name.substring(prefix.length());
            for (ParameterLayout.Kind k : ParameterLayout.Kind.values()) {
                if (rest.matches(k.prefix() + "_l\\d+(_reverse)?") && !layout.contains(rest)) {
                    throw new ModelFileException(file.path(), name, "a recurrent parameter that " + spec + " does not have"
                            + " (a layer, direction, bias or projection the other tensors do not fit)");
                }
            }
        }
    }

    /** {@link #rnn(String, RnnSpec, Backend)} with the spec inferred and {@link Backend#best()}. */
    public Rnn rnn(String prefix, CellType hint) throws IOException {
        return rnn(prefix, inferSpec(prefix, hint), Backend.best());
    }

    /**
     * Creates an {@link Rnn} of {@code spec} on {@code backend} holding the parameters under
     * {@code prefix}; the spec is checked against the file first. Its tensors then count as used.
     *
     * @throws ModelFileException if the file does not fit the spec, or with the finite check on
     *     holds a non-finite weight; no model is created then
     */
    public Rnn rnn(String prefix, RnnSpec spec, Backend backend) throws IOException {
        float[] parameters = parameters(prefix, spec);
        Rnn rnn = Rnn.create(spec, backend);
        rnn.setParameters(parameters);
        for (ParameterLayout.Entry e : spec.parameterLayout().entries()) used.add(prefix + e.name());
        return rnn;
    }

    /**
     * Overwrites every parameter of an existing {@code rnn} with the tensors under {@code prefix}
     * (its spec is checked against the file first; nothing is written if anything does not fit).
     */
    public void loadInto(Rnn rnn, String prefix) throws IOException {
        float[] parameters = parameters(prefix, rnn.spec());
        rnn.setParameters(parameters);
        for (ParameterLayout.Entry e : rnn.spec().parameterLayout().entries()) used.add(prefix + e.name());
    }

    /** The flat parameter buffer of {@code spec} from the tensors under {@code prefix}, all checked. */
    float[] parameters(String prefix, RnnSpec spec) throws IOException {
        check(prefix, spec);
        float[] all = new float[spec.parameterCount()];
        for (ParameterLayout.Entry e : spec.parameterLayout().entries()) {
            float[] t = read(prefix + e.name());
            System.arraycopy(t, 0, all, e.offset(), t.length);
        }
        return all;
    }

    /**
     * A {@link Linear} layer from {@code prefix + "weight"} {@code [out, in]} and, if present,
     * {@code prefix + "bias"} {@code [out]} (as {@code torch.nn.Linear} stores them).
     */
    public Linear linear(String prefix) throws IOException {
        SafeTensors.Info w = required(prefix + "weight", "no Linear layer here (looked for weight)");
        if (w.shape().length != 2 || w.shape()[0] < 1 || w.shape()[1] < 1) {
            throw new ModelFileException(file.path(), w.name(), "a Linear weight is [out, in], got " + Arrays.toString(w.shape()));
        }
        int out = Math.toIntExact(w.shape()[0]), in = Math.toIntExact(w.shape()[1]);
        boolean bias = file.contains(prefix + "bias");
        if (bias && !Arrays.equals(file.info(prefix + "bias").shape(), new long[] {out})) {
            throw new ModelFileException(file.path(), prefix + "bias", "shape " + Arrays.toString(file.info(prefix + "bias").shape())
                    + " does not match [" + out + "] of " + w.name());
        }
        float[] weight = read(w.name());
        float[] b = bias ? read(prefix + "bias") : null;
        Linear linear = new Linear(in, out, bias);
        linear.parameters().put(weight);
        if (bias) linear.parameters().position(weight.length).put(b);
        used.add(w.name());
        if (bias) used.add(prefix + "bias");
        return linear;
    }

    /** The floats of a tensor, with the finite check when on. */
    private float[] read(String name) throws IOException {
        float[] v = file.floats(name);
        if (finiteCheck) requireFinite(file.path(), name, v);
        return v;
    }

    static void requireFinite(Path path, String name, float[] v) throws ModelFileException {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new ModelFileException(path, name, "element [" + i + "] is " + v[i] + " (finite check is on)");
            }
        }
    }

    private SafeTensors.Info required(String name, String problem) throws ModelFileException {
        if (!file.contains(name)) throw new ModelFileException(file.path(), name, problem + "; the file has " + file.names());
        return file.info(name);
    }

    /**
     * Writes the parameters of {@code rnn} as a PyTorch state_dict in safetensors (F32, PyTorch's
     * names and shapes under {@code prefix}), loadable by {@code torch.nn.LSTM(...).load_state_dict(
     * safetensors.torch.load_file(path))} and by {@link #open(Path)}.
     */
    public static void save(Path path, String prefix, Rnn rnn, Map<String, String> metadata) throws IOException {
        SafeTensors.write(path, tensors(prefix, rnn), metadata);
    }

    /** The parameters of {@code rnn} by PyTorch name under {@code prefix}, with PyTorch's shapes. */
    static Map<String, Tensor> tensors(String prefix, Rnn rnn) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        float[] all = rnn.parameters();
        for (ParameterLayout.Entry e : rnn.spec().parameterLayout().entries()) {
            int[] shape = e.kind() == ParameterLayout.Kind.BIAS_IH || e.kind() == ParameterLayout.Kind.BIAS_HH
                    ? new int[] {e.rows()} : new int[] {e.rows(), e.cols()};
            out.put(prefix + e.name(), new Tensor(shape, Arrays.copyOfRange(all, e.offset(), e.offset() + e.size())));
        }
        return out;
    }

    /** Releases the file; models and layers already created are independent of it. */
    @Override
    public void close() throws IOException {
        file.close();
    }

    @Override
    public String toString() {
        return "StateDict(" + file.path() + ", " + file.names().size() + " tensors)";
    }
}
