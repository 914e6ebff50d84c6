package dev.rnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The Java twin of {@code native/common/philox.h}: the same table of keys and the same mask digest
 * as {@code native/test/test_philox.cpp}, so both give identical bits (the native test asserts the
 * same numbers), and the keep rate.
 */
class PhiloxTest {
    /** {counter0..3, key0, key1, out0..3}: Random123's known answers, then keys shaped like rnn4j's. */
    private static final long[][] TABLE = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5L, 0xe169c58dL, 0xbc57ac4cL, 0x9b00dbd8L},
        {0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL,
            0x408f276dL, 0x41c83b0eL, 0xa20bc7c6L, 0x6d5451fdL},
        {0x243f6a88L, 0x85a308d3L, 0x13198a2eL, 0x03707344L, 0xa4093822L, 0x299f31d0L,
            0xd16cfe09L, 0x94fdccebL, 0x5001e420L, 0x24126ea1L},
        {1, 2, 3, 4, 42, 0, 0x5eee02d8L, 0x2c63f826L, 0x55d9588eL, 0xe6801d72L},
        {5, 7, 99, 3, 0x9abcdef0L, 0x12345678L, 0x4d0b8480L, 0x2a73ea76L, 0x1396f8a0L, 0x1f2f0247L},
        {0xffffffffL, 0, 17, 1, 0xffffffffL, 0xffffffffL, 0xf2675206L, 0xebf27fc9L, 0x30f37803L, 0xa5ee66d6L},
        {12, 31, 199, 2, 2026, 0, 0x1ea5c9f9L, 0x9f15d6caL, 0x1dd32d41L, 0xd4f561c5L},
    };

    @Test
    void matchesTheTableTheNativeGeneratorIsTestedOn() {
        for (long[] row : TABLE) {
            int[] out = new int[4];
            Philox.philox4x32(new int[] {(int) row[0], (int) row[1], (int) row[2], (int) row[3]}, (int) row[4], (int) row[5],
                    out);
            assertArrayEquals(new int[] {(int) row[6], (int) row[7], (int) row[8], (int) row[9]}, out,
                    "counter " + Long.toHexString(row[0]));
        }
    }

    @Test
    void maskDigestEqualsTheNativeOne() {
        assertEquals(1288490240L, Philox.dropThreshold(0.3f));
        assertEquals(0x80000000L, Philox.dropThreshold(0.5f));
        long h = 0xcbf29ce484222325L;
        int kept = 0;
        for (int k = 0; k < 2; k++)
            for (int d = 0; d < 2; d++)
                for (int t = 0; t < 10; t++)
                    for (int b = 0; b < 5; b++)
                        for (int u = 0; u < 13; u++) {
                            int bit = Philox.dropoutKeep(7, 0.3f, k, d, t, b, u) ? 1 : 0;
                            kept += bit;
                            h = (h ^ bit) * 0x100000001b3L;
                        }
        assertEquals(1851, kept);
        assertEquals(0xb66611a1b3d22368L, h);
    }

    @Test
    void keepRateIsOneMinusP() {
        int kept = 0, all = 0;
        for (int b = 0; b < 4000; b++) {
            for (int u = 0; u < 37; u++) {
                if (Philox.dropoutKeep(99, 0.25f, 1, 1, 5, b, u)) kept++;
                all++;
            }
        }
        double rate = (double) kept / all;
        assertTrue(Math.abs(rate - 0.75) < 0.0057, "keep rate " + rate);
        for (int u = 0; u < 64; u++) assertTrue(Philox.dropoutKeep(123, 0f, 0, 0, 3, 2, u), "p = 0 keeps all");
    }
}
