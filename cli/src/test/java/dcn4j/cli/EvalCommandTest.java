package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.io.CaseDirectory;
import dcn4j.io.Npy;
import dcn4j.io.NpyArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dcn4j eval}: a good case writes its arrays and reports errors against {@code expected/};
 * every kind of malformed case ends with exit code 2, exactly one line on stderr naming the file or
 * argument, and no output written.
 */
class EvalCommandTest {

    private static final Path GOLDEN = Path.of("..", "cases", "torchvision");

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------------------------------------
    // Good cases

    @Test
    void goldenCaseWritesEveryArrayAndReportsTinyErrors() throws IOException {
        Path c = GOLDEN.resolve("v2-mask-3x3-pad1-bias");
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "reference", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        CaseDirectory loaded = CaseDirectory.load(c);
        Map<String, NpyArray> want;
        try (Backend ref = Backends.open("reference")) {
            want = loaded.run(ref);
        }
        assertEquals(List.of("output", "grad_input", "grad_offset", "grad_mask", "grad_weight", "grad_bias"),
                List.copyOf(want.keySet()));
        for (Map.Entry<String, NpyArray> e : want.entrySet()) {
            NpyArray written = Npy.read(out.resolve(e.getKey() + ".npy"));
            assertEquals(e.getValue(), written, e.getKey());
            assertEquals(DType.F64, written.dtype(), "the reference writes <f8");
        }
        // One line per expected array: name, relative error, max-abs error, shape.
        Pattern line = Pattern.compile("^(\\w+) +rel (\\S+) +max-abs (\\S+) +\\[.*\\]$");
        int compared = 0;
        for (String l : r.outLines()) {
            Matcher m = line.matcher(l);
            if (!m.matches()) continue;
            compared++;
            assertTrue(Double.parseDouble(m.group(2)) <= 1e-12, l);
            assertTrue(Double.parseDouble(m.group(3)) <= 1e-12, l);
        }
        assertEquals(loaded.expected().size(), compared, r.out());
        assertTrue(r.out().contains("wrote output.npy, grad_input.npy"), r.out());
    }

