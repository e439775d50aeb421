package dcn4j.vector;

import dcn4j.spi.DeformConv2dShape;

/**
 * The sizes of one validated deformable-convolution call as plain {@code int} fields, plus the
 * channel segments that the kernels iterate: the intersection of every offset group with every
 * group, so that a segment is a run of channels sharing one sampling position (offset group) and one
 * weight matrix (group).
 */
final class ConvGeometry {

    final int batch, channels, height, width, outChannels, kh, kw, outHeight, outWidth;
    /** {@code padTop}, {@code padLeft}: the begin paddings that place the sampling grid (the end ones only size the output). */
    final int strideH, strideW, padTop, padLeft, dilationH, dilationW, groups, offsetGroups;
    /** Whether the border rule is {@link dcn4j.DeformConv2dSpec.Border#DCNV1} (else torchvision's). */
    final boolean dcnv1;
    /** {@code C/groups}, {@code O/groups}, {@code C/offsetGroups}, {@code kh*kw}, {@code Ho*Wo}, {@code H*W}. */
    final int channelsPerGroup, outPerGroup, channelsPerOffsetGroup, kernelSize, pixels, planeSize;
    /** Reduction length of one group, {@code kh*kw*C/groups}, ordered kernel point major: {@code k = kpt*Cg + cl}. */
    final int groupK;
    /** Padded NHWC plane: {@code (H+2) x (W+2)} positions of {@code C} channels, a zero border of one pixel. */
    final int paddedWidth;
    final long paddedSize;
    final boolean hasOffset, hasMask, hasBias;
    /**
     * Segments of offset group {@code og}: indices {@code segFirst[og] .. segFirst[og+1]-1} into
     * {@code segGroup}, {@code segStart}, {@code segEnd} (channel range {@code [start, end)}).
     */
    final int[] segFirst, segGroup, segStart, segEnd;

    ConvGeometry(DeformConv2dShape s) {
        batch = s.batch();
        channels = s.inChannels();
        height = s.inHeight();
        width = s.inWidth();
        outChannels = s.outChannels();
        kh = s.kernelHeight();
        kw = s.kernelWidth();
        outHeight = s.outHeight();
        outWidth = s.outWidth();
        strideH = s.spec().strideH();
        strideW = s.spec().strideW();
        padTop = s.spec().padTop();
        padLeft = s.spec().padLeft();
        dcnv1 = s.spec().border() == dcn4j.DeformConv2dSpec.Border.DCNV1;
        dilationH = s.spec().dilationH();
        dilationW = s.spec().dilationW();
        groups = s.spec().groups();
        offsetGroups = s.spec().offsetGroups();
        channelsPerGroup = s.inChannelsPerGroup();
        outPerGroup = s.outChannelsPerGroup();
        channelsPerOffsetGroup = s.channelsPerOffsetGroup();
        kernelSize = kh * kw;
        pixels = outHeight * outWidth;
        planeSize = height * width;
        groupK = kernelSize * channelsPerGroup;
        paddedWidth = width + 2;
        paddedSize = (long) (height + 2) * paddedWidth * channels;
        hasOffset = s.hasOffset();
        hasMask = s.hasMask();
        hasBias = s.hasBias();

        segFirst = new int[offsetGroups + 1];
        int count = 0;
        for (int og = 0; og < offsetGroups; og++) {
            int a = og * channelsPerOffsetGroup, b = a + channelsPerOffsetGroup;
            count += (b - 1) / channelsPerGroup - a / channelsPerGroup + 1;
        }
        segGroup = new int[count];
        segStart = new int[count];
        segEnd = new int[count];
        int k = 0;
        for (int og = 0; og < offsetGroups; og++) {
            segFirst[og] = k;
            int a = og * channelsPerOffsetGroup, b = a + channelsPerOffsetGroup;
            for (int g = a / channelsPerGroup; g <= (b - 1) / channelsPerGroup; g++) {
                segGroup[k] = g;
                segStart[k] = Math.max(a, g * channelsPerGroup);
                segEnd[k] = Math.min(b, (g + 1) * channelsPerGroup);
                k++;
            }
        }
        segFirst[offsetGroups] = k;
    }

    /** Total reduction rows over all groups, {@code C*kh*kw}. */
    int totalK() {
        return groups * groupK;
    }

    /** Sampling entries per output pixel: one per (offset group, kernel point). */
    int entriesPerPixel() {
        return offsetGroups * kernelSize;
    }
}
