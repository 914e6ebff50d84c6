package example;

import dev.rnn4j.Backend;
import dev.rnn4j.BackwardResult;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.ForwardResult;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.Tolerance;
import java.util.Random;

/**
 * What a user of rnn4j-platform does first: a training forward and a backward pass on the native CPU
 * backend, each output and gradient compared element by element with the pure-Java reference
 * (tolerance of docs/DESIGN.md §6). Exits non-zero on any failure.
 */
public final class ConsumerCheck {
    public static void main(String[] args) {
        if (!Backend.CPU.isAvailable()) {
            throw new AssertionError("Backend.CPU is not available from rnn4j-platform: " + Backend.CPU.unavailableReason());
        }
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 5, 8).layers(2).bidirectional(true).build();
        int steps = 6, size = 3;
        float[] x = random(steps * size * 5, 1);
        float[] dy = random(steps * size * 2 * 8, 2);
        try (Rnn cpu = Rnn.create(spec, Backend.CPU); Rnn ref = Rnn.create(spec, Backend.JAVA)) {
            ForwardResult f = cpu.forward(Mode.TRAINING, Batch.of(steps, size), x, null, null);
            ForwardResult g = ref.forward(Mode.TRAINING, Batch.of(steps, size), x, null, null);
            assertClose("y", f.y(), g.y());
            assertClose("hN", f.hN(), g.hN());
            assertClose("cN", f.cN(), g.cN());
            BackwardResult b = cpu.backward(dy, null, null);
            BackwardResult c = ref.backward(dy, null, null);
            assertClose("dx", b.dx(), c.dx());
            assertClose("dh0", b.dh0(), c.dh0());
            assertClose("dc0", b.dc0(), c.dc0());
            assertClose("parameter gradients", cpu.gradients(), ref.gradients());
        }
        System.out.println("consumer check passed: LSTM forward and backward on " + Backend.CPU + " match the Java reference");
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    /** Every element within rnn4j's {@link Tolerance} (docs/DESIGN.md §6). */
    private static void assertClose(String what, float[] got, float[] ref) {
        double worst = Tolerance.worstRatio(got, ref);
        if (!(worst <= 1)) throw new AssertionError(what + ": CPU differs from the reference by " + worst + " x tolerance");
    }
}
