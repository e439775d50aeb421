package dcn4j.vector;

import static dcn4j.vector.Sgemm.L;
import static dcn4j.vector.Sgemm.SPECIES;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Bilinear "im2col" (DESIGN.md "Semantics"): the modulated samples
 * {@code mask * bilinear(input[n, c], py, px)} of a chunk of output pixels, written as the rows of
 * the matrix that multiplies the weights.
 *
 * <p>The input is first copied to a padded channel-last image ({@link #padNhwc}), so that the four
 * corners of a sample are four runs of contiguous channels: one entry of the {@link SampleTable}
 * (corner index and weights, shared by the channels of an offset group) then fills a whole row
 * segment with plain vector loads and FMAs, no gathers. The result for group {@code g} and local pixel
 * {@code q} is the row {@code cols[(g*rowsPerGroup + q)*Kg + kpt*Cg + cl]} (kernel point major).
 */
final class BilinearIm2col {

    private BilinearIm2col() {
    }

    /**
     * Rows {@code yFrom .. yTo-1} of the padded NHWC copy of {@code input[n]}: padded row {@code r} is
     * image row {@code r-1}; rows 0 and H+1 and the first and last position of each row are zero.
     */
    static void padNhwc(ConvGeometry g, float[] input, int n, float[] padded, int yFrom, int yTo) {
        int c = g.channels, h = g.height, w = g.width, rowLen = g.paddedWidth * c;
        for (int r = yFrom; r < yTo; r++) {
            int row = r * rowLen;
            if (r == 0 || r == h + 1) {
                Arrays.fill(padded, row, row + rowLen, 0f);
                continue;
            }
            Arrays.fill(padded, row, row + c, 0f);
            Arrays.fill(padded, row + (w + 1) * c, row + rowLen, 0f);
            int y = r - 1;
            int dst = row + c;
            for (int ch = 0; ch < c; ch++) {
                int src = ((n * c + ch) * h + y) * w;
                for (int x = 0; x < w; x++) padded[dst + x * c + ch] = input[src + x];
            }
        }
    }

    /**
     * Writes the sample rows of local pixels {@code q0 .. q0+count-1} from the entries of {@code table}
     * (filled for the same local pixels) into {@code cols}, whose group blocks are
     * {@code rowsPerGroup} rows apart.
     */
    static void sample(ConvGeometry g, SampleTable table, float[] padded, int q0, int count, float[] cols,
                       int rowsPerGroup) {
        int kk = g.kernelSize, ogs = g.offsetGroups, c = g.channels, cg = g.channelsPerGroup, kg = g.groupK;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        boolean plain = !g.hasOffset;
        int[] base = table.base;
        float[] wt = table.weight;
        for (int q = q0; q < q0 + count; q++) {
            int e = q * ogs * kk;
            for (int og = 0; og < ogs; og++) {
                for (int kpt = 0; kpt < kk; kpt++, e++) {
                    int b = base[e];
                    for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
                        int grp = g.segGroup[s], cs = g.segStart[s], ce = g.segEnd[s];
                        int dst = (grp * rowsPerGroup + q) * kg + kpt * cg + (cs - grp * cg) - cs;
                        if (b < 0) {
                            Arrays.fill(cols, dst + cs, dst + ce, 0f);
                        } else if (plain) {
                            // Integer sampling position: the bilinear blend is the top-left corner itself.
                            FloatVector w00 = FloatVector.broadcast(SPECIES, wt[4 * e]);
                            int ch = cs;
                            for (; ch <= ce - L; ch += L) {
                                FloatVector.fromArray(SPECIES, padded, b + ch).mul(w00).intoArray(cols, dst + ch);
                            }
                            if (ch < ce) {
                                VectorMask<Float> m = SPECIES.indexInRange(ch, ce);
                                FloatVector.fromArray(SPECIES, padded, b + ch, m).mul(w00).intoArray(cols, dst + ch, m);
                            }
                        } else {
                            FloatVector w00 = FloatVector.broadcast(SPECIES, wt[4 * e]);
                            FloatVector w01 = FloatVector.broadcast(SPECIES, wt[4 * e + 1]);
                            FloatVector w10 = FloatVector.broadcast(SPECIES, wt[4 * e + 2]);
                            FloatVector w11 = FloatVector.broadcast(SPECIES, wt[4 * e + 3]);
                            int ch = cs;
                            for (; ch <= ce - L; ch += L) {
                                int at = b + ch;
                                FloatVector v = FloatVector.fromArray(SPECIES, padded, at).mul(w00);
                                v = FloatVector.fromArray(SPECIES, padded, at + d01).fma(w01, v);
                                v = FloatVector.fromArray(SPECIES, padded, at + d10).fma(w10, v);
                                v = FloatVector.fromArray(SPECIES, padded, at + d11).fma(w11, v);
                                v.intoArray(cols, dst + ch);
                            }
                            if (ch < ce) {
                                VectorMask<Float> m = SPECIES.indexInRange(ch, ce);
                                int at = b + ch;
                                FloatVector v = FloatVector.fromArray(SPECIES, padded, at, m).mul(w00);
                                v = FloatVector.fromArray(SPECIES, padded, at + d01, m).fma(w01, v);
                                v = FloatVector.fromArray(SPECIES, padded, at + d10, m).fma(w10, v);
                                v = FloatVector.fromArray(SPECIES, padded, at + d11, m).fma(w11, v);
                                v.intoArray(cols, dst + ch, m);
                            }
                        }
                    }
                }
            }
        }
    }
}
