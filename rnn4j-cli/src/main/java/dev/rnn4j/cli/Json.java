package dev.rnn4j.cli;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A minimal JSON writer (objects, arrays, strings, numbers, booleans, null), pretty-printed.
 * Non-finite numbers, which JSON cannot represent, are written as null.
 */
final class Json {
    private final StringBuilder s = new StringBuilder();
    private final Deque<Boolean> first = new ArrayDeque<>();
    private boolean afterField;

    Json begin(char open) {
        separator();
        s.append(open);
        first.push(true);
        return this;
    }

    Json end(char close) {
        boolean empty = first.pop();
        if (!empty) newline();
        s.append(close);
        return this;
    }

    Json field(String name) {
        separator();
        string(name);
        s.append(": ");
        afterField = true;
        return this;
    }

    Json value(String v) {
        separator();
        string(v);
        return this;
    }

    Json value(double v) {
        separator();
        if (Double.isFinite(v)) {
            if (v == Math.rint(v) && Math.abs(v) < 1e15) s.append((long) v);
            else s.append(v);
        } else {
            s.append("null");
        }
        return this;
    }

    Json value(long v) {
        separator();
        s.append(v);
        return this;
    }

    Json value(boolean v) {
        separator();
        s.append(v);
        return this;
    }

    Json nullValue() {
        separator();
        s.append("null");
        return this;
    }

    private void separator() {
        if (afterField) {
            afterField = false;
            return;
        }
        if (first.isEmpty()) return;
        if (!first.peek()) s.append(',');
        first.pop();
        first.push(false);
        newline();
    }

    private void newline() {
        s.append('\n');
        for (int i = 0; i < first.size(); i++) s.append("  ");
    }

    private void string(String v) {
        s.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"': s.append("\\\""); break;
                case '\\': s.append("\\\\"); break;
                case '\n': s.append("\\n"); break;
                case '\r': s.append("\\r"); break;
                case '\t': s.append("\\t"); break;
                default:
                    if (c < 0x20) s.append(String.format("\\u%04x", (int) c));
                    else s.append(c);
            }
        }
        s.append('"');
    }

    @Override
    public String toString() {
        return s.toString();
    }
}
