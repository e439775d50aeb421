package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.spi.BackendProvider;
import dcn4j.conformance.ConvCase;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Discovery, dtype, ownership and bad-input behaviour of the vector backend (DESIGN.md "Public API", "Errors"). */
class VectorBackendApiTest {

    @Test
    void serviceLoaderFindsVectorAboveReference() {
        List<BackendProvider> all = Backends.providers();
        BackendProvider v = Backends.provider("vector");
        assertEquals(100, v.priority());
        assertTrue(v.priority() > Backends.provider("reference").priority());
        assertTrue(v.availability().available(), v.availability().reason());
        List<String> names = all.stream().map(BackendProvider::name).toList();
        assertTrue(names.indexOf("vector") >= 0 && names.indexOf("vector") < names.indexOf("reference"), names.toString());
        assertEquals(1, v.devices().size());
    }

    @Test
    void defaultBackendIsVectorWhenNothingIsNamed() {
        // Skipped silently only if the environment names another backend on purpose.
        if (System.getProperty(Backends.BACKEND_PROPERTY) != null || System.getenv(Backends.BACKEND_ENV) != null) return;
        try (Backend b = Backends.open()) {
            assertEquals("vector", b.name());
            assertEquals(DType.F32, b.nativeDType());
        }
    }

    @Test
    void threadsOptionSetsTheWorkerCount() {
        try (Backend b = Backends.open("vector", BackendOptions.defaults().withThreads(3))) {
            assertTrue(b.description().contains("3 threads"), b.description());
        }
    }

