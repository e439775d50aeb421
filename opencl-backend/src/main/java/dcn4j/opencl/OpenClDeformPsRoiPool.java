package dcn4j.opencl;

import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import dcn4j.spi.DeformPsRoiPoolShape;
import dcn4j.spi.PooledRoi;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jocl.Pointer;

/**
 * Deformable PS RoI pooling on the OpenCL backend: argument checking (the RoIs are read back to the
 * host, they are small, and validated by {@link DeformPsRoiPoolShape} before anything else touches
 * device memory), the per-RoI geometry in float64 on the host, and the kernel launches; the
 * arithmetic is in {@code deform_psroi_pool.cl}.
 */
final class OpenClDeformPsRoiPool {

    private static final String POOL = "deform_psroi_pool.cl";

    private final OpenClBackend backend;
    private final ClRuntime rt;
    private volatile long workspaceBudget = OpenClDeformConv2d.WORKSPACE_BUDGET;

    OpenClDeformPsRoiPool(OpenClBackend backend) {
        this.backend = backend;
        this.rt = backend.runtime();
    }

    /** Sets the workspace bound (tests use a tiny one to force one RoI per chunk). */
    void workspaceBudget(long bytes) {
        workspaceBudget = bytes;
    }

    Tensor forward(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
        double[] roisHost = roisOnHost(rois);
        DeformPsRoiPoolShape s = DeformPsRoiPoolShape.of(OpenClProvider.NAME, spec, input, rois, roisHost, offset);
        OpenClTensor in = backend.own("input", input), off = backend.own("offset", offset);
        List<ClBuffer> temps = new ArrayList<>();
        OpenClTensor out = null;
        try (ClRuntime.Op op = rt.op()) {
            try {
                out = backend.newTensor(s.outputShape());
                if (s.roiCount() > 0) {
                    Geometry geo = new Geometry(s, roisHost, temps);
                    ClBuffer dummy = temp(temps, 1);
                    rt.call(POOL, "psroi_forward").buf(in.buffer()).buf(off == null ? dummy : off.buffer())
                            .buf(geo.floats).buf(geo.ints).buf(out.buffer()).vec(geo.g).f((float) spec.transStd())
                            .range((long) s.roiCount() * spec.outputDim() * spec.pooledSize() * spec.pooledSize());
                }
                op.finish("deform_psroi_pool forward");
            } catch (RuntimeException | Error e) {
                if (out != null) out.close();
                throw e;
            } finally {
                for (ClBuffer t : temps) t.release();
                OpenClBackend.keepAlive(new Object[] {in, off});
            }
        }
        return out;
    }

    DeformPsRoiPoolGradients backward(DeformPsRoiPoolSpec spec, Tensor gradOutput, Tensor input, Tensor rois,
                                      Tensor offset, Set<Gradient> wanted) {
        double[] roisHost = roisOnHost(rois);
        DeformPsRoiPoolShape s = DeformPsRoiPoolShape.ofBackward(OpenClProvider.NAME, spec, gradOutput, input, rois,
                roisHost, offset, wanted);
        OpenClTensor go = backend.own("gradOutput", gradOutput), in = backend.own("input", input);
        OpenClTensor off = backend.own("offset", offset);
        boolean wantInput = wanted.contains(Gradient.INPUT);
        boolean wantOffset = wanted.contains(Gradient.OFFSET) && off != null;
        List<ClBuffer> temps = new ArrayList<>();
        List<OpenClTensor> made = new ArrayList<>();
        try (ClRuntime.Op op = rt.op()) {
            try {
                OpenClTensor gIn = wantInput ? keep(made, backend.newTensor(s.inputShape())) : null;
                OpenClTensor gOff = wantOffset ? keep(made, backend.newTensor(s.offsetShape())) : null;
                Geometry geo = new Geometry(s, roisHost, temps);
                ClBuffer dummy = temp(temps, 1);
                float transStd = (float) spec.transStd();
                if (gIn != null) inputGradient(s, go, off, dummy, geo, gIn, transStd);
                if (gOff != null) {
                    rt.call(POOL, "psroi_offset_grad").buf(in.buffer()).buf(go.buffer()).buf(off.buffer())
                            .buf(geo.floats).buf(geo.ints).buf(gOff.buffer()).vec(geo.g).f(transStd)
                            .range(gOff.count() / 2);
                }
                op.finish("deform_psroi_pool backward");
                made.clear();
                return new DeformPsRoiPoolGradients(gIn, gOff);
            } finally {
                for (OpenClTensor t : made) t.close(); // only on failure: made is cleared on success
                for (ClBuffer t : temps) t.release();
                OpenClBackend.keepAlive(new Object[] {go, in, off});
            }
        }
    }

