package dev.rnn4j;

/**
 * The data gradients of a backward pass, as new arrays. Parameter gradients are accumulated in the
 * {@link Rnn}'s gradient buffer instead.
 *
 * @param dx gradient of the input {@code [T, N, I]} ({@code [N, T, I]} if batch-first); 0 at padded steps
 * @param dh0 gradient of the initial hidden state {@code [L*D, N, Ho]}
 * @param dc0 gradient of the initial cell state {@code [L*D, N, H]} for LSTM, null for the other cells
 */
public record BackwardResult(float[] dx, float[] dh0, float[] dc0) {}
