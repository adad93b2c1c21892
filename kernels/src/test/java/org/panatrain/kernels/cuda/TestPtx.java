// PTX text of the kernels the tests load, written by hand (PTX ISA 7.0, sm_75, so any driver from
// CUDA 11 on JIT-compiles it for the GPU at hand), and a deliberately broken one.
package org.panatrain.kernels.cuda;

final class TestPtx {
    private TestPtx() {
    }

    /** scale_add(float* out, const float* in, float a, unsigned n): out[i] = fma(in[i], a, 1) for i < n. */
    static final String SCALE_ADD = """
            .version 7.0
            .target sm_75
            .address_size 64

            .visible .entry scale_add(
                .param .u64 out,
                .param .u64 in,
                .param .f32 a,
                .param .u32 n
            )
            {
                .reg .pred %p<2>;
                .reg .b32 %r<6>;
                .reg .f32 %f<4>;
                .reg .b64 %rd<8>;

                ld.param.u64 %rd1, [out];
                ld.param.u64 %rd2, [in];
                ld.param.f32 %f1, [a];
                ld.param.u32 %r1, [n];
                mov.u32 %r2, %ctaid.x;
                mov.u32 %r3, %ntid.x;
                mov.u32 %r4, %tid.x;
                mad.lo.s32 %r5, %r2, %r3, %r4;
                setp.ge.u32 %p1, %r5, %r1;
                @%p1 bra DONE;
                cvta.to.global.u64 %rd3, %rd1;
                cvta.to.global.u64 %rd4, %rd2;
                mul.wide.u32 %rd5, %r5, 4;
                add.s64 %rd6, %rd4, %rd5;
                ld.global.f32 %f2, [%rd6];
                fma.rn.f32 %f3, %f2, %f1, 0f3F800000;
                add.s64 %rd7, %rd3, %rd5;
                st.global.f32 [%rd7], %f3;
            DONE:
                ret;
            }
            """;

    /** write_one(float* p): *p = 1; launched with an unmapped address it faults (illegal address). */
    static final String WRITE_ONE = """
            .version 7.0
            .target sm_75
            .address_size 64

            .visible .entry write_one(
                .param .u64 p
            )
            {
                .reg .f32 %f<2>;
                .reg .b64 %rd<3>;

                ld.param.u64 %rd1, [p];
                cvta.to.global.u64 %rd2, %rd1;
                mov.f32 %f1, 0f3F800000;
                st.global.f32 [%rd2], %f1;
                ret;
            }
            """;

    /** Uses a register it never declares: the JIT must reject it with a log naming %undeclared. */
    static final String BROKEN = """
            .version 7.0
            .target sm_75
            .address_size 64

            .visible .entry broken(
                .param .u64 p
            )
            {
                .reg .b64 %rd<2>;
                ld.param.u64 %rd1, [p];
                st.global.f32 [%rd1], %undeclared;
                ret;
            }
            """;
}
