package dcn4j.conformance.internal;

import dcn4j.Backend;
import dcn4j.Gradient;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.Tolerances;
import dcn4j.conformance.Verification;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;

/**
 * The magnitudes {@code Σ|terms|} behind each element of an output or gradient, for the
 * cancellation floor of {@link Tolerances#relativeError(double[], double[], double[])}. Both ops
 * are sums of products whose bilinear weights are non-negative and do not depend on the values
 * summed, so the reference run on the absolute values of input, weight, mask, bias and output
 * gradient (offsets unchanged) yields exactly those sums. Offset gradients sum slopes, differences
 * of pixels; their scale is taken as the mask gradient's magnitude at the same position (times
 * {@code |mask|}), which sums the same products with pixel values instead of differences.
 */
public final class Magnitudes {

    private Magnitudes() {
    }

    public static double[] abs(double[] v) {
        if (v == null) return null;
        double[] a = new double[v.length];
        for (int i = 0; i < v.length; i++) a[i] = Math.abs(v[i]);
        return a;
    }

    private static ConvArgs absolute(ConvArgs a) {
        return a.withInput(abs(a.input())).withWeight(abs(a.weight())).withMask(abs(a.mask()))
                .withBias(abs(a.bias())).withGradOutput(abs(a.gradOutput()));
    }

    public static double[] convForward(ConvArgs a) {
        return absolute(a).forward(OpenBackends.reference());
    }

    /** Magnitudes of every gradient of {@code a} that is present. */
    public static Map<Gradient, double[]> convBackward(ConvArgs a) {
        Backend ref = OpenBackends.reference();
        ConvArgs abs = absolute(a);
        Map<Gradient, double[]> m = new EnumMap<>(Gradient.class);
        m.putAll(abs.backward(ref, EnumSet.of(Gradient.INPUT, Gradient.WEIGHT, Gradient.MASK, Gradient.BIAS)));
        if (a.offset() != null) {
            // The mask gradient of a call with a mask of ones: Σ |go·w|·bilinear(|x|) per (n, og*kh*kw + k, y, x).
            double[] ones = new double[ConvCase.size(a.maskShape())];
            java.util.Arrays.fill(ones, 1.0);
            double[] perPoint = abs.withMask(ones).backward(ref, EnumSet.of(Gradient.MASK)).get(Gradient.MASK);
            double[] mask = abs.mask();
            int pixels = a.outputShape()[2] * a.outputShape()[3];
            double[] off = new double[a.offset().length];
            for (int i = 0; i < perPoint.length; i++) {
                int nq = i / pixels, p = i % pixels;
                double s = perPoint[i] * (mask == null ? 1 : mask[i]);
                off[(2 * nq) * pixels + p] = s;
                off[(2 * nq + 1) * pixels + p] = s;
            }
            m.put(Gradient.OFFSET, off);
        }
        return m;
    }

    public static double[] roiForward(RoiArgs a) {
        return a.withInput(abs(a.input())).forward(OpenBackends.reference());
    }

    /** Magnitude of the input gradient ({@code OFFSET}: none, the plain relative error applies). */
    public static Map<Gradient, double[]> roiBackward(RoiArgs a) {
        RoiArgs abs = a.withInput(abs(a.input())).withGradOutput(abs(a.gradOutput()));
        Map<Gradient, double[]> m = new EnumMap<>(Gradient.class);
        m.put(Gradient.INPUT, abs.backward(OpenBackends.reference(), EnumSet.of(Gradient.INPUT)).get(Gradient.INPUT));
        return m;
    }
}
