// The CUDA backend of the Kernels interface: every op but the matrix products runs a PTX kernel of
// native-src (loaded once per backend), the products run on cuBLASLt (the context's CudaMatmul). All work goes to
// one stream; nothing is copied to the host except by download(). Scratch space (attention's
// per-head copies, the partial sums of the deterministic reductions) lives in one device arena
// that grows to the largest request and is then reused (with dropout, the attention's dropped
// probabilities too), so a training step allocates no device memory once the first step has run;
// nor anything on the Java heap: launch grids are ints, partial sums are raw scratch addresses,
// attention keeps its head views and one shape object, lists are walked by index. FP8 is the
// scaled casts into it (castToFp8, castTransposeToFp8; the FP8 matmul is CudaMatmul's); leaves
// out multi-GPU.
package org.panatrain.kernels.cuda;

import static org.panatrain.bindings.CudaDriver.check;
import static org.panatrain.kernels.cuda.KernelLauncher.BLOCK;
import static org.panatrain.kernels.cuda.KernelLauncher.address;
import static org.panatrain.kernels.cuda.KernelLauncher.ceilDiv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.panatrain.bindings.CudaDriver;
import org.panatrain.bindings.CudaStream;
import org.panatrain.bindings.DeviceProperties;
import org.panatrain.kernels.AdamWStep;
import org.panatrain.kernels.DynamicQuantization;
import org.panatrain.kernels.Kernels;
import org.panatrain.kernels.Philox;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.Tensor;

/**
 * Kernels on one CUDA device. Tensors must be device tensors (from a {@link DeviceArena}); float
 * tensors may be FP32, BF16 or FP16, with mean/rstd, losses, AdamW's master weights and moments,
 * and the norm and flag outputs in FP32.
 *
 * <pre>{@code
 * try (CudaKernels k = CudaKernels.create(0);                       // device 0
 *      DeviceArena arena = DeviceArena.allocate("demo", 1 << 20)) {
 *     Tensor x = arena.allocate(DType.BF16, N, C);   // (N, C)
 *     k.fill(x, 1f);
 *     k.geluForward(x, x);
 * }
 * }</pre>
 */
public final class CudaKernels implements Kernels {
    /** Block size of the final norm reduction; fixed (not the device's maximum) for the same reason. */
    private static final int NORM_FINAL_BLOCK = 1024;

    /** -Dpanatrain.tf32=true lets FP32 matmuls use TF32 tensor cores (faster, ~1e-3 relative error). */
    private static final boolean TF32 = Boolean.getBoolean("panatrain.tf32");

    private final CudaContext context;
    private final CudaStream stream;
    private final PtxModules modules;
    private final KernelLauncher launcher;
    private final String name;
    private DeviceArena workspace; // scratch; replaced by a larger one when an op needs more
    private Tensor[] heads = new Tensor[0];   // the attention's (B*NH, T, HS) scratch views, kept while they fit
    private Tensor droppedProbs;              // (B*NH, T, T) attention dropout's probabilities, after the heads
    private DeviceArena headsArena;           // the scratch arena they view
    private final AttentionShape attention = new AttentionShape(); // the shape of the attention call running
    private DeviceArena quantizationMapsArena; // adamW8bit's maps, allocated on its first call
    private Tensor quantizationMaps;

    private CudaKernels(CudaContext context, PtxModules modules) {
        this.context = context;
        this.stream = context.stream();
        this.modules = modules;
        DeviceProperties device = context.properties();
        this.launcher = new KernelLauncher(modules, stream, device.smCount(), maxThreadsPerBlock(device.ordinal()));
        this.name = "cuda:" + device.ordinal() + " " + device.name();
    }

    /**
     * The backend on device {@code ordinal}: opens a {@link CudaContext} (current on the calling
     * thread from now on, closed with this backend) and JIT-loads the PTX.
     */
    public static CudaKernels create(int ordinal) {
        CudaContext context = CudaContext.open(ordinal);
        PtxModules modules = null;
        try {
            modules = new PtxModules();
            return new CudaKernels(context, modules);
        } catch (RuntimeException e) {
            if (modules != null) {
                modules.close();
            }
            context.close();
            throw e;
        }
    }

    /** The context: its stream, its cuBLASLt matmuls (for precisions and epilogues beyond Kernels.matmul). */
    public CudaContext context() {
        return context;
    }

