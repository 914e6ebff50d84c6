package dev.rnn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.ForwardResult;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.TensorAssert;
import dev.rnn4j.io.onnx.OnnxProto.AttributeProto;
import dev.rnn4j.io.onnx.OnnxProto.ModelProto;
import dev.rnn4j.io.onnx.OnnxProto.NodeProto;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX import of torch.onnx.export's models (checked against PyTorch's outputs and against ONNX
 * Runtime running the same file), export (run by ONNX Runtime), round trips and rejections.
 */
class OnnxTest {
    @TempDir
    Path dir;

    /** ONNX Runtime's outputs for the given inputs: y, h_n and (if present) c_n. */
    static Map<String, float[]> runtime(Path model, Map<String, Object> inputs) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model.toString(), o)) {
                Map<String, OnnxTensor> in = new HashMap<>();
                try {
                    for (Map.Entry<String, Object> e : inputs.entrySet()) {
                        Object[] v = (Object[]) e.getValue(); // {data, shape}
                        in.put(e.getKey(), v[0] instanceof float[] f ? OnnxTensor.createTensor(env, FloatBuffer.wrap(f), (long[]) v[1])
                                : OnnxTensor.createTensor(env, IntBuffer.wrap((int[]) v[0]), (long[]) v[1]));
                    }
                    try (OrtSession.Result r = s.run(in)) {
                        Map<String, float[]> out = new HashMap<>();
                        for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
                            FloatBuffer b = ((OnnxTensor) e.getValue()).getFloatBuffer();
                            float[] a = new float[b.remaining()];
                            b.get(a);
                            out.put(e.getKey(), a);
                        }
                        return out;
                    }
                } finally {
                    for (OnnxTensor t : in.values()) t.close();
                }
            }
        }
    }

    @Test
    void torchExportsImportAndMatchPyTorchAndOnnxRuntime() throws Exception {
        double worstTorch = 0, worstOrt = 0;
        for (String name : Fixtures.ONNX) {
            Path file = Fixtures.path(name + ".onnx");
            OnnxRnn imported = Onnx.importRnn(file);
            Map<String, float[]> e = Fixtures.expected(name);
            // the same weights as PyTorch's state_dict, after the gate permutation
            try (StateDict sd = StateDict.open(Fixtures.path(name + ".safetensors"))) {
                CellType hint = imported.spec().cell();
                assertEquals(sd.inferSpec("", hint), imported.spec(), name);
                assertArrayEquals(sd.parameters("", imported.spec()), imported.parameters(), name + ": parameters bitwise");
            }
            assertEquals("x", imported.input());
            assertNull(imported.sequenceLens());
            assertNull(imported.initialH(), "PyTorch's zero initial state");
            Map<String, float[]> ort = runtime(file, Map.of("x", new Object[] {e.get("x"), new long[] {Fixtures.T, Fixtures.N, 3}}));
            for (Backend b : List.of(Backend.JAVA, Backend.best())) {
                try (Rnn rnn = imported.create(b)) {
                    worstTorch = Math.max(worstTorch, Fixtures.assertMatches(name + " (ONNX import) on " + b, rnn, e));
                    worstOrt = Math.max(worstOrt, Fixtures.assertMatches(name + " vs ONNX Runtime on " + b, rnn,
                            Map.of("x", e.get("x"), "y", ort.get("y"), "h_n", ort.get("h_n")).entrySet().stream()
                                    .collect(HashMap::new, (m, x) -> m.put(x.getKey(), x.getValue()), HashMap::putAll)));
                }
            }
        }
        System.out.printf("ONNX fixtures (%d): worst %.3g x tolerance vs PyTorch, %.3g vs ONNX Runtime%n", Fixtures.ONNX.length,
                worstTorch, worstOrt);
    }

    /** Every exportable configuration: exported, run by ONNX Runtime with lengths and initial states, imported back bitwise. */
    @Test
    void exportRunsInOnnxRuntimeAndImportsBackBitwise() throws Exception {
        double worst = 0;
        int T = 6, N = 3, I = 3, H = 5;
        int[] lengths = {6, 2, 4};
        int specs = 0;
        for (CellType cell : CellType.values()) {
          // GRU in both variants: linear_before_reset = 1 (PyTorch's) and 0 (reset before, ONNX's default)
          for (boolean linearBeforeReset : cell == CellType.GRU ? new boolean[] {true, false} : new boolean[] {true}) {
            for (boolean bi : new boolean[] {false, true}) {
                for (int layers = 1; layers <= 2; layers++) {
                    for (boolean bias : new boolean[] {true, false}) {
                        boolean batchFirst = layers == 2 && !bias;
                        RnnSpec spec = RnnSpec.builder(cell, I, H).layers(layers).bidirectional(bi).bias(bias).batchFirst(batchFirst)
                                .linearBeforeReset(linearBeforeReset).build();
                        specs++;
                        try (Rnn rnn = Rnn.create(spec)) {
                            rnn.initialize(layers * 7 + (bi ? 1 : 0));
                            Path file = dir.resolve("m.onnx");
                            Onnx.exportRnn(file, rnn, true);
                            OnnxRnn back = Onnx.importRnn(file);
                            assertEquals(spec, back.spec(), spec + " round trip");
                            assertArrayEquals(rnn.parameters(), back.parameters(), spec + " round trip bitwise");
                            assertEquals("sequence_lens", back.sequenceLens());
                            assertEquals("h0", back.initialHInput());
                            assertEquals(cell.hasCellState() ? "c0" : null, back.initialCInput());
                            SplittableRandom r = new SplittableRandom(5);
                            float[] x = new float[T * N * I], h0 = new float[spec.stateRows() * N * H], c0 = h0.clone();
                            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                            for (int i = 0; i < h0.length; i++) {
                                h0[i] = (float) r.nextGaussian() * 0.5f;
                                c0[i] = (float) r.nextGaussian() * 0.5f;
                            }
                            ForwardResult out = rnn.forward(Mode.INFERENCE, Batch.of(T, lengths), x,
                                    h0, cell.hasCellState() ? c0 : null);
                            Map<String, Object> in = new HashMap<>();
                            in.put("x", new Object[] {x, batchFirst ? new long[] {N, T, I} : new long[] {T, N, I}});
                            in.put("sequence_lens", new Object[] {lengths, new long[] {N}});
                            in.put("h0", new Object[] {h0, new long[] {spec.stateRows(), N, H}});
                            if (cell.hasCellState()) in.put("c0", new Object[] {c0, new long[] {spec.stateRows(), N, H}});
                            Map<String, float[]> ort = runtime(file, in);
                            TensorAssert.assertClose(spec + " y vs ONNX Runtime", out.y(), ort.get("y"));
                            TensorAssert.assertClose(spec + " h_n vs ONNX Runtime", out.hN(), ort.get("h_n"));
                            worst = Math.max(worst, Math.max(Fixtures.ratio(out.y(), ort.get("y")), Fixtures.ratio(out.hN(), ort.get("h_n"))));
                            if (cell.hasCellState()) {
                                TensorAssert.assertClose(spec + " c_n vs ONNX Runtime", out.cN(), ort.get("c_n"));
                                worst = Math.max(worst, Fixtures.ratio(out.cN(), ort.get("c_n")));
                            }
                        }
                    }
                }
            }
          }
        }
        System.out.printf("ONNX export (%d specs, variable lengths, initial states) vs ONNX Runtime: worst %.3g x tolerance%n",
                specs, worst);
    }

    /** ONNX's Y {@code [T, D, N, H]} as rnn4j's y {@code [T, N, D*H]}. */
    private static float[] sequenceMajor(float[] y, int T, int D, int N, int H) {
        float[] out = new float[y.length];
        for (int t = 0; t < T; t++)
            for (int d = 0; d < D; d++)
                for (int n = 0; n < N; n++)
                    System.arraycopy(y, ((t * D + d) * N + n) * H, out, ((t * N + n) * D + d) * H, H);
        return out;
    }

    /**
     * Models written by onnx.helper with what torch.onnx.export does not write (sequence_lens and
     * initial states as graph inputs, a constant non-zero initial state, explicit activations):
     * imported, run by rnn4j with the inputs mapped as {@link OnnxRnn} says, against ONNX Runtime.
     */
    @Test
    void onnxHelperModelsWithLengthsAndInitialStatesMatchOnnxRuntime() throws Exception {
        int T = Fixtures.T, N = Fixtures.N, I = 3, H = 4;
        SplittableRandom r = new SplittableRandom(9);
        float[] x = new float[T * N * I], h0 = new float[2 * N * H], c0 = new float[2 * N * H];
        for (float[] a : new float[][] {x, h0, c0}) for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        int[] lengths = {3, 5};
        double worst = 0;

        OnnxRnn lstm = Onnx.importRnn(Fixtures.path("onnx_lstm_bi_seqlens.onnx"));
        assertEquals(RnnSpec.builder(CellType.LSTM, I, H).bidirectional(true).build(), lstm.spec());
        assertEquals("sequence_lens", lstm.sequenceLens());
        assertEquals("initial_h", lstm.initialHInput());
        assertEquals("initial_c", lstm.initialCInput());
        Map<String, float[]> ort = runtime(Fixtures.path("onnx_lstm_bi_seqlens.onnx"), Map.of(
                "X", new Object[] {x, new long[] {T, N, I}}, "sequence_lens", new Object[] {lengths, new long[] {N}},
                "initial_h", new Object[] {h0, new long[] {2, N, H}}, "initial_c", new Object[] {c0, new long[] {2, N, H}}));
        try (Rnn rnn = lstm.create()) {
            ForwardResult out = rnn.forward(Mode.INFERENCE, Batch.of(T, lengths), x, h0, c0);
            float[] y = sequenceMajor(ort.get("Y"), T, 2, N, H);
            TensorAssert.assertClose("helper LSTM y", out.y(), y);
            TensorAssert.assertClose("helper LSTM h_n", out.hN(), ort.get("Y_h"));
            TensorAssert.assertClose("helper LSTM c_n", out.cN(), ort.get("Y_c"));
            worst = Math.max(worst, Math.max(Fixtures.ratio(out.y(), y), Fixtures.ratio(out.cN(), ort.get("Y_c"))));
        }

        OnnxRnn gru = Onnx.importRnn(Fixtures.path("onnx_gru_const_h0.onnx"));
        assertEquals(N * H, gru.initialH().length, "the constant initial state is reported");
        ort = runtime(Fixtures.path("onnx_gru_const_h0.onnx"), Map.of("X", new Object[] {x, new long[] {T, N, I}}));
        try (Rnn rnn = gru.create()) {
            ForwardResult out = rnn.forward(Mode.INFERENCE, Batch.of(T, N), x, gru.initialH(), null);
            TensorAssert.assertClose("helper GRU y", out.y(), ort.get("Y"));
            TensorAssert.assertClose("helper GRU h_n", out.hN(), ort.get("Y_h"));
            worst = Math.max(worst, Fixtures.ratio(out.y(), ort.get("Y")));
        }

        OnnxRnn relu = Onnx.importRnn(Fixtures.path("onnx_rnn_relu_bi.onnx"));
        assertEquals(CellType.RNN_RELU, relu.spec().cell());
        ort = runtime(Fixtures.path("onnx_rnn_relu_bi.onnx"), Map.of("X", new Object[] {x, new long[] {T, N, I}}));
        try (Rnn rnn = relu.create()) {
            ForwardResult out = rnn.forward(x, Batch.of(T, N));
            float[] y = sequenceMajor(ort.get("Y"), T, 2, N, H);
            TensorAssert.assertClose("helper RNN_RELU y", out.y(), y);
            TensorAssert.assertClose("helper RNN_RELU h_n", out.hN(), ort.get("Y_h"));
            worst = Math.max(worst, Fixtures.ratio(out.y(), y));
        }
        // GRU without linear_before_reset, i.e. the operator's default 0: reset before the recurrent product
        OnnxRnn rb = Onnx.importRnn(Fixtures.path("onnx_gru_reset_before.onnx"));
        assertEquals(RnnSpec.builder(CellType.GRU, I, H).bidirectional(true).linearBeforeReset(false).build(), rb.spec());
        ort = runtime(Fixtures.path("onnx_gru_reset_before.onnx"), Map.of("X", new Object[] {x, new long[] {T, N, I}},
                "sequence_lens", new Object[] {lengths, new long[] {N}}, "initial_h", new Object[] {h0, new long[] {2, N, H}}));
        for (Backend backend : Backend.values()) {
            if (!backend.isAvailable()) continue;
            try (Rnn rnn = Rnn.create(rb.spec(), backend)) {
                rnn.setParameters(rb.parameters());
                ForwardResult out = rnn.forward(Mode.INFERENCE, Batch.ofLengths(T, lengths), x, h0, null);
                float[] y = sequenceMajor(ort.get("Y"), T, 2, N, H);
                TensorAssert.assertClose(backend + " reset-before GRU y", out.y(), y);
                TensorAssert.assertClose(backend + " reset-before GRU h_n", out.hN(), ort.get("Y_h"));
                worst = Math.max(worst, Math.max(Fixtures.ratio(out.y(), y), Fixtures.ratio(out.hN(), ort.get("Y_h"))));
            }
        }
        System.out.printf("onnx.helper models (4) vs ONNX Runtime: worst %.3g x tolerance%n", worst);
    }

    @Test
    void projectionCannotBeExported() {
        try (Rnn rnn = Rnn.create(RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(2).build(), Backend.JAVA)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Onnx.exportRnn(dir.resolve("p.onnx"), rnn, false));
            assertTrue(e.getMessage().contains("projectionSize=2"), e.getMessage());
        }
    }

    /** The first recurrent node of a fixture, changed by {@code edit}, must be rejected naming the node and {@code what}. */
    private void assertRejected(String fixture, UnaryOperator<NodeProto.Builder> edit, String what, String problem) throws IOException {
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(Fixtures.path(fixture + ".onnx")));
        ModelProto.Builder b = m.toBuilder();
        for (int i = 0; i < b.getGraph().getNodeCount(); i++) {
            NodeProto n = b.getGraph().getNode(i);
            if (List.of("LSTM", "GRU", "RNN").contains(n.getOpType())) {
                b.getGraphBuilder().setNode(i, edit.apply(n.toBuilder()));
                break;
            }
        }
        Path file = dir.resolve("edited.onnx");
        Files.write(file, b.build().toByteArray());
        ModelFileException e = assertThrows(ModelFileException.class, () -> Onnx.importRnn(file));
        assertTrue(e.tensor().startsWith("node '") && e.tensor().contains(what), e.getMessage());
        assertTrue(e.problem().contains(problem), e.getMessage());
        assertEquals(file, e.file());
    }

    /** The node with attribute {@code a} set: any attribute of the same name replaced. */
    private static NodeProto.Builder set(NodeProto.Builder n, AttributeProto.Builder a) {
        return set(n, a.build());
    }

    private static NodeProto.Builder set(NodeProto.Builder n, AttributeProto a) {
        List<AttributeProto> keep = new java.util.ArrayList<>(n.getAttributeList());
        keep.removeIf(x -> x.getName().equals(a.getName()));
        return n.clearAttribute().addAllAttribute(keep).addAttribute(a);
    }

    private static AttributeProto attr(String name, long i) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(i).build();
    }

    @Test
    void whatRnn4jDoesNotComputeIsRejectedNamingNodeAndAttribute() throws IOException {
        assertRejected("lstm", n -> set(n, attr("input_forget", 1)), "attribute input_forget", "not computed");
        assertRejected("lstm", n -> set(n, AttributeProto.newBuilder().setName("clip").setType(AttributeProto.AttributeType.FLOAT)
                .setF(3f)), "attribute clip", "clipping of the gates' pre-activations (3.0)");
        assertRejected("lstm", n -> {
            while (n.getInputCount() < 8) n.addInput("");
            return n.setInput(7, "onnx::LSTM_375");
        }, "input P", "peepholes");
        assertRejected("gru", n -> set(n, attr("linear_before_reset", 2)), "attribute linear_before_reset",
                "must be 0 or 1, got 2");
        assertRejected("lstm", n -> set(n, AttributeProto.newBuilder().setName("activations")
                .setType(AttributeProto.AttributeType.STRINGS).addStrings(com.google.protobuf.ByteString.copyFromUtf8("HardSigmoid"))
                .addStrings(com.google.protobuf.ByteString.copyFromUtf8("Tanh")).addStrings(com.google.protobuf.ByteString.copyFromUtf8("Tanh"))),
                "attribute activations", "[HardSigmoid, Tanh, Tanh] is not computed");
        assertRejected("rnn_tanh", n -> set(n, AttributeProto.newBuilder().setName("direction")
                .setType(AttributeProto.AttributeType.STRING).setS(com.google.protobuf.ByteString.copyFromUtf8("reverse"))),
                "attribute direction", "'reverse' alone");
        assertRejected("gru", n -> set(n, AttributeProto.newBuilder().setName("activation_alpha")
                .setType(AttributeProto.AttributeType.FLOATS).addFloats(1f)), "attribute activation_alpha", "not computed");
        assertRejected("lstm", n -> n.setInput(1, "missing_weight"), "input W", "must be a constant");
        Path junk = dir.resolve("junk.onnx");
        Files.write(junk, new byte[] {0x0a, (byte) 0xff, (byte) 0xff, 0x01});
        ModelFileException e = assertThrows(ModelFileException.class, () -> Onnx.importRnn(junk));
        assertTrue(e.problem().startsWith("not an ONNX model"), e.getMessage());
    }

    @Test
    void aMissingHiddenSizeIsTakenFromR() throws IOException {
        ModelProto.Builder b = ModelProto.parseFrom(Files.readAllBytes(Fixtures.path("lstm_bi2.onnx"))).toBuilder();
        for (int i = 0; i < b.getGraph().getNodeCount(); i++) {
            NodeProto n = b.getGraph().getNode(i);
            if (!n.getOpType().equals("LSTM")) continue;
            NodeProto.Builder nb = n.toBuilder().clearAttribute();
            for (AttributeProto a : n.getAttributeList()) if (!a.getName().equals("hidden_size")) nb.addAttribute(a);
            b.getGraphBuilder().setNode(i, nb);
        }
        Path file = dir.resolve("nohidden.onnx");
        Files.write(file, b.build().toByteArray());
        assertArrayEquals(Onnx.importRnn(Fixtures.path("lstm_bi2.onnx")).parameters(), Onnx.importRnn(file).parameters());
        assertRejected("gru", n -> n.addAttribute(attr("hidden_size", 0)), "attribute hidden_size", "appears twice");
        assertRejected("lstm_bi2", n -> {
            NodeProto.Builder nb = n.clearAttribute().addAttribute(attr("hidden_size", -3));
            return nb;
        }, "attribute hidden_size", "must be positive");
    }

    @Test
    void layoutOneIsBatchFirst() throws IOException {
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(Fixtures.path("gru.onnx")));
        ModelProto.Builder b = m.toBuilder();
        for (int i = 0; i < b.getGraph().getNodeCount(); i++) {
            if (b.getGraph().getNode(i).getOpType().equals("GRU")) {
                b.getGraphBuilder().setNode(i, b.getGraph().getNode(i).toBuilder().addAttribute(attr("layout", 1)));
            }
        }
        Path file = dir.resolve("layout1.onnx");
        Files.write(file, b.build().toByteArray());
        OnnxRnn r = Onnx.importRnn(file);
        assertTrue(r.spec().batchFirst());
        assertArrayEquals(Onnx.importRnn(Fixtures.path("gru.onnx")).parameters(), r.parameters());
    }
}
