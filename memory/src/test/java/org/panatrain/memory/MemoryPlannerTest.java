// MemoryPlanner against properties that any valid plan has (checked by brute force over pairs
// and op indices, written here independently of the planner) on seeded random lifetimes, and
// against layouts worked out by hand.
package org.panatrain.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MemoryPlannerTest {

    private static long aligned(long bytes) {
        return (bytes + 255) / 256 * 256;
    }

    // The largest sum of aligned sizes live at one op, by summing every op separately.
    private static long bruteLowerBound(List<BufferLifetime> buffers) {
        int ops = buffers.stream().mapToInt(BufferLifetime::lastUse).max().orElse(-1) + 1;
        long best = 0;
        for (int op = 0; op < ops; op++) {
            long live = 0;
            for (BufferLifetime b : buffers) {
                if (b.firstUse() <= op && op <= b.lastUse()) {
                    live += aligned(b.bytes());
                }
            }
            best = Math.max(best, live);
        }
        return best;
    }

    private static void assertValid(List<BufferLifetime> buffers, MemoryPlan plan) {
        assertThat(plan.size()).isEqualTo(buffers.size());
        long highest = 0;
        for (int i = 0; i < buffers.size(); i++) {
            BufferLifetime a = buffers.get(i);
            assertThat(plan.offset(i) % 256).as("offset of %s", a.name()).isZero();
            assertThat(plan.offset(i)).isNotNegative();
            highest = Math.max(highest, plan.offset(i) + aligned(a.bytes()));
            for (int j = i + 1; j < buffers.size(); j++) {
                BufferLifetime b = buffers.get(j);
                if (a.bytes() == 0 || b.bytes() == 0 || !a.overlapsInTime(b)) {
                    continue;
                }
                boolean apart = plan.offset(i) + a.bytes() <= plan.offset(j)
                        || plan.offset(j) + b.bytes() <= plan.offset(i);
                assertThat(apart).as("%s at %d and %s at %d are live together and overlap", a, plan.offset(i), b,
                        plan.offset(j)).isTrue();
            }
        }
        assertThat(plan.peakBytes()).isEqualTo(highest);
        assertThat(plan.lowerBoundBytes()).isEqualTo(bruteLowerBound(buffers));
        assertThat(plan.peakBytes()).isGreaterThanOrEqualTo(plan.lowerBoundBytes());
        long atPeak = plan.bytesByCategoryAtPeak().values().stream().mapToLong(Long::longValue).sum();
        assertThat(atPeak).isEqualTo(plan.lowerBoundBytes());
    }

    private static List<BufferLifetime> randomBuffers(Random r, int n, int ops) {
        List<BufferLifetime> buffers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int first = r.nextInt(ops);
            // mostly short lifetimes, some spanning much of the order
            int span = r.nextInt(4) == 0 ? r.nextInt(ops - first) : r.nextInt(Math.min(8, ops - first));
            long bytes = switch (r.nextInt(4)) {
                case 0 -> 256L * (1 + r.nextInt(64));
                case 1 -> r.nextInt(3);
                default -> 1 + r.nextInt(1 << 20);
            };
            buffers.add(new BufferLifetime("b" + i, bytes, first, first + span, "C" + r.nextInt(3)));
        }
        return buffers;
    }

    @Test
    void randomLifetimesNeverShareBytesWhileLiveTogether() {
        Random r = new Random(20261123);
        double worst = 1;
        for (int trial = 0; trial < 400; trial++) {
            List<BufferLifetime> buffers = randomBuffers(r, 1 + r.nextInt(250), 1 + r.nextInt(150));
            MemoryPlan plan = MemoryPlanner.plan(buffers);
            assertValid(buffers, plan);
            worst = Math.max(worst, plan.ratio());
        }
        // greedy by size is a heuristic, not optimal; it must still stay near the bound
        assertThat(worst).isLessThan(1.5);
    }

    @Test
    void manyBuffersOnALongOrderStayValid() {
        Random r = new Random(7);
        List<BufferLifetime> buffers = randomBuffers(r, 3000, 5000);
        assertValid(buffers, MemoryPlanner.plan(buffers));
    }

    @Test
    void disjointLifetimesShareOneSlotOfTheLargestSize() {
        Random r = new Random(3);
        for (int trial = 0; trial < 50; trial++) {
            List<BufferLifetime> buffers = new ArrayList<>();
            long largest = 0;
            int op = 0;
            for (int i = 0; i < 1 + r.nextInt(100); i++) {
                int span = r.nextInt(5);
                long bytes = 1 + r.nextInt(100_000);
                largest = Math.max(largest, aligned(bytes));
                buffers.add(new BufferLifetime("b" + i, bytes, op, op + span, "ACTIVATION"));
                op += span + 1;
            }
            MemoryPlan plan = MemoryPlanner.plan(buffers);
            assertValid(buffers, plan);
            assertThat(plan.peakBytes()).isEqualTo(largest).isEqualTo(plan.lowerBoundBytes());
            assertThat(plan.offsets()).containsOnly(0L);
        }
    }

    @Test
    void forwardBackwardNestingPeaksAtTheSumOfAll() {
        // activation i is made at op i and last read at op 2n-1-i: all are live at op n-1
        Random r = new Random(5);
        int n = 40;
        List<BufferLifetime> buffers = new ArrayList<>();
        long sum = 0;
        for (int i = 0; i < n; i++) {
            long bytes = 1 + r.nextInt(1 << 16);
            sum += aligned(bytes);
            buffers.add(new BufferLifetime("act" + i, bytes, i, 2 * n - 1 - i, "ACTIVATION"));
        }
        MemoryPlan plan = MemoryPlanner.plan(buffers);
        assertValid(buffers, plan);
        assertThat(plan.peakBytes()).isEqualTo(sum).isEqualTo(plan.lowerBoundBytes());
        assertThat(plan.lowerBoundOp()).isEqualTo(n - 1);
    }

    @Test
    void nestedTreeOfLifetimesPacksToTheBound() {
        // outer [0,9] 4096; inside it [1,4] 2048 and [5,8] 1024; inside the first [2,3] 512.
        // Worked by hand: outer @0, [1,4] @4096, [5,8] @4096, [2,3] @6144; op 2 holds 4096+2048+512.
        List<BufferLifetime> buffers = List.of(
                new BufferLifetime("outer", 4096, 0, 9, "ACTIVATION"),
                new BufferLifetime("left", 2048, 1, 4, "ACTIVATION"),
                new BufferLifetime("right", 1024, 5, 8, "ACTIVATION"),
                new BufferLifetime("leftInner", 512, 2, 3, "TEMPORARY"));
        MemoryPlan plan = MemoryPlanner.plan(buffers);
        assertValid(buffers, plan);
        assertThat(plan.offsets()).containsExactly(0, 4096, 4096, 6144);
        assertThat(plan.peakBytes()).isEqualTo(6656).isEqualTo(plan.lowerBoundBytes());
        assertThat(plan.lowerBoundOp()).isEqualTo(2);
        assertThat(plan.bytesByCategoryAtPeak()).containsExactly(Map.entry("ACTIVATION", 6144L),
                Map.entry("TEMPORARY", 512L));
    }

    @Test
    void handMadeLayoutTakesTheSmallestGapThatFits() {
        // Placement order is by size: a @0; c, d, a2, e stack above a since they all overlap it.
        // n (ops 2-3) overlaps c, d and e only, leaving gaps [0,4096) and [7168,7936) (a2's bytes):
        // best fit takes the smaller one; first fit would have taken offset 0.
        List<BufferLifetime> buffers = List.of(
                new BufferLifetime("a", 4096, 0, 1, "ACTIVATION"),
                new BufferLifetime("c", 2048, 0, 3, "ACTIVATION"),
                new BufferLifetime("d", 1024, 0, 3, "TEMPORARY"),
                new BufferLifetime("a2", 700, 0, 1, "TEMPORARY"),     // occupies 768
                new BufferLifetime("e", 500, 0, 3, "ACTIVATION"),     // occupies 512
                new BufferLifetime("n", 200, 2, 3, "GRADIENT"));      // occupies 256
        MemoryPlan plan = MemoryPlanner.plan(buffers);
        assertValid(buffers, plan);
        assertThat(plan.offsets()).containsExactly(0, 4096, 6144, 7168, 7936, 7168);
        assertThat(plan.peakBytes()).isEqualTo(8448);
        assertThat(plan.lowerBoundBytes()).isEqualTo(8448);
        assertThat(plan.ratio()).isEqualTo(1.0);
        assertThat(plan.lowerBoundOp()).isZero();
        assertThat(plan.bytesByCategoryAtPeak()).containsExactly(Map.entry("ACTIVATION", 6656L),
                Map.entry("TEMPORARY", 1792L), Map.entry("GRADIENT", 0L));
    }

    @Test
    void javadocExampleReusesTheFirstBuffersBytes() {
        List<BufferLifetime> buffers = List.of(
                new BufferLifetime("a", 1000, 0, 1, "ACTIVATION"),
                new BufferLifetime("b", 600, 1, 2, "ACTIVATION"),
                new BufferLifetime("c", 900, 2, 3, "TEMPORARY"));
        MemoryPlan plan = MemoryPlanner.plan(buffers);
        assertThat(plan.offsets()).containsExactly(0, 1024, 0);
        assertThat(plan.peakBytes()).isEqualTo(1792);
        assertThat(plan.ratio()).isEqualTo(1.0);
    }

    @Test
    void emptyInputPlansAnEmptyArena() {
        MemoryPlan plan = MemoryPlanner.plan(List.of());
        assertThat(plan.peakBytes()).isZero();
        assertThat(plan.lowerBoundBytes()).isZero();
        assertThat(plan.ratio()).isEqualTo(1.0);
    }

    @Test
    void invalidLifetimesAreRejectedWithTheBuffersName() {
        assertThatThrownBy(() -> new BufferLifetime("x", 16, 3, 2, "ACTIVATION"))
                .hasMessageContaining("x").hasMessageContaining("[3, 2]");
        assertThatThrownBy(() -> new BufferLifetime("y", -1, 0, 0, "ACTIVATION"))
                .hasMessageContaining("y").hasMessageContaining("negative");
        assertThatThrownBy(() -> new BufferLifetime("z", 16, -1, -1, "ACTIVATION"))
                .hasMessageContaining("z");
    }
}
