package dcn4j.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
    private final double[] pixelRow, pixelCol;

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
        this.pixelRow = new double[capacity];
        this.pixelCol = new double[capacity];
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

    /** Lanes of the float64 coordinate vectors of {@link #fillStrip}: as many as the float species has bits for. */
    static final VectorSpecies<Double> DOUBLES =
            VectorSpecies.of(double.class, VectorShape.forBitSize(Math.max(128, VectorWidth.SPECIES.vectorBitSize())));
    /** Pixels per strip. */
    static final int S = DOUBLES.length();
    /**
     * Int species of {@link #S} lanes, half the bits of {@link #DOUBLES} (the backend's only int vectors). There is
     * deliberately no float species of {@code S} lanes: the strips round to float32 lane by lane (DESIGN.md "Vector
     * boxing in some JVMs").
     */
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, VectorShape.forBitSize(32 * S));
    /**
     * Whether {@link #fill} takes strips: C2 compiles the float64 to int32 conversion of the corner index to a
     * vector of {@code S} ints only from 128 bits up ({@code S >= 4}); at a 128-bit width (2 float64 lanes, the
     * 64-bit int vectors falling back to Java code, 100x slower) every entry goes through {@link #setEntry}.
     */
    static final boolean STRIPS = S >= 4;
    /** {@code 1.5 * 2^52}: {@code (v + R) - R} rounds {@code v} to an integer (ties to even) for {@code |v| < 2^51}. */
    private static final double ROUNDER = 0x1.8p52;

    /**
     * Fills the entries of output pixels {@code p0 .. p0+count-1} of batch item {@code n}, stored from
     * local pixel {@code local0}. Coordinates are computed in float64 exactly as the reference does
     * ({@code py = y*sh - ph + i*dh + offset}), so the cell {@code floor(p)} is the same.
     *
     * <p>The common entries (finite values, torchvision border) are computed {@link #S} pixels at a time
     * ({@link #fillStrip}): a kernel point's offsets are contiguous over the pixels, and so are its entries.
     * Every other entry (DCNv1 border, non-finite values, the last pixels) goes through the scalar
     * {@link #setEntry} / {@link #setDcnv1}, which are the definition; the strips give the same bits
     * (SampleTableTest).
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
        int strips = STRIPS && !g.dcnv1 ? count / S * S : 0;
        // float64 lanes a strip hands over to its float32 side (offsets, then fractions).
        double[] lanes = strips > 0 ? new double[4 * S] : null;
        for (int og = 0; og < g.offsetGroups; og++) {
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++) {
                    int k = (og * g.kh + i) * g.kw + j;
                    int offAt = offBase + 2 * k * pixels + p0, maskAt = maskBase + k * pixels + p0;
                    int e0 = k * capacity + local0;
                    double dy = i * g.dilationH, dx = j * g.dilationW;
                    for (int s = 0; s < strips; s += S) {
                        fillStrip(g, offset, offAt + s, mask, maskAt + s, dy, dx, local0 + s, e0 + s, withFrac, lanes);
                    }
                    for (int s = strips; s < count; s++) {
                        int q = local0 + s;
                        // py = y*sh - ph + i*dh + offset, in float64 as the reference.
                        double py = pixelRow[q] + dy, px = pixelCol[q] + dx;
                        if (offset != null) {
                            py += offset[offAt + s];
                            px += offset[offAt + pixels + s];
                        }
                        float m = mask == null ? 1f : mask[maskAt + s];
                        if (g.dcnv1) setDcnv1(g, e0 + s, py, px, m, withFrac);
                        else setEntry(g, e0 + s, py, px, m, withFrac);
                    }
                }
            }
        }
    }

    /**
     * Entries {@code e .. e+S-1} (local pixels {@code q ..}, one kernel point, offsets at {@code offAt} and
     * {@code offAt + pixels}, mask at {@code maskAt}): the coordinates, the inside test, the cell (a float64
     * floor, paper eq. 3-4) and the fractions in float64 vectors; then, lane by lane, the fractions rounded
     * once to float32 and the corner weights times the mask in float32, each as {@link #setEntry} computes it.
     * Lanes with a non-finite value are then redone by {@link #setEntry}. The float32 side is scalar on
     * purpose: float vectors of {@code S} lanes are a second float vector class next to the kernels'
     * ({@link VectorWidth#SPECIES}); their stores polluted the type profile of {@code FloatVector.intoArray},
     * and C2 then boxed kernels' vectors in most JVMs at 256 bits (DESIGN.md "Vector boxing in some JVMs").
     * {@code lanes} is scratch of {@code 4 S}.
     */
    private void fillStrip(ConvGeometry g, float[] offset, int offAt, float[] mask, int maskAt, double dy, double dx,
                           int q, int e, boolean withFrac, double[] lanes) {
        DoubleVector py = DoubleVector.fromArray(DOUBLES, pixelRow, q).add(dy);
        DoubleVector px = DoubleVector.fromArray(DOUBLES, pixelCol, q).add(dx);
        if (offset != null) {
            for (int l = 0; l < S; l++) {
                lanes[l] = offset[offAt + l];
                lanes[S + l] = offset[offAt + g.pixels + l];
            }
            py = py.add(DoubleVector.fromArray(DOUBLES, lanes, 0));
            px = px.add(DoubleVector.fromArray(DOUBLES, lanes, S));
        }
        // NaN coordinates fail this test; they are among the lanes redone below.
        VectorMask<Double> inside = py.compare(VectorOperators.GE, -1).and(py.compare(VectorOperators.LT, g.height))
                .and(px.compare(VectorOperators.GE, -1)).and(px.compare(VectorOperators.LT, g.width));
        DoubleVector fy = floor(py), fx = floor(px);
        // Outside: weights 0 and fractions (0, 0), (1, 1), as setEntry stores them.
        DoubleVector zero = DoubleVector.zero(DOUBLES), one = DoubleVector.broadcast(DOUBLES, 1);
        zero.blend(py.sub(fy), inside).intoArray(lanes, 0);
        zero.blend(px.sub(fx), inside).intoArray(lanes, S);
        one.blend(fy.add(1).sub(py), inside).intoArray(lanes, 2 * S);
        one.blend(fx.add(1).sub(px), inside).intoArray(lanes, 3 * S);
        // ((floor py + 1)*(W+2) + floor px + 1)*C, exact in float64; -1 outside.
        DoubleVector b = fy.add(1).mul(g.paddedWidth).add(fx.add(1)).mul(g.channels);
        ((IntVector) DoubleVector.broadcast(DOUBLES, OUTSIDE).blend(b, inside)
                .convertShape(VectorOperators.D2I, INTS, 0)).intoArray(base, e);
        long redo = py.test(VectorOperators.IS_NAN).or(px.test(VectorOperators.IS_NAN)).toLong();
        if (!inputFinite) redo |= py.compare(VectorOperators.EQ, -1).or(px.compare(VectorOperators.EQ, -1)).toLong();
        redo |= storeLanes(inside.toLong(), lanes, mask, maskAt, e, withFrac);
        if (redo != 0) redoLanes(g, redo, py, px, e, mask, maskAt, withFrac);
    }

    /**
     * The float32 side of a strip, lane by lane as {@link #setEntry}: the fractions in {@code lanes} (ly, lx, hy,
     * hx, S each) rounded once, the corner weights times the mask ({@code inside}: bit {@code l} for lane {@code l};
     * 0 outside). Its own method: inlined into {@link #fillStrip}, whose vector code is large, it made C2 stop
     * inlining at its node budget (even {@code Float.isFinite}). Returns the lanes with a non-finite mask.
     */
    private long storeLanes(long inside, double[] lanes, float[] mask, int maskAt, int e, boolean withFrac) {
        long nonFinite = 0;
        for (int l = 0; l < S; l++) {
            float ly = (float) lanes[l], lx = (float) lanes[S + l];
            float hy = (float) lanes[2 * S + l], hx = (float) lanes[3 * S + l];
            float m = mask == null ? 1f : mask[maskAt + l];
            // Float.isFinite, written out.
            if (!(Math.abs(m) <= Float.MAX_VALUE)) nonFinite |= 1L << l;
            boolean inl = (inside >>> l & 1) != 0;
            float hym = hy * m, lym = ly * m;
            if (inl) setWeights(e + l, hym * hx, hym * lx, lym * hx, lym * lx);
            else setWeights(e + l, 0f, 0f, 0f, 0f);
            if (withFrac) setFrac(e + l, ly, lx, m, hy, hx, true, true);
        }
        return nonFinite;
    }

    /** {@link #setEntry} for the lanes of {@code lanes} (bit {@code l} for lane {@code l}) of a strip. */
    private void redoLanes(ConvGeometry g, long lanes, DoubleVector py, DoubleVector px, int e, float[] mask, int maskAt,
                           boolean withFrac) {
        for (int l = 0; l < S; l++) {
            if ((lanes >>> l & 1) != 0) {
                setEntry(g, e + l, py.lane(l), px.lane(l), mask == null ? 1f : mask[maskAt + l], withFrac);
            }
        }
    }

    /** {@code Math.floor} of the lanes in {@code [-1, 2^51)} (the others are never read): round, then step down. */
    private static DoubleVector floor(DoubleVector v) {
        DoubleVector r = v.add(ROUNDER).sub(ROUNDER);
        return r.sub(DoubleVector.zero(DOUBLES).blend(1, r.compare(VectorOperators.GT, v)));
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
