// The bookkeeping of a bump arena, without any memory: aligned offsets handed out in order, used
// and capacity, and what is left. Pure, so it is tested without a GPU. It leaves out freeing
// single buffers: an arena is released as a whole (the memory planner places tensors in it).
package org.panatrain.memory;

/**
 * Offsets within an arena of {@code capacity} bytes, each a multiple of {@code alignment}.
 *
 * <pre>{@code
 * ArenaLayout l = new ArenaLayout(1 << 20, 256);
 * long a = l.reserve(100);   // 0
 * long b = l.reserve(10);    // 256
 * l.used();                  // 266
 * }</pre>
 */
public final class ArenaLayout {
    private final long capacity;
    private final long alignment;
    private long next;      // first free byte
    private long reserved;  // bytes asked for, without padding
    private int count;

    /** An empty layout; alignment must be a power of two. */
    public ArenaLayout(long capacity, long alignment) {
        if (capacity < 0) {
            throw new IllegalArgumentException("negative capacity " + capacity);
        }
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        }
        this.capacity = capacity;
        this.alignment = alignment;
    }

    /** {@code offset} rounded up to a multiple of {@code alignment} (a power of two). */
    public static long alignUp(long offset, long alignment) {
        return Math.addExact(offset, alignment - 1) & -alignment;
    }

    /**
     * The offset of a new buffer of {@code bytes}, aligned; an {@link IllegalStateException} saying
     * how much was asked, used and left when it does not fit.
     */
    public synchronized long reserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes);
        }
        long offset = alignUp(next, alignment);
        if (offset > capacity || bytes > capacity - offset) {
            throw new IllegalStateException("arena full: asked for " + bytes + " bytes, " + used() + " of "
                    + capacity + " used, " + Math.max(0, capacity - offset) + " left at the next aligned offset");
        }
        next = offset + bytes;
        reserved += bytes;
        count++;
        return offset;
    }

    /** Bytes from the start to the end of the last buffer, padding included. */
    public synchronized long used() {
        return next;
    }

    /** Bytes asked for by all buffers, padding excluded. */
    public synchronized long reservedBytes() {
        return reserved;
    }

    /** Number of buffers handed out. */
    public synchronized int buffers() {
        return count;
    }

    public long capacity() {
        return capacity;
    }

    public long alignment() {
        return alignment;
    }

    /** Forgets every buffer: the next reserve starts at offset 0 again. */
    public synchronized void reset() {
        next = 0;
        reserved = 0;
        count = 0;
    }
}
