package dev.rnn4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The CUDA probe: with or without a GPU it answers, and without one it says why. These tests run
 * on every machine (no assumption): the no-GPU branch is what CI checks.
 */
class CudaProbeTest {

    @Test
    void reasonIsClearWhenUnavailable() {
        String reason = Backend.CUDA.unavailableReason();
        assertEquals(reason, CudaSupport.unavailableReason());
        if (reason == null) {
            assertTrue(Backend.CUDA.isAvailable());
            return;
        }
        assertFalse(reason.isBlank(), "the reason must say something");
        assertFalse(reason.indexOf('\0') >= 0, "the reason must be a clean string (no NULs)");
        String r = reason.toLowerCase(Locale.ROOT);
        assertTrue(r.contains("driver") || r.contains("gpu") || r.contains("not built") || r.contains("disabled"),
                "the reason must name the driver, the GPU, the missing build, or the switch: " + reason);
        assertTrue(Backend.CUDA.describe().contains(reason), Backend.CUDA.describe());
        System.out.println("CUDA unavailable, as expected here: " + reason);
    }

    @Test
    void noDriverIsReportedAsSuch() {
        // This machine kind (CI) has the library built but no NVIDIA driver: the native probe says so.
        String reason = CudaSupport.unavailableReason();
        if (reason == null || !reason.contains("cudaErrorInsufficientDriver")) return;
        assertTrue(reason.contains("no NVIDIA driver") || reason.contains("driver too old"), reason);
    }

    @Test
    void unavailableBackendRefusesWithTheReason() {
        String reason = Backend.CUDA.unavailableReason();
        if (reason == null) return;
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 3, 4).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Rnn.create(spec, Backend.CUDA));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertThrows(IllegalStateException.class, () -> DeviceBuffer.ofFloats(4));
        assertThrows(IllegalStateException.class, () -> new CudaRnn(spec));
    }

    /**
     * In the Maven execution that runs the CUDA tests on the host emulator (-Drnn4j.test.cudaEmulator=true),
     * the emulated library must really be the one loaded: otherwise every CUDA test would skip and the
     * execution would pass without testing anything.
     */
    @Test
    void theEmulatedLibraryIsLoadedWhenExpected() {
        if (!Boolean.getBoolean("rnn4j.test.cudaEmulator")) return;
        assertTrue(Backend.CUDA.isAvailable(), "the CUDA host emulator did not load: " + Backend.CUDA.unavailableReason());
        assertTrue(Backend.CUDA.describe().contains("CUDA host emulator"), Backend.CUDA.describe());
        System.out.println("CUDA backend on the host emulator: " + Backend.CUDA.describe());
    }

    @Test
    void availableBackendDescribesTheDevice() {
        if (!Backend.CUDA.isAvailable()) return;
        assertNull(Backend.CUDA.unavailableReason());
        String d = Backend.CUDA.describe();
        assertNotNull(d);
        assertTrue(d.contains("compute capability"), d);
    }
}
