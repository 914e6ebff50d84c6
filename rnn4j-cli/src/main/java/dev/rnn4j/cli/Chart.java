package dev.rnn4j.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A horizontal grouped bar chart of the benchmark: one group per shape and mode, one bar per
 * backend (and thread count), length GFLOP/s on a logarithmic axis (the Java reference and the
 * native kernels differ by orders of magnitude), labelled with the value and the time.
 */
final class Chart {
    private static final Color[] PALETTE = {new Color(0x8c8c8c), new Color(0x1f77b4), new Color(0xff7f0e),
            new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd), new Color(0x17becf)};

    private Chart() {}

    static void draw(Path file, List<BenchCommand.Row> rows) {
        Map<String, List<BenchCommand.Row>> groups = new LinkedHashMap<>();
        List<String> series = new ArrayList<>();
        for (BenchCommand.Row r : rows) {
            groups.computeIfAbsent(r.shape().id() + " " + r.mode(), k -> new ArrayList<>()).add(r);
            String key = series(r);
            if (!series.contains(key)) series.add(key);
        }
        double max = 1e-3, min = Double.MAX_VALUE;
        for (BenchCommand.Row r : rows) {
            if (r.gflops() > 0 && Double.isFinite(r.gflops())) {
                max = Math.max(max, r.gflops());
                min = Math.min(min, r.gflops());
            }
        }
        if (min == Double.MAX_VALUE) min = max / 10;
        int lo = (int) Math.floor(Math.log10(min)), hi = (int) Math.ceil(Math.log10(max));
        if (hi <= lo) hi = lo + 1;

        int bar = 16, gap = 14, left = 290, right = 150, top = 70, plotWidth = 620;
        int groupHeight = series.size() * bar + gap;
        int height = top + groups.size() * groupHeight + 80;
        int width = left + plotWidth + right;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("rnn4j bench: GFLOP/s (log scale; longer is faster)", 20, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString("train = forward + full backward (all gradients); infer = forward; median time; est. = extrapolated from fewer steps",
                20, 48);

        int plotBottom = top + groups.size() * groupHeight;
        final int loF = lo, hiF = hi;
        java.util.function.DoubleToIntFunction xOf = v -> left
                + (int) Math.round((Math.log10(Math.max(v, Math.pow(10, loF))) - loF) / (hiF - loF) * plotWidth);
        g.setStroke(new BasicStroke(1f));
        for (int e = lo; e <= hi; e++) {
            int x = xOf.applyAsInt(Math.pow(10, e));
            g.setColor(new Color(0xdddddd));
            g.drawLine(x, top - 5, x, plotBottom);
            g.setColor(Color.DARK_GRAY);
            String label = e >= 0 ? String.valueOf((long) Math.pow(10, e)) : Text.f("%." + (-e) + "f", Math.pow(10, e));
            g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, plotBottom + 16);
        }
        g.drawString("GFLOP/s", left + plotWidth / 2 - 20, plotBottom + 34);

        int y = top;
        FontMetrics fm = g.getFontMetrics();
        for (Map.Entry<String, List<BenchCommand.Row>> grp : groups.entrySet()) {
            BenchCommand.Row first = grp.getValue().get(0);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            g.drawString(grp.getKey(), 10, y + 12);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.drawString(first.shape().describe(), 10, y + 26);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (String s : series) {
                BenchCommand.Row r = null;
                for (BenchCommand.Row c : grp.getValue()) if (series(c).equals(s)) r = c;
                int idx = series.indexOf(s);
                if (r != null) {
                    int x1 = xOf.applyAsInt(r.gflops());
                    g.setColor(PALETTE[idx % PALETTE.length]);
                    g.fillRect(left, y + idx * bar + 1, Math.max(1, x1 - left), bar - 3);
                    g.setColor(Color.BLACK);
                    String label = Text.f("%.2f  (%s%s)", r.gflops(), BenchCommand.time(r.medianSeconds()), r.estimated() ? " est." : "");
                    g.drawString(label, x1 + 4, y + idx * bar + bar - 4);
                }
            }
            y += groupHeight;
            g.setColor(new Color(0xeeeeee));
            g.drawLine(10, y - gap / 2, width - 10, y - gap / 2);
        }
        int ly = plotBottom + 50;
        int lx = left;
        for (int i = 0; i < series.size(); i++) {
            g.setColor(PALETTE[i % PALETTE.length]);
            g.fillRect(lx, ly, 14, 12);
            g.setColor(Color.BLACK);
            g.drawString(series.get(i), lx + 18, ly + 11);
            lx += 30 + fm.stringWidth(series.get(i));
        }
        g.dispose();
        try {
            if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer");
        } catch (IOException e) {
            throw new IllegalStateException("cannot write --plot " + file + ": " + e.getMessage(), e);
        }
    }

    private static String series(BenchCommand.Row r) {
        return r.backend().name() + (r.backend() == dev.rnn4j.Backend.CPU ? " " + r.threads() + " thread" + (r.threads() == 1 ? "" : "s") : "");
    }
}
