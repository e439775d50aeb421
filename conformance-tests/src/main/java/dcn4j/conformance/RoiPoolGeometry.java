package dcn4j.conformance;

import dcn4j.DeformPsRoiPoolSpec;

/**
 * Where deformable PS RoI pooling samples, computed in float64 from DESIGN.md "Deformable PS RoI
 * pooling" (independently of any backend), to tell which cases an F32 backend can be held to the
 * F64 reference on.
 *
 * <p>The op is discontinuous in a few places: a sample at {@code -0.5} or {@code W-0.5} is taken or
 * skipped (the output jumps), and the offset gradient uses the bilinear slope of the cell
 * {@code [floor, ceil]}, which jumps at every integer coordinate (and at the clamp edges {@code 0},
 * {@code W-1}). An F32 backend computes the sample positions in float; where a position lies
 * within float rounding of such a point, F32 and F64 legitimately disagree by a whole sample. So
 * properties 1 and 2 only use cases where every sample is either computed exactly in float (all
 * quantities dyadic: integer corners, power-of-two scale and sizes, zero offset) or at least
 * {@link #MARGIN} away from every discontinuity that matters.
 */
final class RoiPoolGeometry {

    /** Distance from a discontinuity that float rounding of a position (|p| < 100) cannot cross. */
    static final double MARGIN = 1e-4;

    private RoiPoolGeometry() {
    }

    /** C's {@code round}: half away from zero, as the official kernel rounds RoI corners. */
    static double roundHalfAway(double v) {
        double t = (double) (long) v;
        if (Math.abs(v - t) >= 0.5) t += Math.signum(v);
        return t;
    }

    /**
     * The offset cells {@code (roi, class, partH, partW)}, flattened in the offset tensor's order of
     * {@code [R, numClasses, partSize, partSize]}, some of whose samples sit too close to a
     * discontinuity for an F32 backend. Without offset there is one class and zero translation.
     */
    static boolean[] unsafeCells(DeformPsRoiPoolSpec spec, int numClasses, int height, int width, float[] rois,
                                 int roiCount, float[] offset) {
        int p = spec.pooledSize(), part = spec.partSize(), spp = spec.samplePerPart();
        double scale = spec.spatialScale();
        boolean exactScale = (float) scale == scale;
        boolean[] unsafe = new boolean[roiCount * numClasses * part * part];
        for (int r = 0; r < roiCount; r++) {
            double x1 = roundHalfAway(rois[r * 5 + 1]), y1 = roundHalfAway(rois[r * 5 + 2]);
            double x2 = roundHalfAway(rois[r * 5 + 3]), y2 = roundHalfAway(rois[r * 5 + 4]);
            double startW = x1 * scale - 0.5, startH = y1 * scale - 0.5;
            double roiW = Math.max((x2 + 1) * scale - 0.5 - startW, 0.1);
            double roiH = Math.max((y2 + 1) * scale - 0.5 - startH, 0.1);
            double binW = roiW / p, binH = roiH / p, subW = binW / spp, subH = binH / spp;
            boolean exactRoi = exactScale && isFloat(startW) && isFloat(startH) && isFloat(roiW) && isFloat(roiH)
                    && isFloat(binW) && isFloat(binH) && isFloat(subW) && isFloat(subH);
            for (int cls = 0; cls < numClasses; cls++) {
                for (int ph = 0; ph < p; ph++) {
                    for (int pw = 0; pw < p; pw++) {
                        int partH = (int) Math.floor((double) ph / p * part);
                        int partW = (int) Math.floor((double) pw / p * part);
                        int cell = ((r * numClasses + cls) * part + partH) * part + partW;
                        double ox = 0, oy = 0;
                        if (offset != null) {
                            int base = (r * 2 * numClasses + 2 * cls) * part * part + partH * part + partW;
                            ox = offset[base];
                            oy = offset[base + part * part];
                        }
                        double wstart = pw * binW + startW + ox * spec.transStd() * roiW;
                        double hstart = ph * binH + startH + oy * spec.transStd() * roiH;
                        boolean exactBin = exactRoi && ox == 0 && oy == 0 && isFloat(pw * binW) && isFloat(ph * binH)
                                && isFloat(wstart) && isFloat(hstart);
                        for (int ih = 0; ih < spp; ih++) {
                            for (int iw = 0; iw < spp; iw++) {
                                double w = wstart + iw * subW, h = hstart + ih * subH;
                                if (exactBin && isFloat(iw * subW) && isFloat(ih * subH) && isFloat(w) && isFloat(h)) {
                                    continue;
                                }
                                double m = Math.min(Math.min(Math.abs(w + 0.5), Math.abs(w - (width - 0.5))),
                                        Math.min(Math.abs(h + 0.5), Math.abs(h - (height - 0.5))));
                                boolean taken = w >= -0.5 && w <= width - 0.5 && h >= -0.5 && h <= height - 0.5;
                                if (offset != null && taken) {
                                    m = Math.min(m, Math.min(toCellEdge(w, width), toCellEdge(h, height)));
                                }
                                if (m < MARGIN) unsafe[cell] = true;
                            }
                        }
                    }
                }
            }
        }
        return unsafe;
    }

    /** Distance to the nearest integer of {@code [0, size-1]}: cell edges and clamp edges of the slope. */
    private static double toCellEdge(double v, int size) {
        double k = Math.min(Math.max(Math.rint(v), 0), size - 1);
        return Math.abs(v - k);
    }

    private static boolean isFloat(double v) {
        return (double) (float) v == v;
    }
}
