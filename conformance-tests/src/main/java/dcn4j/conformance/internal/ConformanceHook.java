package dcn4j.conformance.internal;

import dcn4j.conformance.Verification;
import dcn4j.conformance.Requires;
import dcn4j.spi.BackendProvider;
import dcn4j.spi.Capabilities;
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
public final class ConformanceHook implements AroundPropertyHook, SkipExecutionHook {

    /** Why the backend of {@code v} cannot run, or {@code null} when it can. */
    private static String unavailable(RuleContext v) {
        BackendProvider provider = v.providerUnderTest();
        BackendProvider.Availability a = provider.availability();
        return a.available() ? null : "backend '" + provider.name() + "' is unavailable: " + a.reason();
    }

    /**
     * "not supported: ..." naming the operations of {@code rule}'s {@link Requires} that the backend
     * of {@code v} does not declare, and the dtypes of its {@link ConformanceProperty#dtypes()} that
     * the backend does not declare or does not accept ({@code Backend.supports}), or {@code null}
     * when it has them all.
     */
    public static String notSupported(RuleContext v, java.lang.reflect.Method rule) {
        Capabilities declared = v.providerUnderTest().capabilities();
        List<String> missing = new java.util.ArrayList<>();
        Requires r = rule.getAnnotation(Requires.class);
        if (r != null) {
            for (Capabilities.Operation op : r.value()) if (!declared.supports(op)) missing.add(op.label());
            for (Capabilities.Guarantee g : r.guarantees()) if (!declared.supports(g)) missing.add(g.label());
        }
        ConformanceProperty p = rule.getAnnotation(ConformanceProperty.class);
        if (p != null) {
            for (dcn4j.DType d : p.dtypes()) {
                if (!declared.supports(d) || !v.backend().supports(d)) missing.add(d + " tensors");
            }
        }
        if (missing.isEmpty()) return null;
        return "not supported: needs " + String.join(", ", missing) + "; backend '" + v.backendName()
                + "' declares " + declared;
    }

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        if (!(context instanceof MethodLifecycleContext m) || !(m.testInstance() instanceof RuleContext v)) {
            return SkipResult.doNotSkip();
        }
        String why = unavailable(v);
        if (why == null) {
            String missing = notSupported(v, m.targetMethod());
            if (missing == null) return SkipResult.doNotSkip();
            // A declared limitation: reported as such, never as passed, and not a failure (CI included).
            Outcome.add(new Outcome(v.backendName(), v.op(), m.targetMethod().getName(), Outcome.Status.NOT_SUPPORTED,
                    0, null, null, missing, 0, null));
            return SkipResult.skip(missing);
        }
        if (Settings.ci()) return SkipResult.doNotSkip();
        Outcome.add(new Outcome(v.backendName(), v.op(), m.targetMethod().getName(), Outcome.Status.SKIPPED, 0, null,
                null, why, 0, null));
        return SkipResult.skip(why);
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        if (!(context.testInstance() instanceof RuleContext v)) return property.execute();
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
        v.beginRule(rule);
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
                message, seconds, v.note()));
        return r;
    }
}
