package dev.rnn4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.RnnStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The six defects found by trying to break the API as a user and as an attacker would, one
 * regression test each (each failed before its fix). Run on every available backend.
 */
class BreakTheApiRegressionTest {
    private static final float FILL = -99f;

    /**
     * Defect 1: heap outputs with more room than the tensor got garbage (stale native staging
     * memory) after the tensor on the CPU backend: the copy back was sized by the buffer's
     * remaining(), not by the tensor. Only the tensor's floats may ever be written.
     */
    @Test
    void outputsLargerThanTheTensorAreWrittenOnlyWithinTheTensor() {
        for (Backend backend : Workload.available()) {
            RnnSpec spec = RnnSpec.builder(CellType.LSTM, 3, 4).build();
            try (Rnn r = Rnn.create(spec, backend)) {
                // A larger call first, so stale outputs sit in any staging memory.
                r.forward(Mode.INFERENCE, Batch.of(9, 4), FloatBuffer.wrap(ramp(9 * 4 * 3)), null, null,
                        FloatBuffer.allocate(9 * 4 * 4), FloatBuffer.allocate(16), FloatBuffer.allocate(16));
                int pad = 7;
                for (boolean offset : new boolean[] {false, true}) {
                    FloatBuffer y = filled(40 + pad, offset), hN = filled(8 + pad, offset), cN = filled(8 + pad, offset);
                    r.forward(Mode.TRAINING, Batch.of(5, 2), FloatBuffer.wrap(ramp(30)), null, null, y, hN, cN);
                    assertTail(backend + " y", y, 40);
                    assertTail(backend + " hN", hN, 8);
                    assertTail(backend + " cN", cN, 8);
                    FloatBuffer dx = filled(30 + pad, offset), dh0 = filled(8 + pad, offset), dc0 = filled(8 + pad, offset);
                    r.backward(FloatBuffer.wrap(ramp(40)), null, null, dx, dh0, dc0);
                    assertTail(backend + " dx", dx, 30);
                    assertTail(backend + " dh0", dh0, 8);
                    assertTail(backend + " dc0", dc0, 8);
                }
                try (RnnStream stream = r.stream(2)) {
                    FloatBuffer y = filled(8 + pad, true);
                    stream.step(FloatBuffer.wrap(ramp(6)), 1, y);
                    assertTail(backend + " stream y", y, 8);
                }
            }
        }
    }

