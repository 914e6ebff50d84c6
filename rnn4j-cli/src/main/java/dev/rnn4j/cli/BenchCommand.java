package dev.rnn4j.cli;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Precision;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.internal.BenchmarkShapes;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code rnn4j bench}: times the docs/DESIGN.md section 7 shapes on each available backend. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        header = "Time RNN shapes on each backend: GFLOP/s and speed-up over the Java reference.",
        description = {"Times RNN shapes on each available backend, in training and inference mode: the median of repetitions after warm-up, GFLOP/s, and the ratio to the Java reference. Default shapes: docs/DESIGN.md section 7 (S1-S7 train and infer, L1-L3 infer).",
            "",
            "Timed region, identical for every backend: inference = one forward (input projection included); training = a training forward plus the full backward (dx, dh0, dc0 and all weight gradients). Workspace allocation is excluded: a warm-up call creates it first; the timed loop uses the zero-allocation FloatBuffer methods with direct buffers. FLOPs per layer and direction: forward 2*G*H*(I_k + H_out)*N*T; training counts 3x forward.",
            "",
            "The Java reference is very slow on big shapes: it gets a time budget (--java-budget); when a full run would exceed it, it runs fewer time steps and its time is extrapolated linearly in T (exact for this implementation, whose cost per step is constant); such rows say 'est.'.",
            ""})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** One benchmark shape. */
    record Shape(String id, CellType cell, int input, int hidden, int batch, int steps, int layers, boolean bidirectional,
            boolean train, boolean infer) {
        RnnSpec spec() {
            return RnnSpec.builder(cell, input, hidden).layers(layers).bidirectional(bidirectional).build();
        }

        String describe() {
            return Text.f("%s I=%d H=%d N=%d T=%d%s%s", cell, input, hidden, batch, steps, layers > 1 ? " L=" + layers : "",
                    bidirectional ? " bi" : "");
        }

        /** Forward FLOPs: sum over layers and directions of 2*G*H*(I_k + H)*N*T. */
        double forwardFlops() {
            return forwardFlops(steps);
        }

        double forwardFlops(int t) {
            RnnSpec s = spec();
            double f = 0;
            for (int k = 0; k < layers; k++) {
                f += s.directions() * 2.0 * cell.gates() * hidden * (s.layerInputSize(k) + s.outputSize()) * batch * t;
            }
            return f;
        }
    }

    /** docs/DESIGN.md section 7, from the one table (native/bench/shapes.csv, in the core jar). */
    static final List<Shape> DESIGN_SHAPES = BenchmarkShapes.all().stream()
            .map(s -> new Shape(s.name(), CellType.valueOf(s.cell()), s.inputSize(), s.hiddenSize(), s.batch(),
                    s.steps(), s.layers(), s.bidirectional(), s.training(), s.inference()))
            .toList();

    /** Parses {@code cell,I,H,N,T[,layers][,bi]}. */
    static final class ShapeConverter implements ITypeConverter<Shape> {
        @Override
        public Shape convert(String value) {
            String[] p = value.split(",");
            if (p.length < 5 || p.length > 7) {
                throw new TypeConversionException("'" + value + "' is not cell,I,H,N,T[,layers][,bi] (e.g. lstm,256,256,16,150 or gru,128,256,32,100,2,bi)");
            }
            CellType cell;
            try {
                cell = CellType.valueOf(p[0].trim().toUpperCase(Locale.ROOT).replace("RNN-", "RNN_"));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + p[0] + "' is not a cell: use rnn_tanh, rnn_relu, lstm or gru");
            }
            int[] n = new int[4];
            String[] names = {"I", "H", "N", "T"};
            for (int i = 0; i < 4; i++) n[i] = positive(names[i], p[i + 1]);
            int layers = p.length > 5 ? positive("layers", p[5]) : 1;
            boolean bi = false;
            if (p.length > 6) {
                String d = p[6].trim().toLowerCase(Locale.ROOT);
                if (d.equals("bi") || d.equals("bidirectional") || d.equals("2")) bi = true;
                else if (!(d.equals("uni") || d.equals("1"))) throw new TypeConversionException("'" + p[6] + "' must be bi or uni");
            }
            return new Shape("X", cell, n[0], n[1], n[2], n[3], layers, bi, true, true);
        }

        private static int positive(String name, String v) {
            try {
                int x = Integer.parseInt(v.trim());
                if (x < 1) throw new TypeConversionException(name + " must be positive, got " + v.trim());
                return x;
            } catch (NumberFormatException e) {
                throw new TypeConversionException(name + " must be a positive integer, got '" + v.trim() + "'");
            }
        }
    }

    enum BenchMode { train, infer }

    @Option(names = "--shape", paramLabel = "CELL,I,H,N,T[,L][,bi]", converter = ShapeConverter.class,
            description = "a shape to time instead of the docs/DESIGN.md ones (repeatable), e.g. lstm,256,256,16,150 or lstm,128,256,32,100,2,bi")
    List<Shape> shapes;

    @Option(names = "--only", paramLabel = "ID", split = ",", description = "only these docs/DESIGN.md shapes, e.g. S1,S5,L1")
    List<String> only;

    @Option(names = "--backend", paramLabel = "BACKEND", split = ",", description = "java, cpu, cuda (default: every available one)")
    List<Backend> backends;

    @Option(names = "--mode", paramLabel = "MODE", split = ",", description = "train, infer (default: both, where the shape has them)")
    List<BenchMode> modes;

    @Option(names = "--precision", paramLabel = "P", split = ",",
            description = "inference precisions to time: fp32, bf16, int8 (default: fp32); a reduced one is timed as mode infer-bf16 / infer-int8 and compared with fp32 of the same shape, backend and threads")
    List<String> precisions;

    @Option(names = "--errors",
            description = "instead of timing: per-element errors of each reduced --precision against fp32 on the chosen shapes' inference (CPU backend, the benchmark's inputs and initial weights): max |err|, mean |err| and max relative error (|err| / |fp32| where |fp32| >= 0.01) of y and of the final states")
    boolean errors;

    @Option(names = "--threads", paramLabel = "N", split = ",",
            description = "thread counts for the CPU backend, e.g. 1,2 (default: OpenBLAS's default, one per core)")
    List<Integer> threads;

    @Option(names = "--reps", paramLabel = "N", defaultValue = "15", description = "at most this many timed repetitions (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--min-reps", paramLabel = "N", description = "at least this many (default: 3, or --reps if fewer)")
    Integer minRepsOption;

    int minReps;

    @Option(names = "--time", paramLabel = "SECONDS", defaultValue = "1.5",
            description = "time per measurement, after the warm-up, within the repetition bounds (default: ${DEFAULT-VALUE})")
    double time;

    @Option(names = "--java-budget", paramLabel = "SECONDS", defaultValue = "2",
            description = "time for the Java reference per measurement; beyond it, fewer steps and an estimate (default: ${DEFAULT-VALUE})")
    double javaBudget;

    @Option(names = "--csv", paramLabel = "FILE", description = "write the results as CSV")
    Path csv;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "draw a chart of GFLOP/s per shape and backend (PNG)")
    Path plot;

    /** One measurement. */
    record Row(Shape shape, String mode, Backend backend, int threads, double medianSeconds, double minSeconds, int reps,
            double gflops, boolean estimated, int timedSteps) {}

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (reps < 1) throw new Main.UsageError("--reps must be positive, got " + reps);
        minReps = minRepsOption == null ? Math.min(3, reps) : minRepsOption;
        if (minReps < 1 || minReps > reps) throw new Main.UsageError("--min-reps must be in 1..--reps=" + reps + ", got " + minReps);
        if (!(time > 0)) throw new Main.UsageError("--time must be positive, got " + time);
        if (!(javaBudget > 0)) throw new Main.UsageError("--java-budget must be positive, got " + javaBudget);
        if (csv != null) writable("--csv", csv);
        if (plot != null) {
            writable("--plot", plot);
            if (!plot.toString().toLowerCase(Locale.ROOT).endsWith(".png")) throw new Main.UsageError("--plot must name a .png file, got " + plot);
        }
        List<Shape> list = chooseShapes();
        List<Backend> chosen = chooseBackends();
        List<Integer> threadCounts = threads == null || threads.isEmpty() ? null : new ArrayList<>(new LinkedHashSet<>(threads));
        if (threadCounts != null) {
            for (int t : threadCounts) if (t < 1 || t > 1024) throw new Main.UsageError("--threads must be in 1..1024, got " + t);
        }
        int defaultThreads = Backend.CPU.isAvailable() ? Backend.CPU.threads() : 1;
        List<Integer> cpuThreads = threadCounts == null ? List.of(defaultThreads) : threadCounts;

        List<Precision> inferPrecisions = choosePrecisions();
        if (errors) return printErrors(out, list, inferPrecisions);
        record Job(Shape shape, String mode, Backend backend, int threads) {}
        List<Job> jobs = new ArrayList<>();
        for (Shape s : list) {
            for (String base : new String[] {"train", "infer"}) {
                if (base.equals("train") && !s.train()) continue;
                if (base.equals("infer") && !s.infer()) continue;
                if (modes != null && !modes.contains(BenchMode.valueOf(base))) continue;
                for (Precision p : base.equals("train") ? List.of(Precision.FP32) : inferPrecisions) {
                    String mode = modeName(base, p);
                    for (Backend b : chosen) {
                        if (b == Backend.CPU) for (int t : cpuThreads) jobs.add(new Job(s, mode, b, t));
                        else jobs.add(new Job(s, mode, b, 1));
                    }
                }
            }
        }
        if (jobs.isEmpty()) throw new Main.UsageError("nothing to time: no shape has the requested --mode");

        out.println(Text.f("rnn4j bench: %d measurements on %s; median of up to %d repetitions (at least %d, about %ss each) after a warm-up",
                jobs.size(), names(chosen), reps, minReps, time));
        out.println("  timed: infer = forward incl. input projection; train = training forward + full backward incl. dx, dh0,"
                + " dc0 and all weight gradients");
        out.println("  excluded: workspace allocation (a warm-up call creates it); direct FloatBuffers, no allocation in the loop");
        if (chosen.contains(Backend.JAVA)) {
            out.println(Text.f("  JAVA: time budget %ss per measurement; beyond it, fewer steps and an estimate linear in T (est.)", javaBudget));
        }
        String busy = Options.busyWarning();
        if (busy != null) out.println(busy);
        out.println();

        Progress bar = new Progress(out, "timing", jobs.size());
        List<Row> rows = new ArrayList<>();
        int done = 0;
        try {
            for (Job j : jobs) {
                bar.update(done, j.shape().id() + " " + j.mode() + " " + j.backend() + (j.backend() == Backend.CPU ? " x" + j.threads() : ""));
                if (j.backend() == Backend.CPU) Backend.CPU.setThreads(j.threads());
                rows.add(measure(j.shape(), j.mode(), j.backend(), j.threads()));
                bar.update(++done, j.shape().id() + " " + j.mode() + " " + j.backend() + " done");
            }
        } finally {
            if (Backend.CPU.isAvailable()) Backend.CPU.setThreads(defaultThreads);
        }
        bar.finish();
        out.println();
        printTable(out, rows);
        if (csv != null) {
            writeCsv(csv, rows);
            out.println("wrote " + csv);
        }
        if (plot != null) {
            Chart.draw(plot, rows);
            out.println("wrote " + plot);
        }
        out.flush();
        return 0;
    }

    /** {@code --errors}: the reduced precisions' per-element distance from FP32, per shape and tensor. */
    private int printErrors(PrintWriter out, List<Shape> list, List<Precision> chosen) {
        if (!Backend.CPU.isAvailable()) throw new Main.UsageError("--errors needs the CPU backend: " + Backend.CPU.unavailableReason());
        List<Precision> reduced = chosen.stream().filter(p -> p != Precision.FP32).toList();
        if (reduced.isEmpty()) throw new Main.UsageError("--errors needs a reduced --precision (bf16, int8)");
        out.println("rnn4j bench --errors: inference in each precision against fp32, CPU backend, the benchmark's inputs"
                + " (uniform in [-1, 1]) and initial weights; relative error where |fp32| >= 0.01");
        out.println(Text.f("%-6s %-5s %-3s %12s %12s %12s", "shape", "prec", "of", "max |err|", "mean |err|", "max rel"));
        for (Shape s : list) {
            if (!s.infer()) continue;
            float[][] ref;
            try (Run run = new Run(s, s.steps(), false, Backend.CPU, Precision.FP32)) {
                run.once();
                ref = run.outputs();
            }
            for (Precision p : reduced) {
                try (Run run = new Run(s, s.steps(), false, Backend.CPU, p)) {
                    run.once();
                    float[][] got = run.outputs();
                    String[] names = {"y", "hN", "cN"};
                    for (int k = 0; k < names.length; k++) {
                        if (got[k] == null) continue;
                        double max = 0, sum = 0, rel = 0;
                        for (int i = 0; i < got[k].length; i++) {
                            double e = Math.abs((double) got[k][i] - ref[k][i]);
                            max = Math.max(max, e);
                            sum += e;
                            if (Math.abs(ref[k][i]) >= 0.01) rel = Math.max(rel, e / Math.abs(ref[k][i]));
                        }
                        out.println(Text.f("%-6s %-5s %-3s %12.3e %12.3e %12.3e", s.id(), p.name().toLowerCase(Locale.ROOT),
                                names[k], max, sum / got[k].length, rel));
                    }
                }
            }
        }
        out.flush();
        return 0;
    }

    /** "infer" for FP32, "infer-bf16" / "infer-int8" for the reduced precisions. */
    static String modeName(String base, Precision p) {
        return p == Precision.FP32 ? base : base + "-" + p.name().toLowerCase(Locale.ROOT);
    }

    static Precision precisionOf(String mode) {
        int dash = mode.indexOf('-');
        return dash < 0 ? Precision.FP32 : Precision.valueOf(mode.substring(dash + 1).toUpperCase(Locale.ROOT));
    }

    private List<Precision> choosePrecisions() {
        if (precisions == null || precisions.isEmpty()) return List.of(Precision.FP32);
        return Options.precisions("--precision", precisions);
    }

    private List<Shape> chooseShapes() {
        if (shapes != null && !shapes.isEmpty()) {
            if (only != null) throw new Main.UsageError("--only selects among the docs/DESIGN.md shapes; it cannot be combined with --shape");
            List<Shape> numbered = new ArrayList<>();
            for (Shape s : shapes) {
                numbered.add(new Shape("X" + (numbered.size() + 1), s.cell(), s.input(), s.hidden(), s.batch(), s.steps(),
                        s.layers(), s.bidirectional(), s.train(), s.infer()));
            }
            return numbered;
        }
        if (only == null || only.isEmpty()) return DESIGN_SHAPES;
        List<Shape> list = new ArrayList<>();
        for (String id : only) {
            Shape found = null;
            for (Shape s : DESIGN_SHAPES) if (s.id().equalsIgnoreCase(id.trim())) found = s;
            if (found == null) {
                List<String> ids = new ArrayList<>();
                for (Shape s : DESIGN_SHAPES) ids.add(s.id());
                throw new Main.UsageError("--only " + id + ": no such shape; the shapes are " + String.join(", ", ids));
            }
            list.add(found);
        }
        return list;
    }

    private List<Backend> chooseBackends() {
        if (backends == null || backends.isEmpty()) {
            List<Backend> list = new ArrayList<>();
            for (Backend b : Backend.values()) if (b.isAvailable()) list.add(b);
            return list;
        }
        for (Backend b : backends) {
            if (!b.isAvailable()) {
                throw new Main.UsageError("--backend " + b.name().toLowerCase(Locale.ROOT) + " is not available: " + b.unavailableReason());
            }
        }
        return new ArrayList<>(new LinkedHashSet<>(backends));
    }

    private static String names(List<Backend> list) {
        List<String> n = new ArrayList<>();
        for (Backend b : list) n.add(b.name());
        return String.join(", ", n);
    }

    private static void writable(String option, Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new Main.UsageError(option + " " + file + ": the directory " + parent + " does not exist");
        }
        if (Files.isDirectory(file)) throw new Main.UsageError(option + " " + file + " is a directory");
    }

    /** Buffers and an Rnn for one shape at {@code steps} steps, and the timed call. */
    private static final class Run implements AutoCloseable {
        final Rnn rnn;
        final Batch batch;
        final boolean train;
        final FloatBuffer x, y, hN, cN, dy, dx, dh0, dc0;

        Run(Shape s, int steps, boolean train, Backend backend, Precision precision) {
            RnnSpec spec = s.spec();
            rnn = Rnn.create(spec, backend);
            rnn.setPrecision(precision);
            this.train = train;
            batch = Batch.of(steps, s.batch());
            int n = s.batch();
            x = random(steps * n * spec.inputSize(), 1);
            y = CharModel.direct(steps * n * spec.outputFeatures());
            hN = CharModel.direct(spec.stateRows() * n * spec.outputSize());
            cN = spec.cell().hasCellState() ? CharModel.direct(spec.stateRows() * n * spec.hiddenSize()) : null;
            dy = train ? random(steps * n * spec.outputFeatures(), 2) : null;
            dx = train ? CharModel.direct(steps * n * spec.inputSize()) : null;
            dh0 = train ? CharModel.direct(spec.stateRows() * n * spec.outputSize()) : null;
            dc0 = train && cN != null ? CharModel.direct(spec.stateRows() * n * spec.hiddenSize()) : null;
        }

        private static FloatBuffer random(int n, long seed) {
            FloatBuffer b = CharModel.direct(n);
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 0; i < n; i++) b.put(i, (float) (r.nextDouble() * 2 - 1));
            return b;
        }

        /** One timed call; returns seconds. */
        double once() {
            long t0 = System.nanoTime();
            if (train) {
                rnn.forward(Mode.TRAINING, batch, x, null, null, y, hN, cN);
                rnn.backward(dy, null, null, dx, dh0, dc0);
            } else {
                rnn.forward(Mode.INFERENCE, batch, x, null, null, y, hN, cN);
            }
            return (System.nanoTime() - t0) / 1e9;
        }

        /** y, hN and cN (null without a cell state) of the last call, copied. */
        float[][] outputs() {
            return new float[][] {copy(y), copy(hN), cN == null ? null : copy(cN)};
        }

        private static float[] copy(FloatBuffer b) {
            float[] a = new float[b.capacity()];
            b.get(0, a);
            return a;
        }

        @Override
        public void close() {
            rnn.close();
        }
    }

    Row measure(Shape s, String mode, Backend backend, int threads) {
        boolean train = mode.equals("train");
        double flops = s.forwardFlops() * (train ? 3 : 1);
        if (backend == Backend.JAVA) return measureJava(s, mode, train, flops);
        try (Run run = new Run(s, s.steps(), train, backend, precisionOf(mode))) {
            double first = run.once();                     // creates the workspace
            int warm = first < 0.05 ? 3 : 1;
            for (int i = 0; i < warm; i++) run.once();
            double[] times = new double[reps];
            double spent = 0;
            int n = 0;
            while (n < reps && (n < minReps || spent < time)) {
                times[n] = run.once();
                spent += times[n++];
            }
            double[] t = Arrays.copyOf(times, n);
            Arrays.sort(t);
            double median = median(t);
            return new Row(s, mode, backend, threads, median, t[0], n, flops / median / 1e9, false, s.steps());
        }
    }

    private Row measureJava(Shape s, String mode, boolean train, double flops) {
        double perStep;
        int steps;
        try (Run probe = new Run(s, 1, train, Backend.JAVA, precisionOf(mode))) {
            probe.once();
            perStep = probe.once();
        }
        double full = perStep * s.steps();
        if (full <= javaBudget) {
            try (Run run = new Run(s, s.steps(), train, Backend.JAVA, precisionOf(mode))) {
                int n = (int) Math.max(1, Math.min(Math.min(reps, 5), Math.floor(javaBudget / Math.max(full, 1e-9))));
                double[] t = new double[n];
                for (int i = 0; i < n; i++) t[i] = run.once();
                Arrays.sort(t);
                double median = median(t);
                return new Row(s, mode, Backend.JAVA, 1, median, t[0], n, flops / median / 1e9, false, s.steps());
            }
        }
        steps = (int) Math.max(1, Math.min(s.steps(), Math.floor(javaBudget / Math.max(perStep, 1e-9))));
        try (Run run = new Run(s, steps, train, Backend.JAVA, precisionOf(mode))) {
            double t = run.once();
            double estimate = t * s.steps() / steps;
            return new Row(s, mode, Backend.JAVA, 1, estimate, estimate, 1, flops / estimate / 1e9, true, steps);
        }
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The JAVA row of the same shape and mode, or null. */
    static Row javaRow(List<Row> rows, Row r) {
        for (Row j : rows) {
            if (j.backend() == Backend.JAVA && j.shape() == r.shape() && j.mode().equals(r.mode())) return j;
        }
        return null;
    }

    /** The FP32 inference row of the same shape, backend and threads as a reduced-precision row, or null. */
    static Row fp32Row(List<Row> rows, Row r) {
        for (Row f : rows) {
            if (f.shape() == r.shape() && f.backend() == r.backend() && f.threads() == r.threads() && f.mode().equals("infer")) {
                return f;
            }
        }
        return null;
    }

    static String time(double seconds) {
        if (seconds < 1e-3) return Text.f("%.1f us", seconds * 1e6);
        if (seconds < 1) return Text.f("%.2f ms", seconds * 1e3);
        return Text.f("%.2f s", seconds);
    }

    private static void printTable(PrintWriter out, List<Row> rows) {
        Text.Table t = new Text.Table(new String[] {"id", "shape", "mode", "backend", "threads", "median", "GFLOP/s", "vs JAVA", "reps"},
                false, false, false, false, true, true, true, true, true);
        for (Row r : rows) {
            Row j = javaRow(rows, r);
            String ratio = j == null ? "-" : r.backend() == Backend.JAVA ? "1" : Text.f("%.1fx", j.medianSeconds() / r.medianSeconds());
            if (j != null && j.estimated() && r.backend() != Backend.JAVA) ratio += " (est.)";
            t.add(r.shape().id(), r.shape().describe(), r.mode(), r.backend().name(), String.valueOf(r.threads()),
                    time(r.medianSeconds()) + (r.estimated() ? " est." : ""), Text.f("%.2f", r.gflops()), ratio,
                    r.estimated() ? "T=" + r.timedSteps() + " x1" : String.valueOf(r.reps()));
        }
        for (String line : t.render()) out.println(line);
        Text.Table speedups = new Text.Table(new String[] {"id", "mode", "backend", "threads", "median", "vs fp32"},
                false, false, false, true, true, true);
        boolean anyReduced = false;
        for (Row r : rows) {
            if (precisionOf(r.mode()) == Precision.FP32) continue;
            Row f = fp32Row(rows, r);
            if (f == null) continue;
            anyReduced = true;
            speedups.add(r.shape().id(), r.mode(), r.backend().name(), String.valueOf(r.threads()), time(r.medianSeconds()),
                    Text.f("%.2fx", f.medianSeconds() / r.medianSeconds()));
        }
        if (anyReduced) {
            out.println();
            out.println("reduced precision against fp32 (same shape, backend and threads):");
            for (String line : speedups.render()) out.println(line);
        }
        boolean anyEstimate = rows.stream().anyMatch(Row::estimated);
        if (anyEstimate) {
            out.println();
            out.println("est.: the Java reference ran only T=<steps> of the shape's time steps (see 'reps'); its time is scaled by"
                    + " T/steps (its cost per step is constant)");
        }
    }

    private static void writeCsv(Path file, List<Row> rows) {
        StringBuilder s = new StringBuilder(
                "id,cell,input,hidden,batch,steps,layers,bidirectional,mode,backend,threads,median_ms,min_ms,reps,gflops,vs_java,estimated,timed_steps\n");
        for (Row r : rows) {
            Shape sh = r.shape();
            Row j = javaRow(rows, r);
            s.append(String.join(",", sh.id(), sh.cell().name(), "" + sh.input(), "" + sh.hidden(), "" + sh.batch(), "" + sh.steps(),
                    "" + sh.layers(), "" + sh.bidirectional(), r.mode(), r.backend().name(), "" + r.threads(),
                    Text.f("%.6f", r.medianSeconds() * 1e3), Text.f("%.6f", r.minSeconds() * 1e3), "" + r.reps(),
                    Text.f("%.4f", r.gflops()), j == null ? "" : Text.f("%.3f", j.medianSeconds() / r.medianSeconds()),
                    "" + r.estimated(), "" + r.timedSteps())).append('\n');
        }
        try {
            Files.writeString(file, s.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write --csv " + file + ": " + e.getMessage(), e);
        }
    }
}
