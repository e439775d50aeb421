/**
 * The dcn4j conformance suite: what a user runs on a new machine or device to know that a backend
 * computes what the float64 reference computes (DESIGN.md "Conformance suite").
 *
 * <h2>Applying it to a backend</h2>
 * Like a TCK, the suite is a library of abstract verification classes; a backend's test subclasses
 * them and names its provider:
 * <pre>{@code
 * class MyBackendConformanceTest {
 *     @Group class DeformConv2d extends DeformConv2dVerification {
 *         @Override protected BackendProvider provider() { return Backends.provider("mine"); }
 *     }
 *     @Group class DeformPsRoiPool extends DeformPsRoiPoolVerification {
 *         @Override protected BackendProvider provider() { return Backends.provider("mine"); }
 *     }
 * }
 * }</pre>
 * An unavailable provider skips every property with its reason (fails them when {@code CI=true}).
 * System properties: {@code dcn4j.conformance.tries} (tries of an ordinary property, default 40;
 * finite differences run a quarter, determinism half as many), {@code dcn4j.conformance.seed}
 * (replay), {@code dcn4j.conformance.cases} (case folder, default {@code ./cases} or
 * {@code ../cases}), {@code dcn4j.conformance.shrink}.
 *
 * <h2>The rules</h2>
 * {@link dcn4j.conformance.DeformConv2dVerificationRules} and
 * {@link dcn4j.conformance.DeformPsRoiPoolVerificationRules} list them; each method name starts
 * with the number of the DESIGN.md property it checks: 1 forward vs reference, 2 backward vs
 * reference, 3 reference vs finite differences, 4 identities, 5 adjoint, 6 bad input,
 * 7 determinism and threads, 8 case replay. Errors are norm-relative
 * ({@link dcn4j.conformance.Tolerances}), F32 backends computing on the very float values the
 * reference computes on in F64.
 *
 * <h2>Running it</h2>
 * {@link dcn4j.conformance.ConformanceRunner} runs the whole suite on one backend through the JUnit
 * Platform launcher and prints a line per property and a final table; {@code dcn4j conformance}
 * does that for every backend found.
 */
package dcn4j.conformance;
