package dev.rnn4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each parameter lives in the flat parameter buffer, in PyTorch's order and with PyTorch's
 * names, so weights move between PyTorch ({@code named_parameters()}) and rnn4j unchanged.
 *
 * <p>For each layer {@code k}, for the forward then the reverse direction (suffix
 * {@code _reverse}): {@code weight_ih_l{k}} {@code [G*H, I_k]}, {@code weight_hh_l{k}}
 * {@code [G*H, Ho]}, {@code bias_ih_l{k}} {@code [G*H]} and {@code bias_hh_l{k}} {@code [G*H]}
 * (with bias), {@code weight_hr_l{k}} {@code [P, H]} (with a projection). The gradient buffer has
 * the same layout. Immutable.
 */
public final class ParameterLayout {

    /** The role of a parameter tensor. */
    public enum Kind {
        /** {@code weight_ih}: input-to-hidden weights {@code [G*H, I_k]}. */
        WEIGHT_IH("weight_ih"),
        /** {@code weight_hh}: hidden-to-hidden weights {@code [G*H, Ho]}. */
        WEIGHT_HH("weight_hh"),
        /** {@code bias_ih}: input bias {@code [G*H]}. */
        BIAS_IH("bias_ih"),
        /** {@code bias_hh}: hidden bias {@code [G*H]}. */
        BIAS_HH("bias_hh"),
        /** {@code weight_hr}: LSTM projection {@code [P, H]}. */
        WEIGHT_HR("weight_hr");

        private final String prefix;

        Kind(String prefix) {
            this.prefix = prefix;
        }

        /** The PyTorch name prefix, e.g. {@code weight_ih}. */
        public String prefix() {
            return prefix;
        }
    }

    /**
     * One named parameter tensor: its place ({@code offset}, in floats) and shape
     * ({@code rows x cols}, row-major; a bias has {@code cols = 1}).
     */
    public static final class Entry {
        private final String name;
        private final Kind kind;
        private final int layer;
        private final int direction;
        private final int offset;
        private final int rows;
        private final int cols;

        Entry(Kind kind, int layer, int direction, int offset, int rows, int cols) {
            this.kind = kind;
            this.layer = layer;
            this.direction = direction;
            this.offset = offset;
            this.rows = rows;
            this.cols = cols;
            this.name = kind.prefix() + "_l" + layer + (direction == 1 ? "_reverse" : "");
        }

        /** PyTorch's name, e.g. {@code bias_hh_l1_reverse}. */
        public String name() {
            return name;
        }

        /** The role of this tensor. */
        public Kind kind() {
            return kind;
        }

        /** Layer index {@code k}. */
        public int layer() {
            return layer;
        }

        /** 0 for the forward direction, 1 for the reverse one. */
        public int direction() {
            return direction;
        }

        /** Start in the flat buffer, in floats. */
        public int offset() {
            return offset;
        }

        /** Number of rows (the length, for a bias). */
        public int rows() {
            return rows;
        }

        /** Number of columns (1 for a bias). */
        public int cols() {
            return cols;
        }

        /** Number of floats, {@code rows * cols}. */
        public int size() {
            return rows * cols;
        }

        /** PyTorch's shape: {@code [rows, cols]} for a matrix, {@code [rows]} for a bias. */
        public int[] shape() {
            return kind == Kind.BIAS_IH || kind == Kind.BIAS_HH ? new int[] {rows} : new int[] {rows, cols};
        }

        @Override
        public String toString() {
            return name + (cols == 1 && (kind == Kind.BIAS_IH || kind == Kind.BIAS_HH)
                    ? "[" + rows + "]" : "[" + rows + ", " + cols + "]") + " @" + offset;
        }
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byName;
    private final int size;

    ParameterLayout(RnnSpec spec) {
        double total = totalFloats(spec); // before any int arithmetic below can overflow
        if (total > RnnSpec.MAX_PARAMETERS) throw tooMany(spec, String.format("about %.4g", total));
        List<Entry> list = new ArrayList<>();
        long offset = 0;
        int gh = spec.gates() * spec.hiddenSize();
        for (int k = 0; k < spec.layers(); k++) {
            for (int d = 0; d < spec.directions(); d++) {
                int inputK = k == 0 ? spec.inputSize() : spec.directions() * spec.outputSize();
                offset = add(list, new Entry(Kind.WEIGHT_IH, k, d, checked(offset, spec), gh, inputK), offset, spec);
                offset = add(list, new Entry(Kind.WEIGHT_HH, k, d, checked(offset, spec), gh, spec.outputSize()), offset, spec);
                if (spec.bias()) {
                    offset = add(list, new Entry(Kind.BIAS_IH, k, d, checked(offset, spec), gh, 1), offset, spec);
                    offset = add(list, new Entry(Kind.BIAS_HH, k, d, checked(offset, spec), gh, 1), offset, spec);
                }
                if (spec.projectionSize() > 0) {
                    offset = add(list, new Entry(Kind.WEIGHT_HR, k, d, checked(offset, spec),
                            spec.projectionSize(), spec.hiddenSize()), offset, spec);
                }
            }
        }
        this.size = checked(offset, spec);
        this.entries = Collections.unmodifiableList(list);
        Map<String, Entry> map = new LinkedHashMap<>();
        for (Entry e : list) map.put(e.name(), e);
        this.byName = Collections.unmodifiableMap(map);
    }

    /**
     * The parameter count, computed in double so that no product can overflow (the sizes are up to
     * 2^31 each): only used to reject specs whose count exceeds an int, where rounding cannot matter.
     */
    private static double totalFloats(RnnSpec spec) {
        double gh = (double) spec.gates() * spec.hiddenSize();
        double rest = gh * spec.outputSize() + (spec.bias() ? 2 * gh : 0) + (double) spec.projectionSize() * spec.hiddenSize();
        double first = gh * spec.inputSize() + rest;
        double above = gh * ((double) spec.directions() * spec.outputSize()) + rest; // every layer k >= 1 alike
        return spec.directions() * (first + (spec.layers() - 1.0) * above);
    }

    private static long add(List<Entry> list, Entry e, long offset, RnnSpec spec) {
        list.add(e);
        return offset + (long) e.rows() * e.cols();
    }

    private static int checked(long floats, RnnSpec spec) {
        if (floats > RnnSpec.MAX_PARAMETERS) throw tooMany(spec, String.format("%,d", floats));
        return (int) floats;
    }

    private static IllegalArgumentException tooMany(RnnSpec spec, String floats) {
        return new IllegalArgumentException(String.format("the parameters of %s need %s floats, more than the limit of"
                + " %,d parameter floats (2 GiB of fp32, the largest buffer a backend can hand to Java)", spec, floats,
                RnnSpec.MAX_PARAMETERS));
    }

    /** All entries in buffer order. */
    public List<Entry> entries() {
        return entries;
    }

    /** Total number of floats. */
    public int size() {
        return size;
    }

    /**
     * The entry named {@code name}.
     *
     * @throws IllegalArgumentException if there is no such parameter; the message lists the valid names
     */
    public Entry entry(String name) {
        Entry e = byName.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no parameter named '" + name + "'; the parameters are " + byName.keySet());
        }
        return e;
    }

    /** The entry of the given kind, layer and direction (0 forward, 1 reverse), or null if it does not exist. */
    public Entry find(Kind kind, int layer, int direction) {
        return byName.get(kind.prefix() + "_l" + layer + (direction == 1 ? "_reverse" : ""));
    }

    /** Whether a parameter with this name exists. */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }
}
