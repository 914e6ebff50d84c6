package dev.rnn4j;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/**
 * The hot path allocates nothing: once the workspace exists, forward and backward with direct
 * buffers allocate no Java heap memory (measured with the thread's allocation counter).
 */
class SteadyStateAllocationTest {

    @Test
    void forwardAndBackwardWithDirectBuffersAllocateNothing() {
        com.sun.management.ThreadMXBean threads = allocationCounter();
        long self = Thread.currentThread().getId();

        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 8, 16).layers(2).bidirectional(true).build();
        Batch batch = Batch.ofLengths(5, 3, 5, 2);
        Rnn.Shapes s = new Rnn.Shapes(spec, batch);
        FloatBuffer x = direct(s.x), y = direct(s.y), hN = direct(s.h), cN = direct(s.c);
        FloatBuffer dy = direct(s.y), dx = direct(s.x), dh0 = direct(s.h), dc0 = direct(s.c);
        try (Rnn rnn = Rnn.create(spec, Backend.CPU)) {
            Runnable call = () -> {
                rnn.forward(Mode.TRAINING, batch, x, null, null, y, hN, cN);
                rnn.backward(dy, null, null, dx, dh0, dc0);
            };
            for (int i = 0; i < 2000; i++) call.run(); // workspace, class loading, JIT
            long before = threads.getThreadAllocatedBytes(self);
            for (int i = 0; i < 1000; i++) call.run();
            long allocated = threads.getThreadAllocatedBytes(self) - before;
            // The smallest Java object is 16 bytes: one per call would be >= 16,000 bytes. A few hundred
            // bytes of one-off noise (JIT deoptimisation, the counter itself) are not per-call allocation.
            assertTrue(allocated < 8_000, "1000 forward+backward calls allocated " + allocated + " bytes");
        }
    }

    /** Inference in FP32 and in BF16: the prepared weights are made once, then reused. */
    @Test
    void inferenceWithPreparedWeightsAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = allocationCounter();
        long self = Thread.currentThread().getId();
        RnnSpec spec = RnnSpec.builder(CellType.GRU, 8, 16).layers(2).build();
        for (Precision p : new Precision[] {Precision.FP32, Precision.BF16}) {
            for (Batch batch : new Batch[] {Batch.of(5, 1), Batch.of(4, 20)}) { // small- and large-batch paths
                Rnn.Shapes s = new Rnn.Shapes(spec, batch);
                FloatBuffer x = direct(s.x), y = direct(s.y), hN = direct(s.h);
                try (Rnn rnn = Rnn.create(spec, Backend.CPU)) {
                    rnn.setPrecision(p);
                    Runnable call = () -> rnn.forward(Mode.INFERENCE, batch, x, null, null, y, hN, null);
                    for (int i = 0; i < 2000; i++) call.run();
                    long before = threads.getThreadAllocatedBytes(self);
                    for (int i = 0; i < 1000; i++) call.run();
                    long allocated = threads.getThreadAllocatedBytes(self) - before;
                    assertTrue(allocated < 8_000, p + ", " + batch + ": 1000 inference calls allocated " + allocated
                            + " bytes");
                }
            }
        }
    }

    static com.sun.management.ThreadMXBean allocationCounter() {
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU skipped: " + Backend.CPU.unavailableReason());
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter in this JVM");
        return (com.sun.management.ThreadMXBean) bean;
    }

    static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
