package dcn4j.spi;

import dcn4j.DType;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.Arrays;
import java.util.Set;

/**
 * The validated sizes of one deformable PS RoI pooling call (DESIGN.md "Deformable PS RoI pooling",
 * CASE_FORMAT.md shapes). RoI values are checked too (finite, batch index in {@code [0, N)} after
 * truncation), so backends need the RoIs on the host: pass them as {@code roisHost}.
 *
 * @param roiCount   R (may be 0: an empty RoI list gives an empty output)
 * @param numClasses offset classes ({@code offset.shape[1] / 2}); 1 without offset
 */
public record DeformPsRoiPoolShape(DeformPsRoiPoolSpec spec, DType dtype, int batch, int channels, int height,
                                   int width, int roiCount, int numClasses, boolean hasOffset) {

    /** {@code outputDim / numClasses}: output channels that share one offset class. */
    public int channelsPerClass() {
        return spec.outputDim() / numClasses;
    }

    /** {@code [R, outputDim, pooledSize, pooledSize]}. */
    public int[] outputShape() {
        return new int[] {roiCount, spec.outputDim(), spec.pooledSize(), spec.pooledSize()};
    }

    /** {@code [N, C, H, W]}. */
    public int[] inputShape() {
        return new int[] {batch, channels, height, width};
    }

    /** {@code [R, 2*numClasses, partSize, partSize]}. */
    public int[] offsetShape() {
        return new int[] {roiCount, 2 * numClasses, spec.partSize(), spec.partSize()};
    }

    /** Validates a forward call; {@code offset} may be {@code null} ({@code no_trans}). */
    public static DeformPsRoiPoolShape of(String backendName, DeformPsRoiPoolSpec spec, Tensor input, Tensor rois,
                                          double[] roisHost, Tensor offset) {
        if (spec == null) throw new IllegalArgumentException("spec: expected a DeformPsRoiPoolSpec, got null");
        if (input == null) throw new IllegalArgumentException("input: expected a tensor, got null");
        DType dtype = input.dtype();
        Checks.owned("input", input, backendName, dtype);
        Checks.owned("rois", rois, backendName, dtype);
        int[] in = input.shape();
        Checks.rank("input", in, 4, "[N, C, H, W]");
        for (int d : in) {
            if (d < 1) {
                throw new IllegalArgumentException("input: expected every dimension >= 1 in [N, C, H, W], got "
                        + Arrays.toString(in));
            }
        }
        if (in[1] != spec.inputChannels()) {
            throw new IllegalArgumentException("input: expected C = outputDim*groupSize^2 = " + spec.outputDim() + "*"
                    + spec.groupSize() + "^2 = " + spec.inputChannels() + " channels, got " + in[1]);
        }
        int[] r = rois.shape();
        if (r.length != 2 || r[1] != 5) {
            throw new IllegalArgumentException("rois: expected shape [R, 5] of (batchIndex, x1, y1, x2, y2), got "
                    + Arrays.toString(r));
        }
        int roiCount = r[0];
        long outputCount = (long) roiCount * spec.outputDim() * spec.pooledSize() * spec.pooledSize();
        if (outputCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("rois: expected R*outputDim*pooledSize^2 <= " + (Integer.MAX_VALUE - 8)
                    + " output elements, got " + roiCount + "*" + spec.outputDim() + "*" + spec.pooledSize() + "^2 = "
                    + outputCount);
        }
        checkRoiValues(roisHost, roiCount, in[0]);
        int numClasses = 1;
        if (offset != null) {
            Checks.owned("offset", offset, backendName, dtype);
            int[] t = offset.shape();
            Checks.rank("offset", t, 4, "[R, 2*numClasses, partSize, partSize]");
            if (t[1] < 2 || t[1] % 2 != 0) {
                throw new IllegalArgumentException("offset: expected an even channel count 2*numClasses >= 2, got "
                        + t[1] + " in " + Arrays.toString(t));
            }
            numClasses = t[1] / 2;
            if (spec.outputDim() % numClasses != 0) {
                throw new IllegalArgumentException("offset: expected numClasses dividing outputDim=" + spec.outputDim()
                        + ", got numClasses=" + numClasses);
            }
        }
        DeformPsRoiPoolShape s = new DeformPsRoiPoolShape(spec, dtype, in[0], in[1], in[2], in[3], roiCount,
                numClasses, offset != null);
        if (offset != null) {
            Checks.shape("offset", offset.shape(), s.offsetShape(), "[R, 2*numClasses, partSize, partSize]");
        }
        return s;
    }

    /** {@link #of} plus the check of {@code gradOutput}. */
    public static DeformPsRoiPoolShape ofBackward(String backendName, DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                  Tensor input, Tensor rois, double[] roisHost, Tensor offset,
                                                  Set<Gradient> wanted) {
        DeformPsRoiPoolShape s = of(backendName, spec, input, rois, roisHost, offset);
        if (wanted == null) throw new IllegalArgumentException("wanted: expected a set of gradients, got null");
        for (Gradient g : wanted) {
            if (g != Gradient.INPUT && g != Gradient.OFFSET) {
                throw new IllegalArgumentException("wanted: expected INPUT and/or OFFSET for RoI pooling, got " + g);
            }
        }
        Checks.owned("gradOutput", gradOutput, backendName, s.dtype());
        Checks.shape("gradOutput", gradOutput.shape(), s.outputShape(), "[R, outputDim, pooledSize, pooledSize]");
        return s;
    }

    private static void checkRoiValues(double[] rois, int roiCount, int batch) {
        if (rois == null || rois.length != roiCount * 5) {
            throw new IllegalArgumentException("rois: expected " + (roiCount * 5) + " host values, got "
                    + (rois == null ? "null" : rois.length));
        }
        for (int i = 0; i < roiCount; i++) {
            for (int j = 0; j < 5; j++) {
                double v = rois[i * 5 + j];
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("rois[" + i + "," + j + "]: expected a finite value, got " + v);
                }
            }
            double b = rois[i * 5];
            // The official kernel reads the batch index as (int) roi[0]: truncation toward zero.
            long index = (long) b;
            if (index < 0 || index >= batch) {
                throw new IllegalArgumentException("rois[" + i + ",0]: expected a batch index in [0, " + batch
                        + "), got " + b);
            }
        }
    }
}
