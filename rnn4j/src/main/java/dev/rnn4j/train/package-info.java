/**
 * Small building blocks for training loops around {@link dev.rnn4j.Rnn}: a {@link
 * dev.rnn4j.train.Linear} output layer, the losses {@link dev.rnn4j.train.SoftmaxCrossEntropy} and
 * {@link dev.rnn4j.train.MeanSquaredError}, the optimizers {@link dev.rnn4j.train.Sgd}, {@link
 * dev.rnn4j.train.Adagrad} and {@link dev.rnn4j.train.Adam}, and {@link
 * dev.rnn4j.train.GradientClipping} by value and by global norm.
 *
 * <p>Everything works on flat fp32 tensors, row-major, like the rest of rnn4j. Parameters and
 * gradients are {@link java.nio.FloatBuffer}s so that an optimizer updates an {@code Rnn}'s live
 * buffers ({@link dev.rnn4j.Rnn#parameterBuffer()}, {@link dev.rnn4j.Rnn#gradientBuffer()}) and a
 * {@code Linear}'s alike, without copies. A typical step of a many-to-many model:
 *
 * <pre>{@code
 * rnn.forward(Mode.TRAINING, batch, x, h, c, y, h, c);          // carry h, c (truncated BPTT)
 * linear.forward(yArray, rows, logits);
 * double loss = SoftmaxCrossEntropy.loss(logits, rows, classes, targets, dlogits);
 * linear.backward(yArray, dlogits, rows, dyArray);                // accumulates linear's gradients
 * rnn.backward(dy, null, null, null, null, null);                 // accumulates the Rnn's gradients
 * GradientClipping.byGlobalNorm(5.0, adam.gradients());
 * adam.step();
 * adam.zeroGradients();
 * }</pre>
 *
 * <p>Like {@code Rnn}, these objects are for one thread at a time.
 */
package dev.rnn4j.train;
