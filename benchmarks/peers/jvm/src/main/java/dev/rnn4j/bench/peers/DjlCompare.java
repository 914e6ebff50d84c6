package dev.rnn4j.bench.peers;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * DJL with its PyTorch engine (libtorch from {@code pytorch-native-cpu}, found in the jar, offline)
 * on the TorchScript modules {@code benchmarks/peers/export_models.py} traced from the same
 * torch.nn modules with rnn4j's weights: inference and training. One process per thread count:
 * libtorch takes its intra-op and inter-op thread counts once, when the engine starts
 * ({@code ai.djl.pytorch.num_threads} = {@code ai.djl.pytorch.num_interop_threads} = THREADS).
 *
 * <p>Timed regions, inputs created once outside (x, zero h0 and c0, dy: NDArrays of the model's
 * manager):
 * <ul>
 *   <li>infer: {@code block.forward(store, [x, h0, c0], training=false)} on the module loaded as
 *       DJL loads models for serving (parameters frozen), then closing the outputs.
 *   <li>train: on the module loaded with {@code trainParam=true} (parameters require gradients), with
 *       x, h0, c0 requiring gradients: inside a {@link GradientCollector}, the forward in training
 *       mode, loss = sum(y * dy), {@code backward(loss)}: dx, dh0, dc0 and every parameter gradient
 *       (accumulated over calls, as rnn4j's are), then closing what the call created.
 * </ul>
 * Checked against rnn4j before timing: infer y, hN, cN; train y, dx, dh0, dc0 and every parameter
 * gradient (from zero gradients), in PyTorch's flat order ({@code SHAPE.params}).
 *
 * <pre>
 * java -cp 'target/classes:target/lib/*' dev.rnn4j.bench.peers.DjlCompare REFDIR MODELDIR SHAPES THREADS WARMUP REPS OUT.csv
 * </pre>
 */
public final class DjlCompare {
    private DjlCompare() {}

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args.length == 7 ? args[3] : "0");
        if (args.length == 7 && (threads < 1 || args[3].contains(","))) {
            throw new IllegalArgumentException("THREADS must be one count (libtorch takes it once per process), got " + args[3]);
        }
        // before the engine starts: it reads these once
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(threads));
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        try (PeerRun run = new PeerRun("djl", args)) {
            Engine engine = Engine.getEngine("PyTorch");
            System.out.printf(Locale.ROOT, "DJL %s, PyTorch engine %s, threads=%d%n", Engine.getDjlVersion(),
                    engine.getVersion(), threads);
            String note = "DJL " + Engine.getDjlVersion() + " PyTorch " + engine.getVersion() + " TorchScript";
            for (String shape : run.shapes) {
                PeerRun.Reference ref = new PeerRun.Reference(run.refDir, shape);
                infer(run, ref, threads, note);
                if (ref.training()) train(run, ref, threads, note);
            }
            if (run.failed()) System.exit(1);
        }
    }

    private static void infer(PeerRun run, PeerRun.Reference ref, int threads, String note) throws Exception {
        try (Model model = Model.newInstance(ref.shape, Device.cpu(), "PyTorch")) {
            model.load(run.modelDir, ref.shape);
            Block block = model.getBlock();
            NDManager m = model.getNDManager();
            ParameterStore store = new ParameterStore(m, false);
            NDList inputs = inputs(m, ref, false);
            PeerRun.Check c = new PeerRun.Check();
            try (NDList out = block.forward(store, inputs, false)) {
                compareOutputs(c, out, ref);
            }
            run.report(c, "pytorch", ref.shape, threads, "infer", () -> block.forward(store, inputs, false).close(),
                    note + " forward (parameters frozen)");
        }
    }

    private static void train(PeerRun run, PeerRun.Reference ref, int threads, String note) throws Exception {
        try (Model model = Model.newInstance(ref.shape, Device.cpu(), "PyTorch")) {
            model.load(run.modelDir, ref.shape, Map.of("trainParam", "true"));
            Block block = model.getBlock();
            NDManager m = model.getNDManager();
            ParameterStore store = new ParameterStore(m, false);
            Engine engine = Engine.getEngine("PyTorch");
            NDList inputs = inputs(m, ref, true);
            NDArray dy = m.create(PeerRun.direct(ref.tensor("dy")), new Shape(ref.yShape()));
            PeerRun.Call step = () -> {
                try (NDManager call = m.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
                    NDList out = block.forward(store, inputs, true);
                    out.attach(call); // everything the call creates goes with it
                    gc.backward(out.get(0).mul(dy).sum());
                }
            };
            PeerRun.Check c = new PeerRun.Check();
            try (NDManager call = m.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
                NDList out = block.forward(store, inputs, true);
                out.attach(call);
                gc.backward(out.get(0).mul(dy).sum());
                c.compare("y", floats(out.get(0)), ref.tensor("y"));
                c.compare("dx", floats(inputs.get(0).getGradient()), ref.tensor("dx"));
                c.compare("dh0", floats(inputs.get(1).getGradient()), ref.tensor("dh0"));
                if (ref.lstm()) c.compare("dc0", floats(inputs.get(2).getGradient()), ref.tensor("dc0"));
                c.compare("grads", parameterGradients(block, run, ref), ref.tensor("grads"));
            }
            run.report(c, "pytorch", ref.shape, threads, "train", step, note + " forward + backward of sum(y*dy) (GradientCollector)");
        }
    }

    /** x, h0 (and c0 for an LSTM), zero initial states; requiring gradients for training. */
    private static NDList inputs(NDManager m, PeerRun.Reference ref, boolean grad) {
        NDList in = new NDList(m.create(PeerRun.direct(ref.tensor("x")), new Shape(ref.xShape())),
                m.zeros(new Shape(ref.stateShape())));
        if (ref.lstm()) in.add(m.zeros(new Shape(ref.stateShape())));
        if (grad) in.forEach(a -> a.setRequiresGradient(true));
        return in;
    }

    private static void compareOutputs(PeerRun.Check c, NDList out, PeerRun.Reference ref) {
        c.compare("y", floats(out.get(0)), ref.tensor("y"));
        c.compare("hN", floats(out.get(1)), ref.tensor("hN"));
        if (ref.lstm()) c.compare("cN", floats(out.get(2)), ref.tensor("cN"));
    }

    /** Every parameter's gradient, concatenated in PyTorch's flat order (the names in SHAPE.params). */
    private static float[] parameterGradients(Block block, PeerRun run, PeerRun.Reference ref) throws Exception {
        Map<String, Parameter> params = new java.util.HashMap<>();
        block.getParameters().forEach(p -> params.put(p.getKey(), p.getValue()));
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        for (String name : Files.readAllLines(run.modelDir.resolve(ref.shape + ".params"))) {
            Parameter p = params.get(name);
            if (p == null) throw new IllegalStateException(ref.shape + ".pt has no parameter " + name + "; it has " + params.keySet());
            float[] g = p.getArray().getGradient().toFloatArray();
            parts.add(g);
            total += g.length;
        }
        float[] all = new float[total];
        int off = 0;
        for (float[] g : parts) {
            System.arraycopy(g, 0, all, off, g.length);
            off += g.length;
        }
        return all;
    }

    private static FloatBuffer floats(NDArray a) {
        return FloatBuffer.wrap(a.toFloatArray());
    }
}
