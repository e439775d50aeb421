package dcn4j.vector;

import static dcn4j.vector.Sgemm.L;
import static dcn4j.vector.Sgemm.SPECIES;
import static dcn4j.vector.VectorWidth.fma;

import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.spi.DeformPsRoiPoolShape;
import dcn4j.spi.PooledRoi;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Deformable (position-sensitive) RoI pooling on the vector backend (paper eq. 5-7; DESIGN.md
 * "Deformable PS RoI pooling"), with the official MXNet kernel's arithmetic as the reference
 * {@code ReferenceDeformPsRoiPool} writes it: the shared RoI preamble {@link PooledRoi} (corners rounded
 * half away from zero, size at least 0.1), samples skipped outside {@code [-0.5, W-0.5] x [-0.5, H-0.5]} (edges kept), clamped, read between
 * the {@code floor} and {@code ceil} corners, mean over the samples taken.
 *
 * <p>Vectorisation: all output channels {@code ctop} of one offset class sample at the same positions
 * (the bin geometry depends on RoI, bin and class only), and bin {@code (ph, pw)} reads channel
 * {@code ctop*G^2 + cell}. The image is therefore permuted to {@code [y][x][cell][ctop]}, which makes the
 * channels read by one bin contiguous: one sample is four vector loads and FMAs over {@code ctop}. The
 * geometry (double precision, statement for statement as the reference) is scalar.
 *
 * <p>One batch image at a time (the permuted copy is the workspace, one image big). Determinism: the
 * forward writes each output from one item; the input gradient is split by blocks of {@code ctop}, each
 * visiting RoIs, bins and samples in a fixed order; the offset gradient of RoI {@code r} is owned by
 * the item of {@code r}.
 */
final class VectorDeformPsRoiPool {

    private VectorDeformPsRoiPool() {
    }

    /** Sizes of a call as fields. */
    private static final class Geo {
        final int batch, channels, height, width, rois, outputDim, group, cells, pooled, part, samples, classes;
        final int perClass;
        final double transStd;
        final DeformPsRoiPoolSpec spec;

        Geo(DeformPsRoiPoolShape s) {
            DeformPsRoiPoolSpec spec = s.spec();
            batch = s.batch();
            channels = s.channels();
            height = s.height();
            width = s.width();
            rois = s.roiCount();
            outputDim = spec.outputDim();
            group = spec.groupSize();
            cells = group * group;
            pooled = spec.pooledSize();
            part = spec.partSize();
            samples = spec.samplePerPart();
            classes = s.numClasses();
            perClass = s.channelsPerClass();
            this.spec = spec;
            transStd = spec.transStd();
        }

        /** Index of {@code (y, x, cell, ctop = 0)} in the permuted image. */
        int at(int y, int x, int cell) {
            return ((y * width + x) * cells + cell) * outputDim;
        }
    }

    /**
     * The geometry of bin {@code (ph, pw)} of RoI {@code r} for offset class {@code cls}: position-sensitive
     * cell, deformed corner (eq. 7), sub-bin steps, the offset elements it reads, and the samples kept.
     */
    private static final class Bin {
        int cell, offsetX, offsetY, taken;
        double wStart, hStart, subW, subH;

        void set(Geo g, PooledRoi roi, int r, int cls, int ph, int pw, float[] offset) {
            double binH = roi.binH(), binW = roi.binW();
            int partH = PooledRoi.partCell(ph, g.pooled, g.part);
            int partW = PooledRoi.partCell(pw, g.pooled, g.part);
            double transX = 0, transY = 0;
            offsetX = -1;
            offsetY = -1;
            if (offset != null) {
                offsetX = (((r * g.classes + cls) * 2) * g.part + partH) * g.part + partW;
                offsetY = (((r * g.classes + cls) * 2 + 1) * g.part + partH) * g.part + partW;
                transX = offset[offsetX] * g.transStd;
                transY = offset[offsetY] * g.transStd;
            }
            wStart = pw * binW + roi.startW();
            wStart += transX * roi.width();
            hStart = ph * binH + roi.startH();
            hStart += transY * roi.height();
            int gw = PooledRoi.groupCell(pw, g.pooled, g.group);
            int gh = PooledRoi.groupCell(ph, g.pooled, g.group);
            cell = gh * g.group + gw;
            subW = roi.subW();
            subH = roi.subH();
            taken = 0;
            for (int ih = 0; ih < g.samples; ih++) {
                for (int iw = 0; iw < g.samples; iw++) {
                    if (!skipped(wStart + iw * subW, hStart + ih * subH, g.width, g.height)) taken++;
                }
            }
        }
    }

