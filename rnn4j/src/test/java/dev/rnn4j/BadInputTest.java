package dev.rnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bad input for every public method: the documented exception, a message naming the argument
 * (and the numbers), nothing written, and the object still usable afterwards.
 */
class BadInputTest {

    static <T extends Throwable> T assertRejects(Class<T> type, Executable call, String... mustMention) {
        T e = assertThrows(type, call);
        for (String word : mustMention) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(word),
                    "message should mention '" + word + "': " + e.getMessage());
        }
        return e;
    }

    @Test
    void specFieldsAreChecked() {
        assertRejects(IllegalArgumentException.class, () -> RnnSpec.builder(CellType.LSTM, 0, 4).build(), "inputSize", "0");
        assertRejects(IllegalArgumentException.class, () -> RnnSpec.builder(CellType.LSTM, 3, -2).build(), "hiddenSize", "-2");
        assertRejects(IllegalArgumentException.class, () -> RnnSpec.builder(CellType.GRU, 3, 4).layers(0).build(), "layers");
        assertRejects(IllegalArgumentException.class,
                () -> RnnSpec.builder(CellType.GRU, 3, 4).projectionSize(2).build(), "projectionSize", "GRU");
        assertRejects(IllegalArgumentException.class,
                () -> RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(4).build(), "projectionSize", "4");
        assertRejects(IllegalArgumentException.class,
                () -> RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(-1).build(), "projectionSize", "-1");
        assertRejects(NullPointerException.class, () -> RnnSpec.builder(null, 3, 4), "cell");
        assertRejects(IllegalArgumentException.class,
                () -> RnnSpec.builder(CellType.LSTM, 1 << 20, 1 << 14).build(), "floats");
        assertRejects(IllegalArgumentException.class,
                () -> RnnSpec.builder(CellType.LSTM, 4, Integer.MAX_VALUE / 2).build(), "floats");
        assertRejects(IllegalArgumentException.class, () -> RnnSpec.builder(CellType.LSTM, Integer.MAX_VALUE,
                Integer.MAX_VALUE).bidirectional(true).layers(Integer.MAX_VALUE).build(), "floats");
    }

    @Test
    void batchIsChecked() {
        assertRejects(IllegalArgumentException.class, () -> Batch.of(0, 2), "steps", "0");
        assertRejects(IllegalArgumentException.class, () -> Batch.of(3, -1), "batch size", "-1");
        assertRejects(IllegalArgumentException.class, () -> Batch.ofLengths(3, new int[] {1, 4}), "lengths[1]", "1..T=3", "4");
        assertRejects(IllegalArgumentException.class, () -> Batch.ofLengths(3, new int[] {0}), "lengths[0]", "0");
        assertRejects(IllegalArgumentException.class, () -> Batch.ofLengths(3, new int[0]), "lengths");
        assertRejects(NullPointerException.class, () -> Batch.ofLengths(3, (int[]) null), "lengths");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void forwardAndBackwardArgumentsAreChecked(Backend backend) {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 3, 4).layers(2).build();
        Batch batch = Batch.of(5, 2);
        try (Rnn rnn = Rnn.create(spec, backend)) {
            float[] before = rnn.parameters();
            float[] x = new float[5 * 2 * 3];
            assertRejects(NullPointerException.class, () -> rnn.forward(null, batch), "x");
            assertRejects(NullPointerException.class, () -> rnn.forward(x, null), "batch");
            assertRejects(IllegalArgumentException.class, () -> rnn.forward(new float[29], batch), "x", "30", "29");
            assertRejects(IllegalArgumentException.class,
                    () -> rnn.forward(Mode.TRAINING, batch, x, new float[15], null), "h0", "16", "15");
            assertRejects(IllegalArgumentException.class,
                    () -> rnn.forward(Mode.TRAINING, batch, x, null, new float[17]), "c0", "16", "17");
            assertRejects(IllegalArgumentException.class,
                    () -> rnn.forward(Mode.TRAINING, Batch.ofLengths(5, 1, 2, 3), x, null, null), "x", "45", "30");
            // Buffers: too small, wrong byte order, read-only output, output aliasing an input.
            FloatBuffer xb = FloatBuffer.wrap(x);
            FloatBuffer small = FloatBuffer.allocate(39);
            assertRejects(IllegalArgumentException.class,
                    () -> rnn.forward(Mode.INFERENCE, batch, xb, null, null, small, null, null), "y", "40", "39");
            FloatBuffer bigEndian = ByteBuffer.allocateDirect(4 * 30).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
            if (ByteOrder.nativeOrder() != ByteOrder.BIG_ENDIAN) {
                assertRejects(IllegalArgumentException.class, () -> rnn.forward(Mode.INFERENCE, batch, bigEndian, null,
                        null, FloatBuffer.allocate(40), null, null), "x", "byte order");
            }
            assertRejects(IllegalArgumentException.class, () -> rnn.forward(Mode.INFERENCE, batch, xb, null, null,
                    FloatBuffer.allocate(40).asReadOnlyBuffer(), null, null), "y", "read-only");
            FloatBuffer shared = FloatBuffer.allocate(40);
            assertRejects(IllegalArgumentException.class, () -> rnn.forward(Mode.INFERENCE, batch, shared, null, null,
                    shared, null, null), "y", "share");
            assertRejects(NullPointerException.class, () -> rnn.forward(null, batch, xb, null, null, shared, null, null),
                    "mode");
            assertArrayEquals(before, rnn.parameters(), "nothing written");

            // Backward needs a training forward; inference replaces it.
            assertRejects(IllegalStateException.class, () -> rnn.backward(null, null, null), "TRAINING");
            rnn.forward(Mode.TRAINING, batch, x, null, null);
            rnn.forward(Mode.INFERENCE, batch, x, null, null);
            assertRejects(IllegalStateException.class, () -> rnn.backward(null, null, null), "TRAINING");
            rnn.forward(Mode.TRAINING, batch, x, null, null);
            assertRejects(IllegalArgumentException.class, () -> rnn.backward(new float[41], null, null), "dy", "40", "41");
            assertRejects(IllegalArgumentException.class, () -> rnn.backward(null, new float[3], null), "dhN", "16", "3");
            assertRejects(IllegalArgumentException.class, () -> rnn.backward(null, null, new float[3]), "dcN", "16", "3");
            float[] grads = rnn.gradients();
            assertArrayEquals(new float[grads.length], grads, "no gradient written by rejected calls");
            rnn.backward(null, null, null); // still usable

            // Parameters by name.
            assertRejects(IllegalArgumentException.class, () -> rnn.parameter("weight_ih_l2"), "weight_ih_l2", "weight_ih_l0");
            assertRejects(IllegalArgumentException.class, () -> rnn.setParameter("bias_ih_l0", new float[3]),
                    "bias_ih_l0", "16", "3");
            assertRejects(IllegalArgumentException.class, () -> rnn.setParameters(new float[3]), "values", "3");
            assertRejects(NullPointerException.class, () -> rnn.setParameter("bias_ih_l0", null), "values");
            assertRejects(NullPointerException.class, () -> rnn.gradient(null), "name");
            assertRejects(IllegalArgumentException.class, () -> rnn.stream(0), "batchSize", "0");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void cellStateIsRejectedForCellsWithoutOne(Backend backend) {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        try (Rnn rnn = Rnn.create(RnnSpec.builder(CellType.GRU, 2, 3).build(), backend)) {
            assertRejects(IllegalArgumentException.class,
                    () -> rnn.forward(Mode.TRAINING, Batch.of(2, 1), new float[4], null, new float[3]), "c0", "GRU");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void everyMethodRejectsUseAfterClose(Backend backend) {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        Rnn rnn = Rnn.create(RnnSpec.builder(CellType.RNN_TANH, 2, 3).build(), backend);
        RnnStream stream = rnn.stream(1);
        rnn.close();
        rnn.close(); // idempotent
        float[] x = new float[2];
        for (Executable call : Arrays.<Executable>asList(() -> rnn.forward(x, Batch.of(1, 1)),
                () -> rnn.backward(null, null, null), () -> rnn.parameters(), () -> rnn.gradients(),
                () -> rnn.parameter("weight_ih_l0"), () -> rnn.setParameters(new float[rnn.spec().parameterCount()]),
                () -> rnn.zeroGradients(), () -> rnn.initialize(1), () -> rnn.parameterBuffer(),
                () -> rnn.gradientBuffer(), () -> rnn.stream(1), () -> stream.step(x, 1), () -> rnn.setFiniteCheck(true))) {
            assertRejects(IllegalStateException.class, call, "closed");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void finiteCheckNamesTheTensorAndIndex(Backend backend) {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        try (Rnn rnn = Rnn.create(RnnSpec.builder(CellType.GRU, 2, 3).build(), backend)) {
            float[] x = new float[2 * 2 * 2];
            x[5] = Float.NaN;
            rnn.forward(x, Batch.of(2, 2)); // off by default: NaN propagates
            rnn.setFiniteCheck(true);
            assertRejects(IllegalArgumentException.class, () -> rnn.forward(x, Batch.of(2, 2)), "x[5]", "NaN");
            x[5] = 0;
            rnn.forward(Mode.TRAINING, Batch.of(2, 2), x, null, null);
            float[] dy = new float[12];
            dy[3] = Float.POSITIVE_INFINITY;
            assertRejects(IllegalArgumentException.class, () -> rnn.backward(dy, null, null), "dy[3]", "Infinity");
        }
    }

    @Test
    void streamingABidirectionalSpecIsRejected() {
        try (Rnn rnn = Rnn.create(RnnSpec.builder(CellType.LSTM, 2, 3).bidirectional(true).build(), Backend.JAVA)) {
            assertRejects(IllegalStateException.class, () -> rnn.stream(1), "unidirectional");
        }
    }

    @Test
    void sizesWhoseProductOverflowsAreRejected() {
        try (Rnn rnn = Rnn.create(RnnSpec.builder(CellType.LSTM, 4096, 8).build(), Backend.JAVA)) {
            assertRejects(IllegalArgumentException.class,
                    () -> rnn.forward(new float[1], Batch.of(1 << 16, 1 << 10)), "x", "2147483647");
        }
    }

    @Test
    void forcingAnUnknownBackendExplainsItself() {
        for (Backend b : Backend.values()) {
            if (!b.isAvailable()) assertRejects(IllegalStateException.class, () -> b.setThreads(1), b.name(), "not available");
        }
        assertRejects(IllegalArgumentException.class, () -> Backend.CPU.setThreads(0), "threads", "0");
    }
}
