package dcn4j.opencl;

import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.spi.DeformConv2dShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Deformable convolution on the OpenCL backend: argument checking ({@link DeformConv2dShape}, first,
 * before any device memory is touched), workspace sizing and the order of kernels; the arithmetic
 * is in {@code deform_conv2d.cl} and {@code gemm.cl}.
 *
 * <p>Forward, per chunk of images: a sample table (where each kernel point of each output pixel
 * samples, shared by the channels of an offset group), bilinear im2col into
 * {@code cols [C*kh*kw, Q*Ho*Wo]}, then per group {@code out = W_g · cols_g (+ bias)} written
 * straight into {@code [N, O, Ho, Wo]}.
 * Backward, per chunk: {@code gradW_g += gradOut_g · cols_gᵀ}; {@code gradCols_g = W_gᵀ · gradOut_g};
 * input gradient by gathering (each input pixel sums its samples in a fixed order), offset and mask
 * gradients with one work-item per sample. The chunk {@code Q} keeps the workspace under
 * {@link #WORKSPACE_BUDGET} (one image at least).
 */
final class OpenClDeformConv2d {

    /** Upper bound of the workspace of one call (bytes), also capped by device memory / 8. */
    static final long WORKSPACE_BUDGET = 256L << 20;

    static final String CONV = "deform_conv2d.cl";

    private final OpenClBackend backend;
    private final ClRuntime rt;
    /** Images too large for one buffer, computed in bands of output rows. */
    private final OpenClConvBands bands;
    private volatile long workspaceBudget = WORKSPACE_BUDGET;

    OpenClDeformConv2d(OpenClBackend backend) {
        this.backend = backend;
        this.rt = backend.runtime();
        this.bands = new OpenClConvBands(backend, this);
    }

    /** Sets the workspace bound (tests use a tiny one to force one image per chunk). */
    void workspaceBudget(long bytes) {
        workspaceBudget = bytes;
    }

    Tensor forward(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor bias) {
        DeformConv2dShape s = DeformConv2dShape.of(OpenClProvider.NAME, spec, input, offset, mask, weight, bias);
        OpenClTensor in = backend.own("input", input), off = backend.own("offset", offset);
        OpenClTensor msk = backend.own("mask", mask), w = backend.own("weight", weight);
        OpenClTensor b = backend.own("bias", bias);
        int rows = bands.rows(s, workspaceBudget, false);
        if (rows < s.outHeight()) return bands.forward(s, in, off, msk, w, b, rows);
        int ck = s.inChannels() * s.kernelSize(), p = s.outHeight() * s.outWidth();
        int og0 = s.spec().offsetGroups(), k0 = s.kernelSize();
        int chunk = chunk(s, (long) ck * p * 4 + 32L * og0 * k0 * p); // columns + sample table
        OpenClTensor out = null;
        try (ClRuntime.Op op = rt.op()) {
            try {
                Workspace ws = rt.workspace();
                out = backend.newTensor(s.outputShape());
                ClBuffer cols = ws.get("columns", (long) ck * chunk * p);
                ClBuffer dummy = ws.get("absent argument", 1);
                int[] g = geometry(s);
                for (int n0 = 0; n0 < s.batch(); n0 += chunk) {
                    int q = Math.min(chunk, s.batch() - n0);
                    im2col(g, in, off, msk, dummy, ws, cols, n0, q, s);
                    int og = s.outChannelsPerGroup(), cgk = s.inChannelsPerGroup() * s.kernelSize();
                    int l = q * p;
                    for (int grp = 0; grp < s.spec().groups(); grp++) {
                        // out[n0.., g*og.., :] = W_g [og, cgk] · cols_g [cgk, l] (+ bias), written as [N, O, P]
                        backend.gemm().run(og, l, cgk,
                                w.buffer(), ClGemm.matrix(grp * og * cgk, cgk, 1),
                                cols, ClGemm.matrix(grp * cgk * l, l, 1),
                                out.buffer(), ClGemm.result(n0 * s.outChannels() * p + grp * og * p, p, p,
                                        s.outChannels() * p, 1),
                                b == null ? dummy : b.buffer(), grp * og, false, b != null);
                    }
                }
                op.finish("deform_conv2d forward");
            } catch (RuntimeException | Error e) {
                if (out != null) out.close();
                throw e;
            } finally {
                OpenClBackend.keepAlive(new Object[] {in, off, msk, w, b});
            }
        }
        return out;
    }

    DeformConv2dGradients backward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input, Tensor offset,
                                   Tensor mask, Tensor weight, Tensor bias, Set<Gradient> wanted) {
        DeformConv2dShape s = DeformConv2dShape.ofBackward(OpenClProvider.NAME, spec, gradOutput, input, offset,
                mask, weight, bias, wanted);
        OpenClTensor go = backend.own("gradOutput", gradOutput), in = backend.own("input", input);
        OpenClTensor off = backend.own("offset", offset), msk = backend.own("mask", mask);
        OpenClTensor w = backend.own("weight", weight);
        backend.own("bias", bias);
        boolean wantInput = wanted.contains(Gradient.INPUT);
        boolean wantOffset = wanted.contains(Gradient.OFFSET) && off != null;
        boolean wantMask = wanted.contains(Gradient.MASK) && msk != null;
        boolean wantWeight = wanted.contains(Gradient.WEIGHT);
        boolean wantBias = wanted.contains(Gradient.BIAS) && s.hasBias();
        boolean needGradCols = wantInput || wantOffset || wantMask;
        if (wantInput) checkCellBuckets(s);
        int rows = bands.rows(s, workspaceBudget, true);
        if (rows < s.outHeight()) {
            return bands.backward(s, go, in, off, msk, w, rows, wantInput, wantOffset, wantMask, wantWeight, wantBias);
        }

        int c = s.inChannels(), k = s.kernelSize(), p = s.outHeight() * s.outWidth();
        int og = s.spec().offsetGroups();
        long cells = (long) (s.inHeight() + 1) * (s.inWidth() + 1); // fits an int once chunk() accepted the shape
        long perImage = 0;
        if (wantWeight) perImage += (long) c * k * p * 4 + 32L * og * k * p; // cols, sample table
        if (needGradCols) perImage += (long) c * k * p * 4;                // gradCols
        if (needGradCols) perImage += (long) s.outChannels() * p * 4;      // gradOut as [O, Q*P]
        if (wantWeight) perImage += (long) s.outChannels() * p * 4;        // gradOut as [Q*P, O]
        if (wantInput) perImage += (long) og * (7L * k * p + 2L * cells + 1) * 4; // keys, frac, column, list, starts, cursor
        int chunk = chunk(s, Math.max(perImage, 1));

        List<OpenClTensor> made = new ArrayList<>();
        try (ClRuntime.Op op = rt.op()) {
            try {
                Workspace ws = rt.workspace();
                OpenClTensor gIn = wantInput ? keep(made, backend.newTensor(s.inputShape())) : null;
                OpenClTensor gOff = wantOffset ? keep(made, backend.newTensor(s.offsetShape())) : null;
                OpenClTensor gMask = wantMask ? keep(made, backend.newTensor(s.maskShape())) : null;
                // An empty batch runs no chunk: the weight gradient is the empty sum, zero-filled here.
                OpenClTensor gW = !wantWeight ? null : keep(made, s.batch() > 0 ? backend.newTensor(s.weightShape())
                        : (OpenClTensor) backend.tensor(DType.F32, s.weightShape(),
                                new float[s.outChannels() * s.inChannelsPerGroup() * k]));
                OpenClTensor gB = wantBias ? keep(made, backend.newTensor(new int[] {s.outChannels()})) : null;
                ClBuffer dummy = ws.get("absent argument", 1);
                int[] g = geometry(s);
                if (gB != null) {
                    rt.call(CONV, "bias_grad").buf(go.buffer()).buf(gB.buffer()).i(s.batch())
                            .i(s.outChannels()).i(p).range(s.outChannels());
                }
                ClBuffer cols = wantWeight ? ws.get("columns", (long) c * k * chunk * p) : null;
                ClBuffer gradCols = needGradCols ? ws.get("column gradients", (long) c * k * chunk * p) : null;
                ClBuffer goRows = needGradCols ? ws.get("gradOut [O, Q*P]", (long) s.outChannels() * chunk * p) : null;
                ClBuffer goCols = wantWeight ? ws.get("gradOut [Q*P, O]", (long) s.outChannels() * chunk * p) : null;
                CellBuffers cb = wantInput ? new CellBuffers(ws, chunk * og, k * p, (int) cells) : null;
                int ocg = s.outChannelsPerGroup(), cgk = s.inChannelsPerGroup() * k, o = s.outChannels();
                for (int n0 = 0; n0 < s.batch(); n0 += chunk) {
                    int q = Math.min(chunk, s.batch() - n0);
                    int l = q * p;
                    if (gW != null) {
                        // gradW_g (+)= gradOut_g · cols_gᵀ, computed transposed so that both operands are
                        // row-major: gradW_gᵀ [cgk, ocg] = cols_g [cgk, l] · gradOut_gᵀ [l, ocg].
                        im2col(g, in, off, msk, dummy, ws, cols, n0, q, s);
                        rt.call(CONV, "gather_cols").buf(go.buffer()).buf(goCols).i(n0).i(q).i(o).i(p)
                                .range(p, o, q);
                        for (int grp = 0; grp < s.spec().groups(); grp++) {
                            backend.gemm().run(cgk, ocg, l,
                                    cols, ClGemm.matrix(grp * cgk * l, l, 1),
                                    goCols, ClGemm.matrix(grp * ocg, o, 1),
                                    gW.buffer(), ClGemm.result(grp * ocg * cgk, 1, ClGemm.NO_SPLIT, 0, cgk),
                                    dummy, 0, n0 > 0, false);
                        }
                    }
                    if (!needGradCols) continue;
                    rt.call(CONV, "gather_rows").buf(go.buffer()).buf(goRows).i(n0).i(q).i(o).i(p)
                            .range(p, q, o);
                    for (int grp = 0; grp < s.spec().groups(); grp++) {
                        // gradCols_g [cgk, l] = W_gᵀ [cgk, ocg] · gradOut_g [ocg, l]
                        backend.gemm().run(cgk, l, ocg,
                                w.buffer(), ClGemm.matrix(grp * ocg * cgk, 1, cgk),
                                goRows, ClGemm.matrix(grp * ocg * l, l, 1),
                                gradCols, ClGemm.result(grp * cgk * l, l, ClGemm.NO_SPLIT, 0, 1),
                                dummy, 0, false, false);
                    }
                    if (gIn != null) {
                        inputGrad(g, off, msk, dummy, gradCols, cb, gIn, n0, q, s);
                    }
                    if (gOff != null || gMask != null) {
                        rt.call(CONV, "offset_mask_grad").buf(in.buffer()).buf(orDummy(off, dummy))
                                .buf(orDummy(msk, dummy)).buf(gradCols)
                                .buf(gOff == null ? dummy : gOff.buffer()).buf(gMask == null ? dummy : gMask.buffer())
                                .vec(g).i(n0).i(q).i((gOff != null ? 1 : 0) | (gMask != null ? 2 : 0))
                                .range(p, k, (long) q * og);
                    }
                }
                op.finish("deform_conv2d backward");
                made.clear();
                return new DeformConv2dGradients(gIn, gOff, gMask, gW, gB);
            } finally {
                for (OpenClTensor t : made) t.close(); // only on failure: made is cleared on success
                OpenClBackend.keepAlive(new Object[] {go, in, off, msk, w});
            }
        }
    }

    /** The per-sample arrays of the input gradient (deform_conv2d.cl, cells_count) and its buckets. */
    static final class CellBuffers {
        final ClBuffer keys, frac, column;
        final ClBuckets buckets;

        CellBuffers(Workspace ws, int t, int samples, int cells) {
            keys = ws.get("sample cells", (long) t * samples);
            frac = ws.get("sample fractions", 4L * t * samples);
            column = ws.get("sample columns", (long) t * samples);
            buckets = new ClBuckets(ws, "cell", t * samples, t * cells);
        }
    }

    void inputGrad(int[] g, OpenClTensor off, OpenClTensor msk, ClBuffer dummy, ClBuffer gradCols,
                   CellBuffers cb, OpenClTensor gIn, int n0, int q, DeformConv2dShape s) {
        int og = s.spec().offsetGroups(), samples = s.kernelSize() * pixels(g);
        int cells = (s.inHeight() + 1) * (s.inWidth() + 1), t = q * og;
        cb.buckets.zero(rt, t * cells);
        rt.call(CONV, "cells_count").buf(orDummy(off, dummy)).buf(cb.keys).buf(cb.frac).buf(cb.column)
                .buf(cb.buckets.starts).vec(g).i(n0).i(q)
                .range(pixels(g), s.kernelSize(), t);
        cb.buckets.sort(rt, CONV, cb.keys, t * samples, t * cells);
        int block = channelBlock(s, 16); // at most CBMAX of deform_conv2d.cl
        int blocks = (s.channelsPerOffsetGroup() + block - 1) / block;
        rt.call(CONV, "col2im_gather").buf(gradCols).buf(orDummy(msk, dummy)).buf(cb.buckets.starts)
                .buf(cb.buckets.list).buf(cb.frac).buf(cb.column).buf(gIn.buffer()).vec(g).i(n0).i(q).i(block)
                .range((long) s.inHeight() * s.inWidth(), (long) og * blocks, q);
    }

    /** Fills the sample table of the chunk, then the column buffer from it (deform_conv2d.cl). */
    void im2col(int[] g, OpenClTensor in, OpenClTensor off, OpenClTensor msk, ClBuffer dummy,
                Workspace ws, ClBuffer cols, int n0, int q, DeformConv2dShape s) {
        int k = s.kernelSize(), p = pixels(g), og = s.spec().offsetGroups();
        ClBuffer corner = ws.get("sample corners", 4L * q * og * k * p);
        ClBuffer weight = ws.get("sample weights", 4L * q * og * k * p);
        rt.call(CONV, "sample_table").buf(orDummy(off, dummy)).buf(corner).buf(weight)
                .vec(g).i(n0).i(q).range(p, k, (long) q * og);
        int block = channelBlock(s, 64);
        int blocks = (s.channelsPerOffsetGroup() + block - 1) / block;
        rt.call(CONV, "deform_im2col").buf(in.buffer()).buf(corner).buf(weight)
                .buf(orDummy(msk, dummy)).buf(cols).vec(g).i(n0).i(q)
                .i(block).range(p, k, (long) q * og * blocks);
    }

    /**
     * Channels of one offset group per work-item, for kernels that share per-sample work across
     * channels: up to {@code cpuMax} on CPU devices (few work-items keep every core busy), 4 on GPUs
     * (which need many work-items).
     */
    int channelBlock(DeformConv2dShape s, int cpuMax) {
        return Math.min(s.channelsPerOffsetGroup(), backend.gpuStyle() ? 4 : cpuMax);
    }

    /** Output pixels per image of geometry {@code g}: Ho*Wo, or a band's rows*Wo ({@link OpenClConvBands}). */
    static int pixels(int[] g) {
        return g[5] * g[6];
    }

    /** The int16 geometry of deform_conv2d.cl (the end paddings are in Ho and Wo). */
    static int[] geometry(DeformConv2dShape s) {
        DeformConv2dSpec sp = s.spec();
        return new int[] {s.inChannels(), s.inHeight(), s.inWidth(), s.kernelHeight(), s.kernelWidth(),
                s.outHeight(), s.outWidth(), sp.strideH(), sp.strideW(), sp.padTop(), sp.padLeft(),
                sp.dilationH(), sp.dilationW(), s.channelsPerOffsetGroup(), sp.offsetGroups(),
                (s.hasOffset() ? 1 : 0) | (s.hasMask() ? 2 : 0)
                        | (sp.border() == DeformConv2dSpec.Border.DCNV1 ? 4 : 0)};
    }

    /**
     * Images per chunk: as many as fit {@code perImageBytes} each in the workspace budget, at least
     * one, and few enough that every index of a kernel fits in an {@code int}.
     */
    private int chunk(DeformConv2dShape s, long perImageBytes) {
        // The kernels index a chunk's buffers with 32-bit ints: the largest is the column buffer
        // (C*K*P per image), then the sample fractions (4*OG*K*P), or the input gradient's cell buckets
        // (OG*(H+1)*(W+1) + 1, larger than the input plane itself; checkCellBuckets).
        long elements = Math.max((long) s.inChannels(), 4L * s.spec().offsetGroups()) * s.kernelSize()
                * s.outHeight() * s.outWidth();
        if (elements > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("input: expected at most " + Integer.MAX_VALUE + " column elements "
                    + "(C*kh*kw*Ho*Wo) per image on the opencl backend, got " + elements + " for "
                    + java.util.Arrays.toString(s.inputShape()) + " and kernel " + s.kernelHeight() + "x"
                    + s.kernelWidth());
        }
        elements = Math.max(elements, cellBuckets(s));
        long budget = Math.min(Math.min(workspaceBudget, backend.device().globalMemory() / 8), rt.maxAlloc());
        long q = Math.max(1, budget / perImageBytes);
        return (int) Math.min(s.batch(), Math.min(q, Integer.MAX_VALUE / elements));
    }

    /** The input gradient's cell buckets of one image, {@code offsetGroups*(H+1)*(W+1) + 1} (deform_conv2d.cl). */
    static long cellBuckets(DeformConv2dShape s) {
        return (long) s.spec().offsetGroups() * (s.inHeight() + 1) * (s.inWidth() + 1) + 1;
    }

    /**
     * Fails unless the cell buckets of one image fit the kernels' 32-bit indices: they exceed the input
     * plane ({@code (H+1)*(W+1)}), so an accepted input can overflow them (46341x46341 and one channel).
     */
    static void checkCellBuckets(DeformConv2dShape s) {
        long buckets = cellBuckets(s);
        if (buckets > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("input: expected at most " + Integer.MAX_VALUE + " sample cells "
                    + "(offsetGroups*(H+1)*(W+1)+1) per image for the input gradient on the opencl backend, got "
                    + buckets + " for " + java.util.Arrays.toString(s.inputShape()));
        }
    }

    private static OpenClTensor keep(List<OpenClTensor> made, OpenClTensor t) {
        made.add(t);
        return t;
    }

    static ClBuffer orDummy(OpenClTensor t, ClBuffer dummy) {
        return t == null ? dummy : t.buffer();
    }
}