    /** Defect 2: parameter counts above 2^29 - 1 overflowed an int byte count on the CPU backend. */
    @Test
    void parameterCountsBeyondTheLimitAreRejectedByTheSpecWithTheLimitNamed() {
        for (int h : new int[] {23_170, 32_767, 46_340}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RnnSpec.builder(CellType.RNN_TANH, 1, h).build(), "H=" + h);
            assertTrue(e.getMessage().contains("536,870,911") && e.getMessage().contains("parameter"), e.getMessage());
        }
        // The largest H below the limit still builds (RNN_TANH: H*H + H + 2H = 536,848,900 + ... floats).
        RnnSpec ok = RnnSpec.builder(CellType.RNN_TANH, 1, 23_168).build();
        assertTrue(ok.parameterCount() <= RnnSpec.MAX_PARAMETERS, "" + ok.parameterCount());
    }

    /**
     * Defect 3: with 2 kernel threads, two threads each running their own Rnn got results that
     * depended on whether the shared pool was busy (it fell back to one thread, another split).
     */
    @Test
    void resultsDoNotDependOnWhetherThePoolWasBusy() throws Exception {
        assumeTrue(Backend.CPU.isAvailable(), "needs the CPU backend");
        int saved = Backend.CPU.threads();
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 64, 128).build();
        int t = 10, n = 64;
        SplittableRandom random = new SplittableRandom(5);
        float[] x = random(random, t * n * 64), dy = random(random, t * n * 128);
        try {
            for (int threads : new int[] {2, 4}) {
                Backend.CPU.setThreads(threads);
                float[][] expected = trainingStep(spec, x, dy, t, n, 1)[0];
                ExecutorService pool = Executors.newFixedThreadPool(2);
                try {
                    CountDownLatch start = new CountDownLatch(1);
                    List<Future<float[][][]>> results = new ArrayList<>();
                    for (int w = 0; w < 2; w++) {
                        results.add(pool.submit(() -> {
                            start.await();
                            return trainingStep(spec, x, dy, t, n, 40);
                        }));
                    }
                    start.countDown();
                    for (Future<float[][][]> f : results) {
                        float[][][] calls = f.get(5, TimeUnit.MINUTES);
                        int bad = 0;
                        for (float[][] call : calls) {
                            for (int k = 0; k < call.length; k++) if (!Arrays.equals(expected[k], call[k])) bad++;
                        }
                        assertEquals(0, bad, threads + " threads: tensors (y, dx, gradients) that differed bitwise from"
                                + " the same call alone, in " + calls.length + " concurrent calls");
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        } finally {
            Backend.CPU.setThreads(saved);
        }
    }

    /** {@code repeats} training steps of a fresh Rnn: y, dx and the gradients of each (zeroed between steps). */
    private static float[][][] trainingStep(RnnSpec spec, float[] x, float[] dy, int t, int n, int repeats) {
        float[][][] out = new float[repeats][][];
        try (Rnn r = Rnn.create(spec, Backend.CPU)) {
            for (int i = 0; i < repeats; i++) {
                float[] y = r.forward(Mode.TRAINING, Batch.of(t, n), x, null, null).y();
                float[] dx = r.backward(dy, null, null).dx();
                out[i] = new float[][] {y, dx, r.gradients()};
                r.zeroGradients();
            }
        }
        return out;
    }

    /** Defect 5: outputs overlapping through different views (duplicate(), slices) were accepted. */
    @Test
    void outputsOverlappingThroughViewsAreRejectedOnEveryBackend() {
        for (Backend backend : Workload.available()) {
            RnnSpec spec = RnnSpec.builder(CellType.LSTM, 3, 4).build();
            int t = 5, n = 2;
            try (Rnn r = Rnn.create(spec, backend)) {
                for (boolean direct : new boolean[] {false, true}) {
                    FloatBuffer x = buffer(direct, ramp(t * n * 3));
                    FloatBuffer y = buffer(direct, new float[40 + 8 + 8]);
                    FloatBuffer hN = y.duplicate();
                    String kind = backend + (direct ? " direct" : " heap");
                    assertRejected(kind + " y/hN duplicate",
                            () -> r.forward(Mode.INFERENCE, Batch.of(t, n), x, null, null, y, hN, null), "y", "hN");
                    FloatBuffer state = buffer(direct, new float[8 + 8]);
                    FloatBuffer cN = state.duplicate().position(4);
                    assertRejected(kind + " hN/cN overlap",
                            () -> r.forward(Mode.INFERENCE, Batch.of(t, n), x, null, null, slice(y, 0, 40), state, cN),
                            "hN", "cN");
                    FloatBuffer shared = buffer(direct, ramp(30 + 40));
                    assertRejected(kind + " y over x", () -> r.forward(Mode.INFERENCE, Batch.of(t, n), slice(shared, 0, 30),
                            null, null, slice(shared, 20, 40), null, null), "y", "x");
                    r.forward(Mode.TRAINING, Batch.of(t, n), x, null, null, buffer(direct, new float[40]), null, null);
                    FloatBuffer grads = buffer(direct, new float[8 + 8]);
                    assertRejected(kind + " dh0/dc0 overlap",
                            () -> r.backward(null, null, null, null, grads, grads.duplicate().position(2)), "dh0", "dc0");
                    // Disjoint slices of one array or one direct memory are fine, on every backend.
                    FloatBuffer whole = buffer(direct, new float[40 + 8 + 8]);
                    r.forward(Mode.INFERENCE, Batch.of(t, n), x, null, null, slice(whole, 0, 40), slice(whole, 40, 8),
                            slice(whole, 48, 8));
                    // hN may be exactly h0 (and cN exactly c0), also through another view of the same memory.
                    FloatBuffer h = buffer(direct, new float[8]), c = buffer(direct, new float[8]);
                    r.forward(Mode.INFERENCE, Batch.of(t, n), x, h, c, buffer(direct, new float[40]), h.duplicate(),
                            c.duplicate());
                }
            }
        }
    }

    /** Defect 6: a stream ignored the thread rule of the Rnn it shares. */
    @Test
    void streamMethodsFailFastWhileAnotherThreadIsInsideTheRnn() throws Exception {
        for (Backend backend : Workload.available()) {
            RnnSpec spec = RnnSpec.builder(CellType.LSTM, 16, 64).build();
            try (Rnn r = Rnn.create(spec, backend); RnnStream stream = r.stream(4)) {
                int steps = backend == Backend.JAVA ? 400 : 40_000;
                float[] x = ramp(steps * 4 * 16);
                CountDownLatch started = new CountDownLatch(1);
                Thread worker = new Thread(() -> {
                    started.countDown();
                    for (int i = 0; i < 3; i++) {
                        try {
                            stream.step(x, steps);
                        } catch (IllegalStateException busy) {
                            i--; // the main thread was inside the Rnn: the rule holds both ways
                        }
                    }
                });
                worker.start();
                started.await();
                int failedFast = 0, tries = 0;
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
                while (worker.isAlive() && System.nanoTime() < deadline) {
                    tries++;
                    try {
                        stream.reset();
                    } catch (IllegalStateException busy) {
                        assertTrue(busy.getMessage().contains("another thread"), busy.getMessage());
                        failedFast++;
                    }
                    try {
                        stream.hiddenState();
                    } catch (IllegalStateException busy) {
                        failedFast++;
                    }
                    try {
                        stream.setState(new float[4 * 64], null);
                    } catch (IllegalStateException busy) {
                        failedFast++;
                    }
                }
                worker.join();
                assertTrue(failedFast > 0, backend + ": no stream call failed fast in " + tries + " tries during a step");
            }
        }
    }

    private static void assertRejected(String what, Runnable call, String a, String b) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run, what);
        assertTrue(e.getMessage().contains(a) && e.getMessage().contains(b) && e.getMessage().contains("overlap"),
                what + ": " + e.getMessage());
    }

    private static void assertTail(String what, FloatBuffer b, int tensor) {
        assertNotNull(b);
        for (int i = b.position() + tensor; i < b.limit(); i++) {
            assertEquals(FILL, b.get(i), what + ": float " + (i - b.position()) + " past the tensor of " + tensor);
        }
        for (int i = 0; i < b.position(); i++) assertEquals(FILL, b.get(i), what + ": float before the position");
    }

    private static FloatBuffer filled(int n, boolean offset) {
        float[] a = new float[n + (offset ? 3 : 0)];
        Arrays.fill(a, FILL);
        FloatBuffer b = FloatBuffer.wrap(a);
        return offset ? b.position(3) : b;
    }

    private static FloatBuffer buffer(boolean direct, float[] values) {
        return direct ? Workload.direct(values, 0) : FloatBuffer.wrap(values);
    }

    private static FloatBuffer slice(FloatBuffer b, int from, int n) {
        return b.duplicate().position(from).limit(from + n).slice();
    }

    private static float[] ramp(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) Math.sin(0.37 * i);
        return a;
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }
}
