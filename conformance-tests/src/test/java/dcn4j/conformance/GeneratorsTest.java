package dcn4j.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The generators reach the edges the issue lists on purpose, and keep F32 comparisons meaningful. */
class GeneratorsTest {

    private static final int SAMPLES = 3000;

    private static <T> void reaches(List<T> cases, String edge, Predicate<T> p) {
        assertTrue(cases.stream().anyMatch(p), "no generated case has " + edge);
    }

    @Test
    void convolutionCasesCoverTheEdges() {
        List<ConvCase> cs = ConvCases.cases().sampleStream().limit(SAMPLES).toList();
        reaches(cs, "a 1x1 image", c -> c.height() == 1 && c.width() == 1);
        reaches(cs, "a 1x1 kernel", c -> c.kernelH() == 1 && c.kernelW() == 1);
        reaches(cs, "a non-square image, kernel and stride",
                c -> c.height() != c.width() && c.kernelH() != c.kernelW() && c.spec().strideH() != c.spec().strideW());
        reaches(cs, "stride larger than the kernel", c -> c.spec().strideH() > c.kernelH());
        reaches(cs, "dilation > 1", c -> c.spec().dilationH() > 1 || c.spec().dilationW() > 1);
        reaches(cs, "groups and offset groups together, different",
                c -> c.spec().groups() > 1 && c.spec().offsetGroups() > 1 && c.spec().groups() != c.spec().offsetGroups());
        reaches(cs, "padding", c -> c.spec().padTop() > 0);
        reaches(cs, "asymmetric padding (ONNX pads)", c -> !c.spec().symmetricPadding());
        reaches(cs, "the DCNv1 border rule", c -> c.spec().border() == dcn4j.DeformConv2dSpec.Border.DCNV1);
        reaches(cs, "the DCNv1 border rule with samples on and past the last row",
                c -> c.spec().border() == dcn4j.DeformConv2dSpec.Border.DCNV1 && c.hasOffset()
                        && c.spec().padBottom() > 0);
        reaches(cs, "no offset (plain convolution)", c -> !c.hasOffset());
        reaches(cs, "a mask (DCNv2)", ConvCase::hasMask);
        reaches(cs, "no mask (DCNv1)", c -> c.hasOffset() && !c.hasMask());
        reaches(cs, "samples far outside the image", c -> c.hasOffset() && max(c.offset()) > c.height() + 2);
        reaches(cs, "exact integer offsets", c -> c.hasOffset() && anyFraction(c.offset(), 0.0, true));
        reaches(cs, "exact half-integer offsets", c -> c.hasOffset() && anyFraction(c.offset(), 0.5, false));
        reaches(cs, "an empty batch", c -> c.batch() == 0);
        assertTrue(cs.stream().noneMatch(c -> c.hasOffset() && nearInteger(c.offset())),
                "the forward rules' cases keep offsets away from cell edges");
        reaches(ConvCases.casesNearCellEdges().sampleStream().limit(SAMPLES).toList(),
                "offsets within 1e-6 of an integer (backward rules)", c -> c.hasOffset() && nearInteger(c.offset()));
        reaches(cs, "a sample exactly on the row -1 (the border line of bilinear())", c -> samplesOn(c, true, -1));
        reaches(cs, "a sample exactly on the column W", c -> samplesOn(c, false, c.width()));
        reaches(cs, "under the DCNv1 border rule, a sample exactly on row 0 (where it jumps)",
                c -> c.spec().border() == dcn4j.DeformConv2dSpec.Border.DCNV1 && samplesOn(c, true, 0));
        reaches(cs, "under the DCNv1 border rule, a sample exactly on the last column (where blending stops)",
                c -> c.spec().border() == dcn4j.DeformConv2dSpec.Border.DCNV1 && c.width() > 1
                        && samplesOn(c, false, c.width() - 1));
        for (ConvCase c : cs) {
            if (!c.hasOffset()) continue;
            for (float v : c.offset()) {
                double f = v - Math.floor(v);
                // Near an edge only on purpose (NEAR_INTEGER, within 1e-6: cells must be float64's on every
                // backend), never by accident of a fractional draw.
                assertTrue(f == 0 || f == 0.5 || (f > 0.005 && f < 0.995) || f < 1.1e-6 || f > 1 - 1.1e-6,
                        "offset " + v + " within float rounding of a cell edge in " + c);
            }
        }
    }

