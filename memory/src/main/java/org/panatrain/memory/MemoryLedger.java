// What the live device and pinned arenas of this process hold, for the message of a failed
// allocation ("... arenas hold: activations 70.0 GiB (65.2 GiB used), ..."). It leaves out
// memory allocated outside the arenas (cuBLASLt's own, the CUDA context's).
package org.panatrain.memory;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Registry of live arenas; package-private, read only to explain out-of-memory errors. */
final class MemoryLedger {
    /** One live arena as the ledger sees it. */
    interface Entry {
        String describe();
    }

    private static final Set<Entry> LIVE = ConcurrentHashMap.newKeySet();

    private MemoryLedger() {
    }

    static void add(Entry e) {
        LIVE.add(e);
    }

    static void remove(Entry e) {
        LIVE.remove(e);
    }

    /** "arenas hold: a, b" or "no arena is live". */
    static String summary() {
        if (LIVE.isEmpty()) {
            return "no arena of this process is live";
        }
        StringBuilder sb = new StringBuilder("arenas of this process hold: ");
        String sep = "";
        for (Entry e : LIVE) {
            sb.append(sep).append(e.describe());
            sep = ", ";
        }
        return sb.toString();
    }

    /** Bytes in a short human form: 1.50 GiB, 12.0 MiB, 300 B. */
    static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        }
        if (n >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        }
        if (n >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        return n + " B";
    }
}