    private static int maxThreadsPerBlock(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dev = a.allocate(ValueLayout.JAVA_INT);
            check(CudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
            MemorySegment value = a.allocate(ValueLayout.JAVA_INT);
            check(CudaDriver.cuDeviceGetAttribute(value, CudaDriver.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                    dev.get(ValueLayout.JAVA_INT, 0)), "cuDeviceGetAttribute(MAX_THREADS_PER_BLOCK)");
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Tensor.Location location() {
        return Tensor.Location.DEVICE;
    }

    // ---- memory -------------------------------------------------------------------------------

    @Override
    public void fill(Tensor t, float value) {
        launcher.gridStride(PtxKernel.FILL.symbol(t.dtype()), packs(t)).arg(t).arg(t.numel())
                .arg(value).go();
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        requireSameType(dst, src);
        launcher.gridStride(PtxKernel.COPY_BYTES.base, ceilDiv(dst.byteSize(), 16)).arg(dst)
                .arg(src).arg(dst.byteSize()).go();
    }

    @Override
    public void accumulate(Tensor dst, Tensor src) {
        requireSameType(dst, src);
        launcher.gridStride(PtxKernel.ACCUMULATE.symbol(dst.dtype()), packs(dst)).arg(dst).arg(src)
                .arg(dst.numel()).go();
    }

    @Override
    public void scale(Tensor dst, float factor) {
        launcher.gridStride(PtxKernel.SCALE.symbol(dst.dtype()), packs(dst)).arg(dst)
                .arg(dst.numel()).arg(factor).go();
    }

    /**
     * dst = src converted to dst's dtype (FP32, BF16, FP16; round to nearest even); when {@code amax}
     * (1) FP32 is not null, amax[0] = max(amax[0], max |src|): zero it first to get the max of src alone.
     */
    public void cast(Tensor dst, Tensor src, Tensor amax) {
        requireSameCount(dst, src);
        if (amax != null) {
            requireType(amax, DType.FP32);
        }
        if (dst.dtype() == src.dtype()) {
            throw new IllegalArgumentException("cast from " + src.dtype() + " to itself: use copy");
        }
        launcher.gridStride(PtxKernel.CAST.symbol(src.dtype(), dst.dtype()), ceilDiv(dst.numel(), 8))
                .arg(dst).arg(src).arg(dst.numel()).arg(amax).go();
    }

    /**
     * dst (FP8: E4M3 or E5M2) = fp8(sat(src * scale[0])), the delayed-scaling recipe's cast: round to
     * nearest even, clamped to the format's largest finite value (infinities too), NaN kept; when
     * {@code amax} (1) FP32 is not null, amax[0] = max(amax[0], max |src|) of the unscaled values.
     * {@code scale} is a (1) FP32 device tensor, so a scale the device updates needs no host trip.
     */
    public void castToFp8(Tensor dst, Tensor src, Tensor scale, Tensor amax) {
        requireSameCount(dst, src);
        requireType(scale, DType.FP32);
        if (amax != null) {
            requireType(amax, DType.FP32);
        }
        launcher.gridStride(PtxKernel.CAST_FP8.symbol(src.dtype(), dst.dtype()), dst.numel())
                .arg(dst).arg(src).arg(dst.numel()).arg(scale).arg(amax).go();
    }

    /**
     * dst (C,R) = the {@link #castToFp8} of src (R,C) transposed, with the amax of src: the FP8
     * copy in the layout {@link CudaMatmul#matmulFp8} needs for its b operand (stored (N,K)).
     * Tensors of any rank are read as (rows, last dimension).
     */
    public void castTransposeToFp8(Tensor dst, Tensor src, Tensor scale, Tensor amax) {
        int rows = src.rows(), cols = src.dim(-1);
        if (dst.rows() != cols || dst.dim(-1) != rows) {
            throw new IllegalArgumentException("castTransposeToFp8: dst " + dst + " is not the transpose of src " + src);
        }
        requireType(scale, DType.FP32);
        if (amax != null) {
            requireType(amax, DType.FP32);
        }
        launcher.kernel(PtxKernel.CAST_TRANSPOSE_FP8.symbol(src.dtype(), dst.dtype()), Math.toIntExact(ceilDiv(cols, 32)),
                        Math.toIntExact(ceilDiv(rows, 32)), 256)
                .arg(dst).arg(src).arg(rows).arg(cols).arg(scale).arg(amax).go();
    }

    // ---- embedding ----------------------------------------------------------------------------

    @Override
    public void encoderForward(Tensor out, Tensor tokens, Tensor wte, Tensor wpe) {
        requireType(tokens, DType.INT32);
        requireSameDtype(out, wte, wpe);
        int B = tokens.dim(0), T = tokens.dim(1), C = wte.dim(-1);
        launcher.gridStride(PtxKernel.ENCODER_FORWARD.symbol(out.dtype()), packs(out)).arg(out)
                .arg(tokens).arg(wte).arg(wpe).arg(B).arg(T).arg(C).go();
    }

    @Override
    public void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens) {
        requireType(tokens, DType.INT32);
        requireSameDtype(dout, dwte, dwpe);
        int B = tokens.dim(0), T = tokens.dim(1), C = dwte.dim(-1);
        int N = B * T;
        // One block per (position, 256 channels); the kernel's shared arrays assume exactly 256 threads.
        launcher.kernel(PtxKernel.ENCODER_BACKWARD_WTE.symbol(dout.dtype()), N, LaunchGrids.blocksFor(C), BLOCK)
                .arg(dwte).arg(dout).arg(tokens).arg(N).arg(C).go();
        launcher.kernel(PtxKernel.ENCODER_BACKWARD_WPE.symbol(dout.dtype()), LaunchGrids.blocksFor((long) T * C), 1, BLOCK)
                .arg(dwpe).arg(dout).arg(B).arg(T).arg(C).go();
    }

    // ---- layernorm ----------------------------------------------------------------------------

    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor inp, Tensor weight, Tensor bias) {
        requireSameDtype(inp, out, weight, bias);
        requireType(mean, DType.FP32);
        requireType(rstd, DType.FP32);
        int N = inp.rows(), C = inp.dim(-1);
        launcher.warpPerRow(PtxKernel.LAYERNORM_FORWARD.symbol(inp.dtype()), N).arg(out).arg(mean)
                .arg(rstd).arg(inp).arg(weight).arg(bias).arg(N).arg(C).go();
    }

