package dev.rnn4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.reliability.Workload.Case;
import dev.rnn4j.reliability.Workload.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Threads.
 *
 * <ul>
 *   <li>8 threads, each with its own {@code Rnn}s, give bitwise the results of one thread (every
 *       cell, with and without lengths, arrays and direct buffers); on the CPU backend also with the
 *       kernels' own thread count at 2, so that OpenBLAS's worker threads are shared by the 8
 *       callers.
 *   <li>One {@code Rnn} shared by 8 threads: every call either completes with the correct result or
 *       throws {@link IllegalStateException} saying another thread is using it / an Rnn is for one
 *       thread at a time (fail fast); never a wrong result, another exception or message (such as
 *       "needs a forward in Mode.TRAINING" while another thread's training forward runs), or a crash. The same while another thread closes it:
 *       calls fail with "closed" or "another thread", never touch freed memory.
 * </ul>
 */
class ConcurrencyTest {
    static final int THREADS = 8;

    static List<Case> mixedCases() {
        List<Case> cases = new ArrayList<>();
        int i = 0;
        for (CellType cell : CellType.values()) {
            for (boolean bi : new boolean[] {false, true}) {
                RnnSpec spec = RnnSpec.builder(cell, 12, 24).bidirectional(bi).layers(1 + i % 2)
                        .projectionSize(cell == CellType.LSTM && bi ? 8 : 0).batchFirst(i % 3 == 0).build();
                int[] lengths = i % 2 == 0 ? new int[] {9, 3, 12, 12, 1} : null;
                cases.add(new Case(spec, 12, 5, lengths, 1000 + i, true, true, i % 4 >= 2, 1 + i % 2));
                i++;
            }
        }
        return cases;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void eightThreadsWithTheirOwnRnnMatchOneThreadBitwise(Backend backend) throws Exception {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        int[] threadSettings = backend == Backend.CPU ? new int[] {1, 2} : new int[] {1};
        int previous = backend.threads();
        try {
            for (int kernelThreads : threadSettings) {
                backend.setThreads(kernelThreads);
                List<Case> cases = mixedCases();
                List<Result> expected = new ArrayList<>();
                for (Case c : cases) expected.add(Workload.run(backend, c));
                int rounds = backend == Backend.JAVA ? 1 : 3;
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                try {
                    CountDownLatch go = new CountDownLatch(1);
                    List<Future<String>> futures = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        int offset = t;
                        futures.add(pool.submit(() -> {
                            go.await();
                            for (int r = 0; r < rounds; r++) {
                                for (int k = 0; k < cases.size(); k++) {
                                    int idx = (k + offset * 3 + r) % cases.size(); // threads in different orders
                                    String diff = Workload.run(backend, cases.get(idx)).bitwiseDifference(expected.get(idx));
                                    if (diff != null) return "case " + cases.get(idx) + ": " + diff;
                                }
                            }
                            return null;
                        }));
                    }
                    go.countDown();
                    for (Future<String> f : futures) {
                        assertNull(f.get(300, TimeUnit.SECONDS), backend + " with " + kernelThreads
                                + " kernel threads: a thread's result differs from the single-threaded one");
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        } finally {
            backend.setThreads(previous);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aSharedRnnEitherWorksOrFailsFast(Backend backend) throws Exception {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 16, 32).build();
        Case c = new Case(spec, 10, 4, null, 7, true, true, false, 1);
        float[][] d = c.data();
        Result expected = Workload.run(backend, c);
        int iterations = backend == Backend.JAVA ? 30 : 300;
        try (Rnn shared = Rnn.create(spec, backend)) {
            shared.initialize(c.seed());
            AtomicInteger ok = new AtomicInteger(), busy = new AtomicInteger();
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch go = new CountDownLatch(1);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    futures.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < iterations; i++) {
                            try {
                                // Whoever ran the last training forward, it had these inputs, so dx is the same.
                                var f = shared.forward(Mode.TRAINING, c.batch(), d[0], d[1], d[2]);
                                if (!java.util.Arrays.equals(f.y(), expected.y())) problems.add("wrong y");
                                var b = shared.backward(d[3], d[4], d[5]);
                                if (!java.util.Arrays.equals(b.dx(), expected.dx())) problems.add("wrong dx");
                                ok.incrementAndGet();
                            } catch (IllegalStateException e) {
                                String m = String.valueOf(e.getMessage());
                                if (m.contains("another thread") || m.contains("one thread at a time")) {
                                    busy.incrementAndGet();
                                } else {
                                    problems.add("unexpected IllegalStateException: " + e.getMessage());
                                }
                            } catch (Throwable e) {
                                problems.add("unexpected " + e);
                            }
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : futures) f.get(300, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            System.out.printf("RELIABILITY shared Rnn on %s: %d threads x %d iterations: %d completed correctly, %d"
                    + " failed fast (IllegalStateException: one thread at a time)%n", backend, THREADS, iterations, ok.get(),
                    busy.get());
            assertTrue(problems.isEmpty(), () -> problems.size() + " problems, e.g. " + problems.peek());
            assertTrue(ok.get() > 0, "no call completed");
            assertEquals(THREADS * iterations, ok.get() + busy.get());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void closingWhileOtherThreadsUseItNeverTouchesFreedMemory(Backend backend) throws Exception {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        RnnSpec spec = RnnSpec.builder(CellType.GRU, 64, 128).build();
        float[] x = new float[6 * 4 * 64];
        int rounds = backend == Backend.JAVA ? 5 : 60;
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            for (int r = 0; r < rounds; r++) {
                Rnn rnn = Rnn.create(spec, backend);
                CountDownLatch go = new CountDownLatch(1);
                ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int role = t;
                    futures.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < 20; i++) {
                            try {
                                if (role == 0 && i == 3) {
                                    rnn.close();
                                } else if (role % 2 == 0) {
                                    rnn.forward(x, Batch.of(6, 4));
                                } else {
                                    rnn.parameters();
                                    rnn.gradient("weight_hh_l0");
                                }
                            } catch (IllegalStateException e) {
                                String m = String.valueOf(e.getMessage());
                                if (!m.contains("closed") && !m.contains("another thread")) problems.add(m);
                            } catch (Throwable e) {
                                problems.add(e.toString());
                            }
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : futures) f.get(300, TimeUnit.SECONDS);
                for (int i = 0; i < 100 && !rnn.isClosed(); i++) {
                    try {
                        rnn.close();
                    } catch (IllegalStateException busyNow) {
                        Thread.onSpinWait();
                    }
                }
                if (!problems.isEmpty()) fail("round " + r + ": " + problems.peek());
                assertTrue(rnn.isClosed());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
