package dcn4j.reference;

/**
 * A second, deliberately different writing of deformable (PS) RoI pooling, for tests only: the paper's
 * eq. 5-7 as a direct loop per bin, with sample positions written as {@code left + (j + s/S) * w/P +
 * gamma * offset * w}, border replication by index clamping, and integer division for the part and
 * score-map cells (equal to the kernel's floating-point order for sizes up to 10, the only ones used
 * with it). It shares no code with {@link ReferenceDeformPsRoiPool}.
 */
final class NaivePsRoiPool {

    private NaivePsRoiPool() {
    }

    /** Geometry of one RoI: left/top corner and size on the feature map. */
    record Box(int batch, double left, double top, double width, double height) {
    }

    static Box box(double[] rois, int r, double scale) {
        double x1 = cRound(rois[5 * r + 1]), y1 = cRound(rois[5 * r + 2]);
        double x2 = cRound(rois[5 * r + 3]), y2 = cRound(rois[5 * r + 4]);
        double left = x1 * scale - 0.5, top = y1 * scale - 0.5;
        double right = (x2 + 1) * scale - 0.5, bottom = (y2 + 1) * scale - 0.5;
        return new Box((int) rois[5 * r], left, top, Math.max(0.1, right - left), Math.max(0.1, bottom - top));
    }

    /** Round half away from zero, written with {@code ceil}/{@code floor} on each sign. */
    static double cRound(double v) {
        return v >= 0 ? Math.floor(v + 0.5) : Math.ceil(v - 0.5);
    }

    /** Sample coordinate {@code s} of bin {@code j} along one axis (before skip/clamp). */
    static double sample(double start, double size, int pooled, int samples, int j, int s, double shift) {
        return start + (j + (double) s / samples) * size / pooled + shift * size;
    }

    /**
     * Forward. {@code offset} may be {@code null}; {@code numClasses} offset classes share the output
     * channels in consecutive blocks.
     */
    static double[] forward(double scale, int outputDim, int group, int pooled, int part, int samples,
                            double transStd, int channels, int height, int width, double[] input, double[] rois,
                            int roiCount, double[] offset, int numClasses) {
        double[] out = new double[roiCount * outputDim * pooled * pooled];
        int perClass = outputDim / numClasses;
        for (int r = 0; r < roiCount; r++) {
            Box b = box(rois, r, scale);
            for (int c = 0; c < outputDim; c++) {
                for (int i = 0; i < pooled; i++) {
                    for (int j = 0; j < pooled; j++) {
                        double dx = 0, dy = 0;
                        if (offset != null) {
                            int cls = c / perClass;
                            int pi = i * part / pooled, pj = j * part / pooled;
                            dx = transStd * offset[((r * 2 * numClasses + 2 * cls) * part + pi) * part + pj];
                            dy = transStd * offset[((r * 2 * numClasses + 2 * cls + 1) * part + pi) * part + pj];
                        }
                        int channel = (c * group + i * group / pooled) * group + j * group / pooled;
                        int plane = (b.batch() * channels + channel) * height * width;
                        double sum = 0;
                        int n = 0;
                        for (int sy = 0; sy < samples; sy++) {
                            for (int sx = 0; sx < samples; sx++) {
                                double y = sample(b.top(), b.height(), pooled, samples, i, sy, dy);
                                double x = sample(b.left(), b.width(), pooled, samples, j, sx, dx);
                                if (x < -0.5 || y < -0.5 || x > width - 0.5 || y > height - 0.5) continue;
                                sum += lerp2(input, plane, height, width, Math.max(0, Math.min(y, height - 1)),
                                        Math.max(0, Math.min(x, width - 1)));
                                n++;
                            }
                        }
                        out[((r * outputDim + c) * pooled + i) * pooled + j] = n > 0 ? sum / n : 0;
                    }
                }
            }
        }
        return out;
    }

    /**
     * The smallest distance of any sample coordinate (before clamping) to a point where the pooling is
     * not smooth in the offsets: the skip edges {@code -0.5}, {@code L - 0.5}, and, inside them, the
     * integers (cell edges, and the clamps at 0 and {@code L - 1}).
     */
    static double clearance(double scale, int outputDim, int pooled, int part, int samples, double transStd,
                            int height, int width, double[] rois, int roiCount, double[] offset, int numClasses) {
        double min = Double.POSITIVE_INFINITY;
        int perClass = outputDim / numClasses;
        for (int r = 0; r < roiCount; r++) {
            Box b = box(rois, r, scale);
            for (int c = 0; c < outputDim; c++) {
                int cls = c / perClass;
                for (int i = 0; i < pooled; i++) {
                    for (int j = 0; j < pooled; j++) {
                        int pi = i * part / pooled, pj = j * part / pooled;
                        double dx = transStd * offset[((r * 2 * numClasses + 2 * cls) * part + pi) * part + pj];
                        double dy = transStd * offset[((r * 2 * numClasses + 2 * cls + 1) * part + pi) * part + pj];
                        for (int s = 0; s < samples; s++) {
                            min = Math.min(min, axisClearance(
                                    sample(b.left(), b.width(), pooled, samples, j, s, dx), width));
                            min = Math.min(min, axisClearance(
                                    sample(b.top(), b.height(), pooled, samples, i, s, dy), height));
                        }
                    }
                }
            }
        }
        return min;
    }

    private static double axisClearance(double v, int size) {
        double d = Math.min(Math.abs(v + 0.5), Math.abs(v - (size - 0.5)));
        if (v >= -0.5 && v <= size - 0.5) d = Math.min(d, Math.abs(v - Math.rint(v)));
        return d;
    }

    /** Bilinear read as two nested linear interpolations; the upper neighbour index is clamped. */
    private static double lerp2(double[] img, int plane, int height, int width, double y, double x) {
        int y0 = (int) Math.floor(y), x0 = (int) Math.floor(x);
        int y1 = Math.min(y0 + 1, height - 1), x1 = Math.min(x0 + 1, width - 1);
        double fy = y - y0, fx = x - x0;
        double top = img[plane + y0 * width + x0] + fx * (img[plane + y0 * width + x1] - img[plane + y0 * width + x0]);
        double bot = img[plane + y1 * width + x0] + fx * (img[plane + y1 * width + x1] - img[plane + y1 * width + x0]);
        return top + fy * (bot - top);
    }
}
