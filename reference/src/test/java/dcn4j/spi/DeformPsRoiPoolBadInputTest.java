package dcn4j.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every documented bad input of deformable PS RoI pooling (DESIGN.md "Errors", issue 3) is an
 * {@link IllegalArgumentException} whose message names the argument and the offending value, raised by
 * the spec's constructor or by {@link DeformPsRoiPoolShape} (shared by all backends), seen here through
 * the reference backend.
 */
class DeformPsRoiPoolBadInputTest {

    private static final Backend B = Backends.open("reference");
    // outputDim 2, groupSize 2 -> 8 input channels; pooled 3, part 2.
    private static final DeformPsRoiPoolSpec SPEC = new DeformPsRoiPoolSpec(0.5, 2, 2, 3, 2, 2, 0.1);
    private static final int N = 2;

    @AfterAll
    static void close() {
        B.close();
    }

    private static Tensor t(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return B.tensor(DType.F64, shape, new double[n]);
    }

    private static Tensor input() {
        return t(new int[] {N, 8, 5, 6});
    }

    private static Tensor rois(double... values) {
        return B.tensor(DType.F64, new int[] {values.length / 5, 5}, values);
    }

    private static Tensor goodRois() {
        return rois(0, 1, 1, 6, 6, 1.5, 0, 2, 9, 7);
    }

    private static Tensor offset(int roiCount, int classes, int part) {
        return t(new int[] {roiCount, 2 * classes, part, part});
    }