    /**
     * The fused residual + layernorm forward: residual (N,C) = a + b, then out (N,C) = layernorm of
     * residual, saving mean (N) and rstd (N) as {@link #layerNormForward} does. residual may alias a.
     */
    public void residualLayerNormForward(Tensor residual, Tensor out, Tensor mean, Tensor rstd, Tensor a, Tensor b,
                                         Tensor weight, Tensor bias) {
        requireSameDtype(a, b, residual, out, weight, bias);
        requireType(mean, DType.FP32);
        requireType(rstd, DType.FP32);
        int N = a.rows(), C = a.dim(-1);
        launcher.warpPerRow(PtxKernel.RESIDUAL_LAYERNORM_FORWARD.symbol(a.dtype()), N).arg(residual)
                .arg(out).arg(mean).arg(rstd).arg(a).arg(b).arg(weight).arg(bias).arg(N).arg(C).go();
    }

    @Override
    public void layerNormBackward(Tensor dinp, Tensor dweight, Tensor dbias, Tensor dout, Tensor inp, Tensor weight,
                                  Tensor mean, Tensor rstd) {
        requireSameDtype(dout, dinp, inp, weight, dweight, dbias);
        int N = inp.rows(), C = inp.dim(-1);
        launcher.warpPerRow(PtxKernel.LAYERNORM_BACKWARD_INPUT.symbol(dout.dtype()), N).arg(dinp)
                .arg(dout).arg(inp).arg(weight).arg(mean).arg(rstd).arg(N).arg(C).go();
        int chunks = LaunchGrids.rowChunkCount(N), chunkRows = LaunchGrids.rowChunkRows(N);
        long partials = scratchAddress(1, 8L * chunks * C); // (chunks, 2C) FP32: dweight | dbias
        columnLaunch(PtxKernel.LAYERNORM_BACKWARD_PARAMS_PARTIAL.symbol(dout.dtype()), C, chunks)
                .arg(partials).arg(dout).arg(inp).arg(mean).arg(rstd).arg(N).arg(C).arg(chunkRows).go();
        String finalize = PtxKernel.COLUMN_SUMS_FINALIZE.symbol(dweight.dtype());
        columnLaunch(finalize, C, 1).arg(dweight).arg(partials).arg(chunks).arg(C).arg(2 * C).go();
        columnLaunch(finalize, C, 1).arg(dbias).arg(partials + 4L * C).arg(chunks).arg(C).arg(2 * C).go();
    }

    // ---- matmul -------------------------------------------------------------------------------

    @Override
    public void matmul(Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, Tensor bias, boolean accumulate) {
        context.matmul().matmul(out, a, transA, b, transB, bias, accumulate, TF32);
    }

    @Override
    public void biasBackward(Tensor dbias, Tensor dout) {
        requireSameDtype(dout, dbias);
        int N = dout.rows(), OC = dout.dim(-1);
        int chunks = LaunchGrids.rowChunkCount(N), chunkRows = LaunchGrids.rowChunkRows(N);
        long partials = scratchAddress(1, 4L * chunks * OC); // (chunks, OC) FP32
        columnLaunch(PtxKernel.COLUMN_SUMS_PARTIAL.symbol(dout.dtype()), OC, chunks)
                .arg(partials).arg(dout).arg(N).arg(OC).arg(chunkRows).go();
        columnLaunch(PtxKernel.COLUMN_SUMS_FINALIZE.symbol(dbias.dtype()), OC, 1).arg(dbias)
                .arg(partials).arg(chunks).arg(OC).arg(OC).go();
    }

    // ---- attention ----------------------------------------------------------------------------

    /**
     * out (B*NH,m,n) = op(a) @ op(b) per head of the current {@link #attention} shape, in the
     * precision of out's dtype; the tensors are read as B*NH contiguous matrices whatever their
     * rank (the (B,NH,T,T) probabilities included), so no reshaped view is made per call.
     */
    private void batched(Tensor out, Tensor a, boolean transA, Tensor b, boolean transB, int m, int n, int k) {
        CudaMatmul.Precision p = switch (out.dtype()) {
            case FP32 -> TF32 ? CudaMatmul.Precision.TF32 : CudaMatmul.Precision.FP32;
            case BF16 -> CudaMatmul.Precision.BF16;
            case FP16 -> CudaMatmul.Precision.FP16;
            default -> throw new IllegalArgumentException("attention in " + out.dtype() + " is not supported");
        };
        context.matmul().matmulStrided(p, out, a, transA, b, transB, attention.BNH(), m, n, k, 1f, false);
    }

