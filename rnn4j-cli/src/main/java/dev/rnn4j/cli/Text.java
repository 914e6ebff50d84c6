package dev.rnn4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Formatting helpers: durations, numbers, aligned tables. */
final class Text {
    private Text() {}

    static String duration(double seconds) {
        if (seconds < 60) return String.format(Locale.ROOT, "%.1fs", seconds);
        long s = Math.round(seconds);
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }

    /** Bytes in binary units: "512 B", "3.2 MiB", "18.3 GiB". */
    static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** A table with a header row; columns are left-aligned unless listed as right-aligned. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();
        private final boolean[] right;

        Table(String[] header, boolean... rightAligned) {
            rows.add(header);
            right = new boolean[header.length];
            for (int i = 0; i < rightAligned.length && i < right.length; i++) right[i] = rightAligned[i];
        }

        void add(String... cells) {
            rows.add(cells);
        }

        List<String> render() {
            int n = rows.get(0).length;
            int[] w = new int[n];
            for (String[] r : rows) for (int i = 0; i < n && i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
            List<String> lines = new ArrayList<>();
            for (int k = 0; k < rows.size(); k++) {
                String[] r = rows.get(k);
                StringBuilder s = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    String c = i < r.length ? r[i] : "";
                    if (i > 0) s.append("  ");
                    String pad = " ".repeat(w[i] - c.length());
                    s.append(right[i] ? pad + c : (i == n - 1 ? c : c + pad));
                }
                lines.add(s.toString().stripTrailing());
                if (k == 0) {
                    StringBuilder u = new StringBuilder();
                    for (int i = 0; i < n; i++) u.append(i > 0 ? "  " : "").append("-".repeat(w[i]));
                    lines.add(u.toString());
                }
            }
            return lines;
        }
    }
}