    /** The kernel's skip test; the edges {@code -0.5} and {@code W - 0.5} themselves are kept. */
    private static boolean skipped(double w, double h, int width, int height) {
        return w < -0.5 || w > width - 0.5 || h < -0.5 || h > height - 0.5;
    }

    private static double clamp(double v, double max) {
        return Math.min(Math.max(v, 0.0), max);
    }

    /** One kept sample after clamping: permuted-image indices of its corners and its bilinear weights. */
    private static final class Sample {
        int i00, i01, i10, i11;   // (y0,x0), (y1,x0), (y0,x1), (y1,x1)
        float dx, dy;

        /** Returns false when the sample is skipped. */
        boolean set(Geo g, Bin bin, int ih, int iw) {
            double w = bin.wStart + iw * bin.subW, h = bin.hStart + ih * bin.subH;
            if (skipped(w, h, g.width, g.height)) return false;
            w = clamp(w, g.width - 1.0);
            h = clamp(h, g.height - 1.0);
            int x0 = (int) Math.floor(w), x1 = (int) Math.ceil(w);
            int y0 = (int) Math.floor(h), y1 = (int) Math.ceil(h);
            dx = (float) (w - x0);
            dy = (float) (h - y0);
            i00 = g.at(y0, x0, bin.cell);
            i01 = g.at(y1, x0, bin.cell);
            i10 = g.at(y0, x1, bin.cell);
            i11 = g.at(y1, x1, bin.cell);
            return true;
        }
    }

    /** RoI indices per batch image, in RoI order. */
    private static List<List<Integer>> roisByImage(Geo g, double[] rois) {
        List<List<Integer>> by = new ArrayList<>();
        for (int n = 0; n < g.batch; n++) by.add(new ArrayList<>());
        for (int r = 0; r < g.rois; r++) by.get((int) rois[r * 5]).add(r);
        return by;
    }

    /** Rows {@code [y0, y1)} of image {@code n} permuted to {@code [y][x][cell][ctop]}. */
    private static void permute(Geo g, float[] input, int n, float[] permuted, int y0, int y1) {
        for (int y = y0; y < y1; y++) {
            for (int ctop = 0; ctop < g.outputDim; ctop++) {
                for (int cell = 0; cell < g.cells; cell++) {
                    int src = ((n * g.channels + ctop * g.cells + cell) * g.height + y) * g.width;
                    int dst = g.at(y, 0, cell) + ctop;
                    int step = g.cells * g.outputDim;
                    for (int x = 0; x < g.width; x++) permuted[dst + x * step] = input[src + x];
                }
            }
        }
    }

    /** Channels {@code ctop in [c0, c1)} of the permuted gradient back to {@code gradInput[n]} (NCHW). */
    private static void unpermute(Geo g, float[] permuted, int n, float[] gradInput, int c0, int c1) {
        int step = g.cells * g.outputDim;
        for (int ctop = c0; ctop < c1; ctop++) {
            for (int cell = 0; cell < g.cells; cell++) {
                int dst = (n * g.channels + ctop * g.cells + cell) * g.height * g.width;
                for (int y = 0; y < g.height; y++) {
                    int src = g.at(y, 0, cell) + ctop;
                    for (int x = 0; x < g.width; x++) gradInput[dst + y * g.width + x] = permuted[src + x * step];
                }
            }
        }
    }

