package dcn4j.reference;

import dcn4j.DeformConv2dSpec.Border;
import dcn4j.spi.DeformConv2dShape;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Deformable convolution 2D in float64, written to read like its definition (DESIGN.md
 * "Deformable convolution"; paper eq. 2, modulated as DCNv2):
 * <pre>
 *   out[n,o,y,x] = bias[o] + sum_{c in group(o), i, j} weight[o, c', i, j] * mask * bilinear(input[n,c], py, px)
 * </pre>
 * computed as a bilinear "im2col" matrix {@code columns[(c', i, j), (y, x)]} per batch item and
 * group, times the weight matrix {@code [O/groups, C/groups*kh*kw]} (EJML). The backward is the
 * derivative (the official kernels' gradient under {@link Border#DCNV1}, see {@link Dcnv1Bilinear}): weight and bias gradients from the same columns; input, offset and mask
 * gradients from {@code weightᵀ · gradOutput} scattered back through the bilinear sampling.
 *
 * <p>All arrays are flat, row-major, in the layouts of {@link DeformConv2dShape}.
 */
final class ReferenceDeformConv2d {

    private ReferenceDeformConv2d() {
    }

    /** Where kernel point {@code (i, j)} of output pixel {@code (y, x)} samples for offset group {@code og}. */
    private static double sampleY(DeformConv2dShape s, double[] offset, int n, int og, int i, int j, int y, int x) {
        double base = y * s.spec().strideH() - s.spec().padTop() + i * s.spec().dilationH();
        return offset == null ? base : base + offset[offsetIndex(s, n, og, i, j, y, x, 0)];
    }

    private static double sampleX(DeformConv2dShape s, double[] offset, int n, int og, int i, int j, int y, int x) {
        double base = x * s.spec().strideW() - s.spec().padLeft() + j * s.spec().dilationW();
        return offset == null ? base : base + offset[offsetIndex(s, n, og, i, j, y, x, 1)];
    }

    private static boolean dcnv1(DeformConv2dShape s) {
        return s.spec().border() == Border.DCNV1;
    }

    /** The sampled value under the spec's border rule ({@link Bilinear} or {@link Dcnv1Bilinear}). */
    private static double value(DeformConv2dShape s, double[] img, int base, double py, double px) {
        int h = s.inHeight(), w = s.inWidth();
        return dcnv1(s) ? Dcnv1Bilinear.value(img, base, h, w, py, px) : Bilinear.value(img, base, h, w, py, px);
    }

    private static double slopeY(DeformConv2dShape s, double[] img, int base, double py, double px) {
        int h = s.inHeight(), w = s.inWidth();
        return dcnv1(s) ? Dcnv1Bilinear.slopeY(img, base, h, w, py, px) : Bilinear.slopeY(img, base, h, w, py, px);
    }

    private static double slopeX(DeformConv2dShape s, double[] img, int base, double py, double px) {
        int h = s.inHeight(), w = s.inWidth();
        return dcnv1(s) ? Dcnv1Bilinear.slopeX(img, base, h, w, py, px) : Bilinear.slopeX(img, base, h, w, py, px);
    }

    private static void scatter(DeformConv2dShape s, double[] grad, int base, double py, double px, double g) {
        int h = s.inHeight(), w = s.inWidth();
        if (dcnv1(s)) {
            Dcnv1Bilinear.scatter(grad, base, h, w, py, px, g);
        } else {
            Bilinear.scatter(grad, base, h, w, py, px, g);
        }
    }

    /** {@code offset[n, 2*(og*kh*kw + k) + axis, y, x]}, axis 0 = dy, 1 = dx (DESIGN.md). */
    static int offsetIndex(DeformConv2dShape s, int n, int og, int i, int j, int y, int x, int axis) {
        int k = i * s.kernelWidth() + j;
        int channel = 2 * (og * s.kernelSize() + k) + axis;
        return ((n * 2 * s.spec().offsetGroups() * s.kernelSize() + channel) * s.outHeight() + y) * s.outWidth() + x;
    }

    /** {@code mask[n, og*kh*kw + k, y, x]}. */
    static int maskIndex(DeformConv2dShape s, int n, int og, int i, int j, int y, int x) {
        int k = i * s.kernelWidth() + j;
        return ((n * s.spec().offsetGroups() * s.kernelSize() + og * s.kernelSize() + k) * s.outHeight() + y)
                * s.outWidth() + x;
    }

    /**
     * The modulated samples of batch item {@code n}, group {@code g}:
     * {@code columns[(c'*kh + i)*kw + j][y*Wo + x] = mask * bilinear(input[n, g*C/groups + c'], py, px)}.
     */
    private static DMatrixRMaj columns(DeformConv2dShape s, double[] input, double[] offset, double[] mask,
                                       int n, int g) {
        int cg = s.inChannelsPerGroup(), kh = s.kernelHeight(), kw = s.kernelWidth();
        int ho = s.outHeight(), wo = s.outWidth(), h = s.inHeight(), w = s.inWidth();
        DMatrixRMaj cols = new DMatrixRMaj(cg * kh * kw, ho * wo);
        for (int cl = 0; cl < cg; cl++) {
            int c = g * cg + cl;
            int og = c / s.channelsPerOffsetGroup();
            int plane = (n * s.inChannels() + c) * h * w;
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = (cl * kh + i) * kw + j;
                    for (int y = 0; y < ho; y++) {
                        for (int x = 0; x < wo; x++) {
                            double py = sampleY(s, offset, n, og, i, j, y, x);
                            double px = sampleX(s, offset, n, og, i, j, y, x);
                            double v = value(s, input, plane, py, px);
                            if (mask != null) v *= mask[maskIndex(s, n, og, i, j, y, x)];
                            cols.set(row, y * wo + x, v);
                        }
                    }
                }
            }
        }
        return cols;
    }

    /**
     * Fails unless the column matrix of one group, {@code C/groups*kh*kw x Ho*Wo}, fits one Java array
     * (EJML sizes it with an {@code int} product): an accepted shape never overflows an index here.
     */
    static void checkColumns(DeformConv2dShape s) {
        long columns = (long) s.inChannelsPerGroup() * s.kernelSize() * s.outHeight() * s.outWidth();
        if (columns > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("input: expected at most " + (Integer.MAX_VALUE - 8) + " column "
                    + "elements (C/groups*kh*kw*Ho*Wo) per image and group on the reference backend, got " + columns);
        }
    }

    /** The weight rows of group {@code g}: a {@code [O/groups, C/groups*kh*kw]} matrix. */
    private static DMatrixRMaj weightOfGroup(DeformConv2dShape s, double[] weight, int g) {
        int rows = s.outChannelsPerGroup(), cols = s.inChannelsPerGroup() * s.kernelSize();
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        System.arraycopy(weight, g * rows * cols, m.data, 0, rows * cols);
        return m;
    }

    static double[] forward(DeformConv2dShape s, double[] input, double[] offset, double[] mask, double[] weight,
                            double[] bias) {
        int og = s.outChannelsPerGroup(), pixels = s.outHeight() * s.outWidth();
        double[] out = new double[s.batch() * s.outChannels() * pixels];
        DMatrixRMaj product = new DMatrixRMaj(og, pixels);
        for (int n = 0; n < s.batch(); n++) {
            for (int g = 0; g < s.spec().groups(); g++) {
                CommonOps_DDRM.mult(weightOfGroup(s, weight, g), columns(s, input, offset, mask, n, g), product);
                for (int ol = 0; ol < og; ol++) {
                    int o = g * og + ol;
                    double b = bias == null ? 0 : bias[o];
                    int dst = (n * s.outChannels() + o) * pixels;
                    for (int p = 0; p < pixels; p++) out[dst + p] = product.get(ol, p) + b;
                }
            }
        }
        return out;
    }

    /** Gradients of one backward call; an array is {@code null} when not requested. */
    record Grads(double[] input, double[] offset, double[] mask, double[] weight, double[] bias) {
    }

    static Grads backward(DeformConv2dShape s, double[] gradOut, double[] input, double[] offset, double[] mask,
                          double[] weight, boolean wantInput, boolean wantOffset, boolean wantMask,
                          boolean wantWeight, boolean wantBias) {
        int ocg = s.outChannelsPerGroup(), cg = s.inChannelsPerGroup();
        int kh = s.kernelHeight(), kw = s.kernelWidth(), ho = s.outHeight(), wo = s.outWidth();
        int h = s.inHeight(), w = s.inWidth(), pixels = ho * wo;
        double[] gInput = wantInput ? new double[input.length] : null;
        double[] gOffset = wantOffset && offset != null ? new double[offset.length] : null;
        double[] gMask = wantMask && mask != null ? new double[mask.length] : null;
        double[] gWeight = wantWeight ? new double[weight.length] : null;
        double[] gBias = wantBias && s.hasBias() ? new double[s.outChannels()] : null;
        boolean needColumnGrad = gInput != null || gOffset != null || gMask != null;

        for (int n = 0; n < s.batch(); n++) {
            for (int g = 0; g < s.spec().groups(); g++) {
                DMatrixRMaj gradOutOfGroup = new DMatrixRMaj(ocg, pixels);
                System.arraycopy(gradOut, (n * s.outChannels() + g * ocg) * pixels, gradOutOfGroup.data, 0,
                        ocg * pixels);
                if (gBias != null) {
                    for (int ol = 0; ol < ocg; ol++) {
                        for (int p = 0; p < pixels; p++) gBias[g * ocg + ol] += gradOutOfGroup.get(ol, p);
                    }
                }
                if (gWeight != null) {
                    // dL/dW_g = gradOut_g · columns_gᵀ, summed over the batch.
                    DMatrixRMaj gw = new DMatrixRMaj(ocg, cg * kh * kw);
                    CommonOps_DDRM.multTransB(gradOutOfGroup, columns(s, input, offset, mask, n, g), gw);
                    int base = g * ocg * cg * kh * kw;
                    for (int e = 0; e < gw.data.length; e++) gWeight[base + e] += gw.data[e];
                }
                if (!needColumnGrad) continue;
                // dL/dcolumns_g = W_gᵀ · gradOut_g, then back through mask and bilinear sampling.
                DMatrixRMaj gradColumns = new DMatrixRMaj(cg * kh * kw, pixels);
                CommonOps_DDRM.multTransA(weightOfGroup(s, weight, g), gradOutOfGroup, gradColumns);
                for (int cl = 0; cl < cg; cl++) {
                    int c = g * cg + cl;
                    int og = c / s.channelsPerOffsetGroup();
                    int plane = (n * s.inChannels() + c) * h * w;
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int row = (cl * kh + i) * kw + j;
                            for (int y = 0; y < ho; y++) {
                                for (int x = 0; x < wo; x++) {
                                    double gc = gradColumns.get(row, y * wo + x);
                                    double py = sampleY(s, offset, n, og, i, j, y, x);
                                    double px = sampleX(s, offset, n, og, i, j, y, x);
                                    double m = mask == null ? 1 : mask[maskIndex(s, n, og, i, j, y, x)];
                                    if (gInput != null) scatter(s, gInput, plane, py, px, gc * m);
                                    if (gOffset != null) {
                                        gOffset[offsetIndex(s, n, og, i, j, y, x, 0)] +=
                                                gc * m * slopeY(s, input, plane, py, px);
                                        gOffset[offsetIndex(s, n, og, i, j, y, x, 1)] +=
                                                gc * m * slopeX(s, input, plane, py, px);
                                    }
                                    if (gMask != null) {
                                        gMask[maskIndex(s, n, og, i, j, y, x)] +=
                                                gc * value(s, input, plane, py, px);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new Grads(gInput, gOffset, gMask, gWeight, gBias);
    }
}
