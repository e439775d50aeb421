package dcn4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.spi.HalfPrecision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The reference on F16/BF16 tensors, and its tensors made from and read into caller buffers. */
class ReferenceSixteenBitTest {

    private final Backend ref = new ReferenceProvider().open(BackendOptions.defaults());

    private static double[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextDouble(-1, 1);
        return v;
    }

    private static double[] rounded(DType d, double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = HalfPrecision.round(d, v[i]);
        return r;
    }

    @Test
    void sixteenBitCallIsTheFloat64CallOnWidenedValuesRoundedOnce() {
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        int[] in = {1, 2, 5, 5}, off = {1, 18, 5, 5}, w = {3, 2, 3, 3}, out = {1, 3, 5, 5};
        double[] x = random(50, 1), o = random(450, 2), wt = random(54, 3), go = random(75, 4);
        for (DType d : new DType[] {DType.F16, DType.BF16}) {
            try (Tensor x16 = ref.tensor(d, in, x); Tensor o16 = ref.tensor(d, off, o); Tensor w16 = ref.tensor(d, w, wt);
                 Tensor g16 = ref.tensor(d, out, go);
                 Tensor x64 = ref.tensor(DType.F64, in, rounded(d, x)); Tensor o64 = ref.tensor(DType.F64, off, rounded(d, o));
                 Tensor w64 = ref.tensor(DType.F64, w, rounded(d, wt)); Tensor g64 = ref.tensor(DType.F64, out, rounded(d, go));
                 Tensor y16 = ref.deformConv2d(spec, x16, o16, null, w16, null);
                 Tensor y64 = ref.deformConv2d(spec, x64, o64, null, w64, null);
                 DeformConv2dGradients b16 = ref.deformConv2dBackward(spec, g16, x16, o16, null, w16, null, Gradient.all());
                 DeformConv2dGradients b64 = ref.deformConv2dBackward(spec, g64, x64, o64, null, w64, null, Gradient.all())) {
                assertEquals(d, y16.dtype());
                assertArrayEquals(rounded(d, y64.toDoubleArray()), y16.toDoubleArray());
                for (Gradient g : new Gradient[] {Gradient.INPUT, Gradient.OFFSET, Gradient.WEIGHT}) {
                    assertEquals(d, b16.get(g).dtype());
                    assertArrayEquals(rounded(d, b64.get(g).toDoubleArray()), b16.get(g).toDoubleArray(), d + " " + g);
                }
            }
        }
    }

    @Test
    void callsMixingDtypesAreRejectedNamingTheArgument() {
        try (Tensor x = ref.tensor(DType.F16, new int[] {1, 1, 3, 3}, new double[9]);
             Tensor w = ref.tensor(DType.BF16, new int[] {1, 1, 1, 1}, new double[1])) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ref.deformConv2d(DeformConv2dSpec.defaults(), x, null, null, w, null));
            assertTrue(e.getMessage().startsWith("weight: expected dtype F16"), e.getMessage());
        }
    }

    @Test
    void tensorsFromBuffersReadPositionToLimitAndLeaveThePositionAlone() {
        FloatBuffer f = FloatBuffer.wrap(new float[] {9, 1.5f, 2.5f, 0.1f, 9});
        f.position(1).limit(4);
        try (Tensor t = ref.tensor(DType.F16, new int[] {3}, f)) {
            assertEquals(1, f.position());
            assertArrayEquals(new double[] {1.5, 2.5, HalfPrecision.round(DType.F16, 0.1f)}, t.toDoubleArray());
            ShortBuffer bits = ShortBuffer.allocate(4);
            bits.position(1);
            t.copyTo(bits);
            assertEquals(1, bits.position());
            assertEquals(Float.floatToFloat16(2.5f), bits.get(2));
            ByteBuffer raw = ByteBuffer.allocateDirect(6).order(ByteOrder.BIG_ENDIAN);
            t.copyTo(raw);
            assertEquals(Float.floatToFloat16(1.5f), raw.getShort(0));
            try (Tensor back = ref.tensor(DType.F16, new int[] {3}, raw)) {
                assertArrayEquals(t.toDoubleArray(), back.toDoubleArray());
            }
        }
        ShortBuffer s = ShortBuffer.wrap(new short[] {0x3F80, (short) 0xC000});
        try (Tensor t = ref.tensor(DType.BF16, new int[] {2}, s)) {
            assertArrayEquals(new double[] {1, -2}, t.toDoubleArray());
            FloatBuffer out = FloatBuffer.allocate(2);
            t.copyTo(out);
            assertEquals(-2f, out.get(1));
        }
    }

    @Test
    void badBuffersAreRejectedBeforeAnythingIsWritten() {
        try (Tensor t = ref.tensor(DType.F32, new int[] {2}, new float[] {1, 2})) {
            FloatBuffer small = FloatBuffer.allocate(1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.copyTo(small));
            assertEquals("dst: expected at least 2 remaining elements, got 1", e.getMessage());
            assertEquals(0f, small.get(0));
            assertThrows(IllegalArgumentException.class, () -> t.copyTo(FloatBuffer.allocate(2).asReadOnlyBuffer()));
            e = assertThrows(IllegalArgumentException.class, () -> t.copyTo(ShortBuffer.allocate(2)));
            assertEquals("dst: expected F16 or BF16 (16-bit patterns), got F32", e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ref.tensor(DType.F32, new int[] {3}, ByteBuffer.allocate(10)));
        assertEquals("data: expected a multiple of 4 bytes (F32 elements), got 10", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ref.tensor(DType.F32, new int[] {3}, FloatBuffer.allocate(2)));
        assertTrue(e.getMessage().startsWith("data: expected 3 elements"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ref.tensor(DType.F32, new int[] {1}, ShortBuffer.allocate(1)));
        assertEquals("dtype: expected F16 or BF16 (16-bit patterns), got F32", e.getMessage());
    }
}
