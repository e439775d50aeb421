package dcn4j.opencl;

import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Tensor;
import dcn4j.spi.DeformConv2dShape;
import java.util.ArrayList;
import java.util.List;
import org.jocl.Pointer;

/**
 * Deformable convolution of images whose column buffer (or sample table) is larger than one
 * OpenCL buffer may be ({@link ClRuntime#maxAlloc()}, DESIGN.md "OpenCL runtime"): each image is
 * computed in bands of output rows, with the kernels of {@link OpenClDeformConv2d} unchanged. A
 * band of rows {@code [r0, r0 + rb)} is an image of {@code rb} output rows whose padding is
 * {@code padTop - r0*strideH}, so every sample point is the same integer expression as in the
 * whole image (the forward is bit-identical); its offsets, mask and output gradient are copied
 * out of the tensors into band-sized buffers ({@code clEnqueueCopyBufferRect}), one input image
 * at a time. The input gradient of an image is the sum of its bands' (in band order:
 * deterministic), the weight gradient accumulates over images and bands; offset and mask
 * gradients are per sample and copied back into place.
 */
final class OpenClConvBands {

    private static final String CONV = OpenClDeformConv2d.CONV;

    private final OpenClBackend backend;
    private final ClRuntime rt;
    private final OpenClDeformConv2d conv;

    OpenClConvBands(OpenClBackend backend, OpenClDeformConv2d conv) {
        this.backend = backend;
        this.rt = backend.runtime();
        this.conv = conv;
    }

    /**
     * Output rows per band: {@code Ho} (no bands) when one image's buffers fit in one OpenCL buffer
     * each, else as many rows as fit (and, as far as possible, the workspace budget).
     * {@link IllegalArgumentException} when not even one output row fits.
     */
    int rows(DeformConv2dShape s, long workspaceBudget, boolean backward) {
        long wo = s.outWidth(), k = s.kernelSize(), og = s.spec().offsetGroups();
        long columns = 4L * s.inChannels() * k * wo, table = 16L * og * k * wo, grads = 4L * s.outChannels() * wo;
        long largest = Math.max(Math.max(columns, table), grads); // bytes per output row
        long limit = rt.maxAlloc();
        // The kernels index a band's buffers with 32-bit ints: the column buffer (C*K per pixel) and
        // the sample fractions (2*OG*K per pixel) must stay under 2^31 elements too.
        long rowsByIndex = Integer.MAX_VALUE / (Math.max(s.inChannels(), 2 * og) * k * wo);
        if (largest * s.outHeight() <= limit && s.outHeight() <= rowsByIndex) return s.outHeight();
        if (largest > limit || rowsByIndex < 1) {
            throw new IllegalArgumentException("input: expected at most " + limit + " bytes per output row in one "
                    + "OpenCL buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE of " + backend.device().name() + "), got " + largest
                    + " bytes of " + (largest == columns ? "columns (C*kh*kw*Wo floats)" : largest == table
                    ? "sample table (offsetGroups*kh*kw*Wo entries of 16 bytes)" : "output gradient (O*Wo floats)")
                    + " for " + java.util.Arrays.toString(s.inputShape()) + " and kernel " + s.kernelHeight() + "x"
                    + s.kernelWidth());
        }
        // Per row, every band buffer: columns (and their gradient), the sample table, output-gradient
        // copies, the input gradient's per-sample arrays.
        long perRow = columns * (backward ? 2 : 1) + 2 * table + (backward ? 2 * grads + 20L * og * k * wo : 0);
        long budget = Math.min(workspaceBudget, backend.device().globalMemory() / 8);
        long rows = Math.min(Math.min(limit / largest, rowsByIndex), Math.max(1, budget / perRow));
        return (int) Math.max(1, Math.min(rows, s.outHeight() - 1L));
    }

    /** The geometry of rows {@code [r0, r0 + rb)}: {@code rb} output rows, padding shifted by {@code r0} rows. */
    private static int[] band(DeformConv2dShape s, int r0, int rb) {
        int[] g = OpenClDeformConv2d.geometry(s);
        g[5] = rb;
        g[9] = s.spec().padTop() - r0 * s.spec().strideH();
        return g;
    }