    /**
     * The input gradient, RoIs in chunks whose samples fit the workspace budget: per chunk, the
     * samples are bucketed by (image, channel, cell), then every input element gathers its terms
     * (deform_psroi_pool.cl), adding to the previous chunks' sum in chunk order.
     */
    private void inputGradient(DeformPsRoiPoolShape s, OpenClTensor go, OpenClTensor off, ClBuffer dummy,
                               Geometry geo, OpenClTensor gIn, float transStd) {
        DeformPsRoiPoolSpec sp = s.spec();
        int bins = sp.outputDim() * sp.pooledSize() * sp.pooledSize();
        long perRoi = (long) bins * sp.samplePerPart() * sp.samplePerPart();
        int elements = gIn.count();
        if (s.roiCount() == 0 || perRoi > Integer.MAX_VALUE / 2) {
            if (perRoi > Integer.MAX_VALUE / 2) {
                throw new IllegalArgumentException("spec: expected at most " + (Integer.MAX_VALUE / 2) + " samples per "
                        + "RoI (outputDim*pooledSize^2*samplePerPart^2) on the opencl backend, got " + perRoi);
            }
            rt.fill(gIn.buffer(), (long) elements * 4, "input gradient");
            return;
        }
        long budget = Math.min(Math.min(workspaceBudget, backend.device().globalMemory() / 8), rt.maxAlloc());
        long fixed = 8L * elements;                       // bucket starts and cursors
        long chunkBytes = perRoi * 16 + (long) bins * 4;  // keys, fractions, lists; diffs
        int chunk = (int) Math.max(1, Math.min(s.roiCount(), Math.max(0, budget - fixed) / chunkBytes));
        chunk = (int) Math.max(1, Math.min(chunk, (Integer.MAX_VALUE / 2) / perRoi));
        Workspace ws = rt.workspace();
        ClBuffer keys = ws.get("psroi sample cells", chunk * perRoi);
        ClBuffer frac = ws.get("psroi sample fractions", 2 * chunk * perRoi);
        ClBuffer diffs = ws.get("psroi bin gradients", (long) chunk * bins);
        ClBuckets buckets = new ClBuckets(ws, "psroi cell", chunk * perRoi, elements);
        for (int r0 = 0; r0 < s.roiCount(); r0 += chunk) {
            int rc = Math.min(chunk, s.roiCount() - r0);
            int samples = (int) (rc * perRoi);
            buckets.zero(rt, elements);
            rt.call(POOL, "psroi_samples").buf(go.buffer()).buf(off == null ? dummy : off.buffer())
                    .buf(geo.floats).buf(geo.ints).buf(keys).buf(frac).buf(diffs).buf(buckets.starts).vec(geo.g)
                    .f(transStd).i(r0).i(rc).range((long) rc * bins);
            buckets.sort(rt, POOL, keys, samples, elements);
            rt.call(POOL, "psroi_input_gather").buf(buckets.starts).buf(buckets.list).buf(frac).buf(diffs)
                    .buf(gIn.buffer()).vec(geo.g).i(r0 > 0 ? 1 : 0).range(elements);
        }
    }

    /**
     * The RoIs on the host, for validation and geometry: {@code rois} must be a tensor of this
     * backend instance (checked first, as the reference does); its few values are read back.
     */
    private double[] roisOnHost(Tensor rois) {
        Checks.owned("rois", rois, OpenClProvider.NAME, rois == null ? null : rois.dtype());
        return backend.own("rois", rois).toDoubleArray();
    }

    /** The small per-call tables of deform_psroi_pool.cl (see its header). */
    private final class Geometry {
        final int[] g;
        final ClBuffer floats;
        final ClBuffer ints;

        Geometry(DeformPsRoiPoolShape s, double[] rois, List<ClBuffer> temps) {
            DeformPsRoiPoolSpec sp = s.spec();
            int r = s.roiCount(), p = sp.pooledSize();
            g = new int[] {s.batch(), s.channels(), s.height(), s.width(), sp.outputDim(), sp.groupSize(), p,
                    sp.partSize(), sp.samplePerPart(), r, s.numClasses(), s.hasOffset() ? 1 : 0, 0, 0, 0, 0};
            float[] geo = new float[Math.max(1, r * 8)];
            int[] tab = new int[2 * p + r];
            for (int i = 0; i < p; i++) {
                tab[i] = PooledRoi.partCell(i, p, sp.partSize());
                tab[p + i] = PooledRoi.groupCell(i, p, sp.groupSize());
            }
            for (int i = 0; i < r; i++) {
                PooledRoi roi = PooledRoi.of(sp, rois, i);
                tab[2 * p + i] = roi.batch();
                double[] q = {roi.startW(), roi.startH(), roi.width(), roi.height(), roi.binW(), roi.binH(),
                        roi.subW(), roi.subH()};
                // Halved (deform_psroi_pool.cl header): finite in float32 for any finite RoI.
                for (int j = 0; j < 8; j++) geo[i * 8 + j] = halfAsFloat(q[j]);
            }
            floats = rt.allocate(geo.length, Pointer.to(geo), "RoI geometry");
            temps.add(floats);
            ints = rt.allocate(tab.length, Pointer.to(tab), "RoI tables");
            temps.add(ints);
        }
    }

    /** {@code v / 2} as a float, clamped to the finite floats (a RoI scaled past the float range stays finite). */
    static float halfAsFloat(double v) {
        return (float) Math.max(-Float.MAX_VALUE, Math.min(Float.MAX_VALUE, v / 2));
    }

    private ClBuffer temp(List<ClBuffer> temps, long floats) {
        ClBuffer b = rt.allocate(floats, null, "absent argument");
        temps.add(b);
        return b;
    }

    private static OpenClTensor keep(List<OpenClTensor> made, OpenClTensor t) {
        made.add(t);
        return t;
    }
}
