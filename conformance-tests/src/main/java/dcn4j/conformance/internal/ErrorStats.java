package dcn4j.conformance.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The worst error each property found on each backend, for the table the suite prints at the end
 * (DESIGN.md "The suite prints, per backend and property, the worst error found"). A property
 * records every comparison it makes; the worst is the one with the largest error-to-tolerance
 * ratio, so a property that checks forward (1e-5) and backward (1e-4) values reports the one
 * closest to failing. Thread-safe.
 */
public final class ErrorStats {

    /** One backend's property: {@code op} is {@code deform_conv2d} or {@code deform_psroi_pool}. */
    public record Key(String backend, String op, String rule) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = backend.compareTo(o.backend);
            if (c == 0) c = op.compareTo(o.op);
            return c != 0 ? c : rule.compareTo(o.rule);
        }
    }

    /** The worst comparison of a property: its error, the tolerance it was held to, and how many comparisons ran. */
    public record Worst(double error, double tolerance, long comparisons) {
        /** {@code error / tolerance}, with a zero tolerance meaning "must be exactly 0". */
        public double ratio() {
            if (tolerance > 0) return error / tolerance;
            return error == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
    }

    private static final Map<Key, Worst> WORST = new ConcurrentHashMap<>();

    private ErrorStats() {
    }

    /** Records one comparison of property {@code key}: {@code error} held to {@code tolerance}. */
    public static void record(Key key, double error, double tolerance) {
        double e = Double.isNaN(error) ? Double.POSITIVE_INFINITY : error;
        WORST.merge(key, new Worst(e, tolerance, 1), (a, b) -> {
            Worst worse = b.ratio() > a.ratio() ? b : a;
            return new Worst(worse.error(), worse.tolerance(), a.comparisons() + b.comparisons());
        });
    }

    /** The worst comparison recorded for {@code key}, or {@code null} if none. */
    public static Worst worst(Key key) {
        return WORST.get(key);
    }

    /** Forgets everything recorded for {@code backend} (before a new run on it). */
    public static void clear(String backend) {
        WORST.keySet().removeIf(k -> k.backend().equals(backend));
    }

    /** Everything recorded, sorted by backend, op and rule. */
    public static Map<Key, Worst> snapshot() {
        return new TreeMap<>(WORST);
    }
}
