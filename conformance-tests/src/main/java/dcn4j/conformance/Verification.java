package dcn4j.conformance;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.conformance.internal.ErrorStats;
import dcn4j.conformance.internal.OpenBackends;
import dcn4j.conformance.internal.RuleContext;
import dcn4j.spi.BackendProvider;
import dcn4j.spi.Capabilities;
import java.util.Locale;

/**
 * What every verification class shares: the backend under test, named by the subclass through
 * {@link #provider()}, and the bookkeeping of errors per rule. Subclass
 * {@link DeformConv2dVerification} and {@link DeformPsRoiPoolVerification}, not this class.
 *
 * <p>The backend is opened once per provider and options and shared by all properties of a run.
 * When the provider is unavailable each property is skipped with the provider's reason, or fails
 * when the environment variable {@code CI} is {@code true}.
 */
public abstract class Verification implements RuleContext {

    /** The rule (property method) now running; set by the suite's hook. */
    private volatile String rule = "unknown";

    /** A line about what the running property covered (e.g. how many cases it replayed), or {@code null}. */
    private volatile String note;

    Verification() {
    }

    /** The provider of the backend under test, e.g. {@code Backends.provider("vector")}. */
    protected abstract BackendProvider provider();

    /** How to open it; by default {@link BackendOptions#defaults()}. */
    protected BackendOptions options() {
        return BackendOptions.defaults();
    }

    /** The backend under test, opened on first use. */
    @Override
    public final Backend backend() {
        return OpenBackends.get(provider(), options());
    }

    @Override
    public final BackendProvider providerUnderTest() {
        return provider();
    }

    @Override
    public final String backendName() {
        return provider().name();
    }

    @Override
    public final String rule() {
        return rule;
    }

    @Override
    public final void beginRule(String rule) {
        this.rule = rule;
        this.note = null;
    }

    @Override
    public final String note() {
        return note;
    }

    @Override
    public final void note(String note) {
        this.note = note;
    }

    /**
     * Whether the backend under test declares {@code op} ({@link BackendProvider#capabilities()}):
     * a rule checks its optional parts only then.
     */
    protected final boolean declares(Capabilities.Operation op) {
        return provider().capabilities().supports(op);
    }

    /** The float64 reference backend: the oracle. */
    protected static Backend reference() {
        return OpenBackends.reference();
    }

    /** Records {@code error} for the running rule and fails when it exceeds {@code tolerance}. */
    @Override
    public final void expectWithin(String what, double error, double tolerance) {
        ErrorStats.record(new ErrorStats.Key(backendName(), op(), rule), error, tolerance);
        if (!(error <= tolerance)) {
            throw new AssertionError(String.format(Locale.ROOT, "%s on backend '%s': error %.3e exceeds %.0e", what,
                    backendName(), error, tolerance));
        }
    }

    /** {@link #expectWithin} for the {@link Tolerances#relativeError relative error} of two arrays. */
    protected final void expectClose(String what, double[] actual, double[] expected, double tolerance) {
        expectClose(what, actual, expected, null, tolerance);
    }

    /**
     * {@link #expectWithin} for the {@link Tolerances#relativeError(double[], double[], double[])
     * relative error} of two arrays, floored by the magnitudes {@code Σ|terms|} of the expected one
     * ({@code null}: none known).
     */
    protected final void expectClose(String what, double[] actual, double[] expected, double[] magnitude, double tolerance) {
        if (actual == null || expected == null) {
            throw new AssertionError(what + " on backend '" + backendName() + "': expected "
                    + (expected == null ? "no array" : "an array") + ", got " + (actual == null ? "none" : "one"));
        }
        if (actual.length != expected.length) {
            throw new AssertionError(what + " on backend '" + backendName() + "': expected " + expected.length
                    + " elements, got " + actual.length);
        }
        expectWithin(what, Tolerances.relativeError(actual, expected, magnitude), tolerance);
    }
}