    @Override
    public void attentionForward(Tensor out, Tensor att, Tensor qkv, int numHeads, float dropout, long seed) {
        AttentionShape s = attention.of(qkv, numHeads);
        requireSameDtype(qkv, out, att);
        Tensor[] h = heads(4, qkv.dtype(), s, dropout > 0); // q, k, v, y: each (B*NH, T, HS)
        Tensor q = h[0], k = h[1], v = h[2], y = h[3];
        Tensor scores = att;                                  // (B*NH, T, T) whatever att's rank
        long perElement = s.headsNumel();           // one thread per element of a (B*NH, T, HS) tensor
        launcher.gridStride(PtxKernel.ATTENTION_SPLIT_HEADS.symbol(qkv.dtype()), perElement).arg(q).arg(k).arg(v)
                .arg(qkv).arg(s.B()).arg(s.T()).arg(s.NH()).arg(s.HS()).go();
        batched(scores, q, false, k, true, s.T(), s.T(), s.HS());   // preatt = q k^T
        launcher.warpPerRow(PtxKernel.ATTENTION_SOFTMAX_FORWARD.symbol(qkv.dtype()), (long) s.BNH() * s.T())
                .arg(scores).arg(scores).arg(s.BNH()).arg(s.T()).arg(s.scale()).go();
        if (dropout > 0) {
            dropout(droppedProbs, scores, dropout, seed, false);
            batched(y, droppedProbs, false, v, false, s.T(), s.HS(), s.T());   // y = dropout(att) v
        } else {
            batched(y, scores, false, v, false, s.T(), s.HS(), s.T());         // y = att v
        }
        launcher.gridStride(PtxKernel.ATTENTION_HEADS_TO_ROWS.symbol(qkv.dtype()), perElement).arg(out).arg(y).arg(s.B())
                .arg(s.T()).arg(s.NH()).arg(s.HS()).go();
    }

    @Override
    public void attentionBackward(Tensor dqkv, Tensor scratch, Tensor dout, Tensor qkv, Tensor att, int numHeads,
                                  float dropout, long seed) {
        AttentionShape s = attention.of(qkv, numHeads);
        requireSameDtype(qkv, dqkv, scratch, dout, att);
        Tensor[] h = heads(7, qkv.dtype(), s, dropout > 0); // q, k, v, dq, dk, dv, dy: each (B*NH, T, HS)
        Tensor q = h[0], k = h[1], v = h[2], dq = h[3], dk = h[4], dv = h[5], dy = h[6];
        Tensor probs = att;                                   // (B*NH, T, T) whatever att's rank
        Tensor dscores = scratch;                             // likewise
        long perElement = s.headsNumel();           // one thread per element of a (B*NH, T, HS) tensor
        launcher.gridStride(PtxKernel.ATTENTION_SPLIT_HEADS.symbol(qkv.dtype()), perElement).arg(q).arg(k).arg(v)
                .arg(qkv).arg(s.B()).arg(s.T()).arg(s.NH()).arg(s.HS()).go();
        launcher.gridStride(PtxKernel.ATTENTION_ROWS_TO_HEADS.symbol(qkv.dtype()), perElement).arg(dy).arg(dout)
                .arg(s.B()).arg(s.T()).arg(s.NH()).arg(s.HS()).go();
        batched(dscores, dy, false, v, true, s.T(), s.T(), s.HS());   // datt = dy v^T
        if (dropout > 0) {
            dropout(dscores, dscores, dropout, seed, false);  // d(dropped att) -> d(att): the forward's mask
        }
        launcher.warpPerRow(PtxKernel.ATTENTION_SOFTMAX_BACKWARD.symbol(qkv.dtype()), (long) s.BNH() * s.T())
                .arg(dscores).arg(probs).arg(s.BNH()).arg(s.T()).arg(s.scale()).go();          // dpreatt, scale included
        batched(dq, dscores, false, k, false, s.T(), s.HS(), s.T());  // dq = dpreatt k
        batched(dk, dscores, true, q, false, s.T(), s.HS(), s.T());   // dk = dpreatt^T q
        if (dropout > 0) {
            dropout(droppedProbs, probs, dropout, seed, false);
            batched(dv, droppedProbs, true, dy, false, s.T(), s.HS(), s.T());  // dv = dropout(att)^T dy
        } else {
            batched(dv, probs, true, dy, false, s.T(), s.HS(), s.T());         // dv = att^T dy
        }
        launcher.gridStride(PtxKernel.ATTENTION_MERGE_HEADS_GRAD.symbol(qkv.dtype()), perElement).arg(dqkv).arg(dq)
                .arg(dk).arg(dv).arg(s.B()).arg(s.T()).arg(s.NH()).arg(s.HS()).go();
    }

    // ---- pointwise ----------------------------------------------------------------------------

    @Override
    public void geluForward(Tensor out, Tensor inp) {
        requireSameType(out, inp);
        launcher.gridStride(PtxKernel.GELU_FORWARD.symbol(out.dtype()), packs(out)).arg(out)
                .arg(inp).arg(out.numel()).go();
    }

    @Override
    public void geluBackward(Tensor dinp, Tensor inp, Tensor dout) {
        requireSameType(dinp, inp);
        requireSameType(dinp, dout);
        launcher.gridStride(PtxKernel.GELU_BACKWARD.symbol(dinp.dtype()), packs(dinp)).arg(dinp)
                .arg(inp).arg(dout).arg(dinp.numel()).go();
    }

