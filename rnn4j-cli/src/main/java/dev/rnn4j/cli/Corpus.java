package dev.rnn4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * A text for the character-level demo: its characters (Unicode code points) as class indices
 * {@code 0..vocabulary-1}, with line endings normalised to {@code \n}.
 */
final class Corpus {
    /** The built-in text, a classpath resource. */
    static final String BUILTIN = "sonnets.txt";
    static final int MAX_VOCABULARY = 1000;

    final String name;
    final int[] vocabulary;      // code point of each class, sorted
    final int[] ids;             // the text as class indices
    final int characters;

    private Corpus(String name, String text) {
        this.name = name;
        int[] cps = text.codePoints().toArray();
        TreeSet<Integer> set = new TreeSet<>();
        for (int cp : cps) set.add(cp);
        vocabulary = set.stream().mapToInt(Integer::intValue).toArray();
        ids = new int[cps.length];
        for (int i = 0; i < cps.length; i++) ids[i] = Arrays.binarySearch(vocabulary, cps[i]);
        characters = cps.length;
    }

    /** The built-in sonnets. */
    static Corpus builtin() {
        try (InputStream in = Corpus.class.getResourceAsStream(BUILTIN)) {
            if (in == null) throw new IllegalStateException("the built-in corpus " + BUILTIN + " is missing from the jar");
            return new Corpus("built-in: 42 of Shakespeare's sonnets", normalise(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in corpus: " + e, e);
        }
    }

    /**
     * A user's text file, UTF-8.
     *
     * @throws Main.UsageError if it is missing, unreadable, empty, not text, too short, or has too
     *     many distinct characters
     */
    static Corpus load(Path file, long minCharacters) {
        byte[] bytes;
        if (Files.isDirectory(file)) throw new Main.UsageError("--corpus " + file + " is a directory, not a text file");
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new Main.UsageError("--corpus " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new Main.UsageError("--corpus " + file + " is not readable (permission denied)");
        } catch (IOException e) {
            throw new Main.UsageError("--corpus " + file + " cannot be read: " + e.getMessage());
        }
        if (bytes.length == 0) throw new Main.UsageError("--corpus " + file + " is empty; give a text file of at least "
                + minCharacters + " characters");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Main.UsageError("--corpus " + file + " is not text: it is not valid UTF-8 (a binary file?)");
        }
        long control = text.chars().filter(c -> c < 32 && c != '\n' && c != '\r' && c != '\t' && c != '\f').count();
        if (text.indexOf('\0') >= 0 || control > text.length() / 100) {
            throw new Main.UsageError("--corpus " + file + " is not text: it has " + control
                    + " control characters (a binary file?)");
        }
        text = normalise(text);
        Corpus c = new Corpus(file.toString(), text);
        if (c.characters < minCharacters) {
            throw new Main.UsageError(Text.f("--corpus %s is too short: %,d characters; these settings need at least %,d"
                    + " (or lower --seq-length / --batch)", file, c.characters, minCharacters));
        }
        if (c.vocabulary.length > MAX_VOCABULARY) {
            throw new Main.UsageError("--corpus " + file + " has " + c.vocabulary.length
                    + " distinct characters, more than the " + MAX_VOCABULARY + " a character model here supports");
        }
        if (c.vocabulary.length < 2) {
            throw new Main.UsageError("--corpus " + file + " has a single distinct character; there is nothing to learn");
        }
        return c;
    }

    /**
     * The vocabulary of a saved model ({@link #alphabet()} of the corpus it was trained on), for
     * sampling from it without the corpus; {@code ids} is then the alphabet itself.
     */
    static Corpus ofAlphabet(String name, String alphabet) {
        Corpus c = new Corpus(name, alphabet);
        if (c.vocabulary.length != alphabet.codePointCount(0, alphabet.length())) {
            throw new IllegalArgumentException("an alphabet lists each character once, got " + alphabet.length() + " characters with repeats");
        }
        return c;
    }

    /** Every distinct character, in class order: what a saved model needs to map classes back to text. */
    String alphabet() {
        return new String(vocabulary, 0, vocabulary.length);
    }

    private static String normalise(String text) {
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') text = text.substring(1);
        return text.replace("\r\n", "\n").replace('\r', '\n');
    }

    int vocabularySize() {
        return vocabulary.length;
    }

    /** Entropy of the character frequencies of {@code ids[from..to)}, in nats: the unigram baseline. */
    double unigramEntropy(int from, int to) {
        long[] counts = new long[vocabulary.length];
        for (int i = from; i < to; i++) counts[ids[i]]++;
        double n = to - from, h = 0;
        for (long c : counts) {
            if (c > 0) h -= c / n * Math.log(c / n);
        }
        return h;
    }

    /** Cross-entropy of {@code ids[from..to)} under the frequencies of {@code ids[0..trainEnd)} (add-one smoothed). */
    double unigramCrossEntropy(int trainEnd, int from, int to) {
        long[] counts = new long[vocabulary.length];
        for (int i = 0; i < trainEnd; i++) counts[ids[i]]++;
        double total = trainEnd + vocabulary.length, h = 0;
        for (int i = from; i < to; i++) h -= Math.log((counts[ids[i]] + 1) / total);
        return h / (to - from);
    }

    String decode(int id) {
        return new String(Character.toChars(vocabulary[id]));
    }

    /** The class of a character, or -1 if it is not in the vocabulary. */
    int encode(int codePoint) {
        int i = Arrays.binarySearch(vocabulary, codePoint);
        return i >= 0 ? i : -1;
    }
}
