package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.opencl.ConvCase.Offsets;
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
        int live = cl.liveBuffers();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl.tensor(new int[] {3, 100}, new float[300]));
        assertEquals("tensor [3, 100]: expected at most 1024 bytes (the largest buffer the OpenCL device "
                + cl.device().name() + " allocates, CL_DEVICE_MAX_MEM_ALLOC_SIZE), got 1200 bytes", e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line");
        assertEquals(live, cl.liveBuffers(), "nothing allocated");
        cl.tensor(new int[] {2, 128}, new float[256]).close(); // exactly at the limit: fine
    }

    @Test
    void convolutionBatchesAreChunkedUnderTheLargestAllocation() {
        // Per image: columns 6*9*72 floats (15,552 bytes), sample corners and weights 3*9*72 float4
        // (31,104 bytes each). The default budget takes all 4 images at once (124,416-byte buffers);
        // a 64,000-byte limit must cut the batch into chunks.
        ConvCase cc = new ConvCase("max alloc", 4, 6, 9, 8, 4, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 2, 3),
                Offsets.RANDOM, true, true, 91);
        Tensor[] a = cc.tensors(cl, cc.data());
        float[] whole = ConvCase.forward(cl, cc, a).toFloatArray();
        DeformConv2dGradients gWhole = ConvCase.backward(cl, cc, a, Gradient.all());
        assertTrue(cl.runtime().workspace().largest() > 64_000, "unchunked, a buffer over the limit to come");
        cl.runtime().workspace().release();
        cl.runtime().maxAllocCap(64_000);
        float[] chunked = ConvCase.forward(cl, cc, a).toFloatArray();
        DeformConv2dGradients gChunked = ConvCase.backward(cl, cc, a, Gradient.all());
        long largest = cl.runtime().workspace().largest();
        assertTrue(largest <= 64_000, "largest workspace buffer " + largest + " bytes");
        Compare.assertBitIdentical("forward", whole, chunked);
        for (Gradient g : Gradient.values()) {
            double err = Compare.relativeError(gChunked.get(g).toDoubleArray(), gWhole.get(g).toDoubleArray());
            assertEquals(0, err, 1e-6, g + " chunked vs whole");
        }
        gWhole.close();
        gChunked.close();
    }

    @Test
    void oneImageLargerThanOneBufferIsRefusedNamingTheBufferAndTheLimit() {
        // One offset group: the columns (6*9*72 floats, 15,552 bytes) are the largest buffer.
        ConvCase one = new ConvCase("one image", 1, 6, 9, 8, 4, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 1, 1),
                Offsets.RANDOM, true, true, 92);
        Tensor[] a = one.tensors(cl, one.data());
        // Three offset groups of two channels: the sample table (3*9*72 entries of 16 bytes) is the larger.
        ConvCase groups = new ConvCase("offset groups", 1, 6, 9, 8, 4, 3, 3,
                new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 2, 3), Offsets.RANDOM, true, true, 93);
        Tensor[] b = groups.tensors(cl, groups.data());
        cl.runtime().workspace().release();
        cl.runtime().maxAllocCap(4096);
        int live = cl.liveBuffers();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConvCase.forward(cl, one, a));
        assertEquals("input: expected at most 4096 bytes per image in one OpenCL buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE"
                + " of " + cl.device().name() + "), got 15552 bytes of columns (C*kh*kw*Ho*Wo floats) for [1, 6, 9, 8]"
                + " and kernel 3x3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvCase.backward(cl, one, a, Gradient.all()));
        assertTrue(e.getMessage().contains("got 15552 bytes of columns"), e.getMessage());
        assertEquals(live, cl.liveBuffers(), "refused before any allocation");
        cl.runtime().maxAllocCap(20_000);
        e = assertThrows(IllegalArgumentException.class, () -> ConvCase.forward(cl, groups, b));
        assertTrue(e.getMessage().contains("got 31104 bytes of sample table"), e.getMessage());
        cl.runtime().maxAllocCap(Long.MAX_VALUE); // the device's own limit: both compute
        ConvCase.forward(cl, one, a).close();
        ConvCase.backward(cl, groups, b, Gradient.all()).close();
    }

    @Test
    void roiPoolingInputGradientChunksStayUnderTheLargestAllocation() {
        // 5 RoIs of 3*4*4 bins of 4*4 samples: 6 KiB of sample fractions per RoI, 30 KiB at once.
        PoolCase pc = new PoolCase("many samples", 1, 8, 8, new dcn4j.DeformPsRoiPoolSpec(0.5, 3, 2, 4, 2, 4, 0.1),
                new float[] {0, 0, 0, 12, 12, 0, 2, 3, 15, 9, 0, -4, -4, 6, 20, 0, 8, 8, 9, 9, 0, 1, 1, 14, 14}, 1, true,
                0.5, 21);
        Tensor[] a = pc.tensors(cl, pc.data());
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
            assertTrue(Compare.relativeError(c, w) < 1e-6, "chunked vs whole: " + Compare.relativeError(c, w));
        }
        assertTrue(cl.runtime().workspace().largest() <= cap, cl.runtime().workspace().largest() + " > " + cap);
        System.out.println("[opencl max alloc] psroi workspace largest buffer " + before + " -> "
                + cl.runtime().workspace().largest() + " bytes under a " + cap + "-byte limit");
    }
}
