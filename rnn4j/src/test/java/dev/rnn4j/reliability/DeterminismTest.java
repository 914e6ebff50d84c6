package dev.rnn4j.reliability;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.reliability.Workload.Case;
import dev.rnn4j.reliability.Workload.Result;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Determinism: with the same settings (backend, kernel thread count), repeated runs, on the same
 * {@code Rnn} or on fresh ones, are bitwise identical, on shapes large enough for OpenBLAS to split
 * its GEMMs across threads. What the thread count changes is measured and printed, not asserted:
 * see {@link #threadCountEffectIsReported()}.
 */
class DeterminismTest {

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // Large enough for OpenBLAS to use several threads in the hoisted GEMMs and the weight gradients.
        cases.add(new Case(RnnSpec.builder(CellType.LSTM, 64, 96).build(), 8, 16, null, 1, true, true, false, 1));
        cases.add(new Case(RnnSpec.builder(CellType.GRU, 48, 64).bidirectional(true).layers(2).build(), 10, 16,
                new int[] {10, 3, 7, 10, 1, 9, 10, 2, 5, 5, 8, 10, 4, 6, 10, 1}, 2, true, true, true, 2));
        cases.add(new Case(RnnSpec.builder(CellType.RNN_TANH, 96, 192).batchFirst(true).build(), 6, 24, null, 3, false,
                true, false, 1));
        // Batch 10 on 2 threads: the split by hidden units (a barrier per step).
        cases.add(new Case(RnnSpec.builder(CellType.LSTM, 40, 96).bidirectional(true).build(), 7, 10,
                new int[] {7, 2, 7, 5, 1, 7, 3, 6, 7, 4}, 5, true, true, false, 1));
        cases.add(new Case(RnnSpec.builder(CellType.LSTM, 32, 64).projectionSize(24).build(), 5, 2, new int[] {5, 2}, 4,
                true, false, true, 1));
        return cases;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void repeatedRunsAreBitwiseIdentical(Backend backend) {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        int[] settings = backend == Backend.CPU ? new int[] {1, 2} : new int[] {1};
        int previous = backend.threads();
        try {
            for (int threads : settings) {
                backend.setThreads(threads);
                for (Case c : cases()) {
                    if (backend == Backend.JAVA && c.spec().hiddenSize() > 64 * 1) continue; // the reference is slow
                    Result first = Workload.run(backend, c);
                    try (Rnn rnn = Rnn.create(c.spec(), backend)) {
                        for (int i = 0; i < 2; i++) {
                            String diff = Workload.run(rnn, c).bitwiseDifference(first);
                            assertNull(diff, () -> backend + " threads=" + threads + " run " + " on one Rnn: " + c);
                        }
                    }
                    assertNull(Workload.run(backend, c).bitwiseDifference(first),
                            () -> backend + " threads=" + threads + " fresh Rnn: " + c);
                }
            }
        } finally {
            backend.setThreads(previous);
        }
    }

    /**
     * Runs every case with 1, 2 and 4 kernel threads and prints, per thread count, whether the
     * results are bitwise those of 1 thread (and the largest difference if not). Asserts only that
     * each differs from 1 thread by no more than the reference tolerance.
     */
    @Test
    void threadCountEffectIsReported() {
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU skipped: " + Backend.CPU.unavailableReason());
        int previous = Backend.CPU.threads();
        try {
            Backend.CPU.setThreads(1);
            List<Result> one = new ArrayList<>();
            for (Case c : cases()) one.add(Workload.run(Backend.CPU, c));
            for (int threads : new int[] {2, 4}) {
                Backend.CPU.setThreads(threads);
                StringBuilder line = new StringBuilder("RELIABILITY determinism: CPU threads=" + threads + " vs 1:");
                for (int k = 0; k < one.size(); k++) {
                    Result r = Workload.run(Backend.CPU, cases().get(k));
                    String diff = r.bitwiseDifference(one.get(k));
                    line.append(" case").append(k).append(diff == null ? "=identical" : "=differs(" + diff + ")");
                    r.assertCloseTo(one.get(k), "threads=" + threads);
                }
                System.out.println(line);
            }
        } finally {
            Backend.CPU.setThreads(previous);
        }
    }
}
