package dcn4j.conformance.internal;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * The host arrays of one deformable convolution call, to be run on any backend: each backend gets
 * tensors of its native dtype made from the same values (float-valued unless a property perturbs
 * them), so F32 and F64 backends compute on identical inputs. Optional arrays are {@code null}.
 */
public record ConvArgs(DeformConv2dSpec spec, int[] inputShape, double[] input, int[] offsetShape, double[] offset,
                int[] maskShape, double[] mask, int[] weightShape, double[] weight, double[] bias, int[] outputShape,
                double[] gradOutput) {

    public static ConvArgs of(ConvCase c) {
        return new ConvArgs(c.spec(), c.inputShape(), widen(c.input()), c.offsetShape(), widen(c.offset()),
                c.maskShape(), widen(c.mask()), c.weightShape(), widen(c.weight()), widen(c.bias()), c.outputShape(),
                widen(c.gradOutput()));
    }

    public ConvArgs withInput(double[] v) {
        return new ConvArgs(spec, inputShape, v, offsetShape, offset, maskShape, mask, weightShape, weight, bias,
                outputShape, gradOutput);
    }

    public ConvArgs withOffset(double[] v) {
        return new ConvArgs(spec, inputShape, input, offsetShape, v, maskShape, mask, weightShape, weight, bias,
                outputShape, gradOutput);
    }

    public ConvArgs withMask(double[] v) {
        return new ConvArgs(spec, inputShape, input, offsetShape, offset, maskShape, v, weightShape, weight, bias,
                outputShape, gradOutput);
    }

    public ConvArgs withWeight(double[] v) {
        return new ConvArgs(spec, inputShape, input, offsetShape, offset, maskShape, mask, weightShape, v, bias,
                outputShape, gradOutput);
    }

    public ConvArgs withBias(double[] v) {
        return new ConvArgs(spec, inputShape, input, offsetShape, offset, maskShape, mask, weightShape, weight, v,
                outputShape, gradOutput);
    }

    public ConvArgs withGradOutput(double[] v) {
        return new ConvArgs(spec, inputShape, input, offsetShape, offset, maskShape, mask, weightShape, weight, bias,
                outputShape, v);
    }

    /** The array of the argument {@code g} differentiates, or {@code null} when absent. */
    public double[] array(Gradient g) {
        return switch (g) {
            case INPUT -> input;
            case OFFSET -> offset;
            case MASK -> mask;
            case WEIGHT -> weight;
            case BIAS -> bias;
        };
    }

    public ConvArgs with(Gradient g, double[] v) {
        return switch (g) {
            case INPUT -> withInput(v);
            case OFFSET -> withOffset(v);
            case MASK -> withMask(v);
            case WEIGHT -> withWeight(v);
            case BIAS -> withBias(v);
        };
    }

    /** The tensors of this call on {@code b}, in {@code b}'s native dtype; close them when done. */
    public Tensors tensors(Backend b) {
        return new Tensors(b, this, b.nativeDType());
    }

    /** The tensors of this call on {@code b} in {@code dtype}; close them when done. */
    public Tensors tensors(Backend b, DType dtype) {
        return new Tensors(b, this, dtype);
    }

    /** Every array rounded to {@code dtype}: the values a call in that dtype computes on. */
    public ConvArgs rounded(DType dtype) {
        return new ConvArgs(spec, inputShape, SixteenBit.round(dtype, input), offsetShape,
                SixteenBit.round(dtype, offset), maskShape, SixteenBit.round(dtype, mask), weightShape,
                SixteenBit.round(dtype, weight), SixteenBit.round(dtype, bias), outputShape,
                SixteenBit.round(dtype, gradOutput));
    }

    /** The forward output computed by {@code b}, read back as doubles. */
    public double[] forward(Backend b) {
        try (Tensors t = tensors(b)) {
            return t.forward();
        }
    }

    /** The gradients in {@code wanted} (of the arguments present) computed by {@code b}. */
    public Map<Gradient, double[]> backward(Backend b, Set<Gradient> wanted) {
        try (Tensors t = tensors(b)) {
            return t.backward(wanted);
        }
    }

    /** Tensors of one call on one backend. */
    public static final class Tensors implements AutoCloseable {
        public final Backend backend;
        public final ConvArgs args;
        public final Tensor input, offset, mask, weight, bias, gradOutput;

        Tensors(Backend b, ConvArgs a, DType d) {
            this.backend = b;
            this.args = a;
            this.input = b.tensor(d, a.inputShape, a.input);
            this.offset = a.offset == null ? null : b.tensor(d, a.offsetShape, a.offset);
            this.mask = a.mask == null ? null : b.tensor(d, a.maskShape, a.mask);
            this.weight = b.tensor(d, a.weightShape, a.weight);
            this.bias = a.bias == null ? null : b.tensor(d, new int[] {a.weightShape[0]}, a.bias);
            this.gradOutput = b.tensor(d, a.outputShape, a.gradOutput);
        }

        public double[] forward() {
            try (Tensor out = backend.deformConv2d(args.spec, input, offset, mask, weight, bias)) {
                return out.toDoubleArray();
            }
        }

        public Map<Gradient, double[]> backward(Set<Gradient> wanted) {
            Map<Gradient, double[]> m = new EnumMap<>(Gradient.class);
            try (DeformConv2dGradients g = backend.deformConv2dBackward(args.spec, gradOutput, input, offset, mask,
                    weight, bias, wanted)) {
                for (Gradient which : wanted) {
                    if (args.array(which) == null) continue;
                    Tensor t = g.get(which);
                    m.put(which, t == null ? null : t.toDoubleArray());
                }
            }
            return m;
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {input, offset, mask, weight, bias, gradOutput}) {
                if (t != null) t.close();
            }
        }
    }

    public static double[] widen(float[] v) {
        if (v == null) return null;
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** Each value rounded to float: what an F32 backend would hold, so every backend sees the same numbers. */
    public static double[] toFloatValues(double[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = (float) v[i];
        return d;
    }
}
