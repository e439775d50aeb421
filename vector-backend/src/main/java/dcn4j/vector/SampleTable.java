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
 *   <li>{@code frac[5e .. 5e+4]}: {@code ly = py - floor py}, {@code lx}, the mask value (1 without mask)
 *       and whether the y and x slopes count in the offset gradient (1, or 0 along a coordinate that the
 *       {@link dcn4j.DeformConv2dSpec.Border#DCNV1} rule moved onto the last row or column).</li>
 * </ul>
 * Under {@code Border.DCNV1} (reference {@code Dcnv1Bilinear}) an entry reads only where
 * {@code 0 <= py < H && 0 <= px < W}, and a coordinate with {@code floor(p) >= size-1} is moved to
 * {@code size-1}: fraction 0, so its second corner (in the zero border) has weight 0.
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

    /** Floats of {@link #frac} per entry. */
    static final int FRAC = 5;

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
        int kk = g.kernelSize, ogs = g.offsetGroups, pixels = g.pixels, kh = g.kh, kw = g.kw;
        int offBase = n * 2 * ogs * kk * pixels;
        int maskBase = n * ogs * kk * pixels;
        int h = g.height, w = g.width, c = g.channels, wp = g.paddedWidth, dh = g.dilationH, dw = g.dilationW;
        int y = p0 / g.outWidth, x = p0 - y * g.outWidth;
        for (int q = 0; q < count; q++) {
            int p = p0 + q;
            int e = (local0 + q) * ogs * kk;
            int yBase = y * g.strideH - g.padTop, xBase = x * g.strideW - g.padLeft;
            for (int og = 0; og < ogs; og++) {
                int offAt = offBase + 2 * og * kk * pixels + p;
                int maskAt = maskBase + og * kk * pixels + p;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++, e++, offAt += 2 * pixels, maskAt += pixels) {
                        // py = y*sh - ph + i*dh + offset, in float64 as the reference.
                        double py = yBase + i * dh, px = xBase + j * dw;
                        if (offset != null) {
                            py += offset[offAt];
                            px += offset[offAt + pixels];
                        }
                        float m = mask == null ? 1f : mask[maskAt];
                        if (g.dcnv1) {
                            setDcnv1(g, e, py, px, m, withFrac);
                            continue;
                        }
                        // The cell [floor p, floor p + 1] must have a corner in the image (reference Bilinear
                        // .cellTouchesImage): at p = -1 exactly the value is 0 (its corners on row/column -1
                        // are the zero border) but the right derivative is not.
                        if (py >= -1 && py < h && px >= -1 && px < w) {
                            double fy = Math.floor(py), fx = Math.floor(px);
                            float ly = (float) (py - fy), lx = (float) (px - fx);
                            float hy = 1f - ly, hx = 1f - lx;
                            base[e] = (((int) fy + 1) * wp + ((int) fx + 1)) * c;
                            float hym = hy * m, lym = ly * m;
                            weight[4 * e] = hym * hx;
                            weight[4 * e + 1] = hym * lx;
                            weight[4 * e + 2] = lym * hx;
                            weight[4 * e + 3] = lym * lx;
                            if (withFrac) setFrac(e, ly, lx, m, true, true);
                        } else {
                            base[e] = -1;
                            weight[4 * e] = 0f;
                            weight[4 * e + 1] = 0f;
                            weight[4 * e + 2] = 0f;
                            weight[4 * e + 3] = 0f;
                            if (withFrac) setFrac(e, 0f, 0f, m, true, true);
                        }
                    }
                }
            }
            if (++x == g.outWidth) {
                x = 0;
                y++;
            }
        }
    }

    /** Entry {@code e} under {@code Border.DCNV1} (see the class comment). */
    private void setDcnv1(ConvGeometry g, int e, double py, double px, float m, boolean withFrac) {
        int h = g.height, w = g.width;
        if (py < 0 || py >= h || px < 0 || px >= w) {
            base[e] = -1;
            weight[4 * e] = 0f;
            weight[4 * e + 1] = 0f;
            weight[4 * e + 2] = 0f;
            weight[4 * e + 3] = 0f;
            if (withFrac) setFrac(e, 0f, 0f, m, true, true);
            return;
        }
        double fy = Math.floor(py), fx = Math.floor(px);
        boolean movedY = fy >= h - 1, movedX = fx >= w - 1;
        if (movedY) fy = h - 1;
        if (movedX) fx = w - 1;
        // A NaN coordinate is not outside: its fraction is NaN and the NaN propagates, as in the reference.
        float ly = movedY ? 0f : (float) (py - fy), lx = movedX ? 0f : (float) (px - fx);
        float hy = 1f - ly, hx = 1f - lx;
        base[e] = (((int) fy + 1) * g.paddedWidth + ((int) fx + 1)) * g.channels;
        float hym = hy * m, lym = ly * m;
        weight[4 * e] = hym * hx;
        weight[4 * e + 1] = hym * lx;
        weight[4 * e + 2] = lym * hx;
        weight[4 * e + 3] = lym * lx;
        if (withFrac) setFrac(e, ly, lx, m, !movedY, !movedX);
    }

    private void setFrac(int e, float ly, float lx, float m, boolean slopeY, boolean slopeX) {
        frac[FRAC * e] = ly;
        frac[FRAC * e + 1] = lx;
        frac[FRAC * e + 2] = m;
        frac[FRAC * e + 3] = slopeY ? 1f : 0f;
        frac[FRAC * e + 4] = slopeX ? 1f : 0f;
    }
}
