package dcn4j.cli;

import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dcn4j kit --out DIR}: writes a self-contained folder that runs {@code backends},
 * {@code conformance} and {@code bench} on a machine with no JDK, Maven or network (DESIGN.md
 * "The kit"); see {@link Kit}. It ships the jars this command runs from, so it must be run from built
 * jars ({@code ./dcn4j kit}), on a JDK (it calls {@code jlink} and {@code jdeps}).
 */
@Command(name = "kit", mixinStandardHelpOptions = true,
        description = "Write a self-contained folder (Java runtime, jars, cases, bin/dcn4j) that runs dcn4j"
                + " without a JDK, Maven or network.")
final class KitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the kit folder to write (new or empty)")
    Path out;

    @Option(names = "--cases", paramLabel = "DIR",
            description = "the case directories to ship (default: the cases folder of the dcn4j checkout)")
    Path cases;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        Path home = home();
        Path caseFolder = cases != null ? cases : home.resolve("cases");
        List<Path> jars = Kit.jarsOf(System.getProperty("java.class.path"));
        Kit.Result r = Kit.build(out, jars, mainJar(), caseFolder, home.resolve("LICENSE"), err);
        stdout.printf("kit: %s (%s): runtime with %s, %d jars, %d case directories; run %s%n",
                r.folder(), Kit.mib(r.bytes()), String.join(",", r.modules()), r.jars(), r.cases(),
                r.folder().resolve(Kit.BIN).resolve("dcn4j") + " conformance");
        stdout.flush();
        return 0;
    }

    /** The dcn4j checkout (or kit) the launcher names with {@code -Ddcn4j.home}, else the working directory. */
    private static Path home() {
        String home = System.getProperty("dcn4j.home");
        return Path.of(home == null || home.isBlank() ? "." : home);
    }

    /** The jar holding the CLI, where jdeps starts. */
    private static Path mainJar() throws URISyntaxException {
        Path p = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!p.getFileName().toString().endsWith(".jar")) {
            throw new IllegalStateException("dcn4j.cli.Main was loaded from " + p + ", not a jar; build the jars first"
                    + " (./dcn4j kit runs from them)");
        }
        return p;
    }
}
