// The policy table written out by hand for every precision: storage per role, matmul operand and
// output dtypes per pass and layer position, and the CLI parsing with its error message.
package org.panatrain.engine.precision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.panatrain.memory.DType;

class PrecisionPolicyTest {
    static final DType F32 = DType.FP32;
    static final DType BF = DType.BF16;
    static final DType E4 = DType.FP8_E4M3;
    static final DType E5 = DType.FP8_E5M2;

    @Test
    void parsesCliNamesAndRejectsOthers() {
        assertThat(Precision.parse("fp32")).isEqualTo(Precision.FP32);
        assertThat(Precision.parse(" BF16 ")).isEqualTo(Precision.BF16);
        assertThat(Precision.parse("fp8")).isEqualTo(Precision.FP8);
        assertThat(Precision.TF32.cliName()).isEqualTo("tf32");
        assertThatThrownBy(() -> Precision.parse("int4")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--precision: unknown precision \"int4\" (expected one of fp32|tf32|bf16|fp16|fp8)");
    }

    @Test
    void fp32IslandsStayFp32EverywhereAndLowPrecisionRolesFollowThePrecision() {
        for (Precision p : Precision.values()) {
            PrecisionPolicy policy = PrecisionPolicy.of(p);
            for (TensorRole r : new TensorRole[] {TensorRole.MASTER_WEIGHT, TensorRole.PARAMETER_GRADIENT,
                    TensorRole.OPTIMIZER_STATE, TensorRole.LAYERNORM_STATISTICS, TensorRole.SOFTMAX, TensorRole.LOSS}) {
                assertThat(policy.storage(r)).as("%s %s", p, r).isEqualTo(F32);
            }
        }
        DType[] low = {F32, F32, BF, DType.FP16, BF};   // fp32 tf32 bf16 fp16 fp8
        for (Precision p : Precision.values()) {
            PrecisionPolicy policy = PrecisionPolicy.of(p);
            for (TensorRole r : new TensorRole[] {TensorRole.WORKING_WEIGHT, TensorRole.ACTIVATION, TensorRole.ACTIVATION_GRADIENT}) {
                assertThat(policy.storage(r)).as("%s %s", p, r).isEqualTo(low[p.ordinal()]);
            }
            assertThat(policy.hasWorkingWeights()).isEqualTo(low[p.ordinal()] != F32);
            assertThat(policy.needsLossScaling()).isEqualTo(p == Precision.FP16);
            assertThat(policy.usesFp8()).isEqualTo(p == Precision.FP8);
        }
    }

    @Test
    void matmulsWithoutFp8() {
        assertThat(PrecisionPolicy.of(Precision.FP32).matmul(LayerPosition.BLOCK, MatmulPass.FORWARD))
                .isEqualTo(new MatmulPrecision(F32, F32, F32, false));
        assertThat(PrecisionPolicy.of(Precision.TF32).matmul(LayerPosition.OUTPUT_HEAD, MatmulPass.INPUT_GRADIENT))
                .isEqualTo(new MatmulPrecision(F32, F32, F32, true));
        assertThat(PrecisionPolicy.of(Precision.BF16).matmul(LayerPosition.BLOCK, MatmulPass.FORWARD))
                .isEqualTo(new MatmulPrecision(BF, BF, BF, false));
        assertThat(PrecisionPolicy.of(Precision.FP16).matmul(LayerPosition.BLOCK, MatmulPass.WEIGHT_GRADIENT))
                .isEqualTo(new MatmulPrecision(DType.FP16, DType.FP16, F32, false));
    }

    @Test
    void fp8HybridRecipeInBlocksAndBf16AtTheEnds() {
        PrecisionPolicy fp8 = PrecisionPolicy.of(Precision.FP8);
        assertThat(fp8.matmul(LayerPosition.BLOCK, MatmulPass.FORWARD)).isEqualTo(new MatmulPrecision(E4, E4, BF, false));
        assertThat(fp8.matmul(LayerPosition.BLOCK, MatmulPass.INPUT_GRADIENT)).isEqualTo(new MatmulPrecision(E5, E4, BF, false));
        assertThat(fp8.matmul(LayerPosition.BLOCK, MatmulPass.WEIGHT_GRADIENT)).isEqualTo(new MatmulPrecision(E5, E4, F32, false));
        for (LayerPosition end : new LayerPosition[] {LayerPosition.EMBEDDING, LayerPosition.OUTPUT_HEAD}) {
            assertThat(fp8.matmul(end, MatmulPass.FORWARD)).isEqualTo(new MatmulPrecision(BF, BF, BF, false));
            assertThat(fp8.matmul(end, MatmulPass.FORWARD).isFp8()).isFalse();
        }
        PrecisionPolicy allFp8 = new PrecisionPolicy(Precision.FP8, false);
        assertThat(allFp8.matmul(LayerPosition.OUTPUT_HEAD, MatmulPass.FORWARD).isFp8()).isTrue();
    }
}
