package dev.rnn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NativeLoadTest {
    @Test
    void loadsAndReportsVersion() {
        assertEquals("0.1.0", Rnn4jCpu.rnn4j_version());
        assertTrue(Rnn4jCpu.rnn4j_blas_config().contains("OpenBLAS"), Rnn4jCpu.rnn4j_blas_config());
        assertEquals(1, Rnn4jCpu.rnn4j_get_num_threads());
    }
}
