/*
 * dcn4j: tiled single-precision GEMM for the OpenCL backend (OpenCL C 1.2).
 *
 *   C(m, n) = [C(m, n) if flags & 1] + [bias(biasOff + m) if flags & 2] + sum_k A(m, k) * B(k, n)
 *
 * A and B are addressed through int4 layouts (off, rs, cs): element (r, c) = off + r*rs + c*cs, so
 * a matrix may be row-major (cs = 1) or transposed (rs = 1). C is addressed through an int8
 * (off, rs, split, qs, cs): element (r, c) = off + r*rs + (c / split)*qs + (c % split)*cs, which
 * lets the forward pass write [N, O, Ho*Wo] tensors directly (the column index (n, pixel) split
 * at split = Ho*Wo); the division happens once per column, outside the K loop.
 *
 * Tiling: a work-group of WGX x WGY work-items computes a TM x TN tile of C; each work-item owns
 * RM rows x VN consecutive columns held in RM floatVN accumulators (work per item RM*VN > 1).
 * K is walked in steps of TK: the work-group copies the TK x TM slice of A and the TK x TN slice of
 * B into local memory (zero-padded at the edges), then every work-item runs TK rank-1 updates from
 * local memory. The sum over k runs in ascending order for every output: results are identical
 * run to run, whatever the scheduling. WGX, WGY, RM, VN come from the build options, chosen per
 * device (wide vectors for CPU devices such as PoCL, 4x4 per work-item for GPUs).
 */
#ifndef WGX
#define WGX 16
#endif
#ifndef WGY
#define WGY 16
#endif
#ifndef RM
#define RM 4
#endif
#ifndef VN
#define VN 4
#endif
#ifndef TK
#define TK 16
#endif
#define TM (WGY * RM)
#define TN (WGX * VN)

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define VEC CAT(float, VN)
#define VLOAD CAT(vload, VN)

inline void store_row(__global float* Cm, const int8 lc, const int* colBase, const int m, const int M, const VEC v,
                      __global const float* bias, const int biasOff, const int flags)
{
    if (m >= M) return;
    float out[VN];
    CAT(vstore, VN)(v, 0, out);
    const float b = (flags & 2) ? bias[biasOff + m] : 0.0f;
    for (int j = 0; j < VN; j++) {
        if (colBase[j] < 0) continue;
        const int idx = colBase[j] + m * lc.s1;
        float r = out[j] + b;
        if (flags & 1) r += Cm[idx];
        Cm[idx] = r;
    }
}

inline void block_row(__global float* Cm, const int8 lc, const int* colBase, const int m, const int M,
                      const float16 va, const float16 vb, __global const float* bias, const int biasOff,
                      const int flags)
{
    if (m >= M) return;
    float out[32];
    vstore16(va, 0, out);
    vstore16(vb, 1, out);
    const float b = (flags & 2) ? bias[biasOff + m] : 0.0f;
    for (int j = 0; j < 32; j++) {
        if (colBase[j] < 0) continue;
        const int idx = colBase[j] + m * lc.s1;
        float r = out[j] + b;
        if (flags & 1) r += Cm[idx];
        Cm[idx] = r;
    }
}

