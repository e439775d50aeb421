package dcn4j.reference;

import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.spi.DeformPsRoiPoolShape;
import dcn4j.spi.PooledRoi;

/**
 * Deformable position-sensitive RoI pooling in float64: the definition every backend is checked against.
 *
 * <p>The paper (section 2.2) pools bin {@code (i, j)} of a RoI with top-left corner {@code p0} as
 * <pre>
 *   y(i, j) = sum over p in bin(i, j) of x(p0 + p + dp_ij) / n_ij                     (eq. 5, 6)
 *   dp_ij   = gamma * dp^_ij o (w, h)   (normalised offset times RoI size)             (eq. 7)
 * </pre>
 * with {@code x} read bilinearly; the position-sensitive form (R-FCN) reads bin {@code (i, j)} of
 * output channel {@code c} from its own score map. This class follows the official MXNet kernel
 * {@code DeformablePSROIPooling} (src/operator/contrib/deformable_psroi_pooling.cu; its RoI preamble is
 * {@link PooledRoi}, shared by every backend) statement by
 * statement, quirks included (DESIGN.md "Deformable PS RoI pooling"), because trained models expect
 * exactly that arithmetic:
 * <ul>
 *   <li>RoI corners are rounded half away from zero (C {@code round}), scaled by {@code spatialScale}
 *       and shifted by -0.5; {@code x2, y2} get +1 before scaling;</li>
 *   <li>RoI width and height are at least 0.1 (tiny and inverted RoIs);</li>
 *   <li>bin {@code (ph, pw)} is sampled on a {@code samplePerPart^2} grid from its corner moved by
 *       {@code transStd * offset * (roiWidth, roiHeight)} (eq. 7; {@code gamma = transStd});</li>
 *   <li>a sample with {@code w < -0.5 || w > W - 0.5 || h < -0.5 || h > H - 0.5} is skipped (the edges
 *       themselves are taken), others are clamped into {@code [0, W-1] x [0, H-1]} and read bilinearly
 *       between the corners {@code floor} and {@code ceil} of the clamped point;</li>
 *   <li>the output is the mean over the samples actually taken ({@code n_ij} of eq. 5), 0 if none;</li>
 *   <li>the RoI's batch index is {@code (int) roi[0]}, truncation toward zero (validated by
 *       {@link DeformPsRoiPoolShape}).</li>
 * </ul>
 * Integer intermediate indices (part cell, score-map cell) use the kernel's floating-point order of
 * operations, e.g. {@code floor((double) ph / pooledSize * partSize)}, which differs from integer
 * division for some sizes ({@code pooled = part = 22, ph = 15} gives part cell 14, not 15).
 *
 * <p>A NaN offset yields NaN outputs and gradients (IEEE propagation); the CUDA kernel's {@code fmax}
 * would instead read pixel 0. Infinite offsets move every sample out of the image, so they are skipped.
 *
 * <p>Layouts (CASE_FORMAT.md): input {@code [N, outputDim*groupSize^2, H, W]}, rois {@code [R, 5]},
 * offset {@code [R, 2*numClasses, partSize, partSize]} (channel {@code 2c} is x, {@code 2c+1} is y),
 * output {@code [R, outputDim, pooledSize, pooledSize]}.
 */
final class ReferenceDeformPsRoiPool {

    private ReferenceDeformPsRoiPool() {
    }

    /** Gradients for the input and the offset; {@code null} where not asked for (or no offset). */
    record Grads(double[] input, double[] offset) {
    }

    /** Forward; {@code offset} is {@code null} for {@code no_trans}. Arguments are already validated. */
    static double[] forward(DeformPsRoiPoolShape s, double[] input, double[] rois, double[] offset) {
        int pooled = s.spec().pooledSize();
        int samples = s.spec().samplePerPart();
        double[] out = new double[s.roiCount() * s.spec().outputDim() * pooled * pooled];
        int index = 0;
        for (int r = 0; r < s.roiCount(); r++) {
            PooledRoi roi = PooledRoi.of(s.spec(), rois, r);
            for (int ctop = 0; ctop < s.spec().outputDim(); ctop++) {
                for (int ph = 0; ph < pooled; ph++) {
                    for (int pw = 0; pw < pooled; pw++, index++) {
                        Bin bin = Bin.of(s, roi, r, ctop, ph, pw, offset);
                        double sum = 0;
                        int count = 0;
                        for (int ih = 0; ih < samples; ih++) {
                            for (int iw = 0; iw < samples; iw++) {
                                double w = bin.sampleW(iw);
                                double h = bin.sampleH(ih);
                                if (skipped(w, h, s.width(), s.height())) continue;
                                sum += interpolate(input, bin.plane, s.width(),
                                        clamp(w, s.width() - 1.0), clamp(h, s.height() - 1.0));
                                count++;
                            }
                        }
                        // eq. 5 with n_ij = the samples taken; an empty bin is 0, not NaN.
                        out[index] = count == 0 ? 0.0 : sum / count;
                    }
                }
            }
        }
        return out;
    }

