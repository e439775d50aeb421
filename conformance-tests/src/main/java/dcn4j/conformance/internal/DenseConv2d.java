package dcn4j.conformance.internal;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * An ordinary dense 2D convolution with integer sampling positions, written for the identities of
 * property 4 and sharing no code with any backend: no bilinear sampling at all, and a different
 * decomposition from the reference's single im2col product. For each kernel tap {@code (i, j)} the
 * tap's weights form an {@code [O/groups, C/groups]} matrix that multiplies the input shifted by
 * that tap ({@code [C/groups, Ho*Wo]}, zero outside the image); EJML's {@code multAdd} sums the taps:
 * <pre>
 *   out[n, o, y, x] = bias[o] + Σ_{c, i, j} weight[o, c, i, j] · input[n, g*C/groups + c, y*sh + originY + i*dh, x*sw + originX + j*dw]
 * </pre>
 * {@code originY = -padH} gives the usual padded convolution; other origins give shifted ones.
 */
public final class DenseConv2d {

    private DenseConv2d() {
    }

    /**
     * @param in     {@code [N, C, H, W]} as {@code {N, C, H, W}} in {@code inShape}
     * @param weight {@code [O, C/groups, kh, kw]} as {@code {O, C/groups, kh, kw}} in {@code wShape}
     * @param bias   {@code [O]} or {@code null}
     * @return {@code [N, O, outH, outW]}
     */
    public static double[] forward(double[] in, int[] inShape, double[] weight, int[] wShape, double[] bias, int groups,
                            int strideH, int strideW, int originY, int originX, int dilationH, int dilationW,
                            int outH, int outW) {
        int n = inShape[0], c = inShape[1], h = inShape[2], w = inShape[3];
        int o = wShape[0], cg = wShape[1], kh = wShape[2], kw = wShape[3];
        int og = o / groups, pixels = outH * outW;
        double[] out = new double[n * o * pixels];
        DMatrixRMaj tapWeights = new DMatrixRMaj(og, cg);
        DMatrixRMaj shifted = new DMatrixRMaj(cg, pixels);
        DMatrixRMaj acc = new DMatrixRMaj(og, pixels);
        for (int b = 0; b < n; b++) {
            for (int g = 0; g < groups; g++) {
                acc.zero();
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        for (int ol = 0; ol < og; ol++) {
                            for (int cl = 0; cl < cg; cl++) {
                                tapWeights.set(ol, cl, weight[(((g * og + ol) * cg + cl) * kh + i) * kw + j]);
                            }
                        }
                        for (int cl = 0; cl < cg; cl++) {
                            int plane = (b * c + g * cg + cl) * h * w;
                            for (int y = 0; y < outH; y++) {
                                int sy = y * strideH + originY + i * dilationH;
                                for (int x = 0; x < outW; x++) {
                                    int sx = x * strideW + originX + j * dilationW;
                                    boolean inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
                                    shifted.set(cl, y * outW + x, inside ? in[plane + sy * w + sx] : 0);
                                }
                            }
                        }
                        CommonOps_DDRM.multAdd(tapWeights, shifted, acc);
                    }
                }
                for (int ol = 0; ol < og; ol++) {
                    int oc = g * og + ol;
                    double bv = bias == null ? 0 : bias[oc];
                    for (int p = 0; p < pixels; p++) out[(b * o + oc) * pixels + p] = acc.get(ol, p) + bv;
                }
            }
        }
        return out;
    }
}
