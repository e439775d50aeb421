package dcn4j.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM core as it was before the per-width tiles (commit 1fe7ce1), kept in the tests as the baseline of
 * {@link GemmThroughput}'s before/after comparison: 8x2 vectors with 32 registers' worth of lanes (16), else
 * 4x2; A read from rows, B packed, KC = 256.
 *
 * <p>Original comment: the single-precision matrix-multiply kernel: a register-tiled FMA micro-kernel on
 * {@link FloatVector#SPECIES_PREFERRED} plus the packing and tile store helpers around it.
 *
 * <p>A call computes one {@code MR x NR} tile {@code T = A·B} over {@code kLen} reduction steps:
 * {@code T[i][j] = sum_k A(i,k) * B(k,j)}, where {@code A(i,k)} is read one scalar at a time and
 * broadcast (from rows of a row-major matrix, {@link #kernelRows}, or from a packed panel,
 * {@link #kernelPacked}), and row {@code k} of {@code B} is {@code NR} consecutive floats of a packed
 * panel (two vectors). The {@code MR * 2} accumulators live in registers: with 32
 * vector registers (AVX-512) {@code MR = 8}, with 16 (AVX2, NEON-sized species) {@code MR = 4}, so that
 * accumulators, the two B vectors and the broadcast never spill.
 *
 * <p>Every output element is one fused multiply-add chain over {@code k = 0 .. kLen-1} started from
 * zero: the order is fixed by the call, never by threads, which makes results reproducible.
 */
final class LegacySgemm {

    static final VectorSpecies<Float> SPECIES = VectorWidth.SPECIES;
    /** Lanes per vector. */
    static final int L = SPECIES.length();
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * L;
    /** Rows of a tile (see class comment). */
    static final int MR = L >= 16 ? 8 : 4;
    /** Reduction block. */
    static final int KC = 256;

    private LegacySgemm() {
    }

    /**
     * The tile for A read from {@code MR} rows of a row-major matrix ({@code A(i,k) = a[ao + i*ars + k]})
     * and a packed B panel ({@code B(k,j) = b[bo + k*NR + j]}): the forward product, whose A rows are
     * the sample rows of consecutive pixels. Index expressions linear in {@code k} with unit stride let
     * the JIT hoist the bounds checks out of the loop.
     */
    static void kernelRows(float[] a, int ao, int ars, float[] b, int bo, int kLen, float[] tile) {
        if (MR == 8) {
            rows8(a, ao, ars, b, bo, kLen, tile);
        } else {
            kernel4(a, ao, ars, 1, b, bo, NR, kLen, tile);
        }
    }

    /**
     * The tile for a packed A panel ({@code A(i,k) = a[ao + k*MR + i]}) and a packed B panel
     * ({@code B(k,j) = b[bo + k*NR + j]}). With constant strides the JIT removes the bounds checks from
     * the loop (about a third faster than variable strides on AVX-512).
     */
    static void kernelPacked(float[] a, int ao, float[] b, int bo, int kLen, float[] tile) {
        if (MR == 8) {
            packed8(a, ao, b, bo, kLen, tile);
        } else {
            kernel4(a, ao, 1, MR, b, bo, NR, kLen, tile);
        }
    }

    private static void packed8(float[] a, int ao, float[] b, int bo, int kLen, float[] t) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int k = 0; k < kLen; k++) {
            int bk = bo + k * (2 * L), ak = ao + k * 8;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bk);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bk + L);
            FloatVector x;
            x = FloatVector.broadcast(SPECIES, a[ak]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[ak + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[ak + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[ak + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[ak + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[ak + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, a[ak + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a[ak + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, 2 * L);
        c11.intoArray(t, 3 * L);
        c20.intoArray(t, 4 * L);
        c21.intoArray(t, 5 * L);
        c30.intoArray(t, 6 * L);
        c31.intoArray(t, 7 * L);
        c40.intoArray(t, 8 * L);
        c41.intoArray(t, 9 * L);
        c50.intoArray(t, 10 * L);
        c51.intoArray(t, 11 * L);
        c60.intoArray(t, 12 * L);
        c61.intoArray(t, 13 * L);
        c70.intoArray(t, 14 * L);
        c71.intoArray(t, 15 * L);
    }

    private static void rows8(float[] a, int ao, int ars, float[] b, int bo, int kLen, float[] t) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        int r0 = ao, r1 = ao + ars, r2 = ao + 2 * ars, r3 = ao + 3 * ars;
        int r4 = ao + 4 * ars, r5 = ao + 5 * ars, r6 = ao + 6 * ars, r7 = ao + 7 * ars;
        for (int k = 0; k < kLen; k++) {
            int bk = bo + k * (2 * L);
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bk);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bk + L);
            FloatVector x;
            x = FloatVector.broadcast(SPECIES, a[r0 + k]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + k]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + k]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + k]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + k]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + k]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, a[r6 + k]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a[r7 + k]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, 2 * L);
        c11.intoArray(t, 3 * L);
        c20.intoArray(t, 4 * L);
        c21.intoArray(t, 5 * L);
        c30.intoArray(t, 6 * L);
        c31.intoArray(t, 7 * L);
        c40.intoArray(t, 8 * L);
        c41.intoArray(t, 9 * L);
        c50.intoArray(t, 10 * L);
        c51.intoArray(t, 11 * L);
        c60.intoArray(t, 12 * L);
        c61.intoArray(t, 13 * L);
        c70.intoArray(t, 14 * L);
        c71.intoArray(t, 15 * L);
    }

    /** The 4-row tile for 16-register machines, with any strides. */
    private static void kernel4(float[] a, int ao, int ars, int aks, float[] b, int bo, int bks, int kLen,
                                float[] t) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        int r1 = ars, r2 = 2 * ars, r3 = 3 * ars;
        for (int k = 0; k < kLen; k++) {
            int bk = bo + k * bks, ak = ao + k * aks;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bk);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bk + L);
            FloatVector x;
            x = FloatVector.broadcast(SPECIES, a[ak]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[ak + r1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[ak + r2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[ak + r3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c10.intoArray(t, 2 * L);
        c11.intoArray(t, 3 * L);
        c20.intoArray(t, 4 * L);
        c21.intoArray(t, 5 * L);
        c30.intoArray(t, 6 * L);
        c31.intoArray(t, 7 * L);
    }

    /**
     * Writes rows {@code 0 .. rows-1}, columns {@code 0 .. cols-1} of {@code tile} to
     * {@code c[co + i*ldc + j]}, adding to what is there when {@code accumulate}; columns past
     * {@code cols} are masked off (never read or written).
     */
    static void storeRows(float[] tile, int rows, int cols, float[] c, int co, int ldc, boolean accumulate) {
        if (cols == NR) {
            for (int i = 0; i < rows; i++) {
                int dst = co + i * ldc;
                FloatVector t0 = FloatVector.fromArray(SPECIES, tile, i * NR);
                FloatVector t1 = FloatVector.fromArray(SPECIES, tile, i * NR + L);
                if (accumulate) {
                    t0 = FloatVector.fromArray(SPECIES, c, dst).add(t0);
                    t1 = FloatVector.fromArray(SPECIES, c, dst + L).add(t1);
                }
                t0.intoArray(c, dst);
                t1.intoArray(c, dst + L);
            }
            return;
        }
        VectorMask<Float> m0 = SPECIES.indexInRange(0, cols);
        VectorMask<Float> m1 = SPECIES.indexInRange(L, cols);
        for (int i = 0; i < rows; i++) {
            int dst = co + i * ldc;
            FloatVector t0 = FloatVector.fromArray(SPECIES, tile, i * NR);
            FloatVector t1 = FloatVector.fromArray(SPECIES, tile, i * NR + L);
            if (accumulate) {
                t0 = FloatVector.fromArray(SPECIES, c, dst, m0).add(t0);
                t1 = FloatVector.fromArray(SPECIES, c, dst + L, m1).add(t1);
            }
            t0.intoArray(c, dst, m0);
            t1.intoArray(c, dst + L, m1);
        }
    }

    /**
     * Copies an {@code rows x kLen} block {@code A(i,k) = src[so + i*srs + k*sks]} to {@code dst[do + k*MR + i]},
     * rows {@code rows .. MR-1} zero: a panel that {@link #kernelPacked} reads with {@code ars = 1, aks = MR}.
     */
    static void packA(float[] src, int so, int srs, int sks, int rows, int kLen, float[] dst, int dOff) {
        for (int k = 0; k < kLen; k++) {
            int d = dOff + k * MR;
            int s = so + k * sks;
            for (int i = 0; i < rows; i++) dst[d + i] = src[s + i * srs];
            for (int i = rows; i < MR; i++) dst[d + i] = 0f;
        }
    }
}
