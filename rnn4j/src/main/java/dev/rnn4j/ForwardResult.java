package dev.rnn4j;

/**
 * The outputs of a forward pass, as new arrays.
 *
 * @param y output {@code [T, N, D*Ho]} ({@code [N, T, D*Ho]} if batch-first); 0 at padded steps
 * @param hN final hidden state {@code [L*D, N, Ho]}
 * @param cN final cell state {@code [L*D, N, H]} for LSTM, null for the other cells
 */
public record ForwardResult(float[] y, float[] hN, float[] cN) {}
