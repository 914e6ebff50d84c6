package dev.rnn4j.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.RnnStream;
import dev.rnn4j.reliability.Workload.Case;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * Native memory of the CPU backend.
 *
 * <ul>
 *   <li>Create / forward / backward / close cycles on mixed specs (every cell, projections,
 *       bidirectional, lengths, arrays and direct buffers, growing workspaces, streams): JavaCPP's
 *       count of live native bytes returns exactly to where it was, and the process's resident
 *       memory (VmRSS from /proc/self/status) stays within 5 MB of its value after warm-up.
 *       The cycles run in a child JVM with a fixed, pre-touched heap, the C1 compiler only and one
 *       malloc arena, after 2000 warm-up cycles, so that JVM growth cannot pass for a leak. {@value #CI_CYCLES} cycles in CI; {@code -Drnn4j.soak.cycles=100000} (scripts/soak.sh) for
 *       the long run.
 *   <li>Objects dropped without close(): JavaCPP's deallocator (the safety net) frees them once
 *       they are unreachable and collected.
 * </ul>
 */
class NativeMemoryTest {
    static final int CI_CYCLES = 3000;
    static final long MB = 1024 * 1024;

    /** Resident set size of this process, from /proc/self/status (Linux); -1 elsewhere. */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Full collections and a pause, so that memory freed by Java (and JavaCPP) is freed. */
    static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
    }

    static final List<RnnSpec> SPECS = List.of(
            RnnSpec.builder(CellType.LSTM, 24, 48).build(),
            RnnSpec.builder(CellType.LSTM, 16, 32).projectionSize(12).layers(2).bidirectional(true).build(),
            RnnSpec.builder(CellType.GRU, 20, 40).layers(2).batchFirst(true).build(),
            RnnSpec.builder(CellType.GRU, 7, 13).bidirectional(true).bias(false).build(),
            RnnSpec.builder(CellType.RNN_TANH, 32, 64).build(),
            RnnSpec.builder(CellType.RNN_RELU, 9, 17).layers(3).build(),
            RnnSpec.builder(CellType.LSTM, 5, 3).bidirectional(true).batchFirst(true).build());

    /** One cycle: create, a few calls of growing size, close. */
    static void cycle(int i) {
        RnnSpec spec = SPECS.get(i % SPECS.size());
        int t = 2 + i % 7, n = 1 + i % 4;
        int[] lengths = null;
        if (i % 3 == 0) {
            lengths = new int[n];
            for (int b = 0; b < n; b++) lengths[b] = 1 + (i + b) % t;
        }
        Case c = new Case(spec, t, n, lengths, i, i % 2 == 0, i % 5 != 0, i % 4 == 1, 1 + i % 2);
        try (Rnn rnn = Rnn.create(spec, Backend.CPU)) {
            Workload.run(rnn, c);
            // A larger batch grows the workspace and the staging buffers.
            rnn.forward(new float[(t + 3) * (n + 2) * spec.inputSize()], Batch.of(t + 3, n + 2));
            if (!spec.bidirectional() && i % 6 == 2) {
                try (RnnStream s = rnn.stream(n)) {
                    s.step(new float[2 * n * spec.inputSize()], 2);
                    s.step(new float[n * spec.inputSize()], 1);
                }
            }
            if (i % 10 == 7) rnn.forward(Mode.TRAINING, Batch.of(1, 1), new float[spec.inputSize()], null, null);
        }
    }

    @Test
    void createRunCloseCyclesKeepResidentMemoryFlat() throws Exception {
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU backend skipped: " + Backend.CPU.unavailableReason());
        assumeTrue(rssBytes() > 0, "no /proc/self/status here");
        int cycles = Integer.getInteger("rnn4j.soak.cycles", CI_CYCLES);
        // A child JVM with a fixed, pre-touched heap: Java heap growth cannot pass for a native leak,
        // and a crash there would not take the test JVM down.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // C1 only and one malloc arena: C2's compiler threads otherwise leave 10-20 MB steps of
        // retained malloc arenas at random times, which is JVM noise, not rnn4j memory.
        ProcessBuilder pb = new ProcessBuilder(java, "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                NativeMemoryTest.class.getName(), String.valueOf(cycles)).redirectErrorStream(true);
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        pb.environment().put("MALLOC_ARENA_MAX", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        System.out.print(out);
        assertTrue(rc == 0, () -> "the cycles failed (exit " + rc + "):\n" + out);
        assertTrue(out.contains("RELIABILITY memory: PASS"), () -> out);
    }

    /** The child process of {@link #createRunCloseCyclesKeepResidentMemoryFlat}: args = cycles. */
    public static void main(String[] args) throws InterruptedException {
        int cycles = Integer.parseInt(args[0]);
        int warmup = Math.max(2000, cycles / 5); // flat after ~1000 cycles with C1 and one arena
        long start = System.nanoTime();
        long nativeBefore = Pointer.totalBytes();
        for (int i = 0; i < warmup; i++) cycle(i);
        settle();
        long rssWarm = rssBytes();
        long rssMax = rssWarm;
        StringBuilder trace = new StringBuilder();
        int step = Math.max(1000, cycles / 10);
        for (int i = 0; i < cycles; i++) {
            cycle(warmup + i);
            if ((i + 1) % step == 0) {
                long rss = rssBytes();
                rssMax = Math.max(rssMax, rss);
                trace.append(String.format(" %d:%.1f", i + 1, rss / (double) MB));
                if (Pointer.totalBytes() != nativeBefore) {
                    System.out.println("RELIABILITY memory: FAIL: JavaCPP live bytes " + Pointer.totalBytes()
                            + " after cycle " + i + ", " + nativeBefore + " before");
                    System.exit(1);
                }
            }
        }
        settle();
        long rssEnd = rssBytes();
        double seconds = (System.nanoTime() - start) / 1e9;
        boolean pass = rssEnd - rssWarm <= 5 * MB && Pointer.totalBytes() == nativeBefore;
        System.out.printf("RELIABILITY memory: %s: %d measured cycles (+%d warm-up) on %d specs in %.1f s; VmRSS after"
                + " warm-up %.1f MB, at the end %.1f MB (delta %+.2f MB, limit 5 MB; peak %.1f MB); JavaCPP live"
                + " bytes %d before and %d after; VmRSS by cycle (MB):%s%n", pass ? "PASS" : "FAIL", cycles, warmup,
                SPECS.size(), seconds, rssWarm / (double) MB, rssEnd / (double) MB, (rssEnd - rssWarm) / (double) MB,
                rssMax / (double) MB, nativeBefore, Pointer.totalBytes(), trace);
        System.exit(pass ? 0 : 1);
    }

    @Test
    void objectsDroppedWithoutCloseAreFreedBySafetyNet() throws InterruptedException {
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU backend skipped: " + Backend.CPU.unavailableReason());
        settle();
        long before = Pointer.totalBytes();
        long rssBefore = rssBytes();
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 256, 256).build(); // ~2 MB of parameters (+ as much gradient)
        long perObject = 0;
        int dropped = 150;
        for (int i = 0; i < dropped; i++) {
            Rnn rnn = Rnn.create(spec, Backend.CPU);
            rnn.forward(Mode.TRAINING, Batch.of(4, 2), new float[4 * 2 * 256], null, null);
            rnn.backward(null, null, null);
            if (i == 0) perObject = Pointer.totalBytes() - before;
            // dropped here without close()
        }
        long peak = Pointer.totalBytes();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (Pointer.totalBytes() - before > 2 * perObject && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(100);
        }
        long after = Pointer.totalBytes();
        long rssAfter = rssBytes();
        System.out.printf("RELIABILITY safety net: %d Rnns of %.1f MB native each dropped unclosed; JavaCPP live"
                + " bytes over the baseline: %.1f MB at most while dropping (without the safety net: %.1f MB), %.1f MB"
                + " after GC; VmRSS %.1f -> %.1f MB%n", dropped, perObject / (double) MB, (peak - before) / (double) MB,
                dropped * perObject / (double) MB, (after - before) / (double) MB, rssBefore / (double) MB,
                rssAfter / (double) MB);
        assertTrue(perObject > MB, "each Rnn should hold over 1 MB of native memory, held " + perObject);
        assertTrue(after - before <= 2 * perObject, () -> "dropped Rnns were not freed: " + (after - before) / (double) MB
                + " MB still allocated after GC");
    }
}
