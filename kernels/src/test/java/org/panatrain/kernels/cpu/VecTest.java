// Vec's reproducible lane sum: equal to the lanes added one by one in lane order, whatever their
// magnitudes (a tree or reordered sum differs in the last bits on such inputs).
package org.panatrain.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VecTest {

    @Test
    void sumLanesAddsInLaneOrder() {
        SplittableRandom rnd = new SplittableRandom(9);
        float[] x = new float[Vec.L];
        for (int round = 0; round < 1000; round++) {
            for (int i = 0; i < Vec.L; i++) {
                x[i] = (float) ((rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(-6, 7)));
            }
            float want = 0f;
            for (float v : x) {
                want += v;
            }
            assertThat(Vec.sumLanes(FloatVector.fromArray(Vec.S, x, 0))).isEqualTo(want);
        }
    }
}
