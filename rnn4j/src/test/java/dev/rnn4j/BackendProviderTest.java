package dev.rnn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.internal.NativeStatus;
import dev.rnn4j.spi.BackendProvider;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The backend boundary: every {@link Backend} constant has a provider registered through
 * {@link ServiceLoader}, the API package names no backend package (no package cycle), and native
 * statuses map to one set of exceptions.
 */
class BackendProviderTest {

    @Test
    void everyBackendHasExactlyOneRegisteredProvider() {
        Set<String> names = new HashSet<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            assertTrue(names.add(p.name()), "provider registered twice: " + p.name());
        }
        for (Backend b : Backend.values()) assertTrue(names.contains(b.name()), "no provider for " + b);
        assertEquals(Backend.values().length, names.size(), "providers: " + names);
        assertNull(Backend.JAVA.unavailableReason());
        assertTrue(Backend.JAVA.describe().startsWith("JAVA: available: pure-Java reference"));
    }

    @Test
    void theApiPackageNamesNoBackendPackage() throws IOException, URISyntaxException {
        File dir = new File(Backend.class.getResource("Backend.class").toURI()).getParentFile();
        File[] classes = dir.listFiles((d, n) -> n.endsWith(".class"));
        assertNotNull(classes);
        assertTrue(classes.length > 10, "classes of dev.rnn4j found in " + dir);
        for (File f : classes) {
            // A class file names every class it refers to in its constant pool ("dev/rnn4j/cpu/...").
            String text = new String(Files.readAllBytes(f.toPath()), StandardCharsets.ISO_8859_1);
            for (String pkg : new String[] {"dev/rnn4j/cpu/", "dev/rnn4j/cuda/", "dev/rnn4j/reference/"}) {
                assertFalse(text.contains(pkg), f.getName() + " refers to " + pkg);
            }
        }
    }

    @Test
    void nativeStatusesMapToOneSetOfExceptions() {
        NativeStatus.check(NativeStatus.OK, "f", () -> "unused");
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> NativeStatus.check(NativeStatus.ARGUMENT, "rnn4j_forward", () -> "x is NULL"));
        assertEquals("rnn4j_forward failed with status 1 (RNN4J_ERR_ARGUMENT): x is NULL", a.getMessage());
        assertThrows(IllegalStateException.class, () -> NativeStatus.check(NativeStatus.STATE, "f", () -> "m"));
        assertThrows(OutOfMemoryError.class, () -> NativeStatus.check(NativeStatus.ALLOC, "f", () -> "m"));
        assertThrows(IllegalStateException.class, () -> NativeStatus.check(NativeStatus.INTERNAL, "f", () -> "m"));
        IllegalStateException c = assertThrows(IllegalStateException.class,
                () -> NativeStatus.check(NativeStatus.CUDA, "rnn4j_cuda_malloc", () -> "CUDA error"));
        assertTrue(c.getMessage().contains("(RNN4J_ERR_CUDA)"), c.getMessage());
        assertTrue(assertThrows(IllegalStateException.class, () -> NativeStatus.check(99, "f", () -> "m"))
                .getMessage().contains("unknown status"));
    }
}
