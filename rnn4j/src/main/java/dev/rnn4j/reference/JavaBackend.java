package dev.rnn4j.reference;

import dev.rnn4j.RnnSpec;
import dev.rnn4j.spi.BackendProvider;
import dev.rnn4j.spi.RnnKernel;

/** The JAVA backend's registration ({@code META-INF/services}): always available. */
public final class JavaBackend implements BackendProvider {
    @Override
    public String name() {
        return "JAVA";
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public String describe() {
        return "pure-Java reference, double precision, single thread";
    }

    @Override
    public RnnKernel newKernel(RnnSpec spec) {
        return new JavaKernel(spec);
    }
}
