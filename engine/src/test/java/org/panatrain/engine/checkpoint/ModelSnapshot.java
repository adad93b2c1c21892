// The raw bits of a model's weights and of any optimizer's state tensors, to compare checkpoints
// bit for bit.
package org.panatrain.engine.checkpoint;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.panatrain.engine.model.Gpt2;
import org.panatrain.engine.model.Parameter;
import org.panatrain.engine.optim.Optimizer;
import org.panatrain.memory.DType;
import org.panatrain.memory.Tensor;

final class ModelSnapshot {
    private ModelSnapshot() {
    }

    /** The value of every parameter, in parameter order, as float bits. */
    static int[] bits(Gpt2 model) {
        int[] out = new int[Math.toIntExact(model.parameterCount())];
        int at = 0;
        try (Arena arena = Arena.ofShared()) {
            for (Parameter p : model.parameters()) {
                Tensor t = p.value();
                Tensor host = Tensor.host(arena.allocate(t.byteSize(), 64), DType.FP32, t.shape());
                model.kernels().download(host, t);
                for (long i = 0; i < host.numel(); i++) {
                    out[at++] = Float.floatToRawIntBits(host.getFloat(i));
                }
            }
        }
        return out;
    }

    /** The model's weight bits ({@link #bits(Gpt2)}, as little-endian bytes) and then the optimizer's state bytes. */
    static byte[] weightsAndState(Optimizer optimizer) {
        int[] weights = bits(optimizer.model());
        byte[] state = stateBytes(optimizer);
        ByteBuffer out = ByteBuffer.allocate(4 * weights.length + state.length).order(ByteOrder.LITTLE_ENDIAN);
        out.asIntBuffer().put(weights);
        return out.position(4 * weights.length).put(state).array();
    }

    /** The bytes of every state tensor of {@code optimizer}, in its order. */
    static byte[] stateBytes(Optimizer optimizer) {
        try (Arena arena = Arena.ofShared()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Tensor t : optimizer.stateTensors().values()) {
                Tensor host = Tensor.host(arena.allocate(t.byteSize(), 64), t.dtype(), t.shape());
                optimizer.model().kernels().download(host, t);
                out.writeBytes(host.data().toArray(ValueLayout.JAVA_BYTE));
            }
            return out.toByteArray();
        }
    }
}
