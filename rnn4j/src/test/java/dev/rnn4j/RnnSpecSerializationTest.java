package dev.rnn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

/** RnnSpec crosses JVMs (Spark executors) by Java serialization; the builder checks what arrives. */
class RnnSpecSerializationTest {
    @Test
    void roundTripGivesAnEqualSpecWithItsLayout() throws Exception {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 7, 12).layers(2).bidirectional(true).bias(false)
                .projectionSize(5).batchFirst(true).build();
        RnnSpec back = (RnnSpec) read(write(spec));
        assertEquals(spec, back);
        assertEquals(spec.toString(), back.toString());
        assertEquals(spec.parameterCount(), back.parameterCount());
        assertEquals(spec.parameterLayout().entry("weight_hr_l1_reverse").offset(),
                back.parameterLayout().entry("weight_hr_l1_reverse").offset());
    }

    @Test
    void theCellOptionsTravelToo() throws Exception {
        for (RnnSpec spec : new RnnSpec[] {
            RnnSpec.builder(CellType.GRU, 3, 4).layers(2).linearBeforeReset(false).dropout(0.25f).build(),
            RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(2).cellClip(3f).projectionClip(0.5f).build()}) {
            RnnSpec back = (RnnSpec) read(write(spec));
            assertEquals(spec, back);
            assertEquals(spec.toString(), back.toString());
        }
        byte[] bytes = write(RnnSpec.builder(CellType.GRU, 3, 4).cellClip(0).build());
        assertEquals(true, ((RnnSpec) read(bytes)).linearBeforeReset(), "the default variant by default");
    }

    @Test
    void aStreamWithAnInvalidSpecIsRejectedByTheBuilder() throws Exception {
        byte[] bytes = write(RnnSpec.builder(CellType.GRU, 3, 4).build());
        // The serialized form stores inputSize as a 4-byte int; 3 is unique enough to find and corrupt.
        int at = indexOfInt(bytes, 3);
        bytes[at + 3] = 0; // inputSize = 0
        InvalidObjectException e = assertThrows(InvalidObjectException.class, () -> read(bytes));
        assertTrue(e.getMessage().contains("inputSize"), e.getMessage());
    }

    private static byte[] write(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static Object read(byte[] bytes) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return in.readObject();
        }
    }

    private static int indexOfInt(byte[] b, int value) {
        for (int i = b.length - 4; i >= 0; i--) { // field values follow the class description: search from the end
            if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 0 && b[i + 3] == value) return i;
        }
        throw new AssertionError("value " + value + " not found");
    }
}
