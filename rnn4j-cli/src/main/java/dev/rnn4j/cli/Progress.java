package dev.rnn4j.cli;

import java.io.PrintWriter;

/**
 * A progress bar on one line: redrawn in place with {@code \r} on a terminal, or printed as a plain
 * line every few seconds (and at the end) when the output goes to a file or a pipe.
 */
final class Progress {
    private static final int WIDTH = 28;
    private final PrintWriter out;
    private final boolean terminal;
    private final long total;
    private final String label;
    private final long start = System.nanoTime();
    private final long plainEveryNanos;
    private long lastPrint = Long.MIN_VALUE;
    private int lastLength;
    private boolean open;

    Progress(PrintWriter out, String label, long total) {
        this(out, label, total, isTerminal(), 10_000_000_000L);
    }

    Progress(PrintWriter out, String label, long total, boolean terminal, long plainEveryNanos) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
        this.terminal = terminal;
        this.plainEveryNanos = plainEveryNanos;
    }

    /** Whether stdout is an interactive terminal. */
    static boolean isTerminal() {
        return System.console() != null;
    }

    boolean terminal() {
        return terminal;
    }

    /** Shows {@code done} of {@code total} with a free-form status text. */
    void update(long done, String status) {
        long now = System.nanoTime();
        boolean last = done >= total;
        if (terminal) {
            if (!last && now - lastPrint < 100_000_000L) return; // at most 10 redraws a second
            lastPrint = now;
            String line = render(done, status, now);
            StringBuilder s = new StringBuilder("\r").append(line);
            for (int i = line.length(); i < lastLength; i++) s.append(' ');
            lastLength = line.length();
            out.print(s);
            out.flush();
            open = true;
        } else {
            if (!last && lastPrint != Long.MIN_VALUE && now - lastPrint < plainEveryNanos) return;
            if (lastPrint == Long.MIN_VALUE && done == 0) {
                lastPrint = now;
                return;
            }
            lastPrint = now;
            out.println(render(done, status, now));
            out.flush();
        }
    }

    private String render(long done, String status, long now) {
        double f = Math.min(1.0, (double) done / total);
        int filled = (int) Math.round(f * WIDTH);
        StringBuilder bar = new StringBuilder(label).append(" [");
        for (int i = 0; i < WIDTH; i++) bar.append(i < filled ? '#' : i == filled ? '>' : '.');
        double elapsed = (now - start) / 1e9;
        bar.append(String.format("] %3.0f%% %s", f * 100, Text.duration(elapsed)));
        if (done > 0 && done < total) bar.append(" (eta ").append(Text.duration(elapsed * (total - done) / done)).append(')');
        if (status != null && !status.isEmpty()) bar.append("  ").append(status);
        return bar.toString();
    }

    /** Prints a line above the bar (the bar is redrawn by the next update). */
    void println(String line) {
        clear();
        out.println(line);
        out.flush();
    }

    /** Removes the bar from the terminal line. */
    void clear() {
        if (terminal && open) {
            StringBuilder s = new StringBuilder("\r");
            for (int i = 0; i < lastLength; i++) s.append(' ');
            out.print(s.append('\r'));
            lastLength = 0;
            open = false;
            lastPrint = Long.MIN_VALUE;
        }
    }

    /** Ends the bar's line. */
    void finish() {
        if (terminal && open) {
            out.println();
            open = false;
        }
        out.flush();
    }

    double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
