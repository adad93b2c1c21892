// Test support: causal multi-head softmax attention in float64, forward and backward, with dropout
// on the probabilities (mask from Philox.keep on the flat (B,NH,T,T) index; p = 0 keeps every
// entry, the plain attention). The reference for the CPU kernels' attention tests. Leaves out any
// comparison.
package org.panatrain.kernels.cpu;

import static org.panatrain.kernels.cpu.TestTensors.toDouble;

import org.panatrain.kernels.Philox;

/** {@code AttentionReference.of(qkv, dout, dqkv0, B, T, NH, C, p, seed)}. */
final class AttentionReference {
    private AttentionReference() {
    }

    /** out (B,T,C), att (B,NH,T,T) and dqkv (B,T,3C) in double. */
    record Result(double[] out, double[] att, double[] dqkv) {
    }

    /**
     * Causal softmax attention in double with dropout on the probabilities, mask from Philox.keep
     * on the flat (B,NH,T,T) index: out = (P * M / (1-p)) v; the backward from dout, added to
     * dqkv0 (null: zeros).
     */
    static Result of(float[] qkv, float[] dout, float[] dqkv0, int B, int T, int NH, int C, float p, long seed) {
        int HS = C / NH;
        double[] out = new double[B * T * C], att = new double[B * NH * T * T];
        double[] dq = dqkv0 == null ? new double[B * T * 3 * C] : toDouble(dqkv0);
        double scale = 1 / Math.sqrt(HS);
        long threshold = Philox.threshold(p);
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                double[][] pr = new double[T][T], dropped = new double[T][T], dp = new double[T][T];
                for (int t = 0; t < T; t++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int i = 0; i < HS; i++) {
                            dot += (double) qkv[idx(b, t, h * HS + i, T, C)] * qkv[idx(b, s, C + h * HS + i, T, C)];
                        }
                        pr[t][s] = dot * scale;
                        max = Math.max(max, pr[t][s]);
                    }
                    double z = 0;
                    for (int s = 0; s <= t; s++) {
                        pr[t][s] = Math.exp(pr[t][s] - max);
                        z += pr[t][s];
                    }
                    for (int s = 0; s <= t; s++) {
                        pr[t][s] /= z;
                        int flat = ((b * NH + h) * T + t) * T + s;
                        att[flat] = pr[t][s];
                        double m = Philox.keep(seed, flat, threshold) ? 1 / (1.0 - p) : 0;
                        dropped[t][s] = pr[t][s] * m;
                        for (int i = 0; i < HS; i++) {
                            double v = qkv[idx(b, s, 2 * C + h * HS + i, T, C)], g = dout[(b * T + t) * C + h * HS + i];
                            out[(b * T + t) * C + h * HS + i] += dropped[t][s] * v;
                            dp[t][s] += g * v * m;                         // dL/dP = mask * (dout . v) / (1-p)
                            dq[idx(b, s, 2 * C + h * HS + i, T, C)] += dropped[t][s] * g;
                        }
                    }
                }
                for (int t = 0; t < T; t++) {
                    for (int s = 0; s <= t; s++) {
                        double dscore = 0;
                        for (int j = 0; j <= t; j++) {
                            dscore += dp[t][j] * pr[t][j] * ((j == s ? 1 : 0) - pr[t][s]);
                        }
                        for (int i = 0; i < HS; i++) {
                            dq[idx(b, t, h * HS + i, T, C)] += dscore * scale * qkv[idx(b, s, C + h * HS + i, T, C)];
                            dq[idx(b, s, C + h * HS + i, T, C)] += dscore * scale * qkv[idx(b, t, h * HS + i, T, C)];
                        }
                    }
                }
            }
        }
        return new Result(out, att, dq);
    }

    static int idx(int b, int t, int c, int T, int C) {
        return (b * T + t) * 3 * C + c;
    }
}
