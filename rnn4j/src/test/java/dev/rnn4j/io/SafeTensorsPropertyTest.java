package dev.rnn4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.rnn4j.Backend;
import dev.rnn4j.Rnn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Corrupted safetensors files, from a real one (the PyTorch LSTM fixture): random bytes of the header
 * changed, digits of its offsets and shapes rewritten, the header length forged, the file cut. Every
 * one must either open and read consistently or throw {@link ModelFileException}: no other exception,
 * no crash, no out-of-memory, and a model is loaded whole or not at all.
 */
class SafeTensorsPropertyTest {
    private static final byte[] GOOD;

    static {
        try {
            GOOD = Files.readAllBytes(Fixtures.path("lstm.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int headerLength() {
        return (int) ByteBuffer.wrap(GOOD).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /** A byte of the header replaced by a byte that matters to JSON or a random one. */
    @Provide
    Arbitrary<byte[]> corrupted() {
        Arbitrary<byte[]> byteFlips = Combinators.combine(Arbitraries.integers().between(8, 8 + headerLength() - 1),
                Arbitraries.of((byte) '"', (byte) '{', (byte) '}', (byte) '[', (byte) ']', (byte) ',', (byte) ':', (byte) '0',
                        (byte) '9', (byte) '-', (byte) ' ', (byte) 0, (byte) 0xff), Arbitraries.bytes())
                .as((at, special, random) -> {
                    byte[] b = GOOD.clone();
                    b[at] = at % 2 == 0 ? special : random;
                    return b;
                });
        // a number of the header (a dimension or an offset) replaced by another, possibly huge or negative
        Arbitrary<byte[]> numbers = Combinators.combine(Arbitraries.integers().between(0, 200),
                Arbitraries.oneOf(Arbitraries.longs().between(0, 600), Arbitraries.longs(),
                        Arbitraries.of(Long.MAX_VALUE, 1L << 31, 1L << 62, -1L)))
                .as((which, value) -> replaceNumber(which, value));
        Arbitrary<byte[]> lengths = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.longs().between(0, GOOD.length + 16))
                .map(n -> {
                    byte[] b = GOOD.clone();
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
                    return b;
                });
        Arbitrary<byte[]> cuts = Arbitraries.integers().between(0, GOOD.length - 1).map(n -> Arrays.copyOf(GOOD, n));
        return Arbitraries.oneOf(byteFlips, numbers, lengths, cuts);
    }

    private static byte[] replaceNumber(int which, long value) {
        String header = new String(GOOD, 8, headerLength(), StandardCharsets.UTF_8);
        var m = java.util.regex.Pattern.compile("\\d+").matcher(header);
        int count = 0;
        while (m.find()) count++;
        m.reset();
        for (int i = 0; i <= which % count; i++) m.find();
        String changed = header.substring(0, m.start()) + value + header.substring(m.end());
        byte[] h = changed.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + GOOD.length - 8 - headerLength()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(GOOD, 8 + headerLength(), GOOD.length - 8 - headerLength());
        return b.array();
    }

    @Property(tries = 400)
    void corruptedFilesOpenConsistentlyOrFailWithModelFileException(@ForAll("corrupted") byte[] bytes) throws IOException {
        Path f = Files.createTempFile("corrupt", ".safetensors");
        try {
            Files.write(f, bytes);
            try (StateDict sd = StateDict.open(f)) {
                for (String n : sd.names()) {
                    SafeTensors.Info i = sd.file().info(n);
                    if (!i.dtype().isFloat() || i.count() > (1 << 20)) continue;
                    assertEquals(i.count(), sd.floats(n).length);
                }
                Rnn rnn = null;
                try {
                    rnn = sd.rnn("", sd.inferSpec("", null), Backend.JAVA);
                    assertNotNull(rnn);
                    assertEquals(rnn.spec().parameterCount(), rnn.parameters().length);
                } catch (ModelFileException expected) {
                    // all or nothing: no model was created
                } finally {
                    if (rnn != null) rnn.close();
                }
            } catch (ModelFileException expected) {
                assertNotNull(expected.problem());
            }
        } finally {
            Files.delete(f);
        }
    }
}
