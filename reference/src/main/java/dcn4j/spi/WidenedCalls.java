package dcn4j.spi;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A call on {@link DType#F16} or {@link DType#BF16} tensors run by a float32 backend
 * (DESIGN.md "16-bit tensors"): every 16-bit argument is widened exactly into a float32 tensor of
 * the same backend, the backend's float32 operator runs unchanged, and each result is rounded once
 * to the dtype of the inputs. Widening is exact, so the float32 operator sees bit for bit the values
 * it would see if it converted while loading: the results are the same as converting inside the
 * kernels, at the cost of one float32 copy of the arguments for the duration of the call.
 *
 * <p>The caller checks the arguments first ({@link DeformConv2dShape}, {@link DeformPsRoiPoolShape}),
 * so the dtype is the one all arguments share.
 */
public final class WidenedCalls {

    /** How a backend moves tensors between its 16-bit and float32 storage. */
    public interface Storage {
        /** A new float32 tensor holding the values of the 16-bit tensor {@code t}, widened exactly. */
        Tensor widen(Tensor t);

        /** A new tensor of {@code dtype} (F16 or BF16) holding {@code f32}'s values rounded to nearest even. */
        Tensor narrow(Tensor f32, DType dtype);
    }

    private WidenedCalls() {
    }

    /** Whether a call whose first argument is {@code t} runs on 16-bit tensors. */
    public static boolean isSixteenBit(Tensor t) {
        return t != null && t.dtype() != null && t.dtype().isSixteenBit();
    }

    /** {@link Backend#deformConv2d} on 16-bit tensors through {@code backend}'s float32 operator. */
    public static Tensor deformConv2d(Backend backend, Storage storage, DeformConv2dSpec spec, Tensor input,
                                      Tensor offset, Tensor mask, Tensor weight, Tensor bias) {
        DType dtype = input.dtype();
        List<Tensor> temporary = new ArrayList<>();
        try {
            Tensor out = keep(temporary, backend.deformConv2d(spec, widen(storage, temporary, input),
                    widen(storage, temporary, offset), widen(storage, temporary, mask),
                    widen(storage, temporary, weight), widen(storage, temporary, bias)));
            return storage.narrow(out, dtype);
        } finally {
            closeAll(temporary);
        }
    }

    /** {@link Backend#deformConv2dBackward} on 16-bit tensors through {@code backend}'s float32 operator. */
    public static DeformConv2dGradients deformConv2dBackward(Backend backend, Storage storage, DeformConv2dSpec spec,
                                                             Tensor gradOutput, Tensor input, Tensor offset,
                                                             Tensor mask, Tensor weight, Tensor bias,
                                                             Set<Gradient> wanted) {
        DType dtype = input.dtype();
        List<Tensor> temporary = new ArrayList<>();
        List<Tensor> results = new ArrayList<>();
        try (DeformConv2dGradients g = backend.deformConv2dBackward(spec, widen(storage, temporary, gradOutput),
                widen(storage, temporary, input), widen(storage, temporary, offset), widen(storage, temporary, mask),
                widen(storage, temporary, weight), widen(storage, temporary, bias), wanted)) {
            DeformConv2dGradients r = new DeformConv2dGradients(narrow(storage, results, g.input(), dtype),
                    narrow(storage, results, g.offset(), dtype), narrow(storage, results, g.mask(), dtype),
                    narrow(storage, results, g.weight(), dtype), narrow(storage, results, g.bias(), dtype));
            results.clear();
            return r;
        } finally {
            closeAll(results); // only on failure: cleared on success
            closeAll(temporary);
        }
    }

    /** {@link Backend#deformPsRoiPool} on 16-bit tensors through {@code backend}'s float32 operator. */
    public static Tensor deformPsRoiPool(Backend backend, Storage storage, DeformPsRoiPoolSpec spec, Tensor input,
                                         Tensor rois, Tensor offset) {
        DType dtype = input.dtype();
        List<Tensor> temporary = new ArrayList<>();
        try {
            Tensor out = keep(temporary, backend.deformPsRoiPool(spec, widen(storage, temporary, input),
                    widen(storage, temporary, rois), widen(storage, temporary, offset)));
            return storage.narrow(out, dtype);
        } finally {
            closeAll(temporary);
        }
    }

    /** {@link Backend#deformPsRoiPoolBackward} on 16-bit tensors through {@code backend}'s float32 operator. */
    public static DeformPsRoiPoolGradients deformPsRoiPoolBackward(Backend backend, Storage storage,
                                                                   DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                                   Tensor input, Tensor rois, Tensor offset,
                                                                   Set<Gradient> wanted) {
        DType dtype = input.dtype();
        List<Tensor> temporary = new ArrayList<>();
        List<Tensor> results = new ArrayList<>();
        try (DeformPsRoiPoolGradients g = backend.deformPsRoiPoolBackward(spec, widen(storage, temporary, gradOutput),
                widen(storage, temporary, input), widen(storage, temporary, rois), widen(storage, temporary, offset),
                wanted)) {
            DeformPsRoiPoolGradients r = new DeformPsRoiPoolGradients(narrow(storage, results, g.input(), dtype),
                    narrow(storage, results, g.offset(), dtype));
            results.clear();
            return r;
        } finally {
            closeAll(results);
            closeAll(temporary);
        }
    }

    private static Tensor widen(Storage storage, List<Tensor> temporary, Tensor t) {
        return t == null ? null : keep(temporary, storage.widen(t));
    }

    private static Tensor narrow(Storage storage, List<Tensor> results, Tensor f32, DType dtype) {
        return f32 == null ? null : keep(results, storage.narrow(f32, dtype));
    }

    private static Tensor keep(List<Tensor> list, Tensor t) {
        list.add(t);
        return t;
    }

    private static void closeAll(List<Tensor> tensors) {
        for (Tensor t : tensors) t.close();
    }
}
