package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import dcn4j.spi.DeformConv2dShape;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Weights are packed once per weight tensor (DESIGN.md "Vector width and GEMM tiles"): the packed forms
 * live with the tensor, are reused by later calls, are bounded to two layouts, and go with {@code close()}.
 */
class WeightPackingTest {

    static final ConvCase CASE = new ConvCase(2, 12, 9, 8, 20, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 2, 1),
            true, true, true, ConvCase.OffsetStyle.MIXED, 31);

    @Test
    void forwardAndBackwardPackTheWeightTensorOnceEach() {
        try (VectorBackend b = new VectorBackend(2); WorkerPool pool = new WorkerPool(2)) {
            VectorTensor weight = (VectorTensor) b.tensor(CASE.weightShape(), CASE.weight());
            ConvGeometry g = geometry();
            float[] first = VectorDeformConv2d.packedForwardWeights(pool, g, weight);
            assertSame(first, VectorDeformConv2d.packedForwardWeights(pool, g, weight), "forward layout reused");
            float[] backward = VectorDeformConv2d.packedBackwardWeights(pool, g, weight);
            assertSame(backward, VectorDeformConv2d.packedBackwardWeights(pool, g, weight), "backward layout reused");
            assertNotSame(first, backward);
            assertEquals(2, weight.packedCount());
            weight.close();
            assertEquals(0, weight.packedCount(), "released with the tensor");
            assertThrows(IllegalStateException.class, () -> VectorDeformConv2d.packedForwardWeights(pool, g, weight));
        }
    }

    @Test
    void callsThroughTheBackendReuseThePackingAndGiveTheSameBits() {
        try (VectorBackend b = new VectorBackend(2)) {
            Tensor in = b.tensor(CASE.inputShape(), CASE.input()), off = b.tensor(CASE.offsetShape(), CASE.offset());
            Tensor mask = b.tensor(CASE.maskShape(), CASE.mask()), bias = b.tensor(CASE.biasShape(), CASE.bias());
            Tensor go = b.tensor(CASE.outputShape(), CASE.gradOutput());
            VectorTensor cached = (VectorTensor) b.tensor(CASE.weightShape(), CASE.weight());
            DeformConv2dSpec spec = CASE.spec();
            float[] firstOut = b.deformConv2d(spec, in, off, mask, cached, bias).toFloatArray();
            assertEquals(1, cached.packedCount());
            float[] againOut = b.deformConv2d(spec, in, off, mask, cached, bias).toFloatArray();
            float[] gIn = b.deformConv2dBackward(spec, go, in, off, mask, cached, bias, Gradient.all()).input()
                    .toFloatArray();
            assertEquals(2, cached.packedCount());
            Tensor fresh = b.tensor(CASE.weightShape(), CASE.weight());
            assertArrayEquals(firstOut, againOut);
            assertArrayEquals(firstOut, b.deformConv2d(spec, in, off, mask, fresh, bias).toFloatArray());
            assertArrayEquals(gIn, b.deformConv2dBackward(spec, go, in, off, mask, fresh, bias, Gradient.all()).input()
                    .toFloatArray());
        }
    }

    @Test
    void atMostTwoLayoutsAreKeptTheOldestGoesFirst() {
        VectorTensor t = new VectorTensor(new int[] {4}, new float[] {1, 2, 3, 4});
        AtomicInteger packs = new AtomicInteger();
        float[] a = t.packed("a", d -> new float[] {packs.incrementAndGet()});
        t.packed("b", d -> new float[] {packs.incrementAndGet()});
        assertSame(a, t.packed("a", d -> new float[] {packs.incrementAndGet()}));
        assertEquals(2, packs.get());
        t.packed("c", d -> new float[] {packs.incrementAndGet()});
        assertEquals(VectorTensor.MAX_PACKED, t.packedCount());
        assertNotSame(a, t.packed("a", d -> new float[] {packs.incrementAndGet()}), "'a' was evicted");
        assertEquals(4, packs.get());
    }

    private static ConvGeometry geometry() {
        return new ConvGeometry(new DeformConv2dShape(CASE.spec(), dcn4j.DType.F32, CASE.batch(), CASE.inChannels(),
                CASE.height(), CASE.width(), CASE.outChannels(), 3, 3, CASE.outH(), CASE.outW(), true, true, true));
    }
}
