package dcn4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import org.junit.jupiter.api.Test;

/** A closed reference backend, and its tensors, fail with IllegalStateException like the other backends. */
class ReferenceBackendCloseTest {

    @Test
    void closedBackendAndItsTensorsFailWithIllegalStateException() {
        Backend b = new ReferenceProvider().open(BackendOptions.defaults());
        Tensor in = b.tensor(DType.F64, new int[] {1, 1, 3, 3}, new double[9]);
        Tensor w = b.tensor(DType.F64, new int[] {1, 1, 1, 1}, new double[] {2});
        Tensor out = b.deformConv2d(DeformConv2dSpec.defaults(), in, null, null, w, null);
        b.close();
        String closed = "backend 'reference' is closed";
        assertEquals(closed, assertThrows(IllegalStateException.class,
                () -> b.tensor(DType.F64, new int[] {1}, new double[1])).getMessage());
        assertEquals(closed, assertThrows(IllegalStateException.class,
                () -> b.deformConv2d(DeformConv2dSpec.defaults(), in, null, null, w, null)).getMessage());
        assertEquals(closed, assertThrows(IllegalStateException.class,
                () -> b.deformConv2dBackward(DeformConv2dSpec.defaults(), out, in, null, null, w, null,
                        Gradient.all())).getMessage());
        assertEquals(closed, assertThrows(IllegalStateException.class, out::toDoubleArray).getMessage());
        assertEquals(closed, assertThrows(IllegalStateException.class, in::toFloatArray).getMessage());
        b.close();  // idempotent
    }
}
