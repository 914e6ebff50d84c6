package dev.rnn4j.cli;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.BackwardResult;
import dev.rnn4j.CellType;
import dev.rnn4j.ForwardResult;
import dev.rnn4j.Mode;
import dev.rnn4j.ParameterLayout;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.Tolerance;
import dev.rnn4j.reference.ReferenceRnn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The logic of {@code rnn4j check}: runs a backend and the double-precision reference on the same
 * random problem and compares every output and gradient, element by element, with the tolerance
 * of docs/DESIGN.md §6: {@code |got - ref| <= RTOL*|ref| + ATOL*max(max|ref|, 1e-3)} per tensor; and
 * checks the reference's own gradients against central finite differences.
 */
final class CrossCheck {
    static final double RTOL = Tolerance.RTOL;
    static final double ATOL = Tolerance.ATOL;
    /** Finite differences of the double reference: step and tolerance (relative to max(1, |fd|)). */
    static final double FD_EPS = 1e-6;
    static final double FD_TOL = 1e-6;

    enum Level { QUICK, STANDARD, FULL }

    /** One problem: a spec, a batch, and a label for what it is there to cover. */
    record Config(String tag, RnnSpec spec, Batch batch) {
        String describe() {
            StringBuilder s = new StringBuilder();
            s.append(Text.f("%-8s %-3s L%d I=%-3d H=%-3d", spec.cell(), spec.bidirectional() ? "bi" : "uni", spec.layers(),
                    spec.inputSize(), spec.hiddenSize()));
            s.append(spec.projectionSize() > 0 ? Text.f(" P=%-2d", spec.projectionSize()) : "     ");
            s.append(Text.f(" T=%-3d N=%-2d", batch.steps(), batch.size()));
            if (batch.hasLengths()) s.append(" len=").append(Arrays.toString(batch.lengths()).replace(" ", ""));
            if (!spec.bias()) s.append(" no-bias");
            if (spec.batchFirst()) s.append(" batch-first");
            if (!spec.linearBeforeReset()) s.append(" reset-before");
            if (spec.cellClip() > 0) s.append(" cell-clip=").append(spec.cellClip());
            if (spec.projectionClip() > 0) s.append(" proj-clip=").append(spec.projectionClip());
            if (spec.dropout() > 0) s.append(" dropout=").append(spec.dropout());
            if (!tag.isEmpty()) s.append(" (").append(tag).append(')');
            return s.toString().replaceAll("\\s+$", "");
        }
    }

    /** The worst element of one tensor's comparison. {@code ratio} > 1 fails; NaN counts as infinite. */
    record TensorResult(String name, int size, double ratio, double maxAbsError, int index, double got, double ref) {
        boolean passed() {
            return ratio <= 1.0;
        }
    }

    /** One backend on one config (or the reference against finite differences: backend "FD"). */
    record Result(Config config, String backend, List<TensorResult> tensors, String error, double seconds) {
        boolean passed() {
            if (error != null) return false;
            for (TensorResult t : tensors) if (!t.passed()) return false;
            return true;
        }

        /** The worst tensor (highest ratio), or null if there are none. */
        TensorResult worst() {
            TensorResult w = null;
            for (TensorResult t : tensors) if (w == null || !(t.ratio() <= w.ratio())) w = t;
            return w;
        }

        /** The worst over the parameter gradients ("grad ..."), or null. */
        TensorResult worstParameterGradient() {
            TensorResult w = null;
            for (TensorResult t : tensors) {
                if (t.name().startsWith("grad ") && (w == null || !(t.ratio() <= w.ratio()))) w = t;
            }
            return w;
        }

        TensorResult tensor(String name) {
            for (TensorResult t : tensors) if (t.name().equals(name)) return t;
            return null;
        }
    }

    /** Changes a backend's result before it is compared: a test hook, and {@code --inject-fault}. */
    interface Fault {
        void apply(String backend, String tensor, float[] values);
    }

    private CrossCheck() {}

    // ---- The grid ----------------------------------------------------------------------------

