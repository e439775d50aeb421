package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.ConvCase.OffsetStyle;
import dcn4j.conformance.ReferenceErrors;
import dcn4j.conformance.Tolerances;
import dcn4j.conformance.internal.ConvArgs;
import dcn4j.conformance.internal.Magnitudes;
import dcn4j.conformance.internal.OpenBackends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector backend's deformable convolution against the float64 reference on the same (float32)
 * values, over hand-picked edge cases and seeded random shapes, judged by the conformance suite's
 * own measure ({@link ReferenceErrors}: forward within {@link Tolerances#FORWARD}, every gradient
 * within {@link Tolerances#BACKWARD}, as {@code conv01}/{@code conv02}).
 */
class VectorDeformConv2dTest {

    static Backend vector;
    /** Same backend with tiny chunk budgets: every call runs through many column chunks. */
    static Backend chunked;
    static double worstForward, worstBackward;

    @BeforeAll
    static void open() {
        vector = new VectorBackend(2);
        chunked = new VectorBackend(3, 1, 1);
    }

    @AfterAll
    static void close() {
        vector.close();
        chunked.close();
        System.out.printf("vector deform_conv2d vs reference: worst forward %.3g, worst backward %.3g%n",
                worstForward, worstBackward);
    }

    static DeformConv2dSpec spec(int sh, int sw, int ph, int pw, int dh, int dw, int groups, int offsetGroups) {
        return new DeformConv2dSpec(sh, sw, ph, pw, dh, dw, groups, offsetGroups);
    }

    /** A suite case with a display name; {@code style} {@code null} means no offset. */
    static Named<ConvCase> named(String name, int n, int c, int h, int w, int o, int kh, int kw, DeformConv2dSpec spec,
                                 OffsetStyle style, boolean mask, boolean bias, long seed) {
        return Named.of(name, new ConvCase(n, c, h, w, o, kh, kw, spec, style != null, mask, bias,
                style == null ? OffsetStyle.ZERO : style, seed));
    }

    static Stream<Named<ConvCase>> edgeCases() {
        List<Named<ConvCase>> c = new ArrayList<>();
        DeformConv2dSpec pad1 = DeformConv2dSpec.defaults().withPadding(1, 1);
        OffsetStyle small = OffsetStyle.SMALL;
        c.add(named("3x3-pad1-bias", 2, 5, 7, 6, 7, 3, 3, pad1, small, false, true, 1));
        c.add(named("modulated", 2, 5, 7, 6, 7, 3, 3, pad1, small, true, true, 2));
        c.add(named("groups2-offsetGroups4", 1, 8, 6, 6, 6, 3, 3, spec(1, 1, 1, 1, 1, 1, 2, 4), small, true, true, 3));
        c.add(named("groups3-offsetGroups1", 2, 6, 5, 5, 9, 3, 3, spec(1, 1, 1, 1, 1, 1, 3, 1), small, true, false, 4));
        c.add(named("offsetGroup-spans-groups", 1, 6, 6, 5, 4, 3, 3, spec(1, 1, 1, 1, 1, 1, 2, 3), small, true, true,
                5));
        c.add(named("stride3-gt-kernel2", 2, 3, 9, 8, 4, 2, 2, spec(3, 3, 0, 0, 1, 1, 1, 1), small, false, true, 6));
        c.add(named("dilation2-pad2", 1, 4, 9, 9, 5, 3, 3, spec(1, 1, 2, 2, 2, 2, 1, 1), small, true, true, 7));
        c.add(named("image-1x1-kernel-1x1", 2, 3, 1, 1, 2, 1, 1, DeformConv2dSpec.defaults(), small, true, true, 8));
        c.add(named("image-1x1-kernel-3x3-pad1", 1, 4, 1, 1, 3, 3, 3, pad1, small, true, true, 9));
        c.add(named("nonsquare-k2x3-img5x7", 2, 3, 5, 7, 4, 2, 3, spec(2, 1, 1, 0, 1, 2, 1, 1), small, true, true,
                10));
        c.add(named("offsets-far-outside", 1, 4, 6, 6, 3, 3, 3, pad1, OffsetStyle.FAR_OUTSIDE, true, true, 11));
        c.add(named("integer-offsets", 2, 5, 6, 7, 4, 3, 3, pad1, OffsetStyle.INTEGER, true, true, 12));
        c.add(named("integer-offsets-unmasked", 1, 17, 5, 5, 3, 3, 3, pad1, OffsetStyle.INTEGER, false, false, 13));
        c.add(named("samples-on-the-border-lines", 2, 4, 5, 6, 3, 3, 3, pad1, OffsetStyle.BORDER, true, true, 22));
        c.add(named("half-integer-offsets", 1, 4, 6, 5, 3, 3, 3, pad1, OffsetStyle.HALF_INTEGER, true, true, 23));
        c.add(named("plain-no-offset", 2, 5, 7, 6, 7, 3, 3, pad1, null, false, true, 14));
        c.add(named("plain-with-mask", 1, 5, 7, 6, 7, 3, 3, pad1, null, true, true, 15));
        c.add(named("wide-channels", 1, 40, 9, 8, 70, 3, 3, pad1, small, true, true, 16));
        c.add(named("many-pixels", 1, 16, 17, 19, 33, 3, 3, pad1, small, false, true, 17));
        c.add(named("offsetGroups-equal-channels", 1, 4, 6, 6, 8, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 4), small, true, true,
                18));
        c.add(named("groups-equal-channels-depthwise", 2, 6, 6, 6, 6, 3, 3, spec(1, 1, 1, 1, 1, 1, 6, 2), small, true,
                true, 19));
        c.add(named("batch-3-stride2", 3, 7, 8, 9, 5, 3, 3, spec(2, 2, 1, 1, 1, 1, 1, 1), small, true, true, 20));
        // 784 pixels: the forward groups two images per phase, so five images take three phases.
        c.add(named("batch-5-two-images-per-phase", 5, 3, 28, 28, 4, 3, 3, pad1, small, true, true, 21));
        // The official DCNv1 border rule and ONNX's per-side padding (issue 13 items 1-2).
        DeformConv2dSpec.Border dcnv1 = DeformConv2dSpec.Border.DCNV1;
        c.add(named("dcnv1-3x3-pad1-bias", 2, 5, 7, 6, 7, 3, 3, pad1.withBorder(dcnv1), OffsetStyle.MIXED, false,
                true, 24));
        c.add(named("dcnv1-modulated-groups2-offsetGroups3", 1, 6, 6, 5, 4, 3, 3,
                spec(1, 1, 1, 1, 1, 1, 2, 3).withBorder(dcnv1), OffsetStyle.MIXED, true, true, 25));
        c.add(named("dcnv1-integer-offsets", 2, 5, 6, 7, 4, 3, 3, pad1.withBorder(dcnv1), OffsetStyle.INTEGER, true,
                true, 26));
        c.add(named("dcnv1-samples-on-the-border-lines", 2, 4, 5, 6, 3, 3, 3, pad1.withBorder(dcnv1),
                OffsetStyle.BORDER, true, true, 27));
        c.add(named("dcnv1-plain-no-offset", 1, 5, 7, 6, 7, 3, 3, pad1.withBorder(dcnv1), null, false, true, 28));
        c.add(named("dcnv1-wide-channels-far", 1, 40, 9, 8, 20, 3, 3, pad1.withBorder(dcnv1),
                OffsetStyle.FAR_OUTSIDE, true, true, 29));
        c.add(named("onnx-pads-1-0-0-1", 2, 3, 5, 6, 4, 2, 2, DeformConv2dSpec.defaults().withPadding(1, 0, 0, 1),
                small, true, true, 30));
        c.add(named("pads-2-0-1-3-stride2-dilation", 1, 4, 7, 6, 5, 3, 2,
                spec(2, 1, 0, 0, 1, 2, 1, 1).withPadding(2, 0, 1, 3), small, false, true, 31));
        c.add(named("dcnv1-pads-0-2-2-1", 1, 4, 6, 5, 3, 3, 3,
                DeformConv2dSpec.defaults().withPadding(0, 2, 2, 1).withBorder(dcnv1), OffsetStyle.MIXED, true, false,
                32));
        // Offsets within 1e-6 of an integer next to the zero border, modulated: corner weights a million times apart.
        // The mask gradient took them out of dot products of corner differences until the fourteenth pass of issue 10,
        // and cancelled: the first (a conformance run's shrunk sample) was 1.9e-2 off; the second, with whole vectors
        // of channels (the one-segment loop), 4.6e-2.
        c.add(named("near-integer-offsets-at-the-border-groups2", 1, 2, 1, 2, 4, 1, 1,
                spec(1, 2, 1, 0, 1, 1, 2, 1), OffsetStyle.NEAR_INTEGER, true, true, 0));
        c.add(named("near-integer-offsets-at-the-border-64-channels", 1, 64, 1, 2, 8, 1, 1,
                spec(1, 2, 1, 0, 1, 1, 1, 1), OffsetStyle.NEAR_INTEGER, true, true, 22));
        // Whole vectors of channels at every width (64 = 4 x 16 lanes): the one-segment loops of Col2im.
        c.add(named("modulated-64-channels-whole-vectors", 1, 64, 6, 7, 8, 3, 3, pad1, OffsetStyle.MIXED, true, true,
                33));
        c.add(named("dcnv1-32-channels-whole-vectors-far", 2, 32, 5, 6, 4, 3, 3, pad1.withBorder(dcnv1),
                OffsetStyle.FAR_OUTSIDE, true, false, 34));
        // More output channels than the deepest reduction block (KC <= 512): the column-gradient tiles are summed over
        // several blocks, in place where the channels are one GEMM panel (NR: 64 at 512 bits, 16 at 256), else in
        // cTiles, then copied into kernel-point-major rows (GradColumnsLayout) or, with groups, row-major ones.
        c.add(named("one-panel-of-channels-" + Sgemm.NR + "-520-outputs-reduction-blocks", 2, Sgemm.NR, 3, 5, 520, 3, 3,
                pad1, OffsetStyle.MIXED, true, true, 35));
        c.add(named("two-panels-of-channels-" + 2 * Sgemm.NR + "-520-outputs-reduction-blocks", 1, 2 * Sgemm.NR, 4, 3,
                520, 3, 3, pad1, OffsetStyle.MIXED, true, true, 36));
        c.add(named("groups2-" + 2 * Sgemm.NR + "-channels-1040-outputs-reduction-blocks", 1, 2 * Sgemm.NR, 3, 4, 1040,
                3, 3, spec(1, 1, 1, 1, 1, 1, 2, 1), OffsetStyle.MIXED, true, false, 37));
        // Forward reduction blocks inside groups (groupK = 9 x 66 = 594 > 512 >= KC: the second group's blocks start
        // inside kernel points) whose offset groups (44 channels) cross the groups: BilinearIm2col.sampleRowsBlock.
        c.add(named("groups2-offsetGroups3-132-channels-forward-reduction-blocks", 1, 132, 5, 4, 4, 3, 3,
                spec(1, 1, 1, 1, 1, 1, 2, 3), OffsetStyle.MIXED, true, true, 38));
        return c.stream();
    }

    /** Seeded random shapes: every parameter drawn, kept small enough for the reference. */
    static Stream<Named<ConvCase>> randomCases() {
        Random r = new Random(20240601);
        List<Named<ConvCase>> c = new ArrayList<>();
        OffsetStyle[] styles = OffsetStyle.values();
        for (int i = 0; i < 30; i++) {
            int groups = 1 + r.nextInt(3), offsetGroups = 1 + r.nextInt(3);
            int cg = 1 + r.nextInt(6);
            int channels = lcm(groups, offsetGroups) * cg;
            int o = groups * (1 + r.nextInt(8));
            int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
            int sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3), dh = 1 + r.nextInt(2), dw = 1 + r.nextInt(2);
            int ph = r.nextInt(3), pw = r.nextInt(3);
            int h = Math.max(1, dh * (kh - 1) + 1 - 2 * ph) + r.nextInt(8);
            int w = Math.max(1, dw * (kw - 1) + 1 - 2 * pw) + r.nextInt(8);
            DeformConv2dSpec s = spec(sh, sw, ph, pw, dh, dw, groups, offsetGroups);
            OffsetStyle style = r.nextInt(6) == 0 ? null : styles[r.nextInt(styles.length)];
            c.add(named("random-" + i + "-" + (style == null ? "no-offset" : style.name().toLowerCase(java.util.Locale.ROOT)),
                    1 + r.nextInt(3), channels, h, w, o, kh, kw, s, style, r.nextBoolean(), r.nextBoolean(), 1000 + i));
        }
        return c.stream();
    }

    private static int lcm(int a, int b) {
        int x = a, y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    static Stream<Named<ConvCase>> allCases() {
        return Stream.concat(edgeCases(), randomCases());
    }

    /** Every gradient {@code b} returns for {@code c}, asserting that those of absent arguments are absent. */
    static Map<Gradient, double[]> gradients(Backend b, ConvCase c) {
        Tensor[] t = c.tensors(b);
        Map<Gradient, double[]> m = new EnumMap<>(Gradient.class);
        try (DeformConv2dGradients g = c.backward(b, t, Gradient.all())) {
            for (Gradient which : Gradient.all()) {
                Tensor x = g.get(which);
                if (!c.has(which)) assertNull(x, c + ": " + which.fileStem() + " should be absent");
                else m.put(which, x == null ? null : x.toDoubleArray());
            }
        } finally {
            for (Tensor x : t) if (x != null) x.close();
        }
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void forwardMatchesReference(ConvCase c) {
        double err = ReferenceErrors.forward(c, c.forward(vector));
        worstForward = Math.max(worstForward, err);
        assertTrue(err <= Tolerances.FORWARD, c + ": forward relative error " + err);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void everyGradientMatchesReference(ConvCase c) {
        for (Map.Entry<Gradient, Double> e : ReferenceErrors.backward(c, gradients(vector, c)).entrySet()) {
            worstBackward = Math.max(worstBackward, e.getValue());
            assertTrue(e.getValue() <= Tolerances.BACKWARD,
                    c + ": " + e.getKey().fileStem() + " relative error " + e.getValue());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edgeCases")
    void chunkingDoesNotChangeAnyBit(ConvCase c) {
        // Forward chunks may differ (their outputs are independent); the backward chunk size is part of the
        // reduction order of grad_weight, so only the forward and the non-weight gradients must be identical.
        assertArrayEquals(c.forward(vector), c.forward(chunked), c.toString());
        Map<Gradient, double[]> a = gradients(vector, c), b = gradients(chunked, c);
        for (Gradient g : List.of(Gradient.INPUT, Gradient.OFFSET, Gradient.MASK)) {
            assertArrayEquals(a.get(g), b.get(g), c + ": " + g.fileStem());
        }
        Map<Gradient, double[]> weightAndBias = new EnumMap<>(Gradient.class);
        for (Gradient g : List.of(Gradient.WEIGHT, Gradient.BIAS)) if (b.containsKey(g)) weightAndBias.put(g, b.get(g));
        for (Map.Entry<Gradient, Double> e : ReferenceErrors.backward(c, weightAndBias).entrySet()) {
            assertTrue(e.getValue() <= Tolerances.BACKWARD,
                    c + ": chunked " + e.getKey().fileStem() + " error " + e.getValue());
        }
    }

    @Test
    void spreadSamplingBlocksArePermutationsOfTheBlocks() {
        for (int blocks = 1; blocks <= 40; blocks++) {
            boolean[] seen = new boolean[blocks];
            for (int item = 0; item < blocks; item++) {
                int b = VectorDeformConv2d.spreadBlock(item, blocks);
                assertTrue(b >= 0 && b < blocks && !seen[b], blocks + " blocks: item " + item + " -> block " + b);
                seen[b] = true;
                // Consecutive items are ceil(blocks/2) or one less apart: never neighbours from 5 blocks on.
                if (item > 0 && blocks >= 5) {
                    int previous = VectorDeformConv2d.spreadBlock(item - 1, blocks);
                    assertTrue(Math.abs(b - previous) > 1, blocks + " blocks: items " + (item - 1) + ", " + item
                            + " fill neighbouring blocks " + previous + ", " + b);
                }
            }
        }
    }

    @Test
    void zeroOffsetsEqualPlainConvolutionBitForBit() {
        // Zero offsets sample at integer positions with weights (1, 0, 0, 0): exactly the plain path.
        DeformConv2dSpec s = spec(1, 2, 1, 1, 2, 1, 2, 3);
        ConvCase plain = new ConvCase(2, 6, 8, 7, 4, 3, 3, s, false, false, true, OffsetStyle.ZERO, 30);
        Tensor[] t = plain.tensors(vector);
        try (Tensor zeros = vector.tensor(plain.offsetShape(), new float[ConvCase.size(plain.offsetShape())]);
             Tensor withZeros = vector.deformConv2d(s, t[0], zeros, null, t[3], t[4]);
             Tensor without = vector.deformConv2d(s, t[0], null, null, t[3], t[4])) {
            assertArrayEquals(without.toFloatArray(), withZeros.toFloatArray());
            assertTrue(ReferenceErrors.forward(plain, without.toDoubleArray()) <= Tolerances.FORWARD);
        } finally {
            for (Tensor x : t) if (x != null) x.close();
        }
    }

    @Test
    void finitenessIsDecidedImageByImage() {
        // 5x5 images: the forward pads the next eight images while it computes eight, so eleven take two
        // phases and both halves of its double buffer; the backward pads image after image. Images 2 and 9
        // hold an infinity in row 0, which the plain pad-1 kernel's points on the line -1 meet with bilinear
        // weight 0: NaN in the reference (0 * inf), which only the non-finite path reproduces. The other
        // images are finite and take the fast path; the phase that pads an image decides which.
        DeformConv2dSpec pad1 = DeformConv2dSpec.defaults().withPadding(1, 1);
        for (boolean withOffset : new boolean[] {false, true}) {
            ConvCase c = new ConvCase(11, 3, 5, 5, 4, 3, 3, pad1, withOffset, true, true,
                    withOffset ? OffsetStyle.INTEGER : OffsetStyle.ZERO, 41);
            ConvArgs a = ConvArgs.of(c);
            double[] in = a.input().clone();
            in[((2 * 3 + 1) * 5) * 5 + 3] = Double.POSITIVE_INFINITY;
            in[((9 * 3) * 5) * 5 + 1] = Double.NEGATIVE_INFINITY;
            a = a.withInput(in);
            double[] want = a.forward(OpenBackends.reference()), got = a.forward(vector);
            int perImage = want.length / 11;
            for (int n = 0; n < 11; n++) {
                boolean nan = false;
                for (int i = n * perImage; i < (n + 1) * perImage; i++) nan |= Double.isNaN(want[i]);
                assertTrue(nan == (n == 2 || n == 9), "offset " + withOffset + ": the reference's image " + n
                        + (nan ? " has" : " has no") + " NaN");
            }
            double err = Tolerances.relativeError(got, want, Magnitudes.convForward(a));
            assertTrue(err <= Tolerances.FORWARD, "offset " + withOffset + ": forward error " + err);
            Map<Gradient, double[]> wantGrads = a.backward(OpenBackends.reference(), Gradient.all());
            Map<Gradient, double[]> gotGrads = a.backward(vector, Gradient.all());
            Map<Gradient, double[]> magnitudes = Magnitudes.convBackward(a);
            for (Gradient g : wantGrads.keySet()) {
                if (wantGrads.get(g) == null) continue;
                double e = Tolerances.relativeError(gotGrads.get(g), wantGrads.get(g), magnitudes.get(g));
                assertTrue(e <= Tolerances.BACKWARD, "offset " + withOffset + ": " + g.fileStem() + " error " + e);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edgeCases")
    void recycledStorageIsOverwrittenEntirely(ConvCase c) {
        // Outputs and gradients may land in a closed output's array (DESIGN.md "Output recycling"): with
        // NaN-filled arrays of every length waiting, the results must be the same bits as in fresh arrays.
        double[] fresh = c.forward(vector);
        Map<Gradient, double[]> freshGrads = gradients(vector, c);
        try (VectorBackend b = new VectorBackend(2)) {
            offerNaNs(b, c);
            assertArrayEquals(fresh, c.forward(b), c + ": forward");
            offerNaNs(b, c);
            Map<Gradient, double[]> got = gradients(b, c);
            for (Gradient g : freshGrads.keySet()) assertArrayEquals(freshGrads.get(g), got.get(g), c + ": " + g.fileStem());
        }
    }

    private static void offerNaNs(VectorBackend b, ConvCase c) {
        b.recycler().clear();
        for (int[] shape : List.of(c.outputShape(), c.inputShape(), c.offsetShape(), c.maskShape(), c.weightShape(),
                c.biasShape())) {
            float[] a = new float[ConvCase.size(shape)];
            Arrays.fill(a, Float.NaN);
            b.recycler().give(a);
        }
    }
}
