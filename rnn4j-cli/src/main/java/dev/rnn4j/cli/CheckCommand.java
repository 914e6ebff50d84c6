package dev.rnn4j.cli;

import dev.rnn4j.Backend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rnn4j check}: every available backend against the Java reference, and the reference against finite differences. */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        header = "Cross-check every backend against the Java reference.",
        description = {"Cross-checks every available backend against the double-precision Java reference on a grid of configurations: all four cells x uni/bidirectional x 1-3 layers x with and without lengths, the LSTM projection, and edge sizes (T=1, N=1, H=1, odd sizes, no bias, batch-first); forward and backward with random initial states and upstream gradients; every output (y, hN, cN) and every gradient (dx, dh0, dc0, each parameter's). Also checks the reference's own gradients against finite differences on a few small configurations, so the oracle is checked too.",
            "",
            "A tensor passes when every element has |got - ref| <= 1e-4*|ref| + 1e-5*max(max|ref|, 1e-3) (docs/DESIGN.md section 6). The table shows each tensor's worst error as a multiple of that tolerance: 1 is the limit. Exit code 0 only if everything passes, 1 if anything fails.",
            ""})
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    static final class Size {
        @Option(names = "--quick", description = "a subset that runs in about 10 seconds") boolean quick;
        @Option(names = "--full", description = "a longer sweep that adds T=200 and larger sizes") boolean full;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Size size = new Size();

    @Option(names = "--backend", paramLabel = "BACKEND", split = ",",
            description = "the backends to check: java, cpu, cuda (default: every available one)")
    List<Backend> backends;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42", description = "seed of the random problems (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON to FILE")
    Path json;

    @Option(names = "--no-finite-differences", negatable = false, description = "skip the finite-difference checks of the reference")
    boolean noFiniteDifferences;

    @Option(names = "--inject-fault", paramLabel = "TENSOR", hidden = true,
            description = "perturb one element of TENSOR (y, hN, cN, dx, dh0, dc0 or a parameter name) in every backend's result,"
                    + " to see the check fail")
    String injectFault;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        CrossCheck.Level level = size.quick ? CrossCheck.Level.QUICK : size.full ? CrossCheck.Level.FULL : CrossCheck.Level.STANDARD;
        List<Backend> chosen = chooseBackends();
        CrossCheck.Fault fault = injectFault != null ? perturb(injectFault) : null;
        if (json != null) checkWritable(json);

        List<CrossCheck.Config> grid = CrossCheck.grid(level);
        List<CrossCheck.Config> fdGrid = noFiniteDifferences ? List.of() : CrossCheck.finiteDifferenceGrid(level);
        out.println(Text.f("rnn4j check (%s): %d configurations x %s against the Java reference (double precision), seed %d",
                level.name().toLowerCase(Locale.ROOT), grid.size(), names(chosen), seed));
        for (Backend b : Backend.values()) {
            if (!chosen.contains(b) && !b.isAvailable()) out.println("  " + b + " skipped: not available: " + b.unavailableReason());
        }
        out.println("errors: worst |got - ref| of each tensor as a multiple of its tolerance (<= 1 passes);"
                + " dW: worst over the parameter gradients");
        out.println();
        boolean terminal = Progress.isTerminal();
        Progress bar = terminal ? new Progress(out, "checking", (long) grid.size() * chosen.size() + fdGrid.size()) : null;

        width = 20;
        for (CrossCheck.Config c : grid) width = Math.max(width, c.describe().length());
        for (CrossCheck.Config c : fdGrid) width = Math.max(width, c.describe().length());
        String header = Text.f("%-4s %-" + width + "s %-5s %9s %9s %9s %9s %9s %9s %9s  %s", "#", "configuration", "back.", "y", "hN", "cN",
                "dx", "dh0", "dc0", "dW", "result");
        out.println(header);
        out.println("-".repeat(header.length()));
        List<CrossCheck.Result> results = new ArrayList<>();
        int done = 0, failed = 0;
        long start = System.nanoTime();
        for (CrossCheck.Config c : grid) {
            for (Backend b : chosen) {
                CrossCheck.Result r = CrossCheck.check(c, b, seed, fault);
                results.add(r);
                if (!r.passed()) failed++;
                print(out, bar, results.size(), r);
                if (bar != null) bar.update(++done, failed == 0 ? "all pass so far" : failed + " FAILED");
            }
        }
        List<CrossCheck.Result> fdResults = new ArrayList<>();
        if (!fdGrid.isEmpty()) {
            if (bar != null) bar.clear();
            out.println();
            String fdHeader = Text.f("%-4s %-" + width + "s %-5s %9s %9s %9s %9s  %s", "#", "finite differences of the reference",
                    "", "dx", "dh0", "dc0", "dW", "result");
            out.println(fdHeader + "   (tolerance |fd - analytic| <= 1e-6*max(1,|fd|), step 1e-6)");
            out.println("-".repeat(fdHeader.length()));
            for (CrossCheck.Config c : fdGrid) {
                CrossCheck.Result r = CrossCheck.finiteDifference(c, seed);
                fdResults.add(r);
                if (!r.passed()) failed++;
                String line = Text.f("%-4s %-" + width + "s %-5s %9s %9s %9s %9s  %s", "F" + fdResults.size(), c.describe(), "ref",
                        ratio(r.tensor("dx")), ratio(r.tensor("dh0")), ratio(r.tensor("dc0")),
                        ratio(r.tensor("grad (all parameters)")), r.passed() ? "PASS" : "FAIL");
                if (bar != null) bar.println(line);
                else out.println(line);
                if (bar != null) bar.update(++done, failed == 0 ? "all pass so far" : failed + " FAILED");
            }
        }
        if (bar != null) bar.finish();
        double seconds = (System.nanoTime() - start) / 1e9;

        out.println();
        List<CrossCheck.Result> failures = new ArrayList<>();
        for (CrossCheck.Result r : results) if (!r.passed()) failures.add(r);
        for (CrossCheck.Result r : fdResults) if (!r.passed()) failures.add(r);
        for (CrossCheck.Result r : failures) {
            out.println("FAIL " + r.backend() + " " + r.config().describe() + ":");
            if (r.error() != null) out.println("     error: " + r.error());
            for (CrossCheck.TensorResult t : r.tensors()) {
                if (!t.passed()) {
                    out.println(Text.f("     %s[%d]: got %s, expected %s, |diff| %.3g = %s x tolerance", t.name(), t.index(),
                            num(t.got()), num(t.ref()), t.maxAbsError(), ratio(t)));
                }
            }
        }
        CrossCheck.Result worst = null;
        for (CrossCheck.Result r : results) {
            if (r.worst() != null && (worst == null || !(r.worst().ratio() <= worst.worst().ratio()))) worst = r;
        }
        int checks = results.size() + fdResults.size();
        String summary = Text.f("%s: %d of %d checks passed (%d cross-checks of %s on %d configurations, %d finite-difference"
                + " checks of the reference) in %s", failures.isEmpty() ? "PASS" : "FAIL", checks - failures.size(), checks,
                results.size(), names(chosen), grid.size(), fdResults.size(), Text.duration(seconds));
        if (worst != null) {
            summary += Text.f("; worst error %s x tolerance (%s, %s, %s)", ratio(worst.worst()), worst.backend(),
                    worst.worst().name(), worst.config().describe().replaceAll("\\s+", " "));
        }
        out.println(summary);
        out.flush();
        if (json != null) writeJson(json, level, chosen, results, fdResults, failures.isEmpty(), seconds);
        return failures.isEmpty() ? 0 : 1;
    }

    private List<Backend> chooseBackends() {
        if (backends == null || backends.isEmpty()) {
            List<Backend> list = new ArrayList<>();
            for (Backend b : Backend.values()) if (b.isAvailable()) list.add(b);
            return list;
        }
        Set<Backend> set = new LinkedHashSet<>(backends);
        for (Backend b : set) {
            if (!b.isAvailable()) {
                throw new Main.UsageError("--backend " + b.name().toLowerCase(Locale.ROOT) + " is not available: " + b.unavailableReason());
            }
        }
        return new ArrayList<>(set);
    }

    private static String names(List<Backend> list) {
        List<String> n = new ArrayList<>();
        for (Backend b : list) n.add(b.name());
        return String.join(", ", n);
    }

    private int width = 58;

    private void print(PrintWriter out, Progress bar, int index, CrossCheck.Result r) {
        String line = Text.f("%-4d %-" + width + "s %-5s %9s %9s %9s %9s %9s %9s %9s  %s", index, r.config().describe(), r.backend(),
                ratio(r.tensor("y")), ratio(r.tensor("hN")), ratio(r.tensor("cN")), ratio(r.tensor("dx")),
                ratio(r.tensor("dh0")), ratio(r.tensor("dc0")), ratio(r.worstParameterGradient()),
                r.passed() ? "PASS" : r.error() != null ? "ERROR" : "FAIL");
        if (bar != null) bar.println(line);
        else out.println(line);
    }

    static String ratio(CrossCheck.TensorResult t) {
        if (t == null) return "-";
        double r = t.ratio();
        if (Double.isInfinite(r) || Double.isNaN(r)) return "NaN/inf";
        if (r == 0) return "0";
        if (r < 1e-3) return Text.f("%.0e", r);
        if (r < 1000) return Text.f("%.3f", r);
        return Text.f("%.2e", r);
    }

    private static String num(double v) {
        return Text.f("%.8g", v);
    }

    /** A fault that moves one element of the named tensor well past its tolerance. */
    static CrossCheck.Fault perturb(String tensor) {
        return (backend, name, values) -> {
            if (name.equals(tensor) && values.length > 0) {
                float max = 0;
                for (float v : values) max = Math.max(max, Math.abs(v));
                values[values.length / 2] += 0.01f * Math.max(max, 1e-3f);
            }
        };
    }

    private static void checkWritable(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new Main.UsageError("--json " + file + ": the directory " + parent + " does not exist");
        }
        if (Files.isDirectory(file)) throw new Main.UsageError("--json " + file + " is a directory");
    }

    private void writeJson(Path file, CrossCheck.Level level, List<Backend> chosen, List<CrossCheck.Result> results,
            List<CrossCheck.Result> fdResults, boolean passed, double seconds) {
        Json j = new Json();
        j.begin('{');
        j.field("tool").value("rnn4j check");
        j.field("version").value(VersionProvider.javaVersion());
        j.field("level").value(level.name().toLowerCase(Locale.ROOT));
        j.field("seed").value(seed);
        j.field("passed").value(passed);
        j.field("seconds").value(seconds);
        j.field("tolerance").begin('{');
        j.field("rule").value("|got - ref| <= rtol*|ref| + atol*max(max|ref|, 1e-3), per tensor");
        j.field("rtol").value(CrossCheck.RTOL);
        j.field("atol").value(CrossCheck.ATOL);
        j.field("finiteDifferenceRule").value("|fd - analytic| <= tol*max(1, |fd|), central differences in double");
        j.field("finiteDifferenceTol").value(CrossCheck.FD_TOL);
        j.field("finiteDifferenceStep").value(CrossCheck.FD_EPS);
        j.end('}');
        j.field("backends").begin('[');
        for (Backend b : chosen) j.value(b.name());
        j.end(']');
        j.field("crossChecks").begin('[');
        for (CrossCheck.Result r : results) result(j, r);
        j.end(']');
        j.field("finiteDifferenceChecks").begin('[');
        for (CrossCheck.Result r : fdResults) result(j, r);
        j.end(']');
        j.field("summary").begin('{');
        long failedCross = results.stream().filter(r -> !r.passed()).count();
        long failedFd = fdResults.stream().filter(r -> !r.passed()).count();
        j.field("checks").value(results.size() + fdResults.size());
        j.field("failed").value(failedCross + failedFd);
        j.field("crossChecksFailed").value(failedCross);
        j.field("finiteDifferenceChecksFailed").value(failedFd);
        j.end('}');
        j.end('}');
        try {
            Files.writeString(file, j.toString() + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write --json " + file + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().println("wrote " + file);
    }

    private static void result(Json j, CrossCheck.Result r) {
        CrossCheck.Config c = r.config();
        j.begin('{');
        j.field("configuration").value(c.describe().replaceAll("\\s+", " "));
        j.field("backend").value(r.backend());
        j.field("cell").value(c.spec().cell().name());
        j.field("inputSize").value(c.spec().inputSize());
        j.field("hiddenSize").value(c.spec().hiddenSize());
        j.field("projectionSize").value(c.spec().projectionSize());
        j.field("layers").value(c.spec().layers());
        j.field("bidirectional").value(c.spec().bidirectional());
        j.field("bias").value(c.spec().bias());
        j.field("batchFirst").value(c.spec().batchFirst());
        j.field("steps").value(c.batch().steps());
        j.field("batch").value(c.batch().size());
        j.field("lengths");
        if (c.batch().hasLengths()) {
            j.begin('[');
            for (int l : c.batch().lengths()) j.value(l);
            j.end(']');
        } else {
            j.nullValue();
        }
        j.field("passed").value(r.passed());
        j.field("error");
        if (r.error() == null) j.nullValue();
        else j.value(r.error());
        j.field("seconds").value(r.seconds());
        j.field("tensors").begin('[');
        for (CrossCheck.TensorResult t : r.tensors()) {
            j.begin('{');
            j.field("name").value(t.name());
            j.field("size").value(t.size());
            j.field("worstErrorOverTolerance").value(t.ratio());
            j.field("maxAbsError").value(t.maxAbsError());
            j.field("worstIndex").value(t.index());
            j.field("got").value(t.got());
            j.field("expected").value(t.ref());
            j.field("passed").value(t.passed());
            j.end('}');
        }
        j.end(']');
        j.end('}');
    }
}
