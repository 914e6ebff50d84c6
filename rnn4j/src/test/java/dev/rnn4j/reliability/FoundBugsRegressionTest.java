package dev.rnn4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Bugs found by the reliability work (property tests, fuzzing, child-JVM hazards), one regression
 * test each; all are fixed. The two that would take the
 * JVM down (a SIGSEGV, an OutOfMemoryError after minutes) run in a child JVM, so that this JVM
 * survives and the test fails instead.
 */
class FoundBugsRegressionTest {

    /** Bug 1: RnnSpec.build() throws ArithmeticException, not IllegalArgumentException, when G*H or D*Ho overflows. */
    @Test
    void specWhoseGateRowsOverflowAnIntIsRejectedWithIllegalArgumentException() {
        for (RnnSpec.Builder b : new RnnSpec.Builder[] {RnnSpec.builder(CellType.LSTM, 1, 1 << 29),
            RnnSpec.builder(CellType.GRU, 3, Integer.MAX_VALUE), RnnSpec.builder(CellType.RNN_TANH, 1, 1 << 30).bidirectional(true)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
            assertTrue(e.getMessage().contains("hiddenSize") || e.getMessage().contains("floats"), e.getMessage());
        }
    }

    /**
     * Bug 1b (after main's ParameterLayout.totalFloats): the pre-check multiplies in long and can
     * overflow it, so LSTM(I = H = Integer.MAX_VALUE, bidirectional) builds, with parameterCount 0
     * and negative row counts (weight_ih_l0[-4, 2147483647]); Rnn.create then succeeds on JAVA.
     */
    @Test
    void specWhoseParameterCountOverflowsALongIsRejected() {
        for (RnnSpec.Builder b : new RnnSpec.Builder[] {
            RnnSpec.builder(CellType.LSTM, Integer.MAX_VALUE, Integer.MAX_VALUE).bidirectional(true),
            RnnSpec.builder(CellType.GRU, Integer.MAX_VALUE, Integer.MAX_VALUE).layers(3)}) {
            assertThrows(IllegalArgumentException.class, b::build, "a spec with more than 2^63 parameters");
        }
    }

    /**
     * Bug 2: direct buffers that share memory are not detected (Rnn.sameMemory compares arrays and
     * identity only), and the CPU kernels then compute a wrong dx silently: with I == D*Ho,
     * {@code backward(dy, .., dx = dy.duplicate())} overwrites dy with the forward direction's dx
     * before the reverse direction reads it.
     */
    @Test
    void directOutputSharingMemoryWithAnInputIsRejectedOrHarmless() {
        for (Backend backend : Workload.available()) {
            RnnSpec spec = RnnSpec.builder(CellType.LSTM, 8, 4).bidirectional(true).build(); // I = 8 = D*H
            int t = 3, n = 2;
            try (Rnn rnn = Rnn.create(spec, backend)) {
                float[] x = new float[t * n * 8], dy = new float[t * n * 8];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) Math.sin(i);
                    dy[i] = (float) Math.cos(i);
                }
                rnn.forward(Mode.TRAINING, Batch.of(t, n), x, null, null);
                float[] expected = rnn.backward(dy, null, null).dx();
                FloatBuffer shared = Workload.direct(dy, 0);
                try {
                    rnn.backward(shared, null, null, shared.duplicate(), null, null);
                } catch (IllegalArgumentException rejected) {
                    assertTrue(rejected.getMessage().contains("share"), rejected.getMessage());
                    continue; // rejected: fine
                }
                assertArrayEquals(expected, Workload.read(shared), backend
                        + ": dx written over its own dy (direct buffers sharing memory) is silently wrong");
            }
        }
    }

    /**
     * Bug 3 (message): a writable heap FloatBuffer without an array (a view of a heap ByteBuffer)
     * is rejected as "a read-only heap buffer" (Rnn.checkBuffer), which it is not.
     */
    @Test
    void aWritableHeapViewIsNotCalledReadOnly() {
        try (Rnn rnn = Rnn.create(RnnSpec.builder(CellType.GRU, 2, 3).build(), Backend.JAVA)) {
            FloatBuffer x = ByteBuffer.allocate(4 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            assertFalse(x.isReadOnly());
            try {
                rnn.forward(Mode.INFERENCE, Batch.of(2, 1), x, null, null, FloatBuffer.allocate(6), null, null);
            } catch (IllegalArgumentException e) {
                assertFalse(e.getMessage().contains("read-only"), "misleading message: " + e.getMessage());
            }
        }
    }

    /**
     * Bug 4 (JVM crash): the live views of parameterBuffer() / gradientBuffer() outlive close();
     * close() frees the native memory under them, and the next access is a use-after-free (a
     * SIGSEGV that kills the JVM when the block was returned to the OS). Runs in a child JVM.
     */
    @Test
    void theParameterViewOfAClosedRnnCannotCrashTheJvm() throws Exception {
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU skipped: " + Backend.CPU.unavailableReason());
        Child r = Child.run(30, "-Xmx256m", Hazards.class.getName(), "viewAfterClose");
        assertTrue(r.exit == 0, "the child JVM died (exit " + r.exit + ") reading a parameter view after close():\n"
                + r.head());
    }

    /**
     * Bug 5 (hang / OutOfMemoryError): RnnSpec.build() materialises one ParameterLayout entry (and
     * name) per layer, direction and tensor before it can find that the parameter count overflows:
     * {@code layers(Integer.MAX_VALUE)} with I = H = 1 runs for minutes and exhausts the heap
     * instead of being rejected at once. (A million layers, a valid spec, takes seconds.) Runs in
     * a child JVM.
     */
    @Test
    void aHugeLayerCountIsRejectedQuickly() throws Exception {
        Child r = Child.run(20, "-Xmx256m", Hazards.class.getName(), "hugeLayers");
        assertTrue(r.exit == 0 && r.output.contains("rejected"), "layers(Integer.MAX_VALUE) was not rejected within"
                + " 10 s on a 256 MB heap (exit " + r.exit + "):\n" + r.head());
    }

    /**
     * Bug 6: the native ReLU maps NaN to 0 ({@code relu(a) = a > 0 ? a : 0} in
     * native/common/cell_math.h), so on the CPU backend a NaN input of an RNN_RELU network
     * vanishes, while the reference ({@code Math.max(a, 0.0)}) and PyTorch propagate it, as the
     * documented policy says ("non-finite values propagate, as in PyTorch").
     */
    @Test
    void reluPropagatesNanOnEveryBackend() {
        RnnSpec spec = RnnSpec.builder(CellType.RNN_RELU, 1, 1).bias(false).build();
        for (Backend backend : Workload.available()) {
            try (Rnn rnn = Rnn.create(spec, backend)) {
                rnn.setParameters(new float[] {1f, 0f}); // h' = relu(x)
                float y = rnn.forward(new float[] {Float.NaN}, Batch.of(1, 1)).y()[0];
                assertTrue(Float.isNaN(y), backend + ": relu(NaN) gave " + y + ", the reference gives NaN");
            }
        }
    }

    /**
     * Bug 7 (memory corruption under concurrent misuse): Rnn.backward(FloatBuffer...) validates
     * its buffers against {@code trainingBatch} read before enter() (outside the busy guard), then
     * runs the kernel on whatever training forward is recorded when it gets in. If another thread
     * completes a training forward with a larger batch in between, the native backward reads dy
     * and writes dx, dh0 for the new, larger batch into buffers checked for the old one: an
     * out-of-bounds write into the caller's (or the staging) memory, instead of the documented
     * fail-fast IllegalStateException. Caught here by a guard zone after an exactly sized direct dx.
     * (The same race makes a concurrent backward report "needs a forward in Mode.TRAINING" while
     * a training forward is in progress on another thread.) Runs for up to 5 s.
     */
    @Test
    void aBackwardRacingAnotherThreadsForwardNeverWritesOutOfBounds() throws Exception {
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU skipped: " + Backend.CPU.unavailableReason());
        RnnSpec spec = RnnSpec.builder(CellType.RNN_TANH, 1, 1).build();
        int guard = 64;
        FloatBuffer whole = ByteBuffer.allocateDirect(4 * (1 + guard)).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < whole.capacity(); i++) whole.put(i, Workload.SENTINEL);
        FloatBuffer dx = whole.duplicate().position(0).limit(1).slice(); // exactly dx of Batch.of(1, 1)
        try (Rnn rnn = Rnn.create(spec, Backend.CPU)) {
            rnn.forward(Mode.TRAINING, Batch.of(1, 1), new float[1], null, null);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread other = new Thread(() -> {
                float[] x1 = new float[1], x2 = new float[3];
                while (!stop.get()) {
                    try {
                        rnn.forward(Mode.TRAINING, Batch.of(1, 1), x1, null, null);
                        rnn.forward(Mode.TRAINING, Batch.of(3, 1), x2, null, null); // dx needs 3 floats
                    } catch (IllegalStateException busy) {
                        // the backward thread is in: fine
                    }
                }
            });
            other.start();
            long end = System.nanoTime() + 5_000_000_000L;
            int corrupted = -1;
            long calls = 0;
            try {
                while (System.nanoTime() < end && corrupted < 0) {
                    try {
                        rnn.backward(null, null, null, dx, null, null);
                        calls++;
                    } catch (IllegalStateException | IllegalArgumentException expected) {
                        // busy, or validated against the larger batch: fine
                    }
                    for (int i = 1; i < whole.capacity(); i++) {
                        if (whole.get(i) != Workload.SENTINEL) corrupted = i;
                    }
                }
            } finally {
                stop.set(true);
                other.join();
            }
            int at = corrupted;
            long n = calls;
            assertTrue(at < 0, () -> "backward wrote dx[" + at + "] past the end of a 1-float dx (after " + n
                    + " backward calls): validated against one training forward, run against another");
        }
    }

    /**
     * Found by trying to break the API: Rnns dropped without close() kept their native memory until
     * the direct-memory limit (by default the heap's maximum) forced a collection; 2,000 dropped
     * LSTM(128, 512) reached 7.96 GB of RSS. Creation now applies the pressure. Child JVM: 700 dropped
     * networks (7.4 GB of parameters and gradients) under a direct-memory limit of 8 GB must peak
     * far below that.
     */
    @Test
    void droppedNetworksAreFreedBeforeTheDirectMemoryLimit() throws Exception {
        assumeTrue(Backend.CPU.isAvailable(), "needs the CPU backend");
        assumeTrue(java.nio.file.Files.exists(Path.of("/proc/self/status")), "reads the peak RSS from /proc");
        Child r = Child.run(300, "-Xmx4g", "-XX:MaxDirectMemorySize=8g", Hazards.class.getName(), "dropped");
        assertTrue(r.exit == 0, "child JVM failed:\n" + r.head());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("peak (\\d+) kB").matcher(r.output);
        assertTrue(m.find(), r.head());
        long peakMb = Long.parseLong(m.group(1)) / 1024;
        assertTrue(peakMb < 2500, "peak RSS " + peakMb + " MB for 700 dropped LSTM(128, 512) of 10.5 MB each");
    }

    /** The child JVM of the crash tests. */
    static final class Hazards {
        public static void main(String[] args) {
            switch (args[0]) {
                case "viewAfterClose" -> {
                    Rnn rnn = Rnn.create(RnnSpec.builder(CellType.LSTM, 1024, 1024).build(), Backend.CPU);
                    FloatBuffer p = rnn.parameterBuffer();
                    rnn.close();
                    double sum = 0;
                    try {
                        for (int i = 0; i < p.limit(); i++) sum += p.get(i);
                        for (int i = 0; i < p.limit(); i++) p.put(i, 1f);
                    } catch (IllegalStateException expected) {
                        System.out.println("rejected: " + expected.getMessage());
                    }
                    System.out.println("survived " + sum);
                }
                case "hugeLayers" -> {
                    long start = System.nanoTime();
                    try {
                        RnnSpec.builder(CellType.RNN_TANH, 1, 1).bias(false).layers(Integer.MAX_VALUE).build();
                        System.out.println("built");
                    } catch (IllegalArgumentException e) {
                        long ms = (System.nanoTime() - start) / 1_000_000;
                        System.out.println((ms < 10_000 ? "rejected" : "slow") + " in " + ms + " ms: " + e.getMessage());
                    }
                }
                case "dropped" -> {
                    RnnSpec spec = RnnSpec.builder(CellType.LSTM, 128, 512).build(); // 10.5 MB params + grads
                    float[] x = new float[5 * 4 * 128];
                    for (int i = 0; i < 700; i++) {
                        Rnn r = Rnn.create(spec, Backend.CPU); // never closed
                        r.forward(Mode.TRAINING, Batch.of(5, 4), x, null, null);
                    }
                    try {
                        for (String l : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                            if (l.startsWith("VmHWM:")) System.out.println("peak " + l.replaceAll("\\D", "") + " kB");
                        }
                    } catch (java.io.IOException e) {
                        System.out.println("no /proc: " + e);
                    }
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
    }

    /** A child JVM on this test's class path; killed after a timeout. */
    record Child(int exit, String output) {
        String head() {
            return output.length() > 2000 ? output.substring(0, 2000) + "..." : output;
        }

        static Child run(int timeoutSeconds, String... args) throws Exception {
            String launcher = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(launcher, "-XX:-CreateCoredumpOnCrash",
                    "-XX:ErrorFile=" + System.getProperty("java.io.tmpdir") + "/rnn4j-hs_err_%p.log",
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path")));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes()));
                } catch (java.io.IOException ignored) {
                    // the process died
                }
            });
            reader.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                reader.join(5000);
                return new Child(-1, "timed out after " + timeoutSeconds + " s\n" + out);
            }
            reader.join(5000);
            return new Child(p.exitValue(), out.toString());
        }
    }
}
