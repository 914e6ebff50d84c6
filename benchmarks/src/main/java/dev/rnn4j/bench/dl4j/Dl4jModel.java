package dev.rnn4j.bench.dl4j;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A DL4J network of LSTM or SimpleRnn layers (optionally bidirectional, CONCAT) equivalent to an
 * rnn4j / PyTorch one, driven layer by layer through DL4J's own {@link Layer#activate} and
 * {@link Layer#backpropGradient} (no output layer, no loss, no updater: the same work as the
 * other implementations). DL4J has no GRU layer.
 *
 * <p>Parameter mapping from PyTorch's flat order, per layer and direction (DL4J keys W, RW, b;
 * fW.. and bW.. for the two directions of a Bidirectional layer):
 * {@code W [I_k, G*H] = W_ih^T}, {@code RW [H, G*H] = W_hh^T}, {@code b = b_ih + b_hh}, with DL4J's
 * LSTM gate blocks in the order (g, f, o, i) of PyTorch's (i, f, g, o). Data is DL4J's NCW layout:
 * x {@code [N, I, T]} and y {@code [N, D*H, T]}, taken as zero-copy permuted views of rnn4j's
 * {@code [T, N, I]} arrays.
 */
public final class Dl4jModel {
    /** DL4J LSTM block b holds PyTorch gate block PT[b]: (g, f, o, i) -> (2, 1, 3, 0). */
    private static final int[] LSTM_BLOCKS = {2, 1, 3, 0};

    final boolean lstm;
    final int inputSize, hidden, layersCount, directions, gates;
    final List<Layer> layers = new ArrayList<>();
    private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
    /** Gradients of the last {@link #train}, per layer. */
    private final List<Gradient> gradients = new ArrayList<>();

    public Dl4jModel(String cell, int inputSize, int hidden, int layersCount, int directions) {
        if (!cell.equals("LSTM") && !cell.equals("RNN_TANH")) {
            throw new IllegalArgumentException("DL4J has no " + cell + " layer (it has LSTM and SimpleRnn)");
        }
        this.lstm = cell.equals("LSTM");
        this.inputSize = inputSize;
        this.hidden = hidden;
        this.layersCount = layersCount;
        this.directions = directions;
        this.gates = lstm ? 4 : 1;
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list();
        for (int k = 0; k < layersCount; k++) {
            int in = k == 0 ? inputSize : directions * hidden;
            org.deeplearning4j.nn.conf.layers.Layer l = lstm
                    ? new LSTM.Builder().nIn(in).nOut(hidden).activation(Activation.TANH)
                            .gateActivationFunction(Activation.SIGMOID).build()
                    : new SimpleRnn.Builder().nIn(in).nOut(hidden).activation(Activation.TANH).build();
            list.layer(directions == 2 ? new Bidirectional(Bidirectional.Mode.CONCAT, l) : l);
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        net.initGradientsView(); // the layers write their gradients into views of one flat buffer
        for (int k = 0; k < layersCount; k++) layers.add(net.getLayer(k));
    }

    private int layerInput(int k) {
        return k == 0 ? inputSize : directions * hidden;
    }

    private String key(int d, String name) {
        return directions == 2 ? (d == 0 ? "f" : "b") + name : name;
    }

    private int block(int dl4jBlock) {
        return lstm ? LSTM_BLOCKS[dl4jBlock] : dl4jBlock;
    }

    /** Copies PyTorch-ordered flat parameters in. */
    public void setParameters(float[] p) {
        int off = 0, gh = gates * hidden;
        for (int k = 0; k < layersCount; k++) {
            int in = layerInput(k);
            for (int d = 0; d < directions; d++) {
                float[] w = new float[in * gh], rw = new float[hidden * gh], b = new float[gh];
                int wih = off, whh = wih + gh * in, bih = whh + gh * hidden, bhh = bih + gh;
                off = bhh + gh;
                for (int blk = 0; blk < gates; blk++) {
                    for (int h = 0; h < hidden; h++) {
                        int row = block(blk) * hidden + h, col = blk * hidden + h;
                        for (int i = 0; i < in; i++) w[i * gh + col] = p[wih + row * in + i];
                        for (int j = 0; j < hidden; j++) rw[j * gh + col] = p[whh + row * hidden + j];
                        b[col] = p[bih + row] + p[bhh + row];
                    }
                }
                Layer l = layers.get(k);
                l.getParam(key(d, "W")).assign(Nd4j.create(w, new long[] {in, gh}, 'c'));
                l.getParam(key(d, "RW")).assign(Nd4j.create(rw, new long[] {hidden, gh}, 'c'));
                l.getParam(key(d, "b")).assign(Nd4j.create(b, new long[] {1, gh}, 'c'));
            }
        }
        if (off != p.length) throw new IllegalStateException("parameter count " + p.length + " != DL4J's " + off);
    }

    /** Weight gradients of the last {@link #train}, in PyTorch's flat order (d b_ih = d b_hh = d b). */
    public float[] gradients(int count) {
        float[] g = new float[count];
        int off = 0, gh = gates * hidden;
        for (int k = 0; k < layersCount; k++) {
            int in = layerInput(k);
            for (int d = 0; d < directions; d++) {
                float[] w = flat(gradients.get(k).getGradientFor(key(d, "W")));
                float[] rw = flat(gradients.get(k).getGradientFor(key(d, "RW")));
                float[] b = flat(gradients.get(k).getGradientFor(key(d, "b")));
                int wih = off, whh = wih + gh * in, bih = whh + gh * hidden, bhh = bih + gh;
                off = bhh + gh;
                for (int blk = 0; blk < gates; blk++) {
                    for (int h = 0; h < hidden; h++) {
                        int row = block(blk) * hidden + h, col = blk * hidden + h;
                        for (int i = 0; i < in; i++) g[wih + row * in + i] = w[i * gh + col];
                        for (int j = 0; j < hidden; j++) g[whh + row * hidden + j] = rw[j * gh + col];
                        g[bih + row] = b[col];
                        g[bhh + row] = b[col];
                    }
                }
            }
        }
        return g;
    }

    private static float[] flat(INDArray a) {
        if (a == null) throw new IllegalStateException("DL4J returned no gradient for a parameter");
        return a.dup('c').data().asFloat();
    }

    /** x as DL4J's NCW [N, I, T]: a zero-copy view of rnn4j's [T, N, I]. */
    public static INDArray ncw(INDArray tni) {
        return tni.permute(1, 2, 0);
    }

    /** Inference: y [N, D*H, T]. */
    public INDArray infer(INDArray xTni) {
        INDArray a = ncw(xTni);
        for (Layer l : layers) a = l.activate(a, false, mgr);
        return a;
    }

    /** Forward in training mode, then the full backward from dy [T, N, D*H]; returns dx [N, I, T]. */
    public INDArray train(INDArray xTni, INDArray dyTnh) {
        INDArray a = ncw(xTni);
        for (Layer l : layers) a = l.activate(a, true, mgr);
        INDArray eps = ncw(dyTnh);
        gradients.clear();
        for (int k = layersCount - 1; k >= 0; k--) {
            Pair<Gradient, INDArray> p = layers.get(k).backpropGradient(eps, mgr);
            gradients.add(0, p.getFirst());
            eps = p.getSecond();
        }
        return eps;
    }
}
