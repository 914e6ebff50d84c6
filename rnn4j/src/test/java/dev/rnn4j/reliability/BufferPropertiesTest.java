package dev.rnn4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.RnnStream;
import dev.rnn4j.reliability.Workload.Case;
import dev.rnn4j.reliability.Workload.Result;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the buffers a call is given, on every available backend:
 *
 * <ul>
 *   <li>Oversized outputs (leading offset, trailing room, all carved from one shared heap or direct
 *       memory) get exactly the results of a plain call, and not one float outside their tensors
 *       changes.
 *   <li>Outputs made to overlap another tensor through views ({@code duplicate()}, slices, offsets)
 *       are rejected with both names, nothing is written, and the {@code Rnn} stays usable.
 *   <li>A stream used from two threads: the reader's calls either fail fast or see a state that the
 *       writer's sequence actually went through (never a torn one), and the writer's outputs are
 *       bitwise those of the same steps alone.
 * </ul>
 */
class BufferPropertiesTest {
    private static final float SENTINEL = Workload.SENTINEL;

    @Provide
    Arbitrary<Case> cases() {
        return Workload.cases(6, 5, 3);
    }

    // ---- Oversized outputs ---------------------------------------------------------------------

    @Property(tries = 120, shrinking = ShrinkingMode.BOUNDED)
    void oversizedOutputsGetExactlyTheirTensors(@ForAll("cases") Case c, @ForAll boolean direct,
            @ForAll @IntRange(min = 0, max = 3) int lead, @ForAll @IntRange(min = 0, max = 9) int room) {
        for (Backend backend : Workload.available()) {
            Result expected = Workload.run(backend, c);
            boolean lstm = c.spec().cell().hasCellState();
            int[] sizes = {c.y(), c.h(), lstm ? c.c() : 0, c.x(), c.h(), lstm ? c.c() : 0};
            // One memory for all six outputs: [lead][tensor][room] each, sentinel everywhere.
            int stride = 0;
            for (int n : sizes) stride = Math.max(stride, lead + n + room);
            FloatBuffer memory = allocate(direct, 6 * stride);
            for (int i = 0; i < memory.capacity(); i++) memory.put(i, SENTINEL);
            FloatBuffer[] out = new FloatBuffer[6];
            for (int k = 0; k < 6; k++) {
                out[k] = sizes[k] == 0 ? null : memory.duplicate().position(k * stride + lead).limit((k + 1) * stride);
            }
            float[][] d = c.data();
            try (Rnn rnn = Rnn.create(c.spec(), backend)) {
                rnn.initialize(c.seed());
                rnn.forward(Mode.TRAINING, c.batch(), wrap(d[0]), wrap(d[1]), wrap(d[2]), out[0], out[1], out[2]);
                for (int i = 0; i < c.backwards(); i++) {
                    rnn.backward(wrap(d[3]), wrap(d[4]), wrap(d[5]), out[3], out[4], out[5]);
                }
                Result got = new Result(head(out[0], sizes[0]), head(out[1], sizes[1]), head(out[2], sizes[2]),
                        head(out[3], sizes[3]), head(out[4], sizes[4]), head(out[5], sizes[5]), rnn.gradients());
                assertNull(got.bitwiseDifference(expected), () -> backend + " " + c);
            }
            for (int k = 0; k < 6; k++) {
                for (int i = k * stride; i < (k + 1) * stride; i++) {
                    int at = i - k * stride - lead;
                    if (at >= 0 && at < sizes[k]) continue;
                    assertEquals(SENTINEL, memory.get(i), backend + " " + Result.NAMES[k] + ": float " + at
                            + " outside its tensor of " + sizes[k] + " changed; " + c);
                }
            }
        }
    }

    // ---- Outputs aliased through views ---------------------------------------------------------

    /** The tensors of one call, in the order the generator picks them. */
    private static final String[] FORWARD = {"x", "h0", "c0", "y", "hN", "cN"};

    @Property(tries = 150, shrinking = ShrinkingMode.BOUNDED)
    void outputsOverlappingAnotherTensorThroughViewsAreRejected(@ForAll("cases") Case c, @ForAll boolean direct,
            @ForAll @IntRange(min = 3, max = 5) int output, @ForAll @IntRange(min = 0, max = 5) int other,
            @ForAll @IntRange(min = 0, max = 1 << 16) int pick) {
        boolean lstm = c.spec().cell().hasCellState();
        if (!lstm && (output == 5 || other == 2 || other == 5)) return; // no cell state: nothing to alias
        if (other == output) other = output == 3 ? 0 : 3;
        int[] sizes = {c.x(), c.h(), lstm ? c.c() : 0, c.y(), c.h(), lstm ? c.c() : 0};
        // The output starts inside the other tensor (or the other inside the output), through a view.
        int shift = pick % Math.max(1, Math.min(sizes[output], sizes[other]));
        boolean inPlaceState = output == 4 && other == 1 || output == 5 && other == 2;
        if (inPlaceState && shift == 0) {
            // hN exactly h0 (cN exactly c0) is allowed; only a shifted overlap is an error
            if (sizes[output] > 1) shift = 1 + pick % (sizes[output] - 1);
            else other = 0;
        }
        boolean outputFirst = (pick >> 8 & 1) == 0;
        for (Backend backend : Workload.available()) checkAliased(backend, c, direct, sizes, output, other, shift, outputFirst);
    }

