package dcn4j.reference;

/**
 * Bilinear sampling of one image plane as deformable convolution defines it (DESIGN.md
 * "Semantics", paper eq. 3-4): zero when {@code py <= -1 || py >= H || px <= -1 || px >= W},
 * else the blend of the four corners of the cell {@code [floor(p), floor(p)+1]}, a corner outside
 * the image counting as 0. Slopes are the exact derivative on that cell, i.e. the right derivative
 * at integer coordinates (as torchvision's {@code get_coordinate_weight}). Note that the zero test
 * of the value is implied by the zero corners, and that the right derivative at {@code py = -1}
 * is not zero: the row {@code 0} enters the cell {@code [-1, 0]} there. Slopes are therefore only
 * cut where no corner of the cell is inside the image ({@link #cellTouchesImage}).
 */
final class Bilinear {

    private Bilinear() {
    }

    /** Whether {@code (py, px)} reads anything from an {@code h x w} plane. */
    static boolean inside(double py, double px, int h, int w) {
        return py > -1 && py < h && px > -1 && px < w;
    }

    /** Whether the cell {@code [floor(p), floor(p)+1]} has a corner inside the image (so a non-zero slope). */
    static boolean cellTouchesImage(double py, double px, int h, int w) {
        return py >= -1 && py < h && px >= -1 && px < w;
    }

    /** Whether a coordinate is NaN: its bilinear weights are NaN (DESIGN.md "Non-finite values"). */
    static boolean isNaN(double py, double px) {
        return Double.isNaN(py) || Double.isNaN(px);
    }

    /**
     * The sampled value at {@code (py, px)} of the plane starting at {@code base} in {@code img}. A NaN
     * coordinate gives NaN (its weights are NaN), a ±∞ one 0 (outside); every corner is multiplied by
     * its weight, a zero weight included, so an infinite neighbour gives NaN as in torchvision.
     */
    static double value(double[] img, int base, int h, int w, double py, double px) {
        if (isNaN(py, px)) return Double.NaN;
        if (!inside(py, px, h, w)) return 0;
        int y0 = (int) Math.floor(py), x0 = (int) Math.floor(px);
        double ly = py - y0, lx = px - x0;
        return (1 - ly) * (1 - lx) * pixel(img, base, h, w, y0, x0)
                + (1 - ly) * lx * pixel(img, base, h, w, y0, x0 + 1)
                + ly * (1 - lx) * pixel(img, base, h, w, y0 + 1, x0)
                + ly * lx * pixel(img, base, h, w, y0 + 1, x0 + 1);
    }

    /** {@code d value / d py} on the cell {@code [floor(py), floor(py)+1]}. */
    static double slopeY(double[] img, int base, int h, int w, double py, double px) {
        if (isNaN(py, px)) return Double.NaN;
        if (!cellTouchesImage(py, px, h, w)) return 0;
        int y0 = (int) Math.floor(py), x0 = (int) Math.floor(px);
        double lx = px - x0;
        return (1 - lx) * (pixel(img, base, h, w, y0 + 1, x0) - pixel(img, base, h, w, y0, x0))
                + lx * (pixel(img, base, h, w, y0 + 1, x0 + 1) - pixel(img, base, h, w, y0, x0 + 1));
    }

    /** {@code d value / d px} on the cell {@code [floor(px), floor(px)+1]}. */
    static double slopeX(double[] img, int base, int h, int w, double py, double px) {
        if (isNaN(py, px)) return Double.NaN;
        if (!cellTouchesImage(py, px, h, w)) return 0;
        int y0 = (int) Math.floor(py), x0 = (int) Math.floor(px);
        double ly = py - y0;
        return (1 - ly) * (pixel(img, base, h, w, y0, x0 + 1) - pixel(img, base, h, w, y0, x0))
                + ly * (pixel(img, base, h, w, y0 + 1, x0 + 1) - pixel(img, base, h, w, y0 + 1, x0));
    }

    /**
     * Adds {@code g} times the bilinear weights of {@code (py, px)} to the plane at {@code base} of
     * {@code grad}: the adjoint of {@link #value} with respect to the image. Only corners of non-zero
     * weight receive anything (a NaN coordinate: none), as torchvision's {@code deformable_col2im}:
     * a non-finite {@code g} never reaches a corner the sample does not read (DESIGN.md "Non-finite values").
     */
    static void scatter(double[] grad, int base, int h, int w, double py, double px, double g) {
        if (!inside(py, px, h, w)) return;
        int y0 = (int) Math.floor(py), x0 = (int) Math.floor(px);
        double ly = py - y0, lx = px - x0;
        add(grad, base, h, w, y0, x0, g * ((1 - ly) * (1 - lx)));
        if (lx > 0) add(grad, base, h, w, y0, x0 + 1, g * ((1 - ly) * lx));
        if (ly > 0) add(grad, base, h, w, y0 + 1, x0, g * (ly * (1 - lx)));
        if (ly > 0 && lx > 0) add(grad, base, h, w, y0 + 1, x0 + 1, g * (ly * lx));
    }

    private static double pixel(double[] img, int base, int h, int w, int y, int x) {
        return y >= 0 && y < h && x >= 0 && x < w ? img[base + y * w + x] : 0;
    }

    private static void add(double[] grad, int base, int h, int w, int y, int x, double v) {
        if (y >= 0 && y < h && x >= 0 && x < w) grad[base + y * w + x] += v;
    }
}
