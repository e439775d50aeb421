package dcn4j.train;

import dcn4j.Backend;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

/**
 * A plain convolution layer, run on the deformable op with no offset (DESIGN.md "Public API": an
 * absent offset is plain convolution), so the plain and deformable networks share every kernel.
 */
final class Conv2d implements Layer {

    private final Backend backend;
    private final DeformConv2dSpec spec;
    private final Parameter weight;
    private final Parameter bias;
    private Tensor input;
    private Tensor weightT;
    private Tensor biasT;

    /** He-normal weights drawn from {@code rng} (fan-in {@code C/groups*k*k}), zero bias. */
    Conv2d(Backend backend, String name, int inChannels, int outChannels, int kernelSize, DeformConv2dSpec spec,
           Random rng) {
        this(backend, name, inChannels, outChannels, kernelSize, spec, 1.0, rng);
    }

    /** Weights He-normal from {@code rng}, or zero when {@code rng} is {@code null}; zero bias; learning rate times {@code beta}. */
    Conv2d(Backend backend, String name, int inChannels, int outChannels, int kernelSize, DeformConv2dSpec spec,
           double beta, Random rng) {
        this.backend = backend;
        this.spec = spec;
        this.weight = new Parameter(name + ".weight",
                new int[] {outChannels, inChannels / spec.groups(), kernelSize, kernelSize}, beta);
        this.bias = new Parameter(name + ".bias", new int[] {outChannels}, beta);
        if (rng != null) Init.heNormal(weight, rng);
    }

    @Override
    public Tensor forward(Tensor input) {
        release();
        this.input = input;
        weightT = weight.upload(backend);
        biasT = bias.upload(backend);
        return backend.deformConv2d(spec, input, null, null, weightT, biasT);
    }

    @Override
    public Tensor backward(Tensor gradOutput) {
        var g = backend.deformConv2dBackward(spec, gradOutput, input, null, null, weightT, biasT,
                EnumSet.of(Gradient.INPUT, Gradient.WEIGHT, Gradient.BIAS));
        weight.accumulate(g.weight());
        bias.accumulate(g.bias());
        return g.input();
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight, bias);
    }

    private void release() {
        if (weightT != null) weightT.close();
        if (biasT != null) biasT.close();
        weightT = biasT = null;
    }
}
