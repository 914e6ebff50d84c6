package dev.rnn4j;

import static dev.rnn4j.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cell options of issue 16 through the public API: the spec's checks and messages, the
 * dropout seed of the forward calls, and streaming, variable lengths and bidirectional stacks with
 * each option on every available backend.
 */
class CellOptionsApiTest {

    private static void rejected(String expected, Runnable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void theSpecRejectsOptionsThatDoNotApplyNamingThem() {
        rejected("linearBeforeReset=false (reset before the recurrent product) is a GRU variant, got it for LSTM",
                () -> RnnSpec.builder(CellType.LSTM, 3, 4).linearBeforeReset(false).build());
        rejected("cellClip is supported for LSTM only, got cellClip=1.0 for GRU",
                () -> RnnSpec.builder(CellType.GRU, 3, 4).cellClip(1f).build());
        rejected("cellClip must be 0 (none) or positive and finite, got -1.0",
                () -> RnnSpec.builder(CellType.LSTM, 3, 4).cellClip(-1f).build());
        rejected("got NaN", () -> RnnSpec.builder(CellType.LSTM, 3, 4).cellClip(Float.NaN).build());
        rejected("got Infinity", () -> RnnSpec.builder(CellType.LSTM, 3, 4).cellClip(Float.POSITIVE_INFINITY).build());
        rejected("projectionClip=0.5 needs an LSTM projection (projectionSize > 0), got projectionSize=0",
                () -> RnnSpec.builder(CellType.LSTM, 3, 4).projectionClip(0.5f).build());
        rejected("dropout must be in [0, 1), got 1.0", () -> RnnSpec.builder(CellType.LSTM, 3, 4).dropout(1f).build());
        rejected("dropout must be in [0, 1), got -0.1", () -> RnnSpec.builder(CellType.RNN_TANH, 3, 4).dropout(-0.1f).build());
        rejected("got NaN", () -> RnnSpec.builder(CellType.RNN_TANH, 3, 4).dropout(Float.NaN).build());
    }

    @Test
    void optionsArePartOfTheSpecsIdentity() {
        RnnSpec base = RnnSpec.builder(CellType.GRU, 3, 4).layers(2).build();
        RnnSpec rb = base.toBuilder().linearBeforeReset(false).dropout(0.25f).build();
        assertNotEquals(base, rb);
        assertEquals(rb, rb.toBuilder().build());
        assertEquals(rb.hashCode(), rb.toBuilder().build().hashCode());
        assertEquals("GRU(I=3, H=4, layers=2, bias, reset before, dropout=0.25)", rb.toString());
        RnnSpec lstm = RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(2).cellClip(3f).projectionClip(0.5f).build();
        assertEquals("LSTM(I=3, H=4, P=2, layers=1, bias, cellClip=3.0, projectionClip=0.5)", lstm.toString());
        assertEquals(lstm.parameterCount(), lstm.toBuilder().cellClip(0).projectionClip(0).build().parameterCount());
    }

    private static List<Backend> backends() {
        List<Backend> list = new ArrayList<>();
        for (Backend b : Backend.values()) if (b.isAvailable()) list.add(b);
        return list;
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    @Test
    void theDropoutSeedChoosesTheMaskAndInferenceNeverDrops() {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 4, 8).layers(2).dropout(0.5f).build();
        RnnSpec none = spec.toBuilder().dropout(0).build();
        Batch batch = Batch.of(5, 3);
        float[] x = random(5 * 3 * 4, 1);
        for (Backend b : backends()) {
            try (Rnn rnn = Rnn.create(spec, b); Rnn plain = Rnn.create(none, b)) {
                float[] a = rnn.forward(Mode.TRAINING, batch, x, null, null, 7L).y();
                float[] again = rnn.forward(Mode.TRAINING, batch, x, null, null, 7L).y();
                float[] other = rnn.forward(Mode.TRAINING, batch, x, null, null, 8L).y();
                assertArrayEquals(a, again, b + ": same seed, same mask");
                assertFalse(Arrays.equals(a, other), b + ": another seed, another mask");
                // Without a seed: 0, 1, 2, ... per training forward of this network.
                float[] auto0 = rnn.forward(Mode.TRAINING, batch, x, null, null).y();
                float[] auto1 = rnn.forward(Mode.TRAINING, batch, x, null, null).y();
                assertArrayEquals(rnn.forward(Mode.TRAINING, batch, x, null, null, 0L).y(), auto0, b + ": first automatic seed");
                assertArrayEquals(rnn.forward(Mode.TRAINING, batch, x, null, null, 1L).y(), auto1, b + ": second automatic seed");
                // Inference: no dropout at all.
                assertArrayEquals(plain.forward(x, batch).y(), rnn.forward(x, batch).y(), b + ": inference");
                assertArrayEquals(plain.forward(x, batch).y(), plain.forward(Mode.TRAINING, batch, x, null, null, 5L).y(),
                        b + ": p = 0 trains without dropout");
            }
        }
    }

    /** Every option with streaming (unidirectional), and with lengths and bidirectional stacks, against the reference. */
    @Test
    void streamingLengthsAndBidirectionalStacksWorkWithEveryOption() {
        List<RnnSpec> specs = List.of(
                RnnSpec.builder(CellType.GRU, 4, 6).layers(2).linearBeforeReset(false).build(),
                RnnSpec.builder(CellType.LSTM, 4, 6).layers(2).cellClip(0.2f).build(),
                RnnSpec.builder(CellType.LSTM, 4, 6).layers(2).projectionSize(3).cellClip(0.2f).projectionClip(0.1f).build(),
                RnnSpec.builder(CellType.RNN_TANH, 4, 6).layers(2).dropout(0.3f).build());
        int T = 7, N = 3;
        for (RnnSpec spec : specs) {
            float[] x = random(T * N * 4, spec.hashCode());
            for (Backend b : backends()) {
                try (Rnn rnn = Rnn.create(spec, b)) {
                    float[] whole = rnn.forward(x, Batch.of(T, N)).y();
                    try (RnnStream stream = rnn.stream(N)) {
                        float[] first = stream.step(Arrays.copyOfRange(x, 0, 3 * N * 4), 3);
                        float[] rest = stream.step(Arrays.copyOfRange(x, 3 * N * 4, x.length), T - 3);
                        float[] joined = new float[whole.length];
                        System.arraycopy(first, 0, joined, 0, first.length);
                        System.arraycopy(rest, 0, joined, first.length, rest.length);
                        assertClose(b + " " + spec + " streamed", joined, whole);
                    }
                }
                RnnSpec bi = spec.toBuilder().bidirectional(true).batchFirst(true).build();
                Batch lengths = Batch.ofLengths(T, 7, 2, 5);
                float[] xb = random(T * N * 4, 3);
                try (Rnn got = Rnn.create(bi, b); Rnn ref = Rnn.create(bi, Backend.JAVA)) {
                    ForwardResult g = got.forward(Mode.TRAINING, lengths, xb, null, null, 11L);
                    ForwardResult r = ref.forward(Mode.TRAINING, lengths, xb, null, null, 11L);
                    assertClose(b + " " + bi + " y", g.y(), r.y());
                    assertClose(b + " " + bi + " hN", g.hN(), r.hN());
                    float[] dy = random(g.y().length, 4);
                    assertClose(b + " " + bi + " dx", got.backward(dy, null, null).dx(), ref.backward(dy, null, null).dx());
                    assertClose(b + " " + bi + " gradients", got.gradients(), ref.gradients());
                }
            }
        }
    }
}
