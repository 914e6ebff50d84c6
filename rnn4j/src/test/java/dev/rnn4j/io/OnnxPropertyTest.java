package dev.rnn4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rnn4j.Backend;
import dev.rnn4j.Rnn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Corrupted ONNX files, from real ones (torch.onnx.export's 2-layer bidirectional LSTM, onnx.helper's
 * LSTM with lengths and states): bytes changed, runs of bytes overwritten, the file cut. Each must
 * import consistently (a model of the imported spec can be created and filled) or throw {@link
 * ModelFileException}: never another exception, a crash or an out-of-memory from a forged size.
 */
class OnnxPropertyTest {
    private static final List<byte[]> GOOD;

    static {
        try {
            GOOD = List.of(Files.readAllBytes(Fixtures.path("lstm_bi2.onnx")),
                    Files.readAllBytes(Fixtures.path("onnx_lstm_bi_seqlens.onnx")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Provide
    Arbitrary<byte[]> corrupted() {
        Arbitrary<byte[]> source = Arbitraries.of(GOOD);
        Arbitrary<byte[]> flips = Combinators.combine(source, Arbitraries.doubles().between(0, 1),
                Arbitraries.integers().between(1, 8), Arbitraries.bytes())
                .as((good, where, run, value) -> {
                    byte[] b = good.clone();
                    int at = (int) (where * (b.length - 1));
                    for (int i = at; i < Math.min(b.length, at + run); i++) b[i] = (byte) (value + i);
                    return b;
                });
        Arbitrary<byte[]> cuts = Combinators.combine(source, Arbitraries.doubles().between(0, 1))
                .as((good, where) -> Arrays.copyOf(good, (int) (where * good.length)));
        return Arbitraries.oneOf(flips, cuts);
    }

    @Property(tries = 300)
    void corruptedModelsImportConsistentlyOrFailWithModelFileException(@ForAll("corrupted") byte[] bytes) throws IOException {
        Path f = Files.createTempFile("corrupt", ".onnx");
        try {
            Files.write(f, bytes);
            OnnxRnn imported;
            try {
                imported = Onnx.importRnn(f);
            } catch (ModelFileException expected) {
                return;
            }
            assertEquals(imported.spec().parameterCount(), imported.parameters().length);
            try (Rnn rnn = imported.create(Backend.JAVA)) {
                assertEquals(imported.spec(), rnn.spec());
            }
        } finally {
            Files.delete(f);
        }
    }
}
