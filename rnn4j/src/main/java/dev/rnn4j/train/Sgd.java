package dev.rnn4j.train;

/**
 * Stochastic gradient descent, optionally with momentum, as PyTorch's {@code torch.optim.SGD}
 * (dampening 0, no Nesterov): {@code v = momentum*v + g; p -= lr*v}, or {@code p -= lr*g} without
 * momentum.
 */
public final class Sgd extends Optimizer {
    private final float momentum;

    /** Plain SGD. */
    public Sgd(double learningRate) {
        this(learningRate, 0);
    }

    /**
     * @param momentum in {@code [0, 1)}; 0 for plain SGD
     */
    public Sgd(double learningRate, double momentum) {
        super(learningRate);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        this.momentum = (float) momentum;
    }

    @Override
    protected void init(Slot slot) {
        if (momentum > 0) slot.state1 = new float[slot.size];
    }

    @Override
    protected void update(Slot s, float lr, long step) {
        float[] v = s.state1;
        for (int i = 0; i < s.size; i++) {
            int j = s.offset + i;
            float g = s.grads.get(j);
            if (v != null) {
                v[i] = step == 1 ? g : momentum * v[i] + g;
                g = v[i];
            }
            s.params.put(j, s.params.get(j) - lr * g);
        }
    }
}
