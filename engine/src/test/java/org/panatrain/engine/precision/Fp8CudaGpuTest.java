// The CUDA FP8 path against the CPU emulation of the same recipe. The scaled cast
// (CudaKernels.castToFp8): for E4M3 and E5M2, FP32 and BF16 sources and three scales, the FP8
// codes the GPU writes, decoded and multiplied by 1/scale, equal PrecisionEmulation's values bit
// for bit, and so does the amax; likewise the transposing cast (castTransposeToFp8) against the
// emulation's values transposed. The FP8 matmul (CudaMatmul.matmulFp8, E4M3 x E4M3 and the
// gradients' E5M2 x E4M3, BF16 out) of a weight-like (K,N) operand brought into the FP8 layout by
// the transposing cast (castTransposeToFp8): equal to the CPU matmul of the emulation's
// dequantized operands, rounded to BF16, within the BF16 tolerance (the operands are identical;
// only the accumulation order differs), and its amax-D within 1e-3 of max |out|. Needs a GPU (the matmul
// compute capability 8.9+): tagged gpu, skipped with the reason where CUDA or FP8 is not available.
package org.panatrain.engine.precision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.panatrain.bindings.Cuda;
import org.panatrain.bindings.CudaException;
import org.panatrain.kernels.cpu.CpuKernels;
import org.panatrain.kernels.cuda.CudaKernels;
import org.panatrain.memory.DType;
import org.panatrain.memory.DeviceArena;
import org.panatrain.memory.DeviceMemory;
import org.panatrain.memory.HostArena;
import org.panatrain.memory.Tensor;

@Tag("gpu")
class Fp8CudaGpuTest {
    static final float[] SPECIAL = {0f, -0f, 448f, 449f, 464f, -1e6f, 0x1p-9f, 0x1p-10f, 3 * 0x1p-10f, 57344f, 61439f,
            0x1p-16f, 0x1p-17f, 1.0625f, 1.1875f, -2.5f, Float.POSITIVE_INFINITY};

