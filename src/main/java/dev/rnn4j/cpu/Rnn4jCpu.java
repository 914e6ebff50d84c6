package dev.rnn4j.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.openblas.presets.openblas_nolapack;

/**
 * The JavaCPP binding of the C API in {@code native/include/rnn4j/rnn4j.h} (library
 * {@code librnn4j.so}, JNI glue {@code libjniRnn4jCpu.so}). Raw: no argument is checked here.
 * Use {@link dev.rnn4j.Rnn}, which validates everything before calling in.
 */
@Properties(inherit = openblas_nolapack.class, value = @Platform(include = "rnn4j/rnn4j.h", link = "rnn4j"))
public final class Rnn4jCpu {
    static {
        Loader.load();
    }

    private Rnn4jCpu() {}

    /** Status code: success. */
    public static final int RNN4J_OK = 0;

    /** See {@code rnn4j_version}. */
    public static native @Cast("const char*") String rnn4j_version();

    /** See {@code rnn4j_build_info}. */
    public static native @Cast("const char*") String rnn4j_build_info();

    /** See {@code rnn4j_blas_config}. */
    public static native @Cast("const char*") String rnn4j_blas_config();

    /** See {@code rnn4j_capabilities}. */
    public static native int rnn4j_capabilities();

    /** See {@code rnn4j_last_error}. */
    public static native @Cast("const char*") String rnn4j_last_error();

    /** See {@code rnn4j_get_num_threads}. */
    public static native int rnn4j_get_num_threads();

    /** See {@code rnn4j_set_num_threads}. */
    public static native int rnn4j_set_num_threads(int threads);
}
