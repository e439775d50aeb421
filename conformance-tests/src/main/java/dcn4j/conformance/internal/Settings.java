package dcn4j.conformance.internal;

import dcn4j.conformance.ConformanceRunner;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How the suite runs: tries per property, seed, case folder, shrinking. {@link ConformanceRunner}
 * sets them for its run; otherwise (e.g. {@code mvn test}) they come from system properties:
 * {@value #TRIES}, {@value #SEED}, {@value #CASES}, {@value #SHRINK} (and {@value #CI}).
 *
 * @param tries    tries of a property of cost 1 (see {@link ConformanceProperty#cost()})
 * @param seed     jqwik seed for every property, {@code null} for a random one per property
 * @param cases    folder of case directories for property 8, {@code null} to look for {@code cases}
 *                 or {@code ../cases} from the working directory
 * @param shrink   whether a failing property shrinks its case (slower, smaller report)
 */
public record Settings(int tries, String seed, Path cases, boolean shrink) {

    public static final String TRIES = "dcn4j.conformance.tries";
    public static final String SEED = "dcn4j.conformance.seed";
    public static final String CASES = "dcn4j.conformance.cases";
    public static final String SHRINK = "dcn4j.conformance.shrink";

    /** Tries of a cost-1 property in a default run: the whole default run stays within minutes on 2 cores. */
    public static final int DEFAULT_TRIES = 40;

    private static volatile Settings override;

    public static Settings current() {
        Settings s = override;
        if (s != null) return s;
        String seed = System.getProperty(SEED);
        String cases = System.getProperty(CASES);
        return new Settings(Integer.getInteger(TRIES, DEFAULT_TRIES), seed == null || seed.isBlank() ? null : seed,
                cases == null || cases.isBlank() ? null : Path.of(cases),
                Boolean.parseBoolean(System.getProperty(SHRINK, "true")));
    }

    public static void override(Settings s) {
        override = s;
    }

    /** System property set by the {@code ./dcn4j} launcher: the repository root, whose {@code cases} folder is the default. */
    public static final String HOME = "dcn4j.home";

    /**
     * The case folder: the configured one, else {@code cases} or {@code ../cases} of the working
     * directory, else {@code cases} under {@value #HOME}; {@code null} if none exists.
     */
    public Path caseFolder() {
        if (cases != null) return cases;
        String home = System.getProperty(HOME);
        Path[] candidates = home == null ? new Path[] {Path.of("cases"), Path.of("..", "cases")}
                : new Path[] {Path.of("cases"), Path.of("..", "cases"), Path.of(home, "cases")};
        for (Path p : candidates) {
            if (Files.isDirectory(p)) return p.toAbsolutePath().normalize();
        }
        return null;
    }

    /** System property that, like the environment variable {@code CI=true}, makes an unavailable backend a failure. */
    public static final String CI = "dcn4j.conformance.ci";

    /**
     * Whether we run under continuous integration, where a backend that cannot run is a failure: the
     * system property {@value #CI} when set, else the environment variable {@code CI=true}.
     */
    public static boolean ci() {
        String property = System.getProperty(CI);
        if (property != null) return Boolean.parseBoolean(property);
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }
}
