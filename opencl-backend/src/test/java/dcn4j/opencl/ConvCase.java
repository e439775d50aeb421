package dcn4j.opencl;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.Random;
import java.util.Set;

/**
 * One deformable convolution call with seeded random float32 data, runnable on any backend (the
 * reference gets the same float values, upcast).
 */
record ConvCase(String name, int n, int c, int h, int w, int o, int kh, int kw, DeformConv2dSpec spec,
                Offsets offsets, boolean mask, boolean bias, long seed) {

    /** How the offsets are drawn. */
    enum Offsets {
        /** No offset tensor: plain convolution. */
        NONE,
        /** Gaussian, sigma 1.5: samples in, at and past the border. */
        RANDOM,
        /** Uniform in +-100: almost every sample far outside the image. */
        FAR,
        /** Integers in [-2, 2]: every sample on integer coordinates (cell edges, right derivative). */
        INTEGER,
        /** Offsets that put samples exactly on py = -1 or px = -1 (and a few on H, W). */
        EDGE,
        /**
         * Integers in [-2, 2] plus or minus 1e-7..1e-6: samples a hair from a cell edge or the image
         * border, where float32 coordinates {@code base + offset} round into the neighbouring cell.
         */
        NEAR_EDGE
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

    /** The host data: input, offset, mask, weight, bias, gradOutput (absent ones null). */
    float[][] data() {
        Random r = new Random(seed);
        float[] in = gaussian(r, count(inputShape()), 1);
        float[] off = offsets == Offsets.NONE ? null : offsets(r);
        float[] m = mask ? uniform(r, count(maskShape()), 0, 1) : null;
        float[] wt = gaussian(r, count(weightShape()), (float) (1 / Math.sqrt(c / spec.groups() * kh * kw)));
        float[] b = bias ? gaussian(r, o, 1) : null;
        float[] go = gaussian(r, count(outputShape()), 1);
        return new float[][] {in, off, m, wt, b, go};
    }

    private float[] offsets(Random r) {
        int count = count(offsetShape());
        float[] f = new float[count];
        switch (offsets) {
            case RANDOM -> {
                for (int i = 0; i < count; i++) f[i] = (float) (r.nextGaussian() * 1.5);
            }
            case FAR -> {
                for (int i = 0; i < count; i++) f[i] = (float) (r.nextDouble() * 200 - 100);
            }
            case INTEGER -> {
                for (int i = 0; i < count; i++) f[i] = r.nextInt(5) - 2;
            }
            case NEAR_EDGE -> {
                for (int i = 0; i < count; i++) {
                    f[i] = (float) (r.nextInt(5) - 2 + (r.nextBoolean() ? 1 : -1) * (1e-7 + 9e-7 * r.nextDouble()));
                }
            }
            case EDGE -> {
                // Offset channel pairs (dy, dx) per kernel point; put the sample on -1 or H/W exactly.
                int ho = ho(), wo = wo(), kk = kh * kw, og = spec.offsetGroups(), p = ho * wo;
                for (int ni = 0; ni < n; ni++) {
                    for (int g = 0; g < og; g++) {
                        for (int k = 0; k < kk; k++) {
                            int i = k / kw, j = k % kw;
                            for (int y = 0; y < ho; y++) {
                                for (int x = 0; x < wo; x++) {
                                    int ch = 2 * (g * kk + k);
                                    int base = (ni * 2 * og * kk + ch) * p + y * wo + x;
                                    double by = y * spec.strideH() - spec.padH() + i * spec.dilationH();
                                    double bx = x * spec.strideW() - spec.padW() + j * spec.dilationW();
                                    double ty = switch (r.nextInt(4)) {
                                        case 0 -> -1;
                                        case 1 -> h;
                                        case 2 -> r.nextInt(h);
                                        default -> by + r.nextGaussian();
                                    };
                                    double tx = switch (r.nextInt(4)) {
                                        case 0 -> -1;
                                        case 1 -> w;
                                        case 2 -> r.nextInt(w);
                                        default -> bx + r.nextGaussian();
                                    };
                                    f[base] = (float) (ty - by);
                                    f[base + p] = (float) (tx - bx);
                                }
                            }
                        }
                    }
                }
            }
            default -> throw new IllegalStateException("no offsets for " + offsets);
        }
        return f;
    }

    /** Tensors of {@code backend} (F32) from {@link #data()}, in the order of {@link #data()}. */
    Tensor[] tensors(Backend backend, float[][] d) {
        int[][] shapes = {inputShape(), offsetShape(), maskShape(), weightShape(), new int[] {o}, outputShape()};
        Tensor[] t = new Tensor[6];
        for (int i = 0; i < 6; i++) t[i] = d[i] == null ? null : backend.tensor(DType.F32, shapes[i], d[i]);
        return t;
    }

    static Tensor forward(Backend b, ConvCase cc, Tensor[] t) {
        return b.deformConv2d(cc.spec(), t[0], t[1], t[2], t[3], t[4]);
    }

    static DeformConv2dGradients backward(Backend b, ConvCase cc, Tensor[] t, Set<Gradient> wanted) {
        return b.deformConv2dBackward(cc.spec(), t[5], t[0], t[1], t[2], t[3], t[4], wanted);
    }

    private static int count(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    private static float[] gaussian(Random r, int count, float scale) {
        float[] f = new float[count];
        for (int i = 0; i < count; i++) f[i] = (float) (r.nextGaussian() * scale);
        return f;
    }

    private static float[] uniform(Random r, int count, float lo, float hi) {
        float[] f = new float[count];
        for (int i = 0; i < count; i++) f[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return f;
    }

    @Override
    public String toString() {
        return name + " [N=" + n + " C=" + c + " H=" + h + " W=" + w + " O=" + o + " k=" + kh + "x" + kw + " "
                + spec + " offsets=" + offsets + " mask=" + mask + " bias=" + bias + " seed=" + seed + "]";
    }
}
