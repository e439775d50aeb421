/**
 * The dcn4j conformance suite: what a user runs on a new machine or device, or a vendor runs on a
 * backend dcn4j did not write, to know that it computes what the float64 reference computes
 * (DESIGN.md "Conformance suite"). Like a TCK (the Reactive Streams TCK is the model), the suite is
 * a library of abstract verification classes with one method per rule.
 *
 * <h2>Checking a backend with JUnit: subclass the verification classes</h2>
 * Depend on {@code dcn4j-conformance} (test scope) and run your tests on the JUnit Platform with
 * the jqwik engine (it comes with the dependency). Subclass {@link DeformConv2dVerification} and
 * {@link DeformPsRoiPoolVerification} and name your provider:
 * <pre>{@code
 * class MyBackendConformanceTest {
 *     @Group class DeformConv2d extends DeformConv2dVerification {
 *         @Override protected BackendProvider provider() { return new MyProvider(); }
 *     }
 *     @Group class DeformPsRoiPool extends DeformPsRoiPoolVerification {
 *         @Override protected BackendProvider provider() { return new MyProvider(); }
 *     }
 * }
 * }</pre>
 * ({@code net.jqwik.api.Group}; a top-level subclass works too.) Override
 * {@link Verification#options()} to open it with other {@link dcn4j.BackendOptions}. Every rule runs
 * as one jqwik property; a failure prints the shrunk case and the seed that replays it. An
 * unavailable provider skips every rule with its reason (fails them when {@code CI=true}).
 * System properties: {@code dcn4j.conformance.tries} (tries of an ordinary rule, default 40;
 * finite differences run a quarter, determinism half as many), {@code dcn4j.conformance.seed}
 * (replay), {@code dcn4j.conformance.cases} (case folder, default {@code ./cases} or
 * {@code ../cases}), {@code dcn4j.conformance.shrink}.
 *
 * <h2>Without writing a test: the command line</h2>
 * {@code dcn4j conformance --backend-jar my-backend.jar [--backend-jar its-dependency.jar ...]
 * --backend mine} loads the jars into a class loader of their own, finds the provider through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dcn4j.spi.BackendProvider}), runs every
 * rule and exits 0 only if none fails. {@link ConformanceRunner} is the same run from Java.
 *
 * <h2>What a backend declares</h2>
 * A provider may declare what it computes ({@link dcn4j.spi.BackendProvider#capabilities()}:
 * operators, forward and backward apart, element types; by default everything). A rule needs the
 * operations of its {@link Requires} annotation; a rule outside the declaration is not run and is
 * reported "not supported", never as passed. A rule that checks an optional part (the backward of
 * an identity, backward bad calls, the gradients of a case directory) checks it only when declared
 * and says so in its note. A backend passes when no rule fails and at least one passes.
 *
 * <h2>The rules</h2>
 * Each rule has a unique id, the prefix of its method name; the documentation of each method in
 * {@link DeformConv2dVerificationRules} and {@link DeformPsRoiPoolVerificationRules} says what it
 * checks and, under "If this fails, check:", where the bug usually is.
 * <table class="striped">
 * <caption>deform_conv2d rules ({@link DeformConv2dVerificationRules})</caption>
 * <tr><th>id</th><th>law</th><th>needs</th></tr>
 * <tr><td>conv01</td><td>forward within 1e-5 of the reference</td><td>forward</td></tr>
 * <tr><td>conv02</td><td>every gradient within 1e-4 of the reference</td><td>backward</td></tr>
 * <tr><td>conv03</td><td>the reference's gradients equal finite differences</td><td>backward</td></tr>
 * <tr><td>conv04</td><td>zero offsets (and no offset) = dense convolution</td><td>forward</td></tr>
 * <tr><td>conv05</td><td>integer offsets = shifted dense convolution</td><td>forward</td></tr>
 * <tr><td>conv06</td><td>mask of ones = no mask</td><td>forward</td></tr>
 * <tr><td>conv07</td><td>linear in input and in weight</td><td>forward</td></tr>
 * <tr><td>conv08</td><td>adjoint: {@code ⟨Jv,u⟩ = ⟨v,Jᵀu⟩}</td><td>forward, backward</td></tr>
 * <tr><td>conv09</td><td>bad input: IllegalArgumentException naming the argument</td><td>forward</td></tr>
 * <tr><td>conv10</td><td>repeated and concurrent calls bit-identical ({@link Stochastic})</td><td>forward</td></tr>
 * <tr><td>conv11</td><td>case directories replay</td><td>forward</td></tr>
 * </table>
 * <table class="striped">
 * <caption>deform_psroi_pool rules ({@link DeformPsRoiPoolVerificationRules})</caption>
 * <tr><th>id</th><th>law</th><th>needs</th></tr>
 * <tr><td>pool01</td><td>forward within 1e-5 of the reference</td><td>forward</td></tr>
 * <tr><td>pool02</td><td>input and offset gradients within 1e-4 of the reference</td><td>backward</td></tr>
 * <tr><td>pool03</td><td>the reference's gradients equal finite differences</td><td>backward</td></tr>
 * <tr><td>pool04</td><td>position-sensitive = group-size-1 pooling of the selected maps</td><td>forward</td></tr>
 * <tr><td>pool05</td><td>zero offset = no_trans</td><td>forward</td></tr>
 * <tr><td>pool06</td><td>linear in the input</td><td>forward</td></tr>
 * <tr><td>pool07</td><td>adjoint for the input</td><td>forward, backward</td></tr>
 * <tr><td>pool08</td><td>bad input: IllegalArgumentException naming the argument</td><td>forward</td></tr>
 * <tr><td>pool09</td><td>repeated and concurrent calls bit-identical ({@link Stochastic})</td><td>forward</td></tr>
 * <tr><td>pool10</td><td>case directories replay</td><td>forward</td></tr>
 * </table>
 * Rules added later take the next ids (conv12, pool11, ...) and go at the end of the interfaces.
 * Errors are norm-relative ({@link Tolerances}); an F32 backend computes on the very float values
 * the reference computes on in F64. A backend's own tests can use the suite's cases
 * ({@link ConvCase}, {@link RoiPoolCase}, their generators {@link ConvCases}, {@link RoiPoolCases})
 * and its error measure ({@link ReferenceErrors}).
 *
 * <p>Public API: the classes of this package. {@code dcn4j.conformance.internal} (the jqwik hook,
 * error statistics, settings, oracles, case replay) may change at any time.
 */
package dcn4j.conformance;
