package dev.rnn4j.bench;

import dev.rnn4j.Backend;
import dev.rnn4j.Mode;
import dev.rnn4j.Precision;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rnn4j side of {@code scripts/bench-compare.sh}: for each shape, writes the reference data
 * every peer checks itself against, checks rnn4j's CPU backend against the Java reference, then
 * times rnn4j (CPU, and the Java reference where it is fast enough) with the same protocol as the
 * peers: {@code warmup} untimed calls, then {@code reps} calls timed one by one with
 * {@link System#nanoTime()}; the median is reported.
 *
 * <p>Timed regions (identical in every harness of the comparison):
 * <ul>
 *   <li>infer: one forward in inference mode over the whole [T, N, I] batch, zero initial states,
 *       writing y [T, N, D*H] and the final states: input projection included, workspace
 *       allocation excluded (the warm-up allocates it).
 *   <li>train: one forward in training mode plus the full backward from a random dy (dhN = dcN =
 *       0): dx, dh0, dc0 and every parameter gradient (accumulated, never zeroed in the loop).
 * </ul>
 *
 * <p>With {@code --precision bf16,int8}, each shape is also run in those inference precisions
 * ({@link dev.rnn4j.Rnn#setPrecision}): checked against the Java reference of the same scheme, then
 * timed like the fp32 inference (variant {@code CPU-bf16}, {@code CPU-int8}); their
 * {@code max_rel_err} column holds the distance from rnn4j's fp32 outputs on the whole shape, the
 * figure the peers' reduced-precision rows report too.
 *
 * <p>Reference files, one pair per shape in {@code OUT/ref/}: {@code SHAPE.txt} (key-value lines,
 * then {@code tensor NAME COUNT} lines in file order) and {@code SHAPE.f32} (those tensors,
 * little-endian float32, concatenated): params (PyTorch's flat order), x, dy, and rnn4j CPU's y,
 * hN, cN (LSTM), dx, dh0, dc0 (LSTM) and grads (one forward + backward from zero gradients).
 *
 * <pre>
 * java -cp benchmarks.jar dev.rnn4j.bench.Compare --shapes S1,S3 --threads 1,2 --warmup 3 --reps 10 [--precision bf16,int8] --out DIR
 * </pre>
 */
public final class Compare {
    /** Cross-implementation tolerance: max |got - ref| over a tensor, relative to max |ref|. */
    static final double TOLERANCE = 1e-3;

    private List<Shape> shapes = Shape.parseList("all");
    private int[] threads = {1, Runtime.getRuntime().availableProcessors()};
    private int warmup = 3;
    private int reps = 10;
    private double javaMaxSeconds = 3;
    private boolean java = true;
    private List<Precision> precisions = List.of();
    private Path out = Path.of("benchmarks/results/run");

    public static void main(String[] args) throws IOException {
        Compare c = new Compare();
        c.parse(args);
        c.run();
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--shapes": shapes = Shape.parseList(args[++i]); break;
                case "--threads": threads = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray(); break;
                case "--warmup": warmup = Integer.parseInt(args[++i]); break;
                case "--reps": reps = Integer.parseInt(args[++i]); break;
                case "--java-max-seconds": javaMaxSeconds = Double.parseDouble(args[++i]); break;
                case "--no-java": java = false; break;
                case "--precision": precisions = parsePrecisions(args[++i]); break;
                case "--out": out = Path.of(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument " + a + "; see the class Javadoc");
            }
        }
        if (reps < 1 || warmup < 0) throw new IllegalArgumentException("--reps must be >= 1 and --warmup >= 0");
    }

    /** "bf16,int8" (any case; fp32 is always measured and is dropped here). */
    static List<Precision> parsePrecisions(String list) {
        List<Precision> out = new ArrayList<>();
        for (String name : list.split(",")) {
            if (name.isBlank()) continue;
            Precision p;
            try {
                p = Precision.valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--precision: unknown precision '" + name + "' (known: "
                        + Arrays.toString(Precision.values()) + ")");
            }
            if (p != Precision.FP32 && !out.contains(p)) out.add(p);
        }
        return out;
    }

    private void run() throws IOException {
        if (!Backend.CPU.isAvailable()) {
            throw new IllegalStateException("rnn4j's CPU backend is not available: " + Backend.CPU.unavailableReason());
        }
        Files.createDirectories(out.resolve("ref"));
        Files.writeString(out.resolve("meta-rnn4j.txt"), Backend.CPU.describe() + "\n" + Backend.JAVA.describe() + "\n"
                + "java " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + "\n");
        Path csv = out.resolve("rnn4j.csv");
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
            w.println(Results.HEADER);
            for (Shape s : shapes) {
                System.out.printf(Locale.ROOT, "rnn4j  %s %s%n", s, s.describe());
                Backend.CPU.setThreads(1);
                writeReference(s);
                Check check = checkAgainstReference(s);
                System.out.printf(Locale.ROOT, "  CPU vs Java reference (T=%d): %s%n", check.steps, check.summary());
                for (int t : threads) {
                    Backend.CPU.setThreads(t);
                    try (Fixture f = new Fixture(s, Backend.CPU)) {
                        for (String mode : modes(s)) {
                            double[] ms = time(f, mode, warmup, reps);
                            Results.row(w, "rnn4j", "CPU", s, t, mode, ms, check.status(), check.worst,
                                    "checked vs Java reference at T=" + check.steps);
                            System.out.printf(Locale.ROOT, "  CPU   %-5s threads=%d  median %.3f ms%n", mode, t,
                                    Results.median(ms));
                        }
                    }
                }
                for (Precision p : precisions) timePrecision(w, s, p);
                if (java) timeJava(w, s, check);
                w.flush();
            }
        }
    }

    static List<String> modes(Shape s) {
        return s.training ? List.of("infer", "train") : List.of("infer");
    }

    static double[] time(Fixture f, String mode, int warmup, int reps) {
        Runnable call = mode.equals("infer") ? () -> f.forward(Mode.INFERENCE) : () -> {
            f.forward(Mode.TRAINING);
            f.backward();
        };
        for (int i = 0; i < warmup; i++) call.run();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            call.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    /**
     * One shape in a reduced inference precision: the CPU backend checked against the Java
     * reference of the same scheme (a few steps, as for fp32), its distance from fp32 on the whole
     * shape, then timed at each thread count.
     */
    private void timePrecision(PrintWriter w, Shape s, Precision p) {
        String variant = "CPU-" + p.name().toLowerCase(Locale.ROOT);
        // INT8 over one step, as PrecisionCrossCheckTest does: from the second step on, a state that
        // differs in its last fp32 bit can sit on a u8 rounding boundary and take the neighbouring
        // code on one side only (a property of the scheme, README), which no tolerance bounds tightly.
        int steps = p == Precision.INT8 ? 1 : checkSteps(s);
        Check same = new Check(steps);
        Backend.CPU.setThreads(1);
        try (Fixture cpu = new Fixture(s, Backend.CPU, steps); Fixture ref = new Fixture(s, Backend.JAVA, steps)) {
            cpu.rnn.setPrecision(p);
            ref.rnn.setPrecision(p);
            cpu.forward(Mode.INFERENCE);
            ref.forward(Mode.INFERENCE);
            same.compareOutputs("", cpu, ref);
        }
        Check distance = new Check(s.steps);
        try (Fixture fp32 = new Fixture(s, Backend.CPU); Fixture low = new Fixture(s, Backend.CPU)) {
            low.rnn.setPrecision(p);
            low.forward(Mode.INFERENCE);
            fp32.forward(Mode.INFERENCE);
            distance.compareOutputs("", low, fp32);
        }
        System.out.printf(Locale.ROOT, "  %s vs its Java reference (T=%d): %s; distance from fp32 %.1e in %s%n",
                variant, steps, same.summary(), distance.worst, distance.worstTensor);
        String note = String.format(Locale.ROOT, "checked vs the %s Java reference at T=%d (worst %.1e); "
                + "max_rel_err = distance from rnn4j fp32", p, steps, same.worst);
        for (int t : threads) {
            if (!same.failures.isEmpty()) {
                w.printf(Locale.ROOT, "rnn4j,%s,%s,%d,infer,,,,0,FAIL,%.3e,%s%n", variant, s.name(), t, same.worst,
                        ("not timed: " + same.summary()).replace(',', ';'));
                continue;
            }
            Backend.CPU.setThreads(t);
            try (Fixture f = new Fixture(s, Backend.CPU)) {
                f.rnn.setPrecision(p);
                double[] ms = time(f, "infer", warmup, reps);
                Results.row(w, "rnn4j", variant, s, t, "infer", ms, "ok", distance.worst, note);
                System.out.printf(Locale.ROOT, "  %-9s infer threads=%d  median %.3f ms%n", variant, t,
                        Results.median(ms));
            }
        }
    }

    /**
     * Times the Java reference (single-threaded, so only in the 1-thread rows) where a call is
     * estimated below {@code javaMaxSeconds}; otherwise writes a "skipped" row with the estimate.
     */
    private void timeJava(PrintWriter w, Shape s, Check check) {
        for (String mode : modes(s)) {
            double estimate = (mode.equals("infer") ? check.javaInferMs : check.javaTrainMs) * s.steps / check.steps;
            if (estimate > javaMaxSeconds * 1000) {
                Results.skipped(w, "rnn4j", "JAVA", s, 1, mode, String.format(Locale.ROOT,
                        "skipped: about %.1f s per call (limit %.1f s)", estimate / 1000, javaMaxSeconds));
                System.out.printf(Locale.ROOT, "  JAVA  %-5s skipped (about %.1f s per call)%n", mode, estimate / 1000);
                continue;
            }
            int jw = Math.min(warmup, 1), jr = Math.min(reps, 3);
            try (Fixture f = new Fixture(s, Backend.JAVA)) {
                double[] ms = time(f, mode, jw, jr);
                Results.row(w, "rnn4j", "JAVA", s, 1, mode, ms, "reference", 0,
                        "pure-Java reference (double); " + jr + " reps");
                System.out.printf(Locale.ROOT, "  JAVA  %-5s threads=1  median %.3f ms%n", mode, Results.median(ms));
            }
        }
    }

    /** Runs rnn4j CPU on the shape, single-threaded, and writes the reference files. */
    private void writeReference(Shape s) throws IOException {
        Map<String, FloatBuffer> t = new LinkedHashMap<>();
        try (Fixture f = new Fixture(s, Backend.CPU)) {
            f.forward(Mode.TRAINING);
            f.rnn.zeroGradients();
            f.backward();
            t.put("params", f.rnn.parameterBuffer());
            t.put("x", f.x);
            t.put("dy", f.dy);
            t.put("y", f.y);
            t.put("hN", f.hN);
            if (f.cN != null) t.put("cN", f.cN);
            t.put("dx", f.dx);
            t.put("dh0", f.dh0);
            if (f.dc0 != null) t.put("dc0", f.dc0);
            t.put("grads", f.rnn.gradientBuffer());
            StringBuilder m = new StringBuilder();
            m.append("shape ").append(s.name()).append('\n');
            m.append("cell ").append(s.cell.name()).append('\n');
            m.append("input ").append(s.inputSize).append('\n');
            m.append("hidden ").append(s.hiddenSize).append('\n');
            m.append("batch ").append(s.batch).append('\n');
            m.append("steps ").append(s.steps).append('\n');
            m.append("layers ").append(s.layers).append('\n');
            m.append("directions ").append(s.directions()).append('\n');
            m.append("training ").append(s.training ? 1 : 0).append('\n');
            m.append(String.format(Locale.ROOT, "flops_infer %.0f%nflops_train %.0f%n", s.forwardFlops(),
                    s.trainingFlops()));
            long bytes = 0;
            for (Map.Entry<String, FloatBuffer> e : t.entrySet()) {
                int n = e.getValue().capacity();
                m.append("tensor ").append(e.getKey()).append(' ').append(n).append('\n');
                bytes += 4L * n;
            }
            Files.writeString(out.resolve("ref/" + s.name() + ".txt"), m.toString());
            ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
            for (FloatBuffer b : t.values()) {
                for (int i = 0; i < b.capacity(); i++) all.putFloat(b.get(i));
            }
            all.flip();
            try (FileChannel ch = FileChannel.open(out.resolve("ref/" + s.name() + ".f32"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (all.hasRemaining()) ch.write(all);
            }
        }
    }

    /**
     * rnn4j CPU against the pure-Java reference (double precision) on the same weights and inputs,
     * every output and gradient. The reference is slow, so long shapes are checked on their first
     * few steps: the same network, sizes and code paths, a shorter sequence.
     */
    private Check checkAgainstReference(Shape s) {
        int steps = checkSteps(s);
        Check c = new Check(steps);
        try (Fixture cpu = new Fixture(s, Backend.CPU, steps); Fixture ref = new Fixture(s, Backend.JAVA, steps)) {
            long t0 = System.nanoTime();
            ref.forward(Mode.INFERENCE);
            c.javaInferMs = (System.nanoTime() - t0) / 1e6;
            cpu.forward(Mode.INFERENCE);
            c.compareOutputs("infer ", cpu, ref);
            t0 = System.nanoTime();
            ref.forward(Mode.TRAINING);
            ref.backward();
            c.javaTrainMs = (System.nanoTime() - t0) / 1e6;
            cpu.forward(Mode.TRAINING);
            cpu.backward();
            c.compare("y", cpu.y, ref.y);
            c.compare("dx", cpu.dx, ref.dx);
            c.compare("dh0", cpu.dh0, ref.dh0);
            if (cpu.dc0 != null) c.compare("dc0", cpu.dc0, ref.dc0);
            c.compare("grads", cpu.rnn.gradientBuffer(), ref.rnn.gradientBuffer());
        }
        return c;
    }

    /** The steps a check against the (slow) Java reference runs: the shape's first few. */
    static int checkSteps(Shape s) {
        return Math.min(s.steps, s.forwardFlops(1) * 3 > 1.5e9 ? 2 : 4);
    }

    /** The outcome of comparing tensors: the worst max|got-ref|/max|ref| and where. */
    static final class Check {
        final int steps;
        double worst;
        String worstTensor = "";
        double javaInferMs, javaTrainMs;
        final List<String> failures = new ArrayList<>();

        Check(int steps) {
            this.steps = steps;
        }

        void compare(String name, FloatBuffer got, FloatBuffer ref) {
            double maxRef = 0, maxErr = 0;
            for (int i = 0; i < ref.capacity(); i++) {
                maxRef = Math.max(maxRef, Math.abs(ref.get(i)));
                maxErr = Math.max(maxErr, Math.abs(got.get(i) - ref.get(i)));
            }
            double rel = maxErr / Math.max(maxRef, 1e-3);
            if (!(rel <= TOLERANCE)) failures.add(name + String.format(Locale.ROOT, " (%.2e)", rel));
            if (!(rel <= worst)) {
                worst = rel;
                worstTensor = name;
            }
        }

        /** The outputs of the last forwards of {@code got} and {@code ref}: y, hN and cN. */
        void compareOutputs(String prefix, Fixture got, Fixture ref) {
            compare(prefix + "y", got.y, ref.y);
            compare(prefix + "hN", got.hN, ref.hN);
            if (got.cN != null) compare(prefix + "cN", got.cN, ref.cN);
        }

        String status() {
            return failures.isEmpty() ? "ok" : "FAIL";
        }

        String summary() {
            return failures.isEmpty()
                    ? String.format(Locale.ROOT, "ok (worst %.1e in %s)", worst, worstTensor)
                    : "FAIL: " + String.join(", ", failures);
        }
    }

    /** The CSV every harness writes (same columns in Python and C++). */
    static final class Results {
        static final String HEADER = "impl,variant,shape,threads,mode,median_ms,min_ms,max_ms,reps,check,max_rel_err,note";

        static void row(PrintWriter w, String impl, String variant, Shape s, int threads, String mode, double[] ms,
                String check, double err, String note) {
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            w.printf(Locale.ROOT, "%s,%s,%s,%d,%s,%.4f,%.4f,%.4f,%d,%s,%.3e,%s%n", impl, variant, s.name(), threads, mode,
                    median(ms), sorted[0], sorted[sorted.length - 1], ms.length, check, err, note.replace(',', ';'));
        }

        static void skipped(PrintWriter w, String impl, String variant, Shape s, int threads, String mode, String note) {
            w.printf(Locale.ROOT, "%s,%s,%s,%d,%s,,,,0,skipped,,%s%n", impl, variant, s.name(), threads, mode,
                    note.replace(',', ';'));
        }

        static double median(double[] ms) {
            double[] s = ms.clone();
            Arrays.sort(s);
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        }
    }
}
