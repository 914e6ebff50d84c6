package dev.rnn4j.reliability;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.TensorAssert;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * One training step (seeded parameters, forward in training mode, one or two backward calls) as a
 * value: the random cases of the property tests, the work of the memory and concurrency tests, and
 * the bitwise comparison of two results.
 */
final class Workload {
    private Workload() {}

    /** The backends usable in this process (JAVA always; CPU when the native library loads). */
    static List<Backend> available() {
        List<Backend> list = new ArrayList<>();
        for (Backend b : Backend.values()) if (b.isAvailable()) list.add(b);
        return list;
    }

    /** The native backends usable here (empty when no native library loads). */
    static List<Backend> nativeBackends() {
        List<Backend> list = available();
        list.remove(Backend.JAVA);
        return list;
    }

    /**
     * A training step: spec, steps T, batch N, lengths (or null), a seed for parameters and data,
     * whether h0/c0 and upstream gradients are given, whether direct buffers are used, and the number
     * of backward calls (gradients accumulate).
     */
    record Case(RnnSpec spec, int steps, int size, int[] lengths, long seed, boolean states, boolean upstream,
            boolean direct, int backwards) {
        Batch batch() {
            return lengths == null ? Batch.of(steps, size) : Batch.ofLengths(steps, lengths);
        }

        int x() {
            return steps * size * spec.inputSize();
        }

        int y() {
            return steps * size * spec.outputFeatures();
        }

        int h() {
            return spec.stateRows() * size * spec.outputSize();
        }

        int c() {
            return spec.cell().hasCellState() ? spec.stateRows() * size * spec.hiddenSize() : 0;
        }

        /** The inputs of the step, from the seed: x, h0, c0, dy, dhN, dcN (null where absent). */
        float[][] data() {
            SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
            float[] x = random(r, x());
            float[] h0 = states ? random(r, h()) : null;
            float[] c0 = states && c() > 0 ? random(r, c()) : null;
            float[] dy = upstream ? random(r, y()) : null;
            float[] dhN = upstream ? random(r, h()) : null;
            float[] dcN = upstream && c() > 0 ? random(r, c()) : null;
            return new float[][] {x, h0, c0, dy, dhN, dcN};
        }

        @Override
        public String toString() {
            return spec + " T=" + steps + " N=" + size + (lengths == null ? "" : " lengths=" + Arrays.toString(lengths))
                    + " seed=" + seed + (states ? " states" : "") + (upstream ? " upstream" : "")
                    + (direct ? " direct" : " arrays") + " backwards=" + backwards;
        }
    }

    /** Every output of a training step. */
    record Result(float[] y, float[] hN, float[] cN, float[] dx, float[] dh0, float[] dc0, float[] grads) {
        float[][] all() {
            return new float[][] {y, hN, cN, dx, dh0, dc0, grads};
        }

        static final String[] NAMES = {"y", "hN", "cN", "dx", "dh0", "dc0", "gradients"};

        /** Null if bitwise equal (NaN patterns included), else where the first difference is. */
        String bitwiseDifference(Result o) {
            float[][] a = all(), b = o.all();
            for (int t = 0; t < a.length; t++) {
                if (a[t] == null && b[t] == null) continue;
                if (a[t] == null || b[t] == null) return NAMES[t] + ": one is null";
                if (a[t].length != b[t].length) return NAMES[t] + ": lengths " + a[t].length + " != " + b[t].length;
                for (int i = 0; i < a[t].length; i++) {
                    if (Float.floatToRawIntBits(a[t][i]) != Float.floatToRawIntBits(b[t][i])) {
                        return NAMES[t] + "[" + i + "]: " + a[t][i] + " != " + b[t][i];
                    }
                }
            }
            return null;
        }

        /** Element-by-element within docs/DESIGN.md §6's tolerance of the reference. */
        void assertCloseTo(Result ref, String what) {
            float[][] a = all(), b = ref.all();
            for (int t = 0; t < a.length; t++) TensorAssert.assertClose(what + " " + NAMES[t], a[t], b[t]);
        }
    }

    /** Output buffers given to a call that must fail hold this value, which must survive it. */
    static final float SENTINEL = -12345.678f;

    static float[] sentinel(int n) {
        float[] a = new float[n];
        Arrays.fill(a, SENTINEL);
        return a;
    }