    static List<Config> grid(Level level) {
        List<Config> list = new ArrayList<>();
        if (level == Level.QUICK) {
            for (CellType cell : CellType.values()) {
                list.add(new Config("", spec(cell, 5, 6).build(), Batch.of(5, 3)));
                list.add(new Config("", spec(cell, 5, 6).bidirectional(true).layers(2).build(), Batch.ofLengths(5, 4, 2, 4)));
                list.add(new Config("T=1 N=1", spec(cell, 7, 13).layers(3).build(), Batch.of(1, 1)));
                list.add(new Config("odd sizes", spec(cell, 7, 13).bidirectional(true).layers(3).build(),
                        Batch.ofLengths(9, 9, 1, 4, 9, 7)));
                list.add(new Config("", spec(cell, 4, 5).bias(false).batchFirst(true).build(), Batch.of(4, 3)));
            }
            list.add(new Config("projection", spec(CellType.LSTM, 5, 6).projectionSize(3).bidirectional(true).layers(2).build(),
                    Batch.ofLengths(5, 4, 2, 4)));
            list.addAll(cellOptions(Level.QUICK));
            return list;
        }
        for (CellType cell : CellType.values()) {
            for (boolean bi : new boolean[] {false, true}) {
                for (int layers = 1; layers <= 3; layers++) {
                    RnnSpec s = spec(cell, 5, 6).bidirectional(bi).layers(layers).build();
                    list.add(new Config("", s, Batch.of(5, 3)));
                    list.add(new Config("", s, Batch.ofLengths(5, 4, 2, 4)));  // unsorted, a tie, max(L) < T
                }
            }
        }
        for (boolean bi : new boolean[] {false, true}) {
            RnnSpec p = spec(CellType.LSTM, 5, 6).projectionSize(3).bidirectional(bi).layers(2).build();
            list.add(new Config("projection", p, Batch.of(5, 3)));
            list.add(new Config("projection", p, Batch.ofLengths(5, 4, 2, 4)));
        }
        for (CellType cell : CellType.values()) {
            list.add(new Config("T=1", spec(cell, 5, 6).bidirectional(true).layers(2).build(), Batch.of(1, 3)));
            list.add(new Config("N=1", spec(cell, 5, 6).bidirectional(true).layers(2).build(), Batch.of(6, 1)));
            list.add(new Config("odd sizes", spec(cell, 7, 13).build(), Batch.of(9, 5)));
            list.add(new Config("H=1", spec(cell, 3, 1).layers(2).build(), Batch.of(4, 2)));
            list.add(new Config("", spec(cell, 4, 5).bias(false).build(), Batch.of(4, 3)));
            list.add(new Config("", spec(cell, 4, 5).batchFirst(true).bidirectional(true).build(), Batch.ofLengths(5, 4, 2, 5)));
        }
        list.addAll(cellOptions(level));
        if (level == Level.FULL) {
            for (CellType cell : CellType.values()) {
                list.add(new Config("long T", spec(cell, 8, 16).build(), Batch.of(200, 3)));
                list.add(new Config("long T", spec(cell, 8, 16).bidirectional(true).build(), Batch.ofLengths(200, 200, 77, 150)));
                list.add(new Config("larger", spec(cell, 64, 128).layers(2).bidirectional(true).build(), Batch.of(20, 16)));
                list.add(new Config("larger", spec(cell, 96, 200).build(), Batch.ofLengths(30, 17, 30, 3, 29, 30, 12, 30, 1, 30, 25,
                        30, 8, 30, 30, 30, 19, 2)));
            }
            list.add(new Config("projection, larger", spec(CellType.LSTM, 64, 128).projectionSize(48).layers(2)
                    .bidirectional(true).build(), Batch.ofLengths(25, 25, 3, 17, 25, 9, 25, 1, 20)));
        }
        return list;
    }

