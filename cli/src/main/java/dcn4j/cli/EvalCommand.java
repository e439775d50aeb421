package dcn4j.cli;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.conformance.internal.CaseReplay;
import dcn4j.io.CaseDirectory;
import dcn4j.io.NpyArray;
import dcn4j.spi.Capabilities;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dcn4j eval CASE_DIR --backend NAME --out DIR [--device I]}: runs one case directory
 * (CASE_FORMAT.md) and writes {@code output.npy} and every {@code grad_<name>.npy} into DIR, in the
 * dtype the backend computed ({@code <f4}, {@code <f8}; a 16-bit case's results as {@code <f2}, or
 * {@code <u2} bfloat16 bits).
 * When the case has {@code expected/}, prints per array the norm-relative error
 * {@code ‖out − exp‖ / ‖exp‖} and the largest absolute difference.
 *
 * <p>Everything is computed and checked before anything is written; the results then replace the
 * content of DIR as a whole ({@link ResultDirectory}): all of this run's files, no file of an earlier
 * run. A malformed case ends with one line naming the file or argument (Main's handler) and exit code
 * 2; a case whose results exceed the tolerances of conformance rule 8 is written, reported in one
 * line on stderr, and exits with 1.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Run one case directory (CASE_FORMAT.md) on a backend; write output.npy and grad_*.npy.")
final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CASE_DIR", description = "case directory holding case.json")
    Path caseDir;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "backend to run on (default: the one 'dcn4j backends' marks as default)")
    String backend;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "folder for output.npy and grad_*.npy: created, or replaced as a whole when it holds "
                    + "only results of an earlier run; refused when it holds anything else")
    String out;

    @Option(names = "--device", paramLabel = "I",
            description = "device index as 'dcn4j backends' lists it (default: the backend's default)")
    Integer device;

    @Override
    public Integer call() throws IOException {
        Path outDir = ResultDirectory.check(out);
        CaseDirectory c;
        try {
            c = CaseDirectory.load(caseDir);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException(OutOfMemory.describe(e, caseDir));
        }
        BackendOptions options = device == null ? BackendOptions.defaults() : deviceOption(device);
        String name = backend != null ? backend : BackendsCommand.defaultBackendName();
        Map<String, NpyArray> results;
        String where;
        try (Backend b = Backends.open(name, options)) {
            where = b.name() + " (" + (c.dtype() != null ? c.dtype() : b.nativeDType()) + ", " + b.description() + ")";
            // A backend that does not declare the op's backward (e.g. onnxruntime) gives the output only.
            Capabilities declared = Backends.provider(name).capabilities();
            results = c.run(b, declared.supports(c.op().equals(CaseDirectory.DEFORM_CONV2D)
                    ? Capabilities.Operation.DEFORM_CONV2D_BACKWARD : Capabilities.Operation.DEFORM_PSROI_POOL_BACKWARD));
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException(OutOfMemory.describe(e, c.dir()));
        }
        List<String> report = compare(c, results);
        Map<String, Double> errors = CaseReplay.errors(c, results);

        ResultDirectory.replace(outDir, results);
        PrintWriter o = spec.commandLine().getOut();
        o.println("case " + c.dir() + " (" + c.op() + ") on " + where);
        for (String line : report) o.println(line);
        o.println("wrote " + String.join(", ", results.keySet().stream().map(k -> k + ".npy").toList()) + " to "
                + outDir);
        o.flush();
        // A case with expected/ is a check: exceeding a tolerance of conformance rule 8 fails the command.
        List<String> failed = new ArrayList<>();
        for (Map.Entry<String, Double> e : errors.entrySet()) {
            if (!results.containsKey(e.getKey())) continue;  // not computed: said in the report above
            double tolerance = CaseReplay.tolerance(c, e.getKey());
            if (!(e.getValue() <= tolerance)) {
                failed.add(String.format(java.util.Locale.ROOT, "%s error %.3e exceeds %.0e", e.getKey(), e.getValue(),
                        tolerance));
            }
        }
        if (!failed.isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("dcn4j eval: " + c.dir() + " fails on " + name + ": " + String.join("; ", failed));
            err.flush();
            return 1;
        }
        return 0;
    }

    private static BackendOptions deviceOption(int index) {
        try {
            return BackendOptions.defaults().withDevice(index);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device: " + e.getMessage(), e);
        }
    }

    /** One line per expected array; an expected array whose shape differs from the result is an error. */
    static List<String> compare(CaseDirectory c, Map<String, NpyArray> results) {
        List<String> lines = new ArrayList<>();
        int width = results.keySet().stream().mapToInt(String::length).max().orElse(6);
        for (Map.Entry<String, NpyArray> e : c.expected().entrySet()) {
            NpyArray want = e.getValue();
            NpyArray got = results.get(e.getKey());
            Path file = c.dir().resolve("expected").resolve(e.getKey() + ".npy");
            if (got == null) {
                if (!results.isEmpty() && !e.getKey().equals("output")) {
                    lines.add(String.format("%-" + width + "s  not computed: the backend does not declare the backward",
                            e.getKey()));
                    continue;
                }
                throw new IllegalStateException(file + ": the run produced no " + e.getKey());
            }
            if (!Arrays.equals(want.shape(), got.shape())) {
                throw new IllegalArgumentException(file + ": expected shape " + Arrays.toString(got.shape())
                        + " (the computed " + e.getKey() + "), got " + Arrays.toString(want.shape()));
            }
            Errors err = Errors.of(got.data(), want.data());
            lines.add(String.format("%-" + width + "s  rel %-9s  max-abs %-9s  %s", e.getKey(), fmt(err.relative),
                    fmt(err.maxAbs), Arrays.toString(got.shape())));
        }
        return lines;
    }

    /**
     * {@code ‖got − want‖₂ / ‖want‖₂} (0 when both are zero, infinite when only {@code want} is) and
     * {@code max |got − want|}; a NaN in either array where the other has none makes both NaN, so a
     * NaN is never reported as agreement.
     */
    record Errors(double relative, double maxAbs) {
        static Errors of(double[] got, double[] want) {
            // Scale by the largest finite magnitude so that squares of huge values do not overflow.
            double scale = 0;
            for (int i = 0; i < want.length; i++) {
                if (Double.isFinite(want[i])) scale = Math.max(scale, Math.abs(want[i]));
                if (Double.isFinite(got[i])) scale = Math.max(scale, Math.abs(got[i]));
            }
            if (scale == 0) scale = 1;
            double num = 0, den = 0, max = 0;
            boolean nan = false;
            for (int i = 0; i < want.length; i++) {
                double g = got[i], w = want[i];
                if (Double.isNaN(g) || Double.isNaN(w)) {
                    if (Double.isNaN(g) != Double.isNaN(w)) nan = true;
                    continue;
                }
                double d = g == w ? 0 : g - w;  // equal infinities agree
                num += (d / scale) * (d / scale);
                den += (w / scale) * (w / scale);
                max = Math.max(max, Math.abs(d));
            }
            if (nan) return new Errors(Double.NaN, Double.NaN);
            double rel = den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
            return new Errors(rel, max);
        }
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "NaN" : Double.isInfinite(v) ? "inf" : String.format("%.3e", v);
    }
}
