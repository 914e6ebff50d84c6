package dev.rnn4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.RnnStream;
import dev.rnn4j.reliability.Workload.Case;
import dev.rnn4j.reliability.Workload.Result;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.function.Executable;

/**
 * Property-based tests of the public API (jqwik on the JUnit 5 platform).
 *
 * <ul>
 *   <li>Random valid training steps give, on every available native backend, results within
 *       docs/DESIGN.md §6's tolerance of the Java reference, and bitwise the same results through
 *       arrays and through direct buffers.
 *   <li>Random invalid calls ({@link Fault}: shapes, lengths, nulls, wrong buffer kinds and
 *       capacities, sizes near {@code Integer.MAX_VALUE}, NaN/Inf with the finite check on) throw
 *       the documented exception with a message naming the argument; the outputs passed to the
 *       call, the parameters and the gradients are untouched; and the object stays usable: the
 *       training forward recorded before the bad call still backpropagates to bitwise the result of
 *       a run that never saw the bad call.
 *   <li>Every method of a closed {@code Rnn} or {@code RnnStream} throws IllegalStateException.
 *   <li>Random integers for every spec field and batch: build() succeeds exactly for the valid ones.
 * </ul>
 *
 * CI size: the plain properties (1,650 cases, about 15 s). The {@code @Tag("long")} copies run
 * the same checks on 130,000 cases (15,000 + 45,000 + 15,000 + 30,000 + 25,000; scripts/soak.sh).
 */
class ApiPropertiesTest {

    // ---- Valid calls against the reference ---------------------------------------------------------

    @Provide
    Arbitrary<Case> cases() {
        return Workload.cases(9, 7, 4);
    }

    @Property(tries = 150, shrinking = ShrinkingMode.BOUNDED)
    void everyBackendMatchesTheReference(@ForAll("cases") Case c) {
        checkAgainstReference(c);
    }

    @Property(tries = 15_000, shrinking = ShrinkingMode.BOUNDED)
    @Tag("long")
    void everyBackendMatchesTheReferenceLong(@ForAll("cases") Case c) {
        checkAgainstReference(c);
    }

    static void checkAgainstReference(Case c) {
        Result ref = Workload.run(Backend.JAVA, c);
        for (Backend b : Workload.nativeBackends()) {
            Result got = Workload.run(b, c);
            got.assertCloseTo(ref, b + " " + c);
            // Arrays and direct buffers: the same computation, bitwise.
            Case other = new Case(c.spec(), c.steps(), c.size(), c.lengths(), c.seed(), c.states(), c.upstream(),
                    !c.direct(), c.backwards());
            assertNull(got.bitwiseDifference(Workload.run(b, other)), () -> b + " arrays vs direct buffers: " + c);
        }
    }

    // ---- Invalid calls -------------------------------------------------------------------------------

    /** One kind of invalid call. */
    enum Fault {
        X_WRONG_LENGTH, X_NULL, BATCH_NULL, MODE_NULL, H0_WRONG_LENGTH, C0_WRONG, BATCH_SIZE_MISMATCH,
        LENGTHS_OUT_OF_RANGE, SIZES_NEAR_INT_MAX, STEPS_INT_MAX, Y_TOO_SMALL, Y_NULL, Y_READ_ONLY, HN_TOO_SMALL,
        CN_FOR_CELL_WITHOUT_C, X_BIG_ENDIAN, Y_OVERLAPS_X_ARRAY, HN_SHARES_Y, DY_WRONG_LENGTH,
        DHN_WRONG_LENGTH, DCN_WRONG, DX_TOO_SMALL, DX_SHARES_DY_ARRAY, DH0_READ_ONLY, NAN_IN_X, INF_IN_H0,
        NAN_IN_C0, NAN_IN_PARAMETERS, INF_IN_DY, NAN_IN_DHN, INF_IN_DCN, PARAMETER_UNKNOWN_NAME,
        PARAMETER_WRONG_LENGTH, PARAMETERS_WRONG_LENGTH, PARAMETERS_NULL, STREAM_X_WRONG_LENGTH, STREAM_STEPS_ZERO,
        BACKEND_THREADS_OUT_OF_RANGE
    }

