package dcn4j.conformance;

import dcn4j.Gradient;
import dcn4j.conformance.internal.ConvArgs;
import dcn4j.conformance.internal.Magnitudes;
import dcn4j.conformance.internal.RoiArgs;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * The suite's own error measure of a backend's result on a {@link ConvCase} or {@link RoiPoolCase}
 * against the float64 reference, for a backend's hand-written tests: exactly what
 * {@code conv01}/{@code conv02} and {@code pool01}/{@code pool02} compute and hold to
 * {@link Tolerances#FORWARD} and {@link Tolerances#BACKWARD} (norm-relative, with the cancellation
 * floor of {@link Tolerances#relativeError(double[], double[], double[])}).
 */
public final class ReferenceErrors {

    private ReferenceErrors() {
    }

    /** The error of {@code actual}, a backend's forward output of {@code c}. */
    public static double forward(ConvCase c, double[] actual) {
        ConvArgs a = ConvArgs.of(c);
        return Tolerances.relativeError(actual, a.forward(Verification.reference()), Magnitudes.convForward(a));
    }

    /**
     * The error of each gradient of {@code actual} (a backend's gradients of {@code c}) for the
     * arguments {@code c} has; a gradient that is missing or of the wrong length counts as {@code +∞}.
     */
    public static Map<Gradient, Double> backward(ConvCase c, Map<Gradient, double[]> actual) {
        ConvArgs a = ConvArgs.of(c);
        Set<Gradient> present = presentIn(a, actual.keySet());
        Map<Gradient, double[]> want = a.backward(Verification.reference(), present);
        Map<Gradient, double[]> magnitude = Magnitudes.convBackward(a);
        Map<Gradient, Double> errors = new EnumMap<>(Gradient.class);
        for (Gradient g : present) errors.put(g, error(actual.get(g), want.get(g), magnitude.get(g)));
        return errors;
    }

    /** The error of {@code actual}, a backend's forward output of {@code c} (meaningful when {@link RoiPoolCase#f32Safe()}). */
    public static double forward(RoiPoolCase c, double[] actual) {
        RoiArgs a = RoiArgs.of(c);
        return Tolerances.relativeError(actual, a.forward(Verification.reference()), Magnitudes.roiForward(a));
    }

    /** The error of each gradient (input, offset) of {@code actual} for the arguments {@code c} has. */
    public static Map<Gradient, Double> backward(RoiPoolCase c, Map<Gradient, double[]> actual) {
        RoiArgs a = RoiArgs.of(c);
        Set<Gradient> present = java.util.EnumSet.noneOf(Gradient.class);
        for (Gradient g : actual.keySet()) if (a.array(g) != null) present.add(g);
        Map<Gradient, double[]> want = a.backward(Verification.reference(), present);
        Map<Gradient, double[]> magnitude = Magnitudes.roiBackward(a);
        Map<Gradient, Double> errors = new EnumMap<>(Gradient.class);
        for (Gradient g : present) errors.put(g, error(actual.get(g), want.get(g), magnitude.get(g)));
        return errors;
    }

    private static Set<Gradient> presentIn(ConvArgs a, Set<Gradient> asked) {
        Set<Gradient> present = java.util.EnumSet.noneOf(Gradient.class);
        for (Gradient g : asked) if (a.array(g) != null) present.add(g);
        return present;
    }

    private static double error(double[] actual, double[] expected, double[] magnitude) {
        if (actual == null || expected == null || actual.length != expected.length) return Double.POSITIVE_INFINITY;
        return Tolerances.relativeError(actual, expected, magnitude);
    }
}
