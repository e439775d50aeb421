package dcn4j.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The law every register tile obeys, checked against a naive double-precision product: each element of a
 * float32 tile is within the forward error bound of a float32 dot product,
 * {@code |t - exact| <= k * 2^-24 * sum_k |a*b|}, for packed and block-major A operands (same bits), odd
 * depths, a product split in k blocks (exactly the float sum of the blocks), rows stored a stride apart (same
 * bits, nothing between the rows touched), and through
 * {@link Sgemm#blocksTimesPanels} with several KC blocks, partial tiles and accumulation.
 * Shared by {@link GemmTileTest} (this JVM's width) and {@link VectorWidthCheck} (child JVMs at every width).
 */
final class GemmTileChecks {

    private GemmTileChecks() {
    }

    /** Runs every check on every tile; returns the failures (empty when all hold). */
    static List<String> run() {
        List<String> failures = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(2026);
        for (GemmTile tile : GemmTiles.ALL) {
            for (int kLen : new int[] {0, 1, 2, 7, 33, 130}) {
                checkTile(tile, kLen, r, failures);
            }
            for (int[] s : new int[][] {{1, 1, 1}, {13, 37, 3}, {tile.mr * 3 - 1, 2 * tile.nr + 5, 2 * Sgemm.KC + 9}, {29, tile.nr, 97}}) {
                checkProduct(tile, s[0], s[1], s[2], r, failures);
            }
        }
        return failures;
    }

    /**
     * One call of {@code multiply} and of {@code multiplyBlock} on random panels, against doubles; the block
     * variant reads rows of stride {@link Sgemm#KC}, so it is tried up to that depth.
     */
    static void checkTile(GemmTile tile, int kLen, SplittableRandom r, List<String> failures) {
        int mr = tile.mr, nr = tile.nr, pad = 5;
        float[] a = random(r, pad + kLen * mr + 3), b = random(r, pad + kLen * nr + 3);
        boolean block = kLen <= Sgemm.KC;
        // Block-major: the same A as mr rows of stride KC.
        float[] rows = random(r, pad + mr * Sgemm.KC);
        if (block) for (int i = 0; i < mr; i++) for (int k = 0; k < kLen; k++) rows[pad + i * Sgemm.KC + k] = a[pad + k * mr + i];
        float[] t = new float[mr * nr], tr = new float[pad + mr * nr], split = new float[pad + mr * nr];
        tile.multiply(a, pad, b, pad, kLen, t, 0, nr, false);
        // Rows ldc apart (the column gradient's kernel-point-major rows): stored, then added to; the gaps keep -3.
        int ldc = nr + 7;
        float[] strided = new float[pad + (mr - 1) * ldc + nr + 3];
        java.util.Arrays.fill(strided, -3f);
        tile.multiply(a, pad, b, pad, kLen, strided, pad, ldc, false);
        float[] once = strided.clone();
        tile.multiply(a, pad, b, pad, kLen, strided, pad, ldc, true);
        for (int x = 0; x < strided.length; x++) {
            int i = (x - pad) / ldc, j = (x - pad) % ldc;
            boolean inTile = x >= pad && i < mr && j < nr;
            float expectOnce = inTile ? t[i * nr + j] : -3f, expectTwice = inTile ? t[i * nr + j] + t[i * nr + j] : -3f;
            if (Float.compare(once[x], expectOnce) != 0 || Float.compare(strided[x], expectTwice) != 0) {
                failures.add(tile + " k=" + kLen + " rows " + ldc + " apart, index " + x + ": " + once[x] + " then "
                        + strided[x] + ", expected " + expectOnce + " then " + expectTwice);
                break;
            }
        }
        if (block) tile.multiplyBlock(rows, pad, b, pad, kLen, tr, pad, false);
        // The same product in two k blocks, the second added: the sum of the two block sums.
        int k1 = kLen / 3;
        float[] second = new float[pad + mr * nr];
        tile.multiply(a, pad, b, pad, k1, split, pad, nr, false);
        tile.multiply(a, pad + k1 * mr, b, pad + k1 * nr, kLen - k1, second, pad, nr, false);
        tile.multiply(a, pad + k1 * mr, b, pad + k1 * nr, kLen - k1, split, pad, nr, true);
        for (int i = 0; i < mr; i++) {
            for (int j = 0; j < nr; j++) {
                double exact = 0, abs = 0;
                for (int k = 0; k < kLen; k++) {
                    double p = (double) a[pad + k * mr + i] * b[pad + k * nr + j];
                    exact += p;
                    abs += Math.abs(p);
                }
                double bound = kLen * 0x1p-24 * abs * 1.0001;
                String where = tile + " k=" + kLen + " [" + i + "][" + j + "]";
                if (!(Math.abs(t[i * nr + j] - exact) <= bound)) {
                    failures.add(where + " packed: " + t[i * nr + j] + " vs " + exact + " (bound " + bound + ")");
                }
                if (block && Float.compare(t[i * nr + j], tr[pad + i * nr + j]) != 0) {
                    failures.add(where + " block: " + tr[pad + i * nr + j] + " vs packed " + t[i * nr + j]
                            + " (same order, same bits)");
                }
                float first = 0f;
                for (int k = 0; k < k1; k++) first = VectorWidth.fma(a[pad + k * mr + i], b[pad + k * nr + j], first);
                if (Float.compare(split[pad + i * nr + j], first + second[pad + i * nr + j]) != 0) {
                    failures.add(where + " packed in blocks " + k1 + "+" + (kLen - k1) + ": " + split[pad + i * nr + j]
                            + " vs the sum of the blocks " + (first + second[pad + i * nr + j]));
                }
            }
        }
    }

    /**
     * {@code C = A·B} through {@link Sgemm#blocksTimesPanels} ({@code rows x k} times {@code k x cols}), A
     * block-major at an offset, then once more accumulating: C must hold twice the product, and equal the
     * packed tiles' product block by block, bit for bit.
     */
    static void checkProduct(GemmTile tile, int rows, int cols, int k, SplittableRandom r, List<String> failures) {
        int mr = tile.mr, nr = tile.nr, panels = (cols + nr - 1) / nr, kc = Sgemm.KC;
        int paddedRows = (rows + mr - 1) / mr * mr, ao = 3;
        float[] dense = random(r, paddedRows * k);
        float[] a = random(r, ao + (int) Sgemm.blockedSize(paddedRows, k));
        for (int q = 0; q < paddedRows; q++) for (int kk = 0; kk < k; kk++) a[ao + Sgemm.blockedIndex(paddedRows, q, kk)] = dense[q * k + kk];
        float[] w = random(r, k * cols);
        float[] b = new float[panels * k * nr];
        for (int p = 0; p < panels; p++)
            for (int kk = 0; kk < k; kk++)
                for (int j = 0; j < nr && p * nr + j < cols; j++) b[(p * k + kk) * nr + j] = w[kk * cols + p * nr + j];
        float[] c = new float[panels * paddedRows * nr], cPacked = new float[c.length];
        float[] aPanel = new float[mr * kc];
        for (int pass = 1; pass <= 2; pass++) {
            Sgemm.blocksTimesPanels(tile, a, ao, paddedRows, rows, k, b, 0, k, panels, c, paddedRows, pass == 2);
            // The same through packed A panels, block after block.
            for (int k0 = 0; k0 < k; k0 += kc) {
                int kl = Math.min(kc, k - k0);
                for (int q = 0; q < rows; q += mr) {
                    Sgemm.packA(dense, q * k + k0, k, 1, mr, kl, mr, aPanel, 0);
                    for (int p = 0; p < panels; p++) {
                        tile.multiply(aPanel, 0, b, (p * k + k0) * nr, kl, cPacked, (p * paddedRows + q) * nr, nr,
                                pass == 2 || k0 > 0);
                    }
                }
            }
            for (int i = 0; i < c.length; i++) {
                if (Float.compare(c[i], cPacked[i]) != 0) {
                    failures.add(tile + " product " + rows + "x" + cols + "x" + k + " pass " + pass + ": A packed gives "
                            + cPacked[i] + ", A block-major " + c[i] + " at " + i + " (same order, same bits)");
                    return;
                }
            }
            for (int q = 0; q < rows; q++) {
                for (int o = 0; o < cols; o++) {
                    double exact = 0, abs = 0;
                    for (int kk = 0; kk < k; kk++) {
                        double p = (double) dense[q * k + kk] * w[kk * cols + o];
                        exact += p;
                        abs += Math.abs(p);
                    }
                    // Blocks of kc are summed in float, then added to C: a few more roundings.
                    double bound = pass * (k + (k + kc - 1) / kc + 2) * 0x1p-24 * abs * 1.0001;
                    double got = c[((o / nr) * paddedRows + q) * nr + o % nr];
                    if (!(Math.abs(got - pass * exact) <= bound)) {
                        failures.add(tile + " product " + rows + "x" + cols + "x" + k + " pass " + pass + " [" + q + "]["
                                + o + "]: " + got + " vs " + pass * exact + " (bound " + bound + ")");
                        return;
                    }
                }
            }
            // Columns past `cols` in the last panel multiply the zero padding of B: they stay zero.
            for (int q = 0; q < paddedRows; q++)
                for (int j = cols - (panels - 1) * nr; j < nr; j++)
                    if (c[((panels - 1) * paddedRows + q) * nr + j] != 0f) {
                        failures.add(tile + " product: padding column " + ((panels - 1) * nr + j) + " past " + cols + " is not zero");
                        return;
                    }
        }
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) r.nextDouble(-1, 1);
        return f;
    }
}
