package dcn4j.reference;

/**
 * Bilinear sampling with the border rule of the official DCNv1 operator ({@code Border.DCNV1};
 * DESIGN.md "Border rules"), written from its CUDA kernels (msracver/Deformable-ConvNets,
 * {@code rfcn/operator_cxx/nn/deformable_im2col.cuh}):
 * <ul>
 *   <li>value ({@code deformable_im2col_bilinear} behind the test {@code h_im >= 0 && w_im >= 0 &&
 *       h_im < height && w_im < width}): 0 unless {@code 0 <= py < H && 0 <= px < W}; else the blend of the
 *       cell {@code [floor(p), floor(p)+1]}, except that a coordinate with {@code floor(p) >= size-1} is moved
 *       to {@code size-1} (cell of height 0: the last row or column is read as it is, never blended with 0);</li>
 *   <li>input gradient ({@code deformable_col2im} with {@code get_gradient_weight}): the same weights on the
 *       same corners, i.e. the adjoint of the value;</li>
 *   <li>offset gradient ({@code deformable_col2im_coord} with {@code get_coordinate_weight}): 0 outside
 *       {@code [0, H) x [0, W)}; else the slopes of the (possibly moved) cell, which are 0 along a moved
 *       coordinate.</li>
 * </ul>
 * Everywhere the value is differentiable these are its derivatives (at an integer coordinate the right
 * derivative, as torchvision). The value jumps at {@code py = 0} (from 0 to row 0) and at {@code py = H}
 * (from row {@code H-1} to 0), same for columns; there the official gradient is the derivative of the piece
 * inside the image and ignores the jump: it is not the derivative of the forward (DESIGN.md).
 *
 * <p>Non-finite values (DESIGN.md "Non-finite values", same rule as {@link Bilinear}): a NaN coordinate
 * gives a NaN value and NaN slopes and sends no input gradient (the official kernel, whose tests a NaN
 * fails, would read 0; dcn4j propagates, as for torchvision's rule); a ±∞ coordinate is outside. Every
 * corner of the cell is multiplied by its weight, a zero weight included; a moved coordinate's cell has
 * one row (column), so there is no second corner to multiply (the CUDA kernel reads the last row twice,
 * once with weight 0, which turns an infinite pixel into NaN; equal for finite values). The input
 * gradient reaches only corners of non-zero weight, as the official {@code deformable_col2im}'s
 * {@code |dist| < 1} test.
 */
final class Dcnv1Bilinear {

    private Dcnv1Bilinear() {
    }

    /** Whether {@code (py, px)} reads nothing: the official test {@code 0 <= p < size} fails on an axis. */
    static boolean outside(double py, double px, int h, int w) {
        return py < 0 || py >= h || px < 0 || px >= w;
    }

    /** The low corner of the cell along an axis of {@code size} pixels: {@code floor(p)}, at most {@code size-1}. */
    private static int low(double p, int size) {
        return (int) Math.min(Math.floor(p), size - 1.0);
    }

    /** The fraction inside the cell: {@code p - floor(p)}, 0 once the coordinate was moved to {@code size-1}. */
    private static double fraction(double p, int size) {
        double f = Math.floor(p);
        return f >= size - 1 ? 0 : p - f;
    }

    /** The high corner: {@code low+1}, or -1 (none, reads 0) once the coordinate was moved to {@code size-1}. */
    private static int high(int low, int size) {
        return low + 1 < size ? low + 1 : -1;
    }

    /** Pixel {@code (y, x)} of the plane, 0 for a missing corner (-1). */
    private static double pixel(double[] img, int base, int w, int y, int x) {
        return y >= 0 && x >= 0 ? img[base + y * w + x] : 0;
    }

    private static boolean isNaN(double py, double px) {
        return Double.isNaN(py) || Double.isNaN(px);
    }

    static double value(double[] img, int base, int h, int w, double py, double px) {
        if (isNaN(py, px)) return Double.NaN;
        if (outside(py, px, h, w)) return 0;
        int y0 = low(py, h), x0 = low(px, w), y1 = high(y0, h), x1 = high(x0, w);
        double ly = fraction(py, h), lx = fraction(px, w);
        return (1 - ly) * (1 - lx) * pixel(img, base, w, y0, x0)
                + (1 - ly) * lx * pixel(img, base, w, y0, x1)
                + ly * (1 - lx) * pixel(img, base, w, y1, x0)
                + ly * lx * pixel(img, base, w, y1, x1);
    }

    /** {@code get_coordinate_weight(bp_dir = 0)}: 0 along a coordinate moved to the last row. */
    static double slopeY(double[] img, int base, int h, int w, double py, double px) {
        if (isNaN(py, px)) return Double.NaN;
        if (outside(py, px, h, w) || Math.floor(py) >= h - 1) return 0;
        int y0 = low(py, h), y1 = high(y0, h), x0 = low(px, w), x1 = high(x0, w);
        double lx = fraction(px, w);
        return (1 - lx) * (pixel(img, base, w, y1, x0) - pixel(img, base, w, y0, x0))
                + lx * (pixel(img, base, w, y1, x1) - pixel(img, base, w, y0, x1));
    }

    /** {@code get_coordinate_weight(bp_dir = 1)}: 0 along a coordinate moved to the last column. */
    static double slopeX(double[] img, int base, int h, int w, double py, double px) {
        if (isNaN(py, px)) return Double.NaN;
        if (outside(py, px, h, w) || Math.floor(px) >= w - 1) return 0;
        int y0 = low(py, h), y1 = high(y0, h), x0 = low(px, w), x1 = high(x0, w);
        double ly = fraction(py, h);
        return (1 - ly) * (pixel(img, base, w, y0, x1) - pixel(img, base, w, y0, x0))
                + ly * (pixel(img, base, w, y1, x1) - pixel(img, base, w, y1, x0));
    }

    /**
     * Adds {@code g} times the weights of {@link #value} to its corners: the adjoint (official col2im).
     * Only corners of non-zero weight receive anything (a NaN coordinate: none), so that a non-finite
     * {@code g} never reaches a corner the sample does not read (DESIGN.md "Non-finite values").
     */
    static void scatter(double[] grad, int base, int h, int w, double py, double px, double g) {
        if (isNaN(py, px) || outside(py, px, h, w)) return;
        int y0 = low(py, h), x0 = low(px, w), y1 = high(y0, h), x1 = high(x0, w);
        double ly = fraction(py, h), lx = fraction(px, w);
        grad[base + y0 * w + x0] += g * ((1 - ly) * (1 - lx));
        if (lx > 0) grad[base + y0 * w + x1] += g * ((1 - ly) * lx);
        if (ly > 0) grad[base + y1 * w + x0] += g * (ly * (1 - lx));
        if (ly > 0 && lx > 0) grad[base + y1 * w + x1] += g * (ly * lx);
    }
}
