package dev.rnn4j.cuda;

import static dev.rnn4j.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.train.Adam;
import dev.rnn4j.train.GradientClipping;
import java.nio.FloatBuffer;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend through {@link Rnn} moves parameters and gradients between host and device only
 * when needed (CudaKernel.Transfers counts every copy), and the results stay those of the CPU
 * backend: a training loop with an optimizer, gradient clipping and inference calls in between.
 */
class CudaTransfersTest {
    private static final RnnSpec SPEC = RnnSpec.builder(CellType.LSTM, 5, 7).layers(2).build();
    private static final Batch BATCH = Batch.of(4, 3);

    @BeforeEach
    void needGpu() {
        assumeTrue(Backend.CUDA.isAvailable(), () -> "CUDA skipped: " + Backend.CUDA.unavailableReason());
    }

    private static long[] counts() {
        AtomicLong[] c = {CudaKernel.Transfers.PARAM_UPLOADS, CudaKernel.Transfers.GRAD_UPLOADS,
            CudaKernel.Transfers.GRAD_ZEROES, CudaKernel.Transfers.GRAD_DOWNLOADS};
        long[] out = new long[c.length];
        for (int i = 0; i < c.length; i++) out[i] = c[i].get();
        return out;
    }

    /** Copies since {@code before}: parameter uploads, gradient uploads, gradient zeroings, gradient downloads. */
    private static long[] since(long[] before) {
        long[] now = counts();
        for (int i = 0; i < now.length; i++) now[i] -= before[i];
        return now;
    }

    @Test
    void inferenceUploadsParametersOnceUntilTheyChange() {
        float[] x = new float[BATCH.steps() * BATCH.size() * SPEC.inputSize()];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        try (Rnn rnn = Rnn.create(SPEC, Backend.CUDA)) {
            rnn.initialize(3);
            long[] before = counts();
            for (int i = 0; i < 3; i++) rnn.forward(Mode.INFERENCE, BATCH, x, null, null);
            assertArrayEquals(new long[] {1, 0, 0, 0}, since(before), "three forwards, one upload");
            before = counts();
            rnn.setParameter("bias_hh_l0", new float[4 * SPEC.hiddenSize()]);
            rnn.forward(Mode.INFERENCE, BATCH, x, null, null);
            rnn.forward(Mode.INFERENCE, BATCH, x, null, null);
            assertArrayEquals(new long[] {1, 0, 0, 0}, since(before), "setParameter: one more upload");
            before = counts();
            FloatBuffer view = rnn.parameterBuffer();
            view.put(0, 0.25f);
            rnn.forward(Mode.INFERENCE, BATCH, x, null, null);
            view.put(1, 0.5f);
            rnn.parametersChanged();
            rnn.forward(Mode.INFERENCE, BATCH, x, null, null);
            assertArrayEquals(new long[] {2, 0, 0, 0}, since(before), "parameterBuffer() and parametersChanged()");
        }
    }

