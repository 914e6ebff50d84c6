package dev.rnn4j.cli;

import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import dev.rnn4j.Precision;
import dev.rnn4j.io.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rnn4j demo}: train a character-level language model, or the adding problem, with rnn4j. */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        header = "Train a character-level language model (or the adding problem) and sample from it.",
        description = {"Trains a small model with rnn4j and shows what it learned.",
            "",
            "--task chars (default): a character-level language model (LSTM by default) on 42 of Shakespeare's sonnets, or on --corpus FILE: one-hot characters -> Rnn -> Linear -> softmax cross-entropy; many-to-many training with truncated BPTT (the state is carried from one chunk to the next), gradient clipping by global norm, Adam; then one-to-many sampling, one character at a time. Prints the loss against the unigram baseline and samples as it learns.",
            "",
            "--task adding: the adding problem (sum the two marked numbers of a sequence of T=100 or more steps; many-to-one regression). A tanh RNN fails to carry the information that far; LSTM and GRU learn it. Prints the final error of the chosen --cell against the trivial baseline.",
            ""})
final class DemoCommand implements Callable<Integer> {
    enum Task { chars, adding }

    @Spec
    CommandSpec spec;

    @Option(names = "--task", paramLabel = "TASK", description = "chars or adding (default: ${DEFAULT-VALUE})", defaultValue = "chars")
    Task task;

    @Option(names = "--cell", paramLabel = "CELL", description = "RNN_TANH, RNN_RELU, LSTM or GRU (default: ${DEFAULT-VALUE})", defaultValue = "LSTM")
    CellType cell;

    @Option(names = "--hidden", paramLabel = "H", description = "hidden size (default: 256 for chars, 32 for adding)")
    Integer hidden;

    @Option(names = "--layers", paramLabel = "L", description = "stacked layers (default: ${DEFAULT-VALUE})", defaultValue = "1")
    int layers;

    @Option(names = "--steps", paramLabel = "N", description = "training steps (default: 800 for chars, 1500 for adding)")
    Integer steps;

    @Option(names = "--seq-length", paramLabel = "T", description = "chars: characters per truncated-BPTT chunk (default 64); adding: sequence length (default 100)")
    Integer seqLength;

    @Option(names = "--batch", paramLabel = "N", description = "sequences per step (default: 32 for chars, 32 for adding)")
    Integer batch;

    @Option(names = "--lr", paramLabel = "RATE", description = "Adam learning rate (default: 0.003 for chars, 0.01 for adding)")
    Double learningRate;

    @Option(names = "--clip", paramLabel = "NORM", description = "clip the global gradient norm to this (default: 5 for chars, 1 for adding)")
    Double clipOption;

    private double clip;

    @Option(names = "--forget-bias", paramLabel = "B", defaultValue = "1.0",
            description = "LSTM: initial forget-gate bias; positive values make the cell remember from the start (default: ${DEFAULT-VALUE})")
    double forgetBias;

    @Option(names = "--backend", paramLabel = "BACKEND", description = "java, cpu or cuda (default: the best available)")
    Backend backend;

    @Option(names = "--threads", paramLabel = "N", description = "threads of the CPU backend (default: 1: the demo's per-step products are small, and busy cores slow threaded runs down; try 2 on an idle machine)")
    Integer threads;

    @Option(names = "--seed", paramLabel = "SEED", description = "random seed (default: ${DEFAULT-VALUE})", defaultValue = "1")
    long seed;

    @Option(names = "--corpus", paramLabel = "FILE", description = "chars: train on this UTF-8 text file instead of the sonnets")
    Path corpus;

    @Option(names = "--samples", paramLabel = "K", description = "chars: samples printed while learning (default: ${DEFAULT-VALUE})", defaultValue = "3")
    int samples;

    @Option(names = "--sample-length", paramLabel = "CHARS", description = "chars: length of the final sample (default: ${DEFAULT-VALUE}; samples while learning are a third)", defaultValue = "400")
    int sampleLength;

