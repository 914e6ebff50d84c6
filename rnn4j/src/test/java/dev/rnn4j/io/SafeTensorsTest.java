package dev.rnn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader and writer, and every kind of bad file. */
class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void writeThenReadIsBitwiseWithMetadata() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("b", new Tensor(new int[] {2, 3}, new float[] {1, -0f, Float.NaN, Float.MIN_VALUE, Float.MAX_VALUE, 3.25f}));
        t.put("a", Tensor.of(7));
        t.put("empty", new Tensor(new int[] {0, 4}, new float[0]));
        t.put("scalar", new Tensor(new int[0], new float[] {2}));
        Path f = dir.resolve("t.safetensors");
        SafeTensors.write(f, t, Map.of("k", "v \"quoted\" ünï"));
        byte[] raw = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8, "header padded to 8 bytes as the reference writer does");
        try (SafeTensors s = SafeTensors.open(f)) {
            assertEquals(Map.of("k", "v \"quoted\" ünï"), s.metadata());
            for (var e : t.entrySet()) {
                assertArrayEquals(e.getValue().shape(), s.info(e.getKey()).intShape());
                float[] got = s.floats(e.getKey());
                assertEquals(e.getValue().data().length, got.length);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(Float.floatToRawIntBits(e.getValue().data()[i]), Float.floatToRawIntBits(got[i]));
                }
            }
        }
    }

    @Test
    void writtenFilesGetTheDefaultPermissionsAndReplaceTheOldOneWhole() throws IOException {
        Path plain = dir.resolve("plain");
        Files.write(plain, new byte[1]);
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, Map.of("a", Tensor.of(1, 2)), null);
        SafeTensors.write(f, Map.of("b", Tensor.of(3)), null);
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f), "not a temporary file's owner-only ones");
        try (SafeTensors s = SafeTensors.open(f)) {
            assertEquals(java.util.Set.of("b"), s.names());
        }
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void halfPrecisionConvertsExactly() {
        assertEquals(1f, SafeTensors.halfToFloat((short) 0x3c00));
        assertEquals(-2f, SafeTensors.halfToFloat((short) 0xc000));
        assertEquals(65504f, SafeTensors.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, SafeTensors.halfToFloat((short) 0x0001));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(SafeTensors.halfToFloat((short) 0x8000)));
        assertEquals(Float.POSITIVE_INFINITY, SafeTensors.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7e00)));
    }

    @Test
    void theF16AndBf16FixturesAreTheF32OnesRounded() throws IOException {
        try (SafeTensors f32 = SafeTensors.open(Fixtures.path("lstm.safetensors"));
                SafeTensors f16 = SafeTensors.open(Fixtures.path("lstm.f16.safetensors"));
                SafeTensors bf16 = SafeTensors.open(Fixtures.path("lstm.bf16.safetensors"))) {
            assertEquals(DType.F16, f16.info("weight_ih_l0").dtype());
            float[] a = f32.floats("weight_ih_l0"), h = f16.floats("weight_ih_l0"), b = bf16.floats("weight_ih_l0");
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], h[i], Math.abs(a[i]) * 0x1p-10f, "F16 [" + i + "]");
                assertEquals(a[i], b[i], Math.abs(a[i]) * 0x1p-7f, "BF16 [" + i + "]");
            }
        }
    }

    // ---- bad files: each names the file, the tensor and the problem -------------------------------

    /** A file with this header and this many data bytes. */
    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private ModelFileException bad(Path f) {
        return assertThrows(ModelFileException.class, () -> {
            try (SafeTensors s = SafeTensors.open(f)) {
                for (String n : s.names()) s.floats(n);
            }
        });
    }

    private void assertBad(Path f, String tensor, String problem) {
        ModelFileException e = bad(f);
        assertEquals(f, e.file());
        assertEquals(tensor, e.tensor(), e.getMessage());
        assertTrue(e.problem().contains(problem), "expected '" + problem + "' in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }

    @Test
    void truncatedFiles() throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.path("lstm.safetensors"));
        Path f = dir.resolve("cut.safetensors");
        Files.write(f, Arrays.copyOf(good, good.length - 4));
        assertBad(f, "weight_ih_l0", "reach past the end of the data");
        Files.write(f, Arrays.copyOf(good, 5));
        assertBad(f, null, "truncated: 5 bytes");
        Files.write(f, Arrays.copyOf(good, 40));
        assertBad(f, null, "longer than the 32 bytes that follow it");
    }

    @Test
    void forgedHeaderLengthsAllocateNothing() throws IOException {
        Path f = dir.resolve("forged.safetensors");
        for (long n : new long[] {-1L, Long.MAX_VALUE, 1L << 40, SafeTensors.MAX_HEADER_BYTES + 1}) {
            Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
            assertBad(f, null, "beyond the 100000000-byte limit");
        }
    }

    @Test
    void offsetsOverlappingOutOfRangeOrLeavingGaps() throws IOException {
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "b", "overlap those of 'a' [0, 8]");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16), "a",
                "leaving bytes [0, 8) of the data unused");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12), null,
                "end at byte 8 of the data but the file holds 12");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "a",
                "hold 8 bytes but F32[3] needs 12");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8), "a", "end before they begin");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8), "a",
                "overflows 64 bits");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "a", "negative -2");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}}", 8), "a",
                "not an integer below 2^63");
    }

    @Test
    void malformedHeaders() throws IOException {
        assertBad(file("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "a", "unknown dtype 'F33'");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "a", "needs dtype, shape and data_offsets");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8), "a", "unknown key 'x'");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16), "a", "appears twice");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8), "a", "not valid safetensors JSON");
        assertBad(file("{'a':{dtype:F32}}", 0), null, "not valid safetensors JSON");
        assertBad(file("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__", "value of 'k' must be a string");
        assertBad(file("[]", 0), null, "not valid safetensors JSON");
        assertBad(file("{} {}", 0), null, "not valid safetensors JSON");
        Path f = dir.resolve("utf.safetensors");
        Files.write(f, ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(2).put((byte) 0xff).put((byte) 0xfe).array());
        assertBad(f, null, "not valid UTF-8");
    }

    @Test
    void wrongDtypesAndMissingTensorsWhenRead() throws IOException {
        Path f = file("{\"n\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        try (SafeTensors s = SafeTensors.open(f)) {
            assertEquals(DType.I64, s.info("n").dtype()); // listed
            ModelFileException e = assertThrows(ModelFileException.class, () -> s.floats("n"));
            assertEquals("n", e.tensor());
            assertTrue(e.problem().contains("dtype I64 is not a floating-point type"), e.getMessage());
            e = assertThrows(ModelFileException.class, () -> s.floats("m"));
            assertTrue(e.problem().contains("no such tensor; the file has [n]"), e.getMessage());
        }
    }
}