    /**
     * The cell options (GRU reset-before, LSTM cell and projection clips, dropout between layers),
     * bidirectional and stacked, with variable lengths; more sizes above QUICK. The clips are small
     * enough that many elements clamp.
     */
    static List<Config> cellOptions(Level level) {
        List<Config> list = new ArrayList<>();
        Batch lengths = Batch.ofLengths(5, 4, 2, 4);
        list.add(new Config("option", spec(CellType.GRU, 5, 6).linearBeforeReset(false).bidirectional(true).layers(2).build(),
                lengths));
        list.add(new Config("option", spec(CellType.LSTM, 5, 6).cellClip(0.25f).bidirectional(true).layers(2).build(), lengths));
        list.add(new Config("option", spec(CellType.LSTM, 5, 6).projectionSize(3).cellClip(0.25f).projectionClip(0.15f)
                .bidirectional(true).layers(2).build(), lengths));
        for (CellType cell : level == Level.QUICK ? new CellType[] {CellType.LSTM} : CellType.values()) {
            list.add(new Config("option", spec(cell, 5, 6).dropout(0.3f).bidirectional(true).layers(3).build(), lengths));
        }
        if (level != Level.QUICK) {
            list.add(new Config("option", spec(CellType.GRU, 7, 13).linearBeforeReset(false).build(), Batch.of(9, 5)));
            list.add(new Config("option, larger batch", spec(CellType.GRU, 16, 24).linearBeforeReset(false).build(),
                    Batch.ofLengths(6, 6, 1, 3, 6, 5, 6, 2, 6, 6, 4, 6, 6, 6, 6, 6, 6, 6, 6)));
            list.add(new Config("option, larger batch", spec(CellType.LSTM, 16, 24).cellClip(0.3f).dropout(0.5f).layers(2)
                    .build(), Batch.of(6, 20)));
        }
        return list;
    }

    /** Small configurations on which the reference is checked against finite differences. */
    static List<Config> finiteDifferenceGrid(Level level) {
        List<Config> list = new ArrayList<>();
        if (level == Level.QUICK) {
            list.add(new Config("", spec(CellType.LSTM, 3, 4).bidirectional(true).build(), Batch.ofLengths(4, 3, 2, 3)));
            list.add(new Config("", spec(CellType.GRU, 3, 4).layers(2).build(), Batch.of(3, 2)));
            return list;
        }
        for (CellType cell : CellType.values()) {
            list.add(new Config("", spec(cell, 3, 4).bidirectional(true).layers(2).build(), Batch.ofLengths(4, 3, 2, 3)));
        }
        list.add(new Config("projection", spec(CellType.LSTM, 3, 4).projectionSize(2).bidirectional(true).build(),
                Batch.ofLengths(4, 3, 4)));
        list.add(new Config("option", spec(CellType.GRU, 3, 4).linearBeforeReset(false).bidirectional(true).layers(2).build(),
                Batch.ofLengths(4, 3, 2, 3)));
        list.add(new Config("option", spec(CellType.LSTM, 3, 4).projectionSize(2).cellClip(0.3f).projectionClip(0.1f)
                .layers(2).build(), Batch.ofLengths(4, 3, 4)));
        list.add(new Config("option", spec(CellType.RNN_TANH, 3, 4).dropout(0.4f).layers(3).bidirectional(true).build(),
                Batch.ofLengths(4, 3, 2, 3)));
        return list;
    }

    /** The dropout masks of a config's training forward under {@code dropoutSeed}, for the reference; null if none. */
    static ReferenceRnn.DropoutMask mask(RnnSpec spec, long dropoutSeed) {
        return spec.dropout() > 0 && spec.layers() > 1 ? ReferenceRnn.DropoutMask.philox(dropoutSeed, spec.dropout()) : null;
    }

    private static RnnSpec.Builder spec(CellType cell, int i, int h) {
        return RnnSpec.builder(cell, i, h);
    }

    // ---- One check ---------------------------------------------------------------------------

    /** Random inputs, states and upstream gradients for a config, from a seed. */
    static final class Problem {
        final float[] x, h0, c0, dy, dhN, dcN;
        final int T, N;

