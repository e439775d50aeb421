package dcn4j.conformance.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * What one property did on one backend, as {@link ConformanceHook} saw it.
 *
 * @param status     {@code PASSED}, {@code FAILED}, {@code SKIPPED} or {@code NOT_SUPPORTED} (by the backend's
 *                   declared capabilities)
 * @param tries      tries run (including the failing one)
 * @param seed       the jqwik seed that replays the run ({@code --seed})
 * @param sample     the (shrunk) falsifying case, {@code null} unless failed
 * @param message    the failure or skip reason, {@code null} when passed
 * @param seconds    wall time
 * @param note       what the property covered, beyond its tries, or {@code null}
 */
public record Outcome(String backend, String op, String rule, Status status, int tries, String seed, Object sample,
               String message, double seconds, String note) {

    public enum Status { PASSED, FAILED, SKIPPED, NOT_SUPPORTED }

    private static final List<Outcome> LOG = new ArrayList<>();

    public static synchronized void add(Outcome o) {
        LOG.add(o);
    }

    /** Everything recorded since the last call, in order; clears the log. */
    public static synchronized List<Outcome> drain() {
        List<Outcome> all = new ArrayList<>(LOG);
        LOG.clear();
        return all;
    }
}
