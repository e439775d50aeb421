package dcn4j.opencl;

import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import dcn4j.spi.WidenedCalls;

/**
 * F16 and BF16 calls on the OpenCL backend (DESIGN.md "16-bit tensors"): each 16-bit argument is
 * widened on the device into a float32 tensor ({@code convert.cl}: {@code vload_half}, a bit shift
 * for bfloat16), the float32 operator runs, and each result is rounded once on the device
 * ({@code vstore_half_rte}, round-to-nearest-even on the bits for bfloat16). No host round trip.
 */
final class ClSixteenBit implements WidenedCalls.Storage {

    private static final String PROGRAM = "convert.cl";

    private final OpenClBackend backend;

    ClSixteenBit(OpenClBackend backend) {
        this.backend = backend;
    }

    /** Whether a call whose first argument is {@code input} is a 16-bit call. */
    boolean applies(Tensor input) {
        return WidenedCalls.isSixteenBit(input);
    }

    /**
     * Run after the shared shape checks (which name each argument): every present argument is a live
     * tensor of this backend instance.
     */
    void checkOwned(Tensor... args) {
        for (Tensor t : args) backend.own("argument", t);
    }

    /** The RoIs of a 16-bit call on the host, widened exactly, for the shared RoI checks. */
    double[] rois(Tensor input, Tensor rois) {
        if (rois == null) throw new IllegalArgumentException("rois: expected a tensor, got null");
        Checks.owned("rois", rois, OpenClProvider.NAME, input.dtype());
        return backend.own("rois", rois).toDoubleArray();
    }

    @Override
    public Tensor widen(Tensor t) {
        OpenClTensor src = (OpenClTensor) t;
        OpenClTensor out = backend.newTensor(src.shape());
        run(src.dtype() == DType.BF16 ? "widen_bf16" : "widen_f16", src, out);
        return out;
    }

    @Override
    public Tensor narrow(Tensor f32, DType dtype) {
        OpenClTensor src = (OpenClTensor) f32;
        OpenClTensor out = backend.newTensor(dtype, src.shape());
        run(dtype == DType.BF16 ? "narrow_bf16" : "narrow_f16", src, out);
        return out;
    }

    private void run(String kernel, OpenClTensor src, OpenClTensor out) {
        ClRuntime rt = backend.runtime();
        try (ClRuntime.Op op = rt.op()) {
            rt.call(PROGRAM, kernel).buf(src.buffer()).buf(out.buffer()).i(src.count()).range(src.count());
            op.finish(kernel);
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        } finally {
            OpenClBackend.keepAlive(src);
        }
    }
}
