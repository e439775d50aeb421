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
     * panel of a block passes over it (GotoBLAS); the A block ({@code rows x KC}) lives in L2.
     */
    static final int KC = reductionBlock(TILE, VectorWidth.L1_BYTES);

    private Sgemm() {
    }

    /** Half the L1 for the B panel, in multiples of 16, between 64 and 512. */
    static int reductionBlock(GemmTile tile, int l1Bytes) {
        int kc = l1Bytes / 2 / (4 * tile.nr) / 16 * 16;
        return Math.max(64, Math.min(512, kc));
    }

    /**
     * {@code C[q][j] (+)= sum_k A[q][k] * B[k][j]} for rows {@code q < rows} of a row-major A
     * ({@code a[ao + q*lda + k]}, {@code k < kLen}) and the {@code panels} packed B panels
     * {@code b[bo + (p*bps + k)*NR + j]}; C is panel-major, {@code c[(p*ldcRows + q)*NR + j]}. Each
     * {@code kc}-deep block of A (in L2) is shared by every B panel (in L1) and read straight from its rows:
     * packing it would cost as much as the product when there are few panels (64 output channels). Each
     * block's tiles are summed from zero and added to C in ascending k (the first stored when
     * {@code !accumulate}).
     * Whole tiles are read and written: A rows and C rows up to {@code ceil(rows/MR)*MR - 1} must exist
     * (rows past {@code rows} are scratch).
     */
    static void rowsTimesPanels(GemmTile tile, int kc, float[] a, int ao, int lda, int rows, int kLen, float[] b,
                                int bo, int bps, int panels, float[] c, int ldcRows, boolean accumulate) {
        int mr = tile.mr, nr = tile.nr;
        for (int k0 = 0; k0 < kLen; k0 += kc) {
            int kl = Math.min(kc, kLen - k0);
            boolean add = accumulate || k0 > 0;
            for (int p = 0; p < panels; p++) {
                int bk = bo + (p * bps + k0) * nr;
                for (int q = 0; q < rows; q += mr) {
                    tile.multiplyRows(a, ao + q * lda + k0, lda, b, bk, kl, c, (p * ldcRows + q) * nr, add);
                }
            }
        }
    }

    /**
     * Writes rows {@code 0 .. rows-1}, columns {@code 0 .. cols-1} of a {@code tile}-shaped buffer to
     * {@code c[co + i*ldc + j]}, adding to what is there when {@code accumulate}; columns past {@code cols}
     * are masked off (never read or written).
     */
    static void storeRows(GemmTile tile, float[] t, int rows, int cols, float[] c, int co, int ldc,
                          boolean accumulate) {
        int nr = tile.nr;
        for (int i = 0; i < rows; i++) {
            int dst = co + i * ldc;
            for (int j = 0; j < nr && j < cols; j += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, t, i * nr + j);
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

    /** {@link #storeRows(GemmTile, float[], int, int, float[], int, int, boolean)} with the host tile. */
    static void storeRows(float[] t, int rows, int cols, float[] c, int co, int ldc, boolean accumulate) {
        storeRows(TILE, t, rows, cols, c, co, ldc, accumulate);
    }

    /** The host tile on packed panels ({@link GemmTile#multiply}). */
    static void kernelPacked(float[] a, int ao, float[] b, int bo, int kLen, float[] tile) {
        TILE.multiply(a, ao, b, bo, kLen, tile);
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