    /**
     * The golden 16-bit cases (tools/make_sixteen_bit_cases.py) pass through eval on every backend
     * available here: results are written in the case's dtype ({@code <f2}, or {@code <u2} bfloat16
     * bits) and are within one 16-bit rounding plus the float32 budget of the golden values.
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference", "vector", "opencl"})
    void sixteenBitGoldenCasesPassOnEveryBackendAndAreWrittenInTheirDtype(String backend) throws IOException {
        var availability = Backends.provider(backend).availability();
        if (!availability.available()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                org.junit.jupiter.api.Assertions.fail("CI=true but " + backend + " is unavailable: " + availability.reason());
            }
            org.junit.jupiter.api.Assumptions.abort(backend + " unavailable: " + availability.reason());
        }
        int cases = 0;
        for (String folder : List.of("torchvision-f16", "torchvision-bf16")) {
            DType dtype = folder.endsWith("bf16") ? DType.BF16 : DType.F16;
            double u = dtype == DType.F16 ? 0x1p-11 : 0x1p-8;
            try (java.util.stream.Stream<Path> dirs = Files.list(GOLDEN.resolveSibling(folder))) {
                for (Path c : dirs.sorted().toList()) {
                    Path out = tmp.resolve(backend + "-" + folder + "-" + c.getFileName());
                    CliRun r = CliRun.of("eval", c.toString(), "--backend", backend, "--out", out.toString());
                    assertEquals(0, r.exitCode(), c + ": " + r.err());
                    assertTrue(r.out().contains("on " + backend + " (" + dtype + ","), r.out());
                    for (Path f : list(out)) assertEquals(dtype, Npy.read(f).dtype(), f.toString());
                    for (String l : r.outLines()) {
                        Matcher m = Pattern.compile("^(\\w+) +rel (\\S+) +max-abs .*").matcher(l);
                        // Both sides rounded once to the dtype, plus float32 accumulation (DESIGN.md).
                        if (m.matches()) assertTrue(Double.parseDouble(m.group(2)) <= 2 * u + 1e-4, c + ": " + l);
                    }
                    cases++;
                }
            }
        }
        assertEquals(14, cases);
    }

    @Test
    void sixteenBitCaseWithAFloat32InputFailsNamingTheFile() throws IOException {
        Path c = convCase("mixed", b -> {
            Npy.write(b.resolve("input.npy"), new NpyArray(new int[] {1, 2, 4, 4}, DType.F16, new double[32]));
        });
        assertFailsNaming(c, c.resolve("case.json") + ": inputs.offset: expected dtype '<f2' as every array of this F16 "
                + "case, got '<f8'");
    }

    @Test
    void uint16ArraysNeedTheBf16Param() throws IOException {
        Path c = convCase("u2", b -> Npy.write(b.resolve("input.npy"),
                NpyArray.ofBits(new int[] {1, 2, 4, 4}, DType.BF16, new short[32])));
        assertFailsNaming(c, c.resolve("case.json") + ": inputs.input: a '<u2' array holds bfloat16 bits only in a "
                + "case with params.dtype \"bf16\", got no params.dtype");
    }

    @Test
    void psroiGoldenCasesWithAndWithoutOffsetAndEmptyRois() throws IOException {
        Path port = GOLDEN.resolveSibling("psroi-port");
        for (String name : List.of("ps-g3-p3-spp2-basic", "notrans-g1-roipool-f4rois", "empty-rois")) {
            Path c = port.resolve(name);
            Path out = tmp.resolve("out-" + name);
            CliRun r = CliRun.of("eval", c.toString(), "--backend", "reference", "--out", out.toString());
            assertEquals(0, r.exitCode(), name + ": " + r.err());
            CaseDirectory loaded = CaseDirectory.load(c);
            List<String> written = list(out).stream().map(p -> p.getFileName().toString()).toList();
            List<String> want = loaded.expected().keySet().stream().map(k -> k + ".npy").sorted().toList();
            assertEquals(want, written, name + ": one file per expected array, never grad_rois");
            for (String l : r.outLines()) {
                Matcher m = Pattern.compile("^(\\w+) +rel (\\S+) +max-abs (\\S+) .*").matcher(l);
                if (m.matches()) assertTrue(Double.parseDouble(m.group(2)) <= 1e-12, name + ": " + l);
            }
            assertEquals(loaded.expected().size(), r.outLines().stream().filter(l -> l.contains(" rel ")).count(),
                    name + ": " + r.out());
        }
    }

    @Test
    void reportedErrorIsTheNormRelativeDifference() throws IOException {
        // expected = 2 * output of a forward-only case: relative error exactly 0.5 in any norm.
        Path c = convCase("half", b -> { });
        Map<String, NpyArray> got;
        try (Backend ref = Backends.open("reference")) {
            got = CaseDirectory.load(c).run(ref);
        }
        double[] doubled = got.get("output").data().clone();
        double maxAbs = 0;
        for (int i = 0; i < doubled.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(doubled[i]));
            doubled[i] *= 2;
        }
        Files.createDirectory(c.resolve("expected"));
        Npy.write(c.resolve("expected").resolve("output.npy"), NpyArray.ofDoubles(got.get("output").shape(), doubled));
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "reference", "--out", tmp.resolve("o").toString());
        String report = r.outLines().stream().filter(l -> l.startsWith("output ")).findFirst().orElseThrow();
        assertTrue(report.contains("rel 5.000e-01"), report);
        assertTrue(report.contains("max-abs " + String.format("%.3e", maxAbs)), report);
        // A case with expected/ is a check: beyond the tolerance the command fails, with one line.
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertEquals(List.of("dcn4j eval: " + c + " fails on reference: output error 5.000e-01 exceeds 1e-05"),
                r.errLines());
        assertTrue(Files.isRegularFile(tmp.resolve("o").resolve("output.npy")), "results are still written");
    }

    @Test
    void resultsWithinToleranceExitZero() throws IOException {
        Path c = convCase("within", b -> { });
        Map<String, NpyArray> got;
        try (Backend ref = Backends.open("reference")) {
            got = CaseDirectory.load(c).run(ref);
        }
        Files.createDirectory(c.resolve("expected"));
        Npy.write(c.resolve("expected").resolve("output.npy"), got.get("output"));
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "vector", "--out", tmp.resolve("o").toString());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertEquals("", r.err());
    }

    @Test
    void forwardOnlyCaseWritesOnlyOutputAndComparesNothing() throws IOException {
        Path c = convCase("fwd", b -> { });
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "reference", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of(out.resolve("output.npy")), list(out));
        assertFalse(r.out().contains(" rel "), r.out());
    }

    @Test
    void backendDefaultsToTheOneBackendsMarks() throws IOException {
        Path c = convCase("default", b -> { });
        CliRun r = CliRun.of("eval", c.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(0, r.exitCode(), r.err());
        String expected = BackendsCommand.defaultChoice(Backends.providers()).name();
        assertTrue(r.out().contains(") on " + expected + " ("), r.out());
    }

    @Test
    void deviceIndexIsPassedToTheBackend() throws IOException {
        Path c = convCase("dev", b -> { });
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "reference", "--device", "0", "--out",
                tmp.resolve("o").toString());
        assertEquals(0, r.exitCode(), r.err());
    }

    @Test
    void existingOutputsAreReplaced() throws IOException {
        Path c = convCase("replace", b -> { });
        Path out = Files.createDirectory(tmp.resolve("out"));
        Files.writeString(out.resolve("output.npy"), "stale");
        assertEquals(0, CliRun.of("eval", c.toString(), "--backend", "reference", "--out", out.toString()).exitCode());
        assertArrayEquals(new int[] {1, 3, 4, 4}, Npy.read(out.resolve("output.npy")).shape());
    }

    @Test
    void filesOfAnEarlierRunDoNotStayBesideTheNewOnes() throws IOException {
        Path backward = tmp.resolve("backward");
        CaseDirectory.write(backward, CaseDirectory.DEFORM_CONV2D,
                CaseDirectory.params(DeformConv2dSpec.defaults().withPadding(1, 1)),
                Map.of("input", random(1, 2, 4, 4), "offset", random(1, 18, 4, 4), "weight", random(3, 2, 3, 3)),
                random(1, 3, 4, 4), null);
        Path forward = convCase("forward", b -> { });
        Path out = tmp.resolve("out");
        assertEquals(0, CliRun.of("eval", backward.toString(), "--backend", "reference", "--out", out.toString())
                .exitCode());
        assertEquals(List.of(out.resolve("grad_input.npy"), out.resolve("grad_offset.npy"),
                out.resolve("grad_weight.npy"), out.resolve("output.npy")), list(out));
        assertEquals(0, CliRun.of("eval", forward.toString(), "--backend", "reference", "--out", out.toString())
                .exitCode());
        assertEquals(List.of(out.resolve("output.npy")), list(out), "only this run's files");
        assertEquals(List.of(out), list(tmp).stream().filter(p -> p.getFileName().toString().contains("out")).toList(),
                "no staging folder left beside --out");
    }

    @Test
    void aFolderHoldingOtherFilesIsRefusedAndLeftUntouched() throws IOException {
        Path c = convCase("foreign", b -> { });
        Path out = Files.createDirectory(tmp.resolve("mine"));
        Files.writeString(out.resolve("notes.txt"), "my notes");
        Files.writeString(out.resolve("output.npy"), "old");
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "reference", "--out", out.toString());
        assertOneLineFailure(r, "dcn4j eval: --out: expected a new folder or one holding only results of dcn4j eval");
        assertTrue(r.err().contains("notes.txt"), r.err());
        assertEquals("my notes", Files.readString(out.resolve("notes.txt")));
        assertEquals("old", Files.readString(out.resolve("output.npy")));
    }

    @Test
    void emptyOutIsRefused() throws IOException {
        Path c = convCase("emptyout", b -> { });
        assertOneLineFailure(CliRun.of("eval", c.toString(), "--backend", "reference", "--out", ""),
                "dcn4j eval: --out: expected a folder, got an empty path");
        assertOneLineFailure(CliRun.of("eval", c.toString(), "--backend", "reference", "--out", "."),
                "dcn4j eval: --out: expected a folder of its own for the results, got . (the current directory)");
    }

    @Test
    void aFailedWriteLeavesTheEarlierResultsWhole() throws IOException {
        Path out = tmp.resolve("whole");
        ResultDirectory.replace(ResultDirectory.check(out.toString()),
                Map.of("output", random(1, 2), "grad_input", random(2)));
        byte[] before = Files.readAllBytes(out.resolve("output.npy"));
        Map<String, NpyArray> bad = new LinkedHashMap<>();
        bad.put("output", random(3));
        bad.put("grad_input", null);  // CaseDirectory.writeOutputs refuses it: the run fails before the swap
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ResultDirectory.replace(out, bad));
        assertEquals(List.of(out.resolve("grad_input.npy"), out.resolve("output.npy")), list(out));
        assertArrayEquals(before, Files.readAllBytes(out.resolve("output.npy")));
        assertEquals(List.of(out), list(tmp), "no staging folder left");
    }

    @Test
    void aDirectoryOrFifoAsAnInputIsSaidForWhatItIs() throws IOException, InterruptedException {
        Path d = convCase("dir-input", b -> {
            Files.delete(b.resolve("weight.npy"));
            Files.createDirectory(b.resolve("weight.npy"));
        });
        assertFailsNaming(d, d.resolve("case.json") + ": inputs.weight: expected an existing .npy file, got a "
                + "directory: " + d.resolve("weight.npy"));
        Path f = convCase("fifo-input", b -> Files.delete(b.resolve("weight.npy")));
        Process mkfifo = new ProcessBuilder("mkfifo", f.resolve("weight.npy").toString()).inheritIO().start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo not available");
        assertFailsNaming(f, f.resolve("case.json") + ": inputs.weight: expected an existing .npy file, got a FIFO "
                + "or other special file, not a regular file: " + f.resolve("weight.npy"));
    }

    @Test
    void outOfMemoryIsOneLineNamingTheArraysAndTheHeapLimit() throws IOException, InterruptedException {
        // A 64 MiB input in a JVM of 32 MiB heap: CLI in a child JVM, as a user runs it.
        Path c = tmp.resolve("huge");
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put("input", NpyArray.ofDoubles(new int[] {1, 1, 2048, 4096}, new double[2048 * 4096]));
        in.put("offset", random(1, 2, 1, 1));
        in.put("weight", random(1, 1, 1, 1));
        CaseDirectory.write(c, CaseDirectory.DEFORM_CONV2D,
                CaseDirectory.params(new DeformConv2dSpec(2048, 4096, 0, 0, 1, 1, 1, 1)), in, null, null);
        in = null;
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx32m",
                "-cp", System.getProperty("java.class.path"), "dcn4j.cli.Main", "eval", c.toString(), "--backend",
                "reference", "--out", tmp.resolve("huge-out").toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.waitFor(), err);
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING:")).toList();
        assertEquals(1, lines.size(), err);
        assertTrue(lines.get(0).startsWith("dcn4j eval: out of memory"), err);
        assertTrue(lines.get(0).contains("largest input.npy of 64.0 MiB"), err);
        assertTrue(lines.get(0).contains("the JVM heap limit is "), err);
        assertFalse(Files.exists(tmp.resolve("huge-out")));
    }

    // ---------------------------------------------------------------------------------------------
    // Malformed cases: exit 2, one line naming the file or argument, nothing written

    @Test
    void badJson() throws IOException {
        Path c = convCase("badjson", b -> Files.writeString(b.resolve("case.json"), "{\"op\": \"deform_conv2d\",,}"));
        assertFailsNaming(c, c.resolve("case.json") + ": line 1, column 24: expected a string key");
    }

    @Test
    void unknownOp() throws IOException {
        Path c = convCase("op", b -> replaceInJson(b, "\"deform_conv2d\"", "\"deform_pool\""));
        assertFailsNaming(c, c.resolve("case.json") + ": op: expected \"deform_conv2d\" or \"deform_psroi_pool\", "
                + "got \"deform_pool\"");
    }

    @Test
    void unknownParam() throws IOException {
        Path c = convCase("param", b -> replaceInJson(b, "\"groups\"", "\"group\""));
        assertFailsNaming(c, c.resolve("case.json") + ": unknown key \"params.group\"");
    }

    @Test
    void zeroStride() throws IOException {
        Path c = convCase("stride", b -> replaceInJson(b, "\"stride\": [1, 1]", "\"stride\": [0, 1]"));
        assertFailsNaming(c, c.resolve("case.json") + ": params: strideH: expected >= 1, got 0");
    }

    @Test
    void badGroups() throws IOException {
        // C = 2 input channels cannot be split into 3 groups: the SPI's check, prefixed with the case.
        Path c = convCase("groups", b -> replaceInJson(b, "\"groups\": 1", "\"groups\": 3"));
        assertFailsNaming(c, c + ": groups: expected a divisor of input channels C=2, got 3");
    }

    @Test
    void wrongShapes() throws IOException {
        Path c = convCase("shape", b -> Npy.write(b.resolve("offset.npy"), random(1, 16, 4, 4)));
        assertFailsNaming(c, c + ": offset: expected shape [1, 18, 4, 4] [N, 2*offsetGroups*kh*kw, Ho, Wo], got "
                + "[1, 16, 4, 4]");
    }

    @Test
    void missingFile() throws IOException {
        Path c = convCase("missing", b -> Files.delete(b.resolve("weight.npy")));
        assertFailsNaming(c, c.resolve("case.json") + ": inputs.weight: expected an existing .npy file, got no such "
                + "file: " + c.resolve("weight.npy"));
    }

    @Test
    void truncatedFile() throws IOException {
        Path c = convCase("trunc", b -> {
            byte[] full = Files.readAllBytes(b.resolve("input.npy"));
            Files.write(b.resolve("input.npy"), java.util.Arrays.copyOf(full, full.length - 5));
        });
        assertFailsNaming(c, c.resolve("input.npy") + ": truncated data: expected 256 bytes for shape [1, 2, 4, 4] "
                + "of <f8, got 251");
    }

    @Test
    void nonNpyFile() throws IOException {
        Path c = convCase("text", b -> Files.writeString(b.resolve("offset.npy"), "offset,1,2,3\n"));
        assertFailsNaming(c, c.resolve("offset.npy") + ": not a .npy file: expected the magic string");
    }

    @Test
    void intArray() throws IOException {
        Path c = convCase("int", b -> Files.write(b.resolve("weight.npy"),
                rawNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (3, 2, 3, 3), }", 54 * 4)));
        assertFailsNaming(c, c.resolve("weight.npy") + ": dtype: expected '<f4' (float32), '<f8' (float64), '<f2' (float16) or '<u2' (bfloat16 bits), "
                + "got '<i4'");
    }

    @Test
    void fortranOrderArray() throws IOException {
        Path c = convCase("fortran", b -> Files.write(b.resolve("weight.npy"),
                rawNpy("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2, 3, 3), }", 54 * 8)));
        assertFailsNaming(c, c.resolve("weight.npy") + ": fortran_order: expected False (C order), got True");
    }

    @Test
    void wrongShapeInExpected() throws IOException {
        Path c = convCase("expshape", b -> {
            Files.createDirectory(b.resolve("expected"));
            Npy.write(b.resolve("expected").resolve("output.npy"), random(1, 3, 4, 5));
        });
        assertFailsNaming(c, c.resolve("expected").resolve("output.npy") + ": expected shape [1, 3, 4, 4] (the "
                + "computed output), got [1, 3, 4, 5]");
    }

    @Test
    void missingCaseDirectory() {
        Path c = tmp.resolve("nothing-here");
        assertFailsNaming(c, c + ": expected a case directory, got nothing (no such directory)");
    }

    @Test
    void unknownBackend() throws IOException {
        Path c = convCase("backend", b -> { });
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "quantum", "--out", out.toString());
        assertOneLineFailure(r, "dcn4j eval: backend: expected one of ");
        assertTrue(r.err().contains("got 'quantum'"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void outIsAFile() throws IOException {
        Path c = convCase("outfile", b -> { });
        Path out = Files.writeString(tmp.resolve("out.txt"), "x");
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "reference", "--out", out.toString());
        assertOneLineFailure(r, "dcn4j eval: --out: expected a directory, got a file: " + out);
    }

    @Test
    void negativeDevice() throws IOException {
        Path c = convCase("device", b -> { });
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "reference", "--device", "-5", "--out",
                out.toString());
        assertOneLineFailure(r, "dcn4j eval: --device: device: expected >= -1, got -5");
        assertFalse(Files.exists(out));
    }

    @Test
    void missingOutOptionIsOneUsageLine() throws IOException {
        Path c = convCase("noout", b -> { });
        CliRun r = CliRun.of("eval", c.toString(), "--backend", "reference");
        assertOneLineFailure(r, "dcn4j eval: Missing required option: '--out=DIR' (see 'dcn4j eval --help')");
    }

    @Test
    void psroiShapesAreValidated() throws IOException {
        DeformPsRoiPoolSpec spec = new DeformPsRoiPoolSpec(0.5, 2, 2, 2, 2, 2, 0.1);
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put("input", random(1, 8, 6, 6));
        in.put("rois", NpyArray.ofDoubles(new int[] {1, 4}, new double[] {0, 0, 8, 8}));
        Path c = tmp.resolve("psroi");
        CaseDirectory.write(c, CaseDirectory.DEFORM_PSROI_POOL, CaseDirectory.params(spec), in, random(1, 2, 2, 2),
                null);
        assertFailsNaming(c, c + ": rois: expected shape [R, 5] of (batchIndex, x1, y1, x2, y2), got [1, 4]");
    }

    @Test
    void psroiParamsAreValidated() throws IOException {
        DeformPsRoiPoolSpec spec = new DeformPsRoiPoolSpec(0.5, 2, 2, 2, 2, 2, 0.1);
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put("input", random(1, 8, 6, 6));
        in.put("rois", NpyArray.ofDoubles(new int[] {1, 5}, new double[] {0, 0, 0, 8, 8}));
        Path c = tmp.resolve("psroi-params");
        CaseDirectory.write(c, CaseDirectory.DEFORM_PSROI_POOL, CaseDirectory.params(spec), in, null, null);
        replaceInJson(c, "\"pooled_size\": 2", "\"pooled_size\": 0");
        assertFailsNaming(c, c.resolve("case.json") + ": params: pooledSize: expected >= 1, got 0");
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    @FunctionalInterface
    interface Damage {
        void apply(Path dir) throws IOException;
    }

    /**
     * A valid deform_conv2d case (input 1x2x4x4, weight 3x2x3x3, padding 1, output 1x3x4x4),
     * then {@code damage} applied to its directory.
     */
    private Path convCase(String name, Damage damage) throws IOException {
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put("input", random(1, 2, 4, 4));
        in.put("offset", random(1, 18, 4, 4));
        in.put("weight", random(3, 2, 3, 3));
        Path dir = tmp.resolve(name);
        CaseDirectory.write(dir, CaseDirectory.DEFORM_CONV2D,
                CaseDirectory.params(DeformConv2dSpec.defaults().withPadding(1, 1)), in, null, null);
        damage.apply(dir);
        return dir;
    }

