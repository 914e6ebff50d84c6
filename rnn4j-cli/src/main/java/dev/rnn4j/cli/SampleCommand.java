package dev.rnn4j.cli;

import dev.rnn4j.Backend;
import dev.rnn4j.Rnn;
import dev.rnn4j.io.Checkpoint;
import dev.rnn4j.io.ModelFileException;
import dev.rnn4j.train.Linear;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rnn4j sample FILE}: generate text from a character model saved by {@code rnn4j demo --save FILE}. */
@Command(name = "sample", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        header = "Generate text from a model saved by 'rnn4j demo --save FILE'.",
        description = {"Loads the checkpoint (an rnn4j checkpoint in safetensors: the recurrent model, its output layer and the"
            + " alphabet it was trained on), feeds it the prompt and draws one character at a time from its predictions.", ""})
final class SampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "a checkpoint written by 'rnn4j demo --save FILE'")
    Path file;

    @Option(names = "--length", paramLabel = "CHARS", description = "characters to generate (default: ${DEFAULT-VALUE})", defaultValue = "400")
    int length;

    @Option(names = "--temperature", paramLabel = "TEMP", description = "sampling temperature, lower is more conservative (default: ${DEFAULT-VALUE})", defaultValue = "0.7")
    double temperature;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "text the sample starts from (default: a newline)", defaultValue = "\n")
    String prompt;

    @Option(names = "--seed", paramLabel = "SEED", description = "random seed of the draws (default: ${DEFAULT-VALUE})", defaultValue = "1")
    long seed;

    @Option(names = "--backend", paramLabel = "BACKEND", description = "java, cpu or cuda (default: the best available)")
    Backend backend;

    /** The last sample (for tests). */
    String sample;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (length < 1) throw new Main.UsageError("--length must be positive, got " + length);
        if (!(temperature > 0)) throw new Main.UsageError("--temperature must be positive, got " + temperature);
        Backend b = Options.backend(backend);
        Checkpoint c = load("FILE", file);
        Corpus alphabet = Corpus.ofAlphabet(c.metadata().getOrDefault(CharModel.CORPUS, file.toString()), alphabet("FILE", c));
        Linear output = c.layers().get(CharModel.OUTPUT);
        if (output == null || c.spec().inputSize() != alphabet.vocabularySize() || output.outFeatures() != alphabet.vocabularySize()) {
            throw new Main.UsageError(file + " is not a character model of 'rnn4j demo': its sizes do not fit its alphabet");
        }
        try (Rnn rnn = c.rnn(b)) {
            out.println(Text.f("model      %s + Linear(%d -> %d), trained %d steps on %s", c.spec(), output.inFeatures(),
                    output.outFeatures(), c.optimizerSteps(), alphabet.name));
            out.println(Text.f("--- sample (temperature %s) ---", temperature));
            sample = CharModel.sample(rnn, output, alphabet, prompt, length, temperature, new SplittableRandom(seed));
            out.println("  " + sample.replace("\n", "\n  "));
        }
        out.flush();
        return 0;
    }

    /** Loads a checkpoint given as {@code option}; unreadable or invalid files are usage errors naming the problem. */
    static Checkpoint load(String option, Path file) {
        if (!Files.isRegularFile(file)) throw new Main.UsageError(option + " " + file + ": no such file");
        try {
            return Checkpoint.load(file);
        } catch (ModelFileException e) {
            throw new Main.UsageError(option + " " + file + " is not a usable checkpoint: " + e.getMessage());
        } catch (IOException e) {
            throw new Main.UsageError(option + " " + file + " cannot be read: " + e.getMessage());
        }
    }

    /** The alphabet a demo checkpoint was trained on. */
    static String alphabet(String option, Checkpoint c) {
        String a = c.metadata().get(CharModel.ALPHABET);
        if (a == null) throw new Main.UsageError(option + " " + c.path() + " was not saved by 'rnn4j demo --save' (it has no alphabet)");
        return a;
    }
}
