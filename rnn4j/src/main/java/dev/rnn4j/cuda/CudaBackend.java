package dev.rnn4j.cuda;

import dev.rnn4j.RnnSpec;
import dev.rnn4j.spi.BackendProvider;
import dev.rnn4j.spi.RnnKernel;

/**
 * The CUDA backend's registration ({@code META-INF/services}); probes on first use (see
 * {@link CudaSupport}). The GPU needs no host threads: {@link #setThreads} is ignored.
 */
public final class CudaBackend implements BackendProvider {
    @Override
    public String name() {
        return "CUDA";
    }

    @Override
    public String unavailableReason() {
        return CudaSupport.unavailableReason();
    }

    @Override
    public String describe() {
        return CudaSupport.describe();
    }

    @Override
    public RnnKernel newKernel(RnnSpec spec) {
        return new CudaKernel(spec);
    }
}
