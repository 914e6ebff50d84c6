package dev.rnn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NativeLoadTest {
    @Test
    void loadsAndReportsVersion() {
        assertEquals("0.1.0", Rnn4jCpu.rnn4j_version());
        assertTrue(Rnn4jCpu.rnn4j_blas_config().contains("OpenBLAS"), Rnn4jCpu.rnn4j_blas_config());
        assertEquals(1, Rnn4jCpu.rnn4j_get_num_threads());
    }

    /** The GEMM path is the one -Drnn4j.isa asks for (the surefire executions per path rely on it). */
    @Test
    void gemmPathFollowsTheSystemProperty() {
        assertNull(CpuKernel.unavailableReason()); // loading the backend applies rnn4j.isa
        int caps = Rnn4jCpu.rnn4j_capabilities();
        String best = (caps & 4) != 0 ? "avx512" : (caps & 2) != 0 ? "avx2" : "generic";
        String wanted = System.getProperty("rnn4j.isa", System.getenv().getOrDefault("RNN4J_ISA", "auto"));
        String expected = switch (wanted) {
            case "auto", "" -> best;
            case "avx512" -> best;
            case "avx2" -> best.equals("generic") ? "generic" : "avx2";
            default -> wanted;
        };
        assertEquals(expected, Rnn4jCpu.rnn4j_isa());
        String info = Rnn4jCpu.rnn4j_kernel_info();
        assertTrue(info.startsWith("rnn4j " + (expected.equals("openblas") ? "OpenBLAS" : expected))
                && info.contains("the CPU runs " + best) && info.contains("OpenBLAS core "), info);
        if (!wanted.equals("auto")) assertTrue(info.contains("forced by"), info);
    }

    @Test
    void unknownPathIsRefusedWithItsName() {
        String before = Rnn4jCpu.rnn4j_isa();
        assertNotEquals(Rnn4jCpu.RNN4J_OK, Rnn4jCpu.rnn4j_set_isa("sse9"));
        assertTrue(Rnn4jCpu.rnn4j_last_error().contains("\"sse9\""), Rnn4jCpu.rnn4j_last_error());
        assertEquals(before, Rnn4jCpu.rnn4j_isa());
    }
}