    @Provide
    Arbitrary<Backend> backends() {
        return Arbitraries.of(Workload.available());
    }

    @Provide
    Arbitrary<Case> smallCases() {
        return Workload.cases(6, 5, 3);
    }

    @Property(tries = 400, shrinking = ShrinkingMode.BOUNDED)
    void invalidCallsAreRejectedAndChangeNothing(@ForAll("smallCases") Case c, @ForAll Fault fault,
            @ForAll("backends") Backend backend, @ForAll @IntRange(min = 0, max = 1 << 20) int pick) {
        checkFault(c, fault, backend, pick);
    }

    @Property(tries = 45_000, shrinking = ShrinkingMode.BOUNDED)
    @Tag("long")
    void invalidCallsAreRejectedAndChangeNothingLong(@ForAll("smallCases") Case c, @ForAll Fault fault,
            @ForAll("backends") Backend backend, @ForAll @IntRange(min = 0, max = 1 << 20) int pick) {
        checkFault(c, fault, backend, pick);
    }

    static final float SENTINEL = Workload.SENTINEL;

    static float[] sentinel(int n) {
        return Workload.sentinel(n);
    }

    static void checkFault(Case c, Fault fault, Backend backend, int pick) {
        RnnSpec spec = c.spec();
        boolean lstm = spec.cell().hasCellState();
        float[][] d = c.data();
        float[] x = d[0];
        Batch batch = c.batch();
        // What the untouched object must still give: the same training step on a fresh Rnn.
        Result expected = Workload.run(backend, c);
        try (Rnn rnn = Rnn.create(spec, backend)) {
            rnn.initialize(c.seed());
            rnn.zeroGradients();
            var f = rnn.forward(Mode.TRAINING, batch, x, d[1], d[2]);
            assertArrayEquals(expected.y(), f.y(), "the same forward on two Rnns");
            float[] params = rnn.parameters();
            float[] grads = rnn.gradients();
            List<float[]> outputs = new ArrayList<>();
            java.util.function.IntFunction<float[]> out = n -> {
                float[] a = sentinel(n);
                outputs.add(a);
                return a;
            };
            int bad = pick % 7 + 1; // a wrong length offset
            Class<? extends Throwable> type = IllegalArgumentException.class;
            String[] mention;
            Executable call;
            switch (fault) {
                case X_WRONG_LENGTH -> {
                    mention = new String[] {"x", String.valueOf(c.x())};
                    float[] wrong = new float[(pick & 1) == 0 ? c.x() + bad : Math.max(0, c.x() - bad)];
                    if (wrong.length == c.x()) wrong = new float[c.x() + 1];
                    float[] w = wrong;
                    call = () -> rnn.forward(Mode.TRAINING, batch, w, d[1], d[2]);
                }
                case X_NULL -> {
                    type = NullPointerException.class;
                    mention = new String[] {"x"};
                    call = () -> rnn.forward(Mode.INFERENCE, batch, null, null, null, FloatBuffer.wrap(out.apply(c.y())),
                            null, null);
                }
                case BATCH_NULL -> {
                    type = NullPointerException.class;
                    mention = new String[] {"batch"};
                    call = () -> rnn.forward(Mode.TRAINING, null, x, d[1], d[2]);
                }
                case MODE_NULL -> {
                    type = NullPointerException.class;
                    mention = new String[] {"mode"};
                    call = () -> rnn.forward(null, batch, FloatBuffer.wrap(x), null, null, FloatBuffer.wrap(out.apply(c.y())),
                            null, null);
                }
                case H0_WRONG_LENGTH -> {
                    mention = new String[] {"h0", String.valueOf(c.h())};
                    call = () -> rnn.forward(Mode.TRAINING, batch, x, new float[c.h() + bad], d[2]);
                }
                case C0_WRONG -> {
                    mention = lstm ? new String[] {"c0", String.valueOf(c.c())} : new String[] {"c0", spec.cell().toString()};
                    int n = lstm ? c.c() + bad : 1 + pick % 5;
                    call = () -> rnn.forward(Mode.TRAINING, batch, x, d[1], new float[n]);
                }
                case BATCH_SIZE_MISMATCH -> {
                    mention = new String[] {"x"};
                    Batch other = Batch.of(c.steps(), c.size() + bad);
                    call = () -> rnn.forward(Mode.TRAINING, other, x, null, null);
                }
                case LENGTHS_OUT_OF_RANGE -> {
                    int[] lengths = new int[c.size()];
                    java.util.Arrays.fill(lengths, c.steps());
                    int at = pick % c.size();
                    int[] badValues = {0, -1, c.steps() + 1, Integer.MIN_VALUE, Integer.MAX_VALUE};
                    lengths[at] = badValues[(pick >> 3) % badValues.length];
                    mention = new String[] {"lengths[" + at + "]", String.valueOf(lengths[at])};
                    call = () -> rnn.forward(Mode.TRAINING, Batch.ofLengths(c.steps(), lengths), x, null, null);
                }
                case SIZES_NEAR_INT_MAX -> {
                    // T*N*I just above Integer.MAX_VALUE: rejected while computing the shapes.
                    int n = c.size() + 1;
                    int t = Integer.MAX_VALUE / (spec.inputSize() * n) + 1 + pick % 3;
                    mention = new String[] {String.valueOf(Integer.MAX_VALUE)};
                    call = () -> rnn.forward(Mode.INFERENCE, Batch.of(t, n), x, null, null);
                }
                case STEPS_INT_MAX -> {
                    mention = new String[] {"2147483"}; // x or y: whichever does not fit or has the wrong length
                    call = () -> rnn.forward(Mode.TRAINING, Batch.of(Integer.MAX_VALUE - pick % 2, 1), x, null, null);
                }
                case Y_TOO_SMALL -> {
                    mention = new String[] {"y", String.valueOf(c.y())};
                    float[] y = out.apply(c.y() - 1 - pick % Math.max(1, c.y() - 1));
                    call = () -> rnn.forward(Mode.TRAINING, batch, FloatBuffer.wrap(x), null, null, FloatBuffer.wrap(y), null,
                            null);
                }
                case Y_NULL -> {
                    type = NullPointerException.class;
                    mention = new String[] {"y"};
                    call = () -> rnn.forward(Mode.TRAINING, batch, FloatBuffer.wrap(x), null, null, null,
                            FloatBuffer.wrap(out.apply(c.h())), null);
                }
                case Y_READ_ONLY -> {
                    mention = new String[] {"y", "read-only"};
                    FloatBuffer y = Workload.direct(out.apply(c.y()), 0).asReadOnlyBuffer();
                    call = () -> rnn.forward(Mode.TRAINING, batch, FloatBuffer.wrap(x), null, null, y, null, null);
                }
                case HN_TOO_SMALL -> {
                    mention = new String[] {"hN", String.valueOf(c.h())};
                    float[] hN = out.apply(c.h() - 1);
                    call = () -> rnn.forward(Mode.TRAINING, batch, FloatBuffer.wrap(x), null, null,
                            FloatBuffer.wrap(out.apply(c.y())), FloatBuffer.wrap(hN), null);
                }
                case CN_FOR_CELL_WITHOUT_C -> {
                    if (lstm) return; // LSTM has a cell state: nothing to reject
                    mention = new String[] {"cN", spec.cell().toString()};
                    call = () -> rnn.forward(Mode.TRAINING, batch, FloatBuffer.wrap(x), null, null,
                            FloatBuffer.wrap(out.apply(c.y())), null, FloatBuffer.wrap(out.apply(c.h())));
                }
                case X_BIG_ENDIAN -> {
                    if (ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN) return;
                    mention = new String[] {"x", "byte order"};
                    FloatBuffer bx = ByteBuffer.allocateDirect(4 * c.x()).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
                    bx.put(x).flip();
                    call = () -> rnn.forward(Mode.TRAINING, batch, bx, null, null, FloatBuffer.wrap(out.apply(c.y())), null,
                            null);
                }
                case Y_OVERLAPS_X_ARRAY -> {
                    // Slices of one array that share one float (disjoint slices are valid, as for direct memory).
                    mention = new String[] {"y", "x", "share"};
                    float[] both = sentinel(c.x() + c.y());
                    System.arraycopy(x, 0, both, 0, x.length);
                    outputs.add(null); // checked below by content
                    FloatBuffer bx = FloatBuffer.wrap(both, 0, c.x()).slice();
                    FloatBuffer by = FloatBuffer.wrap(both, c.x() - 1, c.y()).slice();
                    float[] copy = both.clone();
                    call = () -> {
                        try {
                            rnn.forward(Mode.TRAINING, batch, bx, null, null, by, null, null);
                        } finally {
                            assertArrayEquals(copy, both, "the shared array was written");
                        }
                    };
                }
                case HN_SHARES_Y -> {
                    mention = new String[] {"hN", "share"};
                    float[] y = out.apply(Math.max(c.y(), c.h()));
                    FloatBuffer by = FloatBuffer.wrap(y);
                    call = () -> rnn.forward(Mode.TRAINING, batch, FloatBuffer.wrap(x), null, null, by, by, null);
                }
                case DY_WRONG_LENGTH -> {
                    mention = new String[] {"dy", String.valueOf(c.y())};
                    call = () -> rnn.backward(new float[c.y() + bad], d[4], d[5]);
                }
                case DHN_WRONG_LENGTH -> {
                    mention = new String[] {"dhN", String.valueOf(c.h())};
                    call = () -> rnn.backward(d[3], new float[Math.max(0, c.h() - bad) == c.h() ? c.h() + 1
                            : Math.max(0, c.h() - bad)], d[5]);
                }
                case DCN_WRONG -> {
                    mention = lstm ? new String[] {"dcN", String.valueOf(c.c())} : new String[] {"dcN", spec.cell().toString()};
                    call = () -> rnn.backward(d[3], d[4], new float[lstm ? c.c() + bad : 1 + pick % 4]);
                }
                case DX_TOO_SMALL -> {
                    mention = new String[] {"dx", String.valueOf(c.x())};
                    float[] dx = out.apply(c.x() - 1);
                    call = () -> rnn.backward(null, null, null, FloatBuffer.wrap(dx), null, null);
                }
                case DX_SHARES_DY_ARRAY -> {
                    mention = new String[] {"dx", "share"};
                    float[] dy = out.apply(Math.max(c.x(), c.y()));
                    call = () -> rnn.backward(FloatBuffer.wrap(dy), null, null, FloatBuffer.wrap(dy), null, null);
                }
                case DH0_READ_ONLY -> {
                    mention = new String[] {"dh0", "read-only"};
                    FloatBuffer dh0 = Workload.direct(out.apply(c.h()), 0).asReadOnlyBuffer();
                    call = () -> rnn.backward(null, null, null, null, dh0, null);
                }
                case NAN_IN_X, INF_IN_H0, NAN_IN_C0, NAN_IN_PARAMETERS, INF_IN_DY, NAN_IN_DHN, INF_IN_DCN -> {
                    String name = switch (fault) {
                        case NAN_IN_X -> "x";
                        case INF_IN_H0 -> "h0";
                        case NAN_IN_C0 -> "c0";
                        case NAN_IN_PARAMETERS -> "parameters";
                        case INF_IN_DY -> "dy";
                        case NAN_IN_DHN -> "dhN";
                        default -> "dcN";
                    };
                    int n = switch (name) {
                        case "x" -> c.x();
                        case "h0", "dhN" -> c.h();
                        case "c0", "dcN" -> c.c();
                        case "dy" -> c.y();
                        default -> spec.parameterCount();
                    };
                    if (n == 0) return; // no cell state for this cell
                    int at = pick % n;
                    float[] values = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                    float v = values[(pick >> 4) % 3];
                    mention = new String[] {name + "[" + at + "]", String.valueOf(v), "finite"};
                    rnn.setFiniteCheck(true);
                    float[] t = new float[n];
                    t[at] = v;
                    if (name.equals("parameters")) {
                        float[] p = params.clone();
                        p[at] = v;
                        rnn.setParameters(p);
                        call = () -> {
                            try {
                                rnn.forward(Mode.TRAINING, batch, FloatBuffer.wrap(x), null, null,
                                        FloatBuffer.wrap(out.apply(c.y())), FloatBuffer.wrap(out.apply(c.h())),
                                        lstm ? FloatBuffer.wrap(out.apply(c.c())) : null);
                            } finally {
                                rnn.setParameters(params);
                            }
                        };
                    } else if (name.equals("x") || name.equals("h0") || name.equals("c0")) {
                        float[] xi = name.equals("x") ? t : x;
                        float[] h0 = name.equals("h0") ? t : null;
                        float[] c0 = name.equals("c0") ? t : null;
                        call = () -> rnn.forward(Mode.TRAINING, batch, FloatBuffer.wrap(xi), wrap(h0), wrap(c0),
                                FloatBuffer.wrap(out.apply(c.y())), FloatBuffer.wrap(out.apply(c.h())),
                                lstm ? FloatBuffer.wrap(out.apply(c.c())) : null);
                    } else {
                        float[] dy = name.equals("dy") ? t : null;
                        float[] dhN = name.equals("dhN") ? t : null;
                        float[] dcN = name.equals("dcN") ? t : null;
                        call = () -> rnn.backward(wrap(dy), wrap(dhN), wrap(dcN), FloatBuffer.wrap(out.apply(c.x())),
                                FloatBuffer.wrap(out.apply(c.h())), lstm ? FloatBuffer.wrap(out.apply(c.c())) : null);
                    }
                }
                case PARAMETER_UNKNOWN_NAME -> {
                    String name = "weight_ih_l" + spec.layers();
                    mention = new String[] {name, "weight_ih_l0"};
                    call = () -> rnn.setParameter(name, new float[4]);
                }
                case PARAMETER_WRONG_LENGTH -> {
                    var e = spec.parameterLayout().entries().get(pick % spec.parameterLayout().entries().size());
                    mention = new String[] {e.name(), String.valueOf(e.size())};
                    call = () -> rnn.setParameter(e.name(), new float[e.size() + bad]);
                }
                case PARAMETERS_WRONG_LENGTH -> {
                    mention = new String[] {String.valueOf(spec.parameterCount())};
                    call = () -> rnn.setParameters(new float[spec.parameterCount() - 1]);
                }
                case PARAMETERS_NULL -> {
                    type = NullPointerException.class;
                    mention = new String[] {"values"};
                    call = () -> rnn.setParameters(null);
                }
                case STREAM_X_WRONG_LENGTH -> {
                    if (spec.bidirectional()) return;
                    mention = new String[] {"x"};
                    RnnStream s = rnn.stream(c.size());
                    call = () -> s.step(new float[c.size() * spec.inputSize() + bad], 1);
                }
                case STREAM_STEPS_ZERO -> {
                    if (spec.bidirectional()) return;
                    mention = new String[] {"steps", String.valueOf(-(pick % 2))};
                    RnnStream s = rnn.stream(c.size());
                    call = () -> s.step(new float[0], -(pick % 2));
                }
                case BACKEND_THREADS_OUT_OF_RANGE -> {
                    int[] bads = {0, -1, 1025, Integer.MIN_VALUE, Integer.MAX_VALUE};
                    int t = bads[pick % bads.length];
                    mention = new String[] {"threads", String.valueOf(t)};
                    call = () -> backend.setThreads(t);
                }
                default -> throw new AssertionError(fault);
            }

            Throwable e = assertThrows(type, call, () -> fault + " on " + backend + ": " + c);
            for (String word : mention) {
                assertTrue(e.getMessage() != null && e.getMessage().contains(word),
                        () -> fault + ": the message should mention '" + word + "': " + e.getMessage());
            }
            for (float[] o : outputs) {
                if (o == null) continue;
                for (int i = 0; i < o.length; i++) {
                    if (Float.floatToRawIntBits(o[i]) != Float.floatToRawIntBits(SENTINEL)) {
                        fail(fault + " on " + backend + " wrote output element " + i + " = " + o[i] + ": " + c);
                    }
                }
            }
            assertArrayEquals(params, rnn.parameters(), () -> fault + " changed the parameters");
            assertArrayEquals(grads, rnn.gradients(), () -> fault + " changed the gradients");

            // Still usable, and still holding the training forward recorded before the bad call.
            rnn.setFiniteCheck(false);
            var b = rnn.backward(d[3], d[4], d[5]);
            for (int i = 1; i < c.backwards(); i++) b = rnn.backward(d[3], d[4], d[5]);
            Result after = new Result(f.y(), f.hN(), f.cN(), b.dx(), b.dh0(), b.dc0(), rnn.gradients());
            Result exp = c.direct() ? Workload.run(backend, new Case(spec, c.steps(), c.size(), c.lengths(), c.seed(),
                    c.states(), c.upstream(), false, c.backwards())) : expected;
            assertNull(after.bitwiseDifference(exp), () -> fault + " on " + backend + " left the Rnn changed: " + c);
        }
    }

