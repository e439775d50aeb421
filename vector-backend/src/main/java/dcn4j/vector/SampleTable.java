package dcn4j.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Where each kernel point of each output pixel of a chunk samples (DESIGN.md "Semantics"; paper eq. 2
 * with the bilinear kernel of eq. 3-4): one entry per (pixel, offset group, kernel point), shared by
 * all channels of the offset group. The entries of a kernel point are contiguous over the pixels
 * ({@link #entry}: {@code e = (og*kh*kw + kpt)*capacity + pixel}), and each quantity is a plane of
 * {@link #plane} values, so that {@link #fill} writes {@link #S} pixels with one vector store (DESIGN.md
 * "Sample table"). Entry {@code e} holds
 * <ul>
 *   <li>{@code base[e]}: the index in the padded NHWC image of the top-left corner
 *       {@code (floor py, floor px)} (corner {@code (y, x)} lives at {@code ((y+1)*(W+2) + x+1)*C}), or
 *       {@code -1} when no corner of its cell is in the image ({@code py < -1 || py >= H || px < -1 || px >= W});
 *       at {@code py = -1} the value is 0 but the right derivative is not, as in the reference;</li>
 *   <li>{@code weight[j*plane + e]}, {@code j = 0..3}: the bilinear weights of the corners (00, 01, 10, 11)
 *       times the mask;</li>
 *   <li>{@code frac[f*plane + e]}, {@code f = 0..6}: {@code ly = py - floor py}, {@code lx}, the mask value (1
 *       without mask), {@code hy = floor py + 1 - py} and {@code hx}, for the backward pass, then whether the y
 *       and x slopes count in the offset gradient (1, or 0 along a coordinate that the
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
    /** Pixels the table holds, the stride between the kernel points of {@link #entry}. */
    final int capacity;
    /** Entries of the table, {@code capacity * offsetGroups * kh * kw}: the size of one plane. */
    final int plane;
    /**
     * Whether the input holds finite values only. If not, samples without offset must read all four
     * corners (a zero-weight neighbour turns an infinite pixel into NaN, {@code 0 * inf}, as in the
     * reference), and samples on the line {@code p = -1} (value 0 by definition, yet a cell touching the
     * image) are {@link #unmodulated} entries, so that their zero weights never meet an infinite pixel.
     * It describes the image the table is filled for: callers set it per image ({@link #setInputFinite}),
     * from the padding that reads the image anyway.
     */
    boolean inputFinite;
    /** Row and column of the kernel's first point for each local pixel, {@code y*sh - ph} and {@code x*sw - pw}. */
    private final int[] pixelRow, pixelCol;

    /**
     * A table for {@code capacity} pixels of geometry {@code g} over {@code base} ({@link #entries} ints),
     * {@code weight} ({@code 4 *} that many floats) and {@code frac} ({@link #FRAC} {@code *} that many).
     */
    SampleTable(ConvGeometry g, int capacity, int[] base, float[] weight, float[] frac, boolean inputFinite) {
        this.capacity = capacity;
        this.plane = entries(g, capacity);
        if (base.length < plane || weight.length < 4L * plane || frac.length < (long) FRAC * plane) {
            throw new IllegalArgumentException("sample table: expected " + plane + " entries, got arrays of "
                    + base.length + ", " + weight.length + ", " + frac.length);
        }
        this.base = base;
        this.weight = weight;
        this.frac = frac;
        this.inputFinite = inputFinite;
        this.pixelRow = new int[capacity];
        this.pixelCol = new int[capacity];
    }

    /** Entry of local pixel {@code q}, offset group {@code og}, kernel point {@code kpt} (the next point: {@code + capacity}). */
    int entry(ConvGeometry g, int q, int og, int kpt) {
        return (og * g.kernelSize + kpt) * capacity + q;
    }

    /** Bilinear weight of corner {@code j} (00, 01, 10, 11) of entry {@code e}, times the mask. */
    float weight(int e, int j) {
        return weight[j * plane + e];
    }

    /** Quantity {@code f} of entry {@code e} (ly, lx, mask, hy, hx, slope-y flag, slope-x flag). */
    float frac(int e, int f) {
        return frac[f * plane + e];
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
        return !((row == 0 && frac(e, 0) == 0f) || (col == 0 && frac(e, 1) == 0f));
    }

    /** Whether every value of {@code v} is finite ({@code null}: yes). */
    static boolean allFinite(float[] v) {
        return v == null || allFinite(v, 0, v.length);
    }

    /** Whether {@code v[from .. to-1]} are all finite. */
    static boolean allFinite(float[] v, int from, int to) {
        int i = from;
        // |x| <= MAX_VALUE is false for infinities and NaN; one test per vector, then the tail.
        for (int end = from + VectorWidth.SPECIES.loopBound(to - from); i < end; i += VectorWidth.L) {
            if (!FloatVector.fromArray(VectorWidth.SPECIES, v, i).abs().compare(VectorOperators.LE, Float.MAX_VALUE)
                    .allTrue()) {
                return false;
            }
        }
        for (; i < to; i++) {
            if (!Float.isFinite(v[i])) return false;
        }
        return true;
    }

    /** Sets {@link #inputFinite} for the image the next {@link #fill} is for. */
    void setInputFinite(boolean inputFinite) {
        this.inputFinite = inputFinite;
    }

    /** Entries needed for {@code pixels} pixels. */
    static int entries(ConvGeometry g, int pixels) {
        return pixels * g.entriesPerPixel();
    }

    /** The backend's float species: a strip of the table is one float vector ({@link #fillStrip}). */
    private static final VectorSpecies<Float> FLOATS = VectorWidth.SPECIES;
    /** Pixels per strip. */
    static final int S = FLOATS.length();
    /** Int species of the same shape, for the corner index (the backend's only int vectors). */
    private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    /** {@code 1.5 * 2^23}: {@code (v + R) - R} rounds a float {@code v} to an integer (ties to even) for {@code |v| < 2^22}. */
    private static final float ROUNDER = 0x1.8p23f;
    /**
     * Largest image side and output coordinate for which {@link #fill} takes strips: every integer coordinate and
     * bound of the strips is then exact in float32 with room to spare, and so are the floor and {@code floor + 1} of
     * the offsets of the samples inside the image.
     */
    static final int STRIP_MAX_COORDINATE = 1 << 20;

    /**
     * Fills the entries of output pixels {@code p0 .. p0+count-1} of batch item {@code n}, stored from
     * local pixel {@code local0}. Every entry is the one {@link #setEntry} / {@link #setDcnv1} computes from the
     * float64 coordinate of the reference ({@code py = y*sh - ph + i*dh + offset}), so the cell {@code floor(p)} is
     * the same.
     *
     * <p>The common entries (finite values, torchvision border) are computed {@link #S} pixels at a time
     * ({@link #fillStrip}): a kernel point's offsets are contiguous over the pixels, and so are its entries.
     * Every other entry (DCNv1 border, non-finite values, offsets too small to add exactly, the last pixels) goes
     * through the scalar {@link #setEntry} / {@link #setDcnv1}, which are the definition; the strips give the same
     * bits (SampleTableTest).
     */
    void fill(ConvGeometry g, float[] offset, float[] mask, int n, int p0, int count, int local0, boolean withFrac) {
        int y = p0 / g.outWidth, x = p0 - y * g.outWidth;
        for (int q = local0; q < local0 + count; q++) {
            pixelRow[q] = y * g.strideH - g.padTop;
            pixelCol[q] = x * g.strideW - g.padLeft;
            if (++x == g.outWidth) {
                x = 0;
                y++;
            }
        }
        int kk = g.kernelSize, pixels = g.pixels;
        int offBase = n * 2 * g.offsetGroups * kk * pixels, maskBase = n * g.offsetGroups * kk * pixels;
        int strips = !g.dcnv1 && stripsExact(g) ? count / S * S : 0;
        float tiny = tinyOffset(g);
        for (int og = 0; og < g.offsetGroups; og++) {
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++) {
                    int k = (og * g.kh + i) * g.kw + j;
                    int offAt = offBase + 2 * k * pixels + p0, maskAt = maskBase + k * pixels + p0;
                    int e0 = k * capacity + local0;
                    int dy = i * g.dilationH, dx = j * g.dilationW;
                    for (int s = 0; s < strips; s += S) {
                        fillStrip(g, offset, offAt + s, mask, maskAt + s, dy, dx, local0 + s, e0 + s, withFrac);
                        long redo = lanesToRedo(g, offset, offAt + s, mask, maskAt + s, dy, dx, local0 + s, tiny);
                        if (redo != 0) redoLanes(g, redo, e0 + s, local0 + s, dy, dx, offset, offAt + s, mask, maskAt + s, withFrac);
                    }
                    for (int s = strips; s < count; s++) {
                        setOne(g, e0 + s, local0 + s, dy, dx, offset, offAt + s, mask, maskAt + s, withFrac);
                    }
                }
            }
        }
    }

    /** Whether every coordinate and bound of {@code g} is small enough for {@link #fillStrip} (see {@link #STRIP_MAX_COORDINATE}). */
    static boolean stripsExact(ConvGeometry g) {
        return maxCoordinate(g) < STRIP_MAX_COORDINATE;
    }

    /** A bound on {@code |n| + 1} for every integer coordinate {@code n = y*sh - ph + i*dh} and image side of {@code g}. */
    private static long maxCoordinate(ConvGeometry g) {
        long rows = Math.max(g.padTop, (long) (g.outHeight - 1) * g.strideH + (long) (g.kh - 1) * g.dilationH);
        long cols = Math.max(g.padLeft, (long) (g.outWidth - 1) * g.strideW + (long) (g.kw - 1) * g.dilationW);
        return Math.max(Math.max(rows, cols), Math.max(g.height, g.width)) + 2;
    }

    /**
     * Below this magnitude a non-zero offset {@code o} may not add exactly to an integer coordinate {@code n} in
     * float64 (the reference's {@code py = n + o} then rounds, and the strips' float32 algebra on {@code o} alone
     * would not be the same): with {@code |n| < 2^b}, {@code n + o} is exact when {@code |o| >= 2^(b-30)}, since the
     * sum then spans at most {@code b + 23 + 30 - b = 53} bits. Such lanes go through {@link #setEntry}.
     */
    static float tinyOffset(ConvGeometry g) {
        int b = 64 - Long.numberOfLeadingZeros(maxCoordinate(g));
        return Math.scalb(1f, b - 30);
    }

    /**
     * Entries {@code e .. e+S-1} (local pixels {@code q ..}, one kernel point at {@code (dy, dx)} from the pixels'
     * first, offsets at {@code offAt} and {@code offAt + pixels}, mask at {@code maskAt}), in float32 vectors of the
     * kernels' species. With {@code py = n + o} ({@code n} the integer coordinate, {@code o} the offset), exactly:
     * the sample is inside when {@code -1 - n <= o < H - n}; {@code floor py = n + floor o}; {@code ly = o - floor o}
     * and {@code hy = (floor o + 1) - o}, each one correctly rounded float32 operation on exact operands, hence the
     * same bits as the reference's float64 value rounded once ({@link #setEntry}); the weights are then the same
     * float32 products. {@code + 0f} turns the {@code ly} of {@code o = -0} into {@code +0}, as float64 gives. The
     * lanes this cannot take ({@link #lanesToRedo}) are then redone by {@link #setEntry}.
     */
    private void fillStrip(ConvGeometry g, float[] offset, int offAt, float[] mask, int maskAt, int dy, int dx,
                           int q, int e, boolean withFrac) {
        FloatVector ny = (FloatVector) IntVector.fromArray(INTS, pixelRow, q).add(dy).convert(VectorOperators.I2F, 0);
        FloatVector nx = (FloatVector) IntVector.fromArray(INTS, pixelCol, q).add(dx).convert(VectorOperators.I2F, 0);
        FloatVector zero = FloatVector.zero(FLOATS), one = FloatVector.broadcast(FLOATS, 1f);
        FloatVector oy = zero, ox = zero;
        if (offset != null) {
            oy = FloatVector.fromArray(FLOATS, offset, offAt);
            ox = FloatVector.fromArray(FLOATS, offset, offAt + g.pixels);
        }
        FloatVector m = mask == null ? one : FloatVector.fromArray(FLOATS, mask, maskAt);
        // -1 - n <= o < H - n; NaN offsets fail it and are redone below.
        FloatVector lowY = ny.neg().sub(1f), lowX = nx.neg().sub(1f);
        VectorMask<Float> inside = oy.compare(VectorOperators.GE, lowY)
                .and(oy.compare(VectorOperators.LT, ny.neg().add(g.height)))
                .and(ox.compare(VectorOperators.GE, lowX))
                .and(ox.compare(VectorOperators.LT, nx.neg().add(g.width)));
        FloatVector fy = floor(oy), fx = floor(ox);
        FloatVector ly = oy.sub(fy).add(0f), lx = ox.sub(fx).add(0f);
        FloatVector hy = fy.add(1f).sub(oy), hx = fx.add(1f).sub(ox);
        FloatVector hym = hy.mul(m), lym = ly.mul(m);
        int plane = this.plane;
        zero.blend(hym.mul(hx), inside).intoArray(weight, e);
        zero.blend(hym.mul(lx), inside).intoArray(weight, plane + e);
        zero.blend(lym.mul(hx), inside).intoArray(weight, 2 * plane + e);
        zero.blend(lym.mul(lx), inside).intoArray(weight, 3 * plane + e);
        // ((n_y + floor o_y + 1)*(W+2) + n_x + floor o_x + 1)*C: the integer sums are exact in float32 inside.
        IntVector cy = (IntVector) ny.add(fy).convert(VectorOperators.F2I, 0);
        IntVector cx = (IntVector) nx.add(fx).convert(VectorOperators.F2I, 0);
        IntVector b = cy.add(1).mul(g.paddedWidth).add(cx.add(1)).mul(g.channels);
        IntVector.broadcast(INTS, OUTSIDE).blend(b, inside.cast(INTS)).intoArray(base, e);
        if (withFrac) {
            zero.blend(ly, inside).intoArray(frac, e);
            zero.blend(lx, inside).intoArray(frac, plane + e);
            m.intoArray(frac, 2 * plane + e);
            one.blend(hy, inside).intoArray(frac, 3 * plane + e);
            one.blend(hx, inside).intoArray(frac, 4 * plane + e);
            one.intoArray(frac, 5 * plane + e);
            one.intoArray(frac, 6 * plane + e);
        }
    }

    /**
     * The lanes of the strip of {@link #fillStrip} (same arguments) that {@link #setEntry} must redo, bit {@code l}
     * for lane {@code l}: a NaN offset, a non-finite mask, a non-zero offset below {@code tiny} ({@link #tinyOffset}),
     * or, in a non-finite input, a coordinate of exactly -1. A method of its own, which loads its operands again:
     * inlined into {@code fillStrip}, it took C2 past its node budget and the vectors of the calls it then left out
     * of line were boxed (DESIGN.md "Vector boxing in some JVMs").
     */
    private long lanesToRedo(ConvGeometry g, float[] offset, int offAt, float[] mask, int maskAt, int dy, int dx, int q,
                             float tiny) {
        VectorMask<Float> redo = FLOATS.maskAll(false);
        if (mask != null) {
            FloatVector m = FloatVector.fromArray(FLOATS, mask, maskAt);
            redo = m.abs().compare(VectorOperators.LE, Float.MAX_VALUE).not();
        }
        if (offset != null) {
            FloatVector oy = FloatVector.fromArray(FLOATS, offset, offAt);
            FloatVector ox = FloatVector.fromArray(FLOATS, offset, offAt + g.pixels);
            FloatVector ay = oy.abs(), ax = ox.abs();
            // A NaN offset fails every comparison, hence its own test.
            redo = redo.or(oy.test(VectorOperators.IS_NAN)).or(ox.test(VectorOperators.IS_NAN))
                    .or(ay.compare(VectorOperators.LT, tiny).and(ay.compare(VectorOperators.GT, 0f)))
                    .or(ax.compare(VectorOperators.LT, tiny).and(ax.compare(VectorOperators.GT, 0f)));
            if (!inputFinite) {
                FloatVector ny = (FloatVector) IntVector.fromArray(INTS, pixelRow, q).add(dy).convert(VectorOperators.I2F, 0);
                FloatVector nx = (FloatVector) IntVector.fromArray(INTS, pixelCol, q).add(dx).convert(VectorOperators.I2F, 0);
                redo = redo.or(oy.compare(VectorOperators.EQ, ny.neg().sub(1f)))
                        .or(ox.compare(VectorOperators.EQ, nx.neg().sub(1f)));
            }
        } else if (!inputFinite) {
            // Without offsets the coordinate is the integer n: -1 where n = -1.
            IntVector ny = IntVector.fromArray(INTS, pixelRow, q).add(dy);
            IntVector nx = IntVector.fromArray(INTS, pixelCol, q).add(dx);
            redo = redo.or(ny.compare(VectorOperators.EQ, -1).or(nx.compare(VectorOperators.EQ, -1)).cast(FLOATS));
        }
        return redo.toLong();
    }

    /**
     * {@link #setOne} for the lanes of a strip set in {@code lanes} (bit {@code l} for lane {@code l}; strips are
     * torchvision-border only, so that is {@link #setEntry}). Its own
     * method: the scalar side of a vector kernel stays out of it (DESIGN.md "Vector boxing in some JVMs").
     */
    private void redoLanes(ConvGeometry g, long lanes, int e, int q, int dy, int dx, float[] offset, int offAt,
                           float[] mask, int maskAt, boolean withFrac) {
        for (int l = 0; l < S; l++) {
            if ((lanes >>> l & 1) != 0) setOne(g, e + l, q + l, dy, dx, offset, offAt + l, mask, maskAt + l, withFrac);
        }
    }

    /**
     * Entry {@code e} of local pixel {@code q} and the kernel point at {@code (dy, dx)}, its offsets at {@code offAt}
     * and {@code offAt + pixels} and its mask at {@code maskAt}, through the scalar definition: the coordinate
     * {@code py = y*sh - ph + i*dh + offset} in float64 as the reference, then {@link #setDcnv1} or {@link #setEntry}.
     */
    private void setOne(ConvGeometry g, int e, int q, int dy, int dx, float[] offset, int offAt, float[] mask,
                        int maskAt, boolean withFrac) {
        double py = (double) pixelRow[q] + dy, px = (double) pixelCol[q] + dx;
        if (offset != null) {
            py += offset[offAt];
            px += offset[offAt + g.pixels];
        }
        float m = mask == null ? 1f : mask[maskAt];
        if (g.dcnv1) setDcnv1(g, e, py, px, m, withFrac);
        else setEntry(g, e, py, px, m, withFrac);
    }

    /**
     * {@code floor} of the lanes with {@code |v| < 2^22} (the others are outside the image and never read): round to
     * an integer, then step down where that went up.
     */
    private static FloatVector floor(FloatVector v) {
        FloatVector r = v.add(ROUNDER).sub(ROUNDER);
        return r.sub(1f, r.compare(VectorOperators.GT, v));
    }

    /**
     * Entry {@code e} at {@code (py, px)} with mask value {@code m} under the torchvision border, one at a time:
     * the definition that {@link #fillStrip} follows, and the path of the entries it cannot take (non-finite
     * values, DESIGN.md "Non-finite values").
     */
    void setEntry(ConvGeometry g, int e, double py, double px, float m, boolean withFrac) {
        boolean finiteMask = Float.isFinite(m);
        // The cell [floor p, floor p + 1] must have a corner in the image (reference Bilinear
        // .cellTouchesImage): at p = -1 exactly the value is 0 (its corners on row/column -1
        // are the zero border) but the right derivative is not. A NaN coordinate fails the
        // test and is told apart below.
        if (py >= -1 && py < g.height && px >= -1 && px < g.width) {
            double fy = Math.floor(py), fx = Math.floor(px);
            float ly = (float) (py - fy), lx = (float) (px - fx);
            float hy = (float) (fy + 1 - py), hx = (float) (fx + 1 - px);
            int b = (((int) fy + 1) * g.paddedWidth + ((int) fx + 1)) * g.channels;
            boolean special = !finiteMask || (!inputFinite && (py == -1 || px == -1));
            float wm = special ? 1f : m;
            base[e] = special ? -3 - b : b;
            float hym = hy * wm, lym = ly * wm;
            setWeights(e, hym * hx, hym * lx, lym * hx, lym * lx);
            if (withFrac || special) setFrac(e, ly, lx, m, hy, hx, true, true);
        } else {
            boolean nan = Double.isNaN(py) || Double.isNaN(px);
            base[e] = nan || !finiteMask ? NAN_SAMPLE : OUTSIDE;
            setWeights(e, 0f, 0f, 0f, 0f);
            if (withFrac || base[e] == NAN_SAMPLE) setFrac(e, nan ? Float.NaN : 0f, 0f, m, 1f, 1f, true, true);
        }
    }

    /**
     * Entry {@code e} under {@code Border.DCNV1} (see the class comment), with the non-finite rule of the
     * torchvision entries (DESIGN.md "Non-finite values"): a NaN coordinate is a {@link #NAN_SAMPLE}; a
     * non-finite mask makes an outside sample a {@link #NAN_SAMPLE} and an inside one {@link #unmodulated}.
     */
    void setDcnv1(ConvGeometry g, int e, double py, double px, float m, boolean withFrac) {
        boolean finiteMask = Float.isFinite(m);
        int h = g.height, w = g.width;
        boolean nan = Double.isNaN(py) || Double.isNaN(px);
        if (nan || py < 0 || py >= h || px < 0 || px >= w) {
            base[e] = nan || !finiteMask ? NAN_SAMPLE : OUTSIDE;
            setWeights(e, 0f, 0f, 0f, 0f);
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
        setWeights(e, hym * hx, hym * lx, lym * hx, lym * lx);
        if (withFrac || !finiteMask) setFrac(e, ly, lx, m, hy, hx, !movedY, !movedX);
    }

    private void setWeights(int e, float w00, float w01, float w10, float w11) {
        weight[e] = w00;
        weight[plane + e] = w01;
        weight[2 * plane + e] = w10;
        weight[3 * plane + e] = w11;
    }

    private void setFrac(int e, float ly, float lx, float m, float hy, float hx, boolean slopeY, boolean slopeX) {
        frac[e] = ly;
        frac[plane + e] = lx;
        frac[2 * plane + e] = m;
        frac[3 * plane + e] = hy;
        frac[4 * plane + e] = hx;
        frac[5 * plane + e] = slopeY ? 1f : 0f;
        frac[6 * plane + e] = slopeX ? 1f : 0f;
    }
}
