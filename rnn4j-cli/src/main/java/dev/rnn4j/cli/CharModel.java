package dev.rnn4j.cli;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.RnnStream;
import dev.rnn4j.io.Checkpoint;
import dev.rnn4j.train.Adam;
import dev.rnn4j.train.GradientClipping;
import dev.rnn4j.train.Linear;
import dev.rnn4j.train.SoftmaxCrossEntropy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A character-level language model: one-hot characters into an {@link Rnn}, a {@link Linear} layer
 * from its output to the logits of the next character, softmax cross-entropy.
 *
 * <p>Training is many-to-many with truncated BPTT: the training text is cut into {@code batch}
 * parallel streams; each step takes the next {@code seqLength} characters of every stream, starts
 * from the state the previous step ended in ({@code hN}, {@code cN} become the next {@code h0},
 * {@code c0}; gradients do not flow across chunks), clips the global gradient norm and applies
 * Adam to the parameters of the Rnn and of the Linear layer. Sampling is one-to-many: an {@link
 * RnnStream} is fed one character at a time, its own samples in turn.
 */
final class CharModel implements AutoCloseable {
    /** The settings of a run. */
    record Settings(CellType cell, int hidden, int layers, int seqLength, int batch, double learningRate, double clip,
            long seed, float forgetBias) {}

    final Corpus corpus;
    final Settings settings;
    final Rnn rnn;
    final Linear output;
    final Adam adam;
    final int trainEnd;        // ids[0..trainEnd) train, ids[trainEnd..) held out
    private final int vocab;
    private final int rows;
    private final int streamLength;
    private final FloatBuffer x, y, dy;
    private FloatBuffer h0, hN, c0, cN;
    private final float[] yArray, logits, dLogits, dyArray;
    private final int[] targets;
    private final int[] hot;   // index set to 1 in x per row, to clear it next step
    private final SplittableRandom random;
    private int position;      // offset within each stream of the next chunk
    private int shift;         // start of stream 0 in this pass
    private long steps;

    CharModel(Corpus corpus, Settings s, Backend backend) {
        this(corpus, s, backend, null);
    }

    /**
     * A model to train; from {@code resume} (a checkpoint {@link #save saved} by a model trained on a
     * text of the same alphabet) its parameters, output layer and Adam state, else initialised from
     * the seed. The settings' cell, hidden size and layers must then be the checkpoint's.
     */
    CharModel(Corpus corpus, Settings s, Backend backend, Checkpoint resume) {
        this.corpus = corpus;
        this.settings = s;
        this.vocab = corpus.vocabularySize();
        this.random = new SplittableRandom(s.seed());
        int heldOut = Math.min(corpus.characters / 10, 4000);
        long needed = minCharacters(s.batch(), s.seqLength()); // in long: both can be near Integer.MAX_VALUE
        if (corpus.characters - heldOut < needed) heldOut = 0;
        this.trainEnd = corpus.characters - heldOut;
        this.streamLength = trainEnd / s.batch();
        if (streamLength < s.seqLength() + 2L) {
            throw new Main.UsageError(Text.f("the text has %,d characters: too few for --batch %,d streams of --seq-length"
                    + " %,d (need at least %,d)", corpus.characters, s.batch(), s.seqLength(), needed));
        }
        RnnSpec spec;
        try {
            spec = RnnSpec.builder(s.cell(), vocab, s.hidden()).layers(s.layers()).build();
        } catch (IllegalArgumentException tooLarge) {
            throw new Main.UsageError("--hidden " + s.hidden() + " with --layers " + s.layers() + " is too large: "
                    + tooLarge.getMessage());
        }
        if (resume == null) {
            this.rnn = Rnn.create(spec, backend);
            rnn.initialize(s.seed());
            Init.forgetGateBias(rnn, s.forgetBias());
            this.output = new Linear(s.hidden(), vocab);
            output.initialize(s.seed() + 1);
        } else {
            if (!resume.spec().equals(spec)) throw new IllegalArgumentException(resume.spec() + " is not " + spec);
            this.rnn = resume.rnn(backend);
            this.output = resume.layers().get(OUTPUT);
        }
        this.adam = new Adam(s.learningRate());
        adam.add(rnn.parameterBuffer(), rnn.gradientBuffer());
        adam.add(output.parameters(), output.gradients());
        if (resume != null) resume.restore(adam);
        this.rows = s.seqLength() * s.batch();
        x = direct(rows * vocab);
        y = direct(rows * s.hidden());
        dy = direct(rows * s.hidden());
        int state = s.layers() * s.batch() * s.hidden();
        h0 = direct(state);
        hN = direct(state);
        if (s.cell().hasCellState()) {
            c0 = direct(state);
            cN = direct(state);
        }
        yArray = new float[rows * s.hidden()];
        dyArray = new float[rows * s.hidden()];
        logits = new float[rows * vocab];
        dLogits = new float[rows * vocab];
        targets = new int[rows];
        hot = new int[rows];
        newPass();
    }

    /** The name of the output layer in a checkpoint. */
    static final String OUTPUT = "output";
    /** Checkpoint metadata: the alphabet (classes in order), the corpus and its steps so far. */
    static final String ALPHABET = "demo.alphabet", CORPUS = "demo.corpus";

    /** Saves the model, the output layer and Adam's state as an rnn4j checkpoint (dev.rnn4j.io.Checkpoint). */
    void save(Path file) throws IOException {
        Checkpoint.save(file, rnn, Map.of(OUTPUT, output), adam, Map.of(ALPHABET, corpus.alphabet(), CORPUS, corpus.name));
    }