    private static FloatBuffer wrap(float[] a) {
        return a == null ? null : FloatBuffer.wrap(a);
    }

    // ---- Closed objects ------------------------------------------------------------------------------

    @Provide
    Arbitrary<RnnSpec> closedSpecs() {
        return Workload.specs(6).filter(s -> !s.bidirectional()); // unidirectional: streams too
    }

    @Property(tries = 100)
    void everyMethodOfAClosedObjectThrows(@ForAll("backends") Backend backend, @ForAll("closedSpecs") RnnSpec spec,
            @ForAll @IntRange(min = 0, max = 15) int op, @ForAll boolean closeTwice) {
        checkClosed(backend, spec, op, closeTwice);
    }

    @Property(tries = 15_000)
    @Tag("long")
    void everyMethodOfAClosedObjectThrowsLong(@ForAll("backends") Backend backend, @ForAll("closedSpecs") RnnSpec spec,
            @ForAll @IntRange(min = 0, max = 15) int op, @ForAll boolean closeTwice) {
        checkClosed(backend, spec, op, closeTwice);
    }

    static void checkClosed(Backend backend, RnnSpec spec, int op, boolean closeTwice) {
        Rnn rnn = Rnn.create(spec, backend);
        int xs = 2 * spec.inputSize();
        rnn.forward(Mode.TRAINING, Batch.of(2, 1), new float[xs], null, null);
        RnnStream stream = rnn.stream(1);
        rnn.close();
        if (closeTwice) rnn.close();
        float[] x = new float[xs];
        Executable call = switch (op) {
            case 0 -> () -> rnn.forward(x, Batch.of(2, 1));
            case 1 -> () -> rnn.forward(Mode.TRAINING, Batch.of(2, 1), FloatBuffer.wrap(x), null, null,
                    FloatBuffer.allocate(2 * spec.outputFeatures()), null, null);
            case 2 -> () -> rnn.backward(null, null, null);
            case 3 -> () -> rnn.backward(null, null, null, FloatBuffer.allocate(xs), null, null);
            case 4 -> rnn::parameters;
            case 5 -> rnn::gradients;
            case 6 -> () -> rnn.parameter("weight_hh_l0");
            case 7 -> () -> rnn.setParameters(new float[spec.parameterCount()]);
            case 8 -> rnn::zeroGradients;
            case 9 -> () -> rnn.initialize(7);
            case 10 -> rnn::parameterBuffer;
            case 11 -> rnn::gradientBuffer;
            case 12 -> () -> rnn.stream(1);
            case 13 -> () -> stream.step(new float[spec.inputSize()], 1);
            case 14 -> () -> rnn.setFiniteCheck(true);
            default -> stream::hiddenState;
        };
        Throwable e = assertThrows(IllegalStateException.class, call, "op " + op + " on a closed Rnn");
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertTrue(rnn.isClosed());
    }

