package dcn4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.reference.ReferenceProvider;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Bad input to deformable convolution, argument by argument (DESIGN.md "Errors"): each call fails
 * with an {@link IllegalArgumentException} whose message names the argument, the expected and the
 * actual value, before anything is computed.
 */
class DeformConv2dShapeTest {

    private final Backend ref = new ReferenceProvider().open(BackendOptions.defaults());
    private final DeformConv2dSpec pad1 = DeformConv2dSpec.defaults().withPadding(1, 1);

    private Tensor zeros(int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return ref.tensor(DType.F64, shape, new double[n]);
    }

    private static void rejects(Supplier<?> call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::get);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void validArgumentsGiveTheDocumentedShapes() {
        DeformConv2dShape s = DeformConv2dShape.of("reference", pad1.withStride(2, 1).withOffsetGroups(2),
                zeros(2, 4, 7, 5), zeros(2, 36, 4, 5), null, zeros(3, 4, 3, 3), null);
        assertEquals(4, s.outHeight());
        assertEquals(5, s.outWidth());
        assertEquals(2 * 3 * 4 * 9 * 4 * 5 * 2.0, s.forwardFlops());
    }

    @Test
    void inputOfWrongRankIsRejected() {
        rejects(() -> ref.deformConv2d(pad1, zeros(1, 2, 5), null, null, zeros(2, 2, 3, 3), null),
                "input", "rank 4", "[1, 2, 5]");
    }

    @Test
    void weightOfWrongRankIsRejected() {
        rejects(() -> ref.deformConv2d(pad1, zeros(1, 2, 5, 5), null, null, zeros(2, 2, 9), null),
                "weight", "rank 4", "[2, 2, 9]");
    }

    @Test
    void weightChannelsNotMatchingInputPerGroupAreRejected() {
        rejects(() -> ref.deformConv2d(pad1, zeros(1, 4, 5, 5), null, null, zeros(2, 3, 3, 3), null),
                "weight", "C/groups = 4", "got 3");
    }

    @Test
    void channelsNotDivisibleByGroupsAreRejected() {
        rejects(() -> ref.deformConv2d(pad1.withGroups(3), zeros(1, 4, 5, 5), null, null, zeros(3, 1, 3, 3), null),
                "groups", "C=4", "got 3");
        rejects(() -> ref.deformConv2d(pad1.withGroups(2), zeros(1, 4, 5, 5), null, null, zeros(3, 2, 3, 3), null),
                "groups", "O=3", "got 2");
    }

    @Test
    void channelsNotDivisibleByOffsetGroupsAreRejected() {
        rejects(() -> ref.deformConv2d(pad1.withOffsetGroups(3), zeros(1, 4, 5, 5), zeros(1, 54, 5, 5), null,
                zeros(2, 4, 3, 3), null), "offsetGroups", "C=4", "got 3");
    }

    @Test
    void offsetNotMatchingTheOutputSizeIsRejected() {
        rejects(() -> ref.deformConv2d(pad1, zeros(1, 2, 5, 5), zeros(1, 18, 4, 5), null, zeros(2, 2, 3, 3), null),
                "offset", "[1, 18, 5, 5]", "[1, 18, 4, 5]");
        rejects(() -> ref.deformConv2d(pad1, zeros(1, 2, 5, 5), zeros(1, 9, 5, 5), null, zeros(2, 2, 3, 3), null),
                "offset", "[1, 18, 5, 5]", "[1, 9, 5, 5]");
    }

    @Test
    void maskNotMatchingTheOutputSizeIsRejected() {
        rejects(() -> ref.deformConv2d(pad1, zeros(1, 2, 5, 5), zeros(1, 18, 5, 5), zeros(1, 9, 5, 4),
                zeros(2, 2, 3, 3), null), "mask", "[1, 9, 5, 5]", "[1, 9, 5, 4]");
    }

    @Test
    void biasOfWrongLengthIsRejected() {
        rejects(() -> ref.deformConv2d(pad1, zeros(1, 2, 5, 5), null, null, zeros(2, 2, 3, 3), zeros(3)),
                "bias", "[2]", "[3]");
    }

    @Test
    void outputSmallerThanOnePixelIsRejected() {
        rejects(() -> ref.deformConv2d(DeformConv2dSpec.defaults(), zeros(1, 2, 2, 5), null, null,
                zeros(2, 2, 3, 3), null), "output size", "expected >= 1x1", "got 0x3");
    }

    @Test
    void outputTooLargeForOneArrayIsRejectedBeforeAllocating() {
        // 1x1 input padded by 30000: a 60001x60001 output, more elements than an array can hold.
        rejects(() -> ref.deformConv2d(DeformConv2dSpec.defaults().withPadding(30000, 30000), zeros(1, 1, 1, 1),
                null, null, zeros(1, 1, 1, 1), null), "output size", "expected at most", "got 3600120001");
    }

    @Test
    void nonPositiveStrideDilationOrGroupsAreRejectedBySpec() {
        rejects(() -> DeformConv2dSpec.defaults().withStride(0, 1), "strideH", ">= 1", "got 0");
        rejects(() -> DeformConv2dSpec.defaults().withDilation(1, -2), "dilationW", ">= 1", "got -2");
        rejects(() -> DeformConv2dSpec.defaults().withPadding(-1, 0), "padTop", ">= 0", "got -1");
        rejects(() -> DeformConv2dSpec.defaults().withGroups(0), "groups", "got 0");
        rejects(() -> DeformConv2dSpec.defaults().withOffsetGroups(0), "offsetGroups", "got 0");
    }

    @Test
    void mixedDtypesAreRejected() {
        Tensor w32 = ref.tensor(DType.F32, new int[] {2, 2, 3, 3}, new double[36]);
        rejects(() -> ref.deformConv2d(pad1, zeros(1, 2, 5, 5), null, null, w32, null), "weight", "F64", "F32");
    }

    @Test
    void gradOutputOfWrongShapeIsRejected() {
        rejects(() -> ref.deformConv2dBackward(pad1, zeros(1, 2, 5, 4), zeros(1, 2, 5, 5), null, null,
                zeros(2, 2, 3, 3), null, Gradient.all()), "gradOutput", "[1, 2, 5, 5]", "[1, 2, 5, 4]");
    }

    @Test
    void missingRequiredTensorsAreRejected() {
        rejects(() -> ref.deformConv2d(pad1, null, null, null, zeros(2, 2, 3, 3), null), "input", "null");
        rejects(() -> ref.deformConv2d(pad1, zeros(1, 2, 5, 5), null, null, null, null), "weight", "null");
    }

    @Test
    void tensorDataNotMatchingItsShapeIsRejected() {
        rejects(() -> ref.tensor(DType.F64, new int[] {2, 3}, new double[5]), "data", "6 elements", "got 5");
        rejects(() -> ref.tensor(DType.F64, new int[] {-1, 3}, new double[0]), "shape", ">= 0");
    }
}
