package dcn4j.conformance.internal;

import dcn4j.Backend;
import dcn4j.conformance.Verification;
import dcn4j.spi.BackendProvider;

/**
 * What the suite's machinery (hook, checks, case replay) needs from a verification class while a
 * rule runs; {@link dcn4j.conformance.Verification} implements it.
 */
public interface RuleContext {

    /** The provider of the backend under test. */
    public BackendProvider providerUnderTest();

    /** The backend under test, opened on first use. */
    public Backend backend();

    /** The name of the backend under test. */
    public String backendName();

    /** {@code deform_conv2d} or {@code deform_psroi_pool}. */
    public String op();

    /** The rule (property method) now running. */
    public String rule();

    /** Marks the start of {@code rule}: errors are recorded under it, its note is cleared. */
    public void beginRule(String rule);

    /** A line about what the running rule covered (e.g. how many cases it replayed), or {@code null}. */
    public String note();

    /** Sets the line {@link #note()} returns. */
    public void note(String note);

    /** Records {@code error} for the running rule and fails when it exceeds {@code tolerance}. */
    public void expectWithin(String what, double error, double tolerance);
}
