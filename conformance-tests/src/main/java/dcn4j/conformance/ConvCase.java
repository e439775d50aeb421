package dcn4j.conformance;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.internal.ConvArgs;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One generated deformable convolution call: shapes, hyper-parameters and, drawn from
 * {@link #valueSeed()}, the float values of every argument. jqwik shrinks the shape parameters;
 * the values follow from the seed, so a printed case is reproducible from its {@link #toString()}.
 *
 * <p>Offsets are drawn in a {@link OffsetStyle}: the edges DESIGN.md cares about (exact integer and
 * half-integer sampling positions, positions far outside the image) are drawn on purpose. Random
 * fractional offsets keep their fractional part in {@code [0.01, 0.99]}: an F32 backend rounds
 * {@code y*stride - pad + i*dilation + offset} to float, and a position within a float ulp of an
 * integer could land in the neighbouring bilinear cell, whose derivative legitimately differs (the
 * backward is discontinuous at integers, DESIGN.md "right derivative"). Such a case would measure
 * float rounding, not a bug. Except on purpose: {@link OffsetStyle#NEAR_INTEGER} puts offsets within
 * {@code 1e-6} of an integer, and DESIGN.md requires the cell of float64 coordinates there (integer
 * base plus the offset, never a float32 sum), so that rounding is a bug.
 */
public final class ConvCase {

    /** How offsets are drawn. */
    public enum OffsetStyle {
        /** All zero: plain (dilated) convolution sampling exact pixels. */
        ZERO,
        /** Fractional, {@code |offset| < 2}. */
        SMALL,
        /** Fractional, up to the image size plus 4 away: samples far outside the image. */
        FAR_OUTSIDE,
        /** Exact integers in {@code [-3, 3]}: exact pixel positions, the cell edges of the backward. */
        INTEGER,
        /** Exact half-integers in {@code [-2.5, 2.5]}. */
        HALF_INTEGER,
        /**
         * Within {@code 1e-6} of an integer in {@code [-3, 3]}: samples a hair from a cell edge or the
         * image border, where a backend that rounds {@code base + offset} to float32 lands in the wrong
         * cell (its gradients then differ by a whole pixel difference).
         */
        NEAR_INTEGER,
        /**
         * Sampling positions exactly on the border lines {@code -1} and {@code H} ({@code W}) where
         * a sample stops counting, on exact pixels, or fractional near the undeformed position.
         */
        BORDER,
        /** Each value in one of the styles above but {@code NEAR_INTEGER} and {@code BORDER}. */
        MIXED
    }

    private final int batch, inChannels, height, width, outChannels, kernelH, kernelW;
    private final DeformConv2dSpec spec;
    private final boolean hasOffset, hasMask, hasBias;
    private final OffsetStyle offsetStyle;
    private final long valueSeed;
    private final int outH, outW;
    private final float[] input, offset, mask, weight, bias, gradOutput;

    /**
     * A case; the shapes must be valid ({@link ConvCases} makes sure), values are drawn from
     * {@code valueSeed}.
     */
    public ConvCase(int batch, int inChannels, int height, int width, int outChannels, int kernelH, int kernelW,
                    DeformConv2dSpec spec, boolean hasOffset, boolean hasMask, boolean hasBias,
                    OffsetStyle offsetStyle, long valueSeed) {
        this.batch = batch;
        this.inChannels = inChannels;
        this.height = height;
        this.width = width;
        this.outChannels = outChannels;
        this.kernelH = kernelH;
        this.kernelW = kernelW;
        this.spec = spec;
        this.hasOffset = hasOffset;
        this.hasMask = hasMask;
        this.hasBias = hasBias;
        this.offsetStyle = offsetStyle;
        this.valueSeed = valueSeed;
        this.outH = spec.outputHeight(height, kernelH);
        this.outW = spec.outputWidth(width, kernelW);
        if (outH < 1 || outW < 1 || inChannels % spec.groups() != 0 || inChannels % spec.offsetGroups() != 0
                || outChannels % spec.groups() != 0) {
            throw new IllegalArgumentException("case: expected valid shapes, got " + this);
        }
        SplittableRandom r = new SplittableRandom(valueSeed);
        this.input = uniform(r, batch * inChannels * height * width, -1, 1);
        this.weight = uniform(r, outChannels * (inChannels / spec.groups()) * kernelH * kernelW, -1, 1);
        this.bias = hasBias ? uniform(r, outChannels, -1, 1) : null;
        this.offset = !hasOffset ? null : offsetStyle == OffsetStyle.BORDER ? borderOffsets(r)
                : offsets(r, size(offsetShape()), offsetStyle, Math.max(height, width));
        this.mask = hasMask ? masks(r, size(maskShape())) : null;
        this.gradOutput = uniform(r, size(outputShape()), -1, 1);
    }

    /** The hyper-parameters. */
    public DeformConv2dSpec spec() {
        return spec;
    }

    /** {@code [N, C, H, W]}. */
    public int[] inputShape() {
        return new int[] {batch, inChannels, height, width};
    }

    /** {@code [O, C/groups, kh, kw]}. */
    public int[] weightShape() {
        return new int[] {outChannels, inChannels / spec.groups(), kernelH, kernelW};
    }

    /** {@code [O]}. */
    public int[] biasShape() {
        return new int[] {outChannels};
    }

    /** {@code [N, 2*offsetGroups*kh*kw, Ho, Wo]}. */
    public int[] offsetShape() {
        return new int[] {batch, 2 * spec.offsetGroups() * kernelH * kernelW, outH, outW};
    }

    /** {@code [N, offsetGroups*kh*kw, Ho, Wo]}. */
    public int[] maskShape() {
        return new int[] {batch, spec.offsetGroups() * kernelH * kernelW, outH, outW};
    }

    /** {@code [N, O, Ho, Wo]}. */
    public int[] outputShape() {
        return new int[] {batch, outChannels, outH, outW};
    }

    /** The seed the values are drawn from. */
    public long valueSeed() {
        return valueSeed;
    }

    /** Whether an offset is passed ({@code false}: plain convolution through the same op). */
    public boolean hasOffset() {
        return hasOffset;
    }

    /** Whether a mask is passed (modulated, DCNv2). */
    public boolean hasMask() {
        return hasMask;
    }

    /** Whether a bias is passed. */
    public boolean hasBias() {
        return hasBias;
    }

    /** See {@link #inputShape()}, {@link #weightShape()}, {@link #outputShape()}. */
    public int batch() {
        return batch;
    }

    /** See {@link #inputShape()}, {@link #weightShape()}, {@link #outputShape()}. */
    public int inChannels() {
        return inChannels;
    }

    /** See {@link #inputShape()}, {@link #weightShape()}, {@link #outputShape()}. */
    public int height() {
        return height;
    }

    /** See {@link #inputShape()}, {@link #weightShape()}, {@link #outputShape()}. */
    public int width() {
        return width;
    }

    /** See {@link #inputShape()}, {@link #weightShape()}, {@link #outputShape()}. */
    public int outChannels() {
        return outChannels;
    }

    /** See {@link #inputShape()}, {@link #weightShape()}, {@link #outputShape()}. */
    public int kernelH() {
        return kernelH;
    }

    /** See {@link #inputShape()}, {@link #weightShape()}, {@link #outputShape()}. */
    public int kernelW() {
        return kernelW;
    }

    /** See {@link #inputShape()}, {@link #weightShape()}, {@link #outputShape()}. */
    public int outH() {
        return outH;
    }

    /** See {@link #inputShape()}, {@link #weightShape()}, {@link #outputShape()}. */
    public int outW() {
        return outW;
    }

    /** The input values (a fresh copy), {@code null} when absent. */
    public float[] input() {
        return input.clone();
    }

    /** The offset values (a fresh copy), {@code null} when absent. */
    public float[] offset() {
        return offset == null ? null : offset.clone();
    }

    /** The mask values (a fresh copy), {@code null} when absent. */
    public float[] mask() {
        return mask == null ? null : mask.clone();
    }

    /** The weight values (a fresh copy), {@code null} when absent. */
    public float[] weight() {
        return weight.clone();
    }

    /** The bias values (a fresh copy), {@code null} when absent. */
    public float[] bias() {
        return bias == null ? null : bias.clone();
    }

    /** The gradOutput values (a fresh copy), {@code null} when absent. */
    public float[] gradOutput() {
        return gradOutput.clone();
    }

    /** Whether the argument that {@code g} differentiates is passed (input and weight always are). */
    public boolean has(Gradient g) {
        return switch (g) {
            case INPUT, WEIGHT -> true;
            case OFFSET -> hasOffset;
            case MASK -> hasMask;
            case BIAS -> hasBias;
        };
    }

    /** The same case with {@code batch} images (values redrawn from the same seed). */
    public ConvCase withBatch(int batch) {
        return new ConvCase(batch, inChannels, height, width, outChannels, kernelH, kernelW, spec, hasOffset, hasMask,
                hasBias, offsetStyle, valueSeed);
    }

    /** The same case with offsets drawn in {@code style}. */
    public ConvCase withOffsetStyle(OffsetStyle style) {
        return new ConvCase(batch, inChannels, height, width, outChannels, kernelH, kernelW, spec, hasOffset, hasMask,
                hasBias, style, valueSeed);
    }

    /**
     * The arguments as tensors of {@code b}'s native dtype: input, offset, mask, weight, bias,
     * gradOutput ({@code null} where absent); the caller closes them.
     */
    public Tensor[] tensors(Backend b) {
        ConvArgs a = ConvArgs.of(this);
        DType d = b.nativeDType();
        return new Tensor[] {b.tensor(d, inputShape(), a.input()),
            a.offset() == null ? null : b.tensor(d, offsetShape(), a.offset()),
            a.mask() == null ? null : b.tensor(d, maskShape(), a.mask()), b.tensor(d, weightShape(), a.weight()),
            a.bias() == null ? null : b.tensor(d, biasShape(), a.bias()), b.tensor(d, outputShape(), a.gradOutput())};
    }

    /** The forward of this case on {@code b} with tensors from {@link #tensors(Backend)}. */
    public Tensor forward(Backend b, Tensor[] t) {
        return b.deformConv2d(spec, t[0], t[1], t[2], t[3], t[4]);
    }

    /** The backward of this case on {@code b} with tensors from {@link #tensors(Backend)}. */
    public DeformConv2dGradients backward(Backend b, Tensor[] t, Set<Gradient> wanted) {
        return b.deformConv2dBackward(spec, t[5], t[0], t[1], t[2], t[3], t[4], wanted);
    }

    /** The forward output of this case computed by {@code b}, read back. */
    public double[] forward(Backend b) {
        return ConvArgs.of(this).forward(b);
    }

    /** The gradients in {@code wanted} of the arguments present, computed by {@code b}. */
    public Map<Gradient, double[]> backward(Backend b, Set<Gradient> wanted) {
        return ConvArgs.of(this).backward(b, wanted);
    }

    /** A fresh random stream for a property that needs more values (directions, coefficients). */
    SplittableRandom extraRandom() {
        return new SplittableRandom(valueSeed ^ 0x9E3779B97F4A7C15L);
    }

    /** The number of elements of {@code shape}. */
    public static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextDouble(lo, hi);
        return v;
    }

    /** A fractional value {@code k + u} with {@code u in [0.01, 0.99]}, {@code k} in {@code [lo, hi)}. */
    static float fractional(SplittableRandom r, int lo, int hi) {
        return (float) (r.nextInt(lo, hi) + r.nextDouble(0.01, 0.99));
    }

    private static float[] offsets(SplittableRandom r, int n, OffsetStyle style, int imageSize) {
        float[] v = new float[n];
        OffsetStyle[] pure = {OffsetStyle.ZERO, OffsetStyle.SMALL, OffsetStyle.FAR_OUTSIDE, OffsetStyle.INTEGER,
            OffsetStyle.HALF_INTEGER};
        for (int i = 0; i < n; i++) {
            OffsetStyle s = style == OffsetStyle.MIXED ? pure[r.nextInt(pure.length)] : style;
            v[i] = switch (s) {
                case ZERO -> 0f;
                case SMALL -> fractional(r, -2, 2);
                case FAR_OUTSIDE -> fractional(r, -(imageSize + 4), imageSize + 4);
                case INTEGER -> r.nextInt(-3, 4);
                case HALF_INTEGER -> r.nextInt(-3, 3) + 0.5f;
                case NEAR_INTEGER -> (float) (r.nextInt(-3, 4) + (r.nextBoolean() ? 1 : -1) * r.nextDouble(1e-7, 1e-6));
                case BORDER, MIXED -> throw new AssertionError(s + " is not drawn value by value");
            };
        }
        return v;
    }

    /**
     * {@link OffsetStyle#BORDER}: per output pixel and kernel point, the sampling row (column) is
     * put exactly on {@code -1}, on {@code H} ({@code W}), on {@code 0} or {@code H-1} (where the
     * {@code DCNV1} border rule jumps or stops blending), on a random pixel, or a fractional step
     * away from the undeformed position; the offset is that target minus the undeformed position.
     */
    private float[] borderOffsets(SplittableRandom r) {
        int k = kernelH * kernelW, og = spec.offsetGroups(), pixels = outH * outW;
        float[] v = new float[size(offsetShape())];
        for (int n = 0; n < batch; n++) {
            for (int q = 0; q < og * k; q++) {
                int i = (q % k) / kernelW, j = (q % k) % kernelW;
                for (int y = 0; y < outH; y++) {
                    for (int x = 0; x < outW; x++) {
                        int at = ((n * 2 * og * k) + 2 * q) * pixels + y * outW + x;
                        int by = y * spec.strideH() - spec.padTop() + i * spec.dilationH();
                        int bx = x * spec.strideW() - spec.padLeft() + j * spec.dilationW();
                        v[at] = borderTarget(r, by, height);
                        v[at + pixels] = borderTarget(r, bx, width);
                    }
                }
            }
        }
        return v;
    }

    private static float borderTarget(SplittableRandom r, int undeformed, int size) {
        return switch (r.nextInt(6)) {
            case 0 -> -1 - undeformed;
            case 1 -> size - undeformed;
            case 2 -> -undeformed;
            case 3 -> size - 1 - undeformed;
            case 4 -> r.nextInt(size) - undeformed;
            default -> fractional(r, -1, 1);
        };
    }

    /** Modulation scalars: mostly in {@code (0, 1)} as after a sigmoid, with exact 0 and 1 on purpose. */
    private static float[] masks(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            int pick = r.nextInt(10);
            v[i] = pick == 0 ? 0f : pick == 1 ? 1f : (float) r.nextDouble(0, 1);
        }
        return v;
    }

    @Override
    public String toString() {
        return "ConvCase{N=" + batch + ", C=" + inChannels + ", H=" + height + ", W=" + width + ", O=" + outChannels
                + ", kernel=" + kernelH + "x" + kernelW + ", stride=" + spec.strideH() + "x" + spec.strideW()
                + ", padding=[" + spec.padTop() + "," + spec.padLeft() + "," + spec.padBottom() + "," + spec.padRight()
                + "], dilation=" + spec.dilationH() + "x" + spec.dilationW() + ", groups=" + spec.groups()
                + ", offsetGroups=" + spec.offsetGroups() + ", border=" + spec.border()
                + ", offset=" + (hasOffset ? offsetStyle : "none") + ", mask=" + hasMask + ", bias=" + hasBias
                + ", valueSeed=" + valueSeed + "}";
    }
}
