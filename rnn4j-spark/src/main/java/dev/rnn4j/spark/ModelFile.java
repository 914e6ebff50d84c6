package dev.rnn4j.spark;

import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.io.Checkpoint;
import dev.rnn4j.io.SafeTensors;
import dev.rnn4j.io.StateDict;
import dev.rnn4j.train.Linear;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * A model read from one of rnn4j's model files ({@code dev.rnn4j.io}): an rnn4j {@link Checkpoint}
 * (what {@code rnn4j demo --save} writes: the spec is in the file, a {@link Linear} head by name) or
 * a PyTorch state_dict in safetensors (the spec inferred from the tensors under a prefix; the head,
 * if any, under its own prefix). Local paths and {@code file:} URIs are read in place; any other
 * URI ({@code hdfs://}, {@code s3a://}, ...) through Hadoop's {@link FileSystem} into a temporary
 * file first, so that executors read the model where the cluster keeps its data.
 */
final class ModelFile {
    private final String location;
    private final RnnSpec spec;
    private final float[] parameters;
    private final Linear head;

    private ModelFile(String location, RnnSpec spec, float[] parameters, Linear head) {
        this.location = location;
        this.spec = spec;
        this.parameters = parameters;
        this.head = head;
    }

    /**
     * Reads and checks the model file.
     *
     * @param location a local path or a Hadoop URI
     * @param headName the {@link Linear} layer to use as the head: a layer name in a checkpoint, a
     *     tensor prefix such as {@code "fc."} in a state_dict; null or absent from the file: no head
     * @param stateDictPrefix where the recurrent module's tensors are in a state_dict ({@code ""} for a bare module)
     * @param cellHint the cell of a state_dict (required for a vanilla RNN), or null
     * @throws IllegalArgumentException naming the file and the problem (missing, unreadable, not a model)
     */
    static ModelFile load(String location, String headName, String stateDictPrefix, CellType cellHint) {
        Objects.requireNonNull(location, "model file path must not be null");
        Path local = null;
        boolean temporary = false;
        try {
            URI uri = URI.create(location.replace(" ", "%20"));
            if (uri.getScheme() == null || "file".equals(uri.getScheme())) {
                local = uri.getScheme() == null ? Paths.get(location) : Paths.get(uri);
            } else {
                local = copyToTemporary(location);
                temporary = true;
            }
            if (!Files.isRegularFile(local)) throw new NoSuchFileException(location);
            String format;
            try (SafeTensors st = SafeTensors.open(local)) {
                format = st.metadata().get("format");
            }
            if (Checkpoint.FORMAT.equals(format)) {
                Checkpoint c = Checkpoint.load(local);
                Linear head = headName == null ? null : c.layers().get(headName);
                float[] parameters;
                try (Rnn rnn = c.rnn(Backend.JAVA)) { // only to read the parameters: no native memory
                    parameters = rnn.parameters();
                }
                return new ModelFile(location, c.spec(), parameters, head);
            }
            try (StateDict sd = StateDict.open(local)) {
                String prefix = stateDictPrefix == null ? "" : stateDictPrefix;
                RnnSpec spec = sd.inferSpec(prefix, cellHint);
                float[] parameters;
                try (Rnn rnn = sd.rnn(prefix, spec, Backend.JAVA)) {
                    parameters = rnn.parameters();
                }
                Linear head = headName != null && sd.names().contains(headName + "weight") ? sd.linear(headName) : null;
                return new ModelFile(location, spec, parameters, head);
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("model file " + location + ": no such file", e);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("model file " + location + " cannot be read as an rnn4j checkpoint or a"
                    + " safetensors state_dict: " + e.getMessage(), e);
        } finally {
            if (temporary && local != null) {
                try {
                    Files.deleteIfExists(local);
                } catch (IOException ignored) {
                    // a temporary file in the executor's temporary folder; the OS cleans it up
                }
            }
        }
    }

    private static Path copyToTemporary(String location) throws IOException {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(location);
        FileSystem fs = path.getFileSystem(new Configuration());
        if (!fs.exists(path)) throw new NoSuchFileException(location);
        Path tmp = Files.createTempFile("rnn4j-model", ".safetensors");
        try (InputStream in = fs.open(path)) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return tmp;
    }

    /** Where it was read from. */
    String location() {
        return location;
    }

    RnnSpec spec() {
        return spec;
    }

    /** The head layer, or null. */
    Linear head() {
        return head;
    }

    /** A new network on {@code backend} with the file's parameters (the caller closes it). */
    Rnn newRnn(Backend backend) {
        Rnn rnn = Rnn.create(spec, backend);
        try {
            rnn.setParameters(parameters);
        } catch (RuntimeException e) {
            rnn.close();
            throw e;
        }
        return rnn;
    }
}
