package dev.rnn4j.reference;

import dev.rnn4j.ParameterLayout;
import dev.rnn4j.ParameterLayout.Kind;
import dev.rnn4j.Precision;
import dev.rnn4j.RnnSpec;

/**
 * The rounding of the reduced precisions ({@link Precision}), written once in fp32 arithmetic
 * exactly as the native kernels do it, so that both quantize to the same integers.
 */
public final class LowPrecision {
    private LowPrecision() {}

    /** {@code v} rounded to the nearest bfloat16 (ties to even), as a float; NaN stays NaN. */
    public static float bf16(float v) {
        if (Float.isNaN(v)) return v;
        int b = Float.floatToRawIntBits(v);
        b += 0x7FFF + ((b >>> 16) & 1);
        return Float.intBitsToFloat(b & 0xFFFF0000);
    }

    /** Whether a parameter is a weight matrix, the tensors the reduced precisions round. */
    static boolean isWeight(Kind kind) {
        return kind == Kind.WEIGHT_IH || kind == Kind.WEIGHT_HH || kind == Kind.WEIGHT_HR;
    }

    /** A copy of {@code params} with every weight matrix rounded to bfloat16 (biases unchanged). */
    static double[] bf16Weights(RnnSpec spec, double[] params) {
        double[] out = params.clone();
        for (ParameterLayout.Entry e : spec.parameterLayout().entries()) {
            if (!isWeight(e.kind())) continue;
            for (int i = e.offset(); i < e.offset() + e.size(); i++) out[i] = bf16((float) params[i]);
        }
        return out;
    }

    /**
     * A weight matrix quantized per row: symmetric s8, {@code scale = max|w|/127} in fp32,
     * {@code q = clamp(rint(w / scale), -127, 127)}; a zero row has scale 0 and q 0, a row with a
     * non-finite weight scale NaN.
     */
    static final class Int8Rows {
        final int rows, cols;
        final byte[] q;
        final float[] scale;
        /** Σ q over each row: the zero-point correction of u8 activations. */
        final int[] sum;

        Int8Rows(double[] p, int offset, int rows, int cols) {
            this.rows = rows;
            this.cols = cols;
            this.q = new byte[rows * cols];
            this.scale = new float[rows];
            this.sum = new int[rows];
            for (int r = 0; r < rows; r++) {
                float max = 0f;
                for (int j = 0; j < cols; j++) max = Math.max(max, Math.abs((float) p[offset + r * cols + j]));
                if (!Float.isFinite(max)) {
                    scale[r] = Float.NaN;
                    continue;
                }
                if (max == 0f) continue;
                float s = max / 127f;
                scale[r] = s;
                int acc = 0;
                for (int j = 0; j < cols; j++) {
                    int v = (int) Math.rint((float) p[offset + r * cols + j] / s);
                    v = Math.max(-127, Math.min(127, v));
                    q[r * cols + j] = (byte) v;
                    acc += v;
                }
                sum[r] = acc;
            }
        }

        /**
         * {@code out[r] = dequantized Σ_j q[r, j] * (qa[j] - zp)} for every row, with the activation
         * quantized by {@link #quantizeRow}: the integer sum is exact, then scaled by
         * {@code aScale * scale[r]}.
         */
        void multiply(Activations a, double[] out, int outOffset) {
            for (int r = 0; r < rows; r++) {
                long acc = 0;
                int w = r * cols;
                for (int j = 0; j < cols; j++) acc += q[w + j] * (a.q[j] & 0xFF);
                acc -= (long) a.zeroPoint * sum[r];
                out[outOffset + r] = acc * ((double) a.scale * scale[r]);
            }
        }
    }

    /** One activation row quantized to u8: values, scale and zero point. */
    static final class Activations {
        final byte[] q;
        float scale;
        int zeroPoint;

        Activations(int width) {
            q = new byte[width];
        }
    }

    /**
     * Quantizes {@code v[o .. o+n)}, each rounded to fp32 first, to asymmetric u8 into {@code a}.
     * Range {@code [lo, hi] = [min(0, v), max(0, v)]}, {@code scale = hi/255 - lo/255} (never
     * overflows), {@code zp = clamp(rint(-lo * (1/scale)), 0, 255)},
     * {@code q = clamp(rint(v * (1/scale)) + zp, 0, 255)}, all in fp32. A range below
     * {@link Float#MIN_NORMAL} quantizes to zeros with scale 0; a non-finite value gives scale NaN.
     */
    static void quantizeRow(double[] v, int o, int n, Activations a) {
        float lo = 0f, hi = 0f;
        boolean finite = true;
        for (int j = 0; j < n; j++) {
            float x = (float) v[o + j];
            if (!Float.isFinite(x)) finite = false;
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        java.util.Arrays.fill(a.q, 0, n, (byte) 0);
        a.zeroPoint = 0;
        if (!finite) {
            a.scale = Float.NaN;
            return;
        }
        float scale = hi / 255f - lo / 255f;
        if (!(scale >= Float.MIN_NORMAL)) {
            a.scale = 0f;
            return;
        }
        float inv = 1f / scale;
        int zp = clamp((int) Math.rint(-lo * inv), 0, 255);
        for (int j = 0; j < n; j++) a.q[j] = (byte) clamp((int) Math.rint((float) v[o + j] * inv) + zp, 0, 255);
        a.scale = scale;
        a.zeroPoint = zp;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /** The int8 copies of one layer and direction's weights ({@code hr} null without a projection). */
    static final class Int8Weights {
        final Int8Rows ih, hh, hr;

        Int8Weights(RnnSpec spec, double[] p, int layer, int direction) {
            ParameterLayout l = spec.parameterLayout();
            ih = rows(l.find(Kind.WEIGHT_IH, layer, direction), p);
            hh = rows(l.find(Kind.WEIGHT_HH, layer, direction), p);
            hr = rows(l.find(Kind.WEIGHT_HR, layer, direction), p);
        }

        private static Int8Rows rows(ParameterLayout.Entry e, double[] p) {
            return e == null ? null : new Int8Rows(p, e.offset(), e.rows(), e.cols());
        }
    }
}
