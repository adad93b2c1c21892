// Runs every kernel of native-src on the CPU emulation of emulate.h and compares it with float64
// reference math written here, at odd and aligned sizes, FP32 and BF16 storage: a check of the
// kernels' logic (indexing, masking, reductions, warp cooperation, determinism) on machines with
// no GPU. Build and run: native-src/dev/check-kernels.sh. Leaves out performance and anything
// about the real memory model; the GPU tests (CudaKernelsGpuTest) are the real check.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "emulate.h"

typedef __nv_bfloat16 bf16;

#define DECLARE(S, T)                                                                                                 \
    extern "C" void fill_##S(T*, long, float);                                                                        \
    extern "C" void accumulate_##S(T*, const T*, long);                                                               \
    extern "C" void scale_##S(T*, long, float);                                                                       \
    extern "C" void add_##S(T*, const T*, const T*, long);                                                            \
    extern "C" void gelu_forward_##S(T*, const T*, long);                                                             \
    extern "C" void gelu_backward_##S(T*, const T*, const T*, long);                                                  \
    extern "C" void encoder_forward_##S(T*, const int*, const T*, const T*, int, int, int);                           \
    extern "C" void encoder_backward_wte_##S(T*, const T*, const int*, int, int);                                     \
    extern "C" void encoder_backward_wpe_##S(T*, const T*, int, int, int);                                            \
    extern "C" void layernorm_forward_##S(T*, float*, float*, const T*, const T*, const T*, int, int);                \
    extern "C" void residual_layernorm_forward_##S(T*, T*, float*, float*, const T*, const T*, const T*, const T*, int, int); \
    extern "C" void layernorm_backward_input_##S(T*, const T*, const T*, const T*, const float*, const float*, int, int); \
    extern "C" void layernorm_backward_params_partial_##S(float*, const T*, const T*, const float*, const float*, int, int, int); \
    extern "C" void column_sums_partial_##S(float*, const T*, int, int, int);                                         \
    extern "C" void column_sums_finalize_##S(T*, const float*, int, int, int);                                        \
    extern "C" void attention_softmax_forward_##S(T*, const T*, int, int, float);                                     \
    extern "C" void attention_softmax_backward_##S(T*, const T*, int, int, float);                                    \
    extern "C" void attention_split_heads_##S(T*, T*, T*, const T*, int, int, int, int);                              \
    extern "C" void attention_merge_heads_grad_##S(T*, const T*, const T*, const T*, int, int, int, int);             \
    extern "C" void attention_heads_to_rows_##S(T*, const T*, int, int, int, int);                                    \
    extern "C" void attention_rows_to_heads_##S(T*, const T*, int, int, int, int);                                    \
    extern "C" void cross_entropy_##S(float*, T*, const int*, int, int, float);                                       \
    extern "C" void adamw_##S(float*, const T*, float*, float*, T*, long, float, float, float, float, float, float); \
    extern "C" void global_norm_partial_##S(float*, const T*, long);                                                  \
    extern "C" void clip_by_global_norm_##S(T*, long, const float*, float);                                           \
    extern "C" void check_finite_##S(float*, const T*, long);                                                        \
    extern "C" void dropout_##S(T*, const T*, long, unsigned long long, unsigned, float, int);                       \
    extern "C" void lion_##S(float*, const T*, float*, long, float, float, float, float);                            \
    extern "C" void adafactor_row_moments_##S(float*, const T*, int, int, float, float);                            \
    extern "C" void adafactor_column_partial_##S(float*, const T*, int, int, int, float);                           \
    extern "C" void adafactor_vector_moments_##S(float*, const T*, long, float, float);                              \
    extern "C" void adafactor_squares_partial_##S(float*, const T*, const float*, const float*, const float*, long, int, int); \
    extern "C" void adafactor_apply_##S(float*, const T*, const float*, const float*, const float*, long, int, int, float, float, float); \
    extern "C" void adamw8bit_##S(float*, const T*, unsigned char*, float*, unsigned char*, float*, const float*, long, int, \
                                  float, float, float, float, float, float, float);
DECLARE(f32, float)
DECLARE(bf16, bf16)
extern "C" void global_norm_final(float*, const float*, int);
extern "C" void adafactor_column_finalize(float*, const float*, int, int, int, float);
extern "C" void copy_bytes(unsigned char*, const unsigned char*, long);
extern "C" void cast_f32_to_bf16(bf16*, const float*, long, float*);
extern "C" void cast_bf16_to_f32(float*, const bf16*, long, float*);
extern "C" void cast_f32_to_e4m3(unsigned char*, const float*, long, const float*, float*);
extern "C" void cast_f32_to_e5m2(unsigned char*, const float*, long, const float*, float*);
extern "C" void cast_transpose_f32_to_e4m3(unsigned char*, const float*, int, int, const float*, float*);

static int failures = 0;
static std::mt19937 rng(1234);

static float tof(float x) { return x; }
static float tof(bf16 x) { return __bfloat162float(x); }
template <typename T> static T fromf(float x);
template <> float fromf<float>(float x) { return x; }
template <> bf16 fromf<bf16>(float x) { return __float2bfloat16_rn(x); }
template <typename T> static constexpr double tol() { return sizeof(T) == 4 ? 2e-5 : 1.5e-2; }
template <typename T> static const char* tname() { return sizeof(T) == 4 ? "f32" : "bf16"; }

template <typename T>
static std::vector<T> random(size_t n, double scale) {
    std::uniform_real_distribution<double> u(-scale, scale);
    std::vector<T> v(n);
    for (auto& x : v) x = fromf<T>((float)u(rng));
    return v;
}

template <typename T>
static std::vector<double> wide(const std::vector<T>& v) {
    std::vector<double> d(v.size());
    for (size_t i = 0; i < v.size(); i++) d[i] = tof(v[i]);
    return d;
}

template <typename T>
static std::vector<T> poisoned(size_t n) {
    return std::vector<T>(n, fromf<T>(NAN));
}

/**
 * got == want, or |got - want| <= tol (|want| + max|want|) + floor, like GpuTensors.assertClose;
 * floor is an absolute allowance for results that cancel (a loss near zero).
 */
template <typename G>
static void expect(const std::string& what, const std::vector<double>& want, const std::vector<G>& got, double tolerance,
                   double floor = 0) {
    double mx = 0;
    for (double w : want) mx = std::max(mx, std::fabs(w));
    for (size_t i = 0; i < want.size(); i++) {
        double g = tof(got[i]);
        if (!(g == want[i] || std::fabs(g - want[i]) <= tolerance * (std::fabs(want[i]) + mx) + floor)) {
            std::printf("FAIL %s: element %zu is %g, expected %g\n", what.c_str(), i, g, want[i]);
            failures++;
            return;
        }
    }
}

