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
import dcn4j.spi.DeformConv2dShape;
import dcn4j.spi.DeformPsRoiPoolShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A deliberately broken F32 backend for {@code PlantedBugsTest}: a plain float64 implementation of
 * both operators written from DESIGN.md (sharing no code with the reference; outputs rounded to
 * float) with one {@link Bug} switched on, or the reference itself behind a float32 interface. It
 * validates arguments through the SPI like every backend, so only the planted bug differs.
 */
final class MutantBackend implements Backend {

    /** The bug planted, and whether the suite must pass the backend ({@code NONE}, {@code ROUNDED_REFERENCE}). */
    enum Bug {
        NONE(true, "independent float64 implementation, no bug"),
        ROUNDED_REFERENCE(true, "the reference's float64 result rounded to float32 (not a bug)"),
        DY_DX_SWAPPED(false, "offset channels read as (dx, dy) instead of (dy, dx)"),
        OFFSET_GROUP_FROM_WEIGHT_GROUP(false, "offset group taken from the weight group: og = g % offsetGroups"),
        PSROI_SLOPE_FLOOR_PLUS_ONE(false, "PS RoI offset slope reads floor + 1 instead of ceil"),
        BORDER_PY_LT_ZERO(false, "bilinear border test py < 0 instead of py <= -1"),
        MASK_IGNORED_IN_OFFSET_GRADIENT(false, "offset gradient not multiplied by the mask"),
        DCNV1_BORDER_IGNORED(false, "the DCNv1 border rule ignored: every spec sampled with torchvision's"),
        BIAS_GRADIENT_MISSES_A_BATCH(false, "bias gradient sums batch items 1.. only"),
        ROI_CORNERS_HALF_TO_EVEN(false, "RoI corners rounded half to even (Math.rint) instead of half away from zero"),
        RACE_IN_BACKWARD(false, "weight gradient summed by parallel workers into one array with unsynchronised +=");

        final boolean mustPass;
        final String description;

        Bug(boolean mustPass, String description) {
            this.mustPass = mustPass;
            this.description = description;
        }
    }

    /** A provider for {@link ConformanceRunner}; deliberately not registered with {@link java.util.ServiceLoader}. */
    static final class Provider implements BackendProvider {
        private final Bug bug;

        Provider(Bug bug) {
            this.bug = bug;
        }

        @Override
        public String name() {
            return "mutant-" + bug.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
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
            return new MutantBackend(name(), bug);
        }
    }

    private final String name;
    private final Bug bug;
    private final Backend reference = new ReferenceProvider().open(BackendOptions.defaults());
    private final ExecutorService workers;

