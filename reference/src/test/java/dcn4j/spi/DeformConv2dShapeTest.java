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
                zeros(2, 2, 3, 3), null), "output size", "expected >= 1 along H", "kh-1)+1 = 1*(3-1)+1 = 3",
                "padded input H + padTop + padBottom = 2");
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

    // Issue 11 item 5: geometry near Integer.MAX_VALUE is computed in long and refused, never wrapped.

    @Test
    void dilationNearIntMaxIsRejectedNotWrappedAround() {
        // Was: shape [1, 1, 7, 5] of real pixels (the dilated extent 2*MAX+1 wrapped to -1).
        rejects(() -> ref.deformConv2d(DeformConv2dSpec.defaults().withDilation(Integer.MAX_VALUE, 1),
                zeros(1, 1, 5, 5), null, null, zeros(1, 1, 3, 1), null), "output size", "dilationH",
                "= 4294967295 exceeds the padded input H + padTop + padBottom = 5");
    }

    @Test
    void paddingNearIntMaxIsRejectedNamingThePadding() {
        // Was: "expected >= 1x1, got -2094967295x1".
        rejects(() -> ref.deformConv2d(DeformConv2dSpec.defaults().withPadding(1_100_000_000, 0), zeros(1, 1, 5, 5),
                null, null, zeros(1, 1, 3, 1), null), "padTop, padBottom", "<= 2147483647",
                "5 + 1100000000 + 1100000000 = 2200000005");
        rejects(() -> ref.deformConv2d(DeformConv2dSpec.defaults().withPadding(0, 0, 0, Integer.MAX_VALUE),
                zeros(1, 1, 5, 5), null, null, zeros(1, 1, 1, 1), null), "padLeft, padRight", "= 2147483652");
    }

    @Test
    void paddedInputUpToIntMaxIsAcceptedWhenTheOutputFits() {
        // H + padTop + padBottom = 2^31 - 1 exactly, stride 2^30: two output rows, sampling coordinates
        // y*sh - padTop + i*dh within int (the bound the backends' index arithmetic relies on).
        int pad = (Integer.MAX_VALUE - 5) / 2;
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(pad, 0, Integer.MAX_VALUE - 5 - pad, 0)
                .withStride(1 << 30, 1);
        DeformConv2dShape s = DeformConv2dShape.of("reference", spec, zeros(1, 1, 5, 5), null, null,
                zeros(1, 1, 3, 1), null);
        assertEquals(2, s.outHeight());
        assertEquals(5, s.outWidth());
    }

    @Test
    void specOutputSizeIsExactInLongAndRefusedAboveInt() {
        DeformConv2dSpec huge = DeformConv2dSpec.defaults().withPadding(1_100_000_000, 0);
        assertEquals(2_200_000_003L, huge.outputHeight(5L, 3L));
        rejects(() -> huge.outputHeight(5, 3), "padTop + padBottom", "got 2200000003");
        assertEquals(-4_294_967_289L, DeformConv2dSpec.defaults().withDilation(Integer.MAX_VALUE, 1)
                .outputHeight(5L, 3L));
        assertEquals(0, DeformConv2dSpec.defaults().withDilation(Integer.MAX_VALUE, 1).outputHeight(5, 3));
    }

    // Issue 13 item 2: ONNX pads [top, left, bottom, right].

    @Test
    void asymmetricPaddingSizesTheOutputFromBothSides() {
        DeformConv2dSpec onnx = DeformConv2dSpec.defaults().withPadding(1, 0, 0, 1);
        assertEquals(new DeformConv2dSpec(1, 1, 1, 0, 0, 1, 1, 1, 1, 1, DeformConv2dSpec.Border.TORCHVISION), onnx);
        DeformConv2dShape s = DeformConv2dShape.of("reference", onnx.withPadding(2, 0, 1, 3), zeros(1, 1, 5, 6),
                zeros(1, 18, 6, 7), null, zeros(1, 1, 3, 3), null);
        assertEquals(6, s.outHeight()); // 5 + 2 + 1 - 3 + 1
        assertEquals(7, s.outWidth());  // 6 + 0 + 3 - 3 + 1
        assertTrue(DeformConv2dSpec.defaults().withPadding(2, 1).symmetricPadding());
        assertTrue(!onnx.symmetricPadding());
        rejects(() -> onnx.withPadding(0, 0, -1, 0), "padBottom", ">= 0", "got -1");
        rejects(() -> onnx.withPadding(0, 0, 0, -2), "padRight", ">= 0", "got -2");
    }

    @Test
    void borderRuleIsRequiredAndTorchvisionByDefault() {
        assertEquals(DeformConv2dSpec.Border.TORCHVISION, DeformConv2dSpec.defaults().border());
        assertEquals(DeformConv2dSpec.Border.DCNV1,
                DeformConv2dSpec.defaults().withBorder(DeformConv2dSpec.Border.DCNV1).withPadding(1, 1).border());
        rejects(() -> DeformConv2dSpec.defaults().withBorder(null), "border", "null");
    }
}
