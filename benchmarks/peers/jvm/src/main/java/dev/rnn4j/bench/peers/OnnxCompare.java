package dev.rnn4j.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * ONNX Runtime Java, inference only (its Java package has no training API), on the ONNX models
 * {@code benchmarks/peers/export_models.py} exported from the same torch.nn modules with rnn4j's
 * weights. Checks y, hN (and cN) against rnn4j's before timing.
 *
 * <p>Session options, the same for every shape: CPU execution provider, graph optimisation level
 * ALL, sequential execution, intra-op threads = the thread count of the row, inter-op threads 1,
 * everything else at ONNX Runtime's defaults (so its intra-op threads spin briefly between calls,
 * as they do for its users). Timed region: {@code session.run(inputs)} and closing its result;
 * the input tensor (a direct buffer wrapped without a copy) is created once, outside.
 *
 * <pre>
 * java -cp 'target/classes:target/lib/*' dev.rnn4j.bench.peers.OnnxCompare REFDIR MODELDIR SHAPES 1,2 WARMUP REPS OUT.csv
 * </pre>
 */
public final class OnnxCompare {
    private OnnxCompare() {}

    public static void main(String[] args) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "rnn4j-bench");
        String version = OrtEnvironment.class.getPackage().getImplementationVersion();
        System.out.println("ONNX Runtime Java " + (version == null ? "" : version + " ") + "providers " + OrtEnvironment.getAvailableProviders());
        try (PeerRun run = new PeerRun("onnxruntime", args)) {
            for (String shape : run.shapes) {
                PeerRun.Reference ref = new PeerRun.Reference(run.refDir, shape);
                Path model = run.modelDir.resolve(shape + ".onnx");
                try (OnnxTensor x = OnnxTensor.createTensor(env, PeerRun.direct(ref.tensor("x")), ref.xShape())) {
                    Map<String, OnnxTensor> inputs = Map.of("x", x);
                    for (int t : run.threads) {
                        try (SessionOptions o = options(t); OrtSession session = env.createSession(model.toString(), o)) {
                            PeerRun.Check c = new PeerRun.Check();
                            try (OrtSession.Result r = session.run(inputs)) {
                                c.compare("y", floats(r, "y"), ref.tensor("y"));
                                c.compare("hN", floats(r, "hN"), ref.tensor("hN"));
                                if (ref.lstm()) c.compare("cN", floats(r, "cN"), ref.tensor("cN"));
                            }
                            run.report(c, "cpu", shape, t, "infer", () -> {
                                try (OrtSession.Result r = session.run(inputs)) {
                                    // closing the result frees its outputs: part of every call
                                }
                            }, String.format(Locale.ROOT, "OrtSession.run on a torch.onnx.export model; intra-op threads %d", t));
                        }
                    }
                }
            }
            if (run.failed()) System.exit(1);
        }
    }

    static SessionOptions options(int threads) throws Exception {
        SessionOptions o = new SessionOptions();
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        o.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
        o.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
        return o;
    }

    private static FloatBuffer floats(OrtSession.Result r, String name) throws Exception {
        return ((OnnxTensor) r.get(name).orElseThrow(() -> new IllegalStateException("the model has no output " + name)))
                .getFloatBuffer();
    }
}
