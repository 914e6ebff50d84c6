package dev.rnn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.internal.BenchmarkShapes;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The data with one source for C++ and Java (native/common/tolerance.properties,
 * native/bench/shapes.csv) reaches the jar and reads as docs/DESIGN.md §6 and §7 say.
 */
class SharedDataTest {

    @Test
    void theToleranceIsThatOfTheDesign() {
        assertEquals(1e-4, Tolerance.RTOL);
        assertEquals(1e-5, Tolerance.ATOL);
        assertEquals(1e-3, Tolerance.FLOOR);
        float[] ref = {1f, -2f, 0f};
        assertEquals(0.0, Tolerance.worstRatio(ref.clone(), ref));
        // one element off by exactly its allowance, then by twice it
        double allowed = Tolerance.RTOL * 2 + Tolerance.ATOL * 2;
        assertEquals(1.0, Tolerance.worstRatio(new float[] {1f, (float) (-2 - allowed), 0f}, ref), 1e-3);
        assertTrue(Tolerance.worstRatio(new float[] {1f, -2f, (float) (2 * Tolerance.ATOL * 2)}, ref) > 1.5);
        assertEquals(Double.POSITIVE_INFINITY, Tolerance.worstRatio(new float[] {Float.NaN, -2f, 0f}, ref));
        assertThrows(IllegalArgumentException.class, () -> Tolerance.worstRatio(new float[2], ref));
    }

    @Test
    void theBenchmarkShapesAreThoseOfTheDesign() {
        List<BenchmarkShapes.Shape> all = BenchmarkShapes.all();
        assertEquals(List.of("S1", "S2", "S3", "S4", "S5", "S6", "S7", "L1", "L2", "L3"),
                all.stream().map(BenchmarkShapes.Shape::name).toList());
        for (BenchmarkShapes.Shape s : all) {
            CellType.valueOf(s.cell()); // every cell is a CellType
            assertTrue(s.inference(), s.name());
            assertEquals(s.name().startsWith("S"), s.training(), s.name());
            assertEquals(s.name().startsWith("L"), s.batch() == 1, s.name());
        }
        BenchmarkShapes.Shape s7 = BenchmarkShapes.get("s7");
        assertEquals(new BenchmarkShapes.Shape("S7", "LSTM", 128, 256, 32, 100, 2, true, true, true), s7);
        assertFalse(BenchmarkShapes.get("L3").training());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BenchmarkShapes.get("S9")).getMessage()
                .contains("S1, S2"));
    }
}
