package dcn4j.conformance.internal;

import dcn4j.Backend;
import dcn4j.Gradient;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.RoiPoolCase;
import dcn4j.io.CaseDirectory;
import dcn4j.io.NpyArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Saves a generated case as a case directory (CASE_FORMAT.md): inputs as float32 arrays (the values
 * every backend computed on), {@code grad_output}, and the reference's float64 results as
 * {@code expected/}, so {@code dcn4j eval} and property 8 can replay it.
 */
public final class CaseWriter {

    private CaseWriter() {
    }

    /** Writes {@code sample} ({@link ConvCase} or {@link RoiPoolCase}) into the new directory {@code dir}. */
    public static void write(Object sample, Path dir) throws IOException {
        Backend ref = OpenBackends.reference();
        if (sample instanceof ConvCase c) {
            ConvArgs a = ConvArgs.of(c);
            Map<String, NpyArray> inputs = new LinkedHashMap<>();
            inputs.put("input", NpyArray.ofFloats(c.inputShape(), c.input()));
            if (c.hasOffset()) inputs.put("offset", NpyArray.ofFloats(c.offsetShape(), c.offset()));
            if (c.hasMask()) inputs.put("mask", NpyArray.ofFloats(c.maskShape(), c.mask()));
            inputs.put("weight", NpyArray.ofFloats(c.weightShape(), c.weight()));
            if (c.hasBias()) inputs.put("bias", NpyArray.ofFloats(c.biasShape(), c.bias()));
            Map<String, NpyArray> expected = new LinkedHashMap<>();
            expected.put("output", NpyArray.ofDoubles(c.outputShape(), a.forward(ref)));
            Map<Gradient, double[]> g = a.backward(ref, Gradient.all());
            for (Gradient which : Gradient.all()) {
                double[] v = g.get(which);
                if (v != null) expected.put(which.fileStem(), NpyArray.ofDoubles(shapeOf(c, which), v));
            }
            CaseDirectory.write(dir, CaseDirectory.DEFORM_CONV2D, CaseDirectory.params(c.spec()), inputs,
                    NpyArray.ofFloats(c.outputShape(), c.gradOutput()), expected);
        } else if (sample instanceof RoiPoolCase c) {
            RoiArgs a = RoiArgs.of(c);
            Map<String, NpyArray> inputs = new LinkedHashMap<>();
            inputs.put("input", NpyArray.ofFloats(c.inputShape(), c.input()));
            inputs.put("rois", NpyArray.ofFloats(c.roisShape(), c.rois()));
            if (c.hasOffset()) inputs.put("offset", NpyArray.ofFloats(c.offsetShape(), c.offset()));
            Map<String, NpyArray> expected = new LinkedHashMap<>();
            expected.put("output", NpyArray.ofDoubles(c.outputShape(), a.forward(ref)));
            Set<Gradient> wanted = EnumSet.of(Gradient.INPUT, Gradient.OFFSET);
            Map<Gradient, double[]> g = a.backward(ref, wanted);
            expected.put("grad_input", NpyArray.ofDoubles(c.inputShape(), g.get(Gradient.INPUT)));
            if (c.hasOffset()) expected.put("grad_offset", NpyArray.ofDoubles(c.offsetShape(), g.get(Gradient.OFFSET)));
            CaseDirectory.write(dir, CaseDirectory.DEFORM_PSROI_POOL, CaseDirectory.params(c.spec()), inputs,
                    NpyArray.ofFloats(c.outputShape(), c.gradOutput()), expected);
        } else {
            throw new IllegalArgumentException("sample: expected a ConvCase or RoiPoolCase, got "
                    + (sample == null ? "null" : sample.getClass().getName()));
        }
    }

    private static int[] shapeOf(ConvCase c, Gradient g) {
        return switch (g) {
            case INPUT -> c.inputShape();
            case OFFSET -> c.offsetShape();
            case MASK -> c.maskShape();
            case WEIGHT -> c.weightShape();
            case BIAS -> c.biasShape();
        };
    }
}
