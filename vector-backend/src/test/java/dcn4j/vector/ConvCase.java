package dcn4j.vector;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.Random;

/**
 * One deformable-convolution call with random float32 operands (seeded), runnable on any backend:
 * F32 tensors on the vector backend, the same values upcast to F64 on the reference.
 */
record ConvCase(String name, int n, int c, int h, int w, int o, int kh, int kw, DeformConv2dSpec spec,
                boolean offset, boolean mask, boolean bias, double offsetScale, boolean integerOffsets, long seed) {

    static ConvCase of(String name, int n, int c, int h, int w, int o, int kh, int kw, DeformConv2dSpec spec,
                       boolean offset, boolean mask, boolean bias, double offsetScale, long seed) {
        return new ConvCase(name, n, c, h, w, o, kh, kw, spec, offset, mask, bias, offsetScale, false, seed);
    }

    ConvCase withIntegerOffsets() {
        return new ConvCase(name, n, c, h, w, o, kh, kw, spec, offset, mask, bias, offsetScale, true, seed);
    }

    ConvCase withBatch(int batch) {
        return new ConvCase(name, batch, c, h, w, o, kh, kw, spec, offset, mask, bias, offsetScale, integerOffsets,
                seed);
    }

    int ho() {
        return spec.outputHeight(h, kh);
    }

    int wo() {
        return spec.outputWidth(w, kw);
    }

    int[] inputShape() {
        return new int[] {n, c, h, w};
    }

    int[] offsetShape() {
        return new int[] {n, 2 * spec.offsetGroups() * kh * kw, ho(), wo()};
    }

    int[] maskShape() {
        return new int[] {n, spec.offsetGroups() * kh * kw, ho(), wo()};
    }

    int[] weightShape() {
        return new int[] {o, c / spec.groups(), kh, kw};
    }

    int[] outputShape() {
        return new int[] {n, o, ho(), wo()};
    }

    /** The operands as float arrays: input, offset, mask, weight, bias, gradOutput (absent ones null). */
    float[][] operands() {
        Random r = new Random(seed);
        float[] in = uniform(r, count(inputShape()), 1.0);
        float[] off = null;
        if (offset) {
            off = new float[count(offsetShape())];
            for (int i = 0; i < off.length; i++) {
                double v = (2 * r.nextDouble() - 1) * offsetScale;
                off[i] = (float) (integerOffsets ? Math.rint(v) : v);
            }
        }
        float[] m = mask ? new float[count(maskShape())] : null;
        if (m != null) for (int i = 0; i < m.length; i++) m[i] = (float) r.nextDouble();
        float[] wt = uniform(r, count(weightShape()), 1.0);
        float[] b = bias ? uniform(r, o, 1.0) : null;
        float[] go = uniform(r, count(outputShape()), 1.0);
        return new float[][] {in, off, m, wt, b, go};
    }

    /** Forward output of this case on {@code backend} (F32 on vector, F64 on the reference). */
    double[] forward(Backend backend) {
        Tensor[] t = tensors(backend);
        try (Tensor out = backend.deformConv2d(spec, t[0], t[1], t[2], t[3], t[4])) {
            return out.toDoubleArray();
        } finally {
            close(t);
        }
    }

    /** Every gradient of this case on {@code backend}: input, offset, mask, weight, bias (absent ones null). */
    double[][] backward(Backend backend) {
        Tensor[] t = tensors(backend);
        try (DeformConv2dGradients g = backend.deformConv2dBackward(spec, t[5], t[0], t[1], t[2], t[3], t[4],
                Gradient.all())) {
            return new double[][] {array(g.input()), array(g.offset()), array(g.mask()), array(g.weight()),
                    array(g.bias())};
        } finally {
            close(t);
        }
    }

    Tensor[] tensors(Backend backend) {
        float[][] v = operands();
        int[][] shapes = {inputShape(), offsetShape(), maskShape(), weightShape(), {o}, outputShape()};
        Tensor[] t = new Tensor[6];
        for (int i = 0; i < 6; i++) {
            if (v[i] == null) continue;
            if (backend.nativeDType() == DType.F64) {
                double[] d = new double[v[i].length];
                for (int j = 0; j < d.length; j++) d[j] = v[i][j];
                t[i] = backend.tensor(DType.F64, shapes[i], d);
            } else {
                t[i] = backend.tensor(DType.F32, shapes[i], v[i]);
            }
        }
        return t;
    }

    static final String[] GRAD_NAMES = {"input", "offset", "mask", "weight", "bias"};

    private static double[] array(Tensor t) {
        return t == null ? null : t.toDoubleArray();
    }

    private static void close(Tensor[] t) {
        for (Tensor x : t) if (x != null) x.close();
    }

    private static float[] uniform(Random r, int count, double scale) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float) ((2 * r.nextDouble() - 1) * scale);
        return a;
    }

    static int count(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /**
     * {@code ||a - ref|| / ||ref||} (DESIGN.md conformance property 1); when {@code ref} is all zero,
     * the absolute norm {@code ||a||}. NaN anywhere in {@code a} where {@code ref} has none gives infinity.
     */
    static double relativeError(double[] a, double[] ref) {
        if (a.length != ref.length) throw new AssertionError("length " + a.length + " vs " + ref.length);
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            if (Double.isNaN(a[i]) && !Double.isNaN(ref[i])) return Double.POSITIVE_INFINITY;
            double d = a[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    @Override
    public String toString() {
        return name + " N,C,H,W,O,kh,kw=" + n + "," + c + "," + h + "," + w + "," + o + "," + kh + "," + kw + " " + spec
                + (offset ? " offset*" + offsetScale + (integerOffsets ? "(int)" : "") : " no-offset")
                + (mask ? " mask" : "") + (bias ? " bias" : "");
    }
}