    /** Copies rows {@code [r0, r0 + rb)} of image {@code n} of {@code t} ({@code [N, ch, Ho, Wo]}) into {@code band}. */
    private void cut(OpenClTensor t, int n, int ch, DeformConv2dShape s, int r0, int rb, OpenClTensor band) {
        long row = 4L * s.outWidth();
        rt.copyRect(t.buffer(), (long) n * ch, r0, row, row * s.outHeight(), band.buffer(), 0, 0, row, row * rb, row,
                rb, ch, "band of rows");
    }

    /** The reverse of {@link #cut}. */
    private void paste(OpenClTensor band, OpenClTensor t, int n, int ch, DeformConv2dShape s, int r0, int rb) {
        long row = 4L * s.outWidth();
        rt.copyRect(band.buffer(), 0, 0, row, row * rb, t.buffer(), (long) n * ch, r0, row, row * s.outHeight(), row,
                rb, ch, "band of rows");
    }

    /** Copies image {@code n} of {@code in} into {@code image} ({@code [1, C, H, W]}). */
    private void image(OpenClTensor in, int n, DeformConv2dShape s, OpenClTensor image) {
        long bytes = 4L * s.inChannels() * s.inHeight() * s.inWidth();
        rt.copyRect(in.buffer(), n, 0, bytes, bytes, image.buffer(), 0, 0, bytes, bytes, bytes, 1, 1, "input image");
    }

    Tensor forward(DeformConv2dShape s, OpenClTensor in, OpenClTensor off, OpenClTensor msk, OpenClTensor w,
                   OpenClTensor b, int rows) {
        DeformConv2dSpec sp = s.spec();
        int c = s.inChannels(), k = s.kernelSize(), og = sp.offsetGroups(), o = s.outChannels();
        int wo = s.outWidth(), p = s.outHeight() * wo;
        List<OpenClTensor> temps = new ArrayList<>();
        OpenClTensor out = null;
        try (ClRuntime.Op op = rt.op()) {
            try {
                Workspace ws = rt.workspace();
                out = backend.newTensor(s.outputShape());
                ClBuffer dummy = ws.get("absent argument", 1);
                OpenClTensor img = temp(temps, 1, c, s.inHeight(), s.inWidth());
                OpenClTensor offBand = off == null ? null : temp(temps, 1, 2 * og * k, rows, wo);
                OpenClTensor mskBand = msk == null ? null : temp(temps, 1, og * k, rows, wo);
                ClBuffer cols = ws.get("columns", (long) c * k * rows * wo);
                int ogc = s.outChannelsPerGroup(), cgk = s.inChannelsPerGroup() * k;
                for (int n = 0; n < s.batch(); n++) {
                    image(in, n, s, img);
                    for (int r0 = 0; r0 < s.outHeight(); r0 += rows) {
                        int rb = Math.min(rows, s.outHeight() - r0), l = rb * wo;
                        int[] g = band(s, r0, rb);
                        if (offBand != null) cut(off, n, 2 * og * k, s, r0, rb, offBand);
                        if (mskBand != null) cut(msk, n, og * k, s, r0, rb, mskBand);
                        conv.im2col(g, img, offBand, mskBand, dummy, ws, cols, 0, 1, s);
                        for (int grp = 0; grp < sp.groups(); grp++) {
                            // out[n, g*ogc.., r0*Wo ..] = W_g [ogc, cgk] · cols_g [cgk, l] (+ bias)
                            backend.gemm().run(ogc, l, cgk,
                                    w.buffer(), ClGemm.matrix(grp * ogc * cgk, cgk, 1),
                                    cols, ClGemm.matrix(grp * cgk * l, l, 1),
                                    out.buffer(), ClGemm.result(n * o * p + grp * ogc * p + r0 * wo, p, l, o * p, 1),
                                    b == null ? dummy : b.buffer(), grp * ogc, false, b != null);
                        }
                    }
                }
                op.finish("deform_conv2d forward in bands");
            } catch (RuntimeException | Error e) {
                if (out != null) out.close();
                throw e;
            } finally {
                for (OpenClTensor t : temps) t.close();
            }
        }
        return out;
    }

