package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code dcn4j bench}: timing output, the JSON last line, and one-line errors. */
class BenchCommandTest {

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(-?[0-9.eE+-]+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void jsonLastLineHasMedianAndGflops() {
        CliRun r = CliRun.of("bench", "--backend", "vector", "--op", "deform_conv2d", "--shape", "1,4,6,6,4,3,3",
                "--padding", "1,1", "--warmup", "1", "--warmup-seconds", "0", "--iterations", "3", "--json");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.outLines();
        String json = lines.get(lines.size() - 1);
        assertTrue(json.startsWith("{") && json.endsWith("}"), json);
        assertTrue(number(json, "median_ms") > 0);
        assertTrue(number(json, "gflops") > 0);
        // 2*N*O*(C/groups)*kh*kw*Ho*Wo for the forward pass.
        assertEquals(2.0 * 1 * 4 * 4 * 9 * 36, number(json, "flops"));
        assertTrue(number(json, "workspace_bytes") > 0);
        assertTrue(json.contains("\"pass\":\"forward\""), json);
    }

    @Test
    void backwardCountsTwoProductsAndWorksOnAnyBackend() {
        CliRun r = CliRun.of("bench", "--backend", "reference", "--shape", "2,4,5,5,6,3,3", "--padding", "1,1",
                "--groups", "2", "--offset-groups", "2", "--mask", "--bias", "--backward", "--warmup", "0",
                "--warmup-seconds", "0", "--iterations", "1", "--json");
        assertEquals(0, r.exitCode(), r.err());
        String json = r.outLines().get(r.outLines().size() - 1);
        assertEquals(2 * 2.0 * 2 * 6 * 2 * 9 * 25, number(json, "flops"));
        assertEquals(-1, number(json, "workspace_bytes"));
        assertTrue(json.contains("\"pass\":\"backward\"") && json.contains("\"mask\":true"), json);
    }

    @Test
    void plainConvolutionRunsWithoutOffset() {
        CliRun r = CliRun.of("bench", "--backend", "vector", "--shape", "1,3,7,7,2,3,3", "--no-offset", "--warmup", "0",
                "--warmup-seconds", "0", "--iterations", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("no offset"), r.out());
    }

    @Test
    void dtypeOptionBenchmarksSixteenBitTensors() {
        for (String d : List.of("f16", "BF16")) {
            CliRun r = CliRun.of("bench", "--backend", "vector", "--dtype", d, "--shape", "1,4,6,6,4,3,3", "--padding",
                    "1,1", "--warmup", "0", "--warmup-seconds", "0", "--iterations", "1", "--json");
            assertEquals(0, r.exitCode(), r.err());
            String json = r.outLines().get(r.outLines().size() - 1);
            assertTrue(json.contains("\"dtype\":\"" + d.toUpperCase(java.util.Locale.ROOT) + "\""), json);
            assertTrue(r.out().contains(d.toUpperCase(java.util.Locale.ROOT) + " tensors"), r.out());
        }
        CliRun pool = CliRun.of("bench", "--backend", "vector", "--op", "deform_psroi_pool", "--dtype", "f16", "--shape",
                "1,2,8,8,3", "--warmup", "0", "--warmup-seconds", "0", "--iterations", "1", "--json");
        assertEquals(0, pool.exitCode(), pool.err());
        assertTrue(pool.outLines().get(pool.outLines().size() - 1).contains("\"dtype\":\"F16\""), pool.out());
        CliRun bad = CliRun.of("bench", "--backend", "vector", "--dtype", "int8", "--shape", "1,4,6,6,4,3,3");
        assertEquals(List.of("dcn4j bench: --dtype: expected F32, F64, F16 or BF16, got 'int8'"), bad.errLines());
        CliRun unsupported = CliRun.of("bench", "--backend", "vector", "--dtype", "f64", "--shape", "1,4,6,6,4,3,3");
        assertEquals(List.of("dcn4j bench: --dtype: expected a dtype backend 'vector' supports, got F64"),
                unsupported.errLines());
    }

    @Test
    void badArgumentsGiveOneLineErrors() {
        CliRun shape = CliRun.of("bench", "--backend", "vector", "--shape", "1,2");
        assertEquals(2, shape.exitCode());
        assertEquals(List.of("dcn4j bench: --shape: expected 7 comma-separated integers, got '1,2'"), shape.errLines());
        CliRun op = CliRun.of("bench", "--op", "conv3d", "--shape", "1,2,3,3,1,1,1");
        assertEquals(2, op.exitCode());
        assertEquals(1, op.errLines().size(), op.err());
        assertTrue(op.err().contains("--op: expected deform_conv2d"), op.err());
        CliRun empty = CliRun.of("bench", "--backend", "vector", "--shape", "1,2,2,2,1,3,3");
        assertEquals(2, empty.exitCode());
        assertTrue(empty.err().contains("output size"), empty.err());
    }

    @Test
    void psRoiPoolReportsRoisAndSamplesPerSecond() {
        CliRun r = CliRun.of("bench", "--backend", "vector", "--op", "deform_psroi_pool", "--shape", "1,3,9,11,5",
                "--group-size", "3", "--pooled-size", "3", "--part-size", "3", "--sample-per-part", "2", "--warmup", "1",
                "--warmup-seconds", "0", "--iterations", "3", "--json");
        assertEquals(0, r.exitCode(), r.err());
        String json = r.outLines().get(r.outLines().size() - 1);
        // R * D * pooled^2 * samplePerPart^2 bilinear samples per forward.
        assertEquals(5.0 * 3 * 9 * 4, number(json, "samples"));
        double median = number(json, "median_ms");
        assertTrue(median > 0);
        assertEquals(5 / (median * 1e-3), number(json, "rois_per_s"), 0.05 * 5 / (median * 1e-3) + 0.1);
        assertEquals(540 / (median * 1e-3), number(json, "samples_per_s"), 0.05 * 540 / (median * 1e-3) + 0.1);
        assertTrue(json.contains("\"op\":\"deform_psroi_pool\"") && json.contains("\"offset\":true"), json);
        assertTrue(r.out().contains("samples/s"), r.out());
    }

    @Test
    void psRoiPoolBackwardWithoutOffsetAndItsErrors() {
        CliRun r = CliRun.of("bench", "--backend", "reference", "--op", "deform_psroi_pool", "--shape", "2,2,6,6,4",
                "--group-size", "2", "--pooled-size", "2", "--part-size", "2", "--no-offset", "--backward", "--warmup",
                "0", "--warmup-seconds", "0", "--iterations", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("deform_psroi_pool backward (no offset)"), r.out());
        CliRun bad = CliRun.of("bench", "--op", "deform_psroi_pool", "--shape", "1,2,3,3,1,1,1");
        assertEquals(2, bad.exitCode());
        assertEquals(List.of("dcn4j bench: --shape: expected 5 comma-separated integers, got '1,2,3,3,1,1,1'"),
                bad.errLines());
    }
}
