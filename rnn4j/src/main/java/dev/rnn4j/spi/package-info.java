/**
 * The backend boundary: {@link dev.rnn4j.spi.BackendProvider} (how {@link dev.rnn4j.Backend} finds
 * a backend, registered through {@link java.util.ServiceLoader}) and {@link dev.rnn4j.spi.RnnKernel}
 * (the computation behind one {@link dev.rnn4j.Rnn}). Not for application code.
 */
package dev.rnn4j.spi;
