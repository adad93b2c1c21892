// Checks, without a GPU, that the Java side and the committed PTX agree: every kernel the backend
// can launch is declared in its PTX file with parameters of kinds a launch can pass, and the PTX
// declares no kernel the backend never uses.
package org.panatrain.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.panatrain.memory.DType;

class PtxKernelTest {

    @Test
    void everyNamedKernelIsInThePtxAndEveryPtxKernelIsNamed() {
        Set<String> named = new HashSet<>();
        Set<String> modules = new HashSet<>();
        for (PtxKernel k : PtxKernel.values()) {
            named.addAll(k.symbols());
            modules.add(k.module);
        }
        Set<String> declared = new HashSet<>();
        for (String module : modules) {
            declared.addAll(KernelSignature.parse(PtxModules.ptxText(module)).keySet());
        }
        assertThat(declared).isEqualTo(named);
        assertThat(KernelSignature.ofAllKernels()).containsOnlyKeys(named);
    }

    @Test
    void signaturesAreReadFromThePtxParameters() {
        Map<String, KernelSignature> all = KernelSignature.ofAllKernels();
        assertThat(all.get("layernorm_forward_bf16").params()).containsExactly(
                KernelSignature.Kind.B64, KernelSignature.Kind.B64, KernelSignature.Kind.B64, KernelSignature.Kind.B64,
                KernelSignature.Kind.B64, KernelSignature.Kind.B64, KernelSignature.Kind.I32, KernelSignature.Kind.I32);
        assertThat(all.get("scale_f16").params()).containsExactly(
                KernelSignature.Kind.B64, KernelSignature.Kind.B64, KernelSignature.Kind.F32);
    }

    @Test
    void symbolsFollowNativeSrcNaming() {
        assertThat(PtxKernel.LAYERNORM_FORWARD.symbol(DType.BF16)).isEqualTo("layernorm_forward_bf16");
        assertThat(PtxKernel.CAST.symbol(DType.FP32, DType.FP16)).isEqualTo("cast_f32_to_f16");
        assertThat(PtxKernel.CAST.symbols()).hasSize(6);
        assertThat(PtxKernel.CAST_FP8.symbol(DType.BF16, DType.FP8_E5M2)).isEqualTo("cast_bf16_to_e5m2");
        assertThat(PtxKernel.CAST_FP8.symbols()).hasSize(6);
        assertThat(PtxKernel.CAST_TRANSPOSE_FP8.symbol(DType.FP32, DType.FP8_E4M3)).isEqualTo("cast_transpose_f32_to_e4m3");
        assertThatThrownBy(() -> PtxKernel.GELU_FORWARD.symbol(DType.INT32)).hasMessageContaining("INT32");
    }
}
