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
 *   <li>{@code frac[FRAC*e .. FRAC*e+6]}: {@code ly = py - floor py}, {@code lx}, the mask value (1 without
 *       mask), {@code hy = floor py + 1 - py} and {@code hx}, for the backward pass, then whether the y and x
 *       slopes count in the offset gradient (1, or 0 along a coordinate that the
 *       {@link dcn4j.DeformConv2dSpec.Border#DCNV1} rule moved onto the last row or column). {@code ly} and
 *       {@code hy} are each rounded once from float64: {@code 1f - ly} would lose the relative precision of a
 *       weight near 0 (a sample within 1e-6 of a cell edge).</li>
 * </ul>
 * Under {@code Border.DCNV1} (reference {@code Dcnv1Bilinear}) an entry reads only where
 * {@code 0 <= py < H && 0 <= px < W}, and a coordinate with {@code floor(p) >= size-1} is moved to
 * {@code size-1}: fraction 0, so its second corner (in the zero border) has weight 0.
 * A corner outside the image lands in the zero border of the padded image, which is how the
 * reference's "a corner outside the image counts as 0" is honoured without branches.
 *
 * <p>Non-finite values (DESIGN.md "Non-finite values") take two more kinds of entry, rare enough to be
 * handled one channel at a time: {@link #NAN_SAMPLE} (a NaN coordinate, or a non-finite mask on a
 * sample outside the image: the value is NaN; {@code frac} holds {@code (NaN or 0, 0, mask)}) and
 * {@link #unmodulated} entries (a non-finite mask on a sample whose cell touches the image: the mask
 * must multiply the blended value, not the corner weights, or a zero-weight corner would give
 * {@code 0 * inf = NaN} where the reference has {@code ±inf}; and see {@link #inputFinite}); their
 * weights are the bare bilinear weights, {@code frac} is filled and their base is {@code -3 - base}.
 */
final class SampleTable {

    /** Floats per entry in {@code frac}: ly, lx, mask, hy, hx, slope-y flag, slope-x flag. */
    static final int FRAC = 7;

    /** {@code base} of a sample that reads nothing (value 0, no gradient to the image). */
    static final int OUTSIDE = -1;
    /** {@code base} of a sample whose value is NaN: NaN coordinate, or non-finite mask outside the image. */
    static final int NAN_SAMPLE = -2;

    final int[] base;
    final float[] weight;
    final float[] frac;
    /**
     * Whether the input holds finite values only. If not, samples without offset must read all four
     * corners (a zero-weight neighbour turns an infinite pixel into NaN, {@code 0 * inf}, as in the
     * reference), and samples on the line {@code p = -1} (value 0 by definition, yet a cell touching the
     * image) are {@link #unmodulated} entries, so that their zero weights never meet an infinite pixel.
     */
    final boolean inputFinite;

    SampleTable(int[] base, float[] weight, float[] frac, boolean inputFinite) {
        this.base = base;
        this.weight = weight;
        this.frac = frac;
        this.inputFinite = inputFinite;
    }

    /** Whether entry base {@code b} is a sample with a non-finite mask that reads the image. */
    static boolean unmodulated(int b) {
        return b <= -3;
    }

    /** The padded-image index of the top-left corner of an {@link #unmodulated} entry. */
    static int unmodulatedBase(int b) {
        return -3 - b;
    }

    /**
     * Whether {@link #unmodulated} entry {@code e} has a value read from the image: false on the lines
     * {@code py = -1} or {@code px = -1} (reference {@code Bilinear.inside}), where the cell's top or left
     * corners are the zero border and the fraction is 0.
     */
    boolean readsValue(ConvGeometry g, int e) {
        int position = unmodulatedBase(base[e]) / g.channels;
        int row = position / g.paddedWidth, col = position - row * g.paddedWidth;
        return !((row == 0 && frac[FRAC * e] == 0f) || (col == 0 && frac[FRAC * e + 1] == 0f));
    }

    /** Whether every value of {@code v} is finite ({@code null}: yes). */
    static boolean allFinite(float[] v) {
        if (v == null) return true;
        for (float x : v) {
            if (!Float.isFinite(x)) return false;
        }
        return true;
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
                        boolean finiteMask = Float.isFinite(m);
                        if (g.dcnv1) {
                            setDcnv1(g, e, py, px, m, finiteMask, withFrac);
                            continue;
                        }
                        // The cell [floor p, floor p + 1] must have a corner in the image (reference Bilinear
                        // .cellTouchesImage): at p = -1 exactly the value is 0 (its corners on row/column -1
                        // are the zero border) but the right derivative is not. A NaN coordinate fails the
                        // test and is told apart below.
                        if (py >= -1 && py < h && px >= -1 && px < w) {
                            double fy = Math.floor(py), fx = Math.floor(px);
                            float ly = (float) (py - fy), lx = (float) (px - fx);
                            float hy = (float) (fy + 1 - py), hx = (float) (fx + 1 - px);
                            int b = (((int) fy + 1) * wp + ((int) fx + 1)) * c;
                            boolean special = !finiteMask || (!inputFinite && (py == -1 || px == -1));
                            float wm = special ? 1f : m;
                            base[e] = special ? -3 - b : b;
                            float hym = hy * wm, lym = ly * wm;
                            weight[4 * e] = hym * hx;
                            weight[4 * e + 1] = hym * lx;
                            weight[4 * e + 2] = lym * hx;
                            weight[4 * e + 3] = lym * lx;
                            if (withFrac || special) setFrac(e, ly, lx, m, hy, hx, true, true);
                        } else {
                            boolean nan = Double.isNaN(py) || Double.isNaN(px);
                            base[e] = nan || !finiteMask ? NAN_SAMPLE : OUTSIDE;
                            weight[4 * e] = 0f;
                            weight[4 * e + 1] = 0f;
                            weight[4 * e + 2] = 0f;
                            weight[4 * e + 3] = 0f;
                            if (withFrac || base[e] == NAN_SAMPLE) setFrac(e, nan ? Float.NaN : 0f, 0f, m, 1f, 1f, true, true);
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

    /**
     * Entry {@code e} under {@code Border.DCNV1} (see the class comment), with the non-finite rule of the
     * torchvision entries (DESIGN.md "Non-finite values"): a NaN coordinate is a {@link #NAN_SAMPLE}; a
     * non-finite mask makes an outside sample a {@link #NAN_SAMPLE} and an inside one {@link #unmodulated}.
     */
    private void setDcnv1(ConvGeometry g, int e, double py, double px, float m, boolean finiteMask, boolean withFrac) {
        int h = g.height, w = g.width;
        boolean nan = Double.isNaN(py) || Double.isNaN(px);
        if (nan || py < 0 || py >= h || px < 0 || px >= w) {
            base[e] = nan || !finiteMask ? NAN_SAMPLE : OUTSIDE;
            weight[4 * e] = 0f;
            weight[4 * e + 1] = 0f;
            weight[4 * e + 2] = 0f;
            weight[4 * e + 3] = 0f;
            if (withFrac || base[e] == NAN_SAMPLE) setFrac(e, nan ? Float.NaN : 0f, 0f, m, 1f, 1f, true, true);
            return;
        }
        double fy = Math.floor(py), fx = Math.floor(px);
        boolean movedY = fy >= h - 1, movedX = fx >= w - 1;
        if (movedY) fy = h - 1;
        if (movedX) fx = w - 1;
        // A moved coordinate has fraction 0: its second corner, in the zero border, weighs 0 (and reads 0).
        float ly = movedY ? 0f : (float) (py - fy), lx = movedX ? 0f : (float) (px - fx);
        float hy = movedY ? 1f : (float) (fy + 1 - py), hx = movedX ? 1f : (float) (fx + 1 - px);
        int b = (((int) fy + 1) * g.paddedWidth + ((int) fx + 1)) * g.channels;
        float wm = finiteMask ? m : 1f;
        base[e] = finiteMask ? b : -3 - b;
        float hym = hy * wm, lym = ly * wm;
        weight[4 * e] = hym * hx;
        weight[4 * e + 1] = hym * lx;
        weight[4 * e + 2] = lym * hx;
        weight[4 * e + 3] = lym * lx;
        if (withFrac || !finiteMask) setFrac(e, ly, lx, m, hy, hx, !movedY, !movedX);
    }

    private void setFrac(int e, float ly, float lx, float m, float hy, float hx, boolean slopeY, boolean slopeX) {
        int f = FRAC * e;
        frac[f] = ly;
        frac[f + 1] = lx;
        frac[f + 2] = m;
        frac[f + 3] = hy;
        frac[f + 4] = hx;
        frac[f + 5] = slopeY ? 1f : 0f;
        frac[f + 6] = slopeX ? 1f : 0f;
    }
}