    // ---- Specs and batches from arbitrary integers ---------------------------------------------------

    @Provide
    Arbitrary<Integer> anyInts() {
        return Arbitraries.oneOf(Arbitraries.integers().between(-3, 12),
                Arbitraries.of(0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE - 1, 1 << 16, 46341, 1 << 30),
                Arbitraries.integers());
    }

    /**
     * Layer counts: small, edges and 2^16. (Not Integer.MAX_VALUE with small sizes: see
     * {@code HazardTest.hugeLayerCountIsRejectedQuickly}, which is kept out of the default run.)
     */
    @Provide
    Arbitrary<Integer> layerInts() {
        return Arbitraries.oneOf(Arbitraries.integers().between(-3, 12), Arbitraries.of(0, -1, Integer.MIN_VALUE, 1 << 16));
    }

    @Property(tries = 500)
    void specBuildSucceedsExactlyForValidFields(@ForAll CellType cell, @ForAll("anyInts") int i, @ForAll("anyInts") int h,
            @ForAll("layerInts") int layers, @ForAll("anyInts") int proj, @ForAll boolean bi) {
        checkSpec(cell, i, h, layers, proj, bi);
    }

    @Property(tries = 30_000)
    @Tag("long")
    void specBuildSucceedsExactlyForValidFieldsLong(@ForAll CellType cell, @ForAll("anyInts") int i,
            @ForAll("anyInts") int h, @ForAll("layerInts") int layers, @ForAll("anyInts") int proj, @ForAll boolean bi) {
        checkSpec(cell, i, h, layers, proj, bi);
    }

