package dev.rnn4j.reference;

import dev.rnn4j.Precision;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.spi.RnnKernel;
import java.nio.FloatBuffer;

/**
 * The JAVA backend: {@link ReferenceRnn} behind the {@link RnnKernel} interface. Parameters and
 * gradients live on the Java heap in fp32; each call converts its tensors to double, runs the
 * reference, and rounds the results to fp32. Simple rather than fast: it is the oracle, and the
 * fallback where no native library loads. Runs every {@link Precision} (the reference's rounding;
 * the weights are quantized again on every call, from the fp32 parameters).
 */
public final class JavaKernel implements RnnKernel {
    private final RnnSpec spec;
    private final ReferenceRnn reference;
    private final FloatBuffer params;
    private final FloatBuffer grads;
    private ReferenceRnn.Trace trace;
    private Precision precision = Precision.FP32;

    /** Zero parameters and gradients for {@code spec}. */
    public JavaKernel(RnnSpec spec) {
        this.spec = spec;
        this.reference = new ReferenceRnn(spec);
        this.params = FloatBuffer.allocate(spec.parameterCount());
        this.grads = FloatBuffer.allocate(spec.parameterCount());
    }

    @Override
    public FloatBuffer parameters() {
        return params;
    }

    @Override
    public FloatBuffer gradients() {
        return grads;
    }

    @Override
    public boolean supports(Precision p) {
        return true;
    }

    @Override
    public void setPrecision(Precision p) {
        precision = p;
    }

    @Override
    public void forward(int steps, int batch, int[] lengths, boolean training, FloatBuffer x, FloatBuffer h0,
            FloatBuffer c0, FloatBuffer y, FloatBuffer hN, FloatBuffer cN, long dropoutSeed) {
        int h = spec.stateRows() * batch * spec.outputSize();
        int c = spec.stateRows() * batch * spec.hiddenSize();
        ReferenceRnn.DropoutMask mask = training && spec.dropout() > 0 && spec.layers() > 1
                ? ReferenceRnn.DropoutMask.philox(dropoutSeed, spec.dropout()) : null;
        ReferenceRnn.Trace t = reference.forward(precision, toDouble(params, spec.parameterCount()),
                toDouble(x, steps * batch * spec.inputSize()), steps, batch, lengths, toDouble(h0, h), toDouble(c0, c),
                mask);
        write(t.y(), y);
        write(t.hN(), hN);
        write(t.cN(), cN);
        trace = training ? t : null;
    }

    @Override
    public void backward(FloatBuffer dy, FloatBuffer dhN, FloatBuffer dcN, FloatBuffer dx, FloatBuffer dh0,
            FloatBuffer dc0) {
        int n = trace.batch();
        int h = spec.stateRows() * n * spec.outputSize();
        int c = spec.stateRows() * n * spec.hiddenSize();
        double[] g = new double[spec.parameterCount()];
        ReferenceRnn.Gradients r = reference.backward(toDouble(params, spec.parameterCount()), trace,
                toDouble(dy, trace.steps() * n * spec.outputFeatures()), toDouble(dhN, h), toDouble(dcN, c), g);
        for (int i = 0; i < g.length; i++) grads.put(i, (float) (grads.get(i) + g[i]));
        write(r.dx(), dx);
        write(r.dh0(), dh0);
        write(r.dc0(), dc0);
    }

    @Override
    public void close() {
        trace = null;
    }

    private static double[] toDouble(FloatBuffer b, int n) {
        if (b == null) return null;
        double[] d = new double[n];
        int p = b.position();
        for (int i = 0; i < n; i++) d[i] = b.get(p + i);
        return d;
    }

    private static void write(double[] values, FloatBuffer target) {
        if (values == null || target == null) return;
        int p = target.position();
        for (int i = 0; i < values.length; i++) target.put(p + i, (float) values[i]);
    }
}
