/**
 * Helpers the backends share (native status mapping, native-order direct memory, the C API's
 * descriptor). Not an API: no compatibility is promised, and application code should not use it.
 */
package dev.rnn4j.internal;
