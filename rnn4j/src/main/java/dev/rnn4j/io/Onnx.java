package dev.rnn4j.io;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rnn4j.CellType;
import dev.rnn4j.ParameterLayout;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.io.onnx.OnnxProto.AttributeProto;
import dev.rnn4j.io.onnx.OnnxProto.GraphProto;
import dev.rnn4j.io.onnx.OnnxProto.ModelProto;
import dev.rnn4j.io.onnx.OnnxProto.NodeProto;
import dev.rnn4j.io.onnx.OnnxProto.OperatorSetIdProto;
import dev.rnn4j.io.onnx.OnnxProto.TensorProto;
import dev.rnn4j.io.onnx.OnnxProto.TensorShapeProto;
import dev.rnn4j.io.onnx.OnnxProto.TypeProto;
import dev.rnn4j.io.onnx.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * ONNX's recurrent operators ({@code LSTM}, {@code GRU}, {@code RNN}) in and out of rnn4j, through
 * the protobuf classes generated from {@code onnx.proto} (package {@code dev.rnn4j.io.onnx}).
 *
 * <p><b>Import.</b> {@link #importRnn(Path)} takes the recurrent nodes of a model in graph order as
 * the layers of one stacked {@link Rnn}, as {@code torch.onnx.export} writes a multi-layer module: a
 * chain of single-layer nodes, each fed (through {@code Transpose}, {@code Reshape}, {@code Squeeze}
 * and the like) by the previous node's {@code Y}, the first by a graph input. A {@code Transpose}
 * with {@code perm = [1, 0, 2]} before the first node, or {@code layout = 1}, makes the spec
 * batch-first. Weights must be constants (initializers or {@code Constant} nodes) of type FLOAT,
 * DOUBLE, FLOAT16 or BFLOAT16. The gate blocks are reordered (ONNX LSTM {@code i, o, f, c} to
 * PyTorch's {@code i, f, g, o}; GRU {@code z, r, h} to {@code r, z, n}) and {@code B} is split into
 * {@code bias_ih} and {@code bias_hh}. {@code sequence_lens}, {@code initial_h} and {@code initial_c}
 * are reported in the {@link OnnxRnn} (graph inputs by name, constants by value).
 *
 * <p>What rnn4j does not compute is rejected with a {@link ModelFileException} naming the node and
 * the attribute or input: {@code direction = reverse} alone, peepholes ({@code P}), {@code
 * input_forget}, activations other than the defaults (RNN: {@code Tanh} or {@code Relu}), {@code
 * activation_alpha/beta}, {@code clip} (ONNX clips the gates' pre-activations, not the cell state),
 * nodes of different ops, sizes, directions or GRU variants in one chain. A GRU node's
 * {@code linear_before_reset} (default 0) selects {@link RnnSpec#linearBeforeReset()}.
 *
 * <p><b>Export.</b> {@link #exportRnn} writes the same operators (opset 14): one node per layer,
 * glued as PyTorch does, inputs {@code x} {@code [T, N, I]} ({@code [N, T, I]} batch-first) and, on
 * request, {@code sequence_lens} {@code [N]} (int32), {@code h0} {@code [L*D, N, Ho]} and {@code c0};
 * outputs {@code y}, {@code h_n}, {@code c_n} as {@code Rnn.forward} returns them. ONNX has no LSTM
 * projection: such a model is rejected.
 */
public final class Onnx {
    /** The opset the export declares. */
    public static final int OPSET = 14;
    private static final Set<String> OPS = Set.of("LSTM", "GRU", "RNN");
    /** For each cell, PyTorch's gate block b comes from ONNX block ORDER[b]. */
    private static final int[] LSTM_ORDER = {0, 2, 3, 1}, GRU_ORDER = {1, 0, 2}, RNN_ORDER = {0};
    /** Nodes that pass a sequence through between two recurrent nodes (shape changes only). */
    private static final Set<String> GLUE = Set.of("Transpose", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Flatten");

    private Onnx() {}

    // ---- Import --------------------------------------------------------------------------------------

    /**
     * Imports the recurrent nodes of an ONNX model.
     *
     * @throws ModelFileException if the file is not an ONNX model, has no recurrent node, or uses
     *     what rnn4j does not compute (naming the node and the attribute)
     */
    public static OnnxRnn importRnn(Path path) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        ModelProto model;
        long size = Files.size(path);
        if (size > Integer.MAX_VALUE - 8) {
            throw new ModelFileException(path, null, size + " bytes: a protobuf message holds at most 2 GB (larger models keep"
                    + " their weights in external data, which rnn4j does not read)");
        }
        try {
            // parsed from memory, so every length in the file is checked against the bytes really there
            model = ModelProto.parseFrom(Files.readAllBytes(path));
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFileException(path, null, "not an ONNX model (" + e.getMessage() + ")", e);
        }
        return importRnn(path, model);
    }

    /** As {@link #importRnn(Path)}, from a parsed model ({@code path} only names it in messages). */
    static OnnxRnn importRnn(Path path, ModelProto model) throws ModelFileException {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> constants = new HashMap<>();
        Map<String, NodeProto> producer = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) constants.put(t.getName(), t);
        List<NodeProto> rnns = new ArrayList<>();
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) producer.put(o, n);
            if (n.getOpType().equals("Constant") && n.getOutputCount() == 1) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT()) constants.put(n.getOutput(0), a.getT());
                }
            }
            boolean onnxDomain = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
            if (onnxDomain && OPS.contains(n.getOpType())) rnns.add(n);
        }
        if (rnns.isEmpty()) throw new ModelFileException(path, null, "has no LSTM, GRU or RNN node");
        Set<String> graphInputs = new HashSet<>();
        for (ValueInfoProto v : g.getInputList()) if (!constants.containsKey(v.getName())) graphInputs.add(v.getName());

        Importer im = new Importer(path, constants, producer, graphInputs);
        return im.run(rnns);
    }

    /** The state of one import: the model's constants and producers, and what the nodes agree on. */
    private static final class Importer {
        final Path path;
        final Map<String, TensorProto> constants;
        final Map<String, NodeProto> producer;
        final Set<String> graphInputs;

        Importer(Path path, Map<String, TensorProto> constants, Map<String, NodeProto> producer, Set<String> graphInputs) {
            this.path = path;
            this.constants = constants;
            this.producer = producer;
            this.graphInputs = graphInputs;
        }

        ModelFileException bad(NodeProto n, String what, String problem) {
            return new ModelFileException(path, "node '" + name(n) + "' (" + n.getOpType() + ")" + (what == null ? "" : " " + what),
                    problem);
        }

        OnnxRnn run(List<NodeProto> nodes) throws ModelFileException {
            NodeProto first = nodes.get(0);
            String op = first.getOpType();
            CellType cell = null;
            int hidden = -1, directions = -1, layout = -1;
            boolean bias = false;
            boolean linearBeforeReset = true;
            List<float[][]> weights = new ArrayList<>(); // per node: W, R, B (B may be null)
            String seqLens = null;
            float[][] initialH = new float[nodes.size()][], initialC = new float[nodes.size()][];
            String[] hInput = new String[1], cInput = new String[1];
            int inputSize = -1;
            boolean batchFirst = false;
            String input = null;
            for (int k = 0; k < nodes.size(); k++) {
                NodeProto n = nodes.get(k);
                if (!n.getOpType().equals(op)) {
                    throw bad(n, null, "a chain of recurrent nodes must be of one op; node '" + name(first) + "' is " + op);
                }
                Attributes a = attributes(n);
                if (a.hidden != hidden && hidden >= 0) throw bad(n, "attribute hidden_size", a.hidden + " differs from " + hidden + " of the first node");
                if (directions >= 0 && a.directions != directions) throw bad(n, "attribute direction", "differs from the first node's");
                if (layout >= 0 && a.layout != layout) throw bad(n, "attribute layout", "differs from the first node's");
                if (cell != null && a.cell != cell) throw bad(n, "attribute activations", "differ from the first node's");
                if (k > 0 && a.linearBeforeReset != linearBeforeReset) {
                    throw bad(n, "attribute linear_before_reset", "differs from the first node's");
                }
                linearBeforeReset = a.linearBeforeReset;
                hidden = a.hidden;
                directions = a.directions;
                layout = a.layout;
                cell = a.cell;
                int gates = cell.gates();
                float[] w = constant(n, 1, "W", new long[] {directions, (long) gates * hidden, -1});
                int in = w.length / (directions * gates * hidden);
                if (k == 0) inputSize = in;
                else if (in != directions * hidden) {
                    throw bad(n, "input W", "takes " + in + " inputs, but the previous layer gives " + directions * hidden);
                }
                float[] r = constant(n, 2, "R", new long[] {directions, (long) gates * hidden, hidden});
                float[] b = optional(n, 3) ? constant(n, 3, "B", new long[] {directions, 2L * gates * hidden}) : null;
                bias |= b != null;
                weights.add(new float[][] {w, r, b});
                if (optional(n, 4)) {
                    String s = n.getInput(4);
                    if (!graphInputs.contains(s)) throw bad(n, "input sequence_lens", "'" + s + "' must be a graph input to map onto a Batch");
                    if (seqLens != null && !seqLens.equals(s)) throw bad(n, "input sequence_lens", "'" + s + "' differs from '" + seqLens + "' of an earlier node");
                    seqLens = s;
                } else if (seqLens != null) {
                    throw bad(n, "input sequence_lens", "missing while an earlier node has '" + seqLens + "'");
                }
                initialH[k] = state(n, 5, "initial_h", hInput, k, nodes.size(), directions, hidden, layout);
                if (cell == CellType.LSTM) initialC[k] = state(n, 6, "initial_c", cInput, k, nodes.size(), directions, hidden, layout);
                if (cell == CellType.LSTM && optional(n, 7)) throw bad(n, "input P", "peepholes are not computed by rnn4j");
                if (!optional(n, 0)) throw bad(n, "input X", "is missing");
                String x = n.getInput(0);
                int transposes = 0;
                while (true) {
                    NodeProto p = producer.get(x);
                    if (p == null || OPS.contains(p.getOpType()) || !GLUE.contains(p.getOpType()) || p.getInputCount() == 0) break;
                    if (p.getOpType().equals("Transpose") && Arrays.equals(perm(p), new long[] {1, 0, 2})) transposes++;
                    x = p.getInput(0);
                }
                NodeProto from = producer.get(x);
                if (k == 0) {
                    if (!graphInputs.contains(x)) {
                        throw bad(n, "input X", "must come from a graph input (through transposes or reshapes), comes from "
                                + (from == null ? "'" + x + "'" : "node '" + name(from) + "' (" + from.getOpType() + ")"));
                    }
                    input = x;
                    batchFirst = transposes % 2 == 1;
                } else if (from != nodes.get(k - 1) || from.getOutputCount() == 0 || !from.getOutput(0).equals(x)) {
                    throw bad(n, "input X", "must be the Y of the previous recurrent node '" + name(nodes.get(k - 1))
                            + "' (through transposes or reshapes), comes from "
                            + (from == null ? "'" + x + "'" : "node '" + name(from) + "' (" + from.getOpType() + ")"));
                }
            }
            if (layout == 1) {
                if (batchFirst) throw bad(first, "attribute layout", "1 after a transpose of the input: the layouts cancel; rnn4j cannot tell");
                batchFirst = true;
            }
            RnnSpec spec;
            try {
                spec = RnnSpec.builder(cell, inputSize, hidden).layers(nodes.size()).bidirectional(directions == 2)
                        .bias(bias).batchFirst(batchFirst).linearBeforeReset(linearBeforeReset).build();
            } catch (IllegalArgumentException e) {
                throw bad(first, null, "the sizes make no valid spec: " + e.getMessage());
            }
            float[] params = new float[spec.parameterCount()];
            ParameterLayout pl = spec.parameterLayout();
            int[] order = cell == CellType.LSTM ? LSTM_ORDER : cell == CellType.GRU ? GRU_ORDER : RNN_ORDER;
            int gh = cell.gates() * hidden;
            for (int k = 0; k < nodes.size(); k++) {
                float[][] wrb = weights.get(k);
                for (int d = 0; d < directions; d++) {
                    ParameterLayout.Entry ih = pl.find(ParameterLayout.Kind.WEIGHT_IH, k, d);
                    ParameterLayout.Entry hh = pl.find(ParameterLayout.Kind.WEIGHT_HH, k, d);
                    permute(wrb[0], d * gh * ih.cols(), ih.cols(), hidden, order, params, ih.offset(), false);
                    permute(wrb[1], d * gh * hh.cols(), hh.cols(), hidden, order, params, hh.offset(), false);
                    if (bias && wrb[2] != null) {
                        permute(wrb[2], d * 2 * gh, 1, hidden, order, params, pl.find(ParameterLayout.Kind.BIAS_IH, k, d).offset(), false);
                        permute(wrb[2], d * 2 * gh + gh, 1, hidden, order, params, pl.find(ParameterLayout.Kind.BIAS_HH, k, d).offset(), false);
                    }
                }
            }
            List<String> names = new ArrayList<>();
            for (NodeProto n : nodes) names.add(name(n));
            if ((hInput[0] != null || cInput[0] != null) && Arrays.stream(initialH).anyMatch(Objects::nonNull)) {
                throw bad(first, "input initial_h", "some layers take a graph input, others a constant; rnn4j takes one or the other");
            }
            return new OnnxRnn(spec, params, List.copyOf(names), input, seqLens, stack(first, initialH, layout, directions, hidden),
                    hInput[0], cell == CellType.LSTM ? stack(first, initialC, layout, directions, hidden) : null, cInput[0]);
        }

        /** The per-node constant states as one {@code [L*D, N, H]} array, or null if every one is zero. */
        private float[] stack(NodeProto first, float[][] perNode, int layout, int directions, int hidden) throws ModelFileException {
            boolean any = false;
            for (float[] s : perNode) any |= s != null;
            if (!any) return null;
            int per = -1;
            for (float[] s : perNode) {
                if (s == null) continue;
                if (per >= 0 && s.length != per) throw bad(first, "initial states", "the layers' constant states have different batch sizes");
                per = s.length;
            }
            float[] out = new float[per * perNode.length];
            int batch = per / (directions * hidden);
            for (int k = 0; k < perNode.length; k++) {
                if (perNode[k] == null) continue;
                for (int d = 0; d < directions; d++) {
                    for (int b = 0; b < batch; b++) {
                        // layout 1 holds [N, D, H]; rnn4j's rows are [D, N, H] per layer
                        int from = layout == 1 ? (b * directions + d) * hidden : (d * batch + b) * hidden;
                        System.arraycopy(perNode[k], from, out, k * per + (d * batch + b) * hidden, hidden);
                    }
                }
            }
            return out;
        }

        /**
         * An initial state input: null for none or all zeros, the values for a constant; a graph input
         * (directly, or split per layer by a Split or Slice node) is recorded in {@code input[0]}, and
         * every layer must take the same one.
         */
        private float[] state(NodeProto n, int index, String what, String[] input, int layer, int layers, int directions,
                int hidden, int layout) throws ModelFileException {
            if (!optional(n, index)) {
                if (input[0] != null) throw bad(n, "input " + what, "missing while an earlier node takes '" + input[0] + "'");
                return null;
            }
            String s = n.getInput(index);
            NodeProto p = producer.get(s);
            String source = graphInputs.contains(s) ? s : null;
            if (source == null && p != null && (p.getOpType().equals("Split") || p.getOpType().equals("Slice"))
                    && p.getInputCount() > 0 && graphInputs.contains(p.getInput(0))) {
                source = p.getInput(0);
            }
            if (source != null) {
                if (layers > 1 && source.equals(s)) {
                    throw bad(n, "input " + what, "'" + s + "' feeds one layer of " + layers + " directly; rnn4j takes one state"
                            + " input for all layers, split along its first axis");
                }
                if (layer > 0 && !source.equals(input[0])) {
                    throw bad(n, "input " + what, "comes from '" + source + "', an earlier layer's from '" + input[0] + "'");
                }
                input[0] = source;
                return null;
            }
            if (input[0] != null) throw bad(n, "input " + what, "is not taken from '" + input[0] + "' as an earlier layer's is");
            TensorProto t = constants.get(s);
            boolean expanded = t == null && p != null && p.getOpType().equals("Expand") && p.getInputCount() > 0;
            if (expanded) t = constants.get(p.getInput(0)); // PyTorch writes zero initial states as Expand(zeros)
            if (t == null) {
                throw bad(n, "input " + what, "'" + s + "' is computed in the graph; rnn4j takes a constant or a graph input");
            }
            if (!expanded) {
                List<Long> dims = t.getDimsList();
                long d = layout == 1 ? 1 : 0;
                if (dims.size() != 3 || dims.get((int) d) != directions || dims.get(2) != hidden || dims.get((int) (1 - d)) < 1) {
                    throw bad(n, "input " + what, "constant '" + s + "' has dims " + dims + ", expected "
                            + (layout == 1 ? "[N, " + directions + ", " + hidden + "]" : "[" + directions + ", N, " + hidden + "]"));
                }
            }
            float[] v = floats(n, what, t);
            boolean zero = true;
            for (float f : v) zero &= f == 0;
            if (zero) return null;
            if (expanded) throw bad(n, "input " + what, "an expanded non-zero constant; rnn4j takes a constant of the full shape or a graph input");
            return v;
        }

        private boolean optional(NodeProto n, int index) {
            return n.getInputCount() > index && !n.getInput(index).isEmpty();
        }

        /** A constant input with the given dims ({@code -1}: any). */
        private float[] constant(NodeProto n, int index, String what, long[] dims) throws ModelFileException {
            if (!optional(n, index)) throw bad(n, "input " + what, "is missing");
            TensorProto t = constants.get(n.getInput(index));
            if (t == null) throw bad(n, "input " + what, "'" + n.getInput(index) + "' must be a constant (an initializer or a Constant node)");
            List<Long> got = t.getDimsList();
            boolean ok = got.size() == dims.length;
            for (int i = 0; ok && i < dims.length; i++) ok = dims[i] < 0 ? got.get(i) > 0 : got.get(i) == dims[i];
            if (!ok) throw bad(n, "input " + what, "has dims " + got + ", expected " + Arrays.toString(dims).replace("-1", "any"));
            return floats(n, what, t);
        }

        private float[] floats(NodeProto n, String what, TensorProto t) throws ModelFileException {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                throw bad(n, "input " + what, "tensor '" + t.getName() + "' is stored in an external file; rnn4j reads weights held in the model");
            }
            long count = 1;
            for (long d : t.getDimsList()) {
                if (d < 0) throw bad(n, "input " + what, "has a negative dimension " + t.getDimsList());
                count *= d;
                if (count > Integer.MAX_VALUE - 8) throw bad(n, "input " + what, "is too large: dims " + t.getDimsList());
            }
            int c = (int) count;
            ByteString raw = t.getRawData();
            int type = t.getDataType();
            int size = switch (type) {
                case 1 -> 4; // FLOAT
                case 11 -> 8; // DOUBLE
                case 10, 16 -> 2; // FLOAT16, BFLOAT16
                default -> throw bad(n, "input " + what, "data type " + type + " is not FLOAT, DOUBLE, FLOAT16 or BFLOAT16");
            };
            // every length is checked against the data before anything is allocated from the dims
            if (!raw.isEmpty()) {
                if (raw.size() != (long) c * size) {
                    throw bad(n, "input " + what, "raw_data holds " + raw.size() + " bytes, dims " + t.getDimsList() + " need " + (long) c * size);
                }
                float[] out = new float[c];
                ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < c; i++) {
                    out[i] = switch (type) {
                        case 1 -> b.getFloat(4 * i);
                        case 11 -> (float) b.getDouble(8 * i);
                        case 10 -> SafeTensors.halfToFloat(b.getShort(2 * i));
                        default -> Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
                    };
                }
                return out;
            }
            int have = type == 1 ? t.getFloatDataCount() : type == 11 ? t.getDoubleDataCount() : t.getInt32DataCount();
            if (have != c) throw bad(n, "input " + what, "holds " + have + " values, dims " + t.getDimsList() + " need " + c);
            float[] out = new float[c];
            for (int i = 0; i < c; i++) {
                out[i] = switch (type) {
                    case 1 -> t.getFloatData(i);
                    case 11 -> (float) t.getDoubleData(i);
                    case 10 -> SafeTensors.halfToFloat((short) t.getInt32Data(i));
                    default -> Float.intBitsToFloat((t.getInt32Data(i) & 0xffff) << 16);
                };
            }
            return out;
        }

        private long[] perm(NodeProto p) {
            for (AttributeProto a : p.getAttributeList()) {
                if (a.getName().equals("perm")) return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
            return null;
        }

        /** The attributes of a recurrent node, each checked. */
        private Attributes attributes(NodeProto n) throws ModelFileException {
            Attributes a = new Attributes();
            String op = n.getOpType();
            List<String> activations = null;
            Set<String> seen = new HashSet<>();
            for (AttributeProto at : n.getAttributeList()) {
                String what = "attribute " + at.getName();
                if (!seen.add(at.getName())) throw bad(n, what, "appears twice");
                switch (at.getName()) {
                    case "hidden_size" -> a.hidden = (int) Math.max(0, Math.min(Integer.MAX_VALUE, at.getI()));
                    case "direction" -> {
                        String d = at.getS().toStringUtf8();
                        if (d.equals("reverse")) throw bad(n, what, "'reverse' alone is not computed by rnn4j (forward or bidirectional)");
                        if (!d.equals("forward") && !d.equals("bidirectional")) throw bad(n, what, "unknown direction '" + d + "'");
                        a.directions = d.equals("bidirectional") ? 2 : 1;
                    }
                    case "layout" -> {
                        if (at.getI() != 0 && at.getI() != 1) throw bad(n, what, "must be 0 or 1, got " + at.getI());
                        a.layout = (int) at.getI();
                    }
                    case "activations" -> {
                        activations = new ArrayList<>();
                        for (ByteString s : at.getStringsList()) activations.add(s.toStringUtf8());
                    }
                    case "activation_alpha", "activation_beta" -> throw bad(n, what, "is not computed by rnn4j (default activations only)");
                    case "clip" -> throw bad(n, what, "clipping of the gates' pre-activations (" + at.getF()
                            + ") is not computed by rnn4j (its cellClip clamps the LSTM cell state instead)");
                    case "input_forget" -> {
                        if (!op.equals("LSTM")) throw bad(n, what, "is an LSTM attribute");
                        if (at.getI() != 0) throw bad(n, what, "coupled input and forget gates (input_forget = 1) are not computed by rnn4j");
                    }
                    case "linear_before_reset" -> {
                        if (!op.equals("GRU")) throw bad(n, what, "is a GRU attribute");
                        if (at.getI() != 0 && at.getI() != 1) throw bad(n, what, "must be 0 or 1, got " + at.getI());
                        a.linearBeforeReset = at.getI() == 1;
                    }
                    default -> throw bad(n, what, "is unknown to rnn4j");
                }
            }
            if (a.hidden == -1) { // optional in the operator's definition: then R [D, G*H, H] says it
                TensorProto r = n.getInputCount() > 2 ? constants.get(n.getInput(2)) : null;
                if (r != null && r.getDimsCount() == 3) a.hidden = (int) Math.min(Integer.MAX_VALUE, r.getDims(2));
            }
            if (a.hidden <= 0) throw bad(n, "attribute hidden_size", a.hidden == -1 ? "is missing and R does not give it" : "must be positive, got " + a.hidden);
            List<String> expected;
            switch (op) {
                case "LSTM" -> {
                    a.cell = CellType.LSTM;
                    expected = List.of("Sigmoid", "Tanh", "Tanh");
                }
                case "GRU" -> {
                    a.cell = CellType.GRU;
                    if (!seen.contains("linear_before_reset")) a.linearBeforeReset = false; // the operator's default
                    expected = List.of("Sigmoid", "Tanh");
                }
                default -> {
                    boolean relu = activations != null && !activations.isEmpty() && activations.get(0).equals("Relu");
                    a.cell = relu ? CellType.RNN_RELU : CellType.RNN_TANH;
                    expected = List.of(relu ? "Relu" : "Tanh");
                }
            }
            if (activations != null) {
                List<String> all = new ArrayList<>();
                for (int d = 0; d < a.directions; d++) all.addAll(expected);
                // the spec's case is the operator's: Sigmoid, Tanh, Relu (exporters write them so)
                if (!activations.equals(all) && !activations.equals(expected)) {
                    throw bad(n, "attribute activations", activations + " is not computed by rnn4j; it computes " + all);
                }
            }
            return a;
        }
    }

    /** What a recurrent node's attributes say. */
    private static final class Attributes {
        int hidden = -1;
        int directions = 1;
        int layout;
        CellType cell;
        /** GRU: ONNX's linear_before_reset (default 0); true for the other ops. */
        boolean linearBeforeReset = true;
    }

    private static String name(NodeProto n) {
        return !n.getName().isEmpty() ? n.getName() : n.getOutputCount() > 0 ? n.getOutput(0) : "(unnamed " + n.getOpType() + ")";
    }

    /**
     * Copies the gate blocks of one direction from ONNX order to PyTorch's ({@code toOnnx = false}) or
     * back ({@code toOnnx = true}): block {@code b} of PyTorch is block {@code order[b]} of ONNX; each
     * block is {@code hidden} rows of {@code cols} floats.
     */
    private static void permute(float[] from, int fromOffset, int cols, int hidden, int[] order, float[] to, int toOffset,
            boolean toOnnx) {
        int block = hidden * cols;
        for (int b = 0; b < order.length; b++) {
            int src = toOnnx ? b : order[b];
            int dst = toOnnx ? order[b] : b;
            System.arraycopy(from, fromOffset + src * block, to, toOffset + dst * block, block);
        }
    }

    // ---- Export --------------------------------------------------------------------------------------

    /**
     * Writes {@code rnn} as an ONNX model (opset {@value #OPSET}) that ONNX Runtime runs.
     *
     * @param withStateInputs whether the model takes {@code sequence_lens}, {@code h0} (and {@code c0})
     *     as inputs besides {@code x}; without them it runs whole sequences from zero states
     * @throws IllegalArgumentException if the model has a projection (ONNX's LSTM has none) or a cell
     *     clip (ONNX's {@code clip} is another operation); dropout, for training only, is not exported
     */
    public static void exportRnn(Path path, Rnn rnn, boolean withStateInputs) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        ModelProto model = exportModel(rnn, withStateInputs);
        byte[] bytes = model.toByteArray();
        SafeTensors.replace(path, out -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) out.write(b);
        });
    }

    static ModelProto exportModel(Rnn rnn, boolean withStateInputs) {
        RnnSpec s = rnn.spec();
        if (s.projectionSize() > 0) {
            throw new IllegalArgumentException("projectionSize=" + s.projectionSize() + ": ONNX's LSTM has no projection, "
                    + "so this model cannot be exported (save it as safetensors instead)");
        }
        if (s.cellClip() > 0) {
            throw new IllegalArgumentException("cellClip=" + s.cellClip() + ": ONNX's LSTM clips the gates'"
                    + " pre-activations, not the cell state, so this model cannot be exported (save it as safetensors instead)");
        }
        String op = switch (s.cell()) {
            case LSTM -> "LSTM";
            case GRU -> "GRU";
            default -> "RNN";
        };
        int[] order = s.cell() == CellType.LSTM ? LSTM_ORDER : s.cell() == CellType.GRU ? GRU_ORDER : RNN_ORDER;
        int H = s.hiddenSize(), D = s.directions(), L = s.layers(), gh = s.gates() * H;
        boolean lstm = s.cell() == CellType.LSTM;
        float[] params = rnn.parameters();
        ParameterLayout pl = s.parameterLayout();
        GraphProto.Builder g = GraphProto.newBuilder().setName("rnn4j");
        g.addInput(valueInfo("x", TensorProto.DataType.FLOAT_VALUE,
                s.batchFirst() ? new Object[] {"N", "T", s.inputSize()} : new Object[] {"T", "N", s.inputSize()}));
        String x = "x";
        if (s.batchFirst()) {
            g.addNode(node("Transpose", "x_sequence_major", List.of("x"), List.of("x_tnc")).addAttribute(ints("perm", 1, 0, 2)));
            x = "x_tnc";
        }
        if (withStateInputs) {
            g.addInput(valueInfo("sequence_lens", TensorProto.DataType.INT32_VALUE, new Object[] {"N"}));
            g.addInput(valueInfo("h0", TensorProto.DataType.FLOAT_VALUE, new Object[] {L * D, "N", H}));
            if (lstm) g.addInput(valueInfo("c0", TensorProto.DataType.FLOAT_VALUE, new Object[] {L * D, "N", H}));
            if (L > 1) {
                g.addInitializer(int64s("state_split", new long[] {L}, repeat(D, L)));
                g.addNode(split("h0", L));
                if (lstm) g.addNode(split("c0", L));
            }
        }
        g.addInitializer(int64s("merge_directions", new long[] {3}, new long[] {0, 0, -1}));
        List<String> hN = new ArrayList<>(), cN = new ArrayList<>();
        for (int k = 0; k < L; k++) {
            int in = s.layerInputSize(k);
            float[] w = new float[D * gh * in], r = new float[D * gh * H], b = new float[D * 2 * gh];
            for (int d = 0; d < D; d++) {
                ParameterLayout.Entry ih = pl.find(ParameterLayout.Kind.WEIGHT_IH, k, d);
                ParameterLayout.Entry hh = pl.find(ParameterLayout.Kind.WEIGHT_HH, k, d);
                permute(params, ih.offset(), in, H, order, w, d * gh * in, true);
                permute(params, hh.offset(), H, H, order, r, d * gh * H, true);
                if (s.bias()) {
                    permute(params, pl.find(ParameterLayout.Kind.BIAS_IH, k, d).offset(), 1, H, order, b, d * 2 * gh, true);
                    permute(params, pl.find(ParameterLayout.Kind.BIAS_HH, k, d).offset(), 1, H, order, b, d * 2 * gh + gh, true);
                }
            }
            String p = "l" + k + "_";
            g.addInitializer(floats(p + "W", new long[] {D, gh, in}, w));
            g.addInitializer(floats(p + "R", new long[] {D, gh, H}, r));
            List<String> inputs = new ArrayList<>(List.of(x, p + "W", p + "R", s.bias() ? p + "B" : ""));
            if (s.bias()) g.addInitializer(floats(p + "B", new long[] {D, 2L * gh}, b));
            if (withStateInputs) {
                inputs.add("sequence_lens");
                inputs.add(L > 1 ? "h0_" + k : "h0");
                if (lstm) inputs.add(L > 1 ? "c0_" + k : "c0");
            }
            List<String> outputs = new ArrayList<>(List.of(p + "Y", p + "Y_h"));
            if (lstm) outputs.add(p + "Y_c");
            NodeProto.Builder n = node(op, op + "_" + k, inputs, outputs).addAttribute(int1("hidden_size", H));
            if (D == 2) n.addAttribute(string("direction", "bidirectional"));
            if (s.cell() == CellType.GRU) n.addAttribute(int1("linear_before_reset", s.linearBeforeReset() ? 1 : 0));
            if (s.cell() == CellType.RNN_RELU) n.addAttribute(strings("activations", D == 2 ? List.of("Relu", "Relu") : List.of("Relu")));
            g.addNode(n);
            // [T, D, N, H] -> [T, N, D, H] -> [T, N, D*H], as PyTorch glues its layers
            g.addNode(node("Transpose", p + "directions_last", List.of(p + "Y"), List.of(p + "Y_t")).addAttribute(ints("perm", 0, 2, 1, 3)));
            String y = k == L - 1 && !s.batchFirst() ? "y" : p + "out";
            g.addNode(node("Reshape", p + "merge", List.of(p + "Y_t", "merge_directions"), List.of(y)));
            x = y;
            hN.add(p + "Y_h");
            if (lstm) cN.add(p + "Y_c");
        }
        if (s.batchFirst()) {
            g.addNode(node("Transpose", "y_batch_first", List.of(x), List.of("y")).addAttribute(ints("perm", 1, 0, 2)));
        }
        g.addNode(node(L > 1 ? "Concat" : "Identity", "h_n", hN, List.of("h_n")).addAllAttribute(L > 1 ? List.of(int1("axis", 0)) : List.of()));
        if (lstm) g.addNode(node(L > 1 ? "Concat" : "Identity", "c_n", cN, List.of("c_n")).addAllAttribute(L > 1 ? List.of(int1("axis", 0)) : List.of()));
        int outputs = s.outputFeatures();
        g.addOutput(valueInfo("y", TensorProto.DataType.FLOAT_VALUE,
                s.batchFirst() ? new Object[] {"N", "T", outputs} : new Object[] {"T", "N", outputs}));
        g.addOutput(valueInfo("h_n", TensorProto.DataType.FLOAT_VALUE, new Object[] {L * D, "N", H}));
        if (lstm) g.addOutput(valueInfo("c_n", TensorProto.DataType.FLOAT_VALUE, new Object[] {L * D, "N", H}));
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("rnn4j").setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET)).build();
    }

    private static long[] repeat(long v, int n) {
        long[] a = new long[n];
        Arrays.fill(a, v);
        return a;
    }

    private static NodeProto.Builder split(String state, int layers) {
        List<String> outs = new ArrayList<>();
        for (int k = 0; k < layers; k++) outs.add(state + "_" + k);
        return node("Split", state + "_per_layer", List.of(state, "state_split"), outs).addAttribute(int1("axis", 0));
    }

    private static NodeProto.Builder node(String op, String name, List<String> inputs, List<String> outputs) {
        return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addAllOutput(outputs);
    }

    private static AttributeProto int1(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    private static AttributeProto string(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    private static AttributeProto strings(String name, List<String> v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRINGS);
        for (String x : v) a.addStrings(ByteString.copyFromUtf8(x));
        return a.build();
    }

    private static TensorProto floats(String name, long[] dims, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    private static TensorProto int64s(String name, long[] dims, long[] v) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE);
        for (long d : dims) t.addDims(d);
        for (long x : v) t.addInt64Data(x);
        return t.build();
    }

    /** A graph input or output: dims are ints or symbolic names. */
    private static ValueInfoProto valueInfo(String name, int type, Object[] dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Integer i) dim.setDimValue(i);
            else dim.setDimParam((String) d);
            shape.addDim(dim);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
    }
}
