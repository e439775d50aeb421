package dcn4j.conformance;

import dcn4j.DeformPsRoiPoolSpec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * jqwik generators of deformable (PS) RoI pooling calls (DESIGN.md "Conformance suite"): group
 * size 1 (plain deformable RoI pooling) to 3, pooled, part and sub-sample grids from 1 to 4 (so
 * part cells shared by several bins, and more part cells than bins), 1x1 feature maps, empty RoI
 * lists, power-of-two and other spatial scales, several offset classes, every
 * {@link RoiPoolCase.RoiStyle} and {@link RoiPoolCase.OffsetStyle}.
 */
public final class RoiPoolCases {

    private RoiPoolCases() {
    }

    private record Sizes(int batch, int height, int width, int roiCount, int outputDim, int groupSize) {
    }

    private record Grid(int pooled, int part, int samples, int classChoice, double scale, double transStd) {
    }

    private record Styles(RoiPoolCase.OffsetStyle offset, RoiPoolCase.RoiStyle rois, long seed) {
    }

    /** Every kind of call, with and without offset. */
    public static Arbitrary<RoiPoolCase> cases() {
        return build(Arbitraries.of(RoiPoolCase.OffsetStyle.class));
    }

    /** Calls that pass an offset tensor (zero or not). */
    public static Arbitrary<RoiPoolCase> withOffset() {
        return build(Arbitraries.of(RoiPoolCase.OffsetStyle.ZERO, RoiPoolCase.OffsetStyle.SMALL,
                RoiPoolCase.OffsetStyle.LARGE));
    }

    /** Calls big enough for a multi-threaded backend to split them (many RoIs, channels and bins): for determinism. */
    public static Arbitrary<RoiPoolCase> large() {
        Arbitrary<Sizes> sizes = Combinators.combine(
                Arbitraries.integers().between(2, 3),
                Arbitraries.integers().between(8, 20),
                Arbitraries.integers().between(8, 20),
                Arbitraries.integers().between(8, 24),
                Arbitraries.integers().between(2, 4),
                Arbitraries.integers().between(1, 3)).as(Sizes::new);
        return build(Arbitraries.of(RoiPoolCase.OffsetStyle.class), sizes);
    }

    private static Arbitrary<RoiPoolCase> build(Arbitrary<RoiPoolCase.OffsetStyle> offsets) {
        Arbitrary<Sizes> sizes = Combinators.combine(
                Arbitraries.integers().between(1, 2),
                Arbitraries.integers().between(1, 8),
                Arbitraries.integers().between(1, 8),
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 3)).as(Sizes::new);
        return build(offsets, sizes);
    }

    private static Arbitrary<RoiPoolCase> build(Arbitrary<RoiPoolCase.OffsetStyle> offsets, Arbitrary<Sizes> sizes) {
        Arbitrary<Grid> grid = Combinators.combine(
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(0, 3),
                Arbitraries.of(1.0, 0.5, 0.25, 0.0625, 0.3),
                Arbitraries.of(0.1, 0.3, 1.0)).as(Grid::new);
        Arbitrary<Styles> styles = Combinators.combine(
                offsets,
                Arbitraries.of(RoiPoolCase.RoiStyle.class),
                Arbitraries.longs()).as(Styles::new);
        return Combinators.combine(sizes, grid, styles).as(RoiPoolCases::of);
    }

    private static RoiPoolCase of(Sizes s, Grid g, Styles st) {
        DeformPsRoiPoolSpec spec = new DeformPsRoiPoolSpec(g.scale(), s.outputDim(), s.groupSize(), g.pooled(),
                g.part(), g.samples(), g.transStd());
        // Offset classes: a divisor of outputDim, picked by classChoice.
        int[] divisors = java.util.stream.IntStream.rangeClosed(1, s.outputDim())
                .filter(d -> s.outputDim() % d == 0).toArray();
        int numClasses = divisors[g.classChoice() % divisors.length];
        return new RoiPoolCase(s.batch(), s.height(), s.width(), s.roiCount(), numClasses, spec, st.offset(), st.rois(),
                st.seed());
    }
}
