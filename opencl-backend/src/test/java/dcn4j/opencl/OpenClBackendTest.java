package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.RoiPoolCase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Behaviour of the {@code opencl} backend beyond the arithmetic: float32 only, tensors on the
 * device, errors named after OpenCL, argument checks before any device memory, determinism across
 * repeats and threads, chains of calls without host round trips.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClBackendTest {

    private OpenClBackend cl;
    private Backend ref;

    @BeforeAll
    void open() {
        cl = OpenClTestSupport.open();
        ref = OpenClTestSupport.reference();
    }

    @AfterAll
    void close() {
        if (cl != null) cl.close();
        if (ref != null) ref.close();
    }

    /** Modulated, groups 2, offset groups 3. */
    private static final ConvCase CASE = new ConvCase(3, 6, 9, 8, 6, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 2, 3),
            true, true, true, ConvCase.OffsetStyle.SMALL, 31);

    @Test
    void isFloat32Only() {
        assertEquals(DType.F32, cl.nativeDType());
        assertTrue(cl.supports(DType.F32));
        assertFalse(cl.supports(DType.F64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl.tensor(DType.F64, new int[] {2}, new double[] {1, 2}));
        assertEquals("dtype: expected F32, F16 or BF16, got F64", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cl.tensor(DType.F64, new int[] {1}, new float[] {1}));
    }

    @Test
    void tensorsRoundTripThroughDeviceMemory() {
        float[] data = {1.5f, -2.25f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, -0f};
        try (Tensor t = cl.tensor(new int[] {2, 3}, data)) {
            assertArrayEquals(new int[] {2, 3}, t.shape());
            assertEquals("opencl", t.backendName());
            Compare.assertBitIdentical("round trip", data, t.toFloatArray());
            assertEquals(1.5, t.toDoubleArray()[0]);
        }
        // F32 from doubles rounds to nearest, as the reference's F32 tensors.
        try (Tensor t = cl.tensor(DType.F32, new int[] {1}, new double[] {0.1})) {
            assertEquals(0.1f, t.toFloatArray()[0]);
        }
        try (Tensor empty = cl.tensor(new int[] {0, 5}, new float[0])) {
            assertEquals(0, empty.toFloatArray().length);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl.tensor(new int[] {2, 2}, new float[3]));
        assertTrue(e.getMessage().startsWith("data: expected 4 elements"), e.getMessage());
    }

    @Test
    void closedTensorsAreRejected() {
        Tensor t = cl.tensor(new int[] {1}, new float[] {1});
        t.close();
        t.close(); // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toFloatArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void foreignTensorsAreRejectedBeforeAnyDeviceWork() {
        Tensor[] a = CASE.tensors(cl);
        Tensor[] r = CASE.tensors(ref);
        long live = cl.runtime().allocations(); // the cleaner may free dropped tensors meanwhile
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl.deformConv2d(CASE.spec(), a[0], r[1], a[2], a[3], a[4]));
        assertEquals("offset: expected a tensor of backend 'opencl', got one of 'reference'", e.getMessage());
        assertEquals(live, cl.runtime().allocations(), "no device memory allocated by a rejected call");
        // A tensor of another opencl backend instance (another context) is rejected too.
        try (OpenClBackend other = OpenClTestSupport.open(); Tensor w = other.tensor(a[3].shape(), CASE.weight())) {
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> cl.deformConv2d(CASE.spec(), a[0], a[1], a[2], w, a[4]));
            assertTrue(e2.getMessage().startsWith("weight: expected a tensor of this opencl backend instance"),
                    e2.getMessage());
        }
        // Shape errors: the shared validation's message, no device memory touched.
        try (Tensor badWeight = cl.tensor(new int[] {6, 2, 3, 3}, new float[6 * 2 * 9])) {
            long before = cl.runtime().allocations();
            IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
                    () -> cl.deformConv2d(CASE.spec(), a[0], a[1], a[2], badWeight, a[4]));
            assertTrue(e3.getMessage().startsWith("weight: expected dimension 1 = C/groups = 3"), e3.getMessage());
            assertEquals(before, cl.runtime().allocations());
        }
        // PS RoI pooling validates RoI values on the host: a batch index out of range.
        DeformPsRoiPoolSpec ps = new DeformPsRoiPoolSpec(1, 1, 1, 1, 1, 1, 0.1);
        try (Tensor in = cl.tensor(new int[] {1, 1, 2, 2}, new float[4]);
             Tensor rois = cl.tensor(new int[] {1, 5}, new float[] {1, 0, 0, 1, 1})) {
            IllegalArgumentException e4 = assertThrows(IllegalArgumentException.class,
                    () -> cl.deformPsRoiPool(ps, in, rois, null));
            assertTrue(e4.getMessage().startsWith("rois[0,0]: expected a batch index in [0, 1)"), e4.getMessage());
        }
    }

    @Test
    void columnsBeyondIntIndicesAreRejectedBeforeAnyDeviceWork() {
        // Padding 23000 on a 1x1 image: 46001 x 46001 output pixels, 2 channels: 4.2e9 column
        // elements per image, more than the kernels' 32-bit indices reach: computed in bands of
        // rows, but the output itself (8.5 GB) is larger than one OpenCL buffer may be.
        DeformConv2dSpec spec = new DeformConv2dSpec(1, 1, 23000, 23000, 1, 1, 1, 1);
        try (Tensor in = cl.tensor(new int[] {1, 2, 1, 1}, new float[2]);
             Tensor w = cl.tensor(new int[] {1, 2, 1, 1}, new float[2])) {
            long live = cl.runtime().allocations();
            cl.runtime().maxAllocCap(1L << 30); // as on most devices, whatever this one allows
            IllegalArgumentException e;
            try {
                e = assertThrows(IllegalArgumentException.class, () -> cl.deformConv2d(spec, in, null, null, w, null));
            } finally {
                cl.runtime().maxAllocCap(Long.MAX_VALUE);
            }
            assertTrue(e.getMessage().startsWith("tensor [1, 1, 46001, 46001]: expected at most 1073741824 bytes"),
                    e.getMessage());
            assertTrue(e.getMessage().endsWith("CL_DEVICE_MAX_MEM_ALLOC_SIZE), got 8464368004 bytes"), e.getMessage());
            assertEquals(live, cl.runtime().allocations());
        }
    }

    @Test
    void openClErrorsCarryTheirNameAndTheFailedCall() {
        OpenClException e = assertThrows(OpenClException.class,
                () -> Cl.createBuffer(cl.runtime().context(), 0, null, "an empty buffer"));
        assertEquals("CL_INVALID_BUFFER_SIZE", e.errorName());
        assertEquals(-61, e.errorCode());
        assertTrue(e.call().startsWith("clCreateBuffer(an empty buffer"), e.call());
        assertTrue(e.getMessage().contains("CL_INVALID_BUFFER_SIZE"), e.getMessage());
        assertEquals("CL_OUT_OF_RESOURCES", ClErrors.name(-5));
        assertEquals("CL_PLATFORM_NOT_FOUND_KHR", ClErrors.name(-1001));
        assertEquals("CL_UNKNOWN_ERROR_-12345", ClErrors.name(-12345));
    }

    @Test
    void buildFailuresCarryTheBuildLog() {
        OpenClException e = assertThrows(OpenClException.class, () -> cl.buildForTest("broken.cl",
                "__kernel void broken(__global float* x) { x[0] = undeclared_name_42; }"));
        assertEquals("CL_BUILD_PROGRAM_FAILURE", e.errorName());
        assertEquals("clBuildProgram(broken.cl)", e.call());
        assertTrue(e.getMessage().contains("undeclared_name_42"), "build log in the message: " + e.getMessage());
    }

    @Test
    void programsAreCompiledOncePerContextNotPerCall() {
        try (OpenClBackend fresh = OpenClTestSupport.open()) {
            assertEquals(0, fresh.programBuilds(), "nothing compiled before the first call");
            for (ConvCase cc : OpenClDeformConv2dTest.edgeCases().stream().map(n -> n.getPayload()).toList()) {
                Tensor[] a = cc.tensors(fresh);
                cc.forward(fresh, a).close();
                cc.backward(fresh, a, Gradient.all()).close();
            }
            // deform_conv2d.cl and gemm.cl, once each, for 18 shapes, forward and backward.
            assertEquals(2, fresh.programBuilds());
            RoiPoolCase pc = OpenClDeformPsRoiPoolTest.edgeCases().get(1).getPayload();
            Tensor[] p = pc.tensors(fresh);
            for (int i = 0; i < 3; i++) fresh.deformPsRoiPool(pc.spec(), p[0], p[1], p[2]).close();
            assertEquals(3, fresh.programBuilds());
        }
    }

    @Test
    void batchesAreProcessedInChunksWithinTheWorkspaceBudget() {
        // With a 1-byte budget every image is its own chunk: one sample table, one im2col and one
        // GEMM per group for each of the 3 images.
        java.util.Map<String, Integer> launches = new java.util.concurrent.ConcurrentHashMap<>();
        try {
            cl.conv().workspaceBudget(1);
            ClRuntime.kernelTimer = (name, ns) -> launches.merge(name, 1, Integer::sum);
            Tensor[] a = CASE.tensors(cl);
            CASE.forward(cl, a).close();
        } finally {
            ClRuntime.kernelTimer = null;
            cl.conv().workspaceBudget(OpenClDeformConv2d.WORKSPACE_BUDGET);
        }
        assertEquals(3, launches.get("sample_table"));
        assertEquals(3, launches.get("deform_im2col"));
        assertEquals(3 * CASE.spec().groups(), launches.get(cl.gemm().tiling().block() ? "gemm_block" : "gemm"));
    }

    @Test
    void repeatedCallsAreBitIdentical() {
        Tensor[] a = CASE.tensors(cl);
        float[] out = CASE.forward(cl, a).toFloatArray();
        List<float[]> grads = grads(CASE.backward(cl, a, Gradient.all()));
        for (int i = 0; i < 3; i++) {
            Compare.assertBitIdentical("forward repeat " + i, out, CASE.forward(cl, a).toFloatArray());
            List<float[]> again = grads(CASE.backward(cl, a, Gradient.all()));
            for (int g = 0; g < grads.size(); g++) {
                Compare.assertBitIdentical(Gradient.values()[g] + " repeat " + i, grads.get(g), again.get(g));
            }
        }
    }

    @Test
    void fourThreadsGetBitIdenticalResults() throws Exception {
        Tensor[] a = CASE.tensors(cl);
        float[] out = CASE.forward(cl, a).toFloatArray();
        List<float[]> grads = grads(CASE.backward(cl, a, Gradient.all()));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 5; i++) {
                        Compare.assertBitIdentical("forward", out, CASE.forward(cl, a).toFloatArray());
                        List<float[]> g = grads(CASE.backward(cl, a, Gradient.all()));
                        for (int k = 0; k < g.size(); k++) Compare.assertBitIdentical("grad " + k, grads.get(k), g.get(k));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void chainedCallsStayOnTheDevice() {
        // An offset branch (plain convolution producing 2*kh*kw channels) feeding a deformable
        // convolution, then its backward: no read back to the host between the calls, and the
        // result equals the reference's chain.
        int n = 2, c = 4, h = 7, w = 6, o = 5;
        DeformConv2dSpec spec = new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 1, 1);
        java.util.Random r = new java.util.Random(5);
        float[] in = gaussian(r, n * c * h * w, 1);
        float[] offW = gaussian(r, 18 * c * 9, 0.3f);
        float[] wt = gaussian(r, o * c * 9, 0.2f);
        float[] go = gaussian(r, n * o * h * w, 1);
        long readsBefore = cl.hostReads();
        Tensor input = cl.tensor(new int[] {n, c, h, w}, in);
        Tensor offsetWeight = cl.tensor(new int[] {18, c, 3, 3}, offW);
        Tensor weight = cl.tensor(new int[] {o, c, 3, 3}, wt);
        Tensor gradOut = cl.tensor(new int[] {n, o, h, w}, go);
        Tensor offset = cl.deformConv2d(spec, input, null, null, offsetWeight, null);
        Tensor out = cl.deformConv2d(spec, input, offset, null, weight, null);
        DeformConv2dGradients g = cl.deformConv2dBackward(spec, gradOut, input, offset, null, weight, null,
                Gradient.all());
        // The offset gradient goes back through the offset branch, still on the device.
        DeformConv2dGradients g2 = cl.deformConv2dBackward(spec, g.offset(), input, null, null, offsetWeight, null,
                Gradient.all());
        assertEquals(readsBefore, cl.hostReads(), "no device-to-host copy inside the chain");

        Tensor rIn = ref.tensor(DType.F32, new int[] {n, c, h, w}, in);
        Tensor rOffW = ref.tensor(DType.F32, new int[] {18, c, 3, 3}, offW);
        Tensor rW = ref.tensor(DType.F32, new int[] {o, c, 3, 3}, wt);
        Tensor rGo = ref.tensor(DType.F32, new int[] {n, o, h, w}, go);
        Tensor rOff = ref.deformConv2d(spec, rIn, null, null, rOffW, null);
        Tensor rOut = ref.deformConv2d(spec, rIn, rOff, null, rW, null);
        DeformConv2dGradients rg = ref.deformConv2dBackward(spec, rGo, rIn, rOff, null, rW, null, Gradient.all());
        DeformConv2dGradients rg2 = ref.deformConv2dBackward(spec, rg.offset(), rIn, null, null, rOffW, null,
                Gradient.all());
        // The chain's intermediates are float32 in one backend and float64 in the other; the
        // forward tolerance holds for one op, the chain is compared at the backward tolerance.
        Compare.check("chain", "chain forward", out, rOut, dcn4j.conformance.Tolerances.BACKWARD);
        Compare.check("chain", "chain grad weight", g.weight(), rg.weight(), dcn4j.conformance.Tolerances.BACKWARD);
        Compare.check("chain", "chain grad offset-branch weight", g2.weight(), rg2.weight(), dcn4j.conformance.Tolerances.BACKWARD);
        assertTrue(cl.hostReads() > readsBefore, "reading back is explicit");
    }

    private static List<float[]> grads(DeformConv2dGradients g) {
        List<float[]> l = new ArrayList<>();
        for (Gradient which : Gradient.values()) l.add(g.get(which) == null ? new float[0] : g.get(which).toFloatArray());
        g.close();
        return l;
    }

    private static float[] gaussian(java.util.Random r, int count, float scale) {
        float[] f = new float[count];
        for (int i = 0; i < count; i++) f[i] = (float) (r.nextGaussian() * scale);
        return f;
    }
}
