package dev.rnn4j.spark;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.BooleanSupplier;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.function.Executable;

/** The tests' Spark: local[2], no UI, two shuffle partitions; one session per test class. */
final class SparkTests {
    private SparkTests() {}

    static SparkSession start() {
        return SparkSession.builder().master("local[2]").appName("rnn4j-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }

    /** Asserts that {@code job} fails and that the failure's message (with its causes) has every fragment. */
    static String assertJobFails(Executable job, String... fragments) {
        Throwable t = assertThrows(Throwable.class, job);
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) all.append(c).append('\n');
        for (String f : fragments) assertTrue(all.toString().contains(f), "expected '" + f + "' in:\n" + all);
        return all.toString();
    }

    /**
     * Waits, at most 30 s, until {@code settled} holds, and returns either way (the caller asserts).
     * A job fails on the driver as soon as one task fails; Spark kills the job's other tasks after
     * that, on their own threads, so whatever they close at their end is closed a moment later.
     */
    static void awaitSettled(BooleanSupplier settled) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!settled.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(10);
    }
}