    private static void replaceInJson(Path dir, String from, String to) throws IOException {
        Path f = dir.resolve("case.json");
        String s = Files.readString(f);
        assertTrue(s.contains(from), "test setup: " + from + " not in " + s);
        Files.writeString(f, s.replace(from, to));
    }

    private void assertFailsNaming(Path caseDir, String message) {
        Path out = tmp.resolve("out-" + caseDir.getFileName());
        CliRun r = CliRun.of("eval", caseDir.toString(), "--backend", "reference", "--out", out.toString());
        assertOneLineFailure(r, "dcn4j eval: " + message);
        assertFalse(Files.exists(out.resolve("output.npy")), "no output.npy on error");
        assertFalse(Files.exists(out), "the output folder is only made once everything succeeded");
    }

    private static void assertOneLineFailure(CliRun r, String startOfLine) {
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertEquals(1, r.errLines().size(), "exactly one line on stderr: " + r.err());
        assertTrue(r.errLines().get(0).startsWith(startOfLine), "expected '" + startOfLine + "...', got: " + r.err());
        assertEquals("", r.out());
    }

    private static final Random RANDOM = new Random(42);

    private static NpyArray random(int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = RANDOM.nextGaussian();
        return NpyArray.ofDoubles(shape, v);
    }

    /** A version 1.0 .npy file with {@code dict} as header (padded as NumPy pads) and zero data bytes. */
    private static byte[] rawNpy(String dict, int dataBytes) {
        int hlen = dict.length() + 1;
        String header = dict + " ".repeat((64 - (10 + hlen) % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