    MutantBackend(String name, Bug bug) {
        this.name = name;
        this.bug = bug;
        this.workers = bug == Bug.RACE_IN_BACKWARD ? Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "mutant-race-worker");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "test mutant: " + bug.description;
    }

    @Override
    public DType nativeDType() {
        return DType.F32;
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.F32;
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, double[] data) {
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return tensor(dtype, shape, f);
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, float[] data) {
        if (dtype != DType.F32) throw new IllegalArgumentException("dtype: expected F32, got " + dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        return new MutantTensor(name, shape, data.clone());
    }

    private static double[] d(Tensor t) {
        if (t == null) return null;
        float[] f = ((MutantTensor) t).data();
        double[] v = new double[f.length];
        for (int i = 0; i < f.length; i++) v[i] = f[i];
        return v;
    }

    private Tensor out(int[] shape, double[] v) {
        if (v == null) return null;
        float[] f = new float[v.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) v[i];
        return new MutantTensor(name, shape, f);
    }

    private Tensor ref(Tensor t) {
        return t == null ? null : reference.tensor(DType.F64, t.shape(), d(t));
    }

    // ---------------------------------------------------------------------------------------------
    // Deformable convolution (DESIGN.md "Deformable convolution").

    @Override
    public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                               Tensor bias) {
        DeformConv2dShape s = DeformConv2dShape.of(name, spec, input, offset, mask, weight, bias);
        if (bug == Bug.ROUNDED_REFERENCE) {
            try (Tensor r = reference.deformConv2d(spec, ref(input), ref(offset), ref(mask), ref(weight), ref(bias))) {
                return out(s.outputShape(), r.toDoubleArray());
            }
        }
        return out(s.outputShape(), new Conv(s, d(input), d(offset), d(mask), d(weight)).forward(d(bias)));
    }

    @Override
    public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                      Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                      Set<Gradient> wanted) {
        DeformConv2dShape s = DeformConv2dShape.ofBackward(name, spec, gradOutput, input, offset, mask, weight, bias,
                wanted);
        if (bug == Bug.ROUNDED_REFERENCE) {
            try (DeformConv2dGradients g = reference.deformConv2dBackward(spec, ref(gradOutput), ref(input),
                    ref(offset), ref(mask), ref(weight), ref(bias), wanted)) {
                return new DeformConv2dGradients(out(s.inputShape(), arr(g.input())),
                        out(s.offsetShape(), arr(g.offset())), out(s.maskShape(), arr(g.mask())),
                        out(s.weightShape(), arr(g.weight())), out(new int[] {s.outChannels()}, arr(g.bias())));
            }
        }
        Conv c = new Conv(s, d(input), d(offset), d(mask), d(weight));
        double[] go = d(gradOutput);
        double[] gi = wanted.contains(Gradient.INPUT) ? new double[c.in.length] : null;
        double[] gOff = wanted.contains(Gradient.OFFSET) && offset != null ? new double[c.off.length] : null;
        double[] gm = wanted.contains(Gradient.MASK) && mask != null ? new double[c.mask.length] : null;
        double[] gw = wanted.contains(Gradient.WEIGHT) ? new double[c.w.length] : null;
        double[] gb = wanted.contains(Gradient.BIAS) && bias != null ? new double[s.outChannels()] : null;
        c.backward(go, gi, gOff, gm, bug == Bug.RACE_IN_BACKWARD ? null : gw, gb);
        if (gw != null && bug == Bug.RACE_IN_BACKWARD) c.racyWeightGradient(go, gw, workers);
        return new DeformConv2dGradients(out(s.inputShape(), gi), out(s.offsetShape(), gOff), out(s.maskShape(), gm),
                out(s.weightShape(), gw), out(new int[] {s.outChannels()}, gb));
    }

    private static double[] arr(Tensor t) {
        return t == null ? null : t.toDoubleArray();
    }

    /** One convolution call: direct loops over the definition, bugs switched in where they live. */
    private final class Conv {
        final DeformConv2dShape s;
        final double[] in, off, mask, w;
        final int n, c, h, wd, o, kh, kw, ho, wo, k, groups, og, cg, ocg;

        Conv(DeformConv2dShape s, double[] in, double[] off, double[] mask, double[] w) {
            this.s = s;
            this.in = in;
            this.off = off;
            this.mask = mask;
            this.w = w;
            n = s.batch();
            c = s.inChannels();
            h = s.inHeight();
            wd = s.inWidth();
            o = s.outChannels();
            kh = s.kernelHeight();
            kw = s.kernelWidth();
            ho = s.outHeight();
            wo = s.outWidth();
            k = kh * kw;
            groups = s.spec().groups();
            og = s.spec().offsetGroups();
            cg = c / groups;
            ocg = o / groups;
        }

        boolean dcnv1() {
            return s.spec().border() == dcn4j.DeformConv2dSpec.Border.DCNV1 && bug != Bug.DCNV1_BORDER_IGNORED;
        }

        /** Offset group of input channel {@code ch}, which belongs to weight group {@code g}. */
        int offsetGroup(int ch, int g) {
            if (bug == Bug.OFFSET_GROUP_FROM_WEIGHT_GROUP) return g % og;
            return ch / (c / og);
        }

        double dy(int b, int q, int kk, int y, int x) {
            if (off == null) return 0;
            int channel = 2 * (q * k + kk) + (bug == Bug.DY_DX_SWAPPED ? 1 : 0);
            return off[((b * 2 * og * k + channel) * ho + y) * wo + x];
        }

        double dx(int b, int q, int kk, int y, int x) {
            if (off == null) return 0;
            int channel = 2 * (q * k + kk) + (bug == Bug.DY_DX_SWAPPED ? 0 : 1);
            return off[((b * 2 * og * k + channel) * ho + y) * wo + x];
        }

        int maskAt(int b, int q, int kk, int y, int x) {
            return ((b * og * k + q * k + kk) * ho + y) * wo + x;
        }

        double m(int b, int q, int kk, int y, int x) {
            return mask == null ? 1 : mask[maskAt(b, q, kk, y, x)];
        }

        double px(int plane, int yy, int xx) {
            return yy >= 0 && yy < h && xx >= 0 && xx < wd ? in[plane + yy * wd + xx] : 0;
        }

        /** Whether a sample at (py, px) reads anything: {@code -1 < p < size} (the planted bug: {@code py >= 0}). */
        boolean reads(double py, double pxx) {
            boolean top = bug == Bug.BORDER_PY_LT_ZERO ? !(py < 0) : py > -1;
            return top && py < h && pxx > -1 && pxx < wd;
        }

        double sample(int plane, double py, double pxx) {
            if (Double.isNaN(py) || Double.isNaN(pxx)) return Double.NaN;  // NaN weights (DESIGN.md "Non-finite values")
            if (dcnv1()) return Dcnv1.im2colBilinear(in, plane, h, wd, py, pxx);
            if (!reads(py, pxx)) return 0;
            int y0 = (int) Math.floor(py), x0 = (int) Math.floor(pxx);
            double ly = py - y0, lx = pxx - x0;
            return (1 - ly) * (1 - lx) * px(plane, y0, x0) + (1 - ly) * lx * px(plane, y0, x0 + 1)
                    + ly * (1 - lx) * px(plane, y0 + 1, x0) + ly * lx * px(plane, y0 + 1, x0 + 1);
        }

        double[] forward(double[] bias) {
            double[] out = new double[n * o * ho * wo];
            for (int b = 0; b < n; b++) {
                for (int oc = 0; oc < o; oc++) {
                    int g = oc / ocg;
                    for (int y = 0; y < ho; y++) {
                        for (int x = 0; x < wo; x++) {
                            double sum = bias == null ? 0 : bias[oc];
                            for (int cl = 0; cl < cg; cl++) {
                                int ch = g * cg + cl, q = offsetGroup(ch, g), plane = (b * c + ch) * h * wd;
                                for (int i = 0; i < kh; i++) {
                                    for (int j = 0; j < kw; j++) {
                                        int kk = i * kw + j;
                                        double py = y * s.spec().strideH() - s.spec().padTop() + i * s.spec().dilationH()
                                                + dy(b, q, kk, y, x);
                                        double pxx = x * s.spec().strideW() - s.spec().padLeft()
                                                + j * s.spec().dilationW() + dx(b, q, kk, y, x);
                                        sum += w[((oc * cg + cl) * kh + i) * kw + j] * m(b, q, kk, y, x)
                                                * sample(plane, py, pxx);
                                    }
                                }
                            }
                            out[((b * o + oc) * ho + y) * wo + x] = sum;
                        }
                    }
                }
            }
            return out;
        }

        void backward(double[] go, double[] gi, double[] gOff, double[] gm, double[] gw, double[] gb) {
            // Weight and bias gradients: per output element.
            for (int b = 0; b < n; b++) {
                for (int oc = 0; oc < o; oc++) {
                    int g = oc / ocg;
                    for (int y = 0; y < ho; y++) {
                        for (int x = 0; x < wo; x++) {
                            double gout = go[((b * o + oc) * ho + y) * wo + x];
                            if (gb != null && !(bug == Bug.BIAS_GRADIENT_MISSES_A_BATCH && b == 0)) gb[oc] += gout;
                            if (gw == null) continue;
                            for (int cl = 0; cl < cg; cl++) {
                                int ch = g * cg + cl, q = offsetGroup(ch, g), plane = (b * c + ch) * h * wd;
                                for (int i = 0; i < kh; i++) {
                                    for (int j = 0; j < kw; j++) {
                                        int kk = i * kw + j;
                                        double py = y * s.spec().strideH() - s.spec().padTop() + i * s.spec().dilationH()
                                                + dy(b, q, kk, y, x);
                                        double pxx = x * s.spec().strideW() - s.spec().padLeft()
                                                + j * s.spec().dilationW() + dx(b, q, kk, y, x);
                                        gw[((oc * cg + cl) * kh + i) * kw + j] += gout * m(b, q, kk, y, x)
                                                * sample(plane, py, pxx);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if (gi == null && gOff == null && gm == null) return;
            // Input, offset and mask gradients: through the gradient of each sample, gc = sum over the
            // group's output channels of weight * gradOut, first (as the GEMM of DESIGN.md does), so that
            // non-finite values combine as in the reference.
            for (int b = 0; b < n; b++) {
                for (int ch = 0; ch < c; ch++) {
                    int g = ch / cg, cl = ch - g * cg, q = offsetGroup(ch, g), plane = (b * c + ch) * h * wd;
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int kk = i * kw + j;
                            for (int y = 0; y < ho; y++) {
                                for (int x = 0; x < wo; x++) {
                                    double gc = 0;
                                    for (int oc = g * ocg; oc < (g + 1) * ocg; oc++) {
                                        gc += w[((oc * cg + cl) * kh + i) * kw + j] * go[((b * o + oc) * ho + y) * wo + x];
                                    }
                                    double py = y * s.spec().strideH() - s.spec().padTop() + i * s.spec().dilationH()
                                            + dy(b, q, kk, y, x);
                                    double pxx = x * s.spec().strideW() - s.spec().padLeft()
                                            + j * s.spec().dilationW() + dx(b, q, kk, y, x);
                                    double mv = m(b, q, kk, y, x);
                                    if (gm != null) gm[maskAt(b, q, kk, y, x)] += gc * sample(plane, py, pxx);
                                    if (gi != null) scatter(gi, plane, py, pxx, gc * mv);
                                    if (gOff != null) {
                                        double coef = gc * (bug == Bug.MASK_IGNORED_IN_OFFSET_GRADIENT ? 1 : mv);
                                        int dyAt = offsetIndex(b, q, kk, y, x, bug == Bug.DY_DX_SWAPPED ? 1 : 0);
                                        int dxAt = offsetIndex(b, q, kk, y, x, bug == Bug.DY_DX_SWAPPED ? 0 : 1);
                                        gOff[dyAt] += coef * slopeY(plane, py, pxx);
                                        gOff[dxAt] += coef * slopeX(plane, py, pxx);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        int offsetIndex(int b, int q, int kk, int y, int x, int axis) {
            return ((b * 2 * og * k + 2 * (q * k + kk) + axis) * ho + y) * wo + x;
        }

        void scatter(double[] gi, int plane, double py, double pxx, double g) {
            if (dcnv1()) {
                Dcnv1.col2im(gi, plane, h, wd, py, pxx, g);
                return;
            }
            if (!reads(py, pxx)) return;
            int y0 = (int) Math.floor(py), x0 = (int) Math.floor(pxx);
            double ly = py - y0, lx = pxx - x0;
            // Corners of zero weight receive nothing (torchvision's deformable_col2im).
            add(gi, plane, y0, x0, g * (1 - ly) * (1 - lx));
            if (lx != 0) add(gi, plane, y0, x0 + 1, g * (1 - ly) * lx);
            if (ly != 0) add(gi, plane, y0 + 1, x0, g * ly * (1 - lx));
            if (ly != 0 && lx != 0) add(gi, plane, y0 + 1, x0 + 1, g * ly * lx);
        }

        void add(double[] a, int plane, int yy, int xx, double v) {
            if (yy >= 0 && yy < h && xx >= 0 && xx < wd) a[plane + yy * wd + xx] += v;
        }

        /** d sample / d py on the cell [floor, floor+1], corners outside counting 0 (torchvision's coordinate weight). */
        double slopeY(int plane, double py, double pxx) {
            if (Double.isNaN(py) || Double.isNaN(pxx)) return Double.NaN;
            if (dcnv1()) return Dcnv1.coordinateWeight(in, plane, h, wd, py, pxx, 0);
            int y0 = (int) Math.floor(py), x0 = (int) Math.floor(pxx);
            double lx = pxx - x0;
            if (Double.isNaN(py) || Double.isNaN(pxx)) return Double.NaN;
            if (py < -1 || py >= h || pxx < -1 || pxx >= wd) return 0;
            return (1 - lx) * (px(plane, y0 + 1, x0) - px(plane, y0, x0))
                    + lx * (px(plane, y0 + 1, x0 + 1) - px(plane, y0, x0 + 1));
        }

        double slopeX(int plane, double py, double pxx) {
            if (Double.isNaN(py) || Double.isNaN(pxx)) return Double.NaN;
            if (dcnv1()) return Dcnv1.coordinateWeight(in, plane, h, wd, py, pxx, 1);
            int y0 = (int) Math.floor(py), x0 = (int) Math.floor(pxx);
            double ly = py - y0;
            if (Double.isNaN(py) || Double.isNaN(pxx)) return Double.NaN;
            if (py < -1 || py >= h || pxx < -1 || pxx >= wd) return 0;
            return (1 - ly) * (px(plane, y0, x0 + 1) - px(plane, y0, x0))
                    + ly * (px(plane, y0 + 1, x0 + 1) - px(plane, y0 + 1, x0));
        }

        /**
         * The planted race: output rows are split over worker threads, and every worker adds its
         * rows' contributions to the weight gradient, one small array that all of them update
         * all the time, with unsynchronised {@code +=} (no per-thread partial sums, no reduction).
         * Concurrent workers lose each other's updates, differently from run to run.
         */
        void racyWeightGradient(double[] go, double[] gw, ExecutorService pool) {
            int parts = 3;
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < parts; t++) {
                int first = t;
                fs.add(pool.submit(() -> {
                    for (int row = first; row < n * ho; row += parts) {
                        int b = row / ho, y = row % ho;
                        for (int x = 0; x < wo; x++) {
                            for (int oc = 0; oc < o; oc++) {
                                int g = oc / ocg;
                                double gout = go[((b * o + oc) * ho + y) * wo + x];
                                for (int cl = 0; cl < cg; cl++) {
                                    int ch = g * cg + cl, q = offsetGroup(ch, g), plane = (b * c + ch) * h * wd;
                                    for (int i = 0; i < kh; i++) {
                                        for (int j = 0; j < kw; j++) {
                                            int kk = i * kw + j;
                                            double py = y * s.spec().strideH() - s.spec().padTop()
                                                    + i * s.spec().dilationH() + dy(b, q, kk, y, x);
                                            double pxx = x * s.spec().strideW() - s.spec().padLeft()
                                                    + j * s.spec().dilationW() + dx(b, q, kk, y, x);
                                            gw[((oc * cg + cl) * kh + i) * kw + j] += gout * m(b, q, kk, y, x)
                                                    * sample(plane, py, pxx);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (Exception e) {
                    throw new IllegalStateException("worker failed", e);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Deformable PS RoI pooling: the official MXNet kernel (DESIGN.md "Deformable PS RoI pooling").

    @Override
    public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
        DeformPsRoiPoolShape s = DeformPsRoiPoolShape.of(name, spec, input, rois, host(rois), offset);
        if (bug == Bug.ROUNDED_REFERENCE) {
            try (Tensor r = reference.deformPsRoiPool(spec, ref(input), ref(rois), ref(offset))) {
                return out(s.outputShape(), r.toDoubleArray());
            }
        }
        return out(s.outputShape(), new Pool(s, d(input), d(rois), d(offset)).run(null, null, null));
    }

    @Override
    public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput, Tensor input,
                                                            Tensor rois, Tensor offset, Set<Gradient> wanted) {
        DeformPsRoiPoolShape s = DeformPsRoiPoolShape.ofBackward(name, spec, gradOutput, input, rois, host(rois),
                offset, wanted);
        if (bug == Bug.ROUNDED_REFERENCE) {
            try (DeformPsRoiPoolGradients g = reference.deformPsRoiPoolBackward(spec, ref(gradOutput), ref(input),
                    ref(rois), ref(offset), wanted)) {
                return new DeformPsRoiPoolGradients(out(s.inputShape(), arr(g.input())),
                        out(s.offsetShape(), arr(g.offset())));
            }
        }
        Pool p = new Pool(s, d(input), d(rois), d(offset));
        double[] gi = wanted.contains(Gradient.INPUT) ? new double[p.in.length] : null;
        double[] gOff = wanted.contains(Gradient.OFFSET) && offset != null ? new double[p.off.length] : null;
        p.run(d(gradOutput), gi, gOff);
        return new DeformPsRoiPoolGradients(out(s.inputShape(), gi), out(s.offsetShape(), gOff));
    }

    private static double[] host(Tensor rois) {
        return rois instanceof MutantTensor ? d(rois) : null;
    }

    /** One pooling call; {@link #run} is the forward, or with a gradient the backward. */
    private final class Pool {
        final DeformPsRoiPoolShape s;
        final double[] in, rois, off;

        Pool(DeformPsRoiPoolShape s, double[] in, double[] rois, double[] off) {
            this.s = s;
            this.in = in;
            this.rois = rois;
            this.off = off;
        }

        double round(double v) {
            if (bug == Bug.ROI_CORNERS_HALF_TO_EVEN) return Math.rint(v);
            double t = v < 0 ? Math.ceil(v) : Math.floor(v);
            return Math.abs(v - t) >= 0.5 ? t + Math.signum(v) : t;
        }

        /** A value of the flattened input, as a C kernel reads it; 0 past the end of the buffer. */
        double at(int index) {
            return index >= 0 && index < in.length ? in[index] : 0;
        }

        double[] run(double[] gradOut, double[] gi, double[] gOff) {
            DeformPsRoiPoolSpec sp = s.spec();
            int p = sp.pooledSize(), part = sp.partSize(), spp = sp.samplePerPart(), gs = sp.groupSize();
            int od = sp.outputDim(), h = s.height(), w = s.width(), nc = s.numClasses();
            int perClass = od / nc;
            double[] out = new double[s.roiCount() * od * p * p];
            for (int r = 0; r < s.roiCount(); r++) {
                int batch = (int) rois[r * 5];
                double startW = round(rois[r * 5 + 1]) * sp.spatialScale() - 0.5;
                double startH = round(rois[r * 5 + 2]) * sp.spatialScale() - 0.5;
                double endW = (round(rois[r * 5 + 3]) + 1) * sp.spatialScale() - 0.5;
                double endH = (round(rois[r * 5 + 4]) + 1) * sp.spatialScale() - 0.5;
                double roiW = Math.max(endW - startW, 0.1), roiH = Math.max(endH - startH, 0.1);
                double binW = roiW / p, binH = roiH / p, subW = binW / spp, subH = binH / spp;
                for (int ctop = 0; ctop < od; ctop++) {
                    for (int ph = 0; ph < p; ph++) {
                        for (int pw = 0; pw < p; pw++) {
                            int partH = (int) Math.floor((double) ph / p * part);
                            int partW = (int) Math.floor((double) pw / p * part);
                            int cls = ctop / perClass;
                            int tIndex = ((r * 2 * nc + 2 * cls) * part + partH) * part + partW;
                            double tx = off == null ? 0 : off[tIndex] * sp.transStd();
                            double ty = off == null ? 0 : off[tIndex + part * part] * sp.transStd();
                            double wstart = pw * binW + startW + tx * roiW;
                            double hstart = ph * binH + startH + ty * roiH;
                            int gw = Math.min(Math.max((int) Math.floor((double) pw * gs / p), 0), gs - 1);
                            int gh = Math.min(Math.max((int) Math.floor((double) ph * gs / p), 0), gs - 1);
                            int plane = ((batch * s.channels()) + (ctop * gs + gh) * gs + gw) * h * w;
                            int outAt = ((r * od + ctop) * p + ph) * p + pw;
                            double sum = 0;
                            int count = 0;
                            for (int ih = 0; ih < spp; ih++) {
                                for (int iw = 0; iw < spp; iw++) {
                                    double x = wstart + iw * subW, y = hstart + ih * subH;
                                    if (x < -0.5 || x > w - 0.5 || y < -0.5 || y > h - 0.5) continue;
                                    count++;
                                    if (gradOut != null) continue;
                                    x = Math.min(Math.max(x, 0), w - 1);
                                    y = Math.min(Math.max(y, 0), h - 1);
                                    int x0 = (int) Math.floor(x), x1 = (int) Math.ceil(x);
                                    int y0 = (int) Math.floor(y), y1 = (int) Math.ceil(y);
                                    double dx = x - x0, dy = y - y0;
                                    sum += (1 - dx) * (1 - dy) * in[plane + y0 * w + x0]
                                            + (1 - dx) * dy * in[plane + y1 * w + x0]
                                            + dx * (1 - dy) * in[plane + y0 * w + x1]
                                            + dx * dy * in[plane + y1 * w + x1];
                                }
                            }
                            if (gradOut == null) {
                                out[outAt] = count == 0 ? 0 : sum / count;
                                continue;
                            }
                            if (count == 0) continue;
                            double diff = gradOut[outAt] / count;
                            for (int ih = 0; ih < spp; ih++) {
                                for (int iw = 0; iw < spp; iw++) {
                                    double x = wstart + iw * subW, y = hstart + ih * subH;
                                    if (x < -0.5 || x > w - 0.5 || y < -0.5 || y > h - 0.5) continue;
                                    x = Math.min(Math.max(x, 0), w - 1);
                                    y = Math.min(Math.max(y, 0), h - 1);
                                    int x0 = (int) Math.floor(x), x1 = (int) Math.ceil(x);
                                    int y0 = (int) Math.floor(y), y1 = (int) Math.ceil(y);
                                    double dx = x - x0, dy = y - y0;
                                    if (gi != null) {
                                        gi[plane + y0 * w + x0] += (1 - dx) * (1 - dy) * diff;
                                        gi[plane + y1 * w + x0] += (1 - dx) * dy * diff;
                                        gi[plane + y0 * w + x1] += dx * (1 - dy) * diff;
                                        gi[plane + y1 * w + x1] += dx * dy * diff;
                                    }
                                    if (gOff == null) continue;
                                    // The slope's far corner: ceil, or the planted floor + 1.
                                    int sx1 = bug == Bug.PSROI_SLOPE_FLOOR_PLUS_ONE ? x0 + 1 : x1;
                                    int sy1 = bug == Bug.PSROI_SLOPE_FLOOR_PLUS_ONE ? y0 + 1 : y1;
                                    double u00 = at(plane + y0 * w + x0), u01 = at(plane + sy1 * w + x0);
                                    double u10 = at(plane + y0 * w + sx1), u11 = at(plane + sy1 * w + sx1);
                                    double diffX = (u11 * dy + u10 * (1 - dy) - u01 * dy - u00 * (1 - dy))
                                            * sp.transStd() * diff * roiW;
                                    double diffY = (u11 * dx + u01 * (1 - dx) - u10 * dx - u00 * (1 - dx))
                                            * sp.transStd() * diff * roiH;
                                    gOff[tIndex] += diffX;
                                    gOff[tIndex + part * part] += diffY;
                                }
                            }
                        }
                    }
                }
            }
            return out;
        }
    }

    @Override
    public void close() {
        if (workers != null) workers.shutdownNow();
        reference.close();
    }

    /**
     * The official DCNv1 kernels (msracver/Deformable-ConvNets, {@code deformable_im2col.cuh}) transcribed
     * statement by statement, independently of the reference's {@code Dcnv1Bilinear}: the value of
     * {@code deformable_im2col_gpu_kernel}, the input gradient of {@code deformable_col2im_gpu_kernel}
     * (its 5x5 neighbourhood search and {@code get_gradient_weight}) and the offset gradient of
     * {@code deformable_col2im_coord_gpu_kernel} ({@code get_coordinate_weight}), in absolute coordinates.
     */
    static final class Dcnv1 {

        private Dcnv1() {
        }

        static double im2colBilinear(double[] im, int plane, int height, int width, double hIm, double wIm) {
            if (!(hIm >= 0 && wIm >= 0 && hIm < height && wIm < width)) return 0;
            double hv = hIm, wv = wIm;
            int hLow = (int) Math.floor(hv), wLow = (int) Math.floor(wv), hHigh, wHigh;
            if (hLow >= height - 1) {
                hHigh = hLow = height - 1;
                hv = hLow;
            } else {
                hHigh = hLow + 1;
            }
            if (wLow >= width - 1) {
                wHigh = wLow = width - 1;
                wv = wLow;
            } else {
                wHigh = wLow + 1;
            }
            double lh = hv - hLow, lw = wv - wLow, hh = 1 - lh, hw = 1 - lw;
            boolean movedH = hHigh == hLow, movedW = wHigh == wLow;
            double v1 = im[plane + hLow * width + wLow], v2 = corner(im, plane, width, hLow, wHigh, movedW);
            double v3 = corner(im, plane, width, hHigh, wLow, movedH);
            double v4 = corner(im, plane, width, hHigh, wHigh, movedH || movedW);
            return hh * hw * v1 + hh * lw * v2 + lh * hw * v3 + lh * lw * v4;
        }

        /**
         * A corner read by the kernel, or 0 for the repeated corner of a moved coordinate: dcn4j's rule
         * (DESIGN.md "Non-finite values") has no second corner there, where CUDA reads the last row again
         * with weight 0 (the same for finite pixels, NaN for an infinite one).
         */
        private static double corner(double[] im, int plane, int width, int y, int x, boolean repeated) {
            return repeated ? 0 : im[plane + y * width + x];
        }

        static void col2im(double[] grad, int plane, int height, int width, double hIm, double wIm, double top) {
            int curH = (int) hIm, curW = (int) wIm;
            for (int dy = -2; dy <= 2; dy++) {
                for (int dx = -2; dx <= 2; dx++) {
                    long y = (long) curH + dy, x = (long) curW + dx;
                    if (y >= 0 && y < height && x >= 0 && x < width && Math.abs(hIm - y) < 1
                            && Math.abs(wIm - x) < 1) {
                        double weight = gradientWeight(hIm, wIm, (int) y, (int) x, height, width);
                        // A zero weight (e.g. -1 < hIm < 0, outside for the forward) sends nothing, not
                        // 0 * top: dcn4j's rule (DESIGN.md "Non-finite values"); equal for a finite top.
                        if (weight != 0) grad[plane + (int) y * width + (int) x] += weight * top;
                    }
                }
            }
        }

        private static double gradientWeight(double ah, double aw, int h, int w, int height, int width) {
            if (ah < 0 || ah > height || aw < 0 || aw > width) return 0;
            int hLow = (int) ah, wLow = (int) aw, hHigh, wHigh;
            if (hLow >= height - 1) {
                hHigh = hLow = height - 1;
                ah = hLow;
            } else {
                hHigh = hLow + 1;
            }
            if (wLow >= width - 1) {
                wHigh = wLow = width - 1;
                aw = wLow;
            } else {
                wHigh = wLow + 1;
            }
            double weight = 0;
            if (h == hLow) {
                if (w == wLow) {
                    weight = (h + 1 - ah) * (w + 1 - aw);
                } else if (w == wHigh) {
                    weight = (h + 1 - ah) * (aw + 1 - w);
                }
            } else if (h == hHigh) {
                if (w == wLow) {
                    weight = (ah + 1 - h) * (w + 1 - aw);
                } else if (w == wHigh) {
                    weight = (ah + 1 - h) * (aw + 1 - w);
                }
            }
            return weight;
        }

        static double coordinateWeight(double[] im, int plane, int height, int width, double ah, double aw, int dir) {
            if (ah < 0 || aw < 0 || ah >= height || aw >= width) {
                ah = -1;
                aw = -1;
            }
            if (ah < 0 || ah > height || aw < 0 || aw > width) return 0;
            int hLow = (int) ah, wLow = (int) aw, hHigh, wHigh;
            if (hLow >= height - 1) {
                hHigh = hLow = height - 1;
                ah = hLow;
            } else {
                hHigh = hLow + 1;
            }
            if (wLow >= width - 1) {
                wHigh = wLow = width - 1;
                aw = wLow;
            } else {
                wHigh = wLow + 1;
            }
            boolean movedH = hHigh == hLow, movedW = wHigh == wLow;
            // Along a moved coordinate the kernel's terms cancel (v - v): 0 under dcn4j's rule even for an
            // infinite pixel, where CUDA gives inf - inf = NaN (DESIGN.md "Non-finite values").
            if (dir == 0 ? movedH : movedW) return 0;
            double v1 = im[plane + hLow * width + wLow], v2 = corner(im, plane, width, hLow, wHigh, movedW);
            double v3 = corner(im, plane, width, hHigh, wLow, movedH);
            double v4 = corner(im, plane, width, hHigh, wHigh, movedH || movedW);
            double weight = 0;
            if (dir == 0) {
                weight += -1 * (wLow + 1 - aw) * v1;
                weight += -1 * (aw - wLow) * v2;
                weight += (wLow + 1 - aw) * v3;
                weight += (aw - wLow) * v4;
            } else {
                weight += -1 * (hLow + 1 - ah) * v1;
                weight += (hLow + 1 - ah) * v2;
                weight += -1 * (ah - hLow) * v3;
                weight += (ah - hLow) * v4;
            }
            return weight;
        }
    }
}