    static float[] forward(WorkerPool pool, Workspace ws, DeformPsRoiPoolShape s, float[] input, double[] rois,
                           float[] offset) {
        Geo g = new Geo(s);
        int p2 = g.pooled * g.pooled;
        float[] out = new float[g.rois * g.outputDim * p2];
        if (g.rois == 0) return out;
        int threads = pool.parallelism();
        float[] permuted = ws.floats("psroiImage", (long) g.height * g.width * g.channels);
        float[][] acc = ws.perWorker("psroiAcc", threads, g.outputDim + L);
        List<List<Integer>> byImage = roisByImage(g, rois);
        int rowBlocks = VectorDeformConv2d.blocks(g.height, 2 * threads);
        for (int n = 0; n < g.batch; n++) {
            List<Integer> mine = byImage.get(n);
            if (mine.isEmpty()) continue;
            int item = n;
            pool.forEach(rowBlocks, (b, w) -> permute(g, input, item, permuted,
                    VectorDeformConv2d.blockStart(g.height, rowBlocks, b),
                    VectorDeformConv2d.blockStart(g.height, rowBlocks, b + 1)));
            pool.forEach(mine.size(), (i, w) -> forwardRoi(g, mine.get(i), rois, offset, permuted, acc[w], out));
        }
        return out;
    }

    private static void forwardRoi(Geo g, int r, double[] rois, float[] offset, float[] permuted, float[] acc,
                                   float[] out) {
        PooledRoi roi = PooledRoi.of(g.spec, rois, r);
        Bin bin = new Bin();
        Sample smp = new Sample();
        int p2 = g.pooled * g.pooled;
        for (int ph = 0; ph < g.pooled; ph++) {
            for (int pw = 0; pw < g.pooled; pw++) {
                for (int cls = 0; cls < g.classes; cls++) {
                    int c0 = cls * g.perClass, len = g.perClass;
                    bin.set(g, roi, r, cls, ph, pw, offset);
                    Arrays.fill(acc, 0, len, 0f);
                    for (int ih = 0; ih < g.samples; ih++) {
                        for (int iw = 0; iw < g.samples; iw++) {
                            if (!smp.set(g, bin, ih, iw)) continue;
                            float dx = smp.dx, dy = smp.dy;
                            // Weights of the corners (y0,x0), (y1,x0), (y0,x1), (y1,x1), as the kernel.
                            FloatVector w00 = FloatVector.broadcast(SPECIES, (1 - dx) * (1 - dy));
                            FloatVector w01 = FloatVector.broadcast(SPECIES, (1 - dx) * dy);
                            FloatVector w10 = FloatVector.broadcast(SPECIES, dx * (1 - dy));
                            FloatVector w11 = FloatVector.broadcast(SPECIES, dx * dy);
                            for (int c = 0; c < len; c += L) {
                                VectorMask<Float> m = SPECIES.indexInRange(c, len);
                                int ch = c0 + c;
                                FloatVector v = FloatVector.fromArray(SPECIES, permuted, smp.i00 + ch, m).mul(w00);
                                v = fma(FloatVector.fromArray(SPECIES, permuted, smp.i01 + ch, m), w01, v);
                                v = fma(FloatVector.fromArray(SPECIES, permuted, smp.i10 + ch, m), w10, v);
                                v = fma(FloatVector.fromArray(SPECIES, permuted, smp.i11 + ch, m), w11, v);
                                FloatVector.fromArray(SPECIES, acc, c, m).add(v).intoArray(acc, c, m);
                            }
                        }
                    }
                    // eq. 5 with n_ij = the samples taken; an empty bin is 0.
                    for (int c = 0; c < len; c++) {
                        out[(r * g.outputDim + c0 + c) * p2 + ph * g.pooled + pw] =
                                bin.taken == 0 ? 0f : acc[c] / bin.taken;
                    }
                }
            }
        }
    }

    /** Gradients of a backward call; {@code null} where not asked for. */
    record Grads(float[] input, float[] offset) {
    }

