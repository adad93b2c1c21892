// One CPU backend per test class, opened before its first test and closed after its last: the
// JUnit extension the engine's tests register instead of repeating @BeforeAll/@AfterAll.
package org.panatrain.engine.model;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.cpu.CpuKernels;

/** {@code @RegisterExtension static final CpuBackend CPU = new CpuBackend(1);} then {@code CPU.kernels()}. */
public final class CpuBackend implements BeforeAllCallback, AfterAllCallback {
    private final int threads;
    private Kernels kernels;

    /** A backend with every processor (or panatrain.threads). */
    public CpuBackend() {
        this(0);
    }

    /** A backend with {@code threads} workers; 0 = the default. */
    public CpuBackend(int threads) {
        this.threads = threads;
    }

    public Kernels kernels() {
        return kernels;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        kernels = threads > 0 ? CpuKernels.create(threads) : CpuKernels.create();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        kernels.close();
    }
}
