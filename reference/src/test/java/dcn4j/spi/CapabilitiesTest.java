package dcn4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.BackendOptions;
import dcn4j.DType;
import dcn4j.reference.ReferenceProvider;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a provider declares: everything by default; a narrower declaration says exactly what. */
class CapabilitiesTest {

    @Test
    void providersDeclareEverythingUnlessTheySayOtherwise() {
        Capabilities c = new ReferenceProvider().capabilities();
        assertTrue(c.isEverything());
        for (Capabilities.Operation op : Capabilities.Operation.values()) assertTrue(c.supports(op), op.name());
        for (DType d : DType.values()) assertTrue(c.supports(d), d.name());
        assertEquals("everything", c.toString());
        BackendProvider minimal = new BackendProvider() {
            public String name() {
                return "minimal";
            }

            public int priority() {
                return 0;
            }

            public Availability availability() {
                return Availability.yes();
            }

            public dcn4j.Backend open(BackendOptions options) {
                throw new IllegalStateException("not opened in this test");
            }
        };
        assertTrue(minimal.capabilities().isEverything(), "the SPI's default");
    }

    @Test
    void aNarrowDeclarationNamesItsOperationsAndTypes() {
        Capabilities c = Capabilities.of(EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD,
                Capabilities.Operation.DEFORM_PSROI_POOL_BACKWARD), EnumSet.of(DType.F32));
        assertFalse(c.isEverything());
        assertTrue(c.supports(Capabilities.Operation.DEFORM_CONV2D_FORWARD));
        assertFalse(c.supports(Capabilities.Operation.DEFORM_CONV2D_BACKWARD));
        assertFalse(c.supports(DType.F64));
        assertEquals("deform_conv2d forward, deform_psroi_pool backward; F32", c.toString());
        assertEquals("deform_psroi_pool forward", Capabilities.Operation.DEFORM_PSROI_POOL_FORWARD.label());
    }

    @Test
    void aDeclarationIsImmutableAndNeverEmpty() {
        Set<Capabilities.Operation> ops = EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD);
        Capabilities c = Capabilities.of(ops, EnumSet.of(DType.F32));
        ops.add(Capabilities.Operation.DEFORM_CONV2D_BACKWARD);
        assertFalse(c.supports(Capabilities.Operation.DEFORM_CONV2D_BACKWARD), "a copy, not a view");
        assertThrows(UnsupportedOperationException.class, () -> c.operations().clear());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Capabilities.of(EnumSet.noneOf(Capabilities.Operation.class), EnumSet.of(DType.F32)));
        assertTrue(e.getMessage().startsWith("operations: expected at least one"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Capabilities.of(EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD), Set.of()));
        assertTrue(e.getMessage().startsWith("dtypes: expected at least one"), e.getMessage());
    }

    @Test
    void aDeclarationMayNarrowTheBorderRules() {
        Capabilities everyBorder = Capabilities.of(EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD),
                EnumSet.of(DType.F32));
        assertTrue(everyBorder.supports(dcn4j.DeformConv2dSpec.Border.DCNV1), "every border rule unless narrowed");
        Capabilities onnx = Capabilities.of(EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD),
                EnumSet.of(DType.F32), EnumSet.of(dcn4j.DeformConv2dSpec.Border.TORCHVISION));
        assertFalse(onnx.supports(dcn4j.DeformConv2dSpec.Border.DCNV1));
        assertEquals("deform_conv2d forward; F32; border torchvision", onnx.toString());
        assertFalse(Capabilities.of(EnumSet.allOf(Capabilities.Operation.class), EnumSet.allOf(DType.class),
                EnumSet.of(dcn4j.DeformConv2dSpec.Border.TORCHVISION)).isEverything());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Capabilities.of(EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD), EnumSet.of(DType.F32),
                        Set.of()));
        assertTrue(e.getMessage().startsWith("borders: expected at least one"), e.getMessage());
    }

    @Test
    void aDeclarationMayWithholdAGuaranteeAndSaysSo() {
        Capabilities everything = Capabilities.all();
        assertTrue(everything.supports(Capabilities.Guarantee.NON_FINITE_PROPAGATION), "kept unless withheld");
        Capabilities narrowBorders = Capabilities.of(EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD),
                EnumSet.of(DType.F32), EnumSet.of(dcn4j.DeformConv2dSpec.Border.TORCHVISION));
        assertTrue(narrowBorders.supports(Capabilities.Guarantee.NON_FINITE_PROPAGATION), "kept unless withheld");
        Capabilities onnx = Capabilities.of(EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD),
                EnumSet.of(DType.F32), EnumSet.of(dcn4j.DeformConv2dSpec.Border.TORCHVISION),
                EnumSet.noneOf(Capabilities.Guarantee.class));
        assertFalse(onnx.supports(Capabilities.Guarantee.NON_FINITE_PROPAGATION));
        assertEquals("deform_conv2d forward; F32; border torchvision; without non-finite propagation", onnx.toString());
        assertFalse(Capabilities.of(EnumSet.allOf(Capabilities.Operation.class), EnumSet.allOf(DType.class),
                EnumSet.allOf(dcn4j.DeformConv2dSpec.Border.class), Set.of()).isEverything());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Capabilities.of(EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD), EnumSet.of(DType.F32),
                        EnumSet.allOf(dcn4j.DeformConv2dSpec.Border.class), null));
        assertTrue(e.getMessage().startsWith("guarantees: expected a set"), e.getMessage());
    }
}
