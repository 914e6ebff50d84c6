package dev.rnn4j.bench.peers;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the JVM peers of {@code scripts/bench-compare.sh} share: the reference files rnn4j wrote
 * ({@code dev.rnn4j.bench.Compare}: {@code SHAPE.txt} manifest, {@code SHAPE.f32} tensors), the
 * correctness check against them, the timing protocol (warm-up calls, then calls timed one by one
 * with {@link System#nanoTime()}, median) and the CSV every harness of the comparison writes.
 *
 * <p>A peer whose check fails gets a {@code FAIL} row and is not timed; {@link #failed()} then
 * makes its process exit 1, as the other harnesses do.
 */
final class PeerRun implements AutoCloseable {
    /** Cross-implementation tolerance: max |got - ref| over a tensor, relative to max |ref| (as Compare.java). */
    static final double TOLERANCE = 1e-3;
    static final String HEADER = "impl,variant,shape,threads,mode,median_ms,min_ms,max_ms,reps,check,max_rel_err,note";

    /** The arguments every JVM peer takes, in this order. */
    static final String USAGE = "REFDIR MODELDIR SHAPES THREADS WARMUP REPS OUT.csv";

    final Path refDir;
    final Path modelDir;
    final List<String> shapes;
    final int[] threads;
    final int warmup;
    final int reps;
    private final String impl;
    private final PrintWriter out;
    private boolean failed;

    PeerRun(String impl, String[] args) throws IOException {
        if (args.length != 7) throw new IllegalArgumentException("usage: " + USAGE + " (got " + args.length + " arguments)");
        this.impl = impl;
        refDir = Path.of(args[0]);
        modelDir = Path.of(args[1]);
        shapes = Arrays.asList(args[2].split(","));
        threads = Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
        warmup = Integer.parseInt(args[4]);
        reps = Integer.parseInt(args[5]);
        if (reps < 1 || warmup < 0) throw new IllegalArgumentException("REPS must be >= 1 and WARMUP >= 0, got " + reps + " and " + warmup);
        out = new PrintWriter(Files.newBufferedWriter(Path.of(args[6]), StandardCharsets.UTF_8));
        out.println(HEADER);
    }

    /** One shape's reference: the manifest's key-value lines and its tensors by name. */
    static final class Reference {
        final String shape;
        final Map<String, String> meta = new LinkedHashMap<>();
        final Map<String, float[]> tensors = new LinkedHashMap<>();

        Reference(Path dir, String shape) throws IOException {
            this.shape = shape;
            ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(shape + ".f32"))).order(ByteOrder.LITTLE_ENDIAN);
            for (String line : Files.readAllLines(dir.resolve(shape + ".txt"))) {
                String[] p = line.trim().split("\\s+");
                if (p.length < 2) continue;
                if (p[0].equals("tensor")) {
                    float[] a = new float[Integer.parseInt(p[2])];
                    data.asFloatBuffer().get(a);
                    data.position(data.position() + 4 * a.length);
                    tensors.put(p[1], a);
                } else {
                    meta.put(p[0], p[1]);
                }
            }
            if (data.hasRemaining()) {
                throw new IOException(shape + ".f32 holds " + data.remaining() + " bytes more than its manifest lists");
            }
        }

        int get(String key) {
            return Integer.parseInt(meta.get(key));
        }

        float[] tensor(String name) {
            float[] t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException(shape + ": no tensor '" + name + "' in the reference");
            return t;
        }

        boolean lstm() {
            return meta.get("cell").equals("LSTM");
        }

        boolean training() {
            return "1".equals(meta.get("training"));
        }

        /** The element counts of x, the states (h0, hN, cN) and y: [T, N, I], [L*D, N, H], [T, N, D*H]. */
        long[] xShape() {
            return new long[] {get("steps"), get("batch"), get("input")};
        }

        long[] stateShape() {
            return new long[] {(long) get("layers") * get("directions"), get("batch"), get("hidden")};
        }

        long[] yShape() {
            return new long[] {get("steps"), get("batch"), (long) get("directions") * get("hidden")};
        }
    }

    /** The worst max|got - ref| / max|ref| over the tensors compared, and which ones failed. */
    static final class Check {
        double worst;
        String worstName = "";
        final List<String> failures = new ArrayList<>();

        Check compare(String name, FloatBuffer got, float[] ref) {
            if (got.remaining() != ref.length) {
                failures.add(String.format(Locale.ROOT, "%s (%d elements; the reference has %d)", name, got.remaining(),
                        ref.length));
                return this;
            }
            double maxRef = 0, maxErr = 0;
            for (int i = 0; i < ref.length; i++) {
                maxRef = Math.max(maxRef, Math.abs(ref[i]));
                double e = Math.abs((double) got.get(got.position() + i) - ref[i]);
                if (!(e <= maxErr)) maxErr = e; // NaN-safe: a NaN becomes the worst error
            }
            double rel = maxErr / Math.max(maxRef, 1e-3);
            if (!(rel <= TOLERANCE)) failures.add(String.format(Locale.ROOT, "%s (%.2e)", name, rel));
            if (!(rel <= worst)) {
                worst = rel;
                worstName = name;
            }
            return this;
        }

        Check compare(String name, float[] got, float[] ref) {
            return compare(name, FloatBuffer.wrap(got), ref);
        }

        boolean ok() {
            return failures.isEmpty();
        }

        String summary() {
            return (ok() ? "ok" : "FAIL " + String.join(", ", failures))
                    + String.format(Locale.ROOT, " (worst %.1e in %s)", worst, worstName);
        }
    }

    /** A call to time; may throw the peer's checked exceptions. */
    interface Call {
        void run() throws Exception;
    }

    /**
     * Prints the check; if it passed, times {@code call} and writes a row with the median,
     * otherwise writes a FAIL row and times nothing.
     */
    void report(Check c, String variant, String shape, int threads, String mode, Call call, String note) throws Exception {
        System.out.printf(Locale.ROOT, "%s %s %s threads=%d check vs rnn4j: %s%n", impl, shape, mode, threads, c.summary());
        if (!c.ok()) {
            out.printf(Locale.ROOT, "%s,%s,%s,%d,%s,,,,0,FAIL,%.3e,not timed: %s%n", impl, variant, shape, threads, mode,
                    c.worst, String.join("; ", c.failures));
            out.flush();
            failed = true;
            return;
        }
        for (int i = 0; i < warmup; i++) call.run();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            call.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] s = ms.clone();
        Arrays.sort(s);
        double median = reps % 2 == 1 ? s[reps / 2] : (s[reps / 2 - 1] + s[reps / 2]) / 2;
        out.printf(Locale.ROOT, "%s,%s,%s,%d,%s,%.4f,%.4f,%.4f,%d,ok,%.3e,%s%n", impl, variant, shape, threads, mode,
                median, s[0], s[reps - 1], reps, c.worst, note.replace(',', ';'));
        out.flush();
        System.out.printf(Locale.ROOT, "  %s threads=%d median %.3f ms%n", mode, threads, median);
    }

    /** A row saying why a configuration was not run (not a failure). */
    void skipped(String variant, String shape, int threads, String mode, String why) {
        out.printf(Locale.ROOT, "%s,%s,%s,%d,%s,,,,0,skipped,,%s%n", impl, variant, shape, threads, mode, why.replace(',', ';'));
        out.flush();
        System.out.printf(Locale.ROOT, "%s %s %s threads=%d skipped: %s%n", impl, shape, mode, threads, why);
    }

    boolean failed() {
        return failed;
    }

    /** A direct, native-order buffer holding {@code values}: what the peers' tensors wrap without a copy. */
    static FloatBuffer direct(float[] values) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(values).flip();
        return b;
    }

    @Override
    public void close() {
        out.close();
    }
}
