package dcn4j.vector;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import dcn4j.spi.DeformConv2dShape;
import dcn4j.spi.DeformPsRoiPoolShape;
import dcn4j.spi.HalfPrecision;
import dcn4j.spi.HostBuffers;
import dcn4j.spi.WidenedCalls;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code vector} backend: float32 on the host CPU. Arguments are validated by the shared SPI
 * checks ({@link DeformConv2dShape}, {@link DeformPsRoiPoolShape}) before any storage is read; the
 * operators live in {@link VectorDeformConv2d} and {@link VectorDeformPsRoiPool}; this class owns the
 * worker threads and the pool of {@link Workspace}s.
 *
 * <p>{@link DType#F16} and {@link DType#BF16} tensors hold 16-bit patterns; a call on them widens
 * its arguments to float32 and rounds each result once ({@link WidenedCalls}, DESIGN.md "16-bit
 * tensors").
 *
 * <p>Thread-safe: calls from several threads at once share the workers, each call using its own
 * workspace, and give the same bits as when made alone.
 */
final class VectorBackend implements Backend {

    private final WorkerPool pool;
    private final ConcurrentLinkedDeque<Workspace> workspaces = new ConcurrentLinkedDeque<>();
    private final AtomicLong peakWorkspaceBytes = new AtomicLong();
    private final long forwardChunkBytes, backwardChunkBytes;
    /** Storage of closed convolution outputs, for the next ones (DESIGN.md "Output recycling"). */
    private final ArrayRecycler recycler = ArrayRecycler.fromSystemProperty();
    private volatile boolean closed;

    VectorBackend(int threads) {
        this(threads, VectorDeformConv2d.FORWARD_CHUNK_BYTES, VectorDeformConv2d.BACKWARD_CHUNK_BYTES);
    }

    /** With explicit column-chunk budgets (tests use tiny ones to exercise chunking). */
    VectorBackend(int threads, long forwardChunkBytes, long backwardChunkBytes) {
        pool = new WorkerPool(threads, WorkerPool.helperSpinNanosFromSystemProperty());
        this.forwardChunkBytes = forwardChunkBytes;
        this.backwardChunkBytes = backwardChunkBytes;
    }

    /** How long the pool's idle helpers spin before they park, in nanoseconds ({@code -Ddcn4j.vector.spinMicros}). */
    long helperSpinNanos() {
        return pool.helperSpinNanos();
    }

    /** One line about the host and the vector shape used. */
    static String describeHost(int threads) {
        return "host CPU, " + threads + (threads == 1 ? " thread" : " threads") + ", " + VectorWidth.describe()
                + ", GEMM tile " + Sgemm.MR + "x" + Sgemm.NR + " (KC " + Sgemm.KC + ")";
    }

    @Override
    public String name() {
        return VectorProvider.NAME;
    }

    @Override
    public String description() {
        return describeHost(pool.parallelism());
    }

    @Override
    public DType nativeDType() {
        return DType.F32;
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.F32 || dtype == DType.F16 || dtype == DType.BF16;
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, double[] data) {
        requireSupported(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        Checks.elementCount(shape, data.length);
        if (dtype.isSixteenBit()) {
            short[] b = new short[data.length];
            for (int i = 0; i < b.length; i++) b[i] = HalfPrecision.fromDouble(dtype, data[i]);
            return new VectorTensor(dtype, shape, b);
        }
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return new VectorTensor(shape, f);
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, float[] data) {
        requireSupported(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        Checks.elementCount(shape, data.length);
        if (dtype.isSixteenBit()) return new VectorTensor(dtype, shape, HostBuffers.bits(dtype, data));
        return new VectorTensor(shape, data.clone());
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, FloatBuffer data) {
        requireSupported(dtype);
        HostBuffers.nonNull("data", data);
        int n = Checks.elementCount(shape, data.remaining());
        if (dtype.isSixteenBit()) {
            short[] b = new short[n];
            for (int i = 0, p = data.position(); i < n; i++) b[i] = HalfPrecision.fromFloat(dtype, data.get(p + i));
            return new VectorTensor(dtype, shape, b);
        }
        return new VectorTensor(shape, HostBuffers.floats(data));
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, ShortBuffer bits) {
        HostBuffers.checkSixteenBit("dtype", dtype);
        HostBuffers.nonNull("bits", bits);
        Checks.elementCount(shape, bits.remaining());
        return new VectorTensor(dtype, shape, HostBuffers.shorts(bits));
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, ByteBuffer data) {
        requireSupported(dtype);
        int n = HostBuffers.rawCount(dtype, shape, data);
        if (dtype.isSixteenBit()) {
            short[] b = new short[n];
            HostBuffers.getShorts(data, b);
            return new VectorTensor(dtype, shape, b);
        }
        float[] f = new float[n];
        HostBuffers.getFloats(data, f);
        return new VectorTensor(shape, f);
    }

    /**
     * Widening and rounding between this backend's 16-bit and float32 tensors, for {@link WidenedCalls}:
     * element-wise, in blocks of {@link #CONVERT_BLOCK} spread over the workers (any split gives the
     * same bits).
     */
    private final WidenedCalls.Storage sixteenBit = new WidenedCalls.Storage() {
        @Override
        public Tensor widen(Tensor t) {
            VectorTensor v = (VectorTensor) t;
            short[] bits = v.bits();
            float[] f = new float[bits.length];
            pool.forEach(blocks(bits.length), (b, w) -> HalfPrecision.widen(v.dtype(), bits, b * CONVERT_BLOCK, f,
                    b * CONVERT_BLOCK, Math.min(CONVERT_BLOCK, bits.length - b * CONVERT_BLOCK)));
            return new VectorTensor(v.shape(), f);
        }

        @Override
        public Tensor narrow(Tensor f32, DType dtype) {
            VectorTensor v = (VectorTensor) f32;
            short[] bits = v.read(f -> {
                short[] b16 = new short[f.length];
                pool.forEach(blocks(f.length), (b, w) -> HalfPrecision.narrow(dtype, f, b * CONVERT_BLOCK, b16,
                        b * CONVERT_BLOCK, Math.min(CONVERT_BLOCK, f.length - b * CONVERT_BLOCK)));
                return b16;
            });
            return new VectorTensor(dtype, v.shape(), bits);
        }
    };

    /** Elements per block of a 16-bit conversion: large enough to amortise a hand-off to a worker. */
    static final int CONVERT_BLOCK = 1 << 15;

    private static int blocks(int n) {
        return (n + CONVERT_BLOCK - 1) / CONVERT_BLOCK;
    }

    @Override
    public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                               Tensor bias) {
        DeformConv2dShape s = DeformConv2dShape.of(name(), spec, input, offset, mask, weight, bias);
        if (WidenedCalls.isSixteenBit(input)) {
            checkKinds(input, offset, mask, weight, bias);
            return WidenedCalls.deformConv2d(this, sixteenBit, spec, input, offset, mask, weight, bias);
        }
        ConvGeometry g = new ConvGeometry(s);
        try (Held held = new Held()) {
            float[] in = held.data("input", input), off = held.data("offset", offset), m = held.data("mask", mask);
            float[] b = held.data("bias", bias);
            held.data("weight", weight);
            Workspace ws = acquire();
            try {
                float[] packed = VectorDeformConv2d.packedForwardWeights(pool, g, (VectorTensor) weight);
                return new VectorTensor(s.outputShape(), VectorDeformConv2d.forward(pool, ws, recycler,
                        forwardChunkBytes, g, in, off, m, packed, b), recycler);
            } finally {
                release(ws);
            }
        }
    }

    @Override
    public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                      Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                      Set<Gradient> wanted) {
        DeformConv2dShape s = DeformConv2dShape.ofBackward(name(), spec, gradOutput, input, offset, mask, weight, bias,
                wanted);
        if (WidenedCalls.isSixteenBit(input)) {
            checkKinds(gradOutput, input, offset, mask, weight, bias);
            return WidenedCalls.deformConv2dBackward(this, sixteenBit, spec, gradOutput, input, offset, mask, weight,
                    bias, wanted);
        }
        ConvGeometry g = new ConvGeometry(s);
        VectorDeformConv2d.Grads r;
        try (Held held = new Held()) {
            float[] go = held.data("gradOutput", gradOutput), in = held.data("input", input);
            float[] off = held.data("offset", offset), m = held.data("mask", mask);
            held.data("weight", weight);
            Workspace ws = acquire();
            try {
                r = VectorDeformConv2d.backward(pool, ws, recycler, backwardChunkBytes, g, go, in, off, m,
                        (VectorTensor) weight, wanted.contains(Gradient.INPUT), wanted.contains(Gradient.OFFSET),
                        wanted.contains(Gradient.MASK), wanted.contains(Gradient.WEIGHT), wanted.contains(Gradient.BIAS));
            } finally {
                release(ws);
            }
        }
        return new DeformConv2dGradients(recycled(input, r.input()), recycled(offset, r.offset()),
                recycled(mask, r.mask()), recycled(weight, r.weight()), recycled(bias, r.bias()));
    }

    /** A gradient of the convolution: its storage is recycled when closed. */
    private Tensor recycled(Tensor like, float[] grad) {
        return grad == null ? null : new VectorTensor(like.shape(), grad, recycler);
    }

    @Override
    public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
        if (WidenedCalls.isSixteenBit(input)) {
            DeformPsRoiPoolShape.of(name(), spec, input, rois, sixteenBitRois(input, rois), offset);
            checkKinds(input, rois, offset);
            return WidenedCalls.deformPsRoiPool(this, sixteenBit, spec, input, rois, offset);
        }
        DeformPsRoiPoolShape s = DeformPsRoiPoolShape.of(name(), spec, input, rois, roisOnHost(rois), offset);
        try (Held held = new Held()) {
            float[] in = held.data("input", input), off = held.data("offset", offset);
            double[] r = roisOnHost(rois);
            Workspace ws = acquire();
            try {
                return new VectorTensor(s.outputShape(), VectorDeformPsRoiPool.forward(pool, ws, s, in, r, off));
            } finally {
                release(ws);
            }
        }
    }

    @Override
    public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                            Tensor input, Tensor rois, Tensor offset,
                                                            Set<Gradient> wanted) {
        if (WidenedCalls.isSixteenBit(input)) {
            DeformPsRoiPoolShape.ofBackward(name(), spec, gradOutput, input, rois, sixteenBitRois(input, rois), offset,
                    wanted);
            checkKinds(gradOutput, input, rois, offset);
            return WidenedCalls.deformPsRoiPoolBackward(this, sixteenBit, spec, gradOutput, input, rois, offset,
                    wanted);
        }
        DeformPsRoiPoolShape s = DeformPsRoiPoolShape.ofBackward(name(), spec, gradOutput, input, rois,
                roisOnHost(rois), offset, wanted);
        VectorDeformPsRoiPool.Grads g;
        try (Held held = new Held()) {
            float[] go = held.data("gradOutput", gradOutput), in = held.data("input", input);
            float[] off = held.data("offset", offset);
            double[] r = roisOnHost(rois);
            Workspace ws = acquire();
            try {
                g = VectorDeformPsRoiPool.backward(pool, ws, s, go, in, r, off, wanted.contains(Gradient.INPUT),
                        wanted.contains(Gradient.OFFSET));
            } finally {
                release(ws);
            }
        }
        return new DeformPsRoiPoolGradients(wrap(input, g.input()), wrap(offset, g.offset()));
    }

    /** The largest workspace (bytes) any call of this backend has held so far. */
    long peakWorkspaceBytes() {
        return peakWorkspaceBytes.get();
    }

    /** The recycler of this backend's convolution outputs (for tests). */
    ArrayRecycler recycler() {
        return recycler;
    }

    @Override
    public void close() {
        closed = true;
        pool.close();
        workspaces.clear();
        recycler.close();
    }

    private Workspace acquire() {
        if (closed) throw new IllegalStateException("backend 'vector' is closed");
        Workspace ws = workspaces.pollFirst();
        return ws != null ? ws : new Workspace();
    }

    private void release(Workspace ws) {
        peakWorkspaceBytes.accumulateAndGet(ws.bytes(), Math::max);
        if (!closed) workspaces.offerFirst(ws);
    }

    private void requireSupported(DType dtype) {
        if (dtype == null || !supports(dtype)) {
            throw new IllegalArgumentException("dtype: expected F32, F16 or BF16, got " + dtype);
        }
    }

    /** Fails unless every present argument is a tensor this backend made (the shape checks compared names). */
    private static void checkKinds(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && !(t instanceof VectorTensor)) {
                throw new IllegalArgumentException("argument: expected a tensor created by backend 'vector', got "
                        + t.getClass().getName());
            }
            if (t != null) ((VectorTensor) t).bits(); // fails when closed
        }
    }

    /** RoIs of a 16-bit call widened exactly, for the shared RoI checks (which read them on the host). */
    private static double[] sixteenBitRois(Tensor input, Tensor rois) {
        if (rois == null) throw new IllegalArgumentException("rois: expected a tensor, got null");
        Checks.owned("rois", rois, VectorProvider.NAME, input.dtype());
        return rois.toDoubleArray();
    }

    /** Storage of a validated argument, {@code null} when absent. */
    private static float[] data(String argument, Tensor t) {
        return t == null ? null : vectorTensor(argument, t).data();
    }

    private static VectorTensor vectorTensor(String argument, Tensor t) {
        if (!(t instanceof VectorTensor v)) {
            throw new IllegalArgumentException(argument + ": expected a tensor created by backend 'vector', got "
                    + t.getClass().getName());
        }
        return v;
    }

    /**
     * The arguments of one call, {@linkplain VectorTensor#hold() held} until it returns, so that closing one
     * on another thread meanwhile never hands its storage to a later output while the call reads it.
     */
    private static final class Held implements AutoCloseable {
        private final VectorTensor[] tensors = new VectorTensor[6];
        private int count;

        /** Storage of a validated argument, {@code null} when absent; held until {@link #close()}. */
        float[] data(String argument, Tensor t) {
            if (t == null) return null;
            VectorTensor v = vectorTensor(argument, t);
            float[] d = v.hold();
            tensors[count++] = v;
            return d;
        }

        @Override
        public void close() {
            while (count > 0) tensors[--count].release();
        }
    }

    /** RoIs as float64 on the host (exact widening), for the shared RoI checks and the bin geometry. */
    private static double[] roisOnHost(Tensor rois) {
        if (rois == null) throw new IllegalArgumentException("rois: expected a tensor, got null");
        Checks.owned("rois", rois, VectorProvider.NAME, DType.F32);
        data("rois", rois);
        return rois.toDoubleArray();
    }

    private static Tensor wrap(Tensor like, float[] grad) {
        return grad == null ? null : new VectorTensor(like.shape(), grad);
    }
}
