package dcn4j;

import dcn4j.spi.BackendProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Finds backends on the class path through {@link ServiceLoader} (DESIGN.md "Public API").
 *
 * <pre>{@code
 * try (Backend backend = Backends.open()) {          // -Ddcn4j.backend, DCN4J_BACKEND, or best available
 *     Tensor out = backend.deformConv2d(spec, input, offset, null, weight, null);
 * }
 * }</pre>
 */
public final class Backends {

    /** System property naming the backend that {@link #open()} returns. */
    public static final String BACKEND_PROPERTY = "dcn4j.backend";
    /** Environment variable naming the backend, used when the property is unset. */
    public static final String BACKEND_ENV = "DCN4J_BACKEND";

    private Backends() {
    }

    /** Every provider found, highest priority first, available or not. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> found = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
            found.add(p);
        }
        found.sort(Comparator.comparingInt(BackendProvider::priority).reversed()
                .thenComparing(BackendProvider::name));
        return found;
    }

    /** The provider called {@code name}; {@link IllegalArgumentException} listing the known names if none. */
    public static BackendProvider provider(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        List<BackendProvider> all = providers();
        for (BackendProvider p : all) {
            if (p.name().equals(wanted)) return p;
        }
        throw new IllegalArgumentException("backend: expected one of "
                + all.stream().map(BackendProvider::name).toList() + ", got '" + name + "'");
    }

    /** Opens the backend called {@code name} with default options. */
    public static Backend open(String name) {
        return open(name, BackendOptions.defaults());
    }

    /** Opens the backend called {@code name}; {@link IllegalStateException} with the reason if unavailable. */
    public static Backend open(String name, BackendOptions options) {
        BackendProvider p = provider(name);
        BackendProvider.Availability a = p.availability();
        if (!a.available()) {
            throw new IllegalStateException("backend '" + p.name() + "' is unavailable: " + a.reason());
        }
        return p.open(options);
    }

    /**
     * The backend named by {@code -Ddcn4j.backend}, else by {@code DCN4J_BACKEND}, else the available
     * provider of highest priority.
     */
    public static Backend open() {
        String named = System.getProperty(BACKEND_PROPERTY);
        if (named == null || named.isBlank()) named = System.getenv(BACKEND_ENV);
        if (named != null && !named.isBlank()) return open(named);
        for (BackendProvider p : providers()) {
            if (p.availability().available()) return p.open(BackendOptions.defaults());
        }
        throw new IllegalStateException("no dcn4j backend is available (is dcn4j-reference on the class path?)");
    }
}
