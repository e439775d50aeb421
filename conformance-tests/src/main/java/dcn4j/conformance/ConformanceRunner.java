package dcn4j.conformance;

import dcn4j.BackendOptions;
import dcn4j.conformance.internal.CaseWriter;
import dcn4j.conformance.internal.ErrorStats;
import dcn4j.conformance.internal.OpenBackends;
import dcn4j.conformance.internal.Outcome;
import dcn4j.conformance.internal.SelectedBackend;
import dcn4j.conformance.internal.SelectedBackendConformance;
import dcn4j.conformance.internal.Settings;
import dcn4j.spi.BackendProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the whole conformance suite ({@link DeformConv2dVerification} and
 * {@link DeformPsRoiPoolVerification}, through {@link SelectedBackendConformance}) on one backend
 * with the JUnit Platform launcher, printing a progress line per property, and collects the results
 * for {@link #printTable}: what {@code dcn4j conformance} does for each backend.
 *
 * <pre>{@code
 * BackendReport r = ConformanceRunner.run(Backends.provider("vector"), BackendOptions.defaults(),
 *         ConformanceRunner.Options.defaults(System.out));
 * ConformanceRunner.printTable(List.of(r), System.out);
 * }</pre>
 */
public final class ConformanceRunner {

    /**
     * How to run.
     *
     * @param tries        tries of an ordinary property (costlier ones run fewer), {@code > 0}
     * @param seed         jqwik seed for every property ({@code null}: a fresh one each, printed on failure)
     * @param cases        case folder for property 8 ({@code null}: {@code ./cases} or {@code ../cases})
     * @param shrink       whether failing cases are shrunk before they are reported
     * @param saveFailures folder to save each failing case into as a case directory, or {@code null}
     * @param out          where progress lines go
     */
    public record Options(int tries, String seed, Path cases, boolean shrink, Path saveFailures, PrintStream out) {
        public Options {
            if (tries < 1) throw new IllegalArgumentException("tries: expected >= 1, got " + tries);
            if (out == null) throw new IllegalArgumentException("out: expected a PrintStream, got null");
        }

        /** {@value Settings#DEFAULT_TRIES} tries, random seeds, shrinking on, nothing saved. */
        public static Options defaults(PrintStream out) {
            return new Options(Settings.DEFAULT_TRIES, null, null, true, null, out);
        }
    }

    /**
     * One property on one backend.
     *
     * @param status     {@code PASSED}, {@code FAILED}, {@code SKIPPED} or {@code NOT_SUPPORTED} (outside the
     *                   backend's declared {@link dcn4j.spi.Capabilities}; not run, never counted as passed)
     * @param worstError the worst error found ({@code NaN} if the property compared nothing)
     * @param tolerance  the tolerance that error was held to
     * @param seed       the seed that replays the run ({@code null} if none)
     * @param sample     the (shrunk) failing case, {@code null} unless failed
     * @param message    why it failed or was skipped, {@code null} if passed
     * @param savedCase  where the failing case was saved, {@code null} if not
     * @param note       what the property covered beyond its tries (e.g. cases replayed), or {@code null}
     * @param stochastic   whether the rule's verdict depends on the thread scheduler ({@link Stochastic})
     */
    public record PropertyResult(String op, String rule, String status, int tries, double worstError,
                                 double tolerance, String seed, String sample, String message, double seconds,
                                 Path savedCase, String note, boolean stochastic) {
        public boolean failed() {
            return status.equals("FAILED");
        }

        /** Outside the backend's declared capabilities: not run. */
        public boolean notSupported() {
            return status.equals("NOT_SUPPORTED");
        }

        /** {@code pass}, {@code FAIL}, {@code skip} or {@code not supported}, as the table prints it. */
        public String verdict() {
            return switch (status) {
                case "PASSED" -> "pass";
                case "FAILED" -> "FAIL";
                case "NOT_SUPPORTED" -> "not supported";
                default -> "skip";
            };
        }
    }

    /**
     * One backend's run.
     *
     * @param unavailableReason why the backend could not run, {@code null} if it ran
     */
    public record BackendReport(String backend, String description, String unavailableReason,
                                List<PropertyResult> results, double seconds) {
        public boolean available() {
            return unavailableReason == null;
        }

        /** Ran, no property failed, and at least one passed (rules not supported count as neither). */
        public boolean passed() {
            return available() && results.stream().anyMatch(p -> p.status().equals("PASSED"))
                    && results.stream().noneMatch(PropertyResult::failed);
        }
    }

    private ConformanceRunner() {
    }

    /** Runs the suite on the backend of {@code provider}; an unavailable one is reported with its reason, not run. */
    public static BackendReport run(BackendProvider provider, BackendOptions backendOptions, Options options) {
        String name = provider.name();
        BackendProvider.Availability a = provider.availability();
        if (!a.available()) {
            options.out().println("[" + name + "] unavailable: " + a.reason());
            return new BackendReport(name, "", a.reason(), List.of(), 0);
        }
        String description;
        try {
            description = OpenBackends.get(provider, backendOptions).description();
        } catch (RuntimeException e) {
            // Available yet failing to open (e.g. a device index that does not exist) is a failure, not a skip.
            options.out().println("[" + name + "] FAIL: cannot be opened with " + backendOptions + ": " + e);
            PropertyResult open = new PropertyResult("-", "open", "FAILED", 0, Double.NaN, Double.NaN, null, null,
                    "cannot be opened with " + backendOptions + ": " + e, 0, null, null, false);
            return new BackendReport(name, "", null, List.of(open), 0);
        }
        options.out().println("[" + name + "] " + description + ": running " + options.tries() + " tries per property"
                + (options.seed() != null ? ", seed " + options.seed() : ""));
        if (!provider.capabilities().isEverything()) {
            options.out().println("[" + name + "] declares " + provider.capabilities()
                    + ": rules needing anything else are reported as not supported");
        }
        ErrorStats.clear(name);
        Outcome.drain();
        SelectedBackend.set(provider, backendOptions);
        Settings.override(new Settings(options.tries(), options.seed(), options.cases(), options.shrink()));
        List<PropertyResult> results = new ArrayList<>();
        long t0 = System.nanoTime();
        Path databaseDir = null;
        try {
            databaseDir = Files.createTempDirectory("dcn4j-jqwik");
            Path database = databaseDir.resolve("database");
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectClass(SelectedBackendConformance.class))
                    .filters(EngineFilter.includeEngines("jqwik"))
                    // Failures are reported by this runner, with the seed; keep jqwik's own reports off stdout.
                    .configurationParameter("jqwik.reporting.usejunitplatform", "true")
                    .configurationParameter("jqwik.database", database.toString())
                    .build();
            Launcher launcher = LauncherFactory.create();
            launcher.execute(request, new Listener(name, options, results));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("conformance: cannot create a temporary jqwik database", e);
        } finally {
            Settings.override(null);
            SelectedBackend.clear();
            OpenBackends.closeAll();
            if (databaseDir != null) {
                try {
                    Files.deleteIfExists(databaseDir.resolve("database"));
                    Files.deleteIfExists(databaseDir);
                } catch (IOException ignored) {
                    // A leftover temporary file is harmless.
                }
            }
        }
        return new BackendReport(name, description, null, List.copyOf(results), (System.nanoTime() - t0) / 1e9);
    }

    /** Prints the per-backend, per-property table of results, worst errors and tolerances. */
    public static void printTable(List<BackendReport> reports, PrintStream out) {
        out.println();
        out.println(String.format(Locale.ROOT, "%-12s %-18s %-52s %-13s %11s %9s %6s  %s", "backend", "op", "property",
                "result", "worst error", "tolerance", "tries", "kind"));
        for (BackendReport r : reports) {
            if (!r.available()) {
                out.println(String.format(Locale.ROOT, "%-12s unavailable: %s", r.backend(), r.unavailableReason()));
                continue;
            }
            List<PropertyResult> sorted = new ArrayList<>(r.results());
            sorted.sort(java.util.Comparator.comparing(PropertyResult::op).thenComparing(PropertyResult::rule));
            for (PropertyResult p : sorted) {
                out.println(String.format(Locale.ROOT, "%-12s %-18s %-52s %-13s %11s %9s %6d  %s", r.backend(), p.op(),
                        p.rule(), p.verdict(),
                        Double.isNaN(p.worstError()) ? "-" : String.format(Locale.ROOT, "%.2e", p.worstError()),
                        Double.isNaN(p.tolerance()) ? "-" : p.tolerance() == 0 ? "0"
                                : String.format(Locale.ROOT, "%.0e", p.tolerance()),
                        p.tries(), p.stochastic() ? "stochastic" : "").stripTrailing());
            }
        }
        out.println();
        for (BackendReport r : reports) {
            if (!r.available()) continue;
            long failed = r.results().stream().filter(PropertyResult::failed).count();
            long skipped = r.results().stream().filter(p -> p.status().equals("SKIPPED")).count();
            long unsupported = r.results().stream().filter(PropertyResult::notSupported).count();
            out.println(String.format(Locale.ROOT, "%-12s %s: %d properties, %d failed, %d skipped, %d not supported, "
                    + "%.1f s", r.backend(), r.passed() ? "PASS" : "FAIL", r.results().size(), failed, skipped,
                    unsupported, r.seconds()));
            r.results().stream().filter(PropertyResult::notSupported).map(PropertyResult::message).distinct()
                    .forEach(m -> out.println(String.format(Locale.ROOT, "%-12s   %s", "", m)));
        }
    }

    /** Turns each finished property into a {@link PropertyResult} and prints its progress line. */
    private static final class Listener implements TestExecutionListener {
        private final String backend;
        private final Options options;
        private final List<PropertyResult> results;

        Listener(String backend, Options options, List<PropertyResult> results) {
            this.backend = backend;
            this.options = options;
            this.results = results;
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (!id.isTest()) {
                if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    // A container failing (e.g. a verification class that cannot be instantiated) fails the run.
                    String why = result.getThrowable().map(Throwable::toString).orElse("container failed");
                    PropertyResult p = new PropertyResult("-", id.getDisplayName(), "FAILED", 0, Double.NaN, Double.NaN,
                            null, null, why, 0, null, null, false);
                    results.add(p);
                    print(p);
                }
                return;
            }
            List<Outcome> outcomes = Outcome.drain();
            PropertyResult p = outcomes.isEmpty() ? fromResult(id, result)
                    : fromOutcome(id, outcomes.getLast(), result);
            results.add(p);
            print(p);
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            if (!id.isTest()) return;
            List<Outcome> outcomes = Outcome.drain();
            String op = outcomes.isEmpty() ? "-" : outcomes.getLast().op();
            String status = outcomes.isEmpty() ? "SKIPPED" : outcomes.getLast().status().name();
            PropertyResult p = new PropertyResult(op, ruleOf(id), status, 0, Double.NaN, Double.NaN, null, null,
                    reason, 0, null, null, stochastic(id));
            results.add(p);
            print(p);
        }

        private PropertyResult fromOutcome(TestIdentifier id, Outcome o, TestExecutionResult result) {
            ErrorStats.Worst w = ErrorStats.worst(new ErrorStats.Key(o.backend(), o.op(), o.rule()));
            String status = o.status().name();
            // The engine's verdict wins: a property can fail after the hook returned (e.g. in teardown).
            if (result.getStatus() == TestExecutionResult.Status.FAILED) status = "FAILED";
            String message = o.message();
            if (message == null && result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                message = result.getThrowable().map(Throwable::toString).orElse(null);
            }
            Path saved = null;
            if (status.equals("FAILED") && o.sample() != null && options.saveFailures() != null) {
                saved = save(o);
            }
            return new PropertyResult(o.op(), o.rule(), status, o.tries(), w == null ? Double.NaN : w.error(),
                    w == null ? Double.NaN : w.tolerance(), o.seed(), o.sample() == null ? null : o.sample().toString(),
                    message, o.seconds(), saved, o.note(), stochastic(id));
        }

        private Path save(Outcome o) {
            Path dir = options.saveFailures().resolve(o.backend() + "-" + o.op() + "-" + o.rule());
            try {
                for (int i = 2; Files.exists(dir); i++) {
                    dir = options.saveFailures().resolve(o.backend() + "-" + o.op() + "-" + o.rule() + "-" + i);
                }
                CaseWriter.write(o.sample(), dir);
                return dir;
            } catch (IOException | RuntimeException e) {
                options.out().println("    could not save the case to " + dir + ": " + e.getMessage());
                return null;
            }
        }

        private static PropertyResult fromResult(TestIdentifier id, TestExecutionResult result) {
            String status = switch (result.getStatus()) {
                case SUCCESSFUL -> "PASSED";
                case FAILED -> "FAILED";
                case ABORTED -> "SKIPPED";
            };
            return new PropertyResult("-", ruleOf(id), status, 0, Double.NaN, Double.NaN, null, null,
                    result.getThrowable().map(Throwable::toString).orElse(null), 0, null, null, stochastic(id));
        }

        /** Whether the rule of {@code id} is marked {@link Stochastic}. */
        private static boolean stochastic(TestIdentifier id) {
            return id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                    .map(m -> {
                        try {
                            return m.getJavaMethod().isAnnotationPresent(Stochastic.class);
                        } catch (RuntimeException e) {
                            return false;
                        }
                    }).orElse(false);
        }

        private static String ruleOf(TestIdentifier id) {
            Optional<MethodSource> m = id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast);
            return m.map(MethodSource::getMethodName).orElse(id.getDisplayName());
        }

        private void print(PropertyResult p) {
            PrintStream out = options.out();
            String worst = Double.isNaN(p.worstError()) ? "" : String.format(Locale.ROOT, "  worst %.2e (tol %s)",
                    p.worstError(), p.tolerance() == 0 ? "0" : String.format(Locale.ROOT, "%.0e", p.tolerance()));
            out.println(String.format(Locale.ROOT, "[%s] %-17s %-52s %-4s%s  %d tries  %.1f s", backend, p.op(),
                    p.rule(), p.status().equals("PASSED") ? "ok" : p.verdict(), worst, p.tries(), p.seconds())
                    + (p.stochastic() ? "  (stochastic)" : "") + (p.note() != null ? "  (" + p.note() + ")" : ""));
            if (p.status().equals("SKIPPED") && p.message() != null) out.println("    reason: " + p.message());
            if (!p.failed()) return;
            if (p.sample() != null) out.println("    case:   " + p.sample());
            if (p.message() != null) out.println("    error:  " + p.message().replace("\n", "\n            "));
            if (p.seed() != null) {
                // The same seed and tries regenerate the same cases for this property.
                out.println("    replay: dcn4j conformance --backend " + backend + " --seed " + p.seed() + " --tries "
                        + options.tries());
            }
            if (p.savedCase() != null) out.println("    saved:  " + p.savedCase());
        }
    }
}
