// Emits the GPT-2 forward ops into a Graph: embedding, L blocks of
// ln_1 -> attention -> c_proj residual, ln_2 -> c_fc -> GELU -> c_proj residual, then ln_f and
// the logits through the tied wte. Declares every activation with its shape; no memory. With
// dropout (slots given), as GPT-2 and nanoGPT place it: on the embedding output, on each layer's
// attention probabilities, and on each residual branch (the two c_proj outputs) before its add;
// sites are numbered in forward order.
package org.panatrain.engine.model;

import java.util.Map;
import org.panatrain.engine.graph.Category;
import org.panatrain.engine.graph.DropoutSite;
import org.panatrain.engine.graph.Graph;
import org.panatrain.engine.graph.Op;
import org.panatrain.engine.graph.TensorSpec;
import org.panatrain.memory.DType;

/**
 * The GPT-2 forward as graph ops; activations are named after the module that makes them.
 *
 * <pre>{@code
 * TensorSpec logits = new ForwardEmitter(graph, params, cfg, B, T).emit(tokens);   // (B,T,V)
 * }</pre>
 */
final class ForwardEmitter {
    private final Graph g;
    private final Map<String, TensorSpec> params;
    private final int B;
    private final int T;
    private final int C;
    private final int NH;
    private final int V;
    private final int L;
    private final int dropoutSlot;   // runtime scalar: the dropout probability; -1: no dropout ops
    private final int seedSlot;      // runtime seed of the step
    private int sites;

    /** Emits no dropout. */
    ForwardEmitter(Graph g, Map<String, TensorSpec> params, Gpt2Config cfg, int B, int T) {
        this(g, params, cfg, B, T, -1, -1);
    }

    /** Emits dropout sites reading the probability and the step seed from these slots (dropoutSlot -1: none). */
    ForwardEmitter(Graph g, Map<String, TensorSpec> params, Gpt2Config cfg, int B, int T, int dropoutSlot, int seedSlot) {
        this.g = g;
        this.params = params;
        this.B = B;
        this.T = T;
        this.C = cfg.nEmbd();
        this.NH = cfg.nHead();
        this.V = cfg.vocabSize();
        this.L = cfg.nLayer();
        this.dropoutSlot = dropoutSlot;
        this.seedSlot = seedSlot;
    }

    /** Emits the forward of {@code tokens} (B,T); returns the logits (B,T,V). */
    TensorSpec emit(TensorSpec tokens) {
        TensorSpec wte = params.get("wte.weight");                         // (V,C)
        TensorSpec x = act("encoded", B, T, C);                            // (B,T,C)
        g.add(new Op.Encoder(x, tokens, wte, params.get("wpe.weight")));
        x = dropout(x);
        for (int l = 0; l < L; l++) {
            String h = "h." + l + ".";
            TensorSpec ln1 = layerNorm(h + "ln_1", x);                     // (B,T,C)
            TensorSpec qkv = linear(h + "attn.c_attn", ln1, 3 * C);        // (B,T,3C)
            TensorSpec y = act(h + "attn.out", B, T, C);                   // (B,T,C)
            g.add(new Op.Attention(y, act(h + "attn.att", B, NH, T, T), qkv, NH, nextSite()));
            TensorSpec res1 = residual(h + "res_1", x, dropout(linear(h + "attn.c_proj", y, C)));   // (B,T,C)
            TensorSpec fc = linear(h + "mlp.c_fc", layerNorm(h + "ln_2", res1), 4 * C);    // (B,T,4C)
            TensorSpec gelu = act(h + "mlp.gelu", B, T, 4 * C);            // (B,T,4C)
            g.add(new Op.Gelu(gelu, fc));
            x = residual(h + "res_2", res1, dropout(linear(h + "mlp.c_proj", gelu, C)));   // (B,T,C)
        }
        TensorSpec lnf = layerNorm("ln_f", x);                             // (B,T,C)
        TensorSpec logits = act("logits", B, T, V);                        // (B,T,V)
        g.add(new Op.Matmul(logits, lnf, false, wte, true, null, false));
        return logits;
    }

    /** The next dropout site, or null without dropout. */
    private DropoutSite nextSite() {
        return dropoutSlot < 0 ? null : new DropoutSite(sites++, dropoutSlot, seedSlot);
    }

    /** dropout(x) as a new activation named x's name + ".drop"; x itself without dropout. */
    private TensorSpec dropout(TensorSpec x) {
        DropoutSite site = nextSite();
        if (site == null) {
            return x;
        }
        TensorSpec out = act(x.name() + ".drop", x.shape());
        g.add(new Op.Dropout(out, x, site));
        return out;
    }

    private TensorSpec act(String name, int... shape) {
        return g.tensor(name, Category.ACTIVATION, DType.FP32, shape);
    }

    private TensorSpec layerNorm(String module, TensorSpec inp) {
        TensorSpec out = act(module + ".out", B, T, C);
        g.add(new Op.LayerNorm(out, act(module + ".mean", B, T), act(module + ".rstd", B, T), inp,
                params.get(module + ".weight"), params.get(module + ".bias")));
        return out;
    }

    // HF Conv1D: out (B,T,OC) = inp (B,T,IC) @ weight (IC,OC) + bias (OC)
    private TensorSpec linear(String module, TensorSpec inp, int outChannels) {
        TensorSpec out = act(module + ".out", B, T, outChannels);
        g.add(new Op.Matmul(out, inp, false, params.get(module + ".weight"), false, params.get(module + ".bias"), false));
        return out;
    }

    private TensorSpec residual(String name, TensorSpec a, TensorSpec b) {
        TensorSpec out = act(name, B, T, C);
        g.add(new Op.Add(out, a, b));
        return out;
    }
}