    @Test
    void scaledCastMatchesTheCpuEmulation() {
        assumeCuda();
        int n = SPECIAL.length + 5000;
        Random random = new Random(17);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i < SPECIAL.length ? SPECIAL[i] : (float) (random.nextGaussian() * Math.pow(2, random.nextInt(30) - 15));
        }
        try (CudaKernels gpu = CudaKernels.create(0);
             DeviceArena device = DeviceArena.allocate("Fp8CudaGpuTest", 1L << 24);
             HostArena host = new HostArena()) {
            for (DType source : new DType[] {DType.FP32, DType.BF16}) {
                float[] values = x.clone();
                for (int i = 0; i < n; i++) {
                    values[i] = source.decode(source.encode(values[i]));   // representable in the source type
                }
                Tensor src = upload(device, host, values, source);
                for (DType fp8 : new DType[] {DType.FP8_E4M3, DType.FP8_E5M2}) {
                    for (float scale : new float[] {1f, 37.5f, 1f / 1024}) {
                        String what = source + " -> " + fp8 + " scale " + scale;
                        Tensor out = device.allocate(fp8, n);
                        DeviceMemory.fillBytes(out, (byte) 0x7F);   // NaN in both formats: every code must be written
                        Tensor amax = upload(device, host, new float[1], DType.FP32);
                        gpu.castToFp8(out, src, upload(device, host, new float[] {scale}, DType.FP32), amax);
                        Tensor codes = host.allocate(fp8, n);
                        DeviceMemory.copy(codes, out);
                        Tensor expected = host.allocate(DType.FP32, n);
                        expected.copyFrom(values);
                        float expectedAmax = PrecisionEmulation.quantizeDequantize(expected, fp8, scale);
                        for (int i = 0; i < n; i++) {
                            float got = fp8.decode(codes.data().get(ValueLayout.JAVA_BYTE, i) & 0xFF) * (1f / scale);
                            assertThat(Float.floatToIntBits(got)).as("%s of %s", what, values[i])
                                    .isEqualTo(Float.floatToIntBits(expected.getFloat(i)));
                        }
                        Tensor hostAmax = host.allocate(DType.FP32, 1);
                        DeviceMemory.copy(hostAmax, amax);
                        assertThat(hostAmax.getFloat(0)).as(what + " amax").isEqualTo(expectedAmax);
                    }
                }
                device.reset();
            }
        }
    }

    @Test
    void transposingCastMatchesTheCpuEmulationTransposed() {
        assumeCuda();
        int rows = 37, cols = 70;   // not multiples of the 32 x 32 tiles
        float scale = 1.5f;
        float[] x = gaussian(new Random(29), rows * cols, 100f);
        try (CudaKernels gpu = CudaKernels.create(0);
             DeviceArena device = DeviceArena.allocate("Fp8CudaGpuTest", 1L << 24);
             HostArena host = new HostArena()) {
            for (DType fp8 : new DType[] {DType.FP8_E4M3, DType.FP8_E5M2}) {
                Tensor out = device.allocate(fp8, cols, rows);
                DeviceMemory.fillBytes(out, (byte) 0x7F);
                Tensor amax = upload(device, host, new float[1], DType.FP32);
                gpu.castTransposeToFp8(out, upload(device, host, x, DType.FP32).view(rows, cols),
                        upload(device, host, new float[] {scale}, DType.FP32), amax);
                Tensor codes = host.allocate(fp8, cols, rows);
                DeviceMemory.copy(codes, out);
                Tensor expected = host.allocate(DType.FP32, rows, cols);
                expected.copyFrom(x);
                float expectedAmax = PrecisionEmulation.quantizeDequantize(expected, fp8, scale);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        int code = codes.data().get(ValueLayout.JAVA_BYTE, (long) c * rows + r) & 0xFF;
                        assertThat(Float.floatToIntBits(fp8.decode(code) * (1f / scale))).as("%s out[%d][%d]", fp8, c, r)
                                .isEqualTo(Float.floatToIntBits(expected.getFloat((long) r * cols + c)));
                    }
                }
                Tensor hostAmax = host.allocate(DType.FP32, 1);
                DeviceMemory.copy(hostAmax, amax);
                assertThat(hostAmax.getFloat(0)).as(fp8 + " amax").isEqualTo(expectedAmax);
                device.reset();
            }
        }
    }

    @Test
    void fp8MatmulMatchesTheCpuMatmulOfTheEmulatedOperands() {
        assumeCuda();
        int M = 64, N = 96, K = 128;
        Random random = new Random(23);
        try (CudaKernels gpu = CudaKernels.create(0);
             CpuKernels cpu = CpuKernels.create(1);
             DeviceArena device = DeviceArena.allocate("Fp8CudaGpuTest", 1L << 24);
             HostArena host = new HostArena()) {
            for (DType aType : new DType[] {DType.FP8_E4M3, DType.FP8_E5M2}) {
                float[] a = gaussian(random, M * K, 3f);      // (M, K)
                float[] b = gaussian(random, K * N, 0.05f);   // (K, N), as a weight is stored
                float aScale = Fp8DelayedScaling.fp8Max(aType) / maxAbs(a);
                float bScale = Fp8DelayedScaling.fp8Max(DType.FP8_E4M3) / maxAbs(b);

                Tensor a8 = device.allocate(aType, M, K);
                Tensor b8 = device.allocate(DType.FP8_E4M3, N, K);
                gpu.castToFp8(a8, upload(device, host, a, DType.FP32), upload(device, host, new float[] {aScale}, DType.FP32), null);
                Tensor bAmax = upload(device, host, new float[1], DType.FP32);
                gpu.castTransposeToFp8(b8, upload(device, host, b, DType.FP32).view(K, N),
                        upload(device, host, new float[] {bScale}, DType.FP32), bAmax);
                Tensor out = device.allocate(DType.BF16, M, N);
                DeviceMemory.fillBytes(out, (byte) 0xFF);
                Tensor amax = upload(device, host, new float[1], DType.FP32);
                try {
                    gpu.context().matmul().matmulFp8(out, a8, upload(device, host, new float[] {1f / aScale}, DType.FP32),
                            b8, upload(device, host, new float[] {1f / bScale}, DType.FP32), amax, false, false);
                } catch (CudaException e) {
                    assumeTrue(false, "no FP8 matmul on this GPU: " + e.getMessage());
                }
                Tensor got = host.allocate(DType.BF16, M, N);
                DeviceMemory.copy(got, out);
                Tensor gotAmax = host.allocate(DType.FP32, 1);
                DeviceMemory.copy(gotAmax, amax);

                Tensor ra = host.allocate(DType.FP32, M, K);
                ra.copyFrom(a);
                PrecisionEmulation.quantizeDequantize(ra, aType, aScale);
                Tensor rb = host.allocate(DType.FP32, K, N);
                rb.copyFrom(b);
                float wantBAmax = PrecisionEmulation.quantizeDequantize(rb, DType.FP8_E4M3, bScale);
                Tensor want = host.allocate(DType.FP32, M, N);
                cpu.matmul(want, ra, false, rb, false, null, false);
                Tensor gotBAmax = host.allocate(DType.FP32, 1);
                DeviceMemory.copy(gotBAmax, bAmax);
                assertThat(gotBAmax.getFloat(0)).as("amax of the transposing cast").isEqualTo(wantBAmax);
                float wantAmax = maxAbs(want.toFloatArray());
                PrecisionEmulation.round(want, DType.BF16);
                for (int i = 0; i < M * N; i++) {
                    float g = DType.BF16.decode(got.data().get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i) & 0xFFFF);
                    assertThat((double) g).as("%s x E4M3 element %d", aType, i)
                            .isCloseTo(want.getFloat(i), within(1e-2 * (Math.abs(want.getFloat(i)) + wantAmax / 8)));
                }
                assertThat((double) gotAmax.getFloat(0)).as("amax-D").isCloseTo(wantAmax, within(1e-3 * wantAmax));
                device.reset();
            }
        }
    }

    private static void assumeCuda() {
        Cuda.Availability availability = Cuda.availability();
        assumeTrue(availability.available(), "CUDA is not available: " + availability.reason());
    }

    private static float[] gaussian(Random random, int n, float sigma) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian() * sigma;
        }
        return out;
    }

    private static float maxAbs(float[] values) {
        float max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /** A device tensor of {@code type} holding {@code values} (representable in it), encoded on the host. */
    private static Tensor upload(DeviceArena device, HostArena host, float[] values, DType type) {
        Tensor staged = host.allocate(type, values.length);
        for (int i = 0; i < values.length; i++) {
            int bits = type.encode(values[i]);
            switch (type.byteSize()) {
                case 4 -> staged.data().set(ValueLayout.JAVA_INT_UNALIGNED, 4L * i, bits);
                case 2 -> staged.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, (short) bits);
                default -> throw new IllegalArgumentException("no upload of " + type);
            }
        }
        Tensor t = device.allocate(type, values.length);
        DeviceMemory.copy(t, staged);
        return t;
    }
}
