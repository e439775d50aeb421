package dcn4j.conformance;

import dcn4j.spi.BackendProvider;
import java.util.List;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.MethodLifecycleContext;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * Runs each property of a {@link Verification}: skips it (or, under {@code CI=true}, fails it) with
 * the provider's reason when the backend is unavailable (never a silent pass), applies {@link Settings} (tries scaled by
 * {@link ConformanceProperty#cost()}, seed, shrinking), tells the verification which rule is
 * running (for {@link ErrorStats}), and records an {@link Outcome} with the seed and the shrunk
 * case for the runner's report.
 */
final class ConformanceHook implements AroundPropertyHook, SkipExecutionHook {

    /** Why the backend of {@code v} cannot run, or {@code null} when it can. */
    private static String unavailable(Verification v) {
        BackendProvider provider = v.provider();
        BackendProvider.Availability a = provider.availability();
        return a.available() ? null : "backend '" + provider.name() + "' is unavailable: " + a.reason();
    }

    /** Why the (available) backend of {@code v} cannot run a rule that needs dtypes it lacks, or {@code null}. */
    private static String unsupported(Verification v, ConformanceProperty p) {
        if (p == null) return null;
        for (dcn4j.DType d : p.dtypes()) {
            if (!v.backend().supports(d)) {
                return "not supported: backend '" + v.backendName() + "' does not support " + d + " tensors";
            }
        }
        return null;
    }

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        if (!(context instanceof MethodLifecycleContext m) || !(m.testInstance() instanceof Verification v)) {
            return SkipResult.doNotSkip();
        }
        String why = unavailable(v);
        if (why == null) why = unsupported(v, m.targetMethod().getAnnotation(ConformanceProperty.class));
        if (why == null || (Settings.ci() && unavailable(v) != null)) return SkipResult.doNotSkip();
        Outcome.add(new Outcome(v.backendName(), v.op(), m.targetMethod().getName(), Outcome.Status.SKIPPED, 0, null,
                null, why, 0, null));
        return SkipResult.skip(why);
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        if (!(context.testInstance() instanceof Verification v)) return property.execute();
        String rule = context.targetMethod().getName();
        String why = unavailable(v);
        if (why != null) {
            // Only reached under CI (otherwise skipped above): a backend that cannot run fails the build.
            String message = why + " (CI=true: every backend must run)";
            Outcome.add(new Outcome(v.backendName(), v.op(), rule, Outcome.Status.FAILED, 0, null, null, message, 0,
                    null));
            throw new AssertionError(message);
        }
        Settings s = Settings.current();
        context.findAnnotation(ConformanceProperty.class).ifPresent(p -> {
            context.attributes().setTries((int) Math.max(1, Math.round(s.tries() / p.cost())));
            if (s.seed() != null) context.attributes().setSeed(s.seed());
            // A run is reproduced by its printed seed, not by jqwik's database of earlier failures.
            context.attributes().setAfterFailure(AfterFailureMode.RANDOM_SEED);
            context.attributes().setShrinking(s.shrink() ? ShrinkingMode.BOUNDED : ShrinkingMode.OFF);
        });
        v.rule = rule;
        v.note = null;
        long t0 = System.nanoTime();
        PropertyExecutionResult r = property.execute();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Outcome.Status status = switch (r.status()) {
            case SUCCESSFUL -> Outcome.Status.PASSED;
            case FAILED -> Outcome.Status.FAILED;
            case ABORTED -> Outcome.Status.SKIPPED;
        };
        Object sample = r.falsifiedParameters().filter(l -> !l.isEmpty()).map(List::getFirst).orElse(null);
        String message = r.throwable().map(t -> t.getClass().getSimpleName() + ": " + t.getMessage()).orElse(null);
        Outcome.add(new Outcome(v.backendName(), v.op(), rule, status, r.countTries(), r.seed().orElse(null), sample,
                message, seconds, v.note));
        return r;
    }
}
