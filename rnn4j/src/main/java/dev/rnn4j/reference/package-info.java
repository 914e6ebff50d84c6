/**
 * The pure-Java reference implementation of rnn4j: {@link dev.rnn4j.reference.ReferenceRnn}, the
 * forward pass and backpropagation through time of every {@link dev.rnn4j.RnnSpec}, in
 * {@code double}, written as the readable specification of docs/DESIGN.md §1 and used as the oracle
 * every native kernel is compared with, and as the fallback where no native library loads.
 *
 * <p>One class per concern: {@code RecurrentCell} (the affine part every cell shares and its
 * gradient), {@code ElmanCell} ({@code RNN_TANH}, {@code RNN_RELU}), {@code LstmCell} and
 * {@code GruCell} (each cell's step forward and step backward over named indices), and
 * {@code ReferenceRnn} (the driver over layers, directions, sequences and steps, plus argument
 * checks).
 */
package dev.rnn4j.reference;
