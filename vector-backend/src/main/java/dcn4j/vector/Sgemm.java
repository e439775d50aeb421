package dcn4j.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The single-precision matrix product of the vector backend (DESIGN.md "Vector width and GEMM tiles"):
 * the host's register tile ({@link GemmTile}, chosen once per species), the cache blocking derived from
 * the L1 size, the packing of A panels and the tile store.
 *
 * <p>Every output element is one multiply-add chain per {@link #KC}-deep block, started from zero, and the
 * blocks are added in ascending k. The order is fixed by the shape and the host (tile, L1 size), never by
 * threads, which makes results reproducible
 * (DESIGN.md "Determinism and threads").
 */
final class Sgemm {

    static final VectorSpecies<Float> SPECIES = VectorWidth.SPECIES;
    /** Lanes per vector. */
    static final int L = VectorWidth.L;
    /** The register tile of this host. */
    static final GemmTile TILE = GemmTile.forHost();
    /** Rows of a tile (the broadcast operand). */
    static final int MR = TILE.mr;
    /** Columns of a tile ({@code TILE.nv} vectors, a power of two). */
    static final int NR = TILE.nr;
    /**
     * Reduction block: a {@code KC x NR} B panel takes about half of L1, so it stays there while every A
     * panel of a block passes over it (GotoBLAS); the A block ({@code rows x KC}) lives in L2. Also the row
     * stride of the block-major A ({@link #blockedIndex}), a constant once this class is initialised.
     */
    static final int KC = reductionBlock(TILE, VectorWidth.L1_BYTES);

    private Sgemm() {
    }

    /** Half the L1 for the B panel, in multiples of 16, between 64 and 512. */
    static int reductionBlock(GemmTile tile, int l1Bytes) {
        int kc = l1Bytes / 2 / (4 * tile.nr) / 16 * 16;
        return Math.max(64, Math.min(512, kc));
    }

    /** Floats of a block-major A ({@link #blockedIndex}) of {@code rows} rows and {@code kLen} columns. */
    static long blockedSize(int rows, int kLen) {
        return (long) rows * ((kLen + KC - 1) / KC) * KC;
    }

    /**
     * Where element {@code (q, k)} of a block-major A of {@code rows} rows lives: {@code [k/KC][q][k%KC]}, i.e.
     * the {@code KC}-deep blocks of the rows one after the other, each row of a block {@code KC} floats long, so
     * that the product reads a block's tile with a constant row stride (see {@link GemmTile#multiplyBlock}): no
     * copy, and one index register. The forward samples one such block at a time
     * ({@link BilinearIm2col#sampleRowsBlock}); the GEMM benchmark and tests multiply several.
     */
    static int blockedIndex(int rows, int q, int k) {
        int kb = k / KC;
        return (kb * rows + q) * KC + (k - kb * KC);
    }

    /**
     * {@code C[q][j] (+)= sum_k A[q][k] * B[k][j]} for rows {@code q < rows} of a block-major A
     * ({@code a[ao + blockedIndex(aRows, q, k)]}, {@code k < kLen}) and the {@code panels} packed B panels
     * {@code b[bo + (p*bps + k)*NR + j]}; C is panel-major, {@code c[(p*ldcRows + q)*NR + j]}. Each
     * {@code KC}-deep block of A (in L2) is shared by every B panel (in L1), GotoBLAS order. Each block's
     * tiles are summed from zero and added to C in ascending k (the first stored when {@code !accumulate}).
     * Whole tiles are read and written: A rows and C rows up to {@code ceil(rows/MR)*MR - 1} must exist
     * (rows past {@code rows} are scratch).
     */
    static void blocksTimesPanels(GemmTile tile, float[] a, int ao, int aRows, int rows, int kLen, float[] b,
                                  int bo, int bps, int panels, float[] c, int ldcRows, boolean accumulate) {
        int mr = tile.mr, nr = tile.nr;
        for (int k0 = 0, kb = 0; k0 < kLen; k0 += KC, kb++) {
            int kl = Math.min(KC, kLen - k0);
            boolean add = accumulate || k0 > 0;
            int block = ao + kb * aRows * KC;
            for (int p = 0; p < panels; p++) {
                int bk = bo + (p * bps + k0) * nr;
                for (int q = 0; q < rows; q += mr) {
                    tile.multiplyBlock(a, block + q * KC, b, bk, kl, c, (p * ldcRows + q) * nr, add);
                }
            }
        }
    }

    /**
     * Writes rows {@code 0 .. rows-1}, columns {@code 0 .. cols-1} of a {@code tile}-shaped buffer at {@code t[to..]} to
     * {@code c[co + i*ldc + j]}, adding to what is there when {@code accumulate}; columns past {@code cols}
     * are masked off (never read or written).
     */
    static void storeRows(GemmTile tile, float[] t, int to, int rows, int cols, float[] c, int co, int ldc,
                          boolean accumulate) {
        int nr = tile.nr;
        for (int i = 0; i < rows; i++) {
            int dst = co + i * ldc;
            for (int j = 0; j < nr && j < cols; j += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, t, to + i * nr + j);
                if (j + L <= cols) {
                    if (accumulate) v = FloatVector.fromArray(SPECIES, c, dst + j).add(v);
                    v.intoArray(c, dst + j);
                } else {
                    VectorMask<Float> m = SPECIES.indexInRange(j, cols);
                    if (accumulate) v = FloatVector.fromArray(SPECIES, c, dst + j, m).add(v);
                    v.intoArray(c, dst + j, m);
                }
            }
        }
    }

    /** {@link #storeRows(GemmTile, float[], int, int, int, float[], int, int, boolean)} with the host tile. */
    static void storeRows(float[] t, int to, int rows, int cols, float[] c, int co, int ldc, boolean accumulate) {
        storeRows(TILE, t, to, rows, cols, c, co, ldc, accumulate);
    }

    /**
     * Copies an {@code rows x kLen} block {@code A(i,k) = src[so + i*srs + k*sks]} to
     * {@code dst[dOff + k*mr + i]}, rows {@code rows .. mr-1} zero: the packed A panel of a tile.
     */
    static void packA(float[] src, int so, int srs, int sks, int rows, int kLen, int mr, float[] dst, int dOff) {
        if (sks == 1) {
            // Row-major source: read each row once, write it strided (the rows stay in L1).
            for (int i = 0; i < rows; i++) {
                int s = so + i * srs, d = dOff + i;
                for (int k = 0; k < kLen; k++) dst[d + k * mr] = src[s + k];
            }
        } else {
            for (int k = 0; k < kLen; k++) {
                int d = dOff + k * mr, s = so + k * sks;
                for (int i = 0; i < rows; i++) dst[d + i] = src[s + i * srs];
            }
        }
        for (int i = rows; i < mr; i++) {
            for (int k = 0; k < kLen; k++) dst[dOff + k * mr + i] = 0f;
        }
    }

    /** {@link #packA(float[], int, int, int, int, int, int, float[], int)} for the host tile. */
    static void packA(float[] src, int so, int srs, int sks, int rows, int kLen, float[] dst, int dOff) {
        packA(src, so, srs, sks, rows, kLen, MR, dst, dOff);
    }
}
