package dcn4j.conformance;

import dcn4j.DeformConv2dSpec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * jqwik generators of deformable convolution calls (DESIGN.md "Conformance suite"). The ranges
 * cover the edges on purpose: 1x1 images and kernels, non-square everything, groups and offset
 * groups together (input channels a multiple of both), stride larger than the kernel, dilation up
 * to 3, padding up to 2 (symmetric, or each side drawn on its own as ONNX's {@code pads}), both border
 * rules ({@link DeformConv2dSpec.Border}), with and without offset, mask and bias, offsets in every
 * {@link ConvCase.OffsetStyle}. jqwik mixes in the edge values of each range and shrinks a failure
 * towards the smallest shapes.
 */
public final class ConvCases {

    private ConvCases() {
    }

    private record Shape(int batch, int groups, int offsetGroups, int channelUnits, int outPerGroup, int height,
                         int width) {
    }

    private record Kernel(int kh, int kw, int sh, int sw, int dh, int dw) {
    }

    /** Paddings per side; {@code symmetric} copies top and left to bottom and right (torchvision's form). */
    private record Padding(int top, int left, int bottom, int right, boolean symmetric) {
    }

    private record Flags(boolean hasOffset, boolean hasMask, boolean hasBias, ConvCase.OffsetStyle style,
                         DeformConv2dSpec.Border border, long seed) {
    }

    /** Every kind of call: DCNv1, modulated DCNv2 and plain convolution (no offset), with or without bias. */
    public static Arbitrary<ConvCase> cases() {
        return build(Arbitraries.frequency(
                net.jqwik.api.Tuple.of(9, true), net.jqwik.api.Tuple.of(1, false)));
    }

    /**
     * {@link #cases()} with offsets also drawn {@link ConvCase.OffsetStyle#NEAR_INTEGER} (within 1e-6 of an
     * integer), for the backward rules: the cell of such a sample must be float64's (DESIGN.md
     * "Deformable convolution"), and a backend that rounds {@code base + offset} to float32 gets
     * gradients of a whole pixel difference wrong there. The forward is continuous in the position, so
     * those samples only measure float32 rounding in the forward rules, which do not draw them.
     */
    public static Arbitrary<ConvCase> casesNearCellEdges() {
        return build(Arbitraries.frequency(net.jqwik.api.Tuple.of(9, true), net.jqwik.api.Tuple.of(1, false)),
                true);
    }

    /** Calls that all pass an offset (the offset-related identities need one). */
    public static Arbitrary<ConvCase> withOffset() {
        return build(Arbitraries.just(true));
    }

    /**
     * Calls big enough for a multi-threaded backend to split the work across its threads (several
     * batch items, channels and rows), for the determinism property: a race on a shared
     * accumulator only shows when workers overlap.
     */
    public static Arbitrary<ConvCase> large() {
        Arbitrary<Shape> shape = Combinators.combine(
                Arbitraries.integers().between(2, 4),
                Arbitraries.integers().between(1, 2),
                Arbitraries.integers().between(1, 2),
                Arbitraries.integers().between(3, 6),
                Arbitraries.integers().between(3, 6),
                Arbitraries.integers().between(16, 32),
                Arbitraries.integers().between(16, 32)).as(Shape::new);
        return build(Arbitraries.frequency(net.jqwik.api.Tuple.of(9, true), net.jqwik.api.Tuple.of(1, false)), shape);
    }

    private static Arbitrary<ConvCase> build(Arbitrary<Boolean> hasOffset) {
        return build(hasOffset, false);
    }

    private static Arbitrary<ConvCase> build(Arbitrary<Boolean> hasOffset, boolean nearCellEdges) {
        Arbitrary<Shape> shape = Combinators.combine(
                // An empty batch now and then (torchvision and ONNX Runtime accept N = 0): every rule must
                // hold for it too, without starving the others of data.
                Arbitraries.frequency(net.jqwik.api.Tuple.of(1, 0), net.jqwik.api.Tuple.of(3, 1),
                        net.jqwik.api.Tuple.of(3, 2), net.jqwik.api.Tuple.of(3, 3)),
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 2),
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 9),
                Arbitraries.integers().between(1, 9)).as(Shape::new);
        return build(hasOffset, shape, nearCellEdges);
    }

    private static Arbitrary<ConvCase> build(Arbitrary<Boolean> hasOffset, Arbitrary<Shape> shape) {
        return build(hasOffset, shape, false);
    }

    private static Arbitrary<ConvCase> build(Arbitrary<Boolean> hasOffset, Arbitrary<Shape> shape,
                                             boolean nearCellEdges) {
        java.util.List<ConvCase.OffsetStyle> styles = java.util.Arrays.stream(ConvCase.OffsetStyle.values())
                .filter(st -> nearCellEdges || st != ConvCase.OffsetStyle.NEAR_INTEGER).toList();
        Arbitrary<Kernel> kernel = Combinators.combine(
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 3)).as(Kernel::new);
        Arbitrary<Padding> padding = Combinators.combine(
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 2),
                Arbitraries.of(true, false)).as(Padding::new);
        Arbitrary<Flags> flags = Combinators.combine(
                hasOffset,
                Arbitraries.of(true, false),
                Arbitraries.of(true, false),
                Arbitraries.of(styles),
                Arbitraries.of(DeformConv2dSpec.Border.class),
                Arbitraries.longs()).as(Flags::new);
        return Combinators.combine(shape, kernel, padding, flags).as(ConvCases::of);
    }

    private static ConvCase of(Shape s, Kernel k, Padding p, Flags f) {
        int channels = lcm(s.groups(), s.offsetGroups()) * s.channelUnits();
        int outChannels = s.groups() * s.outPerGroup();
        int bottom = p.symmetric() ? p.top() : p.bottom(), right = p.symmetric() ? p.left() : p.right();
        // Grow the image to the smallest size with a 1x1 output rather than discard the case.
        int h = Math.max(Math.max(s.height(), 1), k.dh() * (k.kh() - 1) + 1 - p.top() - bottom);
        int w = Math.max(Math.max(s.width(), 1), k.dw() * (k.kw() - 1) + 1 - p.left() - right);
        DeformConv2dSpec spec = new DeformConv2dSpec(k.sh(), k.sw(), p.top(), p.left(), bottom, right, k.dh(), k.dw(),
                s.groups(), s.offsetGroups(), f.border());
        return new ConvCase(s.batch(), channels, h, w, outChannels, k.kh(), k.kw(), spec, f.hasOffset(), f.hasMask(),
                f.hasBias(), f.style(), f.seed());
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
}
