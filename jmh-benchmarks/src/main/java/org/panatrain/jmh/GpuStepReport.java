// Whole GPT-2 training steps on the CUDA backend: step time, tokens/s and MFU (model FLOPs from the
// step's graph over the device's spec-sheet peak for the precision), and the device memory the
// model, step and optimizer took (cuMemGetInfo before and after the first step) next to the memory
// plan's peak, for the GPU check script.
// FP32 by default; TF32 when the JVM runs with -Dpanatrain.tf32=true (the script runs both).
// Leaves out data loading (fixed random tokens) and mixed precision.
package org.panatrain.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Random;
import org.panatrain.bindings.Cuda;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.engine.graph.RecomputePolicy;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Gpt2Config;
import org.panatrain.engine.model.Gpt2MemoryPlan;
import org.panatrain.engine.model.Gpt2Step;
import org.panatrain.engine.optim.AdamW;
import org.panatrain.engine.optim.AdamWConfig;
import org.panatrain.kernels.cuda.CudaKernels;
import org.panatrain.kernels.cuda.PeakRates;

/**
 * Usage: {@code java -cp benchmarks.jar org.panatrain.jmh.GpuStepReport [MODEL B T [STEPS]]}
 * (default gpt2 8 1024 10). One output line:
 * {@code step <model> <precision> B=<B> T=<T> <ms per step> ms <tokens/s> tok/s mfu <fraction>}, then
 * {@code memory <model> B=<B> T=<T> used <bytes> planned <bytes>} (planned: the plan's peak without
 * recompute; the backends' fixed workspaces come on top).
 * Exits 1 when a loss is not finite or the first is far from ln(V) (an untrained model on random tokens).
 */
public final class GpuStepReport {
    private static final int WARMUP = 3;

    private GpuStepReport() {
    }

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "gpt2";
        int b = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int t = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        Cuda.Availability a = Cuda.availability();
        if (!a.available()) {
            System.err.println("GpuStepReport: CUDA is not available: " + a.reason());
            System.exit(2);   // as gpu-check.sh: 2 = no CUDA
        }
        String precision = Boolean.getBoolean("panatrain.tf32") ? "tf32" : "fp32";
        Gpt2Config cfg = Gpt2Config.named(model);
        Random random = new Random(1);
        int[] inputs = random.ints((long) b * t, 0, cfg.vocabSize()).toArray();
        int[] targets = random.ints((long) b * t, 0, cfg.vocabSize()).toArray();
        try (CudaKernels k = CudaKernels.create(0)) {
            long freeBefore = freeDeviceBytes();
            try (Gpt2 gpt2 = Gpt2.create(cfg, k, 1); Gpt2Step step = gpt2.newStep(b, t);
                 AdamW opt = new AdamW(gpt2, AdamWConfig.defaults())) {
                run(model, precision, cfg, b, t, steps, k, step, opt, inputs, targets, freeBefore);
            }
        }
    }

    /** Times {@code steps} steps after the warm-up and prints the step and memory lines. */
    private static void run(String model, String precision, Gpt2Config cfg, int b, int t, int steps, CudaKernels k,
                            Gpt2Step step, AdamW opt, int[] inputs, int[] targets, long freeBefore) {
        float first = step(step, opt, inputs, targets);
        long used = freeBefore - freeDeviceBytes();
        if (!Float.isFinite(first) || Math.abs(first - Math.log(cfg.vocabSize())) > 1.0) {
            fail("first loss " + first + ", expected about ln(V) = " + Math.log(cfg.vocabSize()));
        }
        for (int i = 1; i < WARMUP; i++) {
            step(step, opt, inputs, targets);
        }
        long t0 = System.nanoTime();
        float last = Float.NaN;
        for (int i = 0; i < steps; i++) {
            last = step(step, opt, inputs, targets);   // the loss download waits for the step's work
        }
        double seconds = (System.nanoTime() - t0) / 1e9 / steps;
        if (!Float.isFinite(last)) {
            fail("loss " + last + " after " + steps + " steps");
        }
        Double peak = PeakRates.of(k.context().properties()).tflops().get(precision);
        double mfu = peak == null || peak == 0 ? Double.NaN : step.schedule().modelFlops() / seconds / (peak * 1e12);
        System.out.println(String.format(Locale.ROOT, "step %s %s B=%d T=%d %.1f ms %.0f tok/s mfu %.3f",
                model, precision, b, t, seconds * 1e3, b * t / seconds, mfu));
        long planned = Gpt2MemoryPlan.uniform(cfg, Gpt2MemoryPlan.FP32, b, t, RecomputePolicy.NONE, Long.MAX_VALUE).peakBytes();
        System.out.println(String.format(Locale.ROOT, "memory %s B=%d T=%d used %d planned %d", model, b, t, used, planned));
    }

    private static void fail(String why) {
        System.err.println("GpuStepReport: " + why);
        System.exit(1);
    }

    private static long freeDeviceBytes() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = a.allocate(ValueLayout.JAVA_LONG);
            CudaDriver.check(CudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
            return free.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private static float step(Gpt2Step step, AdamW opt, int[] inputs, int[] targets) {
        opt.zeroGrad();
        float loss = step.forwardBackward(inputs, targets, 1f);
        opt.clipGradNorm(1f);
        opt.step(3e-4f);
        return loss;
    }
}