    @Override
    public void add(Tensor out, Tensor a, Tensor b) {
        requireSameType(out, a);
        requireSameType(out, b);
        launcher.gridStride(PtxKernel.ADD.symbol(out.dtype()), packs(out)).arg(out).arg(a).arg(b)
                .arg(out.numel()).go();
    }

    @Override
    public void dropout(Tensor out, Tensor inp, float p, long seed, boolean accumulate) {
        requireSameType(out, inp);
        if (p == 0f) {   // every element kept, times 1: the same bits as a copy (evaluation runs here)
            if (accumulate) {
                accumulate(out, inp);
            } else if (address(out) != address(inp)) {
                copy(out, inp);
            }
            return;
        }
        int threshold = (int) Philox.threshold(p);   // unsigned in the kernel
        launcher.gridStride(PtxKernel.DROPOUT.symbol(out.dtype()), ceilDiv(out.numel(), 4)).arg(out)
                .arg(inp).arg(out.numel()).arg(seed).arg(threshold).arg(Philox.keepScale(p)).arg(accumulate ? 1 : 0).go();
    }

    // ---- loss ---------------------------------------------------------------------------------

    @Override
    public void crossEntropy(Tensor losses, Tensor logits, Tensor targets, float dlossScale) {
        requireType(losses, DType.FP32);
        requireType(targets, DType.INT32);
        int N = logits.rows(), V = logits.dim(-1);
        launcher.kernel(PtxKernel.CROSS_ENTROPY.symbol(logits.dtype()), N, 1, launcher.largeBlock())
                .arg(losses).arg(logits).arg(targets).arg(N).arg(V).arg(dlossScale).go();
    }

    // ---- optimizer ----------------------------------------------------------------------------