    @Test
    void trainingMovesOnlyWhatChangedAndMatchesTheCpu() {
        Random r = new Random(7);
        float[] x = new float[BATCH.steps() * BATCH.size() * SPEC.inputSize()];
        float[] dy = new float[BATCH.steps() * BATCH.size() * SPEC.outputFeatures()];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < dy.length; i++) dy[i] = (float) r.nextGaussian();
        try (Rnn gpu = Rnn.create(SPEC, Backend.CUDA); Rnn cpu = Rnn.create(SPEC, Backend.CPU)) {
            gpu.initialize(11);
            cpu.initialize(11);
            Adam gpuAdam = new Adam(0.01);
            Adam cpuAdam = new Adam(0.01);
            gpuAdam.add(gpu.parameterBuffer(), gpu.gradientBuffer());
            cpuAdam.add(cpu.parameterBuffer(), cpu.gradientBuffer());
            long[] before = counts();
            int steps = 4;
            for (int s = 0; s < steps; s++) {
                for (Rnn rnn : new Rnn[] {gpu, cpu}) {
                    rnn.forward(Mode.TRAINING, BATCH, x, null, null);
                    rnn.backward(dy, null, null);
                    rnn.backward(dy, null, null); // accumulates on the device: nothing comes back
                }
                GradientClipping.byGlobalNorm(1.0, gpuAdam.gradients());
                GradientClipping.byGlobalNorm(1.0, cpuAdam.gradients());
                gpuAdam.step();
                cpuAdam.step();
                gpuAdam.zeroGradients();
                cpuAdam.zeroGradients();
                gpu.forward(Mode.INFERENCE, BATCH, x, null, null); // new parameters: uploaded once
            }
            // The training forward of the first step uploads what initialize() and parameterBuffer()
            // wrote, its first backward the gradients gradientBuffer() handed out (the caller may
            // have written them). Then per step: one parameter upload (the optimizer wrote them),
            // one gradient download (the clipping read them), and from the second step the
            // gradients zeroed on the device instead of uploaded (zeroGradients() overwrote them).
            long[] moved = since(before);
            assertEquals(steps + 1, moved[0], "parameter uploads");
            assertEquals(1, moved[1], "gradient uploads");
            assertEquals(steps - 1, moved[2], "gradient zeroings on the device");
            assertEquals(steps, moved[3], "gradient downloads");
            assertClose("parameters after training", gpu.parameters(), cpu.parameters());
            gpu.forward(Mode.TRAINING, BATCH, x, null, null);
            cpu.forward(Mode.TRAINING, BATCH, x, null, null);
            gpu.backward(dy, null, null);
            cpu.backward(dy, null, null);
            assertClose("gradients read after a backward", gpu.gradients(), cpu.gradients());
            assertClose("a named gradient", gpu.gradient("weight_hh_l1"), cpu.gradient("weight_hh_l1"));
        }
    }

    /**
     * Heap tensors go to and from the GPU without staging (the binding pins the array), from their
     * position, writing exactly the tensor; read-only heap inputs (no visible array) go through
     * staging. Either way the result is the CPU backend's.
     */
    @Test
    void heapBuffersAtAnOffsetAndReadOnlyInputs() {
        int xs = BATCH.steps() * BATCH.size() * SPEC.inputSize();
        int ys = BATCH.steps() * BATCH.size() * SPEC.outputFeatures();
        int hs = SPEC.stateRows() * BATCH.size() * SPEC.outputSize();
        Random r = new Random(5);
        float[] xa = new float[3 + xs];
        for (int i = 0; i < xa.length; i++) xa[i] = (float) r.nextGaussian();
        try (Rnn gpu = Rnn.create(SPEC, Backend.CUDA); Rnn cpu = Rnn.create(SPEC, Backend.CPU)) {
            gpu.initialize(2);
            cpu.initialize(2);
            for (boolean readOnly : new boolean[] {false, true}) {
                FloatBuffer x = FloatBuffer.wrap(xa).position(3);
                if (readOnly) x = x.asReadOnlyBuffer();
                float[] ya = new float[5 + ys + 4], ha = new float[2 + hs + 2], ca = new float[hs];
                java.util.Arrays.fill(ya, 42f);
                java.util.Arrays.fill(ha, 42f);
                gpu.forward(Mode.INFERENCE, BATCH, x, null, null, FloatBuffer.wrap(ya).position(5),
                        FloatBuffer.wrap(ha).position(2), FloatBuffer.wrap(ca));
                float[] y = java.util.Arrays.copyOfRange(ya, 5, 5 + ys);
                float[] h = java.util.Arrays.copyOfRange(ha, 2, 2 + hs);
                var ref = cpu.forward(Mode.INFERENCE, BATCH, java.util.Arrays.copyOfRange(xa, 3, 3 + xs), null, null);
                assertClose("y (read-only x: " + readOnly + ")", y, ref.y());
                assertClose("hN (read-only x: " + readOnly + ")", h, ref.hN());
                for (int i : new int[] {0, 4, 5 + ys, 5 + ys + 3}) assertEquals(42f, ya[i], "y outside the tensor, " + i);
                for (int i : new int[] {0, 1, 2 + hs, 3 + hs}) assertEquals(42f, ha[i], "hN outside the tensor, " + i);
            }
        }
    }
}