    @Test
    void poolingCasesCoverTheEdges() {
        List<RoiPoolCase> cs = RoiPoolCases.cases().sampleStream().limit(SAMPLES).toList();
        reaches(cs, "an empty RoI list", c -> c.roiCount() == 0);
        reaches(cs, "group size 1 (deformable RoI pooling)", c -> c.spec().groupSize() == 1);
        reaches(cs, "position-sensitive pooling", c -> c.spec().groupSize() > 1);
        reaches(cs, "a 1x1 feature map", c -> c.height() == 1 && c.width() == 1);
        reaches(cs, "no_trans", c -> !c.hasOffset());
        reaches(cs, "several offset classes", c -> c.hasOffset() && c.numClasses() > 1);
        reaches(cs, "more part cells than bins", c -> c.spec().partSize() > c.spec().pooledSize());
        reaches(cs, "a tiny RoI", c -> anyRoi(c, r -> Math.abs(r[3] - r[1]) < 1 && r[3] >= r[1]));
        reaches(cs, "an inverted RoI", c -> anyRoi(c, r -> r[3] < r[1] - 1));
        reaches(cs, "a RoI far outside", c -> anyRoi(c, r -> r[1] * c.spec().spatialScale() > c.width() + 2));
        reaches(cs, "a corner k + 0.5 with k even (half-to-even rounds it down, C round up)",
                c -> anyRoi(c, r -> r[1] - Math.floor(r[1]) == 0.5 && ((long) Math.floor(r[1])) % 2 == 0));
        reaches(cs, "a negative half-integer corner", c -> anyRoi(c, r -> r[1] < 0 && r[1] - Math.floor(r[1]) == 0.5));
        reaches(cs, "a fractional batch index", c -> anyRoi(c, r -> r[0] != Math.floor(r[0])));
        long safe = cs.stream().filter(RoiPoolCase::f32Safe).count();
        assertTrue(safe > 0.9 * SAMPLES, "F32-comparable cases: " + safe + " of " + SAMPLES);
    }

    @Test
    void largeCasesAreLargeEnoughToSplitAcrossThreads() {
        for (ConvCase c : ConvCases.large().sampleStream().limit(200).toList()) {
            assertTrue(c.batch() >= 2 && c.height() >= 16 && c.width() >= 16 && c.outChannels() >= 3, c.toString());
        }
        for (RoiPoolCase c : RoiPoolCases.large().sampleStream().limit(200).toList()) {
            assertTrue(c.roiCount() >= 8 && c.height() >= 8, c.toString());
        }
    }

    /** Whether some sampling row ({@code rows}) or column of {@code c} lies exactly on {@code line}. */
    private static boolean samplesOn(ConvCase c, boolean rows, int line) {
        if (!c.hasOffset()) return false;
        float[] off = c.offset();
        int k = c.kernelH() * c.kernelW(), og = c.spec().offsetGroups(), pixels = c.outH() * c.outW();
        for (int n = 0; n < c.batch(); n++) {
            for (int q = 0; q < og * k; q++) {
                int i = (q % k) / c.kernelW(), j = (q % k) % c.kernelW();
                for (int y = 0; y < c.outH(); y++) {
                    for (int x = 0; x < c.outW(); x++) {
                        int at = ((n * 2 * og * k) + 2 * q + (rows ? 0 : 1)) * pixels + y * c.outW() + x;
                        double p = rows ? y * c.spec().strideH() - c.spec().padTop() + i * c.spec().dilationH() + off[at]
                                : x * c.spec().strideW() - c.spec().padLeft() + j * c.spec().dilationW() + off[at];
                        if (p == line) return true;
                    }
                }
            }
        }
        return false;
    }

    private static double max(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    private static boolean anyFraction(float[] v, double fraction, boolean nonZero) {
        for (float x : v) {
            if (x - Math.floor(x) == fraction && (!nonZero || x != 0)) return true;
        }
        return false;
    }

    private static boolean anyRoi(RoiPoolCase c, Predicate<float[]> p) {
        float[] r = c.rois();
        for (int i = 0; i < c.roiCount(); i++) {
            if (p.test(java.util.Arrays.copyOfRange(r, i * 5, i * 5 + 5))) return true;
        }
        return false;
    }

    private static boolean nearInteger(float[] v) {
        for (float x : v) {
            double f = x - Math.floor(x);
            if (f != 0 && (f < 1.1e-6 || f > 1 - 1.1e-6)) return true;
        }
        return false;
    }
}
