package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.ConvCase.OffsetStyle;
import dcn4j.conformance.RoiPoolCase;
import dcn4j.conformance.Tolerances;
import java.util.EnumSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * No buffer over the device's largest allocation ({@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}): work is
 * chunked under it, and what cannot be (a tensor, or one image's columns, larger than one buffer
 * may be) is refused with {@link IllegalArgumentException} naming it and the limit, never
 * OpenCL's {@code CL_INVALID_BUFFER_SIZE}. The limit is lowered here so that kilobytes stand in
 * for gigabytes.
 */
class OpenClMaxAllocTest {

    private OpenClBackend cl;

    @BeforeEach
    void open() {
        cl = OpenClTestSupport.open();
    }

    @AfterEach
    void close() {
        if (cl != null) cl.close();
    }

    @Test
    void aTensorLargerThanOneBufferIsRefusedNamingItAndTheLimit() {
        cl.runtime().maxAllocCap(1024);
        long live = cl.runtime().allocations();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl.tensor(new int[] {3, 100}, new float[300]));
        assertEquals("tensor [3, 100]: expected at most 1024 bytes (the largest buffer the OpenCL device "
                + cl.device().name() + " allocates, CL_DEVICE_MAX_MEM_ALLOC_SIZE), got 1200 bytes", e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line");
        assertEquals(live, cl.runtime().allocations(), "nothing allocated");
        cl.tensor(new int[] {2, 128}, new float[256]).close(); // exactly at the limit: fine
    }