    private static void checkAliased(Backend backend, Case c, boolean direct, int[] sizes, int output, int other,
            int shift, boolean outputFirst) {
        int total = Arrays.stream(sizes).sum() + sizes[output] + sizes[other] + 8;
        {
            FloatBuffer memory = allocate(direct, total);
            FloatBuffer[] t = new FloatBuffer[6];
            int at = 0;
            for (int k = 0; k < 6; k++) {
                if (k == output || k == other || sizes[k] == 0) continue;
                t[k] = slice(memory, at, sizes[k]);
                at += sizes[k];
            }
            int base = at;
            t[outputFirst ? output : other] = slice(memory, base, sizes[outputFirst ? output : other]);
            t[outputFirst ? other : output] = memory.duplicate().position(base + shift)
                    .limit(base + shift + sizes[outputFirst ? other : output]);
            float[][] d = c.data();
            for (int k : new int[] {0, 1, 2}) if (t[k] != null && d[k] != null) t[k].put(t[k].position(), d[k]);
            if (d[1] == null && output != 1 && other != 1) t[1] = null;
            if (d[2] == null && output != 2 && other != 2) t[2] = null;
            for (int k = 3; k < 6; k++) {
                if (t[k] != null && k != output && k != other) fill(t[k], sizes[k], SENTINEL);
            }
            String a = FORWARD[output], b = FORWARD[other];
            try (Rnn rnn = Rnn.create(c.spec(), backend)) {
                float[] params = rnn.parameters();
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> rnn.forward(Mode.TRAINING, c.batch(), t[0], t[1], t[2], t[3], t[4], t[5]),
                        () -> backend + ": " + a + " over " + b + " (shift " + shift + ") was accepted; " + c);
                assertTrue(e.getMessage().contains(a) && e.getMessage().contains(b), e.getMessage());
                for (int k = 3; k < 6; k++) {
                    if (t[k] != null && k != output && k != other) {
                        for (int i = 0; i < sizes[k]; i++) assertEquals(SENTINEL, t[k].get(t[k].position() + i));
                    }
                }
                assertArrayEquals(params, rnn.parameters());
                assertNull(Workload.run(rnn, c).bitwiseDifference(Workload.run(backend, c)),
                        () -> backend + ": not usable after the rejected call; " + c);
            }
        }
    }

    // ---- Streams used from two threads ---------------------------------------------------------

    @Property(tries = 25, shrinking = ShrinkingMode.BOUNDED)
    void aStreamSharedByTwoThreadsFailsFastAndNeverTears(@ForAll @IntRange(min = 1, max = 3) int n,
            @ForAll @IntRange(min = 1, max = 12) int chunks, @ForAll long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        CellType cell = CellType.values()[r.nextInt(CellType.values().length)];
        RnnSpec spec = RnnSpec.builder(cell, 1 + r.nextInt(6), 8 + r.nextInt(40)).layers(1 + r.nextInt(2)).build();
        int[] steps = new int[chunks];
        float[][] xs = new float[chunks][];
        for (int k = 0; k < chunks; k++) {
            steps[k] = 1 + r.nextInt(40);
            xs[k] = Workload.random(r, steps[k] * n * spec.inputSize());
        }
        for (Backend backend : Workload.available()) {
            // Alone: the outputs, and the state after each chunk (the only states a reader may see).
            List<float[]> expectedY = new ArrayList<>(), states = new ArrayList<>();
            try (Rnn rnn = Rnn.create(spec, backend); RnnStream s = rnn.stream(n)) {
                states.add(s.hiddenState());
                for (int k = 0; k < chunks; k++) {
                    expectedY.add(s.step(xs[k], steps[k]));
                    states.add(s.hiddenState());
                }
            }
            try (Rnn rnn = Rnn.create(spec, backend); RnnStream s = rnn.stream(n)) {
                AtomicBoolean done = new AtomicBoolean();
                List<float[]> gotY = new ArrayList<>();
                Throwable[] writerFailure = new Throwable[1];
                Thread writer = new Thread(() -> {
                    try {
                        for (int k = 0; k < chunks; k++) {
                            while (true) {
                                try {
                                    gotY.add(s.step(xs[k], steps[k]));
                                    break;
                                } catch (IllegalStateException busy) {
                                    if (!busy.getMessage().contains("another thread")) throw busy;
                                }
                            }
                        }
                    } catch (Throwable t) {
                        writerFailure[0] = t;
                    } finally {
                        done.set(true);
                    }
                });
                writer.start();
                int reads = 0;
                while (!done.get() || reads == 0) {
                    try {
                        float[] h = s.hiddenState();
                        reads++;
                        assertTrue(states.stream().anyMatch(st -> Arrays.equals(st, h)),
                                () -> backend + ": a reader saw a state the stream never had (torn); " + spec);
                    } catch (IllegalStateException busy) {
                        assertTrue(busy.getMessage().contains("another thread"), busy.getMessage());
                    }
                }
                writer.join();
                assertNull(writerFailure[0], () -> "writer failed: " + writerFailure[0]);
                for (int k = 0; k < chunks; k++) {
                    assertArrayEquals(expectedY.get(k), gotY.get(k), backend + " chunk " + k + " of " + spec);
                }
            }
        }
    }

    // ---- Helpers -------------------------------------------------------------------------------

    private static FloatBuffer allocate(boolean direct, int floats) {
        return direct ? ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder()).asFloatBuffer()
                : FloatBuffer.allocate(floats);
    }

    private static FloatBuffer slice(FloatBuffer memory, int from, int floats) {
        return memory.duplicate().position(from).limit(from + floats).slice();
    }

    private static void fill(FloatBuffer b, int n, float v) {
        for (int i = 0; i < n; i++) b.put(b.position() + i, v);
    }

    private static FloatBuffer wrap(float[] a) {
        return a == null ? null : FloatBuffer.wrap(a);
    }

    private static float[] head(FloatBuffer b, int n) {
        if (b == null) return null;
        float[] a = new float[n];
        b.get(b.position(), a);
        return a;
    }
}
