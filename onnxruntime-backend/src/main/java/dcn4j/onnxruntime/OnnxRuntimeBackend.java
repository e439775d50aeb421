package dcn4j.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
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
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code onnxruntime} backend: {@code deformConv2d} runs a one-node {@code DeformConv} model
 * ({@link DeformConvModel}) in ONNX Runtime's CPU execution provider, one cached session per call
 * shape ({@link SessionCache}). Arguments are validated by the shared SPI checks before ONNX
 * Runtime sees them. It declares forward {@code deform_conv2d} only
 * ({@link OnnxRuntimeProvider#CAPABILITIES}); the backward and RoI pooling throw
 * {@link UnsupportedOperationException} saying so.
 *
 * <p>Threads: ONNX Runtime's intra-op pool gets the backend's thread count, with spinning off
 * ({@code session.intra_op.allow_spinning = 0}) so idle workers do not burn the cores other work
 * needs; inter-op parallelism is 1 (one node). Thread-safe: sessions run concurrently.
 */
final class OnnxRuntimeBackend implements Backend {

    private final int threads;
    private final OrtEnvironment env;
    private final SessionCache sessions;

    OnnxRuntimeBackend(int threads) {
        this.threads = threads;
        this.env = OrtEnvironment.getEnvironment();
        try {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.addConfigEntry("session.intra_op.allow_spinning", "0");
            o.addConfigEntry("session.inter_op.allow_spinning", "0");
            this.sessions = new SessionCache(env, o);
        } catch (OrtException e) {
            throw new IllegalStateException("onnxruntime: cannot set session options: " + e.getMessage(), e);
        }
    }

    /** The ONNX Runtime version; loads its native library (throws when that fails). */
    static String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    @Override
    public String name() {
        return OnnxRuntimeProvider.NAME;
    }

    @Override
    public String description() {
        return "ONNX Runtime " + env.getVersion() + " CPU DeformConv (opset " + DeformConvModel.OPSET + "), " + threads
                + (threads == 1 ? " thread" : " threads") + ", forward only";
    }

    @Override
    public DType nativeDType() {
        return DType.F32;
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.F32;
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, double[] data) {
        requireF32(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        Checks.elementCount(shape, data.length);
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return new OnnxRuntimeTensor(shape, f);
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, float[] data) {
        requireF32(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        Checks.elementCount(shape, data.length);
        return new OnnxRuntimeTensor(shape, data.clone());
    }

    private static void requireF32(DType dtype) {
        if (dtype != DType.F32) throw new IllegalArgumentException("dtype: expected F32, got " + dtype);
    }

    @Override
    public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                               Tensor bias) {
        DeformConv2dShape s = DeformConv2dShape.of(name(), spec, input, offset, mask, weight, bias);
        if (!OnnxRuntimeProvider.CAPABILITIES.supports(spec.border())) {
            // ONNX's DeformConv samples with torchvision's border rule: never silently compute another one.
            throw new UnsupportedOperationException("backend '" + OnnxRuntimeProvider.NAME + "' does not compute "
                    + "border " + spec.border() + ": it declares " + OnnxRuntimeProvider.CAPABILITIES
                    + " (ONNX's DeformConv samples with torchvision's border rule)");
        }
        float[] in = data(input), w = data(weight), off = data(offset), m = data(mask), b = data(bias);
        int outCount = Math.multiplyExact(Math.multiplyExact(s.batch(), s.outChannels()),
                Math.multiplyExact(s.outHeight(), s.outWidth()));
        if (outCount == 0) return new OnnxRuntimeTensor(s.outputShape(), new float[0]);
        // No offset is plain convolution: DeformConv with zero offsets (ONNX's offset is not optional).
        if (off == null) off = new float[count(s.offsetShape())];
        DeformConv2dShape key = new DeformConv2dShape(s.spec(), s.dtype(), s.batch(), s.inChannels(), s.inHeight(),
                s.inWidth(), s.outChannels(), s.kernelHeight(), s.kernelWidth(), s.outHeight(), s.outWidth(), true,
                s.hasMask(), s.hasBias());
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        SessionCache.Entry e = null;
        try {
            e = sessions.acquire(key);
            feed.put(DeformConvModel.X, onnx(in, s.inputShape()));
            feed.put(DeformConvModel.W, onnx(w, s.weightShape()));
            feed.put(DeformConvModel.OFFSET, onnx(off, s.offsetShape()));
            if (b != null) feed.put(DeformConvModel.B, onnx(b, new int[] {s.outChannels()}));
            if (m != null) feed.put(DeformConvModel.MASK, onnx(m, s.maskShape()));
            try (OrtSession.Result r = e.session.run(feed)) {
                FloatBuffer y = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] out = new float[outCount];
                y.get(out);
                return new OnnxRuntimeTensor(s.outputShape(), out);
            }
        } catch (OrtException ex) {
            throw new IllegalStateException("onnxruntime: DeformConv failed: " + ex.getMessage(), ex);
        } finally {
            for (OnnxTensor t : feed.values()) t.close();
            if (e != null) {
                try {
                    sessions.release(e);
                } catch (OrtException ex) {
                    // The result stands; a session that fails to close is released with the environment.
                }
            }
        }
    }

    private OnnxTensor onnx(float[] data, int[] shape) throws OrtException {
        long[] dims = new long[shape.length];
        for (int i = 0; i < dims.length; i++) dims[i] = shape[i];
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), dims);
    }

    private static int count(int[] shape) {
        int n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    private static float[] data(Tensor t) {
        return t == null ? null : ((OnnxRuntimeTensor) t).data();
    }

    /** Sessions made so far, for tests: one per call shape. */
    long sessionsCreated() {
        return sessions.created();
    }

    @Override
    public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                      Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                      Set<Gradient> wanted) {
        throw notDeclared("deform_conv2d backward");
    }

    @Override
    public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
        throw notDeclared("deform_psroi_pool forward");
    }

    @Override
    public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                            Tensor input, Tensor rois, Tensor offset,
                                                            Set<Gradient> wanted) {
        throw notDeclared("deform_psroi_pool backward");
    }

    private static UnsupportedOperationException notDeclared(String what) {
        return new UnsupportedOperationException("backend '" + OnnxRuntimeProvider.NAME + "' does not compute " + what
                + ": it declares " + OnnxRuntimeProvider.CAPABILITIES + " (ONNX Runtime's DeformConv is forward only)");
    }

    @Override
    public void close() {
        sessions.close();
    }
}
