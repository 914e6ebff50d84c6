package dev.rnn4j.cli;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.train.Adam;
import dev.rnn4j.train.GradientClipping;
import dev.rnn4j.train.Linear;
import dev.rnn4j.train.MeanSquaredError;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * The adding problem (Hochreiter and Schmidhuber, 1997): each input step carries a random number
 * in {@code [0, 1)} and a marker; exactly two steps are marked, one in the first half of the
 * sequence and one in the second; the target is the sum of the two marked numbers. Many-to-one
 * regression: a {@link Linear} layer reads the last layer's final hidden state, mean squared error;
 * the gradient enters the Rnn through {@code dhN} only. Always predicting 1 scores
 * {@link #BASELINE} = Var(a+b) = 1/6, so learning means getting far below that, which needs the
 * network to carry information across {@code length/2} steps and more.
 */
final class AddingProblem implements AutoCloseable {
    /** MSE of always predicting the mean (1.0). */
    static final double BASELINE = 1.0 / 6.0;

    record Settings(CellType cell, int hidden, int layers, int length, int batch, double learningRate, double clip,
            long seed, float forgetBias) {}

    final Settings settings;
    final Rnn rnn;
    final Linear output;
    final Adam adam;
    private final SplittableRandom random;
    private final FloatBuffer x, y, hN, dhN;
    private final float[] xArray, target, last, prediction, dPrediction, dLast;
    private final int topRow;

    AddingProblem(Settings s, Backend backend) {
        this.settings = s;
        this.random = new SplittableRandom(s.seed());
        RnnSpec spec = RnnSpec.builder(s.cell(), 2, s.hidden()).layers(s.layers()).build();
        rnn = Rnn.create(spec, backend);
        rnn.initialize(s.seed());
        Init.forgetGateBias(rnn, s.forgetBias());
        output = new Linear(s.hidden(), 1);
        output.initialize(s.seed() + 1);
        adam = new Adam(s.learningRate());
        adam.add(rnn.parameterBuffer(), rnn.gradientBuffer());
        adam.add(output.parameters(), output.gradients());
        int T = s.length(), N = s.batch(), H = s.hidden();
        x = CharModel.direct(T * N * 2);
        y = CharModel.direct(T * N * H);
        hN = CharModel.direct(s.layers() * N * H);
        dhN = CharModel.direct(s.layers() * N * H);
        xArray = new float[T * N * 2];
        target = new float[N];
        last = new float[N * H];
        prediction = new float[N];
        dPrediction = new float[N];
        dLast = new float[N * H];
        topRow = (s.layers() - 1) * N * H;
    }

    /** Fills {@code xs} ({@code [T, n, 2]}) and {@code targets} with a fresh batch. */
    static void generate(SplittableRandom r, int T, int n, float[] xs, float[] targets) {
        java.util.Arrays.fill(xs, 0, T * n * 2, 0f);
        int half = Math.max(1, T / 2);
        for (int b = 0; b < n; b++) {
            for (int t = 0; t < T; t++) xs[(t * n + b) * 2] = (float) r.nextDouble();
            int first = r.nextInt(half), second = T == 1 ? 0 : half + r.nextInt(T - half);
            xs[(first * n + b) * 2 + 1] = 1f;
            xs[(second * n + b) * 2 + 1] = 1f;
            targets[b] = first == second ? xs[(first * n + b) * 2] : xs[(first * n + b) * 2] + xs[(second * n + b) * 2];
        }
    }

    /** One training step on a fresh batch; returns its MSE. */
    double trainStep() {
        int T = settings.length(), N = settings.batch(), H = settings.hidden();
        generate(random, T, N, xArray, target);
        x.put(0, xArray);
        rnn.forward(Mode.TRAINING, Batch.of(T, N), x, null, null, y, hN, null);
        hN.get(topRow, last);
        output.forward(last, N, prediction);
        double loss = MeanSquaredError.loss(prediction, target, N, dPrediction);
        output.backward(last, dPrediction, N, dLast);
        dhN.put(topRow, dLast);
        rnn.backward(null, dhN, null, null, null, null);
        GradientClipping.byGlobalNorm(settings.clip(), adam.gradients());
        adam.step();
        adam.zeroGradients();
        return loss;
    }

    /** MSE on {@code n} fresh sequences (inference). */
    double evaluate(int n, long seed) {
        int T = settings.length(), H = settings.hidden();
        float[] xs = new float[T * n * 2], tg = new float[n];
        generate(new SplittableRandom(seed), T, n, xs, tg);
        float[] h = rnn.forward(xs, Batch.of(T, n)).hN();
        float[] top = new float[n * H];
        System.arraycopy(h, (settings.layers() - 1) * n * H, top, 0, n * H);
        float[] p = new float[n];
        output.forward(top, n, p);
        return MeanSquaredError.loss(p, tg, n, null);
    }

    @Override
    public void close() {
        rnn.close();
    }
}
