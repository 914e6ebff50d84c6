package dev.rnn4j.train;

/**
 * Adam, as PyTorch's {@code torch.optim.Adam} (no weight decay, no AMSGrad):
 * {@code m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 * p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)}.
 */
public final class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final float eps;

    /** Adam with PyTorch's defaults {@code betas = (0.9, 0.999), eps = 1e-8}. */
    public Adam(double learningRate) {
        this(learningRate, 0.9, 0.999, 1e-8);
    }

    /**
     * @param beta1 decay of the first moment, in {@code [0, 1)}
     * @param beta2 decay of the second moment, in {@code [0, 1)}
     * @param eps added to the denominator, positive
     */
    public Adam(double learningRate, double beta1, double beta2, double eps) {
        super(learningRate);
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("eps must be positive, got " + eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = (float) eps;
    }

    @Override
    protected void init(Slot slot) {
        slot.state1 = new float[slot.size];
        slot.state2 = new float[slot.size];
    }

    @Override
    protected void update(Slot s, float lr, long step) {
        float[] m = s.state1, v = s.state2;
        float b1 = (float) beta1, b2 = (float) beta2;
        float c1 = (float) (1 - Math.pow(beta1, step));
        float sqrtC2 = (float) Math.sqrt(1 - Math.pow(beta2, step));
        float stepSize = lr / c1;
        for (int i = 0; i < s.size; i++) {
            int j = s.offset + i;
            float g = s.grads.get(j);
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            float denom = (float) Math.sqrt(v[i]) / sqrtC2 + eps;
            s.params.put(j, s.params.get(j) - stepSize * m[i] / denom);
        }
    }
}
