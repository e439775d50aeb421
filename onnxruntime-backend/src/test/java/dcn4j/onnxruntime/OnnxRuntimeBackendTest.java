package dcn4j.onnxruntime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.ReferenceErrors;
import dcn4j.conformance.Tolerances;
import dcn4j.spi.BackendProvider;
import dcn4j.spi.Capabilities;
import org.junit.jupiter.api.Test;

/** The {@code onnxruntime} backend as a provider and a backend: declaration, priority, sessions, errors. */
class OnnxRuntimeBackendTest {

    private static OnnxRuntimeBackend open(int threads) {
        return (OnnxRuntimeBackend) Backends.open(OnnxRuntimeProvider.NAME, BackendOptions.defaults().withThreads(threads));
    }

    @Test
    void isFoundAvailableAndNeverTheDefault() {
        BackendProvider p = Backends.provider(OnnxRuntimeProvider.NAME);
        assertTrue(p.availability().available(), p.availability().reason());
        for (BackendProvider other : Backends.providers()) {
            if (other != p && other.getClass().getName().startsWith("dcn4j.")
                    && !other.getClass().getPackageName().equals("dcn4j.onnxruntime")) {
                assertTrue(other.priority() > p.priority(), other.name() + " ranks above onnxruntime");
            }
        }
        assertFalse(Backends.providers().getFirst().name().equals(OnnxRuntimeProvider.NAME));
    }

    @Test
    void declaresForwardDeformConv2dInF32Only() {
        Capabilities c = Backends.provider(OnnxRuntimeProvider.NAME).capabilities();
        assertTrue(c.supports(Capabilities.Operation.DEFORM_CONV2D_FORWARD));
        assertFalse(c.supports(Capabilities.Operation.DEFORM_CONV2D_BACKWARD));
        assertFalse(c.supports(Capabilities.Operation.DEFORM_PSROI_POOL_FORWARD));
        assertFalse(c.supports(Capabilities.Operation.DEFORM_PSROI_POOL_BACKWARD));
        assertTrue(c.supports(DType.F32));
        assertFalse(c.supports(DType.F64));
        assertEquals("deform_conv2d forward; F32; border torchvision; without non-finite propagation", c.toString());
        assertTrue(c.supports(DeformConv2dSpec.Border.TORCHVISION));
        assertFalse(c.supports(DeformConv2dSpec.Border.DCNV1));
    }

    @Test
    void undeclaredOperationsSaySoInsteadOfComputingSomething() {
        try (Backend b = open(1)) {
            Tensor x = b.tensor(new int[] {1, 1, 2, 2}, new float[4]);
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> b.deformConv2dBackward(DeformConv2dSpec.defaults(), x, x, null, null, x, null,
                            Gradient.all()));
            assertTrue(e.getMessage().contains("deform_conv2d backward") && e.getMessage().contains("declares"),
                    e.getMessage());
            DeformPsRoiPoolSpec ps = new DeformPsRoiPoolSpec(1, 1, 1, 1, 1, 1, 0.1);
            assertThrows(UnsupportedOperationException.class, () -> b.deformPsRoiPool(ps, x, x, null));
        }
    }

    @Test
    void theDcnv1BorderRuleIsRefusedNotComputedWithTorchvisionsRule() {
        try (Backend b = open(1)) {
            Tensor x = b.tensor(new int[] {1, 1, 2, 2}, new float[4]);
            Tensor w = b.tensor(new int[] {1, 1, 1, 1}, new float[] {1});
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> b.deformConv2d(DeformConv2dSpec.defaults().withBorder(DeformConv2dSpec.Border.DCNV1), x,
                            null, null, w, null));
            assertTrue(e.getMessage().contains("border DCNV1") && e.getMessage().contains("declares"),
                    e.getMessage());
        }
    }

    /** ONNX's pads [top, left, bottom, right] go to ONNX Runtime as they are; ONNX Runtime's tests use [1, 0, 0, 1]. */
    @Test
    void asymmetricPadsMatchTheReference() {
        try (OnnxRuntimeBackend b = open(1)) {
            for (DeformConv2dSpec spec : new DeformConv2dSpec[] {DeformConv2dSpec.defaults().withPadding(1, 0, 0, 1),
                    DeformConv2dSpec.defaults().withPadding(2, 0, 1, 3).withStride(2, 1)}) {
                ConvCase c = new ConvCase(2, 4, 6, 5, 3, 3, 2, spec, true, true, true, ConvCase.OffsetStyle.MIXED, 4);
                double err = ReferenceErrors.forward(c, c.forward(b));
                assertTrue(err <= Tolerances.FORWARD, c + ": " + err);
            }
        }
    }

    @Test
    void oneSessionPerCallShapeReusedAcrossCalls() {
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        ConvCase a = new ConvCase(2, 4, 6, 5, 3, 3, 3, spec, true, true, true, ConvCase.OffsetStyle.SMALL, 1);
        ConvCase sameShape = new ConvCase(2, 4, 6, 5, 3, 3, 3, spec, true, true, true, ConvCase.OffsetStyle.MIXED, 2);
        ConvCase noMask = new ConvCase(2, 4, 6, 5, 3, 3, 3, spec, true, false, true, ConvCase.OffsetStyle.SMALL, 3);
        try (OnnxRuntimeBackend b = open(2)) {
            for (ConvCase c : new ConvCase[] {a, sameShape, a, noMask, noMask}) {
                double err = ReferenceErrors.forward(c, c.forward(b));
                assertTrue(err <= Tolerances.FORWARD, c + ": " + err);
            }
            assertEquals(2, b.sessionsCreated(), "one session with a mask, one without");
        }
    }

    @Test
    void noOffsetIsPlainConvolutionAndBadInputNamesTheArgument() {
        DeformConv2dSpec spec = new DeformConv2dSpec(2, 1, 1, 0, 1, 2, 2, 1);
        ConvCase plain = new ConvCase(1, 4, 7, 6, 4, 3, 2, spec, false, false, true, ConvCase.OffsetStyle.ZERO, 4);
        try (Backend b = open(1)) {
            assertTrue(ReferenceErrors.forward(plain, plain.forward(b)) <= Tolerances.FORWARD);
            Tensor[] t = plain.tensors(b);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.deformConv2d(spec.withGroups(3), t[0], null, null, t[3], t[4]));
            assertTrue(e.getMessage().startsWith("groups"), e.getMessage());
        }
    }
}
