package dcn4j.vector;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.spi.BackendProvider;
import java.util.List;

/**
 * Provider of the {@code vector} backend: float32 on the host CPU with {@code jdk.incubator.vector},
 * multi-threaded. Priority 100, above the reference, so {@link dcn4j.Backends#open()} picks it when
 * the JVM has the Vector API module ({@code --add-modules jdk.incubator.vector}); without the module
 * it is present but unavailable, with that reason.
 *
 * <p>This class never touches a Vector API type itself, so loading it cannot fail on a JVM that lacks
 * the module (DESIGN.md "Public API": a provider must never fail to load).
 */
public final class VectorProvider implements BackendProvider {

    /** The backend's name. */
    public static final String NAME = "vector";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability availability() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Availability.no("the JVM was started without the Vector API; add --add-modules jdk.incubator.vector");
        }
        String problem = VectorWidth.problem();
        return problem == null ? Availability.yes() : Availability.no(problem);
    }

    @Override
    public List<String> devices() {
        if (!availability().available()) return List.of();
        return List.of("0: " + VectorBackend.describeHost(Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Diagnostics for benchmarks: the largest scratch memory (bytes) that any call of {@code backend}, a
     * backend opened by this provider, has held so far. It does not grow with the batch size: columns are
     * processed in chunks sized from a fixed budget.
     */
    public static long peakWorkspaceBytes(Backend backend) {
        if (!(backend instanceof VectorBackend v)) {
            throw new IllegalArgumentException("backend: expected one opened by provider 'vector', got "
                    + (backend == null ? "null" : "'" + backend.name() + "'"));
        }
        return v.peakWorkspaceBytes();
    }

    @Override
    public Backend open(BackendOptions options) {
        Availability a = availability();
        if (!a.available()) throw new IllegalStateException("backend 'vector' is unavailable: " + a.reason());
        if (options == null) throw new IllegalArgumentException("options: expected BackendOptions, got null");
        return new VectorBackend(options.effectiveThreads());
    }
}
