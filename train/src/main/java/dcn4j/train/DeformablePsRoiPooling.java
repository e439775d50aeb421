package dcn4j.train;

import dcn4j.Backend;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
import java.util.List;

/**
 * Deformable position-sensitive RoI pooling with its learned offsets (paper section 2.2, Figure 4,
 * as the official R-FCN code builds it): a conv layer on the feature map produces full-resolution
 * offset fields ({@code 2*offsetClasses*k*k} channels); PS RoI pooling of those fields (no offsets)
 * gives each RoI its normalised offsets {@code [R, 2*offsetClasses, k, k]}; the deformable PS RoI
 * pooling of the score maps then moves each bin by {@code gamma * offset * (w, h)}
 * ({@code gamma = 0.1}). The offset conv starts at zero (step 0 = plain PS RoI pooling by sampling)
 * and learns at {@code beta} times the base rate.
 */
public final class DeformablePsRoiPooling {

    /** Gradients of {@link #backward}: for the feature map the offset conv reads, and for the score maps. */
    public record Gradients(Tensor features, Tensor scoreMaps) implements AutoCloseable {
        @Override
        public void close() {
            features.close();
            scoreMaps.close();
        }
    }

    private final Backend backend;
    private final DeformPsRoiPoolSpec spec;
    private final DeformPsRoiPoolSpec fieldSpec;
    private final Conv2d offsetConv;
    private final int offsetClasses;
    private final int groupSize;

    private Tensor scoreMaps;
    private Tensor rois;
    private Tensor fields;
    private Tensor offset;

    /**
     * @param backend            where the convolution and poolings run
     * @param name               prefix of the parameter names
     * @param featureChannels    channels of the feature map the offset conv reads
     * @param outputDim          output channels per RoI (score maps have {@code outputDim*k*k} channels)
     * @param groupSize          k: bins per side, score-map grid and offset grid
     * @param spatialScale       image-to-feature-map scale of the RoI coordinates
     * @param samplePerPart      bilinear samples per bin per side
     * @param gamma              offset scale, 0.1 in the paper ({@code transStd})
     * @param offsetClasses      offset sets per RoI (1: class-agnostic; {@code outputDim}: one per class), dividing {@code outputDim}
     * @param offsetKernelSize   odd kernel size of the offset conv (the official code uses 1)
     * @param offsetLrMultiplier beta of the offset conv
     */
    public DeformablePsRoiPooling(Backend backend, String name, int featureChannels, int outputDim, int groupSize,
                                  double spatialScale, int samplePerPart, double gamma, int offsetClasses,
                                  int offsetKernelSize, double offsetLrMultiplier) {
        if (backend == null) throw new IllegalArgumentException("backend: expected a backend, got null");
        if (offsetKernelSize < 1 || offsetKernelSize % 2 == 0) {
            throw new IllegalArgumentException("offsetKernelSize: expected an odd size >= 1, got " + offsetKernelSize);
        }
        if (offsetClasses < 1 || outputDim % offsetClasses != 0) {
            throw new IllegalArgumentException("offsetClasses: expected a divisor of outputDim=" + outputDim + ", got "
                    + offsetClasses);
        }
        this.backend = backend;
        this.spec = new DeformPsRoiPoolSpec(spatialScale, outputDim, groupSize, groupSize, groupSize, samplePerPart,
                gamma);
        this.fieldSpec = new DeformPsRoiPoolSpec(spatialScale, 2 * offsetClasses, groupSize, groupSize, groupSize,
                samplePerPart, gamma);
        this.offsetClasses = offsetClasses;
        this.groupSize = groupSize;
        int pad = (offsetKernelSize - 1) / 2;
        // Same-size fields: the RoIs index them with the score maps' spatialScale.
        this.offsetConv = new Conv2d(backend, name + ".offset", featureChannels,
                2 * offsetClasses * groupSize * groupSize, offsetKernelSize,
                DeformConv2dSpec.defaults().withPadding(pad, pad), offsetLrMultiplier, null);
    }

    /**
     * {@code features [N, F, H, W]} (read by the offset conv), {@code scoreMaps [N, outputDim*k*k, H, W]},
     * {@code rois [R, 5]} -> {@code [R, outputDim, k, k]}. Keeps its arguments for backward.
     */
    public Tensor forward(Tensor features, Tensor scoreMaps, Tensor rois) {
        int[] f = features.shape(), s = scoreMaps.shape();
        if (f.length != 4 || s.length != 4 || f[0] != s[0] || f[2] != s[2] || f[3] != s[3]) {
            throw new IllegalArgumentException("features: expected [N, F, H, W] with N, H, W of scoreMaps "
                    + java.util.Arrays.toString(s) + ", got " + java.util.Arrays.toString(f));
        }
        release();
        this.scoreMaps = scoreMaps;
        this.rois = rois;
        fields = offsetConv.forward(features);
        offset = backend.deformPsRoiPool(fieldSpec, fields, rois, null);
        return backend.deformPsRoiPool(spec, scoreMaps, rois, offset);
    }

    /** Adds the offset conv's gradients; returns the gradients of the features and the score maps. */
    public Gradients backward(Tensor gradOutput) {
        if (offset == null) throw new IllegalStateException("backward: expected a forward call first");
        var g = backend.deformPsRoiPoolBackward(spec, gradOutput, scoreMaps, rois, offset,
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        Tensor gradScores = g.input();
        Tensor gradFields;
        try (Tensor gOffset = g.offset()) {
            var gf = backend.deformPsRoiPoolBackward(fieldSpec, gOffset, fields, rois, null,
                    EnumSet.of(Gradient.INPUT));
            gradFields = gf.input();
        }
        try (gradFields) {
            return new Gradients(offsetConv.backward(gradFields), gradScores);
        }
    }

    /** The offset conv's weight {@code [2*offsetClasses*k*k, F, ks, ks]} and bias. */
    public List<Parameter> parameters() {
        return offsetConv.parameters();
    }

    /** The normalised offsets of the last forward, {@code [R, 2*offsetClasses, k, k]}. */
    public double[] lastOffsets() {
        if (offset == null) throw new IllegalStateException("lastOffsets: expected a forward call first");
        return offset.toDoubleArray();
    }

    /** Offset sets per RoI. */
    public int offsetClasses() {
        return offsetClasses;
    }

    /** k. */
    public int groupSize() {
        return groupSize;
    }

    private void release() {
        for (Tensor t : new Tensor[] {fields, offset}) {
            if (t != null) t.close();
        }
        fields = offset = null;
    }
}
