package dcn4j.train;

import dcn4j.Backend;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

/**
 * A deformable convolution layer with its learned offsets (paper section 2.1 and 2.3, Figure 2):
 * an offset branch, a plain convolution with the same kernel size, stride, padding and dilation as
 * the main one, produces the offset field {@code [N, 2*offsetGroups*k*k, Ho, Wo]} from the same
 * input; the main convolution samples the input at the regular grid moved by those offsets
 * (eq. 2). The offset branch is initialised to zero, so at step 0 the layer is exactly the plain
 * convolution, and learns at {@code beta} times the base rate (section 2.3). Gradients reach the
 * offset branch by back-propagation through the bilinear sampling (eq. 3-4).
 *
 * <p>With {@code modulated}, a second zero-initialised branch gives the DCNv2 modulation mask
 * {@code sigmoid(conv(x))} ({@code [N, offsetGroups*k*k, Ho, Wo]}); at step 0 every mask value is
 * 0.5, as in DCNv2.
 *
 * <p>Both branches and the main convolution run on the backend's {@code deformConv2d}; only the
 * sigmoid and the sum of the input gradients are computed on the host.
 *
 * <pre>{@code
 * var conv = new DeformableConv2d(backend, "conv3", 16, 16, 3, DeformConv2dSpec.defaults().withPadding(1, 1),
 *         false, 1.0, new Random(7));
 * Tensor y = conv.forward(x);          // keep x open until backward
 * Tensor gx = conv.backward(gradY);    // adds to conv.parameters() gradients
 * }</pre>
 */
public final class DeformableConv2d implements Layer {

    private final Backend backend;
    private final DeformConv2dSpec spec;
    private final DeformConv2dSpec branchSpec;
    private final boolean modulated;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter offsetWeight;
    private final Parameter offsetBias;
    private final Parameter maskWeight;
    private final Parameter maskBias;

    // State of the last forward, kept for backward and for inspection of the learned offsets.
    private Tensor input;
    private Tensor weightT;
    private Tensor biasT;
    private Tensor offsetWeightT;
    private Tensor offsetBiasT;
    private Tensor maskWeightT;
    private Tensor maskBiasT;
    private Tensor offset;
    private Tensor mask;
    private double[] maskValues;

    /**
     * @param backend            where the convolutions run
     * @param name               prefix of the parameter names
     * @param inChannels         C, divisible by {@code spec.groups()} and {@code spec.offsetGroups()}
     * @param outChannels        O, divisible by {@code spec.groups()}
     * @param kernelSize         k (square kernel)
     * @param spec               stride, padding, dilation, groups and offset groups of the main convolution
     * @param modulated          add the DCNv2 mask branch
     * @param offsetLrMultiplier beta for the offset (and mask) branch, the paper uses 1
     * @param rng                source of the He-normal main weights (the branches start at zero)
     */
    public DeformableConv2d(Backend backend, String name, int inChannels, int outChannels, int kernelSize,
                            DeformConv2dSpec spec, boolean modulated, double offsetLrMultiplier, Random rng) {
        if (backend == null) throw new IllegalArgumentException("backend: expected a backend, got null");
        if (spec == null) throw new IllegalArgumentException("spec: expected a DeformConv2dSpec, got null");
        requirePositive("inChannels", inChannels);
        requirePositive("outChannels", outChannels);
        requirePositive("kernelSize", kernelSize);
        if (inChannels % spec.groups() != 0 || outChannels % spec.groups() != 0) {
            throw new IllegalArgumentException("spec.groups: expected a divisor of inChannels=" + inChannels
                    + " and outChannels=" + outChannels + ", got " + spec.groups());
        }
        if (inChannels % spec.offsetGroups() != 0) {
            throw new IllegalArgumentException("spec.offsetGroups: expected a divisor of inChannels=" + inChannels
                    + ", got " + spec.offsetGroups());
        }
        this.backend = backend;
        this.spec = spec;
        // The branches see every input channel and share the main kernel's geometry, so their output
        // has exactly the main output's spatial size (paper Figure 2).
        this.branchSpec = spec.withGroups(1).withOffsetGroups(1);
        this.modulated = modulated;
        int points = spec.offsetGroups() * kernelSize * kernelSize;
        this.weight = new Parameter(name + ".weight",
                new int[] {outChannels, inChannels / spec.groups(), kernelSize, kernelSize}, 1.0);
        this.bias = new Parameter(name + ".bias", new int[] {outChannels}, 1.0);
        this.offsetWeight = new Parameter(name + ".offset.weight",
                new int[] {2 * points, inChannels, kernelSize, kernelSize}, offsetLrMultiplier);
        this.offsetBias = new Parameter(name + ".offset.bias", new int[] {2 * points}, offsetLrMultiplier);
        this.maskWeight = modulated ? new Parameter(name + ".mask.weight",
                new int[] {points, inChannels, kernelSize, kernelSize}, offsetLrMultiplier) : null;
        this.maskBias = modulated ? new Parameter(name + ".mask.bias", new int[] {points}, offsetLrMultiplier) : null;
        Init.heNormal(weight, rng);
    }

