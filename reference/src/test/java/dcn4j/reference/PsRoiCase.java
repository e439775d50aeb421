package dcn4j.reference;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
import java.util.Random;

/** One deformable PS RoI pooling problem with host arrays, plus helpers to run it on the reference backend. */
record PsRoiCase(DeformPsRoiPoolSpec spec, int batch, int height, int width, double[] input, double[] rois,
                 double[] offset, int numClasses) {

    int channels() {
        return spec.inputChannels();
    }

    int roiCount() {
        return rois.length / 5;
    }

    int[] inputShape() {
        return new int[] {batch, channels(), height, width};
    }

    int[] offsetShape() {
        return new int[] {roiCount(), 2 * numClasses, spec.partSize(), spec.partSize()};
    }

    int outputSize() {
        return roiCount() * spec.outputDim() * spec.pooledSize() * spec.pooledSize();
    }

    PsRoiCase withInput(double[] in) {
        return new PsRoiCase(spec, batch, height, width, in, rois, offset, numClasses);
    }

    PsRoiCase withOffset(double[] off) {
        return new PsRoiCase(spec, batch, height, width, input, rois, off, numClasses);
    }

    double[] forward(Backend b) {
        try (Tensor out = b.deformPsRoiPool(spec, b.tensor(DType.F64, inputShape(), input),
                b.tensor(DType.F64, new int[] {roiCount(), 5}, rois),
                offset == null ? null : b.tensor(DType.F64, offsetShape(), offset))) {
            return out.toDoubleArray();
        }
    }

    /** {@code [gradInput, gradOffset]}, {@code gradOffset} null without offset. */
    double[][] backward(Backend b, double[] gradOut) {
        Tensor go = b.tensor(DType.F64, new int[] {roiCount(), spec.outputDim(), spec.pooledSize(),
                spec.pooledSize()}, gradOut);
        try (DeformPsRoiPoolGradients g = b.deformPsRoiPoolBackward(spec, go,
                b.tensor(DType.F64, inputShape(), input), b.tensor(DType.F64, new int[] {roiCount(), 5}, rois),
                offset == null ? null : b.tensor(DType.F64, offsetShape(), offset),
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
            return new double[][] {g.input().toDoubleArray(),
                    g.offset() == null ? null : g.offset().toDoubleArray()};
        }
    }

    double[] naiveForward() {
        return NaivePsRoiPool.forward(spec.spatialScale(), spec.outputDim(), spec.groupSize(), spec.pooledSize(),
                spec.partSize(), spec.samplePerPart(), spec.transStd(), channels(), height, width, input, rois,
                roiCount(), offset, numClasses);
    }

    double clearance() {
        return NaivePsRoiPool.clearance(spec.spatialScale(), spec.outputDim(), spec.pooledSize(), spec.partSize(),
                spec.samplePerPart(), spec.transStd(), height, width, rois, roiCount(), offset, numClasses);
    }

    /**
     * A random problem with sizes up to 10 (where the part cell of the kernel equals integer division):
     * RoIs partly outside the image, some inverted or tiny, fractional corners and batch indices.
     */
    static PsRoiCase random(Random rnd, int group, boolean withOffset) {
        int outputDim = 1 + rnd.nextInt(3);
        int pooled = 1 + rnd.nextInt(4);
        int part = 1 + rnd.nextInt(4);
        int samples = 1 + rnd.nextInt(3);
        double[] scales = {1.0, 0.5, 0.37, 0.0625};
        double scale = scales[rnd.nextInt(scales.length)];
        double[] stds = {0.1, 0.35, 1.0};
        double transStd = stds[rnd.nextInt(stds.length)];
        var spec = new DeformPsRoiPoolSpec(scale, outputDim, group, pooled, part, samples, transStd);
        int batch = 1 + rnd.nextInt(2);
        int height = 3 + rnd.nextInt(6), width = 3 + rnd.nextInt(6);
        int roiCount = 1 + rnd.nextInt(3);
        double[] rois = new double[5 * roiCount];
        for (int r = 0; r < roiCount; r++) {
            rois[5 * r] = rnd.nextInt(batch) + 0.99 * rnd.nextDouble();
            double imgW = width / scale, imgH = height / scale;
            double x1 = (rnd.nextDouble() * 1.3 - 0.3) * imgW, y1 = (rnd.nextDouble() * 1.3 - 0.3) * imgH;
            rois[5 * r + 1] = x1;
            rois[5 * r + 2] = y1;
            rois[5 * r + 3] = x1 + (rnd.nextDouble() * 1.1 - 0.1) * imgW;
            rois[5 * r + 4] = y1 + (rnd.nextDouble() * 1.1 - 0.1) * imgH;
        }
        int numClasses = 1;
        double[] offset = null;
        if (withOffset) {
            do {
                numClasses = 1 + rnd.nextInt(outputDim);
            } while (outputDim % numClasses != 0);
            offset = uniform(rnd, roiCount * 2 * numClasses * part * part, 1.0);
        }
        double[] input = uniform(rnd, batch * spec.inputChannels() * height * width, 1.0);
        return new PsRoiCase(spec, batch, height, width, input, rois, offset, numClasses);
    }

    static double[] uniform(Random rnd, int n, double amplitude) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = amplitude * (2 * rnd.nextDouble() - 1);
        return a;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
