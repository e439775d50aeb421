package dcn4j.train;

import dcn4j.Backend;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
import java.util.List;

/**
 * Deformable RoI pooling with its learned offsets (paper section 2.2, eq. 5-6, Figure 3): plain
 * RoI pooling of the input gives the pooled feature map, an fc layer turns it into normalised
 * offsets {@code dp^} ({@code 2*k*k} per RoI), and the deformable pooling moves bin {@code (i, j)}
 * by {@code gamma * dp^ij ∘ (w, h)} of the RoI, {@code gamma = 0.1} in the paper. The fc layer
 * starts at zero, so at step 0 this is plain RoI pooling (by sampling, DESIGN.md), and learns at
 * {@code beta} times the base rate (the paper uses {@code beta = 0.01} for this fc layer in
 * Faster R-CNN).
 *
 * <p>Both poolings run on the backend's {@code deformPsRoiPool} with {@code groupSize = 1}
 * (DESIGN.md: the non-PS deformable RoI pooling); the fc layer runs on the host.
 */
public final class DeformableRoiPooling {

    private final Backend backend;
    private final DeformPsRoiPoolSpec spec;
    private final int channels;
    private final int pooledSize;
    private final Linear offsetHead;

    private Tensor input;
    private Tensor rois;
    private Tensor offset;
    private int roiCount;

    /**
     * @param backend            where the poolings run
     * @param name               prefix of the parameter names
     * @param channels           C of the input (= channels of the output)
     * @param pooledSize         k, bins per side
     * @param spatialScale       image-to-feature-map scale of the RoI coordinates
     * @param samplePerPart      bilinear samples per bin per side
     * @param gamma              offset scale, 0.1 in the paper (eq. 6; {@code transStd} of the op)
     * @param offsetLrMultiplier beta of the fc offset head
     */
    public DeformableRoiPooling(Backend backend, String name, int channels, int pooledSize, double spatialScale,
                                int samplePerPart, double gamma, double offsetLrMultiplier) {
        if (backend == null) throw new IllegalArgumentException("backend: expected a backend, got null");
        this.backend = backend;
        this.spec = new DeformPsRoiPoolSpec(spatialScale, channels, 1, pooledSize, pooledSize, samplePerPart, gamma);
        this.channels = channels;
        this.pooledSize = pooledSize;
        this.offsetHead = new Linear(name + ".offset", channels * pooledSize * pooledSize,
                2 * pooledSize * pooledSize, offsetLrMultiplier, null);
    }

    /** {@code input [N, C, H, W]}, {@code rois [R, 5]} -> {@code [R, C, k, k]}; keeps both for backward. */
    public Tensor forward(Tensor input, Tensor rois) {
        release();
        this.input = input;
        this.rois = rois;
        double[] pooled;
        try (Tensor plain = backend.deformPsRoiPool(spec, input, rois, null)) {
            pooled = plain.toDoubleArray();
        }
        roiCount = rois.shape()[0];
        // Normalised offsets [R, 2, k, k]: channel 0 is x, channel 1 is y (DESIGN.md).
        double[] normalised = offsetHead.forward(pooled, roiCount);
        offset = backend.tensor(new int[] {roiCount, 2, pooledSize, pooledSize}, normalised);
        return backend.deformPsRoiPool(spec, input, rois, offset);
    }

    /** Adds the fc head's gradients and returns the input's: through the deformable and the plain pooling. */
    public Tensor backward(Tensor gradOutput) {
        if (input == null) throw new IllegalStateException("backward: expected a forward call first");
        var g = backend.deformPsRoiPoolBackward(spec, gradOutput, input, rois, offset,
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        double[] gradInput = g.input().toDoubleArray();
        g.input().close();
        double[] gradPooled = offsetHead.backward(g.offset().toDoubleArray());
        g.offset().close();
        try (Tensor gp = backend.tensor(new int[] {roiCount, channels, pooledSize, pooledSize}, gradPooled)) {
            var gPlain = backend.deformPsRoiPoolBackward(spec, gp, input, rois, null, EnumSet.of(Gradient.INPUT));
            double[] v = gPlain.input().toDoubleArray();
            gPlain.close();
            for (int i = 0; i < gradInput.length; i++) gradInput[i] += v[i];
        }
        return backend.tensor(input.shape(), gradInput);
    }

    /** The fc offset head's weight {@code [2*k*k, C*k*k]} and bias. */
    public List<Parameter> parameters() {
        return offsetHead.parameters();
    }

    /** The normalised offsets of the last forward, {@code [R, 2, k, k]}. */
    public double[] lastOffsets() {
        if (offset == null) throw new IllegalStateException("lastOffsets: expected a forward call first");
        return offset.toDoubleArray();
    }

    private void release() {
        if (offset != null) offset.close();
        offset = null;
    }
}