    private static void requirePositive(String name, int v) {
        if (v < 1) throw new IllegalArgumentException(name + ": expected >= 1, got " + v);
    }

    /** The main convolution's hyper-parameters. */
    public DeformConv2dSpec spec() {
        return spec;
    }

    /** Whether the layer has the DCNv2 mask branch. */
    public boolean modulated() {
        return modulated;
    }

    /** {@code [N, C, H, W] -> [N, O, Ho, Wo]}; the layer keeps a reference to {@code input} for backward. */
    @Override
    public Tensor forward(Tensor input) {
        release();
        this.input = input;
        weightT = weight.upload(backend);
        biasT = bias.upload(backend);
        offsetWeightT = offsetWeight.upload(backend);
        offsetBiasT = offsetBias.upload(backend);
        offset = backend.deformConv2d(branchSpec, input, null, null, offsetWeightT, offsetBiasT);
        if (modulated) {
            maskWeightT = maskWeight.upload(backend);
            maskBiasT = maskBias.upload(backend);
            try (Tensor logits = backend.deformConv2d(branchSpec, input, null, null, maskWeightT, maskBiasT)) {
                maskValues = logits.toDoubleArray();
                for (int i = 0; i < maskValues.length; i++) maskValues[i] = 1 / (1 + Math.exp(-maskValues[i]));
                mask = backend.tensor(logits.shape(), maskValues);
            }
        }
        return backend.deformConv2d(spec, input, offset, mask, weightT, biasT);
    }

    /** Adds the gradients of every parameter and returns the input's: main path plus offset (and mask) branch. */
    @Override
    public Tensor backward(Tensor gradOutput) {
        if (input == null) throw new IllegalStateException("backward: expected a forward call first");
        var g = backend.deformConv2dBackward(spec, gradOutput, input, offset, mask, weightT, biasT, Gradient.all());
        weight.accumulate(g.weight());
        bias.accumulate(g.bias());
        double[] gradInput = g.input().toDoubleArray();
        g.input().close();

        // Offset branch: its output's gradient is the one the bilinear sampling gives the offsets.
        var go = backend.deformConv2dBackward(branchSpec, g.offset(), input, null, null, offsetWeightT, offsetBiasT,
                EnumSet.of(Gradient.INPUT, Gradient.WEIGHT, Gradient.BIAS));
        g.offset().close();
        offsetWeight.accumulate(go.weight());
        offsetBias.accumulate(go.bias());
        add(gradInput, go.input());

        if (modulated) {
            // d sigmoid(z)/dz = s (1 - s).
            double[] gm = g.mask().toDoubleArray();
            g.mask().close();
            for (int i = 0; i < gm.length; i++) gm[i] *= maskValues[i] * (1 - maskValues[i]);
            try (Tensor gLogits = backend.tensor(mask.shape(), gm)) {
                var gk = backend.deformConv2dBackward(branchSpec, gLogits, input, null, null, maskWeightT, maskBiasT,
                        EnumSet.of(Gradient.INPUT, Gradient.WEIGHT, Gradient.BIAS));
                maskWeight.accumulate(gk.weight());
                maskBias.accumulate(gk.bias());
                add(gradInput, gk.input());
            }
        }
        return backend.tensor(input.shape(), gradInput);
    }

    private static void add(double[] acc, Tensor t) {
        double[] v = t.toDoubleArray();
        t.close();
        for (int i = 0; i < acc.length; i++) acc[i] += v[i];
    }

    /** Main weight and bias, then the offset branch's, then the mask branch's when modulated. */
    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>(List.of(weight, bias, offsetWeight, offsetBias));
        if (modulated) all.addAll(List.of(maskWeight, maskBias));
        return List.copyOf(all);
    }

    /** The offsets of the last forward, {@code [N, 2*offsetGroups*k*k, Ho, Wo]} as (dy, dx) pairs. */
    public double[] lastOffsets() {
        if (offset == null) throw new IllegalStateException("lastOffsets: expected a forward call first");
        return offset.toDoubleArray();
    }

    /** The shape of {@link #lastOffsets()}. */
    public int[] lastOffsetShape() {
        if (offset == null) throw new IllegalStateException("lastOffsetShape: expected a forward call first");
        return offset.shape();
    }

    /** The modulation mask of the last forward, or {@code null} when not modulated. */
    public double[] lastMask() {
        return maskValues == null ? null : maskValues.clone();
    }

    private void release() {
        for (Tensor t : new Tensor[] {weightT, biasT, offsetWeightT, offsetBiasT, maskWeightT, maskBiasT, offset, mask}) {
            if (t != null) t.close();
        }
        weightT = biasT = offsetWeightT = offsetBiasT = maskWeightT = maskBiasT = offset = mask = null;
        maskValues = null;
    }
}