    DeformConv2dGradients backward(DeformConv2dShape s, OpenClTensor go, OpenClTensor in, OpenClTensor off,
                                   OpenClTensor msk, OpenClTensor w, int rows, boolean wantInput,
                                   boolean wantOffset, boolean wantMask, boolean wantWeight, boolean wantBias) {
        DeformConv2dSpec sp = s.spec();
        int c = s.inChannels(), k = s.kernelSize(), og = sp.offsetGroups(), o = s.outChannels();
        int wo = s.outWidth(), p = s.outHeight() * wo, hw = s.inHeight() * s.inWidth();
        int cells = (s.inHeight() + 1) * (s.inWidth() + 1);
        boolean needGradCols = wantInput || wantOffset || wantMask;
        List<OpenClTensor> made = new ArrayList<>(), temps = new ArrayList<>();
        ClBuffer one = null;
        try (ClRuntime.Op op = rt.op()) {
            try {
                Workspace ws = rt.workspace();
                OpenClTensor gIn = wantInput ? keep(made, backend.newTensor(s.inputShape())) : null;
                OpenClTensor gOff = wantOffset ? keep(made, backend.newTensor(s.offsetShape())) : null;
                OpenClTensor gMask = wantMask ? keep(made, backend.newTensor(s.maskShape())) : null;
                OpenClTensor gW = wantWeight ? keep(made, backend.newTensor(s.weightShape())) : null;
                OpenClTensor gB = wantBias ? keep(made, backend.newTensor(new int[] {o})) : null;
                ClBuffer dummy = ws.get("absent argument", 1);
                if (gB != null) {
                    rt.call(CONV, "bias_grad").buf(go.buffer()).buf(gB.buffer()).i(s.batch()).i(o).i(p).range(o);
                }
                OpenClTensor img = temp(temps, 1, c, s.inHeight(), s.inWidth());
                OpenClTensor goBand = temp(temps, 1, o, rows, wo);
                OpenClTensor offBand = off == null ? null : temp(temps, 1, 2 * og * k, rows, wo);
                OpenClTensor mskBand = msk == null ? null : temp(temps, 1, og * k, rows, wo);
                OpenClTensor gInBand = gIn == null ? null : temp(temps, 1, c, s.inHeight(), s.inWidth());
                OpenClTensor gOffBand = gOff == null ? null : temp(temps, 1, 2 * og * k, rows, wo);
                OpenClTensor gMaskBand = gMask == null ? null : temp(temps, 1, og * k, rows, wo);
                long bandPixels = (long) rows * wo;
                ClBuffer cols = wantWeight ? ws.get("columns", c * k * bandPixels) : null;
                ClBuffer gradCols = needGradCols ? ws.get("column gradients", c * k * bandPixels) : null;
                ClBuffer goRows = needGradCols ? ws.get("gradOut [O, Q*P]", o * bandPixels) : null;
                ClBuffer goCols = wantWeight ? ws.get("gradOut [Q*P, O]", o * bandPixels) : null;
                OpenClDeformConv2d.CellBuffers cb = wantInput
                        ? new OpenClDeformConv2d.CellBuffers(ws, og, (int) (k * bandPixels), cells) : null;
                if (gIn != null) {
                    rt.fill(gIn.buffer(), 4L * gIn.count(), "input gradient");
                    one = rt.allocate(1, Pointer.to(new float[] {1f}), "one");
                }
                int ocg = s.outChannelsPerGroup(), cgk = s.inChannelsPerGroup() * k;
                for (int n = 0; n < s.batch(); n++) {
                    image(in, n, s, img);
                    for (int r0 = 0; r0 < s.outHeight(); r0 += rows) {
                        int rb = Math.min(rows, s.outHeight() - r0), l = rb * wo;
                        int[] g = band(s, r0, rb);
                        cut(go, n, o, s, r0, rb, goBand);
                        if (offBand != null) cut(off, n, 2 * og * k, s, r0, rb, offBand);
                        if (mskBand != null) cut(msk, n, og * k, s, r0, rb, mskBand);
                        if (gW != null) {
                            // gradW_gᵀ [cgk, ocg] (+)= cols_g [cgk, l] · gradOut_gᵀ [l, ocg], as in whole images
                            conv.im2col(g, img, offBand, mskBand, dummy, ws, cols, 0, 1, s);
                            rt.call(CONV, "gather_cols").buf(goBand.buffer()).buf(goCols).i(0).i(1).i(o).i(l)
                                    .range(l, o, 1);
                            for (int grp = 0; grp < sp.groups(); grp++) {
                                backend.gemm().run(cgk, ocg, l,
                                        cols, ClGemm.matrix(grp * cgk * l, l, 1),
                                        goCols, ClGemm.matrix(grp * ocg, o, 1),
                                        gW.buffer(), ClGemm.result(grp * ocg * cgk, 1, ClGemm.NO_SPLIT, 0, cgk),
                                        dummy, 0, n > 0 || r0 > 0, false);
                            }
                        }
                        if (!needGradCols) continue;
                        rt.call(CONV, "gather_rows").buf(goBand.buffer()).buf(goRows).i(0).i(1).i(o).i(l)
                                .range(l, 1, o);
                        for (int grp = 0; grp < sp.groups(); grp++) {
                            // gradCols_g [cgk, l] = W_gᵀ [cgk, ocg] · gradOut_g [ocg, l]
                            backend.gemm().run(cgk, l, ocg,
                                    w.buffer(), ClGemm.matrix(grp * ocg * cgk, 1, cgk),
                                    goRows, ClGemm.matrix(grp * ocg * l, l, 1),
                                    gradCols, ClGemm.result(grp * cgk * l, l, ClGemm.NO_SPLIT, 0, 1),
                                    dummy, 0, false, false);
                        }
                        if (gIn != null) {
                            conv.inputGrad(g, offBand, mskBand, dummy, gradCols, cb, gInBand, 0, 1, s);
                            // gradInput[n] += this band's share: a 1 x (C*H*W) GEMM with k = 1 and A = [1]
                            // (1 * x is exact), accumulating in band order.
                            backend.gemm().run(1, c * hw, 1, one, ClGemm.matrix(0, 1, 1),
                                    gInBand.buffer(), ClGemm.matrix(0, c * hw, 1),
                                    gIn.buffer(), ClGemm.result(n * c * hw, c * hw, ClGemm.NO_SPLIT, 0, 1),
                                    dummy, 0, true, false);
                        }
                        if (gOffBand != null || gMaskBand != null) {
                            rt.call(CONV, "offset_mask_grad").buf(img.buffer())
                                    .buf(OpenClDeformConv2d.orDummy(offBand, dummy))
                                    .buf(OpenClDeformConv2d.orDummy(mskBand, dummy)).buf(gradCols)
                                    .buf(OpenClDeformConv2d.orDummy(gOffBand, dummy))
                                    .buf(OpenClDeformConv2d.orDummy(gMaskBand, dummy))
                                    .vec(g).i(0).i(1).i((gOffBand != null ? 1 : 0) | (gMaskBand != null ? 2 : 0))
                                    .range(l, k, og);
                            if (gOffBand != null) paste(gOffBand, gOff, n, 2 * og * k, s, r0, rb);
                            if (gMaskBand != null) paste(gMaskBand, gMask, n, og * k, s, r0, rb);
                        }
                    }
                }
                op.finish("deform_conv2d backward in bands");
                made.clear();
                return new DeformConv2dGradients(gIn, gOff, gMask, gW, gB);
            } finally {
                for (OpenClTensor t : made) t.close(); // only on failure: made is cleared on success
                for (OpenClTensor t : temps) t.close();
                if (one != null) one.release();
            }
        }
    }

    private OpenClTensor temp(List<OpenClTensor> temps, int... shape) {
        OpenClTensor t = backend.newTensor(shape);
        temps.add(t);
        return t;
    }

    private static OpenClTensor keep(List<OpenClTensor> made, OpenClTensor t) {
        made.add(t);
        return t;
    }
}