    @Override
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStep step) {
        adamW(param, grad, m, v, null, step);
    }

    /**
     * {@link #adamW(Tensor, Tensor, Tensor, Tensor, AdamWStep)} that also writes the updated weights,
     * rounded to grad's dtype, into {@code workingCopy} (or nothing when it is null).
     */
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor workingCopy, AdamWStep step) {
        requireType(param, DType.FP32);
        requireType(m, DType.FP32);
        requireType(v, DType.FP32);
        requireSameCount(param, grad);
        if (workingCopy != null) {
            requireSameType(workingCopy, grad);
        }
        // The scalars in double, as PyTorch computes them on the host.
        float decay = (float) (1 - (double) step.lr() * step.weightDecay());
        float stepSize = (float) (step.lr() / (1 - Math.pow(step.beta1(), step.t())));
        float sqrtBc2 = (float) Math.sqrt(1 - Math.pow(step.beta2(), step.t()));
        launcher.gridStride(PtxKernel.ADAMW.symbol(grad.dtype()), ceilDiv(param.numel(), 4))
                .arg(param).arg(grad).arg(m).arg(v).arg(workingCopy).arg(param.numel()).arg(step.beta1()).arg(step.beta2())
                .arg(step.eps()).arg(decay).arg(stepSize).arg(sqrtBc2).go();
    }

    // ---- optimizers beyond AdamW: Lion, Adafactor, 8-bit AdamW ----------------------------------

    @Override
    public void lion(Tensor param, Tensor grad, Tensor m, float lr, float beta1, float beta2, float weightDecay) {
        requireType(param, DType.FP32);
        requireType(m, DType.FP32);
        requireSameCount(param, grad);
        requireSameCount(param, m);
        launcher.gridStride(PtxKernel.LION.symbol(grad.dtype()), ceilDiv(param.numel(), 4))
                .arg(param).arg(grad).arg(m).arg(param.numel()).arg(lr).arg(beta1).arg(beta2)
                .arg(1f - lr * weightDecay).go();
    }

    @Override
    public void adafactorMoments(Tensor grad, Tensor row, Tensor column, float beta2t, float eps1) {
        requireType(row, DType.FP32);
        if (column == null) {
            requireSameCount(row, grad);
            launcher.gridStride(PtxKernel.ADAFACTOR_VECTOR_MOMENTS.symbol(grad.dtype()), grad.numel())
                    .arg(row).arg(grad).arg(grad.numel()).arg(beta2t).arg(eps1).go();
            return;
        }
        int cols = grad.dim(-1);
        int rows = adafactorRows(grad, row, column);
        launcher.warpPerRow(PtxKernel.ADAFACTOR_ROW_MOMENTS.symbol(grad.dtype()), rows).arg(row)
                .arg(grad).arg(rows).arg(cols).arg(beta2t).arg(eps1).go();
        int chunks = LaunchGrids.rowChunkCount(rows), chunkRows = LaunchGrids.rowChunkRows(rows);
        long partials = scratchAddress(1, 4L * chunks * cols); // (chunks, cols) FP32
        columnLaunch(PtxKernel.ADAFACTOR_COLUMN_PARTIAL.symbol(grad.dtype()), cols, chunks)
                .arg(partials).arg(grad).arg(rows).arg(cols).arg(chunkRows).arg(eps1).go();
        columnLaunch(PtxKernel.ADAFACTOR_COLUMN_FINALIZE.base, cols, 1).arg(column).arg(partials)
                .arg(chunks).arg(rows).arg(cols).arg(beta2t).go();
    }

    @Override
    public void adafactorUpdate(Tensor param, Tensor grad, Tensor row, Tensor column, float lr, float weightDecay,
                                float clipThreshold) {
        requireType(param, DType.FP32);
        requireType(row, DType.FP32);
        requireSameCount(param, grad);
        int rows;
        int cols;
        if (column == null) {
            requireSameCount(row, grad);
            rows = 1;
            cols = 1;
        } else {
            rows = adafactorRows(grad, row, column);
            cols = grad.dim(-1);
        }
        int blocks = normPartials(grad);
        long bytesEach = 4L * Math.max(2, blocks);
        long stats = scratchAddress(2, bytesEach);              // (2) FP32: sum of row, sum of u^2
        long partials = stats + aligned(bytesEach);             // (blocks) FP32
        if (column != null) {
            launcher.kernel(PtxKernel.GLOBAL_NORM_FINAL.base, 1, 1, NORM_FINAL_BLOCK).arg(stats).arg(row)
                    .arg(rows).go();
        }
        launcher.kernel(PtxKernel.ADAFACTOR_SQUARES_PARTIAL.symbol(grad.dtype()), blocks, 1, BLOCK)
                .arg(partials).arg(grad).arg(row).arg(column).arg(stats).arg(grad.numel()).arg(rows).arg(cols).go();
        launcher.kernel(PtxKernel.GLOBAL_NORM_FINAL.base, 1, 1, NORM_FINAL_BLOCK).arg(stats + 4)
                .arg(partials).arg(blocks).go();
        launcher.gridStride(PtxKernel.ADAFACTOR_APPLY.symbol(grad.dtype()), grad.numel()).arg(param)
                .arg(grad).arg(row).arg(column).arg(stats).arg(grad.numel()).arg(rows).arg(cols).arg(lr)
                .arg(clipThreshold).arg(1f - lr * weightDecay).go();
    }

    /** Rows of grad read as a matrix, after checking that row and column hold one FP32 per row and column. */
    private static int adafactorRows(Tensor grad, Tensor row, Tensor column) {
        requireType(column, DType.FP32);
        int rows = Math.toIntExact(grad.numel() / grad.dim(-1));
        if (grad.rank() < 2 || row.numel() != rows || column.numel() != grad.dim(-1)) {
            throw new IllegalArgumentException("adafactor: row " + row + " and column " + column
                    + " must hold one float per row and per column of " + grad);
        }
        return rows;
    }

    @Override
    public void adamW8bit(Tensor param, Tensor grad, Tensor codesM, Tensor absmaxM, Tensor codesV, Tensor absmaxV,
                          int block, float lr, float beta1, float beta2, float eps, float weightDecay, int t) {
        requireType(param, DType.FP32);
        requireType(codesM, DType.INT8);
        requireType(codesV, DType.INT8);
        requireType(absmaxM, DType.FP32);
        requireType(absmaxV, DType.FP32);
        requireSameCount(param, grad);
        requireSameCount(param, codesM);
        requireSameCount(param, codesV);
        long blocks = ceilDiv(param.numel(), Math.max(1, block));
        if (block < 1 || t < 1 || absmaxM.numel() != blocks || absmaxV.numel() != blocks) {
            throw new IllegalArgumentException("adamW8bit: block " + block + " and t " + t + " must be positive, absmax "
                    + absmaxM + " and " + absmaxV + " must hold " + blocks + " blocks");
        }
        // The bias corrections in double, as the CPU backend computes them.
        float correction1 = (float) (1 - Math.pow(beta1, t));
        float correction2 = (float) (1 - Math.pow(beta2, t));
        // one thread block per quantization block up to a device-filling grid, which then strides over the rest:
        // each thread block loads the maps into shared memory once
        launcher.gridStride(PtxKernel.ADAMW8BIT.symbol(grad.dtype()), blocks * BLOCK).arg(param)
                .arg(grad).arg(codesM).arg(absmaxM).arg(codesV).arg(absmaxV).arg(quantizationMaps())
                .arg(param.numel()).arg(block).arg(lr).arg(beta1).arg(beta2).arg(eps).arg(weightDecay)
                .arg(correction1).arg(correction2).go();
    }

    /**
     * DynamicQuantization's tables on the device, uploaded on first use: signed values, signed
     * boundaries (255 and one unused), unsigned values, unsigned boundaries; 256 floats each.
     */
    private Tensor quantizationMaps() {
        if (quantizationMaps == null) {
            int size = 256;
            float[][] tables = {DynamicQuantization.SIGNED.values(), DynamicQuantization.SIGNED.boundaries(),
                    DynamicQuantization.UNSIGNED.values(), DynamicQuantization.UNSIGNED.boundaries()};
            DeviceArena arena = DeviceArena.allocate("cuda-kernels quantization maps", 4L * tables.length * size);
            try (Arena host = Arena.ofConfined()) {
                MemorySegment bytes = host.allocate(4L * tables.length * size);
                for (int k = 0; k < tables.length; k++) {
                    MemorySegment.copy(tables[k], 0, bytes, ValueLayout.JAVA_FLOAT, 4L * k * size, tables[k].length);
                }
                Tensor maps = arena.allocate(DType.FP32, tables.length * size);
                upload(maps, Tensor.host(bytes, DType.FP32, tables.length * size));
                quantizationMapsArena = arena;
                quantizationMaps = maps;
            } catch (RuntimeException e) {
                arena.close();
                throw e;
            }
        }
        return quantizationMaps;
    }

    @Override
    public void sumOfSquares(Tensor out, List<Tensor> tensors) {
        requireType(out, DType.FP32);
        int count = 0;
        for (int i = 0; i < tensors.size(); i++) {   // index loops: no iterator per call
            count += normPartials(tensors.get(i));
        }
        long partials = scratchAddress(1, 4L * Math.max(1, count)); // FP32, one per block of every tensor
        long offset = 0;
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            int blocks = normPartials(t);
            launcher.kernel(PtxKernel.GLOBAL_NORM_PARTIAL.symbol(t.dtype()), blocks, 1, BLOCK)
                    .arg(partials + 4 * offset).arg(t).arg(t.numel()).go();
            offset += blocks;
        }
        launcher.kernel(PtxKernel.GLOBAL_NORM_FINAL.base, 1, 1, NORM_FINAL_BLOCK).arg(out).arg(partials)
                .arg(count).go();
    }

    @Override
    public void clipByGlobalNorm(List<Tensor> tensors, Tensor sumOfSquares, float maxNorm) {
        requireType(sumOfSquares, DType.FP32);
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            launcher.gridStride(PtxKernel.CLIP_BY_GLOBAL_NORM.symbol(t.dtype()), packs(t)).arg(t)
                    .arg(t.numel()).arg(sumOfSquares).arg(maxNorm).go();
        }
    }

    @Override
    public void checkFinite(Tensor flag, List<Tensor> tensors) {
        requireType(flag, DType.FP32);
        fill(flag, 0f);
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            launcher.gridStride(PtxKernel.CHECK_FINITE.symbol(t.dtype()), packs(t)).arg(flag).arg(t)
                    .arg(t.numel()).go();
        }
    }

    // ---- host transfer ------------------------------------------------------------------------

    @Override
    public void upload(Tensor dst, Tensor hostSrc) {
        requireHost(hostSrc);
        DeviceMemory.copyAsync(dst, hostSrc, stream);
        stream.synchronize();
    }

    @Override
    public void download(Tensor hostDst, Tensor src) {
        requireHost(hostDst);
        DeviceMemory.copyAsync(hostDst, src, stream);
        stream.synchronize();
    }

    /** Waits for every op queued so far (e.g. before reading a timer). */
    public void synchronize() {
        stream.synchronize();
    }

    /** Frees the scratch, the modules and the launch arguments, then closes the context. */
    @Override
    public void close() {
        try {
            if (CudaDriver.stickyError() == null) {
                stream.synchronize();
            }
        } finally {
            try {
                if (workspace != null) {
                    workspace.close();
                }
                if (quantizationMapsArena != null) {
                    quantizationMapsArena.close();
                }
                launcher.close();
                modules.close();
            } finally {
                context.close();
            }
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /**
     * The scratch arena, emptied, able to hold {@code count} buffers of {@code bytesEach} bytes. It
     * is replaced by a larger one when a request does not fit; that waits for queued work, which
     * may still read the old scratch. Ops reuse the same scratch one after another: the stream
     * runs them in order.
     */
    private DeviceArena scratch(int count, long bytesEach) {
        return scratch(count, bytesEach, 0);
    }

    /** {@link #scratch(int, long)} with room for one more buffer of {@code extraBytes}. */
    private DeviceArena scratch(int count, long bytesEach, long extraBytes) {
        long need = count * aligned(bytesEach) + aligned(extraBytes);
        if (workspace == null || workspace.capacity() < need) {
            if (workspace != null) {
                stream.synchronize();
                workspace.close();
            }
            workspace = DeviceArena.allocate("cuda-kernels scratch", need);
        }
        workspace.reset();
        return workspace;
    }

    /**
     * The device address of {@link #scratch(int, long)}'s arena: buffer i of the {@code count} starts
     * at i * {@link #aligned}(bytesEach) from it. Partial sums go there as raw addresses (kernel
     * arguments only), so a call makes no Tensor.
     */
    private long scratchAddress(int count, long bytesEach) {
        return scratch(count, bytesEach).baseAddress();
    }

    /** {@code bytes} rounded up to the scratch arena's alignment: the distance between its buffers. */
    private static long aligned(long bytes) {
        return ceilDiv(bytes, DeviceArena.ALIGNMENT) * DeviceArena.ALIGNMENT;
    }

    /**
     * At least {@code count} (B*NH, T, HS) tensors of {@code dtype} in the scratch arena, one after
     * another from its start, and with {@code dropout} the (B*NH, T, T) buffer {@link #droppedProbs}
     * after them. The views are made again only when the scratch arena, the dtype or the shape
     * changes (a warm step reuses them: no Tensor objects per call).
     */
    private Tensor[] heads(int count, DType dtype, AttentionShape s, boolean dropout) {
        int n = Math.max(count, heads.length);
        boolean probs = dropout || droppedProbs != null;   // once made, the probabilities' buffer stays
        DeviceArena ws = scratch(n, s.headsBytes(dtype), probs ? s.probsBytes(dtype) : 0);
        Tensor first = heads.length == 0 ? null : heads[0];
        if (ws != headsArena || heads.length < count || (probs && droppedProbs == null) || first.dtype() != dtype
                || first.dim(0) != s.BNH() || first.dim(1) != s.T() || first.dim(2) != s.HS()) {
            heads = new Tensor[n];
            for (int i = 0; i < heads.length; i++) {
                heads[i] = ws.allocate(dtype, s.BNH(), s.T(), s.HS());
            }
            droppedProbs = probs ? ws.allocate(dtype, s.BNH(), s.T(), s.T()) : null;
            headsArena = ws;
        }
        return heads;
    }

    /** Threads of a pointwise kernel: one per 16-byte pack. */
    private static long packs(Tensor t) {
        return ceilDiv(t.numel() * t.dtype().byteSize(), 16);
    }

    /** Blocks of one tensor's norm partials: a function of its size alone (determinism). */
    private static int normPartials(Tensor t) {
        return LaunchGrids.normPartials(t.numel());
    }

    /** A launch of a column-sum kernel: one thread per column, grid.y = row chunks. */
    private KernelLauncher.Launch columnLaunch(String symbol, int columns, int chunks) {
        return launcher.kernel(symbol, LaunchGrids.blocksFor(columns), chunks, BLOCK);
    }

    /**
     * B, T, NH, HS of a qkv (B,T,3C) tensor, and the score scale 1/sqrt(HS): one mutable object per
     * backend, set by each attention call ({@link #of}), so that a call makes no shape object.
     */
    private static final class AttentionShape {
        private int B;
        private int T;
        private int NH;
        private int HS;

        /** This object, set to the shape of {@code qkv} with {@code NH} heads. */
        AttentionShape of(Tensor qkv, int NH) {
            int C3 = qkv.dim(-1);
            if (qkv.rank() != 3 || C3 % 3 != 0 || (C3 / 3) % NH != 0) {
                throw new IllegalArgumentException("qkv must be (B,T,3C) with C divisible by " + NH + " heads, got " + qkv);
            }
            this.B = qkv.dim(0);
            this.T = qkv.dim(1);
            this.NH = NH;
            this.HS = C3 / 3 / NH;
            return this;
        }

        int B() {
            return B;
        }

        int T() {
            return T;
        }

        int NH() {
            return NH;
        }

        int HS() {
            return HS;
        }

        int BNH() {
            return B * NH;
        }

        /** Elements of one (B*NH, T, HS) tensor. */
        long headsNumel() {
            return (long) BNH() * T * HS;
        }

        /** Bytes of one (B*NH, T, HS) tensor of {@code dtype}. */
        long headsBytes(DType dtype) {
            return (long) BNH() * T * HS * dtype.byteSize();
        }

        float scale() {
            return (float) (1 / Math.sqrt(HS));
        }

        /** Bytes of one (B*NH, T, T) tensor of {@code dtype}. */
        long probsBytes(DType dtype) {
            return (long) BNH() * T * T * dtype.byteSize();
        }
    }

    private static void requireType(Tensor t, DType dtype) {
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException("need a " + dtype + " tensor, got " + t);
        }
    }

    // requireSameDtype in fixed arities: a varargs call would make an array per call.
    private static void requireSameDtype(Tensor first, Tensor other) {
        if (other.dtype() != first.dtype()) {
            throw new IllegalArgumentException("mixed dtypes: " + first + " and " + other);
        }
    }

    private static void requireSameDtype(Tensor first, Tensor a, Tensor b) {
        requireSameDtype(first, a);
        requireSameDtype(first, b);
    }

    private static void requireSameDtype(Tensor first, Tensor a, Tensor b, Tensor c) {
        requireSameDtype(first, a, b);
        requireSameDtype(first, c);
    }

    private static void requireSameDtype(Tensor first, Tensor a, Tensor b, Tensor c, Tensor d) {
        requireSameDtype(first, a, b);
        requireSameDtype(first, c, d);
    }

    private static void requireSameDtype(Tensor first, Tensor a, Tensor b, Tensor c, Tensor d, Tensor e) {
        requireSameDtype(first, a, b, c);
        requireSameDtype(first, d, e);
    }

    private static void requireSameCount(Tensor a, Tensor b) {
        if (a.numel() != b.numel()) {
            throw new IllegalArgumentException("element counts differ: " + a + " and " + b);
        }
    }

    private static void requireSameType(Tensor a, Tensor b) {
        requireSameCount(a, b);
        requireSameDtype(a, b);
    }

    private static void requireHost(Tensor t) {
        if (t.location() != Tensor.Location.HOST) {
            throw new IllegalArgumentException("need a host tensor, got a " + t);
        }
    }
}
