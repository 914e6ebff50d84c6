package dev.rnn4j.cli;

import dev.rnn4j.Backend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code rnn4j info}: versions, backends, the CPU, OpenBLAS, GPUs. */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        header = "Show the version, the backends, the CPU, OpenBLAS and the GPUs.",
        description = {"Shows the rnn4j version, each backend (available or not, and why), the CPU (model, cores, vector extensions), the OpenBLAS configuration and threads, and the GPUs seen."})
final class InfoCommand implements java.util.concurrent.Callable<Integer> {
    @Spec
    CommandSpec spec;

    private static final String[] VECTOR_FLAGS = {"sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f",
            "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "neon", "asimd", "sve"};

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("rnn4j " + VersionProvider.javaVersion() + "  (native " + VersionProvider.nativeVersion() + ")");
        out.println(row("Java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("java.vm.name") + ") on " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + " " + System.getProperty("os.arch")));
        out.println();
        out.println("Backends");
        for (Backend b : Backend.values()) {
            String reason = b.unavailableReason();
            out.println(Text.f("  %-5s %-14s %s", b, reason == null ? "available" : "NOT available",
                    reason == null ? what(b) : reason));
        }
        String best;
        try {
            best = Backend.best().toString();
        } catch (IllegalStateException e) {
            best = "none: " + e.getMessage();
        }
        out.println(Text.f("  %-5s %s", "best", best + "  (Backend.best(); override with -D" + Backend.PROPERTY + "=java|cpu|cuda)"));
        out.println();
        for (String line : cpu()) out.println(line);
        out.println();
        for (String line : openBlas()) out.println(line);
        out.println();
        out.println(row("GPUs", gpus()));
        out.flush();
        return 0;
    }

    private static String row(String name, String value) {
        return Text.f("%-10s %s", name, value);
    }

    private static String what(Backend b) {
        switch (b) {
            case JAVA:
                return "pure-Java reference, double precision, one thread (the oracle; slow)";
            case CPU:
                return "librnn4j " + dev.rnn4j.cpu.Rnn4jCpu.rnn4j_version() + ", fused C++ kernels over OpenBLAS";
            default:
                return dev.rnn4j.cuda.CudaKernel.describe();
        }
    }

    static List<String> cpu() {
        List<String> lines = new ArrayList<>();
        String model = null;
        Set<String> flags = new LinkedHashSet<>();
        Set<String> physical = new LinkedHashSet<>();
        String physicalId = "0";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                if (model == null && (key.equals("model name") || key.equals("Model") || key.equals("cpu model"))) model = value;
                if (key.equals("physical id")) physicalId = value;
                if (key.equals("core id")) physical.add(physicalId + "/" + value);
                if (flags.isEmpty() && (key.equals("flags") || key.equals("Features"))) {
                    for (String f : value.split("\\s+")) flags.add(f);
                }
            }
        } catch (IOException e) {
            model = "unknown (/proc/cpuinfo: " + e.getMessage() + ")";
        }
        int logical = Runtime.getRuntime().availableProcessors();
        List<String> vec = new ArrayList<>();
        for (String f : VECTOR_FLAGS) if (flags.contains(f)) vec.add(f);
        lines.add(row("CPU", (model == null ? System.getProperty("os.arch") : model)));
        lines.add(row("", logical + " logical cores available to Java" + (physical.isEmpty() ? ""
                : ", " + physical.size() + " physical core" + (physical.size() == 1 ? "" : "s") + " in /proc/cpuinfo")));
        lines.add(row("", "vector extensions: " + (vec.isEmpty() ? "none found" : String.join(" ", vec))));
        return lines;
    }

    static List<String> openBlas() {
        List<String> lines = new ArrayList<>();
        if (!Backend.CPU.isAvailable()) {
            lines.add(row("OpenBLAS", "not loaded (the CPU backend is not available)"));
            return lines;
        }
        lines.add(row("OpenBLAS", dev.rnn4j.cpu.Rnn4jCpu.rnn4j_blas_config().trim()));
        String env = System.getenv("OPENBLAS_NUM_THREADS");
        lines.add(row("", "threads: " + Backend.CPU.threads() + (env == null ? " (default: one per core; set OPENBLAS_NUM_THREADS or --threads)"
                : " (OPENBLAS_NUM_THREADS=" + env + ")")));
        lines.add(row("librnn4j", dev.rnn4j.cpu.Rnn4jCpu.rnn4j_build_info()));
        // which GEMM kernels run (rnn4j's ISA path or OpenBLAS), what forced them, what the CPU runs
        lines.add(row("kernels", dev.rnn4j.cpu.Rnn4jCpu.rnn4j_kernel_info()));
        return lines;
    }

    static String gpus() {
        List<String> found = new ArrayList<>();
        Path procGpus = Path.of("/proc/driver/nvidia/gpus");
        if (Files.isDirectory(procGpus)) {
            try (Stream<Path> dirs = Files.list(procGpus)) {
                for (Path d : (Iterable<Path>) dirs::iterator) {
                    Path info = d.resolve("information");
                    String model = "NVIDIA GPU";
                    if (Files.isReadable(info)) {
                        for (String l : Files.readAllLines(info)) {
                            if (l.startsWith("Model:")) model = l.substring(6).trim();
                        }
                    }
                    found.add(model + " (" + d.getFileName() + ")");
                }
            } catch (IOException | RuntimeException ignored) {
                // fall back to nvidia-smi below
            }
        }
        if (found.isEmpty()) {
            String smi = nvidiaSmi();
            if (smi != null) for (String l : smi.split("\n")) if (!l.isBlank()) found.add(l.trim());
        }
        String cuda = Backend.CUDA.isAvailable() ? "CUDA backend available" : "CUDA backend: " + Backend.CUDA.unavailableReason();
        if (found.isEmpty()) return "none seen (no NVIDIA driver in /proc/driver/nvidia, no nvidia-smi); " + cuda;
        return String.join("; ", found) + "; " + cuda;
    }

    private static String nvidiaSmi() {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "-L").redirectErrorStream(true).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            String text = new String(p.getInputStream().readAllBytes());
            return p.exitValue() == 0 ? text : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
