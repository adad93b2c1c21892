// Checks the hand-written bindings against the real headers: every bound symbol must be declared
// in cuda.h / cublasLt.h with the same number of parameters and the same kinds (pointer, or an
// integer of the same width, or float), return value included. Skipped, with the reason, where a
// header is not found. Set PANATRAIN_CUDA_INCLUDE (folders separated by ':') to add places.
package org.panatrain.bindings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HeaderConformanceTest {

    @Test
    void driverBindingsMatchCudaH() throws Exception {
        List<Path> folders = includeFolders(List.of());
        Optional<Path> cudaH = find("cuda.h", folders);
        assumeTrue(cudaH.isPresent(), "cuda.h not found in " + folders);
        CHeader h = CHeader.read(cudaH.get(), List.of());
        assertConforms(h, CudaDriver.downcalls(), cudaH.get());
        assertConstantsMatch(h, CudaDriver.class, cudaH.get(), 30);
    }

    @Test
    void cublasLtBindingsMatchCublasLtH() throws Exception {
        Map<String, String> env = System.getenv();
        List<Path> extra = new ArrayList<>(List.of(Path.of("/usr/include")));
        for (Path site : LibrarySearch.sitePackages(env, Path.of(System.getProperty("user.home")))) {
            extra.add(site.resolve("nvidia/cublas/include"));
            extra.add(site.resolve("nvidia/cuda_runtime/include"));
        }
        List<Path> folders = includeFolders(extra);
        Optional<Path> ltH = find("cublasLt.h", folders);
        assumeTrue(ltH.isPresent(), "cublasLt.h not found in " + folders);
        // Typedefs come from the headers cublasLt.h includes: next to it first, then anywhere listed.
        List<Path> companions = new ArrayList<>();
        for (String name : List.of("driver_types.h", "library_types.h", "cublas_api.h")) {
            List<Path> order = new ArrayList<>(List.of(ltH.get().getParent()));
            order.addAll(folders);
            find(name, order).ifPresent(companions::add);
        }
        CHeader h = CHeader.read(ltH.get(), companions);
        assertConforms(h, CublasLt.downcalls(), ltH.get());
        assertConstantsMatch(h, CublasLt.class, ltH.get(), 25);
    }

    @Test
    void readerDetectsAWidthMismatch() {
        CHeader h = CHeader.parse("""
                typedef unsigned long long CUdeviceptr_v2;
                typedef CUdeviceptr_v2 CUdeviceptr;
                typedef struct CUstream_st *CUstream;
                typedef enum cudaError_enum { CUDA_SUCCESS = 0 } CUresult;
                #define cuMemFree cuMemFree_v2
                #define cuMemsetD8 __CUDA_API_PTDS(cuMemsetD8_v2)
                CUresult CUDAAPI cuMemFree(CUdeviceptr dptr);
                CUresult CUDAAPI cuMemsetD8(CUdeviceptr dstDevice, unsigned char uc, size_t N);
                CUresult CUDAAPI cuStreamQuery(CUstream hStream);
                const char* CUDAAPI name(int s);
                """);
        assertThat(mismatch(h, Downcall.of("cuMemFree_v2", Downcall.INT, Downcall.LONG))).isNull();
        assertThat(mismatch(h, Downcall.of("cuMemFree_v2", Downcall.INT, Downcall.INT))).contains("i64");
        assertThat(mismatch(h, Downcall.of("cuMemsetD8_v2", Downcall.INT, Downcall.LONG, Downcall.BYTE, Downcall.LONG))).isNull();
        assertThat(mismatch(h, Downcall.of("cuStreamQuery", Downcall.INT, Downcall.LONG))).contains("ptr");
        assertThat(mismatch(h, Downcall.of("cuMemFree", Downcall.INT, Downcall.LONG))).contains("not declared");
        assertThat(mismatch(h, Downcall.of("name", Downcall.PTR, Downcall.INT))).isNull();
        assertThat(mismatch(h, Downcall.of("cuStreamQuery", Downcall.INT))).contains("1 parameters");
    }

    @Test
    void readerEvaluatesEnumsAndDefines() {
        CHeader h = CHeader.parse("""
                #define CU_MEMHOSTALLOC_DEVICEMAP       0x02
                typedef enum { A_ONE = 1, A_TWO, A_FOUR = 4, A_FIVE = (A_ONE | A_FOUR), A_HIGH = 8 | 128 } a_t;
                """);
        assertThat(h.constant("CU_MEMHOSTALLOC_DEVICEMAP")).isEqualTo(2);
        assertThat(h.constant("A_TWO")).isEqualTo(2);
        assertThat(h.constant("A_FIVE")).isEqualTo(5);
        assertThat(h.constant("A_HIGH")).isEqualTo(136);
        assertThat(h.constant("A_NONE")).isNull();
    }

    /**
     * Every {@code public static final int} of {@code owner} that the header defines has the
     * header's value; at least {@code atLeast} of them must be found, so the check is not vacuous.
     */
    private static void assertConstantsMatch(CHeader h, Class<?> owner, Path header, int atLeast) throws IllegalAccessException {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (var f : owner.getFields()) {
            if (f.getType() != int.class || !java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            Long want = h.constant(f.getName());
            if (want == null) {
                continue;
            }
            checked++;
            if (want != f.getInt(null)) {
                problems.add(f.getName() + " = " + f.getInt(null) + ", header says " + want);
            }
        }
        assertThat(problems).as("constants that disagree with " + header).isEmpty();
        assertThat(checked).as("constants of " + owner.getSimpleName() + " found in " + header).isGreaterThanOrEqualTo(atLeast);
    }

    private static void assertConforms(CHeader h, List<Downcall> downcalls, Path header) {
        assertThat(downcalls).isNotEmpty();
        List<String> problems = new ArrayList<>();
        for (Downcall d : downcalls) {
            String problem = mismatch(h, d);
            if (problem != null) {
                problems.add(problem);
            }
            // An older symbol a driver may export instead: declared under its own name, or as the
            // name a #define now renames to the newer symbol.
            for (String older : d.fallbacks()) {
                CHeader.Prototype p = h.function(older) != null ? h.function(older) : h.functionAsWritten(older);
                String olderProblem = mismatch(p, h, new Downcall(older, List.of(), d.descriptor()));
                if (olderProblem != null) {
                    problems.add(olderProblem);
                }
            }
        }
        assertThat(problems).as("bindings that disagree with " + header).isEmpty();
    }

    /** Null when {@code d} agrees with the header, else what differs. */
    private static String mismatch(CHeader h, Downcall d) {
        return mismatch(h.function(d.symbol()), h, d);
    }

    private static String mismatch(CHeader.Prototype p, CHeader h, Downcall d) {
        if (p == null) {
            return d.symbol() + " is not declared";
        }
        List<MemoryLayout> args = d.descriptor().argumentLayouts();
        if (args.size() != p.parameterTypes().size()) {
            return d.symbol() + ": bound with " + args.size() + " arguments, declared with "
                    + p.parameterTypes().size() + " parameters " + p.parameterTypes();
        }
        String ret = h.kind(p.returnType());
        String boundRet = d.descriptor().returnLayout().map(HeaderConformanceTest::kind).orElse("void");
        if (!ret.equals(boundRet)) {
            return d.symbol() + ": returns " + p.returnType() + " (" + ret + "), bound as " + boundRet;
        }
        for (int i = 0; i < args.size(); i++) {
            String want = h.kind(p.parameterTypes().get(i));
            String have = kind(args.get(i));
            if (!want.equals(have)) {
                return d.symbol() + ": parameter " + i + " is " + p.parameterTypes().get(i) + " (" + want + "), bound as " + have;
            }
        }
        return null;
    }

    private static String kind(MemoryLayout l) {
        if (l instanceof AddressLayout) {
            return "ptr";
        }
        if (l instanceof ValueLayout.OfFloat) {
            return "f32";
        }
        if (l instanceof ValueLayout.OfDouble) {
            return "f64";
        }
        return "i" + l.byteSize() * 8;
    }

    /** PANATRAIN_CUDA_INCLUDE, CUDA_HOME/include, CUDA_PATH/include, /usr/local/cuda/include, then {@code extra}. */
    private static List<Path> includeFolders(List<Path> extra) {
        List<Path> out = new ArrayList<>();
        String own = System.getenv("PANATRAIN_CUDA_INCLUDE");
        if (own != null) {
            for (String s : own.split(":")) {
                if (!s.isBlank()) {
                    out.add(Path.of(s));
                }
            }
        }
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = System.getenv(var);
            if (v != null && !v.isBlank()) {
                out.add(Path.of(v, "include"));
            }
        }
        out.add(Path.of("/usr/local/cuda/include"));
        out.addAll(extra);
        return out;
    }

    private static Optional<Path> find(String name, List<Path> folders) {
        return folders.stream().map(f -> f.resolve(name)).filter(Files::isRegularFile).findFirst();
    }
}