    static void checkSpec(CellType cell, int i, int h, int layers, int proj, boolean bi) {
        boolean fields = i >= 1 && h >= 1 && layers >= 1 && proj >= 0 && (proj == 0 || cell == CellType.LSTM && proj < h);
        long count = -1;
        if (fields) {
            long g = cell.gates(), ho = proj > 0 ? proj : h, dirs = bi ? 2 : 1;
            long per = g * h * ((long) i + ho) + 2 * g * h + (long) proj * h;
            long other = g * h * (dirs * ho + ho) + 2 * g * h + (long) proj * h;
            double total = dirs * ((double) per + (double) (layers - 1) * other);
            count = total > RnnSpec.MAX_PARAMETERS ? -1 : (long) total;
        }
        RnnSpec.Builder b = RnnSpec.builder(cell, i, h).layers(layers).projectionSize(proj).bidirectional(bi);
        if (fields && count >= 0) {
            RnnSpec s = b.build();
            assertEquals(count, s.parameterCount(), "parameter count of " + s);
        } else {
            long start = System.nanoTime();
            assertThrows(IllegalArgumentException.class, b::build,
                    () -> "cell=" + cell + " I=" + i + " H=" + h + " L=" + layers + " P=" + proj + " bi=" + bi);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < 2_000, "rejecting a spec took " + ms + " ms: I=" + i + " H=" + h + " L=" + layers);
        }
    }

    @Property(tries = 500)
    void batchOfAcceptsExactlyValidSizesAndLengths(@ForAll("anyInts") int steps, @ForAll("anyInts") int size,
            @ForAll("anyInts") int l0, @ForAll("anyInts") int l1) {
        checkBatch(steps, size, l0, l1);
    }

    @Property(tries = 25_000)
    @Tag("long")
    void batchOfAcceptsExactlyValidSizesAndLengthsLong(@ForAll("anyInts") int steps, @ForAll("anyInts") int size,
            @ForAll("anyInts") int l0, @ForAll("anyInts") int l1) {
        checkBatch(steps, size, l0, l1);
    }

    static void checkBatch(int steps, int size, int l0, int l1) {
        if (steps >= 1 && size >= 1) {
            Batch b = Batch.of(steps, size);
            assertEquals(steps, b.steps());
            assertEquals(size, b.size());
        } else {
            assertThrows(IllegalArgumentException.class, () -> Batch.of(steps, size));
        }
        int[] lengths = {l0, l1};
        boolean valid = steps >= 1 && l0 >= 1 && l0 <= steps && l1 >= 1 && l1 <= steps;
        if (valid) {
            Batch b = Batch.ofLengths(steps, lengths);
            lengths[0] = -5; // copied: the caller's array may change afterwards
            assertEquals(l0, b.length(0));
        } else {
            assertThrows(IllegalArgumentException.class, () -> Batch.ofLengths(steps, lengths));
        }
    }
}