    /** Asserts an {@link IllegalArgumentException} whose message contains every one of {@code parts}. */
    private static void rejects(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should contain '" + p + "'");
        }
    }

    private static void forward(Tensor input, Tensor rois, Tensor offset) {
        B.deformPsRoiPool(SPEC, input, rois, offset);
    }

    @Test
    void theValidCallsUsedBelowAreAccepted() {
        assertArrayEquals(new int[] {2, 2, 3, 3}, B.deformPsRoiPool(SPEC, input(), goodRois(), null).shape());
        assertArrayEquals(new int[] {2, 2, 3, 3},
                B.deformPsRoiPool(SPEC, input(), goodRois(), offset(2, 2, 2)).shape());
    }

    @Test
    void specRejectsNonPositiveOrNonFiniteSpatialScale() {
        rejects(() -> new DeformPsRoiPoolSpec(0, 2, 2, 3, 2, 2, 0.1), "spatialScale", "0.0");
        rejects(() -> new DeformPsRoiPoolSpec(-0.25, 2, 2, 3, 2, 2, 0.1), "spatialScale", "-0.25");
        rejects(() -> new DeformPsRoiPoolSpec(Double.NaN, 2, 2, 3, 2, 2, 0.1), "spatialScale", "NaN");
        rejects(() -> new DeformPsRoiPoolSpec(Double.POSITIVE_INFINITY, 2, 2, 3, 2, 2, 0.1), "spatialScale",
                "Infinity");
    }

    @Test
    void specRejectsNonPositiveSizes() {
        rejects(() -> new DeformPsRoiPoolSpec(1, 0, 2, 3, 2, 2, 0.1), "outputDim", "0");
        rejects(() -> new DeformPsRoiPoolSpec(1, 2, -1, 3, 2, 2, 0.1), "groupSize", "-1");
        rejects(() -> new DeformPsRoiPoolSpec(1, 2, 2, 0, 2, 2, 0.1), "pooledSize", "0");
        rejects(() -> new DeformPsRoiPoolSpec(1, 2, 2, 3, 0, 2, 0.1), "partSize", "0");
        rejects(() -> new DeformPsRoiPoolSpec(1, 2, 2, 3, 2, -3, 0.1), "samplePerPart", "-3");
    }

    @Test
    void specRejectsNonFiniteTransStdAndAChannelCountOverflowingInt() {
        rejects(() -> new DeformPsRoiPoolSpec(1, 2, 2, 3, 2, 2, Double.NaN), "transStd", "NaN");
        rejects(() -> new DeformPsRoiPoolSpec(1, 1 << 20, 1 << 6, 3, 2, 2, 0.1), "outputDim*groupSize^2",
                "4294967296");
    }

    @Test
    void roisMustBeRTimesFive() {
        rejects(() -> forward(input(), B.tensor(DType.F64, new int[] {5}, new double[5]), null), "rois", "[5]");
        rejects(() -> forward(input(), t(new int[] {2, 4}), null), "rois", "[R, 5]", "[2, 4]");
        rejects(() -> forward(input(), t(new int[] {1, 2, 5}), null), "rois", "[1, 2, 5]");
    }

    @Test
    void batchIndexMustTruncateIntoZeroToN() {
        rejects(() -> forward(input(), rois(0, 1, 1, 6, 6, -1, 1, 1, 6, 6), null), "rois[1,0]", "[0, 2)", "-1.0");
        rejects(() -> forward(input(), rois(2, 1, 1, 6, 6), null), "rois[0,0]", "[0, 2)", "2.0");
        rejects(() -> forward(input(), rois(2.5, 1, 1, 6, 6), null), "rois[0,0]", "2.5");
        rejects(() -> forward(input(), rois(1e300, 1, 1, 6, 6), null), "rois[0,0]", "1.0E300");
    }

    @Test
    void roiValuesMustBeFinite() {
        rejects(() -> forward(input(), rois(0, 1, 1, 6, 6, 0, Double.NaN, 1, 6, 6), null), "rois[1,1]", "NaN");
        rejects(() -> forward(input(), rois(0, 1, 1, 6, Double.POSITIVE_INFINITY), null), "rois[0,4]",
                "Infinity");
        rejects(() -> forward(input(), rois(Double.NaN, 1, 1, 6, 6), null), "rois[0,0]", "NaN");
    }

    @Test
    void inputChannelsMustBeOutputDimTimesGroupSizeSquared() {
        rejects(() -> forward(t(new int[] {N, 9, 5, 6}), goodRois(), null), "input", "2*2^2 = 8", "got 9");
        rejects(() -> forward(t(new int[] {8, 5, 6}), goodRois(), null), "input", "rank 4", "[8, 5, 6]");
        rejects(() -> forward(t(new int[] {N, 8, 0, 6}), goodRois(), null), "input", "[2, 8, 0, 6]");
        rejects(() -> B.deformPsRoiPool(SPEC, null, goodRois(), null), "input", "null");
        rejects(() -> B.deformPsRoiPool(null, input(), goodRois(), null), "spec", "null");
        rejects(() -> forward(input(), B.tensor(DType.F32, new int[] {1, 5}, new double[5]), null), "rois",
                "F64", "F32");
    }

    @Test
    void offsetShapeAndClassCountMustMatch() {
        // Odd channel count: not (x, y) pairs.
        rejects(() -> forward(input(), goodRois(), t(new int[] {2, 3, 2, 2})), "offset", "even", "3");
        // 3 classes do not divide outputDim 2.
        rejects(() -> forward(input(), goodRois(), offset(2, 3, 2)), "offset", "outputDim=2", "numClasses=3");
        // Wrong part size, wrong RoI count, wrong rank.
        rejects(() -> forward(input(), goodRois(), offset(2, 1, 3)), "offset", "[2, 2, 2, 2]", "[2, 2, 3, 3]");
        rejects(() -> forward(input(), goodRois(), offset(1, 1, 2)), "offset", "[2, 2, 2, 2]", "[1, 2, 2, 2]");
        rejects(() -> forward(input(), goodRois(), t(new int[] {2, 2, 4})), "offset", "rank 4", "[2, 2, 4]");
    }

    @Test
    void backwardChecksTheOutputGradientAndTheRequestedGradients() {
        Tensor offset = offset(2, 1, 2);
        rejects(() -> B.deformPsRoiPoolBackward(SPEC, t(new int[] {2, 2, 3, 2}), input(), goodRois(), offset,
                EnumSet.of(Gradient.INPUT)), "gradOutput", "[2, 2, 3, 3]", "[2, 2, 3, 2]");
        rejects(() -> B.deformPsRoiPoolBackward(SPEC, t(new int[] {2, 2, 3, 3}), input(), goodRois(), offset,
                EnumSet.of(Gradient.INPUT, Gradient.WEIGHT)), "wanted", "WEIGHT");
        rejects(() -> B.deformPsRoiPoolBackward(SPEC, t(new int[] {2, 2, 3, 3}), input(), goodRois(), offset,
                (Set<Gradient>) null), "wanted", "null");
        // The backward validates its inputs like the forward.
        rejects(() -> B.deformPsRoiPoolBackward(SPEC, t(new int[] {2, 2, 3, 3}), input(),
                rois(0, 1, 1, 6, 6, 3, 1, 1, 6, 6), offset, EnumSet.of(Gradient.INPUT)), "rois[1,0]", "3.0");
    }

    @Test
    void anOutputTooLargeForAnArrayIsRejectedBeforeAllocation() {
        // 1000 RoIs * 1000 channels * 100^2 bins = 1e10 outputs.
        var spec = new DeformPsRoiPoolSpec(1, 1000, 1, 100, 1, 1, 0.1);
        Tensor in = t(new int[] {1, 1000, 1, 1});
        rejects(() -> B.deformPsRoiPool(spec, in, t(new int[] {1000, 5}), null), "rois", "10000000000");
    }
}