static dim3 grid1(long x, long y = 1) { return dim3((unsigned)x, (unsigned)y); }
static long cdiv(long a, long b) { return (a + b - 1) / b; }
static const int BLOCK = 256;

#define RUN(grid, threads, call) emu::launch(grid, threads, [&] { call; })

static double gelu(double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }
static double gelu_grad(double x) {
    double u = std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x), t = std::tanh(u);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * std::sqrt(2 / M_PI) * (1 + 3 * 0.044715 * x * x);
}

// ---- pointwise ------------------------------------------------------------------------------------
template <typename T, typename Fill, typename Acc, typename Scale, typename Add, typename GeluF, typename GeluB>
static void check_pointwise(Fill fill, Acc acc, Scale scale, Add add, GeluF gf, GeluB gb) {
    for (long n : {1L, 7L, 33L, 1000L}) {
        for (int offset : {0, 1}) {  // offset 1: misaligned, scalar paths
            std::string at = std::string(tname<T>()) + " n=" + std::to_string(n) + " offset=" + std::to_string(offset);
            auto a = random<T>(n + 1, 3), b = random<T>(n + 1, 3), d = random<T>(n + 1, 1);
            T *pa = a.data() + offset, *pb = b.data() + offset;
            auto wa = wide(a), wb = wide(b), wd = wide(d);
            auto out = poisoned<T>(n + 1);
            RUN(grid1(2), BLOCK, fill(out.data() + offset, n, 0.37f));
            expect("fill " + at, std::vector<double>(n, tof(fromf<T>(0.37f))), std::vector<T>(out.begin() + offset, out.begin() + offset + n), 0);
            auto dd = d;
            RUN(grid1(2), BLOCK, acc(dd.data() + offset, pa, n));
            std::vector<double> want(n);
            for (long i = 0; i < n; i++) want[i] = wd[i + offset] + wa[i + offset];
            expect("accumulate " + at, want, std::vector<T>(dd.begin() + offset, dd.begin() + offset + n), tol<T>());
            dd = d;
            RUN(grid1(1), BLOCK, scale(dd.data() + offset, n, -1.7f));
            for (long i = 0; i < n; i++) want[i] = wd[i + offset] * -1.7;
            expect("scale " + at, want, std::vector<T>(dd.begin() + offset, dd.begin() + offset + n), tol<T>());
            out = poisoned<T>(n + 1);
            RUN(grid1(3), BLOCK, add(out.data() + offset, pa, pb, n));
            for (long i = 0; i < n; i++) want[i] = wa[i + offset] + wb[i + offset];
            expect("add " + at, want, std::vector<T>(out.begin() + offset, out.begin() + offset + n), tol<T>());
            out = poisoned<T>(n + 1);
            RUN(grid1(1), BLOCK, gf(out.data() + offset, pa, n));
            for (long i = 0; i < n; i++) want[i] = gelu(wa[i + offset]);
            expect("gelu_forward " + at, want, std::vector<T>(out.begin() + offset, out.begin() + offset + n), tol<T>());
            dd = d;
            RUN(grid1(1), BLOCK, gb(dd.data() + offset, pa, pb, n));
            for (long i = 0; i < n; i++) want[i] = wd[i + offset] + gelu_grad(wa[i + offset]) * wb[i + offset];
            expect("gelu_backward " + at, want, std::vector<T>(dd.begin() + offset, dd.begin() + offset + n), tol<T>());
        }
    }
}

// ---- encoder ---------------------------------------------------------------------------------------
template <typename T, typename Fwd, typename BwdWte, typename BwdWpe>
static void check_encoder(Fwd fwd, BwdWte wteK, BwdWpe wpeK) {
    int shapes[][5] = {{1, 1, 1, 1, 1}, {2, 5, 7, 3, 6}, {2, 40, 16, 5, 40}, {1, 9, 300, 4, 9}}; // B T C V maxT
    for (auto& s : shapes) {
        int B = s[0], T_ = s[1], C = s[2], V = s[3], maxT = s[4], N = B * T_;
        std::string at = std::string(tname<T>()) + " B=" + std::to_string(B) + " T=" + std::to_string(T_) + " C=" + std::to_string(C);
        std::vector<int> tokens(N);
        for (auto& t : tokens) t = rng() % V;
        auto wte = random<T>((size_t)V * C, 1), wpe = random<T>((size_t)maxT * C, 1), dout = random<T>((size_t)N * C, 1);
        auto out = poisoned<T>((size_t)N * C);
        RUN(grid1(3), BLOCK, fwd(out.data(), tokens.data(), wte.data(), wpe.data(), B, T_, C));
        std::vector<double> want((size_t)N * C);
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++) want[(size_t)n * C + c] = tof(wte[(size_t)tokens[n] * C + c]) + tof(wpe[(size_t)(n % T_) * C + c]);
        expect("encoder_forward " + at, want, out, tol<T>());

        auto dwte = random<T>((size_t)V * C, 1), dwpe = random<T>((size_t)maxT * C, 1);
        std::vector<double> wantWte = wide(dwte), wantWpe = wide(dwpe);
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++) {
                wantWte[(size_t)tokens[n] * C + c] += tof(dout[(size_t)n * C + c]);
                wantWpe[(size_t)(n % T_) * C + c] += tof(dout[(size_t)n * C + c]);
            }
        RUN(grid1(N, cdiv(C, 256)), 256, wteK(dwte.data(), dout.data(), tokens.data(), N, C));
        RUN(grid1(cdiv((long)T_ * C, BLOCK)), BLOCK, wpeK(dwpe.data(), dout.data(), B, T_, C));
        expect("encoder_backward dwte " + at, wantWte, dwte, tol<T>());
        expect("encoder_backward dwpe " + at, wantWpe, dwpe, tol<T>());
    }
}