    /**
     * Backward of {@link #forward}, as the official kernel computes it. With {@code g} the output
     * gradient of a bin, {@code n} its number of samples taken and {@code (w, h)} a taken sample after
     * clamping, {@code x0 = floor(w), x1 = ceil(w), y0 = floor(h), y1 = ceil(h), dx = w - x0, dy = h - y0}:
     * <pre>
     *   dInput[y0,x0] += (1-dx)(1-dy) g/n    dInput[y1,x0] += (1-dx) dy g/n
     *   dInput[y0,x1] += dx (1-dy) g/n       dInput[y1,x1] += dx dy g/n
     *   dOffsetX += ((1-dy)(U[y0,x1] - U[y0,x0]) + dy (U[y1,x1] - U[y1,x0])) * transStd * g/n * roiWidth
     *   dOffsetY += ((1-dx)(U[y1,x0] - U[y0,x0]) + dx (U[y1,x1] - U[y0,x1])) * transStd * g/n * roiHeight
     * </pre>
     * ({@code U} the input plane read by the bin.) The offset terms are the chain rule through eq. 7:
     * the sample moves by {@code transStd * roiWidth} per unit of offset. Because the corners are
     * {@code floor}/{@code ceil}, a coordinate that is an integer ({@code x0 == x1}) has slope 0; that
     * is the exact derivative where the coordinate was clamped, and the kernel's convention at an
     * unclamped integer (DESIGN.md: never {@code floor + 1}).
     */
    static Grads backward(DeformPsRoiPoolShape s, double[] gradOut, double[] input, double[] rois, double[] offset,
                          boolean wantInput, boolean wantOffset) {
        int pooled = s.spec().pooledSize();
        int samples = s.spec().samplePerPart();
        int width = s.width();
        double transStd = s.spec().transStd();
        double[] gradInput = wantInput ? new double[s.batch() * s.channels() * s.height() * width] : null;
        boolean offsetGrad = wantOffset && offset != null;
        double[] gradOffset = offsetGrad ? new double[offset.length] : null;
        int index = 0;
        for (int r = 0; r < s.roiCount(); r++) {
            PooledRoi roi = PooledRoi.of(s.spec(), rois, r);
            for (int ctop = 0; ctop < s.spec().outputDim(); ctop++) {
                for (int ph = 0; ph < pooled; ph++) {
                    for (int pw = 0; pw < pooled; pw++, index++) {
                        Bin bin = Bin.of(s, roi, r, ctop, ph, pw, offset);
                        int count = takenSamples(bin, samples, width, s.height());
                        if (count == 0) continue;  // the forward wrote a constant 0: no gradient
                        double diff = gradOut[index] / count;
                        for (int ih = 0; ih < samples; ih++) {
                            for (int iw = 0; iw < samples; iw++) {
                                double w = bin.sampleW(iw);
                                double h = bin.sampleH(ih);
                                if (skipped(w, h, width, s.height())) continue;
                                w = clamp(w, width - 1.0);
                                h = clamp(h, s.height() - 1.0);
                                int x0 = (int) Math.floor(w), x1 = (int) Math.ceil(w);
                                int y0 = (int) Math.floor(h), y1 = (int) Math.ceil(h);
                                double dx = w - x0, dy = h - y0;
                                int p = bin.plane;
                                if (gradInput != null) {
                                    // Same corners and weights as the forward's interpolation: its adjoint.
                                    gradInput[p + y0 * width + x0] += (1 - dx) * (1 - dy) * diff;
                                    gradInput[p + y1 * width + x0] += (1 - dx) * dy * diff;
                                    gradInput[p + y0 * width + x1] += dx * (1 - dy) * diff;
                                    gradInput[p + y1 * width + x1] += dx * dy * diff;
                                }
                                if (gradOffset != null) {
                                    double u00 = input[p + y0 * width + x0], u01 = input[p + y1 * width + x0];
                                    double u10 = input[p + y0 * width + x1], u11 = input[p + y1 * width + x1];
                                    // Bilinear slopes on the cell [floor, ceil]: 0 along an integer coordinate.
                                    double slopeX = u11 * dy + u10 * (1 - dy) - u01 * dy - u00 * (1 - dy);
                                    double slopeY = u11 * dx + u01 * (1 - dx) - u10 * dx - u00 * (1 - dx);
                                    gradOffset[bin.offsetX] += slopeX * transStd * diff * roi.width();
                                    gradOffset[bin.offsetY] += slopeY * transStd * diff * roi.height();
                                }
                            }
                        }
                    }
                }
            }
        }
        return new Grads(gradInput, gradOffset);
    }