    @Test
    void spinMicrosPropertySetsTheHelperSpinAndABadOneFailsTheOpen() {
        String before = System.getProperty(WorkerPool.SPIN_PROPERTY);
        try {
            System.setProperty(WorkerPool.SPIN_PROPERTY, "-5");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Backends.open("vector", BackendOptions.defaults().withThreads(2)));
            assertEquals("dcn4j.vector.spinMicros: expected microseconds from 0 to 10000000, got '-5'", e.getMessage());
            System.setProperty(WorkerPool.SPIN_PROPERTY, "2500");
            try (VectorBackend b = new VectorBackend(2)) {
                assertEquals(2_500_000, b.helperSpinNanos());
            }
        } finally {
            if (before == null) System.clearProperty(WorkerPool.SPIN_PROPERTY);
            else System.setProperty(WorkerPool.SPIN_PROPERTY, before);
        }
    }

    @Test
    void float64TensorsAreRejectedNamingTheDType() {
        try (Backend b = new VectorBackend(1)) {
            assertFalse(b.supports(DType.F64));
            assertTrue(b.supports(DType.F32));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.tensor(DType.F64, new int[] {2}, new double[] {1, 2}));
            assertEquals("dtype: expected F32, F16 or BF16, got F64", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.tensor(DType.F64, new int[] {2}, new float[] {1, 2}));
        }
    }

    @Test
    void tensorsRoundTripAndCopyTheirData() {
        try (Backend b = new VectorBackend(1)) {
            float[] data = {1.5f, -2f, 3.25f};
            Tensor t = b.tensor(new int[] {3}, data);
            data[0] = 99;
            assertEquals(1.5f, t.toFloatArray()[0]);
            assertEquals(3.25, t.toDoubleArray()[2]);
            Tensor d = b.tensor(DType.F32, new int[] {1}, new double[] {0.1});
            assertEquals((float) 0.1, d.toFloatArray()[0]);
            t.close();
            assertThrows(IllegalStateException.class, t::toFloatArray);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.tensor(new int[] {2, 2}, new float[3]));
            assertTrue(e.getMessage().startsWith("data: expected 4 elements"), e.getMessage());
        }
    }

    /** Every bad argument gets the same message as on the reference: both call the shared SPI checks. */
    @Test
    void badInputMessagesEqualTheReferences() {
        try (Backend v = new VectorBackend(1); Backend r = Backends.open("reference")) {
            List<Function<Backend, Object>> calls = List.of(
                    b -> conv(b, new int[] {1, 4, 5, 5}, new int[] {1, 17, 5, 5}, new int[] {3, 4, 3, 3},
                            DeformConv2dSpec.defaults().withPadding(1, 1)),
                    b -> conv(b, new int[] {1, 4, 5, 5}, null, new int[] {3, 3, 3, 3}, DeformConv2dSpec.defaults()),
                    b -> conv(b, new int[] {1, 4, 5, 5}, null, new int[] {3, 4, 3, 3},
                            DeformConv2dSpec.defaults().withGroups(3)),
                    b -> conv(b, new int[] {1, 4, 2, 2}, null, new int[] {3, 4, 3, 3}, DeformConv2dSpec.defaults()),
                    b -> conv(b, new int[] {4, 5, 5}, null, new int[] {3, 4, 3, 3}, DeformConv2dSpec.defaults()),
                    b -> b.deformConv2dBackward(DeformConv2dSpec.defaults(), b.tensor(new int[] {1, 3, 2, 2}, new float[12]),
                            b.tensor(new int[] {1, 4, 5, 5}, new float[100]), null, null,
                            b.tensor(new int[] {3, 4, 3, 3}, new float[108]), null, EnumSet.allOf(Gradient.class)),
                    b -> b.deformPsRoiPool(new DeformPsRoiPoolSpec(0.5, 2, 2, 2, 2, 2, 0.1),
                            b.tensor(new int[] {1, 8, 4, 4}, new float[128]),
                            b.tensor(new int[] {1, 5}, new float[] {1, 0, 0, 3, 3}), null),
                    b -> b.deformPsRoiPool(new DeformPsRoiPoolSpec(0.5, 2, 2, 2, 2, 2, 0.1),
                            b.tensor(new int[] {1, 7, 4, 4}, new float[112]),
                            b.tensor(new int[] {1, 5}, new float[] {0, 0, 0, 3, 3}), null));
            for (Function<Backend, Object> call : calls) {
                String expected = assertThrows(IllegalArgumentException.class, () -> call.apply(r)).getMessage();
                String actual = assertThrows(IllegalArgumentException.class, () -> call.apply(v)).getMessage();
                assertEquals(expected.replace("reference", "vector").replace("F64", "F32"), actual);
            }
        }
    }

    @Test
    void tensorsOfAnotherBackendAreRejected() {
        try (Backend v = new VectorBackend(1); Backend r = Backends.open("reference")) {
            Tensor foreign = r.tensor(new int[] {1, 1, 3, 3}, new double[9]);
            Tensor w = v.tensor(new int[] {1, 1, 1, 1}, new float[1]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> v.deformConv2d(DeformConv2dSpec.defaults(), foreign, null, null, w, null));
            assertTrue(e.getMessage().startsWith("input: expected a tensor of backend 'vector'"), e.getMessage());
        }
    }

    @Test
    void closedBackendRefusesWork() {
        Backend b = new VectorBackend(2);
        Tensor in = b.tensor(new int[] {1, 1, 2, 2}, new float[4]);
        Tensor w = b.tensor(new int[] {1, 1, 1, 1}, new float[] {1});
        b.close();
        assertThrows(IllegalStateException.class, () -> b.deformConv2d(DeformConv2dSpec.defaults(), in, null, null, w, null));
    }

    @Test
    void peakWorkspaceIsReportedOnlyForVectorBackends() {
        try (Backend v = new VectorBackend(1); Backend r = Backends.open("reference")) {
            assertEquals(0, VectorProvider.peakWorkspaceBytes(v));
            assertThrows(IllegalArgumentException.class, () -> VectorProvider.peakWorkspaceBytes(r));
        }
    }

    private static Object conv(Backend b, int[] in, int[] off, int[] w, DeformConv2dSpec spec) {
        return b.deformConv2d(spec, b.tensor(in, new float[ConvCase.size(in)]),
                off == null ? null : b.tensor(off, new float[ConvCase.size(off)]), null,
                b.tensor(w, new float[ConvCase.size(w)]), null);
    }
}