    static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    /** A direct, native-order buffer holding {@code a} from position {@code pad} (a null stays null). */
    static FloatBuffer direct(float[] a, int pad) {
        if (a == null) return null;
        FloatBuffer b = ByteBuffer.allocateDirect(4 * (a.length + pad + 2)).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.position(pad);
        b.put(a);
        b.position(pad);
        b.limit(pad + a.length);
        return b;
    }

    static FloatBuffer directZeros(int n, int pad) {
        return n == 0 ? null : direct(new float[n], pad);
    }

    static float[] read(FloatBuffer b) {
        if (b == null) return null;
        float[] a = new float[b.remaining()];
        b.get(b.position(), a);
        return a;
    }

    /** Runs the case on a fresh Rnn of the backend. */
    static Result run(Backend backend, Case c) {
        try (Rnn rnn = Rnn.create(c.spec(), backend)) {
            return run(rnn, c);
        }
    }

    /** Runs the case on {@code rnn}: seeded parameters, zero gradients, forward, backward(s). */
    static Result run(Rnn rnn, Case c) {
        rnn.initialize(c.seed());
        rnn.zeroGradients();
        float[][] d = c.data();
        Batch batch = c.batch();
        boolean lstm = c.spec().cell().hasCellState();
        if (!c.direct()) {
            var f = rnn.forward(Mode.TRAINING, batch, d[0], d[1], d[2]);
            dev.rnn4j.BackwardResult b = null;
            for (int i = 0; i < c.backwards(); i++) b = rnn.backward(d[3], d[4], d[5]);
            return new Result(f.y(), f.hN(), f.cN(), b.dx(), b.dh0(), b.dc0(), rnn.gradients());
        }
        int pad = (int) Math.floorMod(c.seed(), 5L);
        FloatBuffer y = directZeros(c.y(), pad), hN = directZeros(c.h(), pad), cN = lstm ? directZeros(c.c(), pad) : null;
        rnn.forward(Mode.TRAINING, batch, direct(d[0], pad), direct(d[1], pad), direct(d[2], pad), y, hN, cN);
        FloatBuffer dx = directZeros(c.x(), pad), dh0 = directZeros(c.h(), pad), dc0 = lstm ? directZeros(c.c(), pad) : null;
        for (int i = 0; i < c.backwards(); i++) {
            rnn.backward(direct(d[3], pad), direct(d[4], pad), direct(d[5], pad), dx, dh0, dc0);
        }
        return new Result(read(y), read(hN), read(cN), read(dx), read(dh0), read(dc0), rnn.gradients());
    }

    // ---- Generators ------------------------------------------------------------------------------

    /** Valid specs: every cell, I and H in 1..maxSize, 1..3 layers, projections, both layouts. */
    static Arbitrary<RnnSpec> specs(int maxSize) {
        return Combinators.combine(Arbitraries.of(CellType.class), Arbitraries.integers().between(1, maxSize),
                Arbitraries.integers().between(1, maxSize), Arbitraries.integers().between(1, 3),
                Arbitraries.of(true, false), Arbitraries.of(true, false), Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 7)).as((cell, i, h, layers, bi, bias, bf, proj) -> {
                    int p = cell == CellType.LSTM && h > 1 && proj >= 4 ? 1 + proj % (h - 1) : 0;
                    return RnnSpec.builder(cell, i, h).layers(layers).bidirectional(bi).bias(bias).batchFirst(bf)
                            .projectionSize(p).build();
                });
    }

    /** Valid training steps over {@link #specs}: T in 1..maxSteps, N in 1..maxBatch, lengths often. */
    static Arbitrary<Case> cases(int maxSize, int maxSteps, int maxBatch) {
        return specs(maxSize).flatMap(spec -> Combinators.combine(Arbitraries.integers().between(1, maxSteps),
                Arbitraries.integers().between(1, maxBatch), Arbitraries.longs(), Arbitraries.integers().between(0, 31))
                .as((t, n, seed, flags) -> {
                    int[] lengths = null;
                    if ((flags & 1) != 0) {
                        SplittableRandom r = new SplittableRandom(seed);
                        lengths = new int[n];
                        for (int b = 0; b < n; b++) lengths[b] = 1 + r.nextInt(t);
                    }
                    return new Case(spec, t, n, lengths, seed, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0,
                            1 + (flags >> 4 & 1));
                }));
    }
}
