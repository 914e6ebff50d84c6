package dev.rnn4j.train;

/**
 * Adagrad, as PyTorch's {@code torch.optim.Adagrad} (no decay): {@code s += g^2;
 * p -= lr * g / (sqrt(s) + eps)}.
 */
public final class Adagrad extends Optimizer {
    private final float eps;

    /** Adagrad with {@code eps = 1e-10}. */
    public Adagrad(double learningRate) {
        this(learningRate, 1e-10);
    }

    /** @param eps added to the denominator, positive */
    public Adagrad(double learningRate, double eps) {
        super(learningRate);
        if (!(eps > 0)) throw new IllegalArgumentException("eps must be positive, got " + eps);
        this.eps = (float) eps;
    }

    @Override
    protected void init(Slot slot) {
        slot.state1 = new float[slot.size];
    }

    @Override
    protected void update(Slot s, float lr, long step) {
        float[] sum = s.state1;
        for (int i = 0; i < s.size; i++) {
            int j = s.offset + i;
            float g = s.grads.get(j);
            sum[i] += g * g;
            s.params.put(j, s.params.get(j) - lr * g / ((float) Math.sqrt(sum[i]) + eps));
        }
    }
}
