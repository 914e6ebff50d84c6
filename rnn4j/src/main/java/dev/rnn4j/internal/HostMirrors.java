package dev.rnn4j.internal;

import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bytedeco.javacpp.Pointer;

/**
 * Host memory that mirrors device memory (the CUDA backend's host copies of parameters and
 * gradients), and the code that reads or writes it through a live view ({@code Rnn.parameterBuffer()},
 * {@code gradientBuffer()}): the optimizers and gradient clipping of {@code dev.rnn4j.train} announce
 * here what they are about to read and what they wrote, so that the owner downloads only before a
 * read and uploads only after a write. With no mirror registered (CPU, JAVA backends) every call is
 * one empty-list check.
 */
public final class HostMirrors {
    /** What a mirror's owner does when its host memory is read or written from outside. */
    public interface Mirror {
        /** Brings the host copy up to date (download, if the device copy is newer). */
        void beforeHostRead();

        /** The host copy was written: the device copy is stale from now on. */
        void afterHostWrite();

        /** The whole host copy was set to zeros (the device copy can be zeroed instead of uploaded). */
        default void afterHostZeroed() {
            afterHostWrite();
        }
    }

    /** A registration: {@link #close()} removes it. */
    public static final class Registration implements AutoCloseable {
        final long start, end;
        final Mirror mirror;

        Registration(long start, long end, Mirror mirror) {
            this.start = start;
            this.end = end;
            this.mirror = mirror;
        }

        @Override
        public void close() {
            MIRRORS.remove(this);
        }
    }

    private static final CopyOnWriteArrayList<Registration> MIRRORS = new CopyOnWriteArrayList<>();

    private HostMirrors() {}

    /** Registers the first {@code floats} floats of the direct buffer {@code host} (from its position). */
    public static Registration register(FloatBuffer host, long floats, Mirror mirror) {
        long start = Address.of(host) + 4L * host.position();
        Registration r = new Registration(start, start + 4L * Math.max(1, floats), mirror);
        MIRRORS.add(r);
        return r;
    }

    /** Before reading the remaining floats of {@code view}: every mirror they overlap is brought up to date. */
    public static void reading(FloatBuffer view) {
        if (MIRRORS.isEmpty() || !view.isDirect()) return;
        long a = Address.of(view) + 4L * view.position(), b = a + 4L * view.remaining();
        for (Registration r : MIRRORS) {
            if (r.start < b && a < r.end) r.mirror.beforeHostRead();
        }
    }

    /** After writing the remaining floats of {@code view} (having called {@link #reading} first when only part was written). */
    public static void written(FloatBuffer view) {
        if (MIRRORS.isEmpty() || !view.isDirect()) return;
        long a = Address.of(view) + 4L * view.position(), b = a + 4L * view.remaining();
        for (Registration r : MIRRORS) {
            if (r.start < b && a < r.end) r.mirror.afterHostWrite();
        }
    }

    /** After setting the remaining floats of {@code view} to zero. */
    public static void zeroed(FloatBuffer view) {
        if (MIRRORS.isEmpty() || !view.isDirect()) return;
        long a = Address.of(view) + 4L * view.position(), b = a + 4L * view.remaining();
        for (Registration r : MIRRORS) {
            if (r.start < b && a < r.end) {
                if (a <= r.start && r.end <= b) r.mirror.afterHostZeroed();
                else r.mirror.afterHostWrite();
            }
        }
    }

    /** The address of a direct buffer, through JavaCPP (Java has no public API for it). */
    private static final class Address extends Pointer {
        static long of(Buffer b) {
            return getDirectBufferAddress(b);
        }
    }
}
