// The signature of one bound C function: its symbol, older symbols to fall back on, and its
// FFM descriptor. Kept apart from the linked MethodHandles so the header-conformance test can
// read every signature on a machine without the library.
package org.panatrain.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * One C function as the bindings call it.
 *
 * <pre>{@code
 * Downcall d = Downcall.of("cuMemAlloc_v2", Downcall.INT, Downcall.PTR, Downcall.LONG);
 * MethodHandle h = d.link(lookup);
 * }</pre>
 *
 * @param symbol    the exported symbol (e.g. {@code cuMemAlloc_v2}, what cuda.h's macros map to)
 * @param fallbacks older symbols with the same signature, tried when a driver lacks {@code symbol}
 * @param descriptor return and argument layouts
 */
public record Downcall(String symbol, List<String> fallbacks, FunctionDescriptor descriptor) {
    /** C int, unsigned int, enums, CUresult, cublasStatus_t. */
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    /** size_t, CUdeviceptr (unsigned long long), int64_t. */
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    /** unsigned char. */
    public static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** float. */
    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    /** Any pointer or opaque handle (CUstream, CUcontext, cublasLtHandle_t, ...). */
    public static final ValueLayout PTR = ValueLayout.ADDRESS;

    public Downcall {
        fallbacks = List.copyOf(fallbacks);
    }

    /** A function returning {@code ret} (null for void) and taking {@code args}. */
    public static Downcall of(String symbol, MemoryLayout ret, MemoryLayout... args) {
        return new Downcall(symbol, List.of(), ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args));
    }

    /** The same signature, falling back to {@code older} symbols when {@code symbol} is not exported. */
    public Downcall orElse(String... older) {
        return new Downcall(symbol, List.of(older), descriptor);
    }

    /** Links this function in {@code lookup}; an UnsatisfiedLinkError names every symbol tried. */
    public MethodHandle link(SymbolLookup lookup) {
        List<String> tried = new ArrayList<>();
        tried.add(symbol);
        tried.addAll(fallbacks);
        for (String s : tried) {
            MemorySegment address = lookup.find(s).orElse(null);
            if (address != null) {
                return Linker.nativeLinker().downcallHandle(address, descriptor);
            }
        }
        throw new UnsatisfiedLinkError("none of " + tried + " is exported by the library (too old a version?)");
    }

    /** Collects the Downcall constants declared as static fields of {@code owner}, in declaration order. */
    static List<Downcall> declaredIn(Class<?> owner) {
        List<Downcall> out = new ArrayList<>();
        for (var f : owner.getDeclaredFields()) {
            if (f.getType() == Downcall.class && java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                try {
                    out.add((Downcall) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return List.copyOf(out);
    }

    /** Turns what invokeExact may throw into an unchecked exception (downcalls throw nothing checked). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
