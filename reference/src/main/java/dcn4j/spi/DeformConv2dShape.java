package dcn4j.spi;

import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.Tensor;

/**
 * The validated sizes of one deformable convolution call (DESIGN.md "Deformable convolution").
 * Every backend builds one with {@link #of} before touching any storage, so all backends reject
 * the same inputs with the same messages.
 *
 * @param batch          N
 * @param inChannels     C
 * @param inHeight       H
 * @param inWidth        W
 * @param outChannels    O
 * @param kernelHeight   kh
 * @param kernelWidth    kw
 * @param outHeight      Ho
 * @param outWidth       Wo
 * @param hasOffset      whether an offset tensor is given (absent = plain convolution)
 * @param hasMask        whether a mask is given (modulated DCNv2)
 * @param hasBias        whether a bias is given
 */
public record DeformConv2dShape(DeformConv2dSpec spec, DType dtype, int batch, int inChannels, int inHeight,
                                int inWidth, int outChannels, int kernelHeight, int kernelWidth, int outHeight,
                                int outWidth, boolean hasOffset, boolean hasMask, boolean hasBias) {

    /** Input channels per group: {@code C / groups}. */
    public int inChannelsPerGroup() {
        return inChannels / spec.groups();
    }

    /** Output channels per group: {@code O / groups}. */
    public int outChannelsPerGroup() {
        return outChannels / spec.groups();
    }

    /** Input channels per offset group: {@code C / offsetGroups}. */
    public int channelsPerOffsetGroup() {
        return inChannels / spec.offsetGroups();
    }

    /** Kernel points {@code kh * kw}. */
    public int kernelSize() {
        return kernelHeight * kernelWidth;
    }

    /** {@code [N, O, Ho, Wo]}. */
    public int[] outputShape() {
        return new int[] {batch, outChannels, outHeight, outWidth};
    }

    /** {@code [N, 2*offsetGroups*kh*kw, Ho, Wo]}. */
    public int[] offsetShape() {
        return new int[] {batch, 2 * spec.offsetGroups() * kernelSize(), outHeight, outWidth};
    }

    /** {@code [N, offsetGroups*kh*kw, Ho, Wo]}. */
    public int[] maskShape() {
        return new int[] {batch, spec.offsetGroups() * kernelSize(), outHeight, outWidth};
    }

    /** {@code [N, C, H, W]}. */
    public int[] inputShape() {
        return new int[] {batch, inChannels, inHeight, inWidth};
    }

    /** {@code [O, C/groups, kh, kw]}. */
    public int[] weightShape() {
        return new int[] {outChannels, inChannelsPerGroup(), kernelHeight, kernelWidth};
    }

    /** Multiply-adds of one forward pass, times two: {@code 2*N*O*(C/groups)*kh*kw*Ho*Wo} (DESIGN.md "bench"). */
    public double forwardFlops() {
        return 2.0 * batch * outChannels * inChannelsPerGroup() * kernelSize() * outHeight * outWidth;
    }

    /**
     * Validates the arguments of a forward call made on backend {@code backendName}; {@code offset},
     * {@code mask} and {@code bias} may be {@code null}.
     */
    public static DeformConv2dShape of(String backendName, DeformConv2dSpec spec, Tensor input, Tensor offset,
                                       Tensor mask, Tensor weight, Tensor bias) {
        if (spec == null) throw new IllegalArgumentException("spec: expected a DeformConv2dSpec, got null");
        if (input == null) throw new IllegalArgumentException("input: expected a tensor, got null");
        DType dtype = input.dtype();
        Checks.owned("input", input, backendName, dtype);
        Checks.owned("weight", weight, backendName, dtype);
        int[] in = input.shape();
        int[] w = weight.shape();
        Checks.rank("input", in, 4, "[N, C, H, W]");
        Checks.rank("weight", w, 4, "[O, C/groups, kh, kw]");
        for (int i = 0; i < 4; i++) {
            // An empty batch (N = 0) is valid, as in torchvision and ONNX Runtime: empty output and gradients.
            if (in[i] < (i == 0 ? 0 : 1)) {
                throw new IllegalArgumentException("input: expected N >= 0 and C, H, W >= 1 in [N, C, H, W], got "
                        + java.util.Arrays.toString(in));
            }
            if (w[i] < 1) {
                throw new IllegalArgumentException("weight: expected every dimension >= 1 in [O, C/groups, kh, kw], got "
                        + java.util.Arrays.toString(w));
            }
        }
        int n = in[0], c = in[1], h = in[2], wd = in[3];
        int o = w[0], kh = w[2], kw = w[3];
        int groups = spec.groups(), offsetGroups = spec.offsetGroups();
        if (c % groups != 0) {
            throw new IllegalArgumentException("groups: expected a divisor of input channels C=" + c + ", got " + groups);
        }
        if (o % groups != 0) {
            throw new IllegalArgumentException("groups: expected a divisor of output channels O=" + o + ", got " + groups);
        }
        if (c % offsetGroups != 0) {
            throw new IllegalArgumentException("offsetGroups: expected a divisor of input channels C=" + c + ", got "
                    + offsetGroups);
        }
        if (w[1] != c / groups) {
            throw new IllegalArgumentException("weight: expected dimension 1 = C/groups = " + (c / groups)
                    + ", got " + w[1] + " in " + java.util.Arrays.toString(w));
        }
        int ho = outputSize("H", "padTop", "padBottom", "dilationH", "kh", h, spec.padTop(), spec.padBottom(),
                spec.dilationH(), kh, spec.outputHeight((long) h, kh));
        int wo = outputSize("W", "padLeft", "padRight", "dilationW", "kw", wd, spec.padLeft(), spec.padRight(),
                spec.dilationW(), kw, spec.outputWidth((long) wd, kw));
        DeformConv2dShape s = new DeformConv2dShape(spec, dtype, n, c, h, wd, o, kh, kw, ho, wo,
                offset != null, mask != null, bias != null);
        // Every tensor is one Java array / one buffer indexed by int: refuse before allocating anything.
        checkElementCount("output size", s.outputShape());
        if (offset != null) {
            Checks.owned("offset", offset, backendName, dtype);
            Checks.shape("offset", offset.shape(), s.offsetShape(), "[N, 2*offsetGroups*kh*kw, Ho, Wo]");
        }
        if (mask != null) {
            Checks.owned("mask", mask, backendName, dtype);
            Checks.shape("mask", mask.shape(), s.maskShape(), "[N, offsetGroups*kh*kw, Ho, Wo]");
        }
        if (bias != null) {
            Checks.owned("bias", bias, backendName, dtype);
            Checks.shape("bias", bias.shape(), new int[] {o}, "[O]");
        }
        return s;
    }

    /**
     * The output size along one axis, with the geometry checked in {@code long} arithmetic (issue 11):
     * the padded input {@code in + padBegin + padEnd} must fit an {@code int}, which bounds every sample
     * coordinate {@code y*stride - padBegin + i*dilation} and its intermediate sums in every backend's
     * {@code int} index arithmetic, and the dilated kernel must fit in it (an output of at least 1).
     */
    private static int outputSize(String in, String padBegin, String padEnd, String dilation, String kernel,
                                  long inSize, long begin, long end, long dilationValue, long kernelSize, long out) {
        long padded = inSize + begin + end;
        if (padded > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(padBegin + ", " + padEnd + ": expected a padded input " + in + " + "
                    + padBegin + " + " + padEnd + " <= " + Integer.MAX_VALUE + ", got " + inSize + " + " + begin
                    + " + " + end + " = " + padded);
        }
        long extent = dilationValue * (kernelSize - 1) + 1;
        if (out < 1) {
            throw new IllegalArgumentException("output size: expected >= 1 along " + in + ", got none: the dilated "
                    + "kernel " + dilation + "*(" + kernel + "-1)+1 = " + dilationValue + "*(" + kernelSize + "-1)+1 = "
                    + extent + " exceeds the padded input " + in + " + " + padBegin + " + " + padEnd + " = "
                    + padded);
        }
        return (int) out;  // <= padded <= Integer.MAX_VALUE
    }

    private static void checkElementCount(String what, int[] shape) {
        long count = 1;
        for (int d : shape) count *= d;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + ": expected at most " + (Integer.MAX_VALUE - 8)
                    + " elements, got " + count + " for shape " + java.util.Arrays.toString(shape));
        }
    }

    /** {@link #of} plus the check of {@code gradOutput} against {@code [N, O, Ho, Wo]}. */
    public static DeformConv2dShape ofBackward(String backendName, DeformConv2dSpec spec, Tensor gradOutput,
                                               Tensor input, Tensor offset, Tensor mask, Tensor weight,
                                               Tensor bias, java.util.Set<dcn4j.Gradient> wanted) {
        DeformConv2dShape s = of(backendName, spec, input, offset, mask, weight, bias);
        if (wanted == null) throw new IllegalArgumentException("wanted: expected a set of gradients, got null");
        Checks.owned("gradOutput", gradOutput, backendName, s.dtype());
        Checks.shape("gradOutput", gradOutput.shape(), s.outputShape(), "[N, O, Ho, Wo]");
        return s;
    }
}