// ---- layernorm ---------------------------------------------------------------------------------------
template <typename T, typename Fwd, typename Res, typename BwdIn, typename BwdPart, typename Fin>
static void check_layernorm(Fwd fwd, Res res, BwdIn bwdIn, BwdPart part, Fin fin) {
    int shapes[][2] = {{1, 1}, {3, 7}, {9, 64}, {5, 200}}; // N C
    for (auto& s : shapes) {
        int N = s[0], C = s[1];
        std::string at = std::string(tname<T>()) + " N=" + std::to_string(N) + " C=" + std::to_string(C);
        auto x = random<T>((size_t)N * C, 2), w = random<T>(C, 1), b = random<T>(C, 1), dout = random<T>((size_t)N * C, 1);
        auto wx = wide(x), ww = wide(w), wb = wide(b), wg = wide(dout);
        std::vector<double> mean(N), rstd(N), want((size_t)N * C);
        for (int n = 0; n < N; n++) {
            double m = 0, v = 0;
            for (int c = 0; c < C; c++) m += wx[(size_t)n * C + c];
            m /= C;
            for (int c = 0; c < C; c++) v += (wx[(size_t)n * C + c] - m) * (wx[(size_t)n * C + c] - m);
            mean[n] = m;
            rstd[n] = 1 / std::sqrt(v / C + 1e-5);
            for (int c = 0; c < C; c++) want[(size_t)n * C + c] = (wx[(size_t)n * C + c] - m) * rstd[n] * ww[c] + wb[c];
        }
        auto out = poisoned<T>((size_t)N * C);
        std::vector<float> gm(N, NAN), gr(N, NAN);
        RUN(grid1(cdiv((long)N * 32, BLOCK)), BLOCK, fwd(out.data(), gm.data(), gr.data(), x.data(), w.data(), b.data(), N, C));
        expect("layernorm_forward out " + at, want, out, tol<T>());
        expect("layernorm_forward mean " + at, mean, gm, 2e-5);
        expect("layernorm_forward rstd " + at, rstd, gr, 2e-5);

        auto r = random<T>((size_t)N * C, 2);
        auto residual = poisoned<T>((size_t)N * C);
        out = poisoned<T>((size_t)N * C);
        RUN(grid1(cdiv((long)N * 32, BLOCK)), BLOCK, res(residual.data(), out.data(), gm.data(), gr.data(), r.data(), x.data(), w.data(), b.data(), N, C));
        std::vector<double> wantRes((size_t)N * C);
        for (size_t i = 0; i < wantRes.size(); i++) wantRes[i] = tof(fromf<T>((float)(tof(r[i]) + wx[i])));
        expect("residual " + at, wantRes, residual, tol<T>());
        for (int n = 0; n < N; n++) {
            double m = 0, v = 0;
            for (int c = 0; c < C; c++) m += wantRes[(size_t)n * C + c];
            m /= C;
            for (int c = 0; c < C; c++) v += (wantRes[(size_t)n * C + c] - m) * (wantRes[(size_t)n * C + c] - m);
            double s = 1 / std::sqrt(v / C + 1e-5);
            for (int c = 0; c < C; c++) want[(size_t)n * C + c] = (wantRes[(size_t)n * C + c] - m) * s * ww[c] + wb[c];
        }
        expect("residual_layernorm_forward out " + at, want, out, tol<T>());

        // backward, from the forward's saved statistics of x
        RUN(grid1(cdiv((long)N * 32, BLOCK)), BLOCK, fwd(out.data(), gm.data(), gr.data(), x.data(), w.data(), b.data(), N, C));
        auto dx = random<T>((size_t)N * C, 1), dw = random<T>(C, 1), db = random<T>(C, 1);
        std::vector<double> wantDx = wide(dx), wantDw = wide(dw), wantDb = wide(db);
        for (int n = 0; n < N; n++) {
            double md = 0, mdn = 0;
            for (int c = 0; c < C; c++) {
                double norm = (wx[(size_t)n * C + c] - mean[n]) * rstd[n], dn = wg[(size_t)n * C + c] * ww[c];
                md += dn;
                mdn += dn * norm;
                wantDw[c] += wg[(size_t)n * C + c] * norm;
                wantDb[c] += wg[(size_t)n * C + c];
            }
            md /= C;
            mdn /= C;
            for (int c = 0; c < C; c++) {
                double norm = (wx[(size_t)n * C + c] - mean[n]) * rstd[n], dn = wg[(size_t)n * C + c] * ww[c];
                wantDx[(size_t)n * C + c] += rstd[n] * (dn - md - norm * mdn);
            }
        }
        RUN(grid1(cdiv((long)N * 32, BLOCK)), BLOCK, bwdIn(dx.data(), dout.data(), x.data(), w.data(), gm.data(), gr.data(), N, C));
        int rows = (int)cdiv(N, std::min(N, 2)), chunks = (int)cdiv(N, rows);  // several chunks even at small N
        std::vector<float> partials((size_t)chunks * 2 * C, NAN);
        RUN(grid1(cdiv(C, BLOCK), chunks), BLOCK, part(partials.data(), dout.data(), x.data(), gm.data(), gr.data(), N, C, rows));
        RUN(grid1(cdiv(C, BLOCK)), BLOCK, fin(dw.data(), partials.data(), chunks, C, 2 * C));
        RUN(grid1(cdiv(C, BLOCK)), BLOCK, fin(db.data(), partials.data() + C, chunks, C, 2 * C));
        expect("layernorm_backward dinp " + at, wantDx, dx, tol<T>());
        expect("layernorm_backward dweight " + at, wantDw, dw, tol<T>());
        expect("layernorm_backward dbias " + at, wantDb, db, tol<T>());
    }
}

template <typename T, typename Part, typename Fin>
static void check_column_sums(Part part, Fin fin) {
    int shapes[][2] = {{1, 1}, {5, 3}, {37, 300}}; // N OC
    for (auto& s : shapes) {
        int N = s[0], OC = s[1];
        auto x = random<T>((size_t)N * OC, 1), out = random<T>(OC, 1);
        std::vector<double> want = wide(out);
        for (int n = 0; n < N; n++)
            for (int c = 0; c < OC; c++) want[c] += tof(x[(size_t)n * OC + c]);
        int rows = (int)cdiv(N, std::min(N, 4)), chunks = (int)cdiv(N, rows);
        std::vector<float> partials((size_t)chunks * OC, NAN);
        RUN(grid1(cdiv(OC, BLOCK), chunks), BLOCK, part(partials.data(), x.data(), N, OC, rows));
        RUN(grid1(cdiv(OC, BLOCK)), BLOCK, fin(out.data(), partials.data(), chunks, OC, OC));
        expect(std::string("column_sums ") + tname<T>() + " N=" + std::to_string(N) + " OC=" + std::to_string(OC), want, out, tol<T>());
    }
}

