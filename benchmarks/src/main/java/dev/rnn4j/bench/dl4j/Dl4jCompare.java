package dev.rnn4j.bench.dl4j;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DL4J side of {@code scripts/bench-compare.sh}: loads the reference files Compare wrote,
 * checks DL4J's y, dx and weight gradients against rnn4j's, then times it with the same protocol
 * (warm-up calls, then calls timed one by one, median).
 *
 * <p>Timed regions: infer = {@link Dl4jModel#infer}, every layer's {@code activate(x, false)};
 * train = {@link Dl4jModel#train}, every layer's {@code activate(x, true)} then every layer's
 * {@code backpropGradient(dy)} (dx and the weight gradients; DL4J computes no dh0/dc0, and its
 * LSTM backward recomputes the forward). Zero initial states; the input is a permuted view of the
 * [T, N, I] array.
 *
 * <pre>
 * java -cp benchmarks-dl4j.jar dev.rnn4j.bench.dl4j.Dl4jCompare REFDIR SHAPES THREADS WARMUP REPS OUT.csv VARIANT
 * OPENBLAS_VERBOSE=2 java -cp benchmarks-dl4j.jar dev.rnn4j.bench.dl4j.Dl4jCompare --load   (prints OpenBLAS's core)
 * </pre>
 */
public final class Dl4jCompare {
    static final double TOLERANCE = 1e-3;
    static final String HEADER = "impl,variant,shape,threads,mode,median_ms,min_ms,max_ms,reps,check,max_rel_err,note";

    public static void main(String[] args) throws IOException {
        if (args.length == 1 && args[0].equals("--load")) {
            // loads nd4j-native and its OpenBLAS; with OPENBLAS_VERBOSE=2 OpenBLAS prints "Core: NAME"
            System.out.println(Nd4j.create(new float[] {1, 2}, new long[] {1, 2}, 'c').mmul(Nd4j.ones(2, 1)));
            return;
        }
        if (args.length != 7) throw new IllegalArgumentException("usage: REFDIR SHAPES THREADS WARMUP REPS OUT.csv VARIANT");
        Path ref = Path.of(args[0]);
        List<String> shapes = Arrays.asList(args[1].split(","));
        int threads = Integer.parseInt(args[2]), warmup = Integer.parseInt(args[3]), reps = Integer.parseInt(args[4]);
        String variant = args[6];
        String core = System.getenv().getOrDefault("DL4J_BLAS_CORE", "?"); // as the script detected it
        String env = System.getenv().getOrDefault("OPENBLAS_CORETYPE", "");
        System.out.printf(Locale.ROOT, "DL4J [%s] threads=%d, OpenBLAS core detected: %s%s%n", variant, threads, core,
                env.isEmpty() ? "" : ", run with OPENBLAS_CORETYPE=" + env);
        boolean failed = false;
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(args[5]), StandardCharsets.UTF_8))) {
            w.println(HEADER);
            for (String shape : shapes) {
                Map<String, String> meta = new LinkedHashMap<>();
                Map<String, float[]> t = load(ref, shape, meta);
                String cell = meta.get("cell");
                boolean training = meta.get("training").equals("1");
                if (cell.equals("GRU")) {
                    for (String mode : training ? List.of("infer", "train") : List.of("infer")) {
                        w.printf(Locale.ROOT, "dl4j,%s,%s,%d,%s,,,,0,skipped,,no GRU layer%n", variant, shape, threads, mode);
                    }
                    System.out.println("DL4J " + shape + ": no GRU layer in DL4J");
                    continue;
                }
                int T = Integer.parseInt(meta.get("steps")), N = Integer.parseInt(meta.get("batch"));
                int I = Integer.parseInt(meta.get("input")), H = Integer.parseInt(meta.get("hidden"));
                int L = Integer.parseInt(meta.get("layers")), D = Integer.parseInt(meta.get("directions"));
                Dl4jModel m = new Dl4jModel(cell, I, H, L, D);
                m.setParameters(t.get("params"));
                INDArray x = Nd4j.create(t.get("x"), new long[] {T, N, I}, 'c');
                INDArray dy = Nd4j.create(t.get("dy"), new long[] {T, N, D * H}, 'c');
                String note = "OpenBLAS core detected " + core + (env.isEmpty() ? "" : "; OPENBLAS_CORETYPE=" + env);

                Check c = new Check();
                c.compare("y", tnh(m.infer(x)), t.get("y"));
                failed |= report(w, c, variant, shape, threads, "infer", () -> m.infer(x), warmup, reps,
                        (lstm(cell) ? "LSTM" : "SimpleRnn") + " activate; " + note);
                if (!training) continue;
                INDArray dx = m.train(x, dy);
                c = new Check();
                c.compare("dx", tnh(dx), t.get("dx"));
                c.compare("grads", m.gradients(t.get("grads").length), t.get("grads"));
                failed |= report(w, c, variant, shape, threads, "train", () -> m.train(x, dy), warmup, reps,
                        (lstm(cell) ? "LSTM" : "SimpleRnn") + " activate + backpropGradient; " + note);
                w.flush();
            }
        }
        System.exit(failed ? 1 : 0);
    }

    private static boolean lstm(String cell) {
        return cell.equals("LSTM");
    }

    /** [N, C, T] -> flat [T, N, C]. */
    private static float[] tnh(INDArray ncw) {
        return ncw.permute(2, 0, 1).dup('c').data().asFloat();
    }

    private static boolean report(PrintWriter w, Check c, String variant, String shape, int threads, String mode,
            Runnable call, int warmup, int reps, String note) {
        System.out.printf(Locale.ROOT, "DL4J %s %s check vs rnn4j: %s%n", shape, mode, c.summary());
        if (!c.failures.isEmpty()) {
            w.printf(Locale.ROOT, "dl4j,%s,%s,%d,%s,,,,0,FAIL,%.3e,not timed: %s%n", variant, shape, threads, mode,
                    c.worst, String.join("; ", c.failures));
            return true;
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
        w.printf(Locale.ROOT, "dl4j,%s,%s,%d,%s,%.4f,%.4f,%.4f,%d,ok,%.3e,%s%n", variant, shape, threads, mode, median,
                s[0], s[reps - 1], reps, c.worst, note.replace(',', ';'));
        System.out.printf(Locale.ROOT, "  %s threads=%d median %.3f ms%n", mode, threads, median);
        return false;
    }

    static Map<String, float[]> load(Path dir, String shape, Map<String, String> meta) throws IOException {
        Map<String, float[]> t = new LinkedHashMap<>();
        ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(shape + ".f32"))).order(ByteOrder.LITTLE_ENDIAN);
        for (String line : Files.readAllLines(dir.resolve(shape + ".txt"))) {
            String[] p = line.trim().split("\\s+");
            if (p.length < 2) continue;
            if (p[0].equals("tensor")) {
                float[] a = new float[Integer.parseInt(p[2])];
                data.asFloatBuffer().get(a);
                data.position(data.position() + 4 * a.length);
                t.put(p[1], a);
            } else {
                meta.put(p[0], p[1]);
            }
        }
        return t;
    }

    static final class Check {
        double worst;
        String worstName = "";
        final java.util.List<String> failures = new java.util.ArrayList<>();

        void compare(String name, float[] got, float[] ref) {
            double maxRef = 0, maxErr = 0;
            for (int i = 0; i < ref.length; i++) {
                maxRef = Math.max(maxRef, Math.abs(ref[i]));
                double e = Math.abs((double) got[i] - ref[i]);
                if (!(e <= maxErr)) maxErr = e;
            }
            double rel = maxErr / Math.max(maxRef, 1e-3);
            if (!(rel <= TOLERANCE)) failures.add(String.format(Locale.ROOT, "%s (%.2e)", name, rel));
            if (!(rel <= worst)) {
                worst = rel;
                worstName = name;
            }
        }

        String summary() {
            return (failures.isEmpty() ? "ok" : "FAIL " + String.join(", ", failures))
                    + String.format(Locale.ROOT, " (worst %.1e in %s)", worst, worstName);
        }
    }
}