__kernel __attribute__((reqd_work_group_size(WGX, WGY, 1)))
void gemm(const int M, const int N, const int K,
          __global const float* A, const int4 la,
          __global const float* B, const int4 lb,
          __global float* Cm, const int8 lc,
          __global const float* bias, const int biasOff, const int flags)
{
    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int n0 = get_group_id(0) * TN;
    const int m0 = get_group_id(1) * TM;
    const int tid = ly * WGX + lx;

    __local float As[TK * TM];
    __local float Bs[TK * TN];

    VEC acc[RM];
    for (int i = 0; i < RM; i++) acc[i] = (VEC) (0.0f);

    const int aKFast = la.s2 == 1, bNFast = lb.s2 == 1;
    for (int k0 = 0; k0 < K; k0 += TK) {
        /* Copy the tiles, walking each matrix along its contiguous dimension. */
        for (int e = tid; e < TK * TM; e += WGX * WGY) {
            const int kk = aKFast ? e % TK : e / TM;
            const int mm = aKFast ? e / TK : e % TM;
            const int m = m0 + mm, k = k0 + kk;
            As[kk * TM + mm] = (m < M && k < K) ? A[la.s0 + m * la.s1 + k * la.s2] : 0.0f;
        }
        for (int e = tid; e < TK * TN; e += WGX * WGY) {
            const int kk = bNFast ? e / TN : e % TK;
            const int nn = bNFast ? e % TN : e / TK;
            const int n = n0 + nn, k = k0 + kk;
            Bs[kk * TN + nn] = (n < N && k < K) ? B[lb.s0 + k * lb.s1 + n * lb.s2] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        __local const float* as = As + ly * RM;
        __local const float* bs = Bs + lx * VN;
        for (int kk = 0; kk < TK; kk++) {
            const VEC b = VLOAD(0, bs + kk * TN);
            for (int i = 0; i < RM; i++) acc[i] += as[kk * TM + i] * b;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    /* Store, with the column split computed once per column. */
    int colBase[VN];
    for (int j = 0; j < VN; j++) {
        const int n = n0 + lx * VN + j;
        colBase[j] = n < N ? lc.s0 + (n / lc.s2) * lc.s3 + (n % lc.s2) * lc.s4 : -1;
    }
    for (int i = 0; i < RM; i++) store_row(Cm, lc, colBase, m0 + ly * RM + i, M, acc[i], bias, biasOff, flags);
}

/*
 * gemm_block: the same product for CPU devices, whose "local memory" is ordinary cached memory
 * (CL_DEVICE_LOCAL_MEM_TYPE = CL_GLOBAL, e.g. PoCL): one work-item computes an 8 x 32 block of C
 * in sixteen float16 registers straight from global memory (the caches are the tiles), with no
 * barrier, so the compiler keeps the accumulators in registers. B must be row-major (cs = 1).
 * Same ascending k order per output: deterministic.
 */
#define BM 8
#define BN 32
__kernel void gemm_block(const int M, const int N, const int K,
                         __global const float* A, const int4 la,
                         __global const float* B, const int4 lb,
                         __global float* Cm, const int8 lc,
                         __global const float* bias, const int biasOff, const int flags)
{
    /* Dimension 0 walks the row blocks: consecutive work-groups share a column block of B, which
     * then stays in cache while every row block of A passes over it. */
    const int m0 = get_global_id(0) * BM;
    const int n0 = get_global_id(1) * BN;
    if (n0 >= N || m0 >= M) return;
    /* Rows past M read row M-1 (their results are not stored): no branch in the k loop. */
    int ra[BM];
    for (int i = 0; i < BM; i++) ra[i] = la.s0 + min(m0 + i, M - 1) * la.s1;
    float16 c0a = 0.0f, c0b = 0.0f, c1a = 0.0f, c1b = 0.0f, c2a = 0.0f, c2b = 0.0f, c3a = 0.0f, c3b = 0.0f;
    float16 c4a = 0.0f, c4b = 0.0f, c5a = 0.0f, c5b = 0.0f, c6a = 0.0f, c6b = 0.0f, c7a = 0.0f, c7b = 0.0f;
    __global const float* brow = B + lb.s0 + n0;
    const int r0 = ra[0], r1 = ra[1], r2 = ra[2], r3 = ra[3], r4 = ra[4], r5 = ra[5], r6 = ra[6], r7 = ra[7];
    const int acs = la.s2;
    if (n0 + BN <= N) {
        for (int k = 0; k < K; k++) {
            __global const float* bk = brow + k * lb.s1;
            const float16 b0 = vload16(0, bk), b1 = vload16(1, bk);
            const int ko = k * acs;
            float a;
            a = A[r0 + ko]; c0a += a * b0; c0b += a * b1;
            a = A[r1 + ko]; c1a += a * b0; c1b += a * b1;
            a = A[r2 + ko]; c2a += a * b0; c2b += a * b1;
            a = A[r3 + ko]; c3a += a * b0; c3b += a * b1;
            a = A[r4 + ko]; c4a += a * b0; c4b += a * b1;
            a = A[r5 + ko]; c5a += a * b0; c5b += a * b1;
            a = A[r6 + ko]; c6a += a * b0; c6b += a * b1;
            a = A[r7 + ko]; c7a += a * b0; c7b += a * b1;
        }
    } else {
        for (int k = 0; k < K; k++) {
            __global const float* bk = brow + k * lb.s1;
            float t[BN];
            for (int j = 0; j < BN; j++) t[j] = n0 + j < N ? bk[j] : 0.0f;
            const float16 b0 = vload16(0, t), b1 = vload16(1, t);
            const int ko = k * acs;
            float a;
            a = A[r0 + ko]; c0a += a * b0; c0b += a * b1;
            a = A[r1 + ko]; c1a += a * b0; c1b += a * b1;
            a = A[r2 + ko]; c2a += a * b0; c2b += a * b1;
            a = A[r3 + ko]; c3a += a * b0; c3b += a * b1;
            a = A[r4 + ko]; c4a += a * b0; c4b += a * b1;
            a = A[r5 + ko]; c5a += a * b0; c5b += a * b1;
            a = A[r6 + ko]; c6a += a * b0; c6b += a * b1;
            a = A[r7 + ko]; c7a += a * b0; c7b += a * b1;
        }
    }
    int colBase[BN];
    for (int j = 0; j < BN; j++) {
        const int n = n0 + j;
        colBase[j] = n < N ? lc.s0 + (n / lc.s2) * lc.s3 + (n % lc.s2) * lc.s4 : -1;
    }
    block_row(Cm, lc, colBase, m0 + 0, M, c0a, c0b, bias, biasOff, flags);
    block_row(Cm, lc, colBase, m0 + 1, M, c1a, c1b, bias, biasOff, flags);
    block_row(Cm, lc, colBase, m0 + 2, M, c2a, c2b, bias, biasOff, flags);
    block_row(Cm, lc, colBase, m0 + 3, M, c3a, c3b, bias, biasOff, flags);
    block_row(Cm, lc, colBase, m0 + 4, M, c4a, c4b, bias, biasOff, flags);
    block_row(Cm, lc, colBase, m0 + 5, M, c5a, c5b, bias, biasOff, flags);
    block_row(Cm, lc, colBase, m0 + 6, M, c6a, c6b, bias, biasOff, flags);
    block_row(Cm, lc, colBase, m0 + 7, M, c7a, c7b, bias, biasOff, flags);
}