    static Grads backward(WorkerPool pool, Workspace ws, DeformPsRoiPoolShape s, float[] gradOut, float[] input,
                          double[] rois, float[] offset, boolean wantInput, boolean wantOffset) {
        Geo g = new Geo(s);
        float[] gIn = wantInput ? new float[g.batch * g.channels * g.height * g.width] : null;
        float[] gOff = wantOffset && offset != null ? new float[offset.length] : null;
        if (g.rois == 0 || (gIn == null && gOff == null)) return new Grads(gIn, gOff);
        int threads = pool.parallelism();
        long imageSize = (long) g.height * g.width * g.channels;
        float[] permuted = gOff != null ? ws.floats("psroiImage", imageSize) : null;
        float[] gradPermuted = gIn != null ? ws.floats("psroiGrad", imageSize) : null;
        float[][] diff = ws.perWorker("psroiDiff", threads, g.outputDim + L);
        List<List<Integer>> byImage = roisByImage(g, rois);
        int rowBlocks = VectorDeformConv2d.blocks(g.height, 2 * threads);
        int ctopBlocks = gIn != null ? VectorDeformConv2d.blocks(VectorDeformConv2d.ceilDiv(g.outputDim, L), 2 * threads)
                : 0;
        for (int n = 0; n < g.batch; n++) {
            List<Integer> mine = byImage.get(n);
            if (mine.isEmpty()) continue;
            int item = n;
            pool.forEach(rowBlocks, (b, w) -> {
                int y0 = VectorDeformConv2d.blockStart(g.height, rowBlocks, b);
                int y1 = VectorDeformConv2d.blockStart(g.height, rowBlocks, b + 1);
                if (permuted != null) permute(g, input, item, permuted, y0, y1);
                if (gradPermuted != null) {
                    Arrays.fill(gradPermuted, g.at(y0, 0, 0), g.at(y1, 0, 0), 0f);
                }
            });
            int offsetItems = gOff != null ? mine.size() : 0;
            pool.forEach(ctopBlocks + offsetItems, (it, w) -> {
                if (it < ctopBlocks) {
                    int[] r = ctopRange(g, ctopBlocks, it);
                    inputGradient(g, mine, rois, offset, gradOut, r[0], r[1], diff[w], gradPermuted);
                } else {
                    offsetGradient(g, mine.get(it - ctopBlocks), rois, offset, gradOut, permuted, diff[w], gOff);
                }
            });
            if (gIn != null) {
                pool.forEach(ctopBlocks, (b, w) -> {
                    int[] r = ctopRange(g, ctopBlocks, b);
                    unpermute(g, gradPermuted, item, gIn, r[0], r[1]);
                });
            }
        }
        return new Grads(gIn, gOff);
    }

    private static int[] ctopRange(Geo g, int blocks, int b) {
        int[] r = VectorDeformConv2d.blockRange(VectorDeformConv2d.ceilDiv(g.outputDim, L), blocks, b);
        return new int[] {r[0] * L, Math.min(g.outputDim, r[1] * L)};
    }

