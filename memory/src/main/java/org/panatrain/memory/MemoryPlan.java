// The result of the MemoryPlanner: where each buffer goes in one arena, how large that arena is,
// and how far it is from the best any placement could do. Data only; the planner computes it.
package org.panatrain.memory;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Byte offsets (by input index, each a multiple of {@link MemoryPlanner#ALIGNMENT}) of the
 * buffers given to {@link MemoryPlanner#plan}, and the arena they need.
 *
 * <ul>
 * <li>{@code peakBytes}: the arena size, max over buffers of offset + aligned size;</li>
 * <li>{@code lowerBoundBytes}: the largest sum of aligned sizes live at one op index, which no
 *     placement can beat;</li>
 * <li>{@code lowerBoundOp}: the first op index where that sum is reached (the "peak point");</li>
 * <li>{@code bytesByCategoryAtPeak}: the aligned bytes live at {@code lowerBoundOp}, per category,
 *     in order of first appearance in the input.</li>
 * </ul>
 *
 * <pre>{@code
 * MemoryPlan plan = MemoryPlanner.plan(buffers);
 * MemorySegment arena = host.allocateBytes(plan.peakBytes());
 * MemorySegment qkv = arena.asSlice(plan.offset(3), buffers.get(3).bytes());
 * System.out.printf("ratio %.3f%n", plan.ratio());
 * }</pre>
 */
public record MemoryPlan(long[] offsets, long peakBytes, long lowerBoundBytes, int lowerBoundOp,
                         Map<String, Long> bytesByCategoryAtPeak) {

    public MemoryPlan {
        offsets = offsets.clone();
        bytesByCategoryAtPeak = Collections.unmodifiableMap(new LinkedHashMap<>(bytesByCategoryAtPeak));
    }

    @Override
    public long[] offsets() {
        return offsets.clone();
    }

    /** The byte offset of buffer {@code index} of the planner's input. */
    public long offset(int index) {
        return offsets[index];
    }

    /** Number of buffers placed. */
    public int size() {
        return offsets.length;
    }

    /** peak / lower bound: 1.0 is optimal; 1.0 also for an empty plan. */
    public double ratio() {
        return lowerBoundBytes == 0 ? 1.0 : (double) peakBytes / lowerBoundBytes;
    }
}
