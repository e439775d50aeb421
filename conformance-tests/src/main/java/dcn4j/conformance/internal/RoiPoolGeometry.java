package dcn4j.conformance.internal;

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
public final class RoiPoolGeometry {

    /** Distance from a discontinuity that float rounding of a position ({@code |p| < 100}) cannot cross. */
    public static final double MARGIN = 1e-4;

    private RoiPoolGeometry() {
    }

    /** C's {@code round}: half away from zero, as the official kernel rounds RoI corners. */
    public static double roundHalfAway(double v) {
        double t = (double) (long) v;
        if (Math.abs(v - t) >= 0.5) t += Math.signum(v);
        return t;
    }

    /**
     * The offset cells {@code (roi, class, partH, partW)}, flattened in the offset tensor's order of
     * {@code [R, numClasses, partSize, partSize]}, some of whose samples sit too close to a
     * discontinuity for an F32 backend. Without offset there is one class and zero translation.
     */
    public static boolean[] unsafeCells(DeformPsRoiPoolSpec spec, int numClasses, int height, int width, float[] rois,
                                 int roiCount, float[] offset) {
        int p = spec.pooledSize(), part = spec.partSize(), spp = spec.samplePerPart();
        double scale = spec.spatialScale();
        boolean[] unsafe = new boolean[roiCount * numClasses * part * part];
        for (int r = 0; r < roiCount; r++) {
            Axis x = new Axis(scale, rois[r * 5 + 1], rois[r * 5 + 3], p, spp, width);
            Axis y = new Axis(scale, rois[r * 5 + 2], rois[r * 5 + 4], p, spp, height);
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
                        for (int ih = 0; ih < spp; ih++) {
                            for (int iw = 0; iw < spp; iw++) {
                                double w = x.position(pw, iw, ox * spec.transStd());
                                double h = y.position(ph, ih, oy * spec.transStd());
                                boolean exactW = x.exact(pw, iw, ox, w), exactH = y.exact(ph, ih, oy, h);
                                double skipW = exactW ? Double.POSITIVE_INFINITY : x.toSkipEdge(w);
                                double skipH = exactH ? Double.POSITIVE_INFINITY : y.toSkipEdge(h);
                                // Skipped for sure along one axis: the other axis cannot change that.
                                if ((x.outside(w) && skipW >= MARGIN) || (y.outside(h) && skipH >= MARGIN)) continue;
                                double m = Math.min(skipW, skipH);
                                if (offset != null) {
                                    if (!exactW) m = Math.min(m, x.toCellEdge(w));
                                    if (!exactH) m = Math.min(m, y.toCellEdge(h));
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

    /** One axis of a RoI, as the kernel computes it: start, size, bin and sub-bin steps. */
    private static final class Axis {
        final double scale, start, size, bin, sub;
        final int extent;
        final boolean exactScale;

        Axis(double scale, float c1, float c2, int pooled, int samples, int extent) {
            this.scale = scale;
            this.extent = extent;
            this.exactScale = isFloat(scale);
            double a = roundHalfAway(c1), b = roundHalfAway(c2);
            start = a * scale - 0.5;
            size = Math.max((b + 1) * scale - 0.5 - start, 0.1);
            bin = size / pooled;
            sub = bin / samples;
        }

        /** {@code pw*bin + start + trans*size + iw*sub}, in the kernel's order. */
        double position(int bin, int sample, double trans) {
            return bin * this.bin + start + trans * size + sample * sub;
        }

        /**
         * Whether float arithmetic computes {@code v} exactly: every term is a float and so is every
         * partial sum (a term multiplied by index 0 vanishes in any precision).
         */
        boolean exact(int binIndex, int sample, double offset, double v) {
            if (offset != 0 || !exactScale || !isFloat(start) || !isFloat(v)) return false;
            if (binIndex == 0 && sample == 0) return true;
            if (!isFloat(size) || !isFloat(bin) || !isFloat(sub)) return false;
            return isFloat(binIndex * bin) && isFloat(binIndex * bin + start) && isFloat(sample * sub);
        }

        boolean outside(double v) {
            return v < -0.5 || v > extent - 0.5;
        }

        double toSkipEdge(double v) {
            return Math.min(Math.abs(v + 0.5), Math.abs(v - (extent - 0.5)));
        }

        /** Distance to the nearest integer of {@code [0, extent-1]}: cell edges and clamp edges of the slope. */
        double toCellEdge(double v) {
            double k = Math.min(Math.max(Math.rint(v), 0), extent - 1);
            return Math.abs(v - k);
        }
    }

    private static boolean isFloat(double v) {
        return (double) (float) v == v;
    }
}