// ---- attention ---------------------------------------------------------------------------------------
template <typename T, typename Fwd, typename Bwd, typename Split, typename Merge, typename H2R, typename R2H>
static void check_attention(Fwd fwd, Bwd bwd, Split split, Merge merge, H2R h2r, R2H r2h) {
    int shapes[][4] = {{1, 1, 1, 4}, {2, 3, 7, 5}, {1, 2, 40, 8}, {1, 1, 16, 3}}; // B NH T HS
    for (auto& s : shapes) {
        int B = s[0], NH = s[1], T_ = s[2], HS = s[3], C = NH * HS, BNH = B * NH;
        std::string at = std::string(tname<T>()) + " B=" + std::to_string(B) + " NH=" + std::to_string(NH) + " T=" + std::to_string(T_);
        float scale = 1 / std::sqrt((float)HS);
        auto pre = random<T>((size_t)BNH * T_ * T_, 4);
        auto att = poisoned<T>(pre.size());
        RUN(grid1(cdiv((long)BNH * T_ * 32, BLOCK)), BLOCK, fwd(att.data(), pre.data(), BNH, T_, scale));
        std::vector<double> want(pre.size(), 0.0);
        for (int r = 0; r < BNH * T_; r++) {
            int t = r % T_;
            double mx = -INFINITY, sum = 0;
            for (int u = 0; u <= t; u++) mx = std::max(mx, scale * (double)tof(pre[(size_t)r * T_ + u]));
            for (int u = 0; u <= t; u++) sum += std::exp(scale * (double)tof(pre[(size_t)r * T_ + u]) - mx);
            for (int u = 0; u <= t; u++) want[(size_t)r * T_ + u] = std::exp(scale * (double)tof(pre[(size_t)r * T_ + u]) - mx) / sum;
        }
        expect("attention_softmax_forward " + at, want, att, tol<T>());
        auto inPlace = pre;
        RUN(grid1(cdiv((long)BNH * T_ * 32, BLOCK)), BLOCK, fwd(inPlace.data(), inPlace.data(), BNH, T_, scale));
        expect("attention_softmax_forward in place " + at, want, inPlace, tol<T>());

        auto datt = random<T>(pre.size(), 1);
        std::vector<double> wantD(pre.size(), 0.0);
        for (int r = 0; r < BNH * T_; r++) {
            int t = r % T_;
            double dot = 0;
            for (int u = 0; u <= t; u++) dot += tof(att[(size_t)r * T_ + u]) * (double)tof(datt[(size_t)r * T_ + u]);
            for (int u = 0; u <= t; u++)
                wantD[(size_t)r * T_ + u] = scale * tof(att[(size_t)r * T_ + u]) * (tof(datt[(size_t)r * T_ + u]) - dot);
        }
        RUN(grid1(cdiv((long)BNH * T_ * 32, BLOCK)), BLOCK, bwd(datt.data(), att.data(), BNH, T_, scale));
        expect("attention_softmax_backward " + at, wantD, datt, tol<T>());

        auto qkv = random<T>((size_t)B * T_ * 3 * C, 1);
        size_t nh = (size_t)BNH * T_ * HS;
        auto q = poisoned<T>(nh), k = poisoned<T>(nh), v = poisoned<T>(nh);
        RUN(grid1(2), BLOCK, split(q.data(), k.data(), v.data(), qkv.data(), B, T_, NH, HS));
        std::vector<double> wq(nh), wk(nh), wv(nh);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < NH; h++)
                for (int t = 0; t < T_; t++)
                    for (int d = 0; d < HS; d++) {
                        size_t i = (((size_t)b * NH + h) * T_ + t) * HS + d, src = ((size_t)b * T_ + t) * 3 * C + h * HS + d;
                        wq[i] = tof(qkv[src]);
                        wk[i] = tof(qkv[src + C]);
                        wv[i] = tof(qkv[src + 2 * C]);
                    }
        expect("split_heads q " + at, wq, q, 0);
        expect("split_heads k " + at, wk, k, 0);
        expect("split_heads v " + at, wv, v, 0);

        auto dq = random<T>(nh, 1), dk = random<T>(nh, 1), dv = random<T>(nh, 1), dqkv = random<T>(qkv.size(), 1);
        std::vector<double> wd = wide(dqkv);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < NH; h++)
                for (int t = 0; t < T_; t++)
                    for (int d = 0; d < HS; d++) {
                        size_t i = (((size_t)b * NH + h) * T_ + t) * HS + d, dst = ((size_t)b * T_ + t) * 3 * C + h * HS + d;
                        wd[dst] += tof(dq[i]);
                        wd[dst + C] += tof(dk[i]);
                        wd[dst + 2 * C] += tof(dv[i]);
                    }
        RUN(grid1(1), BLOCK, merge(dqkv.data(), dq.data(), dk.data(), dv.data(), B, T_, NH, HS));
        expect("merge_heads_grad " + at, wd, dqkv, tol<T>());

        auto rowsOut = poisoned<T>((size_t)B * T_ * C), back = poisoned<T>(nh);
        RUN(grid1(2), BLOCK, h2r(rowsOut.data(), q.data(), B, T_, NH, HS));
        RUN(grid1(2), BLOCK, r2h(back.data(), rowsOut.data(), B, T_, NH, HS));
        expect("heads_to_rows then rows_to_heads " + at, wq, back, 0);
        std::vector<double> wRows((size_t)B * T_ * C);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T_; t++)
                for (int c = 0; c < C; c++) wRows[((size_t)b * T_ + t) * C + c] = wq[(((size_t)b * NH + c / HS) * T_ + t) * HS + c % HS];
        expect("heads_to_rows " + at, wRows, rowsOut, 0);
    }
}

