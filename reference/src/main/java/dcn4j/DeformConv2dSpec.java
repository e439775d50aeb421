package dcn4j;

/**
 * The hyper-parameters of a 2D deformable convolution (DESIGN.md, "Deformable convolution"); the
 * kernel size comes from the weight's shape. Validated on construction: strides and dilations
 * {@code >= 1}, paddings {@code >= 0}, groups and offset groups {@code >= 1}, a border rule.
 *
 * <p>Padding is given per side, as ONNX {@code DeformConv}'s {@code pads = [top, left, bottom, right]}:
 * only the top and left paddings move the sampling grid ({@code py = y*sh - padTop + ...}); the bottom
 * and right ones only lengthen the padded input, hence the output. {@link #withPadding(int, int)} is
 * the symmetric (torchvision) form.
 *
 * <pre>{@code
 * var spec = DeformConv2dSpec.defaults().withPadding(1, 1).withOffsetGroups(2);
 * var onnx = DeformConv2dSpec.defaults().withPadding(1, 0, 0, 1);          // pads [1, 0, 0, 1]
 * var dcnv1 = DeformConv2dSpec.defaults().withBorder(DeformConv2dSpec.Border.DCNV1);
 * }</pre>
 */
public record DeformConv2dSpec(int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
                               int dilationH, int dilationW, int groups, int offsetGroups, Border border) {

    /**
     * How a sample near the image border is read (DESIGN.md "Border rules"). Both read a point by the
     * bilinear blend of the four pixels around it; they differ only at the border.
     */
    public enum Border {
        /**
         * torchvision's {@code deform_conv2d} (and ONNX {@code DeformConv}, mmcv, DCNv2): zero when
         * {@code py <= -1 || py >= H || px <= -1 || px >= W}, else a corner outside the image counts as 0,
         * so a sample fades to zero over the last pixel outside the image. The default.
         */
        TORCHVISION,
        /**
         * The official DCNv1 operator (msracver/Deformable-ConvNets, {@code deformable_im2col.cuh}), which
         * produced the paper's results: zero unless {@code 0 <= py < H && 0 <= px < W}; a sample past the
         * last row ({@code py >= H-1}) reads row {@code H-1} as if {@code py = H-1}, same for columns.
         */
        DCNV1
    }

    public DeformConv2dSpec {
        requireAtLeast("strideH", strideH, 1);
        requireAtLeast("strideW", strideW, 1);
        requireAtLeast("padTop", padTop, 0);
        requireAtLeast("padLeft", padLeft, 0);
        requireAtLeast("padBottom", padBottom, 0);
        requireAtLeast("padRight", padRight, 0);
        requireAtLeast("dilationH", dilationH, 1);
        requireAtLeast("dilationW", dilationW, 1);
        requireAtLeast("groups", groups, 1);
        requireAtLeast("offsetGroups", offsetGroups, 1);
        if (border == null) throw new IllegalArgumentException("border: expected a Border, got null");
    }

    /** Symmetric padding ({@code padH} top and bottom, {@code padW} left and right), torchvision's border. */
    public DeformConv2dSpec(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups,
                            int offsetGroups) {
        this(strideH, strideW, padH, padW, padH, padW, dilationH, dilationW, groups, offsetGroups, Border.TORCHVISION);
    }

    /** Stride 1, no padding, dilation 1, one group, one offset group, torchvision's border. */
    public static DeformConv2dSpec defaults() {
        return new DeformConv2dSpec(1, 1, 0, 0, 1, 1, 1, 1);
    }

    public DeformConv2dSpec withStride(int h, int w) {
        return new DeformConv2dSpec(h, w, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups,
                offsetGroups, border);
    }

    /** Symmetric padding: {@code h} rows above and below, {@code w} columns left and right. */
    public DeformConv2dSpec withPadding(int h, int w) {
        return withPadding(h, w, h, w);
    }

    /** Padding per side in ONNX's {@code pads} order: {@code [top, left, bottom, right]}. */
    public DeformConv2dSpec withPadding(int top, int left, int bottom, int right) {
        return new DeformConv2dSpec(strideH, strideW, top, left, bottom, right, dilationH, dilationW, groups,
                offsetGroups, border);
    }

    public DeformConv2dSpec withDilation(int h, int w) {
        return new DeformConv2dSpec(strideH, strideW, padTop, padLeft, padBottom, padRight, h, w, groups,
                offsetGroups, border);
    }

    public DeformConv2dSpec withGroups(int g) {
        return new DeformConv2dSpec(strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, g,
                offsetGroups, border);
    }

    public DeformConv2dSpec withOffsetGroups(int og) {
        return new DeformConv2dSpec(strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW,
                groups, og, border);
    }

    public DeformConv2dSpec withBorder(Border b) {
        return new DeformConv2dSpec(strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW,
                groups, offsetGroups, b);
    }

    /** Whether top equals bottom and left equals right (torchvision's form). */
    public boolean symmetricPadding() {
        return padTop == padBottom && padLeft == padRight;
    }

    /**
     * {@code floor((H + padTop + padBottom - (dh(kh-1)+1)) / sh) + 1} (DESIGN.md), computed in {@code long}
     * arithmetic so that no size wraps around; {@code 0} when the kernel does not fit (no output).
     *
     * @throws IllegalArgumentException naming the padding when the height exceeds {@code Integer.MAX_VALUE}
     */
    public int outputHeight(int inputHeight, int kernelHeight) {
        return narrow("padTop + padBottom", outputHeight((long) inputHeight, kernelHeight));
    }

    /** Width analogue of {@link #outputHeight(int, int)}. */
    public int outputWidth(int inputWidth, int kernelWidth) {
        return narrow("padLeft + padRight", outputWidth((long) inputWidth, kernelWidth));
    }

    /** {@link #outputHeight(int, int)} in {@code long}, unclamped: {@code < 1} when the kernel does not fit. */
    public long outputHeight(long inputHeight, long kernelHeight) {
        return outputSize(inputHeight, padTop, padBottom, dilationH, kernelHeight, strideH);
    }

    /** {@link #outputWidth(int, int)} in {@code long}, unclamped. */
    public long outputWidth(long inputWidth, long kernelWidth) {
        return outputSize(inputWidth, padLeft, padRight, dilationW, kernelWidth, strideW);
    }

    private static int narrow(String padding, long size) {
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(padding + ": expected an output size <= " + Integer.MAX_VALUE
                    + ", got " + size);
        }
        return (int) Math.max(size, 0);
    }

    private static long outputSize(long in, long padBegin, long padEnd, long dilation, long kernel, long stride) {
        long extent = dilation * (kernel - 1) + 1;  // < 2^62 for int dilation and kernel: no overflow
        return Math.floorDiv(in + padBegin + padEnd - extent, stride) + 1;
    }

    private static void requireAtLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": expected >= " + min + ", got " + value);
        }
    }
}