        Problem(Config c, long seed) {
            RnnSpec s = c.spec();
            T = c.batch().steps();
            N = c.batch().size();
            SplittableRandom r = new SplittableRandom(seed);
            int states = s.stateRows() * N;
            x = uniform(r, T * N * s.inputSize());
            h0 = uniform(r, states * s.outputSize());
            c0 = s.cell().hasCellState() ? uniform(r, states * s.hiddenSize()) : null;
            dy = uniform(r, T * N * s.outputFeatures());
            dhN = uniform(r, states * s.outputSize());
            dcN = s.cell().hasCellState() ? uniform(r, states * s.hiddenSize()) : null;
        }

        private static float[] uniform(SplittableRandom r, int n) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
            return a;
        }
    }

    static long seedFor(Config c, long seed) {
        return seed * 1_000_003L + c.describe().hashCode();
    }

    /**
     * Runs {@code backend} on the config (training forward and one backward with random non-zero
     * initial states and upstream gradients) and compares y, hN, cN, dx, dh0, dc0 and every
     * parameter gradient with the reference.
     */
    static Result check(Config c, Backend backend, long seed, Fault fault) {
        long start = System.nanoTime();
        RnnSpec spec = c.spec();
        Problem p = new Problem(c, seedFor(c, seed));
        float[] params;
        ForwardResult out;
        BackwardResult back;
        float[] grads;
        try (Rnn rnn = Rnn.create(spec, backend)) {
            rnn.initialize(seedFor(c, seed) + 1);
            params = rnn.parameters();
            out = rnn.forward(Mode.TRAINING, c.batch(), p.x, p.h0, p.c0, seedFor(c, seed) + 3);
            back = rnn.backward(p.dy, p.dhN, p.dcN);
            grads = rnn.gradients();
        } catch (RuntimeException | Error e) {
            return new Result(c, backend.name(), List.of(), e.toString(), (System.nanoTime() - start) / 1e9);
        }
        ReferenceRnn ref = new ReferenceRnn(spec);
        double[] dp = toDouble(params);
        ReferenceRnn.Trace tr = ref.forward(dp, toDouble(p.x), p.T, p.N, c.batch().lengths(), toDouble(p.h0), toDouble(p.c0),
                mask(spec, seedFor(c, seed) + 3));
        double[] refGrads = new double[spec.parameterCount()];
        ReferenceRnn.Gradients g = ref.backward(dp, tr, toDouble(p.dy), toDouble(p.dhN), toDouble(p.dcN), refGrads);

        List<TensorResult> list = new ArrayList<>();
        String b = backend.name();
        list.add(compare("y", faulty(fault, b, "y", out.y()), tr.y()));
        list.add(compare("hN", faulty(fault, b, "hN", out.hN()), tr.hN()));
        if (spec.cell().hasCellState()) list.add(compare("cN", faulty(fault, b, "cN", out.cN()), tr.cN()));
        list.add(compare("dx", faulty(fault, b, "dx", back.dx()), g.dx()));
        list.add(compare("dh0", faulty(fault, b, "dh0", back.dh0()), g.dh0()));
        if (spec.cell().hasCellState()) list.add(compare("dc0", faulty(fault, b, "dc0", back.dc0()), g.dc0()));
        for (ParameterLayout.Entry e : spec.parameterLayout().entries()) {
            float[] got = Arrays.copyOfRange(grads, e.offset(), e.offset() + e.size());
            double[] want = Arrays.copyOfRange(refGrads, e.offset(), e.offset() + e.size());
            list.add(compare("grad " + e.name(), faulty(fault, b, e.name(), got), want));
        }
        return new Result(c, b, list, null, (System.nanoTime() - start) / 1e9);
    }

    private static float[] faulty(Fault fault, String backend, String tensor, float[] values) {
        if (fault != null && values != null) fault.apply(backend, tensor, values);
        return values;
    }

    /** The worst element of {@code got} against {@code ref} under the tolerance. */
    static TensorResult compare(String name, float[] got, double[] ref) {
        if (got.length != ref.length) {
            return new TensorResult(name + " (length " + got.length + " != " + ref.length + ")", got.length,
                    Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, -1, Double.NaN, Double.NaN);
        }
        double maxRef = 0;
        for (double r : ref) maxRef = Math.max(maxRef, Math.abs(r));
        double scale = Tolerance.absolute(maxRef);
        double worst = -1, maxAbs = 0;
        int at = -1;
        for (int i = 0; i < got.length; i++) {
            double diff = Math.abs(got[i] - ref[i]);
            double ratio = Tolerance.ratio(got[i], ref[i], scale);
            if (Double.isNaN(diff)) diff = Double.POSITIVE_INFINITY;
            maxAbs = Math.max(maxAbs, diff);
            if (ratio > worst) {
                worst = ratio;
                at = i;
            }
        }
        if (at < 0) return new TensorResult(name, 0, 0, 0, -1, 0, 0);
        return new TensorResult(name, got.length, worst, maxAbs, at, got[at], ref[at]);
    }

    /**
     * Checks the reference's dx, dh0, dc0 and every parameter gradient against central finite
     * differences of its own forward pass, in double precision.
     */
    static Result finiteDifference(Config c, long seed) {
        long start = System.nanoTime();
        RnnSpec spec = c.spec();
        Problem p = new Problem(c, seedFor(c, seed));
        double[] params = new double[spec.parameterCount()];
        SplittableRandom r = new SplittableRandom(seedFor(c, seed) + 2);
        double bound = 1 / Math.sqrt(spec.hiddenSize());
        for (int i = 0; i < params.length; i++) params[i] = (r.nextDouble() * 2 - 1) * bound;
        ReferenceRnn ref = new ReferenceRnn(spec);
        int[] lengths = c.batch().lengths();
        double[] x = toDouble(p.x), h0 = toDouble(p.h0), c0 = toDouble(p.c0);
        double[] dy = toDouble(p.dy), dhN = toDouble(p.dhN), dcN = toDouble(p.dcN);
        ReferenceRnn.DropoutMask mask = mask(spec, seedFor(c, seed) + 3);
        ReferenceRnn.Trace tr = ref.forward(params, x, p.T, p.N, lengths, h0, c0, mask);
        double[] grads = new double[params.length];
        ReferenceRnn.Gradients g = ref.backward(params, tr, dy, dhN, dcN, grads);
        java.util.function.Supplier<Double> loss = () -> {
            ReferenceRnn.Trace t = ref.forward(params, x, p.T, p.N, lengths, h0, c0, mask);
            return dot(t.y(), dy) + dot(t.hN(), dhN) + (t.cN() == null ? 0 : dot(t.cN(), dcN));
        };
        List<TensorResult> list = new ArrayList<>();
        list.add(fd("dx", x, g.dx(), loss));
        list.add(fd("dh0", h0, g.dh0(), loss));
        if (c0 != null) list.add(fd("dc0", c0, g.dc0(), loss));
        list.add(fd("grad (all parameters)", params, grads, loss));
        return new Result(c, "FD", list, null, (System.nanoTime() - start) / 1e9);
    }

    private static TensorResult fd(String name, double[] v, double[] analytic, java.util.function.Supplier<Double> loss) {
        double worst = -1, maxAbs = 0, gotAt = 0, refAt = 0;
        int at = -1;
        for (int i = 0; i < v.length; i++) {
            double saved = v[i];
            v[i] = saved + FD_EPS;
            double up = loss.get();
            v[i] = saved - FD_EPS;
            double down = loss.get();
            v[i] = saved;
            double numeric = (up - down) / (2 * FD_EPS);
            double diff = Math.abs(numeric - analytic[i]);
            double ratio = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / (FD_TOL * Math.max(1, Math.abs(numeric)));
            maxAbs = Math.max(maxAbs, Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff);
            if (ratio > worst) {
                worst = ratio;
                at = i;
                gotAt = analytic[i];
                refAt = numeric;
            }
        }
        return new TensorResult(name, v.length, Math.max(0, worst), maxAbs, at, gotAt, refAt);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double[] toDouble(float[] a) {
        if (a == null) return null;
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
