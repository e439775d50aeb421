package dcn4j.conformance;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.reference.ReferenceProvider;
import dcn4j.spi.BackendProvider;
import dcn4j.spi.HalfPrecision;
import java.util.Set;

/**
 * A backend for the 16-bit rules' own test: the reference behind a wrapper that supports F16 and
 * BF16, with one {@link Bug} in its 16-bit handling (or none). Every value of a 16-bit tensor is
 * what the bug makes of it; the arithmetic is the reference's in float64.
 */
final class SixteenBitMutant implements Backend {

    enum Bug {
        /** Correct: values rounded once to the dtype, results rounded once. */
        NONE,
        /** F16 inputs narrowed through bfloat16 first (the two formats confused when converting). */
        F16_INPUTS_NARROWED_AS_BF16,
        /** Results returned in float64, labelled with the 16-bit dtype but never rounded to it. */
        RESULTS_NOT_ROUNDED,
        /** Results returned as F32 tensors: not in the dtype of the inputs. */
        RESULTS_IN_F32
    }

    static final class Provider implements BackendProvider {
        private final Bug bug;

        Provider(Bug bug) {
            this.bug = bug;
        }

        @Override
        public String name() {
            return "sixteen-bit-" + bug.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        @Override
        public int priority() {
            return -1;
        }

        @Override
        public Availability availability() {
            return Availability.yes();
        }

        @Override
        public Backend open(BackendOptions options) {
            return new SixteenBitMutant(name(), bug);
        }
    }

    private final String name;
    private final Bug bug;
    private final Backend reference = new ReferenceProvider().open(BackendOptions.defaults());

    SixteenBitMutant(String name, Bug bug) {
        this.name = name;
        this.bug = bug;
    }

    /** A tensor of this backend: a dtype label over a float64 reference tensor holding its values. */
    private final class Wrapped implements Tensor {
        final DType dtype;
        final Tensor inner;

        Wrapped(DType dtype, Tensor inner) {
            this.dtype = dtype;
            this.inner = inner;
        }

        @Override
        public int[] shape() {
            return inner.shape();
        }

        @Override
        public DType dtype() {
            return dtype;
        }

        @Override
        public String backendName() {
            return name;
        }

        @Override
        public double[] toDoubleArray() {
            return inner.toDoubleArray();
        }

        @Override
        public float[] toFloatArray() {
            return inner.toFloatArray();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "test mutant of 16-bit handling: " + bug;
    }

    @Override
    public DType nativeDType() {
        return DType.F32;
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype != DType.F64;
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, double[] data) {
        double[] v = new double[data.length];
        for (int i = 0; i < v.length; i++) {
            double x = data[i];
            if (bug == Bug.F16_INPUTS_NARROWED_AS_BF16 && dtype == DType.F16) x = HalfPrecision.round(DType.BF16, x);
            v[i] = HalfPrecision.round(dtype, x);
        }
        return new Wrapped(dtype, reference.tensor(DType.F64, shape, v));
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, float[] data) {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) d[i] = data[i];
        return tensor(dtype, shape, d);
    }

    private static Tensor in(Tensor t) {
        return t == null ? null : ((Wrapped) t).inner;
    }

    private Tensor out(DType dtype, Tensor f64) {
        if (f64 == null) return null;
        double[] v = f64.toDoubleArray();
        f64.close();
        DType label = bug == Bug.RESULTS_IN_F32 ? DType.F32 : dtype;
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (bug) {
                case RESULTS_NOT_ROUNDED -> v[i];
                default -> HalfPrecision.round(label, v[i]);
            };
        }
        return new Wrapped(label, reference.tensor(DType.F64, f64.shape(), v));
    }

    @Override
    public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                               Tensor bias) {
        return out(input.dtype(), reference.deformConv2d(spec, in(input), in(offset), in(mask), in(weight), in(bias)));
    }

    @Override
    public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                      Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                      Set<Gradient> wanted) {
        DeformConv2dGradients g = reference.deformConv2dBackward(spec, in(gradOutput), in(input), in(offset), in(mask),
                in(weight), in(bias), wanted);
        DType d = input.dtype();
        return new DeformConv2dGradients(out(d, g.input()), out(d, g.offset()), out(d, g.mask()), out(d, g.weight()),
                out(d, g.bias()));
    }

    @Override
    public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
        return out(input.dtype(), reference.deformPsRoiPool(spec, in(input), in(rois), in(offset)));
    }

    @Override
    public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput, Tensor input,
                                                            Tensor rois, Tensor offset, Set<Gradient> wanted) {
        DeformPsRoiPoolGradients g = reference.deformPsRoiPoolBackward(spec, in(gradOutput), in(input), in(rois),
                in(offset), wanted);
        DType d = input.dtype();
        return new DeformPsRoiPoolGradients(out(d, g.input()), out(d, g.offset()));
    }

    @Override
    public void close() {
        reference.close();
    }
}
