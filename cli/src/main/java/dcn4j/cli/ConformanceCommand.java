package dcn4j.cli;

import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.conformance.ConformanceRunner;
import dcn4j.spi.BackendProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dcn4j conformance}: the conformance suite (DESIGN.md "Conformance suite") on every backend
 * found, or on one, printing a line per property and a table of worst errors at the end. Exit code
 * 0 only if every backend that ran passed every property; an unavailable backend is listed with
 * its reason (and fails the run when named with {@code --backend}, or under {@code CI=true}).
 */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = "Check backends against the float64 reference with the conformance suite.")
final class ConformanceCommand implements Callable<Integer> {

    @Option(names = "--backend", paramLabel = "NAME", description = "Only this backend (default: the one named by "
            + "-Ddcn4j.backend or DCN4J_BACKEND, else every backend found).")
    String backend;

    @Option(names = "--backend-jar", paramLabel = "PATH",
            description = "A jar holding a third-party BackendProvider (META-INF/services/dcn4j.spi.BackendProvider), "
                    + "or a jar or folder of jars it needs; repeatable. Needs --backend.")
    List<Path> backendJars = new ArrayList<>();

    @Option(names = "--device", paramLabel = "I", defaultValue = "-1",
            description = "Device index for backends with several (see 'dcn4j backends'); -1 = default.")
    int device;

    @Option(names = "--cases", paramLabel = "DIR",
            description = "Folder of case directories to replay (default: ./cases or ../cases).")
    Path cases;

    @Option(names = "--tries", paramLabel = "N", description = "Tries per property (default: ${DEFAULT-VALUE}); "
            + "finite differences run a quarter, determinism half as many, case replay once.")
    int tries = ConformanceRunner.Options.defaults(System.out).tries();

    @Option(names = "--seed", paramLabel = "S", description = "Seed for every property, to replay a failure.")
    Long seed;

    @Option(names = "--save-failures", paramLabel = "DIR",
            description = "Save each failing (shrunk) case into DIR as a case directory.")
    Path saveFailures;

    @Override
    public Integer call() {
        if (tries < 1) throw new IllegalArgumentException("--tries: expected >= 1, got " + tries);
        if (cases != null && !Files.isDirectory(cases)) {
            throw new IllegalArgumentException("--cases: expected a folder of case directories, got " + cases
                    + (Files.exists(cases) ? " (a file)" : " (no such folder)"));
        }
        if (device < -1) throw new IllegalArgumentException("--device: expected >= -1, got " + device);
        if (!backendJars.isEmpty()) {
            if (backend == null) {
                throw new IllegalArgumentException("--backend-jar: expected --backend NAME naming its provider too");
            }
            try (ProviderJars jars = ProviderJars.load(backendJars)) {
                BackendProvider p = jars.provider(backend);
                System.out.println("dcn4j conformance: provider '" + p.name() + "' (" + p.getClass().getName()
                        + ") from " + jars.origin(p));
                return run(List.of(p), true);
            }
        }
        // -Ddcn4j.backend / DCN4J_BACKEND select a backend as --backend does (an unknown name is refused
        // with the known ones); --backend wins.
        String selected = backend != null ? backend : Backends.namedBackend();
        return run(selected == null ? Backends.providers() : List.of(Backends.provider(selected)), selected != null);
    }

    private int run(List<BackendProvider> providers, boolean selected) {
        BackendOptions backendOptions = BackendOptions.defaults().withDevice(device);
        ConformanceRunner.Options options = new ConformanceRunner.Options(tries, seed == null ? null : seed.toString(),
                cases, true, saveFailures, System.out);
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        System.out.println("dcn4j conformance: backends " + providers.stream().map(p -> p.name() + " ("
                + (p.availability().available() ? "available" : "unavailable") + ")").toList());
        List<ConformanceRunner.BackendReport> reports = new ArrayList<>();
        for (BackendProvider p : providers) reports.add(ConformanceRunner.run(p, backendOptions, options));
        ConformanceRunner.printTable(reports, System.out);

        boolean ok = reports.stream().anyMatch(ConformanceRunner.BackendReport::available);
        for (ConformanceRunner.BackendReport r : reports) {
            if (!r.available()) {
                if (selected || ci) {
                    System.out.println(r.backend() + ": could not run (" + r.unavailableReason() + ")"
                            + (selected ? "" : "; CI=true requires every backend"));
                    ok = false;
                }
            } else if (!r.passed()) {
                ok = false;
            }
        }
        System.out.println(ok ? "conformance: PASS" : "conformance: FAIL");
        return ok ? 0 : 1;
    }
}
