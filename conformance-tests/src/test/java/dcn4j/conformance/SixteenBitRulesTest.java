package dcn4j.conformance;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.conformance.internal.SixteenBit;
import dcn4j.spi.BackendProvider;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The 16-bit rules (conv13, pool12) pass a correct 16-bit backend and catch each planted 16-bit bug
 * ({@link SixteenBitMutant}), on fixed cases; and their bound is the one DESIGN.md "16-bit tensors" derives.
 */
class SixteenBitRulesTest {

    private static List<ConvCase> convCases() {
        List<ConvCase> l = new ArrayList<>();
        l.add(new ConvCase(2, 4, 7, 6, 4, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 2, 2), true, true, true,
                ConvCase.OffsetStyle.MIXED, 11));
        l.add(new ConvCase(1, 3, 5, 5, 2, 2, 3, new DeformConv2dSpec(2, 1, 0, 1, 1, 2, 1, 1), true, false, false,
                ConvCase.OffsetStyle.SMALL, 12));
        l.add(new ConvCase(1, 2, 4, 4, 2, 1, 1, DeformConv2dSpec.defaults(), false, false, true,
                ConvCase.OffsetStyle.ZERO, 13));
        return l;
    }

    private static List<RoiPoolCase> poolCases() {
        List<RoiPoolCase> l = new ArrayList<>();
        l.add(new RoiPoolCase(2, 8, 9, 3, 2, new DeformPsRoiPoolSpec(0.5, 4, 2, 2, 2, 2, 0.1),
                RoiPoolCase.OffsetStyle.SMALL, RoiPoolCase.RoiStyle.INTEGER, 21));
        l.add(new RoiPoolCase(1, 6, 6, 2, 1, new DeformPsRoiPoolSpec(1, 2, 1, 2, 2, 2, 0.2),
                RoiPoolCase.OffsetStyle.NONE, RoiPoolCase.RoiStyle.INTEGER, 22));
        return l;
    }

    private static DeformConv2dVerification conv(SixteenBitMutant.Bug bug) {
        BackendProvider p = new SixteenBitMutant.Provider(bug);
        return new DeformConv2dVerification() {
            @Override
            protected BackendProvider provider() {
                return p;
            }
        };
    }

    private static DeformPsRoiPoolVerification pool(SixteenBitMutant.Bug bug) {
        BackendProvider p = new SixteenBitMutant.Provider(bug);
        return new DeformPsRoiPoolVerification() {
            @Override
            protected BackendProvider provider() {
                return p;
            }
        };
    }

    @Test
    void correctSixteenBitBackendPassesBothRulesInBothDtypes() {
        for (DType d : new DType[] {DType.F16, DType.BF16}) {
            for (ConvCase c : convCases()) {
                assertDoesNotThrow(() -> conv(SixteenBitMutant.Bug.NONE)
                        .conv13_sixteenBitResultsMatchReferenceWithinRounding(c, d), d + " " + c);
            }
            for (RoiPoolCase c : poolCases()) {
                assertDoesNotThrow(() -> pool(SixteenBitMutant.Bug.NONE)
                        .pool12_sixteenBitResultsMatchReferenceWithinRounding(c, d), d + " " + c);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = SixteenBitMutant.Bug.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void everyPlantedSixteenBitBugFailsBothRules(SixteenBitMutant.Bug bug) {
        DType d = DType.F16; // every bug shows in F16 (one is F16 only)
        ConvCase c = convCases().get(0);
        assertThrows(AssertionError.class,
                () -> conv(bug).conv13_sixteenBitResultsMatchReferenceWithinRounding(c, d), bug.toString());
        RoiPoolCase p = poolCases().get(0);
        assertThrows(AssertionError.class,
                () -> pool(bug).pool12_sixteenBitResultsMatchReferenceWithinRounding(p, d), bug.toString());
    }

    @Test
    void toleranceIsFloat32BudgetPlusOneRoundingPlusSubnormalSlack() {
        double[] y = {3, 4};                          // ‖y‖ = 5, two elements
        double t = SixteenBit.tolerance(DType.F16, 1e-5, y, null);
        assertEquals(1e-5 + 0x1p-11 * (1 + 1e-5) + 0x1p-25 * Math.sqrt(2) / 5, t, 1e-18);
        // The cancellation floor raises the denominator exactly as in Tolerances.relativeError.
        double floored = SixteenBit.tolerance(DType.BF16, 1e-4, y, new double[] {3 * 320, 4 * 320});
        assertEquals(1e-4 + 0x1p-8 * (1 + 1e-4) + 0x1p-134 * Math.sqrt(2) / 50, floored, 1e-18);
        // An all-zero reference: the relative error is the absolute norm, bounded by the subnormal slack.
        assertEquals(1e-5 + 0x1p-11 * (1 + 1e-5) + 0x1p-25 * Math.sqrt(2),
                SixteenBit.tolerance(DType.F16, 1e-5, new double[] {0, 0}, null), 1e-18);
    }
}
