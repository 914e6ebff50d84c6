package dev.rnn4j.cpu;

import dev.rnn4j.RnnSpec;
import dev.rnn4j.spi.BackendProvider;
import dev.rnn4j.spi.RnnKernel;

/** The CPU backend's registration ({@code META-INF/services}); probes on first use (see {@link CpuKernel}). */
public final class CpuBackend implements BackendProvider {
    @Override
    public String name() {
        return "CPU";
    }

    @Override
    public String unavailableReason() {
        return CpuKernel.unavailableReason();
    }

    @Override
    public String describe() {
        return CpuKernel.describe();
    }

    @Override
    public RnnKernel newKernel(RnnSpec spec) {
        return new CpuKernel(spec);
    }

    @Override
    public void setThreads(int threads) {
        CpuKernel.setThreads(threads);
    }

    @Override
    public int threads() {
        return CpuKernel.threads();
    }
}