    /**
     * Input gradient for output channels {@code [ca, cb)}: each kept sample adds {@code gradOut / taken}
     * times its corner weights to the four corners (the adjoint of the forward interpolation), RoI by RoI,
     * bin by bin, sample by sample.
     */
    private static void inputGradient(Geo g, List<Integer> rs, double[] rois, float[] offset, float[] gradOut,
                                      int ca, int cb, float[] diff, float[] gradPermuted) {
        Bin bin = new Bin();
        Sample smp = new Sample();
        int p2 = g.pooled * g.pooled;
        for (int r : rs) {
            PooledRoi roi = PooledRoi.of(g.spec, rois, r);
            for (int ph = 0; ph < g.pooled; ph++) {
                for (int pw = 0; pw < g.pooled; pw++) {
                    for (int cls = ca / g.perClass; cls <= (cb - 1) / g.perClass; cls++) {
                        int c0 = Math.max(ca, cls * g.perClass), c1 = Math.min(cb, (cls + 1) * g.perClass);
                        bin.set(g, roi, r, cls, ph, pw, offset);
                        if (bin.taken == 0) continue;  // the forward wrote a constant 0
                        int len = c1 - c0;
                        for (int c = 0; c < len; c++) {
                            diff[c] = gradOut[(r * g.outputDim + c0 + c) * p2 + ph * g.pooled + pw] / bin.taken;
                        }
                        for (int ih = 0; ih < g.samples; ih++) {
                            for (int iw = 0; iw < g.samples; iw++) {
                                if (!smp.set(g, bin, ih, iw)) continue;
                                float dx = smp.dx, dy = smp.dy;
                                FloatVector w00 = FloatVector.broadcast(SPECIES, (1 - dx) * (1 - dy));
                                FloatVector w01 = FloatVector.broadcast(SPECIES, (1 - dx) * dy);
                                FloatVector w10 = FloatVector.broadcast(SPECIES, dx * (1 - dy));
                                FloatVector w11 = FloatVector.broadcast(SPECIES, dx * dy);
                                for (int c = 0; c < len; c += L) {
                                    VectorMask<Float> m = SPECIES.indexInRange(c, len);
                                    FloatVector d = FloatVector.fromArray(SPECIES, diff, c, m);
                                    int ch = c0 + c;
                                    int a00 = smp.i00 + ch, a01 = smp.i01 + ch, a10 = smp.i10 + ch, a11 = smp.i11 + ch;
                                    fma(d, w00, FloatVector.fromArray(SPECIES, gradPermuted, a00, m))
                                            .intoArray(gradPermuted, a00, m);
                                    fma(d, w01, FloatVector.fromArray(SPECIES, gradPermuted, a01, m))
                                            .intoArray(gradPermuted, a01, m);
                                    fma(d, w10, FloatVector.fromArray(SPECIES, gradPermuted, a10, m))
                                            .intoArray(gradPermuted, a10, m);
                                    fma(d, w11, FloatVector.fromArray(SPECIES, gradPermuted, a11, m))
                                            .intoArray(gradPermuted, a11, m);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Offset gradient of RoI {@code r}: through eq. 7 a unit of offset moves the samples of its bins by
     * {@code transStd * roiSize}, so each kept sample adds its bilinear slope on the cell
     * {@code [floor, ceil]} (0 along an integer coordinate) times {@code transStd * roiSize * gradOut / taken}.
     */
    private static void offsetGradient(Geo g, int r, double[] rois, float[] offset, float[] gradOut,
                                       float[] permuted, float[] diff, float[] gOff) {
        PooledRoi roi = PooledRoi.of(g.spec, rois, r);
        Bin bin = new Bin();
        Sample smp = new Sample();
        int p2 = g.pooled * g.pooled;
        for (int ph = 0; ph < g.pooled; ph++) {
            for (int pw = 0; pw < g.pooled; pw++) {
                for (int cls = 0; cls < g.classes; cls++) {
                    int c0 = cls * g.perClass, len = g.perClass;
                    bin.set(g, roi, r, cls, ph, pw, offset);
                    if (bin.taken == 0) continue;
                    for (int c = 0; c < len; c++) {
                        diff[c] = gradOut[(r * g.outputDim + c0 + c) * p2 + ph * g.pooled + pw] / bin.taken;
                    }
                    FloatVector accX = FloatVector.zero(SPECIES), accY = accX;
                    for (int ih = 0; ih < g.samples; ih++) {
                        for (int iw = 0; iw < g.samples; iw++) {
                            if (!smp.set(g, bin, ih, iw)) continue;
                            FloatVector dx = FloatVector.broadcast(SPECIES, smp.dx);
                            FloatVector dy = FloatVector.broadcast(SPECIES, smp.dy);
                            for (int c = 0; c < len; c += L) {
                                VectorMask<Float> m = SPECIES.indexInRange(c, len);
                                int ch = c0 + c;
                                FloatVector d = FloatVector.fromArray(SPECIES, diff, c, m);
                                FloatVector u00 = FloatVector.fromArray(SPECIES, permuted, smp.i00 + ch, m);
                                FloatVector u01 = FloatVector.fromArray(SPECIES, permuted, smp.i01 + ch, m);
                                FloatVector u10 = FloatVector.fromArray(SPECIES, permuted, smp.i10 + ch, m);
                                FloatVector u11 = FloatVector.fromArray(SPECIES, permuted, smp.i11 + ch, m);
                                // slopeX = (1-dy)(u10 - u00) + dy (u11 - u01); slopeY = (1-dx)(u01 - u00) + dx (u11 - u10)
                                FloatVector top = u10.sub(u00), bottom = u11.sub(u01);
                                FloatVector left = u01.sub(u00), right = u11.sub(u10);
                                FloatVector slopeX = fma(bottom.sub(top), dy, top);
                                FloatVector slopeY = fma(right.sub(left), dx, left);
                                accX = fma(d, slopeX, accX);
                                accY = fma(d, slopeY, accY);
                            }
                        }
                    }
                    gOff[bin.offsetX] += (float) (g.transStd * roi.width()) * Col2im.sumLanes(accX);
                    gOff[bin.offsetY] += (float) (g.transStd * roi.height()) * Col2im.sumLanes(accY);
                }
            }
        }
    }
}