    static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(Math.max(1, floats) * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    int parameterCount() {
        return rnn.spec().parameterCount() + output.parameterCount();
    }

    int charactersPerStep() {
        return rows;
    }

    long steps() {
        return steps;
    }

    /** Starts a pass over the text: a new random shift of the streams, zero states. */
    private void newPass() {
        position = 0;
        shift = random.nextInt(Math.max(1, Math.min(settings.seqLength(), streamLength - settings.seqLength() - 1)));
        zero(h0);
        zero(c0);
    }

    private static void zero(FloatBuffer b) {
        if (b == null) return;
        for (int i = 0; i < b.capacity(); i++) b.put(i, 0f);
    }

    /** One truncated-BPTT step on the next chunk; returns its mean loss in nats per character. */
    double trainStep() {
        int T = settings.seqLength(), N = settings.batch();
        if (shift + position + T + 1 > streamLength) newPass();
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < N; b++) {
                int r = t * N + b;
                int at = b * streamLength + shift + position + t;
                x.put(hot[r], 0f);
                hot[r] = r * vocab + corpus.ids[at];
                x.put(hot[r], 1f);
                targets[r] = corpus.ids[at + 1];
            }
        }
        position += T;
        rnn.forward(Mode.TRAINING, Batch.of(T, N), x, h0, c0, y, hN, cN);
        y.get(0, yArray);
        output.forward(yArray, rows, logits);
        double loss = SoftmaxCrossEntropy.loss(logits, rows, vocab, targets, dLogits);
        output.backward(yArray, dLogits, rows, dyArray);
        dy.put(0, dyArray);
        rnn.backward(dy, null, null, null, null, null);
        GradientClipping.byGlobalNorm(settings.clip(), adam.gradients());
        adam.step();
        adam.zeroGradients();
        // Truncated BPTT: this chunk's final state is the next chunk's initial state.
        FloatBuffer t0 = h0;
        h0 = hN;
        hN = t0;
        t0 = c0;
        c0 = cN;
        cN = t0;
        steps++;
        return loss;
    }

    /**
     * Mean loss (nats per character) of predicting {@code ids[from+1..to)} from the preceding
     * characters, in {@code lanes} parallel pieces each started from zero state.
     */
    double evaluate(int from, int to, int lanes) {
        int n = to - from - 1;
        if (n < lanes * 2) lanes = 1;
        int T = n / lanes;
        if (T < 1) return Double.NaN;
        float[] xa = new float[T * lanes * vocab];
        int[] tg = new int[T * lanes];
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < lanes; b++) {
                int at = from + b * T + t;
                xa[(t * lanes + b) * vocab + corpus.ids[at]] = 1f;
                tg[t * lanes + b] = corpus.ids[at + 1];
            }
        }
        float[] ya = rnn.forward(xa, Batch.of(T, lanes)).y();
        float[] lg = new float[T * lanes * vocab];
        output.forward(ya, T * lanes, lg);
        return SoftmaxCrossEntropy.loss(lg, T * lanes, vocab, tg, null);
    }

    /** Whether part of the text was held out for {@link #heldOutLoss()}. */
    boolean hasHeldOut() {
        return trainEnd < corpus.characters - 1;
    }

    double heldOutLoss() {
        return evaluate(trainEnd, corpus.characters, 8);
    }

    /**
     * Generates {@code length} characters one at a time: each is drawn from the softmax (at the
     * given temperature) of the model's prediction after the prompt and the characters so far.
     */
    String sample(String prompt, int length, double temperature, SplittableRandom r) {
        return sample(rnn, output, corpus, prompt, length, temperature, r);
    }

    /** {@link #sample(String, int, double, SplittableRandom)} of any model over {@code corpus}'s classes. */
    static String sample(Rnn rnn, Linear output, Corpus corpus, String prompt, int length, double temperature, SplittableRandom r) {
        StringBuilder out = new StringBuilder();
        try (RnnStream stream = rnn.stream(1)) {
            Sampler sampler = new Sampler(stream, output, corpus.vocabularySize(), temperature, r);
            int next = -1;
            for (int cp : prompt.codePoints().toArray()) {
                int id = corpus.encode(cp);
                if (id >= 0) next = sampler.feed(id);
            }
            if (next < 0) next = sampler.feed(corpus.ids[0]);
            while (out.length() < length) {
                out.append(corpus.decode(next));
                next = sampler.feed(next);
            }
        }
        return out.toString();
    }

    /** Feeds one character to a stream and draws the next from the prediction. */
    private static final class Sampler {
        final RnnStream stream;
        final Linear output;
        final int vocab;
        final double temperature;
        final SplittableRandom random;
        final float[] in;
        final float[] lg;
        final double[] p;

        Sampler(RnnStream stream, Linear output, int vocab, double temperature, SplittableRandom random) {
            this.stream = stream;
            this.output = output;
            this.vocab = vocab;
            this.temperature = temperature;
            this.random = random;
            this.in = new float[vocab];
            this.lg = new float[vocab];
            this.p = new double[vocab];
        }

        int feed(int id) {
            java.util.Arrays.fill(in, 0f);
            in[id] = 1f;
            float[] h = stream.step(in, 1);
            output.forward(h, 1, lg);
            SoftmaxCrossEntropy.softmax(lg, 0, vocab, temperature, p);
            double u = random.nextDouble(), acc = 0;
            for (int c = 0; c < vocab; c++) {
                acc += p[c];
                if (u < acc) return c;
            }
            return vocab - 1;
        }
    }

    /** The characters that {@code batch} streams of {@code seqLength} (plus input and target) need. */
    static long minCharacters(int batch, int seqLength) {
        return (long) batch * (seqLength + 2L);
    }

    @Override
    public void close() {
        rnn.close();
    }
}
