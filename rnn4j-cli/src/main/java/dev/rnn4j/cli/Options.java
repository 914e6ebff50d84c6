package dev.rnn4j.cli;

import dev.rnn4j.Backend;

/** Shared handling of --backend and --threads. */
final class Options {
    private Options() {}

    /** The requested backend, checked available, or the best one. */
    static Backend backend(Backend requested) {
        if (requested == null) {
            try {
                return Backend.best();
            } catch (IllegalStateException e) {
                throw new Main.UsageError(e.getMessage());
            }
        }
        if (!requested.isAvailable()) {
            throw new Main.UsageError("--backend " + requested.name().toLowerCase(java.util.Locale.ROOT) + " is not available: "
                    + requested.unavailableReason());
        }
        return requested;
    }

    static void threads(Backend backend, Integer threads) {
        if (threads == null) return;
        if (threads < 1 || threads > 1024) throw new Main.UsageError("--threads must be in 1..1024, got " + threads);
        if (backend == Backend.CPU) Backend.CPU.setThreads(threads);
    }

    /**
     * A warning when other processes keep the cores busy (the 1-minute load average exceeds the
     * cores), since timings then say more about the machine than about rnn4j; or null.
     */
    static String busyWarning() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        if (load < 0 || load <= cores) return null;
        return Text.f("warning: the load average is %.1f on %d cores: other processes are running, so times will be slower"
                + " and noisier than on an idle machine", load, cores);
    }

    /** One line: the backend and its threads. */
    static String describe(Backend b) {
        switch (b) {
            case CPU:
                return "CPU (librnn4j " + dev.rnn4j.cpu.Rnn4jCpu.rnn4j_version() + " over OpenBLAS, " + Backend.CPU.threads()
                        + " thread" + (Backend.CPU.threads() == 1 ? "" : "s") + ")";
            case JAVA:
                return "JAVA (the pure-Java reference: double precision, one thread; slow, use small settings)";
            default:
                return "CUDA (" + dev.rnn4j.cuda.CudaKernel.describe() + ")";
        }
    }

    /** Parses precision names (fp32, bf16, int8, any case), in order, without repeats. */
    static java.util.List<dev.rnn4j.Precision> precisions(String option, java.util.List<String> names) {
        java.util.LinkedHashSet<dev.rnn4j.Precision> set = new java.util.LinkedHashSet<>();
        for (String p : names) {
            try {
                set.add(dev.rnn4j.Precision.valueOf(p.trim().toUpperCase(java.util.Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError(option + " " + p + ": use fp32, bf16 or int8");
            }
        }
        return new java.util.ArrayList<>(set);
    }
}
