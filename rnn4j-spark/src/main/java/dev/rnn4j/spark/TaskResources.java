package dev.rnn4j.spark;

import dev.rnn4j.Backend;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;

/**
 * What a Spark task needs around rnn4j: the backend and its thread count, and closing native
 * resources when the task ends, whether it succeeded or failed (a failed task never reaches the
 * end of its iterator, so only Spark's completion listener can be relied on).
 */
final class TaskResources {
    private static final System.Logger LOG = System.getLogger(TaskResources.class.getName());
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    /** Networks opened by tasks of this JVM and not yet closed (the tests read it). */
    static final AtomicInteger OPEN = new AtomicInteger();
    /** The thread count last given to OpenBLAS, 0 before the first. */
    private static final AtomicInteger BLAS_THREADS = new AtomicInteger();

    private TaskResources() {}

    /**
     * The backend of {@code compute} for this task: CPU with {@code spark.task.cpus} threads (the
     * thread count is process-wide, and every task of an executor has the same), or JAVA where the
     * CPU natives do not load (logged once per JVM). OpenBLAS (the {@code Linear} head's products)
     * gets the same thread count: an executor runs several tasks at once, and OpenBLAS's default of
     * one thread per core for each of them oversubscribes the cores (what MLlib's advice
     * {@code OPENBLAS_NUM_THREADS=1} avoids; on local[2] it made training three times slower).
     */
    static Backend backend(RnnInference.Compute compute) {
        if (compute == RnnInference.Compute.JAVA) return Backend.JAVA;
        if (!Backend.CPU.isAvailable()) {
            if (WARNED.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.WARNING, "rnn4j: the CPU backend is not available on this executor ("
                        + Backend.CPU.unavailableReason() + "); running on Backend.JAVA, much slower");
            }
            return Backend.JAVA;
        }
        TaskContext task = TaskContext.get();
        int cpus = task == null ? 1 : Math.max(1, task.cpus());
        if (Backend.CPU.threads() != cpus) Backend.CPU.setThreads(cpus);
        if (BLAS_THREADS.getAndSet(cpus) != cpus) {
            try {
                org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
                org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads(cpus);
            } catch (RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.WARNING, "rnn4j: cannot set OpenBLAS's thread count to " + cpus + ": " + e);
            }
        }
        return Backend.CPU;
    }

    /** The partition of the running task (0 outside a task). */
    static int partition() {
        TaskContext task = TaskContext.get();
        return task == null ? 0 : task.partitionId();
    }

    /**
     * Runs {@code close} once: when the task completes or fails, or, outside a task, when the
     * caller calls the returned runnable (it may call it in any case; the second call does nothing).
     */
    static Runnable closeAtTaskEnd(AutoCloseable resource) {
        OPEN.incrementAndGet();
        AtomicBoolean done = new AtomicBoolean();
        Runnable close = () -> {
            if (done.compareAndSet(false, true)) {
                try {
                    resource.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + resource + " failed: " + e, e);
                } finally {
                    OPEN.decrementAndGet();
                }
            }
        };
        TaskContext task = TaskContext.get();
        if (task != null) task.addTaskCompletionListener((TaskCompletionListener) context -> close.run());
        return close;
    }
}
