package dcn4j;

/**
 * The hyper-parameters of a 2D deformable convolution (DESIGN.md, "Deformable convolution"); the
 * kernel size comes from the weight's shape. Validated on construction: strides and dilations
 * {@code >= 1}, paddings {@code >= 0}, groups and offset groups {@code >= 1}.
 *
 * <pre>{@code
 * var spec = DeformConv2dSpec.defaults().withPadding(1, 1).withOffsetGroups(2);
 * }</pre>
 */
public record DeformConv2dSpec(int strideH, int strideW, int padH, int padW,
                               int dilationH, int dilationW, int groups, int offsetGroups) {

    public DeformConv2dSpec {
        requireAtLeast("strideH", strideH, 1);
        requireAtLeast("strideW", strideW, 1);
        requireAtLeast("padH", padH, 0);
        requireAtLeast("padW", padW, 0);
        requireAtLeast("dilationH", dilationH, 1);
        requireAtLeast("dilationW", dilationW, 1);
        requireAtLeast("groups", groups, 1);
        requireAtLeast("offsetGroups", offsetGroups, 1);
    }

    /** Stride 1, no padding, dilation 1, one group, one offset group. */
    public static DeformConv2dSpec defaults() {
        return new DeformConv2dSpec(1, 1, 0, 0, 1, 1, 1, 1);
    }

    public DeformConv2dSpec withStride(int h, int w) {
        return new DeformConv2dSpec(h, w, padH, padW, dilationH, dilationW, groups, offsetGroups);
    }

    public DeformConv2dSpec withPadding(int h, int w) {
        return new DeformConv2dSpec(strideH, strideW, h, w, dilationH, dilationW, groups, offsetGroups);
    }

    public DeformConv2dSpec withDilation(int h, int w) {
        return new DeformConv2dSpec(strideH, strideW, padH, padW, h, w, groups, offsetGroups);
    }

    public DeformConv2dSpec withGroups(int g) {
        return new DeformConv2dSpec(strideH, strideW, padH, padW, dilationH, dilationW, g, offsetGroups);
    }

    public DeformConv2dSpec withOffsetGroups(int og) {
        return new DeformConv2dSpec(strideH, strideW, padH, padW, dilationH, dilationW, groups, og);
    }

    /** {@code floor((H + 2ph - (dh(kh-1)+1)) / sh) + 1} (DESIGN.md); may be {@code < 1} for invalid shapes. */
    public int outputHeight(int inputHeight, int kernelHeight) {
        return Math.floorDiv(inputHeight + 2 * padH - (dilationH * (kernelHeight - 1) + 1), strideH) + 1;
    }

    /** Width analogue of {@link #outputHeight}. */
    public int outputWidth(int inputWidth, int kernelWidth) {
        return Math.floorDiv(inputWidth + 2 * padW - (dilationW * (kernelWidth - 1) + 1), strideW) + 1;
    }

    private static void requireAtLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": expected >= " + min + ", got " + value);
        }
    }
}
