package dev.rnn4j.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A safetensors file, read: {@code SafeTensors.open(path)} parses and checks the whole header (every
 * tensor's dtype, shape and byte range against the file) before anything is read; {@link
 * #floats(String)} then reads one tensor into fp32 from a memory map of its own byte range only.
 *
 * <p>The format: a little-endian u64 {@code n}, {@code n} bytes of UTF-8 JSON {@code {name: {"dtype",
 * "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}}, then the data; offsets
 * count from the end of the header. Checked strictly: the header is at most 100 MB (the reference
 * implementation's limit) and within the file, strict JSON with no duplicate or unknown keys, every
 * range holds exactly its dtype times its shape, and the ranges, in order, tile the data with no gap
 * and no overlap up to the end of the file (as the reference implementation requires). Every violation is a {@link ModelFileException} naming the file,
 * the tensor and the problem; nothing is allocated from a length before it has been checked against
 * the file.
 *
 * <p>{@link #write} writes F32 tensors the way the reference writer does (header padded with spaces
 * to a multiple of 8, tensors in name order), through a temporary file renamed into place, so a
 * reader never sees half a file. Not thread-safe while open; close it to release the file.
 */
public final class SafeTensors implements AutoCloseable {
    /** The reference implementation's limit: no real header comes close, a forged one may claim 2^64. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA = "__metadata__";

    /** One tensor of the header. */
    public record Info(String name, DType dtype, long[] shape, long begin, long end) {
        /** The element count, the product of the shape. */
        public long count() {
            long c = 1;
            for (long d : shape) c *= d; // checked not to overflow when the header was parsed
            return c;
        }

        /** The shape as ints (every tensor rnn4j reads has dimensions and a count below 2^31). */
        public int[] intShape() {
            int[] s = new int[shape.length];
            for (int i = 0; i < s.length; i++) s[i] = (int) shape[i];
            return s;
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape);
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Info> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path path, FileChannel channel, long dataStart, Map<String, Info> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and checks a safetensors file.
     *
     * @throws ModelFileException if the file is not a valid safetensors file (naming the problem)
     * @throws IOException if it cannot be read
     */
    public static SafeTensors open(Path path) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) throw new ModelFileException(path, null, "truncated: " + size + " bytes, shorter than the 8-byte header length");
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long n = lengthBytes.getLong(0); // u64: a forged length above 2^63 reads negative
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new ModelFileException(path, null, "header length " + Long.toUnsignedString(n)
                        + " is beyond the " + MAX_HEADER_BYTES + "-byte limit of the format");
            }
            if (n > size - 8) {
                throw new ModelFileException(path, null, "header length " + n + " is longer than the " + (size - 8)
                        + " bytes that follow it (truncated file?)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
            readFully(channel, headerBytes, 8);
            String json;
            try {
                json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBytes.flip()).toString();
            } catch (CharacterCodingException e) {
                throw new ModelFileException(path, null, "the header is not valid UTF-8", e);
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Info> tensors = parseHeader(path, json, metadata);
            checkRanges(path, tensors.values(), size - 8 - n);
            return new SafeTensors(path, channel, 8 + n, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b, at + b.position()) < 0) throw new IOException("unexpected end of file");
        }
    }

    private static Map<String, Info> parseHeader(Path path, String json, Map<String, String> metadata)
            throws ModelFileException {
        Map<String, Info> tensors = new LinkedHashMap<>();
        String at = null;
        try (JsonReader r = new JsonReader(new StringReader(json))) {
            r.setStrictness(Strictness.STRICT);
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                at = name;
                if (tensors.containsKey(name) || (name.equals(METADATA) && !metadata.isEmpty())) {
                    throw new ModelFileException(path, name, "appears twice in the header");
                }
                if (name.equals(METADATA)) {
                    r.beginObject();
                    while (r.hasNext()) {
                        String key = r.nextName();
                        if (r.peek() != JsonToken.STRING) {
                            throw new ModelFileException(path, METADATA, "value of '" + key + "' must be a string, got " + r.peek());
                        }
                        metadata.put(key, r.nextString());
                    }
                    r.endObject();
                } else {
                    tensors.put(name, parseTensor(path, name, r));
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) throw new ModelFileException(path, null, "data after the header's JSON object");
        } catch (ModelFileException e) {
            throw e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // Gson reports malformed JSON as MalformedJsonException (an IOException) or IllegalStateException
            throw new ModelFileException(path, at, "the header is not valid safetensors JSON: " + e.getMessage(), e);
        }
        return tensors;
    }

    private static Info parseTensor(Path path, String name, JsonReader r) throws IOException {
        DType dtype = null;
        long[] shape = null, offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            switch (key) {
                case "dtype" -> {
                    String d = r.nextString();
                    dtype = DType.parse(d);
                    if (dtype == null) throw new ModelFileException(path, name, "unknown dtype '" + d + "'");
                }
                case "shape" -> shape = longs(path, name, r, "shape", -1);
                case "data_offsets" -> offsets = longs(path, name, r, "data_offsets", 2);
                default -> throw new ModelFileException(path, name, "unknown key '" + key + "'");
            }
        }
        r.endObject();
        if (dtype == null || shape == null || offsets == null) {
            throw new ModelFileException(path, name, "needs dtype, shape and data_offsets");
        }
        long count = 1;
        for (long d : shape) {
            try {
                count = Math.multiplyExact(count, d);
                Math.multiplyExact(count, dtype.bytes());
            } catch (ArithmeticException e) {
                throw new ModelFileException(path, name, "shape " + Arrays.toString(shape) + " overflows 64 bits");
            }
        }
        if (offsets[1] < offsets[0]) {
            throw new ModelFileException(path, name, "data_offsets " + Arrays.toString(offsets) + " end before they begin");
        }
        if (offsets[1] - offsets[0] != count * dtype.bytes()) {
            throw new ModelFileException(path, name, "data_offsets " + Arrays.toString(offsets) + " hold "
                    + (offsets[1] - offsets[0]) + " bytes but " + dtype + Arrays.toString(shape) + " needs " + count * dtype.bytes());
        }
        return new Info(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longs(Path path, String name, JsonReader r, String what, int length) throws IOException {
        List<Long> list = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() != JsonToken.NUMBER) throw new ModelFileException(path, name, what + " must hold integers, got " + r.peek());
            String text = r.nextString();
            long v;
            try {
                v = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new ModelFileException(path, name, what + " holds " + text + ", not an integer below 2^63");
            }
            if (v < 0) throw new ModelFileException(path, name, what + " holds the negative " + v);
            list.add(v);
        }
        r.endArray();
        if (length >= 0 && list.size() != length) {
            throw new ModelFileException(path, name, what + " must have " + length + " entries, got " + list.size());
        }
        return list.stream().mapToLong(Long::longValue).toArray();
    }

    /** The ranges, in order, must tile {@code [0, dataBytes)}: no gap, no overlap, nothing past the end. */
    private static void checkRanges(Path path, Iterable<Info> infos, long dataBytes) throws ModelFileException {
        List<Info> sorted = new ArrayList<>();
        infos.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(Info::begin).thenComparingLong(Info::end));
        long expected = 0;
        Info previous = null;
        for (Info i : sorted) {
            if (i.end() > dataBytes) {
                throw new ModelFileException(path, i.name(), "data_offsets [" + i.begin() + ", " + i.end()
                        + "] reach past the end of the data (" + dataBytes + " bytes; truncated file?)");
            }
            if (i.begin() < expected) {
                throw new ModelFileException(path, i.name(), "data_offsets [" + i.begin() + ", " + i.end()
                        + "] overlap those of '" + previous.name() + "' [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (i.begin() > expected) {
                throw new ModelFileException(path, i.name(), "data_offsets begin at " + i.begin() + ", leaving bytes ["
                        + expected + ", " + i.begin() + ") of the data unused");
            }
            expected = i.end();
            previous = i;
        }
        if (expected != dataBytes) {
            throw new ModelFileException(path, null, "the tensors end at byte " + expected + " of the data but the file holds "
                    + dataBytes + " bytes of data");
        }
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** The tensor names, in header order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** Whether a tensor of this name exists. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The header entry of a tensor.
     *
     * @throws ModelFileException if there is none
     */
    public Info info(String name) throws ModelFileException {
        Info i = tensors.get(name);
        if (i == null) throw new ModelFileException(path, name, "no such tensor; the file has " + tensors.keySet());
        return i;
    }

    /** The {@code __metadata__} strings (empty if none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads a floating-point tensor into fp32, row-major (F64 rounded to nearest; F16, BF16 exact).
     *
     * @throws ModelFileException if there is no such tensor, its dtype is not a float, or it holds
     *     2^31 elements or more
     * @throws IllegalStateException if closed
     */
    public float[] floats(String name) throws IOException {
        Info i = info(name);
        if (!channel.isOpen()) throw new IllegalStateException(path + " is closed");
        if (!i.dtype().isFloat()) {
            throw new ModelFileException(path, name, "dtype " + i.dtype() + " is not a floating-point type (F32, F16, BF16, F64)");
        }
        if (i.count() > Integer.MAX_VALUE - 8) {
            throw new ModelFileException(path, name, i.count() + " elements do not fit in a Java array");
        }
        float[] out = new float[(int) i.count()];
        if (out.length == 0) return out;
        MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + i.begin(), i.end() - i.begin());
        ByteBuffer b = map.order(ByteOrder.LITTLE_ENDIAN);
        switch (i.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int k = 0; k < out.length; k++) out[k] = (float) b.getDouble(8 * k);
            }
            case F16 -> {
                for (int k = 0; k < out.length; k++) out[k] = halfToFloat(b.getShort(2 * k));
            }
            case BF16 -> {
                for (int k = 0; k < out.length; k++) out[k] = Float.intBitsToFloat((b.getShort(2 * k) & 0xffff) << 16);
            }
            default -> throw new AssertionError(i.dtype());
        }
        return out;
    }

    /** IEEE 754 binary16 to binary32, exactly (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13)); // inf, NaN
        if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
            float v = mantissa * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** Releases the file. Arrays already returned stay valid. */
    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SafeTensors(" + path + ", " + tensors.size() + " tensors)";
    }

    // ---- Writing -------------------------------------------------------------------------------

    /**
     * Writes F32 tensors and metadata as a safetensors file, replacing {@code path} atomically where
     * the file system can (a temporary file in the same folder, then a rename).
     *
     * @param tensors name to tensor; names must not be empty or {@code __metadata__}
     * @param metadata stored in {@code __metadata__}; may be empty or null
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        Objects.requireNonNull(tensors, "tensors must not be null");
        List<String> names = new ArrayList<>(tensors.keySet());
        Collections.sort(names);
        StringWriter text = new StringWriter();
        long offset = 0;
        try (JsonWriter w = new JsonWriter(text)) {
            w.beginObject();
            if (metadata != null && !metadata.isEmpty()) {
                w.name(METADATA).beginObject();
                for (Map.Entry<String, String> e : metadata.entrySet()) w.name(e.getKey()).value(e.getValue());
                w.endObject();
            }
            for (String name : names) {
                if (name.isEmpty() || name.equals(METADATA)) throw new IllegalArgumentException("invalid tensor name '" + name + "'");
                Tensor t = Objects.requireNonNull(tensors.get(name), () -> "tensor " + name + " is null");
                w.name(name).beginObject().name("dtype").value("F32").name("shape").beginArray();
                for (int d : t.shape()) w.value(d);
                w.endArray().name("data_offsets").beginArray().value(offset).value(offset + 4L * t.data().length).endArray();
                w.endObject();
                offset += 4L * t.data().length;
            }
            w.endObject();
        }
        byte[] header = text.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        replace(path, out -> {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(header);
            while (head.hasRemaining()) head.put((byte) ' ');
            writeFully(out, head.flip());
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (String name : names) {
                for (float v : tensors.get(name).data()) {
                    if (!chunk.hasRemaining()) writeFully(out, chunk.flip()).clear();
                    chunk.putFloat(v);
                }
            }
            writeFully(out, chunk.flip());
        });
    }

    /** Writes the contents of a file. */
    interface Contents {
        void writeTo(FileChannel out) throws IOException;
    }

    /**
     * Writes a file through a new sibling (created with the default permissions, unlike a temporary
     * file's owner-only ones), forced to disk and renamed over {@code path}: readers see the old file
     * or the whole new one, never a part.
     */
    static void replace(Path path, Contents contents) throws IOException {
        Path tmp = path.toAbsolutePath().resolveSibling(path.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                contents.writeTo(out);
                out.force(false);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static ByteBuffer writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
        return b;
    }
}
