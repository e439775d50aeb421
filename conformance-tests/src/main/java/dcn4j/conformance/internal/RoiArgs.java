package dcn4j.conformance.internal;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.RoiPoolCase;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/** The host arrays of one deformable PS RoI pooling call, to be run on any backend (see {@link ConvArgs}). */
public record RoiArgs(DeformPsRoiPoolSpec spec, int[] inputShape, double[] input, int[] roisShape, double[] rois,
               int[] offsetShape, double[] offset, int[] outputShape, double[] gradOutput) {

    public static RoiArgs of(RoiPoolCase c) {
        return new RoiArgs(c.spec(), c.inputShape(), ConvArgs.widen(c.input()), c.roisShape(),
                ConvArgs.widen(c.rois()), c.offsetShape(), ConvArgs.widen(c.offset()), c.outputShape(),
                ConvArgs.widen(c.gradOutput()));
    }

    public RoiArgs withSpec(DeformPsRoiPoolSpec s, int[] outShape, double[] gradOut) {
        return new RoiArgs(s, inputShape, input, roisShape, rois, offsetShape, offset, outShape, gradOut);
    }

    public RoiArgs withInput(double[] v) {
        return new RoiArgs(spec, inputShape, v, roisShape, rois, offsetShape, offset, outputShape, gradOutput);
    }

    public RoiArgs withOffset(double[] v) {
        return new RoiArgs(spec, inputShape, input, roisShape, rois, offsetShape, v, outputShape, gradOutput);
    }

    public RoiArgs withGradOutput(double[] v) {
        return new RoiArgs(spec, inputShape, input, roisShape, rois, offsetShape, offset, outputShape, v);
    }

    public double[] array(Gradient g) {
        return switch (g) {
            case INPUT -> input;
            case OFFSET -> offset;
            default -> null;
        };
    }

    public RoiArgs with(Gradient g, double[] v) {
        return switch (g) {
            case INPUT -> withInput(v);
            case OFFSET -> withOffset(v);
            default -> throw new IllegalArgumentException("RoI pooling has no " + g + " argument");
        };
    }

    public Tensors tensors(Backend b) {
        return new Tensors(b, this, b.nativeDType());
    }

    /** The tensors of this call on {@code b} in {@code dtype} (RoIs included: one dtype per call). */
    public Tensors tensors(Backend b, DType dtype) {
        return new Tensors(b, this, dtype);
    }

    /** Every array rounded to {@code dtype}: the values a call in that dtype computes on. */
    public RoiArgs rounded(DType dtype) {
        return new RoiArgs(spec, inputShape, SixteenBit.round(dtype, input), roisShape, SixteenBit.round(dtype, rois),
                offsetShape, SixteenBit.round(dtype, offset), outputShape, SixteenBit.round(dtype, gradOutput));
    }

    public double[] forward(Backend b) {
        try (Tensors t = tensors(b)) {
            return t.forward();
        }
    }

    public Map<Gradient, double[]> backward(Backend b, Set<Gradient> wanted) {
        try (Tensors t = tensors(b)) {
            return t.backward(wanted);
        }
    }

    public static final class Tensors implements AutoCloseable {
        public final Backend backend;
        public final RoiArgs args;
        public final Tensor input, rois, offset, gradOutput;

        Tensors(Backend b, RoiArgs a, DType d) {
            this.backend = b;
            this.args = a;
            this.input = b.tensor(d, a.inputShape, a.input);
            this.rois = b.tensor(d, a.roisShape, a.rois);
            this.offset = a.offset == null ? null : b.tensor(d, a.offsetShape, a.offset);
            this.gradOutput = b.tensor(d, a.outputShape, a.gradOutput);
        }

        public double[] forward() {
            try (Tensor out = backend.deformPsRoiPool(args.spec, input, rois, offset)) {
                return out.toDoubleArray();
            }
        }

        public Map<Gradient, double[]> backward(Set<Gradient> wanted) {
            Map<Gradient, double[]> m = new EnumMap<>(Gradient.class);
            try (DeformPsRoiPoolGradients g = backend.deformPsRoiPoolBackward(args.spec, gradOutput, input, rois,
                    offset, wanted)) {
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
            for (Tensor t : new Tensor[] {input, rois, offset, gradOutput}) {
                if (t != null) t.close();
            }
        }
    }
}