    /** The kernel's skip test; the edges {@code -0.5} and {@code W - 0.5} themselves are kept. */
    static boolean skipped(double w, double h, int width, int height) {
        return w < -0.5 || w > width - 0.5 || h < -0.5 || h > height - 0.5;
    }

    /** Clamps a kept coordinate into {@code [0, max]}: the border pixel is replicated, never blended with 0. */
    private static double clamp(double v, double max) {
        return Math.min(Math.max(v, 0.0), max);
    }

    /**
     * Bilinear value at an in-image point {@code (w, h)} between the corners {@code floor} and
     * {@code ceil} (equal at an integer coordinate, where the point reads one row or column).
     */
    private static double interpolate(double[] input, int plane, int width, double w, double h) {
        int x0 = (int) Math.floor(w), x1 = (int) Math.ceil(w);
        int y0 = (int) Math.floor(h), y1 = (int) Math.ceil(h);
        double dx = w - x0, dy = h - y0;
        return (1 - dx) * (1 - dy) * input[plane + y0 * width + x0]
                + (1 - dx) * dy * input[plane + y1 * width + x0]
                + dx * (1 - dy) * input[plane + y0 * width + x1]
                + dx * dy * input[plane + y1 * width + x1];
    }

    private static int takenSamples(Bin bin, int samples, int width, int height) {
        int count = 0;
        for (int ih = 0; ih < samples; ih++) {
            for (int iw = 0; iw < samples; iw++) {
                if (!skipped(bin.sampleW(iw), bin.sampleH(ih), width, height)) count++;
            }
        }
        return count;
    }

    /**
     * Where output element {@code (r, ctop, ph, pw)} reads: the score-map plane, the deformed bin corner
     * (eq. 7) and sub-bin step, and the offset elements it used (-1 for {@code no_trans}).
     */
    private record Bin(int plane, double wStart, double hStart, double subW, double subH, int offsetX, int offsetY) {

        static Bin of(DeformPsRoiPoolShape s, PooledRoi roi, int r, int ctop, int ph, int pw, double[] offset) {
            DeformPsRoiPoolSpec spec = s.spec();
            int pooled = spec.pooledSize();
            int part = spec.partSize();
            int group = spec.groupSize();
            double binH = roi.binH();
            double binW = roi.binW();
            // Offset part cell and class, in the kernel's floating-point order (see the class comment).
            int partH = PooledRoi.partCell(ph, pooled, part);
            int partW = PooledRoi.partCell(pw, pooled, part);
            int classId = ctop / s.channelsPerClass();
            int offsetX = -1, offsetY = -1;
            double transX = 0, transY = 0;
            if (offset != null) {
                offsetX = (((r * s.numClasses() + classId) * 2) * part + partH) * part + partW;
                offsetY = (((r * s.numClasses() + classId) * 2 + 1) * part + partH) * part + partW;
                transX = offset[offsetX] * spec.transStd();
                transY = offset[offsetY] * spec.transStd();
            }
            // eq. 7: the normalised offset is scaled by the RoI size before moving the bin.
            double wStart = pw * binW + roi.startW();
            wStart += transX * roi.width();
            double hStart = ph * binH + roi.startH();
            hStart += transY * roi.height();
            // Position-sensitive score map of bin (ph, pw): cell (gh, gw) of the groupSize grid.
            int gw = PooledRoi.groupCell(pw, pooled, group);
            int gh = PooledRoi.groupCell(ph, pooled, group);
            int c = (ctop * group + gh) * group + gw;
            int plane = (roi.batch() * s.channels() + c) * s.height() * s.width();
            return new Bin(plane, wStart, hStart, roi.subW(), roi.subH(), offsetX, offsetY);
        }

        double sampleW(int iw) {
            return wStart + iw * subW;
        }

        double sampleH(int ih) {
            return hStart + ih * subH;
        }
    }
}
