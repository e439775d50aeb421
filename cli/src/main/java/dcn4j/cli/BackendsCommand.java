package dcn4j.cli;

import dcn4j.Backends;
import dcn4j.spi.BackendProvider;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code dcn4j backends}: every provider found on the class path (DESIGN.md "Public API",
 * "Command line"), highest priority first, with its availability (or the reason it is unavailable),
 * its devices, and which one {@link Backends#open()} would pick.
 *
 * <pre>
 * reference   priority 0    available  (default)
 *     0: host CPU, scalar float64 (the numerical oracle)
 * default: reference (highest-priority available backend)
 * </pre>
 */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List the backends found, their availability and devices, and the default.")
final class BackendsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<BackendProvider> providers = Backends.providers();
        Choice choice = defaultChoice(providers);
        if (providers.isEmpty()) out.println("no backend found (is dcn4j-reference on the class path?)");
        for (BackendProvider p : providers) {
            BackendProvider.Availability a = availability(p);
            String state = a.available() ? "available" : "unavailable: " + a.reason();
            String mark = p.name().equals(choice.name) && choice.usable ? "  (default)" : "";
            out.printf("%-11s priority %-4d %s%s%n", p.name(), p.priority(), state, mark);
            for (String device : devices(p)) out.println("    " + device);
            // A provider that computes less than everything says what (the suite skips the rest as not supported).
            if (!p.capabilities().isEverything()) out.println("    declares " + p.capabilities());
        }
        out.println("default: " + choice.describe());
        out.flush();
        return 0;
    }

    /** The backend {@link Backends#open()} would open, and why; {@code usable} false when it would fail. */
    record Choice(String name, String source, boolean usable, String problem) {
        String describe() {
            if (name == null) return "none (" + problem + ")";
            return name + " (" + source + ")" + (usable ? "" : ": " + problem);
        }
    }

    /**
     * The name of the backend {@link Backends#open()} would pick, found without opening it (an
     * OpenCL context is costly); {@link IllegalStateException} when there is none.
     */
    static String defaultBackendName() {
        Choice choice = defaultChoice(Backends.providers());
        if (choice.name() == null) throw new IllegalStateException("--backend: not given and " + choice.describe());
        return choice.name();
    }

    /** Mirrors {@link Backends#open()}: {@code -Ddcn4j.backend}, then {@code DCN4J_BACKEND}, then the best available. */
    static Choice defaultChoice(List<BackendProvider> providers) {
        String property = System.getProperty(Backends.BACKEND_PROPERTY);
        String named = Backends.namedBackend();
        String source = property != null && !property.isBlank() ? "from -D" + Backends.BACKEND_PROPERTY
                : "from " + Backends.BACKEND_ENV;
        if (named != null) {
            String wanted = named.trim().toLowerCase(java.util.Locale.ROOT);
            for (BackendProvider p : providers) {
                if (p.name().equals(wanted)) {
                    BackendProvider.Availability a = availability(p);
                    return new Choice(p.name(), source, a.available(), a.available() ? null
                            : "unavailable: " + a.reason());
                }
            }
            return new Choice(named, source, false, "no such backend; expected one of "
                    + providers.stream().map(BackendProvider::name).toList());
        }
        List<String> skipped = new java.util.ArrayList<>();
        for (BackendProvider p : providers) {
            BackendProvider.Availability a = availability(p);
            if (a.available()) {
                // The state Backends.open() warns about: a faster backend passed over, and why.
                return new Choice(p.name(), "highest-priority available backend"
                        + (skipped.isEmpty() ? "" : "; skipped " + String.join("; ", skipped)), true, null);
            }
            skipped.add(p.name() + ": " + a.reason());
        }
        return new Choice(null, null, false, "no backend is available");
    }

    /**
     * The provider's availability; a provider that throws (contrary to the SPI contract, e.g. a
     * native library that fails to link) is listed as unavailable with what it threw, not hidden.
     */
    static BackendProvider.Availability availability(BackendProvider p) {
        try {
            BackendProvider.Availability a = p.availability();
            return a != null ? a : BackendProvider.Availability.no("provider reported no availability");
        } catch (RuntimeException | LinkageError e) {
            return BackendProvider.Availability.no("availability check failed: " + e);
        }
    }

    private static List<String> devices(BackendProvider p) {
        try {
            List<String> d = p.devices();
            return d != null ? d : List.of();
        } catch (RuntimeException | LinkageError e) {
            return List.of("(listing devices failed: " + e + ")");
        }
    }
}
