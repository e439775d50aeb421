package dcn4j.conformance.internal;

import java.util.SplittableRandom;

/**
 * Non-finite values sprinkled into otherwise ordinary arguments, for the rule that checks DESIGN.md
 * "Non-finite values": a backend must give NaN, +∞, −∞ exactly where the reference does, and the
 * finite elements within the usual tolerance.
 */
public final class NonFinite {

    private static final double[] SPECIALS = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};

    private NonFinite() {
    }

    /**
     * A copy of {@code v} ({@code null} stays {@code null}) with up to {@code most} elements replaced by
     * NaN, +∞ or −∞, each argument touched with probability {@code chance}: most outputs stay finite,
     * so the finite part keeps being compared too.
     */
    public static double[] sprinkle(double[] v, SplittableRandom r, double chance, int most) {
        if (v == null) return null;
        double[] out = v.clone();
        if (out.length == 0 || r.nextDouble() >= chance) return out;
        int count = 1 + r.nextInt(most);
        for (int i = 0; i < count; i++) out[r.nextInt(out.length)] = SPECIALS[r.nextInt(SPECIALS.length)];
        return out;
    }

    /** Whether {@code v} holds a non-finite value. */
    public static boolean any(double[] v) {
        if (v == null) return false;
        for (double x : v) {
            if (!Double.isFinite(x)) return true;
        }
        return false;
    }
}