    @Option(names = "--temperature", paramLabel = "TEMP", description = "chars: sampling temperature, lower is more conservative (default: ${DEFAULT-VALUE})", defaultValue = "0.7")
    double temperature;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "chars: text the samples start from (default: a newline)", defaultValue = "\n")
    String prompt;

    @Option(names = "--precision", paramLabel = "P", split = ",",
            description = "chars: after training, also evaluate the held-out loss and sample in these inference precisions: bf16, int8 (fp32 is always evaluated), e.g. --precision bf16,int8")
    List<String> precisions;

    @Option(names = "--save", paramLabel = "FILE", description = "chars: save the trained model, its output layer and Adam's state to FILE (an rnn4j checkpoint: safetensors; read by 'rnn4j sample FILE' and --resume)")
    Path save;

    @Option(names = "--resume", paramLabel = "FILE", description = "chars: go on training the model saved in FILE by --save (its cell, --hidden and --layers, its Adam moments and step count), on a text of the same alphabet")
    Path resume;

    /** What the last run reached (for tests). */
    Result result;

    record Result(String task, Backend backend, double firstLoss, double finalLoss, double baseline, double heldOut, double seconds) {}

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Backend b = Options.backend(backend);
        Options.threads(b, threads == null ? Integer.valueOf(1) : threads);
        positive("--layers", layers);
        if (steps != null) positive("--steps", steps);
        if (hidden != null) positive("--hidden", hidden);
        if (seqLength != null) positive("--seq-length", seqLength);
        if (batch != null) positive("--batch", batch);
        if (learningRate != null && !(learningRate > 0)) throw new Main.UsageError("--lr must be positive, got " + learningRate);
        if (clipOption != null && !(clipOption > 0)) throw new Main.UsageError("--clip must be positive, got " + clipOption);
        clip = clipOption != null ? clipOption : task == Task.adding ? 1.0 : 5.0;
        if (!(temperature > 0)) throw new Main.UsageError("--temperature must be positive, got " + temperature);
        if (samples < 0) throw new Main.UsageError("--samples must be 0 or more, got " + samples);
        positive("--sample-length", sampleLength);
        if (task == Task.adding && (save != null || resume != null)) throw new Main.UsageError("--save and --resume are for --task chars");
        if (task == Task.adding) return adding(out, b);
        if (corpus != null && task != Task.chars) throw new Main.UsageError("--corpus is for --task chars");
        return chars(out, b);
    }

    private static void positive(String name, int value) {
        if (value < 1) throw new Main.UsageError(name + " must be positive, got " + value);
    }

    private int chars(PrintWriter out, Backend b) {
        int T = seqLength == null ? 64 : seqLength, N = batch == null ? 32 : batch;
        int H = hidden == null ? 256 : hidden, S = steps == null ? 800 : steps;
        double lr = learningRate == null ? 0.003 : learningRate;
        Corpus text = corpus == null ? Corpus.builtin() : Corpus.load(corpus, CharModel.minCharacters(N, T));
        Checkpoint from = resume == null ? null : SampleCommand.load("--resume", resume);
        if (from != null) {
            String alphabet = SampleCommand.alphabet("--resume", from);
            if (!alphabet.equals(text.alphabet())) {
                throw new Main.UsageError("--resume " + resume + " was trained on a text of " + alphabet.codePointCount(0, alphabet.length())
                        + " distinct characters, " + text.name + " has " + text.vocabularySize() + " others; resume on the same text");
            }
            cell = from.spec().cell();
            H = from.spec().hiddenSize();
            layers = from.spec().layers();
        }
        CharModel.Settings s = new CharModel.Settings(cell, H, layers, T, N, lr, clip, seed, (float) forgetBias);
        try (CharModel model = new CharModel(text, s, b, from)) {
            double baseline = text.unigramEntropy(0, model.trainEnd);
            int heldOut = text.characters - model.trainEnd;
            out.println("rnn4j demo: a character-level language model");
            out.println(Text.f("  corpus     %s: %,d characters, %d distinct (%,d to train on, %,d held out)", text.name,
                    text.characters, text.vocabularySize(), model.trainEnd, heldOut));
            out.println(Text.f("  model      one-hot(%d) -> %s -> Linear(%d -> %d) -> softmax; %,d parameters", text.vocabularySize(),
                    model.rnn.spec(), H, text.vocabularySize(), model.parameterCount()));
            out.println(Text.f("  training   %d steps of %d streams x %d characters (truncated BPTT, state carried), Adam lr %s,"
                    + " gradient norm clipped to %s", S, N, T, lr, clip));
            if (from != null) {
                out.println(Text.f("  resumed    from %s: its parameters and Adam's state after %d steps", resume, from.optimizerSteps()));
            }
            out.println("  backend    " + Options.describe(b));
            out.println(Text.f("  baseline   %.3f nats/char: the unigram entropy (predicting each character from its frequency alone)", baseline));
            String busy = Options.busyWarning();
            if (busy != null) out.println(busy);
            out.println();
            out.flush();
            Progress bar = new Progress(out, "training", S);
            SplittableRandom sampling = new SplittableRandom(seed + 7);
            double first = Double.NaN, smooth = Double.NaN;
            long start = System.nanoTime();
            int nextSample = samples > 0 ? Math.max(1, S / (samples + 1)) : Integer.MAX_VALUE;
            int sampleNo = 1;
            for (int step = 1; step <= S; step++) {
                double loss = model.trainStep();
                if (!Double.isFinite(loss)) {
                    bar.finish();
                    out.println("training diverged at step " + step + " (loss " + loss + "); try a smaller --lr");
                    return 1;
                }
                if (step == 1) first = loss;
                smooth = Double.isNaN(smooth) ? loss : 0.9 * smooth + 0.1 * loss;
                double secs = (System.nanoTime() - start) / 1e9;
                bar.update(step, Text.f("loss %.3f (%.2fx baseline)  %,.0f chars/s", smooth, smooth / baseline,
                        step * (double) model.charactersPerStep() / secs));
                if (step == nextSample && step < S) {
                    bar.println(Text.f("--- sample after %d steps (loss %.3f) ---", step, smooth));
                    bar.println(indent(model.sample(prompt, sampleLength / 3, temperature, sampling)));
                    nextSample = Math.max(step + 1, S * (++sampleNo) / (samples + 1));
                }
            }
            bar.finish();
            double seconds = (System.nanoTime() - start) / 1e9;
            double held = model.hasHeldOut() ? model.heldOutLoss() : Double.NaN;
            out.println();
            out.println(Text.f("loss       %.3f -> %.3f nats/char on the training text (mean of the last steps)", first, smooth));
            out.println(Text.f("baseline   %.3f nats/char (unigram): the final loss is %.2fx the baseline%s", baseline, smooth / baseline,
                    smooth <= 0.65 * baseline ? "" : " (train longer: --steps)"));
            if (!Double.isNaN(held)) {
                out.println(Text.f("held out   %.3f nats/char on the %,d held-out characters (unigram: %.3f)", held, heldOut,
                        text.unigramCrossEntropy(model.trainEnd, model.trainEnd, text.characters)));
            }
            if (precisions != null && !precisions.isEmpty()) {
                for (Precision p : Options.precisions("--precision", precisions)) {
                    if (p == Precision.FP32) continue;
                    model.rnn.setPrecision(p);
                    try {
                        double lp = model.hasHeldOut() ? model.heldOutLoss() : Double.NaN;
                        out.println(Text.f("%-10s %.3f nats/char held out (%+.4f vs FP32)", p, lp, lp - held));
                        out.println(indent(model.sample(prompt, sampleLength / 3, temperature, new SplittableRandom(seed))));
                    } finally {
                        model.rnn.setPrecision(Precision.FP32);
                    }
                }
            }
            out.println(Text.f("time       %s on %s: %,.0f characters/s (%d steps of %,d)", Text.duration(seconds), b,
                    S * (double) model.charactersPerStep() / seconds, S, model.charactersPerStep()));
            out.println();
            out.println(Text.f("--- sample (temperature %s) ---", temperature));
            out.println(indent(model.sample(prompt, sampleLength, temperature, sampling)));
            if (save != null) {
                try {
                    model.save(save);
                } catch (IOException e) {
                    throw new Main.UsageError("--save " + save + " cannot be written: " + e.getMessage());
                }
                out.println();
                out.println(Text.f("saved      %s: the model, its output layer and Adam's state after %d steps (rnn4j sample %s)", save,
                        from == null ? S : from.optimizerSteps() + S, save));
            }
            out.flush();
            result = new Result("chars", b, first, smooth, baseline, held, seconds);
            return 0;
        }
    }

    private int adding(PrintWriter out, Backend b) {
        if (corpus != null) throw new Main.UsageError("--corpus is for --task chars");
        int T = seqLength == null ? 100 : seqLength, N = batch == null ? 32 : batch;
        int H = hidden == null ? 32 : hidden, S = steps == null ? 1500 : steps;
        if (T < 2) throw new Main.UsageError("--seq-length must be at least 2 for the adding problem, got " + T);
        double lr = learningRate == null ? 0.01 : learningRate;
        AddingProblem.Settings s = new AddingProblem.Settings(cell, H, layers, T, N, lr, clip, seed, (float) forgetBias);
        try (AddingProblem p = new AddingProblem(s, b)) {
            out.println("rnn4j demo: the adding problem");
            out.println(Text.f("  task       T=%d steps of (number in [0,1), marker); two steps are marked, one in each half;", T));
            out.println("             predict the sum of the two marked numbers (many-to-one regression, MSE)");
            out.println(Text.f("  model      %s -> Linear(%d -> 1) on the final hidden state; %,d parameters", p.rnn.spec(), H,
                    p.rnn.spec().parameterCount() + p.output.parameterCount()));
            out.println(Text.f("  training   %d steps of %d fresh sequences, Adam lr %s, gradient norm clipped to %s", S, N, lr, clip));
            out.println("  backend    " + Options.describe(b));
            out.println(Text.f("  baseline   MSE %.4f: always predicting 1, the mean (a network that learned nothing)", AddingProblem.BASELINE));
            out.println();
            out.flush();
            Progress bar = new Progress(out, "training", S);
            long start = System.nanoTime();
            double first = Double.NaN, smooth = Double.NaN;
            for (int step = 1; step <= S; step++) {
                double loss = p.trainStep();
                if (!Double.isFinite(loss)) {
                    bar.finish();
                    out.println("training diverged at step " + step + " (MSE " + loss + "); try a smaller --lr");
                    return 1;
                }
                if (step == 1) first = loss;
                smooth = Double.isNaN(smooth) ? loss : 0.95 * smooth + 0.05 * loss;
                bar.update(step, Text.f("MSE %.4f (%.3fx baseline)", smooth, smooth / AddingProblem.BASELINE));
            }
            bar.finish();
            double seconds = (System.nanoTime() - start) / 1e9;
            double test = p.evaluate(1000, seed + 99);
            boolean solved = test < 0.1 * AddingProblem.BASELINE;
            out.println();
            out.println(Text.f("final MSE  %.4f on 1000 new sequences (baseline %.4f: %.3fx) after %s", test, AddingProblem.BASELINE,
                    test / AddingProblem.BASELINE, Text.duration(seconds)));
            out.println(Text.f("%-10s %s", cell, solved
                    ? "learned it: the error is far below the baseline, so the network carries the marked numbers across up to " + (T - 1) + " steps"
                    : test < 0.5 * AddingProblem.BASELINE
                            ? "learned part of it (below the baseline, but not solved); more --steps may finish the job"
                            : cell == CellType.RNN_TANH || cell == CellType.RNN_RELU
                                    ? "did not learn it: the error stays near the baseline, the textbook result for a plain RNN:"
                                            + " its gradients vanish (or explode) over " + T + " steps; LSTM and GRU learn it (--cell LSTM, --cell GRU)"
                                    : "did not learn it yet: the error is still near the baseline; give it more --steps"));
            out.flush();
            result = new Result("adding", b, first, test, AddingProblem.BASELINE, Double.NaN, seconds);
            return 0;
        }
    }

    private static String indent(String text) {
        return "  " + text.replace("\n", "\n  ");
    }
}
