package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.spi.HalfPrecision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * F16/BF16 on the OpenCL backend ({@link ClSixteenBit}, {@code convert.cl}): a 16-bit call is
 * exactly the float32 call on the widened values with each result rounded once, bit for bit; and
 * tensors are made from, and read into, caller buffers in one copy.
 */
class OpenClSixteenBitTest {

    private static double[] random(int n, long seed, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextDouble(lo, hi);
        return v;
    }

    private static double[] rounded(DType d, double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = HalfPrecision.round(d, v[i]);
        return r;
    }

    private static void assertRoundedOnce(DType d, Tensor f32, Tensor sixteen, String what) {
        assertEquals(d, sixteen.dtype(), what);
        assertArrayEquals(rounded(d, f32.toDoubleArray()), sixteen.toDoubleArray(), what);
    }

    @Test
    void sixteenBitConvolutionIsTheFloat32OneRoundedOnce() {
        DeformConv2dSpec spec = new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 2, 2);
        int[] in = {2, 4, 6, 7}, off = {2, 36, 6, 7}, m = {2, 18, 6, 7}, w = {4, 2, 3, 3}, b = {4}, out = {2, 4, 6, 7};
        double[] x = random(336, 1, -1, 1), o = random(3024, 2, -2, 2), mk = random(1512, 3, 0, 1);
        double[] wt = random(72, 4, -1, 1), bias = random(4, 5, -1, 1), go = random(336, 6, -1, 1);
        try (Backend v = OpenClTestSupport.open()) {
            for (DType d : new DType[] {DType.F16, DType.BF16}) {
                try (Tensor x16 = v.tensor(d, in, x); Tensor o16 = v.tensor(d, off, o); Tensor m16 = v.tensor(d, m, mk);
                     Tensor w16 = v.tensor(d, w, wt); Tensor b16 = v.tensor(d, b, bias); Tensor g16 = v.tensor(d, out, go);
                     Tensor x32 = v.tensor(DType.F32, in, rounded(d, x)); Tensor o32 = v.tensor(DType.F32, off, rounded(d, o));
                     Tensor m32 = v.tensor(DType.F32, m, rounded(d, mk)); Tensor w32 = v.tensor(DType.F32, w, rounded(d, wt));
                     Tensor b32 = v.tensor(DType.F32, b, rounded(d, bias));
                     Tensor g32 = v.tensor(DType.F32, out, rounded(d, go));
                     Tensor y16 = v.deformConv2d(spec, x16, o16, m16, w16, b16);
                     Tensor y32 = v.deformConv2d(spec, x32, o32, m32, w32, b32);
                     DeformConv2dGradients g16s = v.deformConv2dBackward(spec, g16, x16, o16, m16, w16, b16, Gradient.all());
                     DeformConv2dGradients g32s = v.deformConv2dBackward(spec, g32, x32, o32, m32, w32, b32, Gradient.all())) {
                    assertRoundedOnce(d, y32, y16, d + " output");
                    for (Gradient g : Gradient.all()) assertRoundedOnce(d, g32s.get(g), g16s.get(g), d + " " + g);
                }
            }
        }
    }

    @Test
    void sixteenBitPoolingIsTheFloat32OneRoundedOnce() {
        DeformPsRoiPoolSpec spec = new DeformPsRoiPoolSpec(0.5, 4, 2, 2, 2, 3, 0.1);
        int[] in = {2, 16, 8, 9}, r = {3, 5}, off = {3, 4, 2, 2}, out = {3, 4, 2, 2};
        double[] x = random(2304, 7, -1, 1), o = random(48, 8, -1, 1), go = random(48, 9, -1, 1);
        double[] rois = {0, 2, 3, 12, 14, 1, 0, 0, 17, 15, 1, 5.5, 4, 9, 8};
        try (Backend v = OpenClTestSupport.open()) {
            for (DType d : new DType[] {DType.F16, DType.BF16}) {
                try (Tensor x16 = v.tensor(d, in, x); Tensor r16 = v.tensor(d, r, rois); Tensor o16 = v.tensor(d, off, o);
                     Tensor g16 = v.tensor(d, out, go);
                     Tensor x32 = v.tensor(DType.F32, in, rounded(d, x)); Tensor r32 = v.tensor(DType.F32, r, rounded(d, rois));
                     Tensor o32 = v.tensor(DType.F32, off, rounded(d, o)); Tensor g32 = v.tensor(DType.F32, out, rounded(d, go));
                     Tensor y16 = v.deformPsRoiPool(spec, x16, r16, o16); Tensor y32 = v.deformPsRoiPool(spec, x32, r32, o32);
                     DeformPsRoiPoolGradients b16 = v.deformPsRoiPoolBackward(spec, g16, x16, r16, o16,
                             EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
                     DeformPsRoiPoolGradients b32 = v.deformPsRoiPoolBackward(spec, g32, x32, r32, o32,
                             EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
                    assertRoundedOnce(d, y32, y16, d + " output");
                    assertRoundedOnce(d, b32.input(), b16.input(), d + " grad_input");
                    assertRoundedOnce(d, b32.offset(), b16.offset(), d + " grad_offset");
                }
            }
        }
    }

    @Test
    void tensorsAreMadeFromAndReadIntoCallerBuffers() {
        try (Backend v = OpenClTestSupport.open()) {
            ByteBuffer direct = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
            direct.asFloatBuffer().put(new float[] {1, 2, 3, 4});
            try (Tensor t = v.tensor(DType.F32, new int[] {2, 2}, direct.asFloatBuffer())) {
                assertArrayEquals(new float[] {1, 2, 3, 4}, t.toFloatArray());
                float[] mine = new float[6];
                FloatBuffer dst = FloatBuffer.wrap(mine);
                dst.position(2);
                t.copyTo(dst);
                assertArrayEquals(new float[] {0, 0, 1, 2, 3, 4}, mine);
                assertEquals(2, dst.position());
                ByteBuffer le = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
                t.copyTo(le);
                assertEquals(3f, le.getFloat(8));
            }
            try (Tensor t = v.tensor(DType.F16, new int[] {3}, ShortBuffer.wrap(new short[] {
                    Float.floatToFloat16(0.5f), Float.floatToFloat16(-2f), Float.floatToFloat16(65504f)}))) {
                assertArrayEquals(new float[] {0.5f, -2f, 65504f}, t.toFloatArray());
                ShortBuffer bits = ShortBuffer.allocate(3);
                t.copyTo(bits);
                assertEquals(Float.floatToFloat16(-2f), bits.get(1));
                ByteBuffer raw = ByteBuffer.allocate(6).order(ByteOrder.BIG_ENDIAN);
                t.copyTo(raw);
                try (Tensor back = v.tensor(DType.F16, new int[] {3}, raw)) {
                    assertArrayEquals(t.toFloatArray(), back.toFloatArray());
                }
            }
            try (Tensor t = v.tensor(DType.BF16, new int[] {2}, new float[] {1.00390625f, 3.0f})) {
                // 1 + 2^-8 is the tie between 1 and 1 + 2^-7: to even, 1.
                assertArrayEquals(new float[] {1f, 3f}, t.toFloatArray());
            }
        }
    }

    @Test
    void sixteenBitCallsConvertOnTheDeviceWithoutHostReads() {
        try (OpenClBackend cl = OpenClTestSupport.open();
             Tensor x = cl.tensor(DType.F16, new int[] {1, 2, 5, 5}, random(50, 11, -1, 1));
             Tensor w = cl.tensor(DType.F16, new int[] {3, 2, 3, 3}, random(54, 12, -1, 1))) {
            long reads = cl.hostReads();
            DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
            try (Tensor y = cl.deformConv2d(spec, x, null, null, w, null);
                 Tensor z = cl.deformConv2d(spec, y, null, null,
                         cl.tensor(DType.F16, new int[] {3, 3, 1, 1}, random(9, 13, -1, 1)), null)) {
                assertEquals(reads, cl.hostReads(), "chained F16 calls stay on the device");
                assertEquals(DType.F16, z.dtype());
            }
        }
    }

    @Test
    void directNativeOrderBuffersAreTransferredInPlace() {
        try (OpenClBackend cl = OpenClTestSupport.open()) {
            ByteBuffer direct = ByteBuffer.allocateDirect(4 * 8).order(ByteOrder.nativeOrder());
            FloatBuffer f = direct.asFloatBuffer();
            for (int i = 0; i < 8; i++) f.put(i, i * 0.25f);
            f.position(2); // the tensor is elements 2..7
            try (Tensor t = cl.tensor(DType.F32, new int[] {6}, f)) {
                assertEquals(2, f.position());
                assertArrayEquals(new float[] {0.5f, 0.75f, 1f, 1.25f, 1.5f, 1.75f}, t.toFloatArray());
                ByteBuffer out = ByteBuffer.allocateDirect(4 * 7).order(ByteOrder.nativeOrder());
                FloatBuffer o = out.asFloatBuffer();
                o.position(1);
                t.copyTo(o);
                assertEquals(0f, o.get(0));
                assertEquals(1.75f, o.get(6));
                // a big-endian view is not native order (on little-endian hosts): copied through Java, same values
                ByteBuffer be = ByteBuffer.allocateDirect(24).order(ByteOrder.BIG_ENDIAN);
                t.copyTo(be);
                assertEquals(0.5f, be.getFloat(0));
                try (Tensor back = cl.tensor(DType.F32, new int[] {6}, be)) {
                    assertArrayEquals(t.toFloatArray(), back.toFloatArray());
                }
            }
        }
    }

    @Test
    void float64AndMixedDtypesAreRejected() {
        try (Backend v = OpenClTestSupport.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> v.tensor(DType.F64, new int[] {1}, new double[] {1}));
            assertEquals("dtype: expected F32, F16 or BF16, got F64", e.getMessage());
            assertTrue(v.supports(DType.F16) && v.supports(DType.BF16));
            try (Tensor x = v.tensor(DType.F16, new int[] {1, 1, 3, 3}, new double[9]);
                 Tensor w = v.tensor(DType.F32, new int[] {1, 1, 1, 1}, new double[1])) {
                e = assertThrows(IllegalArgumentException.class,
                        () -> v.deformConv2d(DeformConv2dSpec.defaults(), x, null, null, w, null));
                assertTrue(e.getMessage().startsWith("weight: expected dtype F16"), e.getMessage());
            }
            Tensor closed = v.tensor(DType.F16, new int[] {1, 1, 3, 3}, new double[9]);
            closed.close();
            try (Tensor w = v.tensor(DType.F16, new int[] {1, 1, 1, 1}, new double[1])) {
                assertThrows(IllegalStateException.class,
                        () -> v.deformConv2d(DeformConv2dSpec.defaults(), closed, null, null, w, null));
            }
        }
    }
}
