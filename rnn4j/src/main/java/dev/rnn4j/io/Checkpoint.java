package dev.rnn4j.io;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.train.Linear;
import dev.rnn4j.train.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * rnn4j's own checkpoint: a model and, for resuming training, its optimizer's state, in one
 * safetensors file that is also a PyTorch state_dict.
 *
 * <p>Tensors: the {@link Rnn}'s parameters by PyTorch name under {@code rnn.} (so {@code
 * StateDict.open(path).rnn("rnn.", hint)} and PyTorch read them too), each {@link Linear} layer as
 * {@code <name>.weight} {@code [out, in]} and {@code <name>.bias}, and the optimizer's state arrays as
 * {@code optimizer.<tensor>.<array>} (Adam: first and second moments; Adagrad: sums of squares; SGD:
 * velocities). {@code __metadata__}: {@code format = rnn4j.checkpoint/1}, the spec as JSON under
 * {@code rnn4j.spec}, the layer names, the optimizer's class, step count and learning rate, and the
 * caller's own strings. All F32: {@link #save} then {@link #load} is bitwise.
 *
 * <p>{@link #load} reads and checks everything (spec against tensors, every shape) before it
 * returns, so nothing is half-loaded; the checkpoint then lives in memory, and the file is closed.
 */
public final class Checkpoint {
    /** The value of the {@code format} metadata key. */
    public static final String FORMAT = "rnn4j.checkpoint/1";
    static final String RNN_PREFIX = "rnn.";
    private static final String OPTIMIZER_PREFIX = "optimizer.";

    private final Path path;
    private final RnnSpec spec;
    private final float[] parameters;
    private final Map<String, Linear> layers;
    private final String optimizer;
    private final long steps;
    private final List<float[][]> optimizerState;
    private final Map<String, String> userMetadata;

    private Checkpoint(Path path, RnnSpec spec, float[] parameters, Map<String, Linear> layers, String optimizer, long steps,
            List<float[][]> optimizerState, Map<String, String> userMetadata) {
        this.path = path;
        this.spec = spec;
        this.parameters = parameters;
        this.layers = layers;
        this.optimizer = optimizer;
        this.steps = steps;
        this.optimizerState = optimizerState;
        this.userMetadata = userMetadata;
    }

    /**
     * Saves a model and optionally its optimizer (atomically: a reader sees the old file or the new).
     *
     * @param layers named {@link Linear} layers (for example {@code "head"}); may be empty
     * @param optimizer the optimizer whose state to save, or null
     * @param metadata the caller's own strings (for example a vocabulary); keys must not start with
     *     {@code rnn4j.} or be {@code format}
     */
    public static void save(Path path, Rnn rnn, Map<String, Linear> layers, Optimizer optimizer, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(rnn, "rnn must not be null");
        Map<String, Tensor> tensors = StateDict.tensors(RNN_PREFIX, rnn);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("rnn4j.spec", specJson(rnn.spec()));
        if (layers != null && !layers.isEmpty()) {
            for (Map.Entry<String, Linear> e : layers.entrySet()) {
                String name = e.getKey();
                if (name.isEmpty() || name.contains(",") || name.equals("rnn") || name.equals("optimizer")) {
                    throw new IllegalArgumentException("layer name '" + name + "' is empty, has a comma or is reserved");
                }
                Linear l = e.getValue();
                tensors.put(name + ".weight", new Tensor(new int[] {l.outFeatures(), l.inFeatures()}, l.weight()));
                if (l.hasBias()) tensors.put(name + ".bias", Tensor.of(l.bias()));
            }
            meta.put("rnn4j.layers", String.join(",", layers.keySet()));
        }
        if (optimizer != null) {
            List<float[][]> state = optimizer.state();
            for (int i = 0; i < state.size(); i++) {
                for (int j = 0; j < state.get(i).length; j++) tensors.put(OPTIMIZER_PREFIX + i + "." + j, Tensor.of(state.get(i)[j]));
            }
            meta.put("rnn4j.optimizer", optimizer.getClass().getName());
            meta.put("rnn4j.optimizer.steps", Long.toString(optimizer.steps()));
            meta.put("rnn4j.optimizer.learningRate", Double.toString(optimizer.learningRate()));
            meta.put("rnn4j.optimizer.tensors", Integer.toString(state.size()));
        }
        if (metadata != null) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey().startsWith("rnn4j.") || e.getKey().equals("format")) {
                    throw new IllegalArgumentException("metadata key '" + e.getKey() + "' is reserved");
                }
                meta.put(e.getKey(), Objects.requireNonNull(e.getValue(), "metadata values must not be null"));
            }
        }
        SafeTensors.write(path, tensors, meta);
    }

    /**
     * Loads and checks a checkpoint.
     *
     * @throws ModelFileException if it is not a valid rnn4j checkpoint (naming the tensor or key)
     */
    public static Checkpoint load(Path path) throws IOException {
        try (StateDict sd = StateDict.open(path)) {
            Map<String, String> meta = sd.file().metadata();
            if (!FORMAT.equals(meta.get("format"))) {
                throw new ModelFileException(path, "__metadata__", "format is " + meta.get("format") + ", not " + FORMAT
                        + " (a PyTorch state_dict? read it with StateDict)");
            }
            RnnSpec spec = parseSpec(path, required(path, meta, "rnn4j.spec"));
            float[] parameters = sd.parameters(RNN_PREFIX, spec);
            Map<String, Linear> layers = new LinkedHashMap<>();
            String names = meta.getOrDefault("rnn4j.layers", "");
            for (String name : names.isEmpty() ? new String[0] : names.split(",")) layers.put(name, sd.linear(name + "."));
            String optimizer = meta.get("rnn4j.optimizer");
            long steps = 0;
            List<float[][]> state = new ArrayList<>();
            if (optimizer != null) {
                try {
                    steps = Long.parseLong(required(path, meta, "rnn4j.optimizer.steps"));
                    int count = Integer.parseInt(required(path, meta, "rnn4j.optimizer.tensors"));
                    for (int i = 0; i < count; i++) {
                        List<float[]> arrays = new ArrayList<>();
                        for (int j = 0; sd.file().contains(OPTIMIZER_PREFIX + i + "." + j); j++) {
                            arrays.add(sd.floats(OPTIMIZER_PREFIX + i + "." + j));
                        }
                        state.add(arrays.toArray(new float[0][]));
                    }
                } catch (NumberFormatException e) {
                    throw new ModelFileException(path, "__metadata__", "optimizer step or tensor count is not a number: " + e.getMessage());
                }
            }
            Map<String, String> user = new LinkedHashMap<>(meta);
            user.keySet().removeIf(k -> k.startsWith("rnn4j.") || k.equals("format"));
            return new Checkpoint(path, spec, parameters, Collections.unmodifiableMap(layers), optimizer, steps,
                    Collections.unmodifiableList(state), Collections.unmodifiableMap(user));
        }
    }

    private static String required(Path path, Map<String, String> meta, String key) throws ModelFileException {
        String v = meta.get(key);
        if (v == null) throw new ModelFileException(path, "__metadata__", "has no '" + key + "'");
        return v;
    }

    static String specJson(RnnSpec s) {
        JsonObject o = new JsonObject();
        o.addProperty("cell", s.cell().name());
        o.addProperty("inputSize", s.inputSize());
        o.addProperty("hiddenSize", s.hiddenSize());
        o.addProperty("layers", s.layers());
        o.addProperty("bidirectional", s.bidirectional());
        o.addProperty("bias", s.bias());
        o.addProperty("projectionSize", s.projectionSize());
        o.addProperty("batchFirst", s.batchFirst());
        o.addProperty("linearBeforeReset", s.linearBeforeReset());
        o.addProperty("cellClip", s.cellClip());
        o.addProperty("projectionClip", s.projectionClip());
        o.addProperty("dropout", s.dropout());
        return o.toString();
    }

    static RnnSpec parseSpec(Path path, String json) throws ModelFileException {
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            return RnnSpec.builder(CellType.valueOf(o.get("cell").getAsString()), o.get("inputSize").getAsInt(),
                    o.get("hiddenSize").getAsInt()).layers(o.get("layers").getAsInt())
                    .bidirectional(o.get("bidirectional").getAsBoolean()).bias(o.get("bias").getAsBoolean())
                    .projectionSize(o.get("projectionSize").getAsInt()).batchFirst(o.get("batchFirst").getAsBoolean())
                    // the cell options: absent from checkpoints written before them, which had none
                    .linearBeforeReset(!o.has("linearBeforeReset") || o.get("linearBeforeReset").getAsBoolean())
                    .cellClip(o.has("cellClip") ? o.get("cellClip").getAsFloat() : 0f)
                    .projectionClip(o.has("projectionClip") ? o.get("projectionClip").getAsFloat() : 0f)
                    .dropout(o.has("dropout") ? o.get("dropout").getAsFloat() : 0f).build();
        } catch (RuntimeException e) { // Gson's parse and type errors, a missing key, an unknown cell, an invalid spec
            throw new ModelFileException(path, "rnn4j.spec", "not a valid spec (" + e + "): " + json, e);
        }
    }

    /** The file it was loaded from. */
    public Path path() {
        return path;
    }

    /** The model's spec. */
    public RnnSpec spec() {
        return spec;
    }

    /** A new {@link Rnn} on {@code backend} with the saved parameters (bitwise). */
    public Rnn rnn(Backend backend) {
        Rnn rnn = Rnn.create(spec, backend);
        rnn.setParameters(parameters);
        return rnn;
    }

    /** The saved {@link Linear} layers by name (shared, not copies: load again for a second model). */
    public Map<String, Linear> layers() {
        return layers;
    }

    /** The saved optimizer's class name, or null if none was saved. */
    public String optimizerType() {
        return optimizer;
    }

    /** The saved optimizer's step count (0 if none was saved). */
    public long optimizerSteps() {
        return steps;
    }

    /**
     * Restores the saved state into {@code optimizer}, which must be of the same class, with the same
     * tensors registered in the same order as when it was saved (its learning rate is the caller's).
     *
     * @throws IllegalArgumentException if no optimizer was saved, the class differs or the tensors do not fit
     */
    public void restore(Optimizer optimizer) {
        Objects.requireNonNull(optimizer, "optimizer must not be null");
        if (this.optimizer == null) throw new IllegalArgumentException(path + " holds no optimizer state");
        if (!this.optimizer.equals(optimizer.getClass().getName())) {
            throw new IllegalArgumentException(path + " holds the state of " + this.optimizer + ", not of "
                    + optimizer.getClass().getName());
        }
        optimizer.restore(steps, optimizerState);
    }

    /** The caller's metadata strings given to {@link #save}. */
    public Map<String, String> metadata() {
        return userMetadata;
    }
}
