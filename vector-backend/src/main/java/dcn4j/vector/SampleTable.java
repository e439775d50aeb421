package dcn4j.vector;

/**
 * Where each kernel point of each output pixel of a chunk samples (DESIGN.md "Semantics"; paper eq. 2
 * with the bilinear kernel of eq. 3-4): one entry per (pixel, offset group, kernel point), shared by
 * all channels of the offset group. Entry {@code e = (pixel*offsetGroups + og)*kh*kw + kpt} holds
 * <ul>
 *   <li>{@code base[e]}: the index in the padded NHWC image of the top-left corner
 *       {@code (floor py, floor px)} (corner {@code (y, x)} lives at {@code ((y+1)*(W+2) + x+1)*C}), or
 *       {@code -1} when no corner of its cell is in the image ({@code py < -1 || py >= H || px < -1 || px >= W});
 *       at {@code py = -1} the value is 0 but the right derivative is not, as in the reference;</li>
 *   <li>{@code weight[4e .. 4e+3]}: the bilinear weights of the corners (00, 01, 10, 11) times the mask;</li>
 *   <li>{@code frac[3e .. 3e+2]}: {@code ly = py - floor py}, {@code lx}, and the mask value (1 without
 *       mask), for the backward pass.</li>
 * </ul>
 * A corner outside the image lands in the zero border of the padded image, which is how the
 * reference's "a corner outside the image counts as 0" is honoured without branches.
 */
final class SampleTable {

    final int[] base;
    final float[] weight;
    final float[] frac;

    SampleTable(int[] base, float[] weight, float[] frac) {
        this.base = base;
        this.weight = weight;
        this.frac = frac;
    }

    /** Entries needed for {@code pixels} pixels. */
    static int entries(ConvGeometry g, int pixels) {
        return pixels * g.entriesPerPixel();
    }

    /**
     * Fills the entries of output pixels {@code p0 .. p0+count-1} of batch item {@code n}, stored from
     * local pixel {@code local0}. Coordinates are computed in float64 exactly as the reference does
     * ({@code py = y*sh - ph + i*dh + offset}), so the cell {@code floor(p)} is the same.
     */
    void fill(ConvGeometry g, float[] offset, float[] mask, int n, int p0, int count, int local0, boolean withFrac) {
        int kk = g.kernelSize, ogs = g.offsetGroups, pixels = g.pixels;
        int offBase = n * 2 * ogs * kk * pixels;
        int maskBase = n * ogs * kk * pixels;
        int h = g.height, w = g.width, c = g.channels, wp = g.paddedWidth;
        for (int q = 0; q < count; q++) {
            int p = p0 + q;
            int y = p / g.outWidth, x = p - y * g.outWidth;
            int e = (local0 + q) * ogs * kk;
            for (int og = 0; og < ogs; og++) {
                for (int i = 0; i < g.kh; i++) {
                    for (int j = 0; j < g.kw; j++, e++) {
                        int kpt = i * g.kw + j;
                        double py = y * g.strideH - g.padH + i * g.dilationH;
                        double px = x * g.strideW - g.padW + j * g.dilationW;
                        if (offset != null) {
                            int ch = 2 * (og * kk + kpt);
                            py += offset[offBase + ch * pixels + p];
                            px += offset[offBase + (ch + 1) * pixels + p];
                        }
                        double m = mask == null ? 1.0 : mask[maskBase + (og * kk + kpt) * pixels + p];
                        // The cell [floor p, floor p + 1] must have a corner in the image (reference Bilinear
                        // .cellTouchesImage): at p = -1 exactly the value is 0 (its corners on row/column -1
                        // are the zero border) but the right derivative is not.
                        if (!(py >= -1 && py < h && px >= -1 && px < w)) {
                            base[e] = -1;
                            weight[4 * e] = 0f;
                            weight[4 * e + 1] = 0f;
                            weight[4 * e + 2] = 0f;
                            weight[4 * e + 3] = 0f;
                            if (withFrac) {
                                frac[3 * e] = 0f;
                                frac[3 * e + 1] = 0f;
                                frac[3 * e + 2] = (float) m;
                            }
                            continue;
                        }
                        double fy = Math.floor(py), fx = Math.floor(px);
                        int y0 = (int) fy, x0 = (int) fx;
                        double ly = py - fy, lx = px - fx;
                        base[e] = ((y0 + 1) * wp + (x0 + 1)) * c;
                        weight[4 * e] = (float) ((1 - ly) * (1 - lx) * m);
                        weight[4 * e + 1] = (float) ((1 - ly) * lx * m);
                        weight[4 * e + 2] = (float) (ly * (1 - lx) * m);
                        weight[4 * e + 3] = (float) (ly * lx * m);
                        if (withFrac) {
                            frac[3 * e] = (float) ly;
                            frac[3 * e + 1] = (float) lx;
                            frac[3 * e + 2] = (float) m;
                        }
                    }
                }
            }
        }
    }
}
