package dev.rnn4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model file that cannot be read or does not fit what it is loaded into: truncated, a header
 * longer than the file, offsets overlapping or out of range, a wrong dtype, a shape that does not
 * match the spec, an operator attribute rnn4j does not compute, non-finite weights (with the finite
 * check on). The message names the file, the tensor or node when there is one, and the problem;
 * each part is also available on its own. Nothing is loaded when it is thrown.
 */
public class ModelFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;
    private final String problem;

    /**
     * @param file the file, or null when the data did not come from a file
     * @param tensor the tensor, node or attribute concerned, or null for the file as a whole
     * @param problem what is wrong, with the numbers
     */
    public ModelFileException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    /** The same, with the exception that revealed the problem. */
    public ModelFileException(Path file, String tensor, String problem, Throwable cause) {
        super((file == null ? "" : file + ": ") + (tensor == null ? "" : tensor + ": ") + problem, cause);
        this.file = file;
        this.tensor = tensor;
        this.problem = problem;
    }

    /** The file, or null. */
    public Path file() {
        return file;
    }

    /** The tensor, node or attribute concerned, or null for the file as a whole. */
    public String tensor() {
        return tensor;
    }

    /** What is wrong. */
    public String problem() {
        return problem;
    }
}