// ---- dropout ---------------------------------------------------------------------------------------
// The checker's own Philox4x32-10 (Random123's algorithm, written again here), checked on its
// known-answer vector before it makes the reference masks.
static void philox_ref(uint32_t c[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; r++) {
        uint64_t a = (uint64_t)0xD2511F53u * c[0], b = (uint64_t)0xCD9E8D57u * c[2];
        uint32_t n[4] = {(uint32_t)(b >> 32) ^ c[1] ^ k0, (uint32_t)b, (uint32_t)(a >> 32) ^ c[3] ^ k1, (uint32_t)a};
        for (int i = 0; i < 4; i++) c[i] = n[i];
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

static bool keep_ref(unsigned long long seed, long i, double threshold) {
    uint32_t c[4] = {(uint32_t)(i / 4), (uint32_t)((unsigned long long)(i / 4) >> 32), 0, 0};
    philox_ref(c, (uint32_t)seed, (uint32_t)(seed >> 32));
    return c[i % 4] >= threshold;
}

template <typename T, typename Drop>
static void check_dropout(Drop drop) {
    uint32_t kat[4] = {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344};
    philox_ref(kat, 0xa4093822, 0x299f31d0);
    if (kat[0] != 0xd16cfe09 || kat[1] != 0x94fdcceb || kat[2] != 0x5001e420 || kat[3] != 0x24126ea1) {
        std::printf("FAIL philox reference: known-answer vector\n");
        failures++;
    }
    for (long n : {1L, 7L, 33L, 1000L, 4099L}) {
        for (float p : {0.0f, 0.1f, 0.5f}) {
            std::string at = std::string(tname<T>()) + " n=" + std::to_string(n) + " p=" + std::to_string(p);
            unsigned long long seed = 0x123456789abcdefULL + n;
            double threshold = std::nearbyint((double)p * 4294967296.0);
            float scale = (float)(1.0 / (1.0 - p));
            auto x = random<T>(n, 3), d = random<T>(n, 1);
            auto wx = wide(x), wd = wide(d);
            std::vector<double> want(n), wantAcc(n);
            for (long i = 0; i < n; i++) {
                want[i] = keep_ref(seed, i, threshold) ? wx[i] / (1.0 - p) : 0;
                wantAcc[i] = wd[i] + want[i];
            }
            auto out = poisoned<T>(n);
            RUN(grid1(2), BLOCK, drop(out.data(), x.data(), n, seed, (unsigned)threshold, scale, 0));
            expect("dropout " + at, want, out, tol<T>());
            RUN(grid1(1), BLOCK, drop(d.data(), x.data(), n, seed, (unsigned)threshold, scale, 1));
            expect("dropout accumulate " + at, wantAcc, d, tol<T>());
            RUN(grid1(3), BLOCK, drop(x.data(), x.data(), n, seed, (unsigned)threshold, scale, 0));
            expect("dropout in place " + at, want, x, tol<T>());
        }
    }
}

// ---- loss, optimizer, norms ------------------------------------------------------------------------
template <typename T, typename CE>
static void check_cross_entropy(CE ce) {
    int shapes[][2] = {{1, 2}, {3, 11}, {2, 1000}, {1, 5003}}; // N V
    for (auto& s : shapes) {
        int N = s[0], V = s[1];
        for (float dscale : {1.0f / N, 0.0f}) {
            std::string at = std::string(tname<T>()) + " N=" + std::to_string(N) + " V=" + std::to_string(V) + " scale=" + std::to_string(dscale);
            auto logits = random<T>((size_t)N * V, 8);
            std::vector<int> targets(N);
            for (auto& t : targets) t = rng() % V;
            std::vector<double> wantLoss(N), wantD((size_t)N * V);
            for (int n = 0; n < N; n++) {
                double mx = -INFINITY, sum = 0;
                for (int v = 0; v < V; v++) mx = std::max(mx, (double)tof(logits[(size_t)n * V + v]));
                for (int v = 0; v < V; v++) sum += std::exp(tof(logits[(size_t)n * V + v]) - mx);
                wantLoss[n] = std::log(sum) + mx - tof(logits[(size_t)n * V + targets[n]]);
                for (int v = 0; v < V; v++)
                    wantD[(size_t)n * V + v] = (std::exp(tof(logits[(size_t)n * V + v]) - mx) / sum - (v == targets[n])) * dscale;
            }
            std::vector<float> losses(N, NAN);
            RUN(grid1(N), 1024, ce(losses.data(), logits.data(), targets.data(), N, V, dscale));
            expect("cross_entropy loss " + at, wantLoss, losses, 2e-5, 1e-6); // log(sum) in FP32: ~1e-7 absolute
            expect("cross_entropy dlogits " + at, wantD, logits, tol<T>());
        }
    }
}

template <typename T, typename Adam>
static void check_adamw(Adam adam) {
    for (long n : {1L, 7L, 1001L}) {
        for (int t : {1, 7}) {
            std::string at = std::string(tname<T>()) + " n=" + std::to_string(n) + " t=" + std::to_string(t);
            auto p = random<float>(n, 1), m = random<float>(n, 0.1), v = random<float>(n, 0.01);
            for (auto& x : v) x = std::fabs(x);
            auto g = random<T>(n, 1);
            double lr = 6e-4, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
            double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
            std::vector<double> wp(n), wm(n), wv(n);
            for (long i = 0; i < n; i++) {
                double gi = tof(g[i]);
                wm[i] = b1 * m[i] + (1 - b1) * gi;
                wv[i] = b2 * v[i] + (1 - b2) * gi * gi;
                wp[i] = p[i] - lr * ((wm[i] / bc1) / (std::sqrt(wv[i] / bc2) + eps) + wd * p[i]);
            }
            auto copy = poisoned<T>(n);
            RUN(grid1(1), BLOCK, adam(p.data(), g.data(), m.data(), v.data(), copy.data(), n, (float)b1, (float)b2,
                                      (float)eps, (float)(1 - lr * wd), (float)(lr / bc1), (float)std::sqrt(bc2)));
            expect("adamw param " + at, wp, p, 2e-5);
            expect("adamw m " + at, wm, m, 2e-5);
            expect("adamw v " + at, wv, v, 2e-5);
            std::vector<double> wc(n);
            for (long i = 0; i < n; i++) wc[i] = tof(fromf<T>(p[i]));
            expect("adamw working copy " + at, wc, copy, 0);
        }
    }
}

template <typename T, typename Lion>
static void check_lion(Lion lion) {
    for (long n : {1L, 7L, 1001L}) {
        std::string at = std::string(tname<T>()) + " n=" + std::to_string(n);
        auto p = random<float>(n, 1), m = random<float>(n, 0.1);
        auto g = random<T>(n, 1);
        if (n > 3) {  // c = 0 exactly: sign(0) = 0, the weight only decays
            m[3] = 0;
            g[3] = fromf<T>(0);
        }
        double lr = 3e-4, b1 = 0.9, b2 = 0.99, wd = 0.5;
        std::vector<double> wp(n), wm(n);
        for (long i = 0; i < n; i++) {
            double gi = tof(g[i]), c = b1 * m[i] + (1 - b1) * gi;
            wp[i] = p[i] * (1 - lr * wd) - lr * (c > 0 ? 1 : c < 0 ? -1 : 0);
            wm[i] = b2 * m[i] + (1 - b2) * gi;
        }
        RUN(grid1(2), BLOCK, lion(p.data(), g.data(), m.data(), n, (float)lr, (float)b1, (float)b2, (float)(1 - lr * wd)));
        expect("lion param " + at, wp, p, 2e-5);
        expect("lion m " + at, wm, m, 2e-5);
    }
}

template <typename T, typename Rows, typename ColPart, typename Vec, typename Squares, typename Apply>
static void check_adafactor(Rows rowsK, ColPart colPart, Vec vecK, Squares squares, Apply apply) {
    const double beta2t = 0.3, eps1 = 1e-30, lr = 1e-2, wd = 0.1;
    // (rows, cols); cols = 0: a vector of `rows` elements
    for (auto [rows, cols] : std::vector<std::pair<int, int>>{{5, 7}, {37, 64}, {300, 33}, {1, 0}, {1001, 0}}) {
        for (double clip : {0.5, 4.0}) {
            const bool factored = cols > 0;
            const long n = factored ? (long)rows * cols : rows;
            std::string at = std::string(tname<T>()) + " " + std::to_string(rows) + "x" + std::to_string(cols) +
                             " clip=" + std::to_string(clip);
            auto p = random<float>(n, 1);
            auto g = random<T>(n, 1);
            auto row = random<float>(factored ? rows : n, 1), column = random<float>(std::max(cols, 1), 1);
            for (auto& x : row) x = std::fabs(x) + 0.01f;
            for (auto& x : column) x = std::fabs(x) + 0.01f;
            // float64 reference
            std::vector<double> wr(row.size()), wc(column.size()), wp(n);
            for (size_t r = 0; r < wr.size(); r++) {
                double sum = 0;
                if (factored)
                    for (int j = 0; j < cols; j++) sum += (double)tof(g[r * cols + j]) * tof(g[r * cols + j]) + eps1;
                else
                    sum = (double)tof(g[r]) * tof(g[r]) + eps1;
                wr[r] = beta2t * row[r] + (1 - beta2t) * sum / (factored ? cols : 1);
            }
            double rowMean = 0;
            if (factored) {
                for (int j = 0; j < cols; j++) {
                    double sum = 0;
                    for (int r = 0; r < rows; r++) sum += (double)tof(g[(long)r * cols + j]) * tof(g[(long)r * cols + j]) + eps1;
                    wc[j] = beta2t * column[j] + (1 - beta2t) * sum / rows;
                }
                for (double x : wr) rowMean += x / rows;
            }
            std::vector<double> u(n);
            double sumSq = 0;
            for (long i = 0; i < n; i++) {
                u[i] = factored ? tof(g[i]) / std::sqrt(wr[i / cols] / rowMean) / std::sqrt(wc[i % cols])
                                : tof(g[i]) / std::sqrt(wr[i]);
                sumSq += u[i] * u[i];
            }
            double scale = lr / std::max(1.0, std::sqrt(sumSq / n) / clip);
            for (long i = 0; i < n; i++) wp[i] = p[i] * (1 - lr * wd) - scale * u[i];
            // the kernels, in CudaKernels' order
            if (factored) {
                const int rowsPerChunk = 16, chunks = (int)cdiv(rows, rowsPerChunk);
                std::vector<float> partials(chunks * cols, NAN);
                RUN(grid1(cdiv((long)rows * 32, BLOCK)), BLOCK, rowsK(row.data(), g.data(), rows, cols, (float)beta2t, (float)eps1));
                RUN(grid1(cdiv(cols, BLOCK), chunks), BLOCK, colPart(partials.data(), g.data(), rows, cols, rowsPerChunk, (float)eps1));
                RUN(grid1(cdiv(cols, BLOCK)), BLOCK, adafactor_column_finalize(column.data(), partials.data(), chunks, rows, cols, (float)beta2t));
                expect("adafactor row moments " + at, wr, row, 2e-5);
                expect("adafactor column moments " + at, wc, column, 2e-5);
            } else {
                RUN(grid1(2), BLOCK, vecK(row.data(), g.data(), n, (float)beta2t, (float)eps1));
                expect("adafactor vector moments " + at, wr, row, 2e-5);
            }
            std::vector<float> stats(2, NAN), partials(3, NAN);
            const float* col = factored ? column.data() : nullptr;
            if (factored) RUN(grid1(1), 1024, global_norm_final(stats.data(), row.data(), rows));
            RUN(grid1(3), BLOCK, squares(partials.data(), g.data(), row.data(), col, stats.data(), n, rows, std::max(cols, 1)));
            RUN(grid1(1), 1024, global_norm_final(stats.data() + 1, partials.data(), 3));
            expect("adafactor sum of squared updates " + at, {sumSq}, std::vector<float>{stats[1]}, 2e-5);
            RUN(grid1(2), BLOCK, apply(p.data(), g.data(), row.data(), col, stats.data(), n, rows, std::max(cols, 1),
                                       (float)lr, (float)clip, (float)(1 - lr * wd)));
            expect("adafactor param " + at, wp, p, 2e-5);
        }
    }
}

// bitsandbytes' create_dynamic_map(signed, 7, 8), built here in double from its definition.
static std::vector<double> dynamic_map(bool isSigned) {
    std::vector<double> v;
    for (int i = 0; i < 7; i++) {
        int k = isSigned ? 1 << i : 1 << (i + 1);
        for (int j = 0; j < k; j++) {
            double x = std::pow(10.0, i - 6) * (0.1 + 0.9 * (j + 0.5) / k);
            v.push_back(x);
            if (isSigned) v.push_back(-x);
        }
    }
    v.push_back(0);
    v.push_back(1);
    std::sort(v.begin(), v.end());
    return v;
}

// The nearest entry of `map` (float values) to x, ties to the lower index, by brute force.
static int nearest(const std::vector<float>& map, double x) {
    int best = 0;
    for (int c = 1; c < 256; c++)
        if (std::fabs(map[c] - x) < std::fabs(map[best] - x)) best = c;
    return best;
}

template <typename T, typename Adam8>
static void check_adamw8bit(Adam8 adam8) {
    std::vector<float> maps(1024, 0.0f), signedMap(256), unsignedMap(256);
    auto sm = dynamic_map(true), um = dynamic_map(false);
    for (int c = 0; c < 256; c++) {
        signedMap[c] = maps[c] = (float)sm[c];
        unsignedMap[c] = maps[512 + c] = (float)um[c];
    }
    for (int c = 0; c < 255; c++) {
        maps[256 + c] = (signedMap[c] + signedMap[c + 1]) / 2;
        maps[768 + c] = (unsignedMap[c] + unsignedMap[c + 1]) / 2;
    }
    std::uniform_int_distribution<int> code(0, 255);
    for (long n : {1L, 7L, 1000L, 1001L}) {
        for (int block : {256, 64, 100}) {
            for (int t : {1, 7}) {
                std::string at = std::string(tname<T>()) + " n=" + std::to_string(n) + " block=" + std::to_string(block) +
                                 " t=" + std::to_string(t);
                const long blocks = cdiv(n, block);
                auto p = random<float>(n, 1);
                auto g = random<T>(n, 1);
                std::vector<unsigned char> cm(n), cv(n);
                for (long i = 0; i < n; i++) {
                    cm[i] = (unsigned char)code(rng);
                    cv[i] = (unsigned char)code(rng);
                }
                auto am = random<float>(blocks, 0.1), av = random<float>(blocks, 0.01);
                for (auto& x : am) x = std::fabs(x);
                for (auto& x : av) x = std::fabs(x);
                double lr = 6e-4, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
                double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
                std::vector<double> wp(n), wm(n), wv(n), wam(blocks, 0), wav(blocks, 0);
                for (long i = 0; i < n; i++) {
                    const long b = i / block;
                    double gi = tof(g[i]);
                    wm[i] = b1 * signedMap[cm[i]] * (double)am[b] + (1 - b1) * gi;
                    wv[i] = b2 * unsignedMap[cv[i]] * (double)av[b] + (1 - b2) * gi * gi;
                    wp[i] = p[i] - lr * ((wm[i] / bc1) / (std::sqrt(wv[i] / bc2) + eps) + wd * p[i]);
                    wam[b] = std::max(wam[b], std::fabs(wm[i]));
                    wav[b] = std::max(wav[b], wv[i]);
                }
                const long grid = std::min(blocks, 3L);  // fewer thread blocks than quantization blocks: grid-stride
                RUN(grid1(grid), BLOCK, adam8(p.data(), g.data(), cm.data(), am.data(), cv.data(), av.data(), maps.data(),
                                              n, block, (float)lr, (float)b1, (float)b2, (float)eps, (float)wd,
                                              (float)bc1, (float)bc2));
                expect("adamw8bit param " + at, wp, p, 2e-5);
                expect("adamw8bit absmax m " + at, wam, am, 2e-5);
                expect("adamw8bit absmax v " + at, wav, av, 2e-5);
                // codes: the nearest map entry, except within FP32 rounding of a midpoint between two entries
                // (x is in [-1, 1] and its terms are at most ~1 after the division: a few 1e-8 absolute)
                for (int which = 0; which < 2; which++) {
                    const auto& map = which == 0 ? signedMap : unsignedMap;
                    for (long i = 0; i < n; i++) {
                        const double x = which == 0 ? wm[i] / wam[i / block] : wv[i] / wav[i / block];
                        const int got = which == 0 ? cm[i] : cv[i], want = nearest(map, x);
                        const double tie = std::fabs(std::fabs(map[got] - x) - std::fabs(map[want] - x));
                        if (got != want && !(tie <= 1e-6)) {
                            std::printf("FAIL adamw8bit %s codes %s: element %ld is %d, expected %d (x = %g)\n",
                                        which == 0 ? "m" : "v", at.c_str(), i, got, want, x);
                            failures++;
                            break;
                        }
                    }
                }
            }
        }
    }
}

template <typename T, typename Part, typename Clip, typename Finite>
static void check_norms(Part part, Clip clip, Finite finite) {
    std::vector<std::vector<T>> tensors = {random<T>(1, 1), random<T>(1000, 1), random<T>(4099, 1), random<T>(7, 1)};
    double want = 0;
    for (auto& t : tensors)
        for (auto x : t) want += (double)tof(x) * tof(x);
    std::vector<float> partials;
    std::vector<int> blocks;
    for (auto& t : tensors) {
        int nb = (int)std::max(1L, std::min(3L, cdiv((long)t.size(), BLOCK * 4)));
        std::vector<float> p(nb, NAN);
        RUN(grid1(nb), BLOCK, part(p.data(), t.data(), (long)t.size()));
        partials.insert(partials.end(), p.begin(), p.end());
    }
    std::vector<float> sum(1, NAN);
    RUN(grid1(1), 1024, global_norm_final(sum.data(), partials.data(), (int)partials.size()));
    expect(std::string("global_norm ") + tname<T>(), {want}, sum, 2e-5);
    for (float maxNorm : {(float)std::sqrt(want) / 3, (float)std::sqrt(want) * 2}) {
        double factor = std::min(1.0, maxNorm / (std::sqrt((double)sum[0]) + 1e-6));
        auto t = tensors[2];
        std::vector<double> w = wide(t);
        for (auto& x : w) x *= factor;
        RUN(grid1(2), BLOCK, clip(t.data(), (long)t.size(), sum.data(), maxNorm));
        expect(std::string("clip ") + tname<T>(), w, t, tol<T>());
    }
    std::vector<float> flag(1, 0.0f);
    RUN(grid1(2), BLOCK, finite(flag.data(), tensors[2].data(), (long)tensors[2].size()));
    expect(std::string("check_finite clean ") + tname<T>(), {0.0}, flag, 0);
    for (float bad : {NAN, INFINITY, -INFINITY}) {
        auto t = tensors[2];
        t[t.size() - 2] = fromf<T>(bad);
        flag[0] = 0;
        RUN(grid1(2), BLOCK, finite(flag.data(), t.data(), (long)t.size()));
        expect(std::string("check_finite with a bad value ") + tname<T>(), {1.0}, flag, 0);
    }
}

static void check_casts_and_copy() {
    std::vector<float> x = {0.f, -0.f, 1.00390625f, 1.01171875f, -3e38f, 1e-40f, INFINITY, -2.5f, 7.f};
    auto r = random<float>(1000, 100);
    x.insert(x.end(), r.begin(), r.end());
    long n = (long)x.size();
    std::vector<bf16> out(n);
    float amax = 0;
    RUN(grid1(2), BLOCK, cast_f32_to_bf16(out.data(), x.data(), n, &amax));
    std::vector<double> want(n);
    for (long i = 0; i < n; i++) want[i] = __bfloat162float(__float2bfloat16_rn(x[i]));
    expect("cast_f32_to_bf16", want, out, 0);
    expect("cast amax", {INFINITY}, std::vector<float>{amax}, 0);
    std::vector<float> back(n, NAN);
    RUN(grid1(1), BLOCK, cast_bf16_to_f32(back.data(), out.data(), n, nullptr));
    expect("cast_bf16_to_f32", want, back, 0);
    std::vector<unsigned char> src(1003), dst(1003, 0);
    for (auto& c : src) c = rng();
    for (int off : {0, 1}) {
        RUN(grid1(2), BLOCK, copy_bytes(dst.data() + off, src.data() + off, 1003 - off - 1));
        for (int i = off; i < 1003 - 1; i++)
            if (dst[i] != src[i]) { std::printf("FAIL copy_bytes offset %d byte %d\n", off, i); failures++; break; }
    }
}

// FP8 decoding and round-to-nearest-even with saturation, by enumerating the 127 non-negative
// codes: independent of cuda_fp8.h. E4M3: bias 7, no infinities, S.1111.111 is NaN; E5M2: IEEE-like.
static double fp8_value(int code, bool e4m3) {
    const int mbits = e4m3 ? 3 : 2, bias = e4m3 ? 7 : 15;
    const int e = (code & 0x7F) >> mbits, m = code & ((1 << mbits) - 1);
    const double mag = e == 0 ? std::ldexp(m, 1 - bias - mbits) : std::ldexp((1 << mbits) + m, e - bias - mbits);
    return (code & 0x80) ? -mag : mag;
}

static bool fp8_finite(int code, bool e4m3) { return e4m3 ? (code & 0x7F) != 0x7F : (code & 0x7F) < 0x7C; }

static double fp8_saturated(float y, bool e4m3) {
    if (std::isnan(y)) return NAN;
    const double a = std::fabs((double)y);
    int best = 0;
    for (int c = 1; c < 128; c++) {
        if (!fp8_finite(c, e4m3)) continue;
        if (std::isinf(a)) { best = c; continue; }   // the largest finite code
        const double d = std::fabs(fp8_value(c, e4m3) - a), bd = std::fabs(fp8_value(best, e4m3) - a);
        if (d < bd || (d == bd && (c & 1) == 0)) best = c;
    }
    return y < 0 ? -fp8_value(best, e4m3) : fp8_value(best, e4m3);
}

static void check_fp8_casts() {
    std::vector<float> x = {0.f, -0.f, 448.f, 449.f, 464.f, -1e6f, INFINITY, 0x1p-9f, 0x1p-10f, 3 * 0x1p-10f, 57344.f,
                            61439.f, 0x1p-16f, 0x1p-17f, 1.0625f, 1.1875f, -2.5f};
    auto r = random<float>(1000, 500);
    x.insert(x.end(), r.begin(), r.end());
    auto small = random<float>(1000, 0.01);
    x.insert(x.end(), small.begin(), small.end());
    const long n = (long)x.size();
    for (bool e4m3 : {true, false}) {
        for (float scale : {1.0f, 37.5f, 1.0f / 1024}) {
            std::vector<unsigned char> out(n, 0x7F);
            float amax = 0;
            RUN(grid1(2), BLOCK, (e4m3 ? cast_f32_to_e4m3 : cast_f32_to_e5m2)(out.data(), x.data(), n, &scale, &amax));
            const std::string what = std::string(e4m3 ? "cast_f32_to_e4m3" : "cast_f32_to_e5m2") + " scale " + std::to_string(scale);
            for (long i = 0; i < n; i++) {
                const double want = fp8_saturated(x[i] * scale, e4m3), got = fp8_value(out[i], e4m3);
                if (!fp8_finite(out[i], e4m3) || got != want) {
                    std::printf("FAIL %s: element %ld (%g) is code 0x%02x = %g, expected %g\n", what.c_str(), i,
                                x[i], out[i], got, want);
                    failures++;
                    break;
                }
            }
            expect(what + " amax", {INFINITY}, std::vector<float>{amax}, 0);
        }
    }
    std::vector<float> finite(x.begin() + 7, x.end());
    std::vector<unsigned char> out(finite.size());
    float amax = 0, scale = 1, want = 0;
    for (float v : finite) want = std::max(want, std::fabs(v));
    RUN(grid1(2), BLOCK, cast_f32_to_e4m3(out.data(), finite.data(), (long)finite.size(), &scale, &amax));
    expect("cast fp8 amax of finite values", {want}, std::vector<float>{amax}, 0);

    for (auto [rows, cols] : {std::pair{37, 70}, std::pair{64, 32}, std::pair{1, 5}}) {
        auto in = random<float>((size_t)rows * cols, 600);
        std::vector<unsigned char> t(in.size(), 0x7F);
        float tmax = 0, tscale = 1.5f, twant = 0;
        for (float v : in) twant = std::max(twant, std::fabs(v));
        RUN(grid1(cdiv(cols, 32), cdiv(rows, 32)), BLOCK,
            cast_transpose_f32_to_e4m3(t.data(), in.data(), rows, cols, &tscale, &tmax));
        const std::string what = "cast_transpose_f32_to_e4m3 " + std::to_string(rows) + "x" + std::to_string(cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                const unsigned char code = t[(size_t)c * rows + r];
                const double want_value = fp8_saturated(in[(size_t)r * cols + c] * tscale, true);
                if (!fp8_finite(code, true) || fp8_value(code, true) != want_value) {
                    std::printf("FAIL %s: out[%d][%d] is code 0x%02x, expected %g\n", what.c_str(), c, r, code, want_value);
                    failures++;
                    r = rows;
                    break;
                }
            }
        }
        expect(what + " amax", {twant}, std::vector<float>{tmax}, 0);
    }
}

int main() {
    check_casts_and_copy();
    check_fp8_casts();
    check_pointwise<float>(fill_f32, accumulate_f32, scale_f32, add_f32, gelu_forward_f32, gelu_backward_f32);
    check_pointwise<bf16>(fill_bf16, accumulate_bf16, scale_bf16, add_bf16, gelu_forward_bf16, gelu_backward_bf16);
    check_encoder<float>(encoder_forward_f32, encoder_backward_wte_f32, encoder_backward_wpe_f32);
    check_encoder<bf16>(encoder_forward_bf16, encoder_backward_wte_bf16, encoder_backward_wpe_bf16);
    check_layernorm<float>(layernorm_forward_f32, residual_layernorm_forward_f32, layernorm_backward_input_f32,
                           layernorm_backward_params_partial_f32, column_sums_finalize_f32);
    check_layernorm<bf16>(layernorm_forward_bf16, residual_layernorm_forward_bf16, layernorm_backward_input_bf16,
                          layernorm_backward_params_partial_bf16, column_sums_finalize_bf16);
    check_column_sums<float>(column_sums_partial_f32, column_sums_finalize_f32);
    check_column_sums<bf16>(column_sums_partial_bf16, column_sums_finalize_bf16);
    check_attention<float>(attention_softmax_forward_f32, attention_softmax_backward_f32, attention_split_heads_f32,
                           attention_merge_heads_grad_f32, attention_heads_to_rows_f32, attention_rows_to_heads_f32);
    check_attention<bf16>(attention_softmax_forward_bf16, attention_softmax_backward_bf16, attention_split_heads_bf16,
                          attention_merge_heads_grad_bf16, attention_heads_to_rows_bf16, attention_rows_to_heads_bf16);
    check_dropout<float>(dropout_f32);
    check_dropout<bf16>(dropout_bf16);
    check_cross_entropy<float>(cross_entropy_f32);
    check_cross_entropy<bf16>(cross_entropy_bf16);
    check_adamw<float>(adamw_f32);
    check_adamw<bf16>(adamw_bf16);
    check_lion<float>(lion_f32);
    check_lion<bf16>(lion_bf16);
    check_adafactor<float>(adafactor_row_moments_f32, adafactor_column_partial_f32, adafactor_vector_moments_f32,
                           adafactor_squares_partial_f32, adafactor_apply_f32);
    check_adafactor<bf16>(adafactor_row_moments_bf16, adafactor_column_partial_bf16, adafactor_vector_moments_bf16,
                          adafactor_squares_partial_bf16, adafactor_apply_bf16);
    check_adamw8bit<float>(adamw8bit_f32);
    check_adamw8bit<bf16>(adamw8bit_bf16);
    check_norms<float>(global_norm_partial_f32, clip_by_global_norm_f32, check_finite_f32);
    check_norms<bf16>(global_norm_partial_bf16, clip_by_global_norm_bf16, check_finite_bf16);
    std::printf(failures == 0 ? "all kernel checks passed\n" : "%d kernel checks FAILED\n", failures);
    return failures == 0 ? 0 : 1;
}
