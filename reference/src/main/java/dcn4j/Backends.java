package dcn4j;

import dcn4j.spi.BackendProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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

    private static final System.Logger LOG = System.getLogger(Backends.class.getName());

    /** Skipped providers already reported, as {@code name: reason}: each is said once per JVM. */
    private static final Set<String> REPORTED_SKIPS = ConcurrentHashMap.newKeySet();

    private Backends() {
    }

    /**
     * The backend named by {@code -Ddcn4j.backend}, else by {@code DCN4J_BACKEND} (trimmed), or
     * {@code null} when neither names one.
     */
    public static String namedBackend() {
        String named = System.getProperty(BACKEND_PROPERTY);
        if (named == null || named.isBlank()) named = System.getenv(BACKEND_ENV);
        return named == null || named.isBlank() ? null : named.trim();
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
     * The backend named by {@code -Ddcn4j.backend}, else by {@code DCN4J_BACKEND} (an unknown name is an
     * {@link IllegalArgumentException} listing the known ones), else the available provider of highest
     * priority. Unavailable providers of higher priority passed over are reported once each, as a
     * {@link System.Logger} WARNING naming the backend and the reason (DESIGN.md "Build").
     */
    public static Backend open() {
        String named = namedBackend();
        if (named != null) return open(named);
        List<String> skipped = new ArrayList<>();
        for (BackendProvider p : providers()) {
            BackendProvider.Availability a = p.availability();
            if (a.available()) {
                // A faster backend passed over (the vector one without --add-modules jdk.incubator.vector,
                // 100x slower reference instead) must not go unnoticed: said once per JVM and reason.
                for (String s : skipped) {
                    if (REPORTED_SKIPS.add(s)) {
                        LOG.log(System.Logger.Level.WARNING, "dcn4j: backend " + s + "; using '" + p.name()
                                + "' instead");
                    }
                }
                return p.open(BackendOptions.defaults());
            }
            skipped.add("'" + p.name() + "' skipped, unavailable: " + a.reason());
        }
        throw new IllegalStateException("no dcn4j backend is available (is dcn4j-reference on the class path?)");
    }
}
