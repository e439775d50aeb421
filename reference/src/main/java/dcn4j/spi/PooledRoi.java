package dcn4j.spi;

import dcn4j.DeformPsRoiPoolSpec;

/**
 * One RoI on the feature map as the official MXNet {@code DeformablePSROIPooling} kernel's preamble
 * computes it (DESIGN.md "Deformable PS RoI pooling"), in float64, shared by every backend (the
 * conformance suite keeps its own independent copy on purpose): corners rounded half away from zero
 * (C {@code round}), scaled by {@code spatialScale} and shifted by -0.5, {@code x2, y2} taking +1 before
 * scaling; width and height at least 0.1 (tiny and inverted RoIs); bins of {@code size / pooledSize},
 * sub-bin steps of {@code bin / samplePerPart}.
 *
 * @param batch  the image, {@code (int) roi[0]}: truncation toward zero, as the kernel's
 *               {@code int roi_batch_ind = offset_bottom_rois[0]} (validated by {@link DeformPsRoiPoolShape})
 * @param startW left edge on the feature map
 * @param startH top edge
 * @param width  RoI width, {@code >= 0.1}
 * @param height RoI height, {@code >= 0.1}
 * @param binW   {@code width / pooledSize}
 * @param binH   {@code height / pooledSize}
 * @param subW   {@code binW / samplePerPart}
 * @param subH   {@code binH / samplePerPart}
 */
public record PooledRoi(int batch, double startW, double startH, double width, double height, double binW,
                        double binH, double subW, double subH) {

    /** RoI {@code r} of {@code rois} ({@code [R, 5]} as {@code (batchIndex, x1, y1, x2, y2)}, row-major). */
    public static PooledRoi of(DeformPsRoiPoolSpec spec, double[] rois, int r) {
        double scale = spec.spatialScale();
        int batch = (int) rois[r * 5];
        double startW = roundHalfAwayFromZero(rois[r * 5 + 1]) * scale - 0.5;
        double startH = roundHalfAwayFromZero(rois[r * 5 + 2]) * scale - 0.5;
        double endW = (roundHalfAwayFromZero(rois[r * 5 + 3]) + 1.0) * scale - 0.5;
        double endH = (roundHalfAwayFromZero(rois[r * 5 + 4]) + 1.0) * scale - 0.5;
        // "Force too small ROIs to be 1x1": at least 0.1, also for inverted RoIs.
        double width = Math.max(endW - startW, 0.1), height = Math.max(endH - startH, 0.1);
        double binW = width / spec.pooledSize(), binH = height / spec.pooledSize();
        return new PooledRoi(batch, startW, startH, width, height, binW, binH, binW / spec.samplePerPart(),
                binH / spec.samplePerPart());
    }

    /**
     * C's {@code round}: half away from zero (not Java's {@link Math#round}, which rounds half up, nor
     * {@link Math#rint}, half to even). {@code |v| - floor(|v|)} is exact in binary floating point, so the
     * comparison with 0.5 is too.
     */
    public static double roundHalfAwayFromZero(double v) {
        double a = Math.abs(v);
        double t = Math.floor(a);
        if (a - t >= 0.5) t += 1;
        return Math.copySign(t, v);
    }

    /**
     * The offset part cell of bin row (or column) {@code p}: the kernel's {@code floor((DType) p / pooledSize
     * * partSize)}, floating-point division first (DESIGN.md amendments: it can differ from integer
     * division above size 10). In {@code [0, partSize)}; capped so that no rounding can index past the offsets.
     */
    public static int partCell(int p, int pooledSize, int partSize) {
        return Math.min((int) Math.floor((double) p / pooledSize * partSize), partSize - 1);
    }

    /**
     * The position-sensitive group cell of bin row (or column) {@code p}: the kernel's
     * {@code floor((DType) p * groupSize / pooledSize)} clamped to {@code [0, groupSize-1]}.
     */
    public static int groupCell(int p, int pooledSize, int groupSize) {
        int cell = (int) Math.floor((double) p * groupSize / pooledSize);
        return Math.min(Math.max(cell, 0), groupSize - 1);
    }
}
