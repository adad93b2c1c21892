// The raw bits of a model's weights and AdamW moments, to compare checkpoints bit for bit.
package org.panatrain.engine.checkpoint;

import java.lang.foreign.Arena;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

final class ModelSnapshot {
    private ModelSnapshot() {
    }

    /** value, m, v of every parameter, in parameter order, as float bits. */
    static int[] bits(Gpt2 model) {
        int[] out = new int[Math.toIntExact(3 * model.parameterCount())];
        int at = 0;
        try (Arena arena = Arena.ofShared()) {
            for (Parameter p : model.parameters()) {
                for (Tensor t : new Tensor[] {p.value(), p.m(), p.v()}) {
                    Tensor host = Tensor.host(arena.allocate(t.byteSize(), 64), DType.FP32, t.shape());
                    model.kernels().download(host, t);
                    for (long i = 0; i < host.numel(); i++) {
                        out[at++] = Float.floatToRawIntBits(host.getFloat(i));
                    }
                }
            }
        }
        return out;
    }
}
