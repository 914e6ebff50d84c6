package dev.rnn4j.spark;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.train.Linear;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** One partition of {@link RnnInference#transform}: the model once, then batch after batch. */
final class PartitionInference implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final RnnInference config;
    private final SequenceColumn column;

    PartitionInference(RnnInference config, SequenceColumn column) {
        this.config = config;
        this.column = column;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        if (!rows.hasNext()) return Collections.emptyIterator(); // an empty partition reads no model
        ModelFile file = ModelFile.load(config.modelPath, config.head, config.stateDictPrefix, config.cell);
        column.checkInputSize(file.spec().inputSize());
        Linear head = null;
        if (config.output == RnnInference.Output.LOGITS) {
            head = file.head();
            if (head == null) {
                throw new IllegalArgumentException("output logits needs a Linear head named '" + config.head
                        + "' in model file " + file.location() + ", which has none");
            }
            if (head.inFeatures() != file.spec().outputFeatures()) {
                throw new IllegalArgumentException("head '" + config.head + "' of model file " + file.location() + " takes "
                        + head.inFeatures() + " features, but the network's last hidden state has " + file.spec().outputFeatures());
            }
        }
        Backend backend = TaskResources.backend(config.compute);
        Rnn rnn = file.newRnn(backend);
        Runnable close = TaskResources.closeAtTaskEnd(rnn);
        return new Batches(rows, rnn, head, close);
    }

    /** Reads up to batchSize rows, runs them, hands out their results, and so on. */
    private final class Batches implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final Rnn rnn;
        private final Linear head;
        private final Runnable close;
        private final RnnSpec spec;
        private final int partition = TaskResources.partition();
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private final Row[] batch;
        private final int[] lengths;
        private long rowsRead;
        // staging arrays, grown to the largest batch seen
        private float[] x = new float[0], y = new float[0], hN = new float[0], last = new float[0], logits = new float[0];

        Batches(Iterator<Row> rows, Rnn rnn, Linear head, Runnable close) {
            this.rows = rows;
            this.rnn = rnn;
            this.head = head;
            this.close = close;
            this.spec = rnn.spec();
            this.batch = new Row[config.batchSize];
            this.lengths = new int[config.batchSize];
        }

        @Override
        public boolean hasNext() {
            if (!ready.isEmpty()) return true;
            if (!rows.hasNext()) {
                close.run(); // frees the native memory now; the task's listener then has nothing left to do
                return false;
            }
            runBatch();
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            return ready.poll();
        }

        private void runBatch() {
            int n = 0, steps = 0;
            while (n < batch.length && rows.hasNext()) {
                Row row = rows.next();
                lengths[n] = column.steps(row, spec.inputSize(), rowsRead + n, partition);
                steps = Math.max(steps, lengths[n]);
                batch[n++] = row;
            }
            int in = spec.inputSize(), features = spec.outputFeatures(), ho = spec.outputSize();
            int xFloats = steps * n * in, yFloats = steps * n * features, hFloats = spec.stateRows() * n * ho;
            x = grow(x, xFloats);
            y = grow(y, yFloats);
            hN = grow(hN, hFloats);
            Arrays.fill(x, 0, xFloats, 0f); // padding stays zero
            boolean batchFirst = spec.batchFirst();
            for (int b = 0; b < n; b++) {
                int offset = batchFirst ? b * steps * in : b * in, stride = batchFirst ? in : n * in;
                column.copy(batch[b], x, offset, stride, in, rowsRead + b, partition);
            }
            Batch shape = Batch.ofLengths(steps, Arrays.copyOf(lengths, n));
            rnn.forward(Mode.INFERENCE, shape, FloatBuffer.wrap(x), null, null, FloatBuffer.wrap(y), FloatBuffer.wrap(hN), null);
            // the last layer's final states, forward then reverse: [n, D*Ho]
            last = grow(last, n * features);
            int directions = spec.directions(), firstRow = (spec.layers() - 1) * directions;
            for (int b = 0; b < n; b++) {
                for (int d = 0; d < directions; d++) {
                    System.arraycopy(hN, ((firstRow + d) * n + b) * ho, last, b * features + d * ho, ho);
                }
            }
            if (head != null) {
                logits = grow(logits, n * head.outFeatures());
                head.forward(last, n, logits);
            }
            for (int b = 0; b < n; b++) {
                ready.add(append(batch[b], result(b, n, steps, batchFirst)));
                batch[b] = null;
            }
            rowsRead += n;
        }

        private Object result(int b, int n, int steps, boolean batchFirst) {
            int features = spec.outputFeatures();
            switch (config.output) {
                case LAST_HIDDEN:
                    return Arrays.copyOfRange(last, b * features, (b + 1) * features);
                case LOGITS:
                    int k = head.outFeatures();
                    return Arrays.copyOfRange(logits, b * k, (b + 1) * k);
                default:
                    float[][] out = new float[lengths[b]][];
                    for (int t = 0; t < lengths[b]; t++) {
                        int at = (batchFirst ? b * steps + t : t * n + b) * features;
                        out[t] = Arrays.copyOfRange(y, at, at + features);
                    }
                    return out;
            }
        }
    }

    private static Row append(Row row, Object value) {
        Object[] values = new Object[row.length() + 1];
        for (int i = 0; i < row.length(); i++) values[i] = row.get(i);
        values[row.length()] = value;
        return RowFactory.create(values);
    }

    private static float[] grow(float[] a, int floats) {
        return a.length >= floats ? a : new float[Math.max(floats, a.length + a.length / 2)];
    }
}
