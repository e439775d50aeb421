package dcn4j.conformance.internal;

import dcn4j.conformance.Tolerances;
import dcn4j.conformance.Verification;
import dcn4j.io.CaseDirectory;
import dcn4j.io.NpyArray;
import dcn4j.spi.Capabilities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.opentest4j.TestAbortedException;

/**
 * Property 8: every case directory (CASE_FORMAT.md) of the case folder, searched recursively, is
 * run on the backend and compared with its {@code expected/} arrays: the output within
 * {@link Tolerances#FORWARD}, each gradient within {@link Tolerances#BACKWARD} (a 16-bit case within
 * the bound of {@link SixteenBit#replayTolerance}; on a backend that does not support its dtype it is
 * not run and the note says so). A case without
 * {@code expected/} has nothing to compare and is not counted; a folder without any case of the op
 * skips the property with that reason rather than passing it.
 */
public final class CaseReplay {

    public static final String DEFORM_CONV2D = CaseDirectory.DEFORM_CONV2D;
    public static final String DEFORM_PSROI_POOL = CaseDirectory.DEFORM_PSROI_POOL;

    private CaseReplay() {
    }

    public static void replay(RuleContext v, String op) throws IOException {
        Path folder = Settings.current().caseFolder();
        if (folder == null) {
            // Rule 8 is part of the verdict: a run that could not replay any case has not passed it.
            throw new AssertionError("no case folder: none given (--cases DIR, -Ddcn4j.conformance.cases) and "
                    + "neither ./cases, ../cases nor $dcn4j.home/cases exists");
        }
        if (!Files.isDirectory(folder)) {
            throw new AssertionError("case folder " + folder + ": expected a directory, got "
                    + (Files.exists(folder) ? "a file" : "nothing"));
        }
        List<Path> dirs;
        try (Stream<Path> s = Files.walk(folder)) {
            dirs = s.filter(p -> Files.isRegularFile(p.resolve("case.json"))).sorted().toList();
        }
        Capabilities.Operation backwardOp = op.equals(DEFORM_CONV2D) ? Capabilities.Operation.DEFORM_CONV2D_BACKWARD
                : Capabilities.Operation.DEFORM_PSROI_POOL_BACKWARD;
        boolean backward = v.providerUnderTest().capabilities().supports(backwardOp);
        Capabilities declared = v.providerUnderTest().capabilities();
        List<String> failures = new ArrayList<>();
        int replayed = 0, otherBorder = 0, unsupported = 0;
        for (Path dir : dirs) {
            CaseDirectory c;
            try {
                c = CaseDirectory.load(dir);
            } catch (IllegalArgumentException e) {
                failures.add(dir + ": unreadable case: " + e.getMessage());
                continue;
            }
            if (!c.op().equals(op) || c.expected().isEmpty()) continue;
            if (op.equals(DEFORM_CONV2D) && !declared.supports(c.deformConv2dSpec().border())) {
                otherBorder++;  // another semantics than the backend declares: not run, never counted as passed
                continue;
            }
            if (c.dtype() != null && !v.backend().supports(c.dtype())) {
                unsupported++; // a 16-bit case on a backend without that dtype: not supported, not passed
                continue;
            }
            replayed++;
            Map<String, NpyArray> got;
            try {
                got = c.run(v.backend(), backward);
            } catch (RuntimeException e) {
                failures.add(dir + ": " + e);
                continue;
            }
            Map<String, double[]> magnitudes = magnitudes(c);
            for (Map.Entry<String, NpyArray> e : c.expected().entrySet()) {
                if (!backward && !e.getKey().equals("output")) continue;
                NpyArray actual = got.get(e.getKey());
                double tolerance = e.getKey().equals("output") ? Tolerances.FORWARD : Tolerances.BACKWARD;
                if (c.dtype() != null && actual != null) {
                    // A 16-bit case (DESIGN.md "16-bit tensors"): one rounding of the backend's result, and
                    // one more when the expected array was itself rounded to the dtype.
                    tolerance = SixteenBit.replayTolerance(c.dtype(), tolerance, e.getValue().data(),
                            magnitudes.get(e.getKey()), e.getValue().dtype() == c.dtype());
                }
                if (actual == null) {
                    failures.add(dir + ": " + e.getKey() + " expected but not computed");
                    continue;
                }
                double err = java.util.Arrays.equals(actual.shape(), e.getValue().shape())
                        ? Tolerances.relativeError(actual.data(), e.getValue().data(), magnitudes.get(e.getKey()))
                        : Double.POSITIVE_INFINITY;
                ErrorStats.record(new ErrorStats.Key(v.backendName(), v.op(), v.rule()), err, tolerance);
                if (!(err <= tolerance)) {
                    failures.add(String.format(java.util.Locale.ROOT, "%s: %s error %.3e exceeds %.0e", dir,
                            e.getKey(), err, tolerance));
                }
            }
        }
        v.note(replayed + " cases under " + folder + (backward ? "" : ", outputs only: the backend does not declare "
                + backwardOp.label()) + (otherBorder == 0 ? "" : ", " + otherBorder + " left out: border rule not "
                + "declared (" + declared + ")")
                + (unsupported > 0 ? "; " + unsupported + " 16-bit cases not supported by the backend, not run" : ""));
        if (replayed == 0 && failures.isEmpty()) {
            throw new TestAbortedException("no " + op + " case with expected/ arrays under " + folder);
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " of " + replayed + " " + op + " cases under " + folder
                    + " fail on backend '" + v.backendName() + "':\n  " + String.join("\n  ", failures));
        }
    }

    /** The tolerance of expected array {@code name}: {@link Tolerances#FORWARD} for the output, else {@link Tolerances#BACKWARD}. */
    public static double tolerance(String name) {
        return name.equals("output") ? Tolerances.FORWARD : Tolerances.BACKWARD;
    }

    /**
     * The tolerance of expected array {@code name} of case {@code c}: {@link #tolerance(String)}, or for
     * a 16-bit case the bound of {@link SixteenBit#replayTolerance} (DESIGN.md "16-bit tensors").
     */
    public static double tolerance(CaseDirectory c, String name) {
        double t = tolerance(name);
        NpyArray expected = c.expected().get(name);
        if (c.dtype() == null || expected == null) return t;
        return SixteenBit.replayTolerance(c.dtype(), t, expected.data(), magnitudes(c).get(name),
                expected.dtype() == c.dtype());
    }

    /**
     * The error of each expected array of case {@code c} against {@code results} (a run of it), as
     * rule 8 measures it: {@link Tolerances#relativeError(double[], double[], double[])} with the
     * case's magnitudes, {@code +∞} for a missing array or a shape mismatch. For {@code dcn4j eval}.
     */
    public static Map<String, Double> errors(CaseDirectory c, Map<String, NpyArray> results) {
        Map<String, double[]> magnitudes = magnitudes(c);
        Map<String, Double> errors = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, NpyArray> e : c.expected().entrySet()) {
            NpyArray actual = results.get(e.getKey());
            errors.put(e.getKey(), actual != null && java.util.Arrays.equals(actual.shape(), e.getValue().shape())
                    ? Tolerances.relativeError(actual.data(), e.getValue().data(), magnitudes.get(e.getKey()))
                    : Double.POSITIVE_INFINITY);
        }
        return errors;
    }

    /**
     * The magnitudes ({@link Magnitudes}) of the expected arrays of case {@code c}, by name; empty
     * when they cannot be computed (the run itself then reports the problem).
     */
    private static Map<String, double[]> magnitudes(CaseDirectory c) {
        Map<String, double[]> m = new java.util.HashMap<>();
        NpyArray out = c.expected().get("output");
        if (out == null) return m;
        Map<String, NpyArray> in = c.inputs();
        NpyArray grad = c.gradOutput();
        double[] gradOut = grad != null ? grad.data() : new double[out.size()];
        try {
            if (c.op().equals(DEFORM_CONV2D)) {
                NpyArray input = in.get("input"), offset = in.get("offset"), mask = in.get("mask");
                NpyArray weight = in.get("weight"), bias = in.get("bias");
                ConvArgs a = new ConvArgs(c.deformConv2dSpec(), input.shape(), input.data(),
                        offset == null ? null : offset.shape(), offset == null ? null : offset.data(),
                        mask == null ? null : mask.shape(), mask == null ? null : mask.data(), weight.shape(),
                        weight.data(), bias == null ? null : bias.data(), out.shape(), gradOut);
                m.put("output", Magnitudes.convForward(a));
                if (grad != null) {
                    for (Map.Entry<dcn4j.Gradient, double[]> e : Magnitudes.convBackward(a).entrySet()) {
                        m.put(e.getKey().fileStem(), e.getValue());
                    }
                }
            } else {
                NpyArray input = in.get("input"), rois = in.get("rois"), offset = in.get("offset");
                RoiArgs a = new RoiArgs(c.deformPsRoiPoolSpec(), input.shape(), input.data(), rois.shape(),
                        rois.data(), offset == null ? null : offset.shape(), offset == null ? null : offset.data(),
                        out.shape(), gradOut);
                m.put("output", Magnitudes.roiForward(a));
                if (grad != null) {
                    for (Map.Entry<dcn4j.Gradient, double[]> e : Magnitudes.roiBackward(a).entrySet()) {
                        m.put(e.getKey().fileStem(), e.getValue());
                    }
                }
            }
        } catch (RuntimeException e) {
            m.clear();
        }
        return m;
    }
}
