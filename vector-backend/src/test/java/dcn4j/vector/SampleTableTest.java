package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dcn4j.DeformConv2dSpec;
import dcn4j.spi.DeformConv2dShape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SampleTable#fill} computes the common entries {@link SampleTable#S} pixels at a time; the scalar
 * {@link SampleTable#setEntry} / {@link SampleTable#setDcnv1} define every entry. The strips must give the same
 * bits as the definition applied entry by entry, on the inputs where the two could part: coordinates on cell
 * edges and on the lines {@code p = -1} and {@code p = size}, integer and half-integer offsets, samples far
 * outside, NaN and infinite offsets and masks, a non-finite input, both borders, strides, dilations, offset
 * groups, chunks that start and end mid-row, offsets too small to add exactly to a coordinate in float64, and
 * {@code -0}. If this fails, check {@code SampleTable.floor} (round-then-step floor), the blend of the outside
 * lanes, {@code SampleTable.tinyOffset} and the lanes {@code SampleTable.lanesToRedo} hands back.
 */
class SampleTableTest {

    @Test
    void stripsEqualTheScalarDefinitionBitForBit() {
        SplittableRandom r = new SplittableRandom(2026);
        int cases = 0;
        for (int t = 0; t < 400; t++) {
            int h = 1 + r.nextInt(9), w = 1 + r.nextInt(23), kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
            int sh = 1 + r.nextInt(2), sw = 1 + r.nextInt(3), dh = 1 + r.nextInt(2), dw = 1 + r.nextInt(2);
            int ph = r.nextInt(3), pw = r.nextInt(3), ogs = 1 + r.nextInt(2);
            int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
            if (oh < 1 || ow < 1) continue;
            boolean hasOffset = r.nextInt(6) != 0, hasMask = r.nextBoolean(), inputFinite = r.nextInt(4) != 0;
            DeformConv2dSpec.Border border = r.nextInt(3) == 0 ? DeformConv2dSpec.Border.DCNV1 : DeformConv2dSpec.Border.TORCHVISION;
            DeformConv2dSpec spec = new DeformConv2dSpec(sh, sw, ph, pw, dh, dw, 1, ogs).withBorder(border);
            int n = 2, c = 2 * ogs;
            ConvGeometry g = new ConvGeometry(new DeformConv2dShape(spec, dcn4j.DType.F32, n, c, h, w, 3, kh, kw, oh, ow,
                    hasOffset, hasMask, false));
            float[] offset = hasOffset ? new float[n * 2 * ogs * kh * kw * g.pixels] : null;
            float[] mask = hasMask ? new float[n * ogs * kh * kw * g.pixels] : null;
            float tiny = SampleTable.tinyOffset(g);
            if (offset != null) for (int i = 0; i < offset.length; i++) offset[i] = offsetValue(r, t, tiny);
            if (mask != null) for (int i = 0; i < mask.length; i++) mask[i] = maskValue(r, t);
            int batchItem = r.nextInt(n);
            int p0 = r.nextInt(g.pixels), count = 1 + r.nextInt(g.pixels - p0), local0 = r.nextInt(3);
            boolean withFrac = r.nextBoolean();
            SampleTable vector = table(g, local0 + count, inputFinite), scalar = table(g, local0 + count, inputFinite);
            vector.fill(g, offset, mask, batchItem, p0, count, local0, withFrac);
            fillEntryByEntry(scalar, g, offset, mask, batchItem, p0, count, local0, withFrac);
            String what = "case " + t + " (" + h + "x" + w + ", kernel " + kh + "x" + kw + ", " + spec + ", p0 " + p0
                    + ", count " + count + ", inputFinite " + inputFinite + ", withFrac " + withFrac + ")";
            for (int e = 0; e < scalar.base.length; e++) {
                assertEquals(scalar.base[e], vector.base[e], what + ": base of entry " + e);
            }
            for (int i = 0; i < scalar.weight.length; i++) {
                assertEquals(Float.floatToRawIntBits(scalar.weight[i]), Float.floatToRawIntBits(vector.weight[i]),
                        what + ": weight " + i + " (" + scalar.weight[i] + " vs " + vector.weight[i] + ")");
            }
            for (int i = 0; i < scalar.frac.length; i++) {
                assertEquals(Float.floatToRawIntBits(scalar.frac[i]), Float.floatToRawIntBits(vector.frac[i]),
                        what + ": frac " + i + " (" + scalar.frac[i] + " vs " + vector.frac[i] + ")");
            }
            cases++;
        }
        assertEquals(true, cases > 300, "enough cases ran: " + cases);
    }

    @Test
    void stripsAreTakenOnlyWhereEveryCoordinateIsExactInFloat32() {
        int limit = SampleTable.STRIP_MAX_COORDINATE;
        assertEquals(true, SampleTable.stripsExact(row(limit - 8, 1)), "a row of 2^20 - 8 pixels");
        assertEquals(false, SampleTable.stripsExact(row(limit, 1)), "a row of 2^20 pixels");
        // tinyOffset: 2^(b-30) for coordinates below 2^b (a 12-pixel row, 3x3, padding 1: below 2^4).
        assertEquals(0x1p-26f, SampleTable.tinyOffset(row(12, 1)), "tiny offset of a 12-pixel row");
    }

    /** One row of {@code width} pixels, 3x3 kernel, padding 1, horizontal stride {@code stride}. */
    private static ConvGeometry row(int width, int stride) {
        DeformConv2dSpec spec = new DeformConv2dSpec(1, stride, 1, 1, 1, 1, 1, 1);
        int ow = (width + 2 - 3) / stride + 1;
        return new ConvGeometry(new DeformConv2dShape(spec, dcn4j.DType.F32, 1, 1, 1, width, 1, 3, 3, 1, ow, true,
                false, false));
    }

    @Test
    void allFiniteFindsANonFiniteValueAtEveryPosition() {
        for (int n : new int[] {0, 1, 3, VectorWidth.L - 1, VectorWidth.L, VectorWidth.L + 1, 3 * VectorWidth.L + 5}) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = switch (i % 5) {
                    case 0 -> Float.MAX_VALUE;
                    case 1 -> -Float.MAX_VALUE;
                    case 2 -> Float.MIN_VALUE;
                    case 3 -> -0f;
                    default -> i;
                };
            }
            assertEquals(true, SampleTable.allFinite(v), "finite, length " + n);
            for (int at = 0; at < n; at++) {
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    float keep = v[at];
                    v[at] = bad;
                    assertEquals(false, SampleTable.allFinite(v), bad + " at " + at + " of " + n);
                    v[at] = keep;
                }
            }
        }
        assertEquals(true, SampleTable.allFinite(null), "no tensor");
    }

    /** Offsets that land on the edges where a floor or a comparison could part, and ordinary ones. */
    static float offsetValue(SplittableRandom r, int t) {
        return offsetValue(r, t, 0f);
    }

    /**
     * {@link #offsetValue(SplittableRandom, int)}, and with {@code tiny > 0} (the geometry's
     * {@link SampleTable#tinyOffset}) offsets around it too.
     */
    static float offsetValue(SplittableRandom r, int t, float tiny) {
        return switch (r.nextInt(t % 5 == 0 ? 12 : 9)) {
            case 0 -> r.nextInt(-4, 5);                         // integer: a cell corner
            case 1 -> r.nextInt(-8, 9) * 0.5f;                  // half-integer: a rounding tie
            case 2 -> Math.nextUp((float) r.nextInt(-3, 4));    // just past a corner
            case 3 -> Math.nextDown((float) r.nextInt(-3, 4));  // just before one
            case 4 -> (float) r.nextDouble(-40, 40);            // far outside
            case 5 -> (float) r.nextDouble(-1e-7, 1e-7);        // tiny, below an ulp of the coordinate
            case 6 -> tiny > 0 ? tinyEdge(r, tiny) : (float) r.nextDouble(-2, 2); // around tinyOffset, and zeros
            case 9 -> Float.NaN;
            case 10 -> Float.POSITIVE_INFINITY;
            case 11 -> Float.NEGATIVE_INFINITY;
            default -> (float) r.nextDouble(-2, 2);
        };
    }

    /**
     * Offsets at {@code tiny} ({@link SampleTable#tinyOffset}: below it {@code n + o} may not be exact in float64),
     * one ulp either side, far below it, and both zeros: the float32 strips must hand the small ones to
     * {@link SampleTable#setEntry} and turn {@code -0}'s fraction into {@code +0}.
     */
    private static float tinyEdge(SplittableRandom r, float tiny) {
        float v = switch (r.nextInt(7)) {
            case 0 -> tiny;
            case 1 -> Math.nextDown(tiny);
            case 2 -> Math.nextUp(tiny);
            case 3 -> 1e-30f;
            case 4 -> Float.MIN_VALUE;
            case 5 -> 0f;
            default -> -0f;
        };
        return r.nextBoolean() ? v : -v;
    }

    static float maskValue(SplittableRandom r, int t) {
        return switch (r.nextInt(t % 7 == 0 ? 10 : 6)) {
            case 0 -> 0f;
            case 1 -> -0f;
            case 7 -> Float.NaN;
            case 8 -> Float.POSITIVE_INFINITY;
            case 9 -> Float.NEGATIVE_INFINITY;
            default -> (float) r.nextDouble(-1.5, 1.5);
        };
    }

    /** A table of {@code pixels} pixels whose every slot holds a marker, so that a slot one fill writes and the other does not shows. */
    private static SampleTable table(ConvGeometry g, int pixels, boolean inputFinite) {
        int entries = SampleTable.entries(g, pixels);
        SampleTable table = new SampleTable(g, pixels, new int[entries], new float[4 * entries],
                new float[SampleTable.FRAC * entries], inputFinite);
        java.util.Arrays.fill(table.base, 12345);
        java.util.Arrays.fill(table.weight, 7.5f);
        java.util.Arrays.fill(table.frac, -7.5f);
        return table;
    }

    /** The loop as it was before the strips: every entry through the scalar definition, pixel by pixel. */
    private static void fillEntryByEntry(SampleTable table, ConvGeometry g, float[] offset, float[] mask, int n, int p0,
                                         int count, int local0, boolean withFrac) {
        int kk = g.kernelSize, ogs = g.offsetGroups, pixels = g.pixels;
        for (int q = 0; q < count; q++) {
            int p = p0 + q, y = p / g.outWidth, x = p - y * g.outWidth;
            for (int og = 0; og < ogs; og++) {
                for (int i = 0; i < g.kh; i++) {
                    for (int j = 0; j < g.kw; j++) {
                        int k = (og * g.kh + i) * g.kw + j;
                        int e = table.entry(g, local0 + q, og, i * g.kw + j);
                        double py = y * g.strideH - g.padTop + i * g.dilationH, px = x * g.strideW - g.padLeft + j * g.dilationW;
                        if (offset != null) {
                            py += offset[(n * 2 * ogs * kk + 2 * k) * pixels + p];
                            px += offset[(n * 2 * ogs * kk + 2 * k + 1) * pixels + p];
                        }
                        float m = mask == null ? 1f : mask[(n * ogs * kk + k) * pixels + p];
                        if (g.dcnv1) table.setDcnv1(g, e, py, px, m, withFrac);
                        else table.setEntry(g, e, py, px, m, withFrac);
                    }
                }
            }
        }
    }
}
