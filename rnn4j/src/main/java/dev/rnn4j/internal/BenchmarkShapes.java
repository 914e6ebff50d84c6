package dev.rnn4j.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The benchmark shapes of docs/DESIGN.md §7 (S1-S7, L1-L3) from their one table,
 * {@code native/bench/shapes.csv} (in this jar as {@code dev/rnn4j/internal/shapes.csv}), which the
 * C++ benchmarks read too. Used by {@code rnn4j bench} and the JMH suite.
 */
public final class BenchmarkShapes {
    /**
     * One shape: one layer unless {@code layers} says otherwise, with bias, sequence-major.
     * {@code cell} is a {@code CellType} name (a string: this package depends on no API class).
     */
    public record Shape(String name, String cell, int inputSize, int hiddenSize, int batch, int steps, int layers,
            boolean bidirectional, boolean training, boolean inference) {}

    private static final List<Shape> ALL = load();

    private BenchmarkShapes() {}

    /** Every shape, in the table's order. */
    public static List<Shape> all() {
        return ALL;
    }

    /** The shape called {@code name} ({@code S1}..{@code S7}, {@code L1}..{@code L3}). */
    public static Shape get(String name) {
        for (Shape s : ALL) if (s.name().equalsIgnoreCase(name)) return s;
        throw new IllegalArgumentException("unknown shape '" + name + "'; the shapes are " + names());
    }

    private static String names() {
        List<String> n = new ArrayList<>();
        for (Shape s : ALL) n.add(s.name());
        return String.join(", ", n);
    }

    private static List<Shape> load() {
        List<Shape> out = new ArrayList<>();
        try (InputStream in = BenchmarkShapes.class.getResourceAsStream("shapes.csv")) {
            if (in == null) throw new IllegalStateException("dev/rnn4j/internal/shapes.csv is missing from the jar");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.trim();
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] f = line.split(",");
                if (f.length != 10) throw new IllegalStateException("shapes.csv: '" + line + "' does not have 10 fields");
                int[] n = new int[8];
                for (int i = 0; i < 8; i++) n[i] = Integer.parseInt(f[i + 2].trim());
                out.add(new Shape(f[0].trim(), f[1].trim(), n[0], n[1], n[2], n[3], n[4], n[5] != 0,
                        n[6] != 0, n[7] != 0));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableList(out);
    }
}
