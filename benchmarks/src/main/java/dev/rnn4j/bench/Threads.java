package dev.rnn4j.bench;

import dev.rnn4j.Backend;

/** The {@code threads} parameter of the benchmarks: a number, or {@code all} for every core. */
final class Threads {
    private Threads() {}

    static int parse(String threads) {
        return "all".equalsIgnoreCase(threads) ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
    }

    /** Sets the thread count of a native backend (the JAVA reference is single-threaded). */
    static void apply(Backend backend, String threads) {
        if (backend != Backend.JAVA) backend.setThreads(parse(threads));
    }
}