    @Test
    void convolutionBatchesAreChunkedUnderTheLargestAllocation() {
        // Per image: columns 6*9*72 floats (15,552 bytes), sample corners and weights 3*9*72 float4
        // (31,104 bytes each). The default budget takes all 4 images at once (124,416-byte buffers);
        // a 64,000-byte limit must cut the batch into chunks.
        ConvCase cc = new ConvCase(4, 6, 9, 8, 4, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 2, 3), true, true,
                true, OffsetStyle.SMALL, 91);
        Tensor[] a = cc.tensors(cl);
        float[] whole = cc.forward(cl, a).toFloatArray();
        DeformConv2dGradients gWhole = cc.backward(cl, a, Gradient.all());
        assertTrue(cl.runtime().workspace().largest() > 64_000, "unchunked, a buffer over the limit to come");
        cl.runtime().workspace().release();
        cl.runtime().maxAllocCap(64_000);
        float[] chunked = cc.forward(cl, a).toFloatArray();
        DeformConv2dGradients gChunked = cc.backward(cl, a, Gradient.all());
        long largest = cl.runtime().workspace().largest();
        assertTrue(largest <= 64_000, "largest workspace buffer " + largest + " bytes");
        Compare.assertBitIdentical("forward", whole, chunked);
        for (Gradient g : Gradient.values()) {
            double err = Tolerances.relativeError(gChunked.get(g).toDoubleArray(), gWhole.get(g).toDoubleArray());
            assertEquals(0, err, 1e-6, g + " chunked vs whole");
        }
        gWhole.close();
        gChunked.close();
    }

    static java.util.stream.Stream<org.junit.jupiter.api.Named<ConvCase>> bandCases() {
        return java.util.stream.Stream.of(
                // One offset group: the columns (6*9*8 floats = 1,728 bytes per output row) are the largest.
                org.junit.jupiter.api.Named.of("columns largest", new ConvCase(2, 6, 9, 8, 4, 3, 3,
                        new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 1, 1), true, true, true, OffsetStyle.SMALL, 92)),
                // Three offset groups of two channels: the sample table (3*9*8 entries of 16 bytes per row).
                org.junit.jupiter.api.Named.of("sample table largest", new ConvCase(1, 6, 9, 8, 4, 3, 3,
                        new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 2, 3), true, true, true, OffsetStyle.MIXED, 93)),
                // Stride 2, padding 2, dilation 2: a band's padding is padH - r0*strideH.
                org.junit.jupiter.api.Named.of("stride, padding, dilation", new ConvCase(1, 4, 13, 11, 6, 3, 2,
                        new DeformConv2dSpec(2, 1, 2, 1, 2, 1, 2, 2), true, true, true, OffsetStyle.BORDER, 94)),
                org.junit.jupiter.api.Named.of("no offset, no mask", new ConvCase(1, 4, 10, 7, 3, 3, 3,
                        new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 1, 1), false, false, false, OffsetStyle.ZERO, 95)));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("bandCases")
    void imagesLargerThanOneBufferAreComputedInBandsOfRows(ConvCase cc) {
        // A limit of at least 3 output rows' worth of the largest buffer, and at least the largest
        // tensor (those are whole buffers), but under one image's largest buffer: bands.
        long wo = cc.outW(), k = (long) cc.kernelH() * cc.kernelW();
        long perRow = Math.max(4L * cc.inChannels() * k * wo,
                Math.max(16L * cc.spec().offsetGroups() * k * wo, 4L * cc.outChannels() * wo));
        long tensors = 4L * ConvCase.size(cc.outputShape());
        for (int[] shape : new int[][] {cc.inputShape(), cc.offsetShape(), cc.maskShape(), cc.weightShape()}) {
            tensors = Math.max(tensors, 4L * ConvCase.size(shape));
        }
        long cap = Math.max(3 * perRow, tensors);
        assertTrue(perRow * cc.outH() > cap, "one image must not fit: " + perRow * cc.outH() + " <= " + cap);
        System.out.println("[opencl max alloc] " + cc + ": " + cap / perRow + " of " + cc.outH()
                + " output rows per band under a " + cap + "-byte limit");
        Tensor[] a = cc.tensors(cl);
        for (boolean gpu : new boolean[] {false, true}) { // both launch shapes and GEMM kernels
            cl.useGpuStyle(gpu);
            inBands(cc, a, cap, gpu ? "GPU-style" : "CPU-style");
        }
    }

    private void inBands(ConvCase cc, Tensor[] a, long cap, String style) {
        cl.runtime().maxAllocCap(Long.MAX_VALUE);
        float[] whole = cc.forward(cl, a).toFloatArray();
        DeformConv2dGradients gWhole = cc.backward(cl, a, Gradient.all());
        cl.runtime().workspace().release();
        cl.runtime().maxAllocCap(cap);
        Tensor banded = cc.forward(cl, a);
        DeformConv2dGradients gBanded = cc.backward(cl, a, Gradient.all());
        assertTrue(cl.runtime().workspace().largest() <= cap, cl.runtime().workspace().largest() + " > " + cap);
        cl.runtime().maxAllocCap(Long.MAX_VALUE);
        // Against whole images: the forward and the per-sample gradients are the same sums in the
        // same order; input and weight gradients add bands in band order (float rounding).
        Compare.assertBitIdentical(style + " forward", whole, banded.toFloatArray());
        if (gWhole.offset() != null) {
            Compare.assertBitIdentical(style + " grad offset", gWhole.offset().toFloatArray(),
                    gBanded.offset().toFloatArray());
        }
        if (gWhole.mask() != null) {
            Compare.assertBitIdentical(style + " grad mask", gWhole.mask().toFloatArray(), gBanded.mask().toFloatArray());
        }
        for (Gradient g : Gradient.values()) {
            if (gWhole.get(g) == null) continue;
            double err = Tolerances.relativeError(gBanded.get(g).toDoubleArray(), gWhole.get(g).toDoubleArray());
            assertEquals(0, err, 1e-6, style + " " + g + " in bands vs whole");
        }
        // And against the float64 reference, independently.
        try (dcn4j.Backend ref = OpenClTestSupport.reference()) {
            Tensor[] r = cc.tensors(ref);
            Compare.check(cc.toString(), style + " forward in bands", banded, cc.forward(ref, r), Tolerances.FORWARD);
            DeformConv2dGradients want = cc.backward(ref, r, Gradient.all());
            for (Gradient g : Gradient.values()) {
                Compare.check(cc.toString(), style + " " + g + " in bands", gBanded.get(g), want.get(g),
                        Tolerances.BACKWARD);
            }
        }
        banded.close();
        gWhole.close();
        gBanded.close();
    }

    @Test
    void anOutputRowLargerThanOneBufferIsRefusedNamingTheBufferAndTheLimit() {
        ConvCase one = new ConvCase(1, 6, 9, 8, 4, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 1, 1), true, true,
                true, OffsetStyle.SMALL, 92);
        Tensor[] a = one.tensors(cl);
        cl.runtime().workspace().release();
        cl.runtime().maxAllocCap(1024); // one output row of columns: 6*9*8 floats, 1,728 bytes
        long live = cl.runtime().allocations();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> one.forward(cl, a));
        assertEquals("input: expected at most 1024 bytes per output row in one OpenCL buffer "
                + "(CL_DEVICE_MAX_MEM_ALLOC_SIZE of " + cl.device().name() + "), got 1728 bytes of columns "
                + "(C*kh*kw*Wo floats) for [1, 6, 9, 8] and kernel 3x3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> one.backward(cl, a, Gradient.all()));
        assertTrue(e.getMessage().contains("got 1728 bytes of columns"), e.getMessage());
        assertEquals(live, cl.runtime().allocations(), "refused before any allocation");
    }

    @Test
    void roiPoolingInputGradientChunksStayUnderTheLargestAllocation() {
        // 5 RoIs of 3*4*4 bins of 4*4 samples: 6 KiB of sample fractions per RoI, 30 KiB at once.
        RoiPoolCase pc = new RoiPoolCase(1, 8, 8,
                new float[] {0, 0, 0, 12, 12, 0, 2, 3, 15, 9, 0, -4, -4, 6, 20, 0, 8, 8, 9, 9, 0, 1, 1, 14, 14}, 1,
                new dcn4j.DeformPsRoiPoolSpec(0.5, 3, 2, 4, 2, 4, 0.1), RoiPoolCase.OffsetStyle.SMALL, 21);
        Tensor[] a = pc.tensors(cl);
        float[] whole;
        try (DeformPsRoiPoolGradients g = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                EnumSet.of(Gradient.INPUT))) {
            whole = g.input().toFloatArray();
        }
        long before = cl.runtime().workspace().largest();
        cl.runtime().workspace().release();
        assertTrue(before >= 30 * 1024, "unchunked: " + before + " bytes in one buffer");
        long cap = 8 * 1024;
        cl.runtime().maxAllocCap(cap);
        try (DeformPsRoiPoolGradients g = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                EnumSet.of(Gradient.INPUT))) {
            double[] w = new double[whole.length], c = g.input().toDoubleArray();
            for (int i = 0; i < w.length; i++) w[i] = whole[i];
            assertTrue(Tolerances.relativeError(c, w) < 1e-6, "chunked vs whole: " + Tolerances.relativeError(c, w));
        }
        assertTrue(cl.runtime().workspace().largest() <= cap, cl.runtime().workspace().largest() + " > " + cap);
        System.out.println("[opencl max alloc] psroi workspace largest buffer " + before + " -> "
                + cl.runtime().workspace().largest() + " bytes under a " + cap + "-byte limit");
    }
}
