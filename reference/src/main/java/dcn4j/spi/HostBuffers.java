package dcn4j.spi;

import dcn4j.DType;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Checks and conversions for tensors made from, and read back into, a caller's {@link Buffer}
 * (README "From Java"). A buffer's elements are those remaining, from its position to its limit;
 * no method here changes a caller's position or limit (absolute bulk transfers only).
 */
public final class HostBuffers {

    private HostBuffers() {
    }

    /** Fails unless {@code dtype} is F16 or BF16. */
    public static void checkSixteenBit(String argument, DType dtype) {
        if (dtype == null || !dtype.isSixteenBit()) {
            throw new IllegalArgumentException(argument + ": expected F16 or BF16 (16-bit patterns), got " + dtype);
        }
    }

    /** Fails unless {@code buffer} is non-null. */
    public static <B extends Buffer> B nonNull(String argument, B buffer) {
        if (buffer == null) throw new IllegalArgumentException(argument + ": expected a buffer, got null");
        return buffer;
    }

    /**
     * Fails unless {@code dst} is writable with at least {@code needed} elements remaining (bytes for
     * a {@link ByteBuffer}); nothing is written by a failing call.
     */
    public static void checkDestination(String argument, Buffer dst, long needed) {
        nonNull(argument, dst);
        if (dst.isReadOnly()) throw new IllegalArgumentException(argument + ": expected a writable buffer, got a read-only one");
        if (dst.remaining() < needed) {
            throw new IllegalArgumentException(argument + ": expected at least " + needed + " remaining "
                    + (dst instanceof ByteBuffer ? "bytes" : "elements") + ", got " + dst.remaining());
        }
    }

    /**
     * The element count of a raw buffer of {@code dtype} for {@code shape}: fails unless its remaining
     * bytes are exactly {@code count * dtype.bytes()}.
     */
    public static int rawCount(DType dtype, int[] shape, ByteBuffer data) {
        nonNull("data", data);
        if (dtype == null) throw new IllegalArgumentException("dtype: expected F32, F64, F16 or BF16, got null");
        int size = dtype.bytes();
        if (data.remaining() % size != 0) {
            throw new IllegalArgumentException("data: expected a multiple of " + size + " bytes (" + dtype
                    + " elements), got " + data.remaining());
        }
        return Checks.elementCount(shape, data.remaining() / size);
    }

    /** The remaining floats of {@code data}, copied into a new array. */
    public static float[] floats(FloatBuffer data) {
        nonNull("data", data);
        float[] a = new float[data.remaining()];
        data.get(data.position(), a);
        return a;
    }

    /** The remaining shorts of {@code data}, copied into a new array. */
    public static short[] shorts(ShortBuffer data) {
        nonNull("bits", data);
        short[] a = new short[data.remaining()];
        data.get(data.position(), a);
        return a;
    }

    /** 16-bit patterns of {@code dtype} widened exactly into a new float array. */
    public static float[] widen(DType dtype, short[] bits) {
        float[] f = new float[bits.length];
        HalfPrecision.widen(dtype, bits, 0, f, 0, bits.length);
        return f;
    }

    /** Values rounded to {@code dtype} (F16 or BF16) as 16-bit patterns. */
    public static short[] bits(DType dtype, float[] values) {
        short[] s = new short[values.length];
        HalfPrecision.narrow(dtype, values, 0, s, 0, values.length);
        return s;
    }

    /** The raw elements of {@code dtype} remaining in {@code data} (its byte order), widened to doubles. */
    public static double[] doubles(DType dtype, ByteBuffer data) {
        nonNull("data", data);
        if (dtype == null) throw new IllegalArgumentException("dtype: expected F32, F64, F16 or BF16, got null");
        int size = dtype.bytes();
        if (data.remaining() % size != 0) {
            throw new IllegalArgumentException("data: expected a multiple of " + size + " bytes (" + dtype
                    + " elements), got " + data.remaining());
        }
        int n = data.remaining() / size, p = data.position();
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            int at = p + i * size;
            d[i] = switch (dtype) {
                case F64 -> data.getDouble(at);
                case F32 -> data.getFloat(at);
                case F16, BF16 -> HalfPrecision.toFloat(dtype, data.getShort(at));
            };
        }
        return d;
    }

    /** Reads the raw F32 elements remaining in {@code src} into {@code dst[0..]} (one copy). */
    public static void getFloats(ByteBuffer src, float[] dst) {
        src.slice().order(src.order()).asFloatBuffer().get(0, dst);
    }

    /** Reads the raw 16-bit elements remaining in {@code src} into {@code dst[0..]} (one copy). */
    public static void getShorts(ByteBuffer src, short[] dst) {
        src.slice().order(src.order()).asShortBuffer().get(0, dst);
    }

    /** Writes {@code values}, rounded to {@code dtype}, as raw elements into {@code dst} from its position. */
    public static void put(ByteBuffer dst, DType dtype, double[] values) {
        int size = dtype.bytes(), p = dst.position();
        for (int i = 0; i < values.length; i++) {
            int at = p + i * size;
            switch (dtype) {
                case F64 -> dst.putDouble(at, values[i]);
                case F32 -> dst.putFloat(at, (float) values[i]);
                case F16, BF16 -> dst.putShort(at, HalfPrecision.fromDouble(dtype, values[i]));
            }
        }
    }

    /** Writes {@code values} as raw F32 elements into {@code dst} from its position (one copy). */
    public static void putFloats(ByteBuffer dst, float[] values) {
        dst.slice().order(dst.order()).asFloatBuffer().put(0, values);
    }

    /** Writes 16-bit patterns into {@code dst} from its position (one copy). */
    public static void putShorts(ByteBuffer dst, short[] values) {
        dst.slice().order(dst.order()).asShortBuffer().put(0, values);
    }

    /**
     * Whether native code (a device transfer) can read or write {@code b}'s elements in place: a direct
     * buffer, or one backed by an accessible array, whose byte order is the platform's. Otherwise a
     * backend copies through a Java array.
     */
    public static boolean transferableInPlace(Buffer b) {
        ByteOrder order;
        if (b instanceof ByteBuffer bb) order = bb.order();
        else if (b instanceof FloatBuffer fb) order = fb.order();
        else if (b instanceof ShortBuffer sb) order = sb.order();
        else return false;
        return order == ByteOrder.nativeOrder() && (b.isDirect() || (b.hasArray() && !b.isReadOnly()));
    }
}
