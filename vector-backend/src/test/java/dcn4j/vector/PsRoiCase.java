package dcn4j.vector;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
import java.util.Random;

/**
 * One deformable PS RoI pooling call with random float32 operands (seeded): F32 tensors on the vector
 * backend, the same values upcast to F64 on the reference. RoIs are in image coordinates
 * ({@code 1/spatialScale} times the feature map), some partly outside the image, tiny or inverted, with
 * fractional corners and fractional batch indices (truncated by the kernel).
 */
record PsRoiCase(String name, DeformPsRoiPoolSpec spec, int batch, int height, int width, int roiCount,
                 int numClasses, boolean offset, long seed) {

    static PsRoiCase random(String name, int batch, int outputDim, int group, int height, int width, int rois,
                            int pooled, int part, int samples, int classes, double transStd, long seed) {
        return new PsRoiCase(name, new DeformPsRoiPoolSpec(0.25, outputDim, group, pooled, part, samples, transStd),
                batch, height, width, rois, classes, classes > 0, seed);
    }

    int outputDim() {
        return spec.outputDim();
    }

    int[] inputShape() {
        return new int[] {batch, spec.inputChannels(), height, width};
    }

    int[] offsetShape() {
        return new int[] {roiCount, 2 * Math.max(1, numClasses), spec.partSize(), spec.partSize()};
    }

    int[] outputShape() {
        return new int[] {roiCount, spec.outputDim(), spec.pooledSize(), spec.pooledSize()};
    }

    /** input, rois, offset (null without), gradOutput. */
    float[][] operands() {
        Random r = new Random(seed);
        float[] in = new float[ConvCase.count(inputShape())];
        for (int i = 0; i < in.length; i++) in[i] = (float) (2 * r.nextDouble() - 1);
        float[] rois = new float[roiCount * 5];
        double imageW = width / spec.spatialScale(), imageH = height / spec.spatialScale();
        for (int i = 0; i < roiCount; i++) {
            // Batch index with a fraction (the kernel truncates); corners in and around the image.
            rois[i * 5] = (float) (r.nextInt(batch) + 0.9 * r.nextDouble());
            double x1 = (1.4 * r.nextDouble() - 0.2) * imageW, y1 = (1.4 * r.nextDouble() - 0.2) * imageH;
            double bw = (i % 7 == 3 ? -0.2 : 0.05 + 0.8 * r.nextDouble()) * imageW;  // some inverted RoIs
            double bh = (i % 5 == 2 ? 0.01 : 0.05 + 0.8 * r.nextDouble()) * imageH;  // some tiny ones
            rois[i * 5 + 1] = (float) x1;
            rois[i * 5 + 2] = (float) y1;
            rois[i * 5 + 3] = (float) (x1 + bw);
            rois[i * 5 + 4] = (float) (y1 + bh);
        }
        float[] off = null;
        if (offset) {
            off = new float[ConvCase.count(offsetShape())];
            for (int i = 0; i < off.length; i++) off[i] = (float) (2 * r.nextDouble() - 1);
        }
        float[] go = new float[ConvCase.count(outputShape())];
        for (int i = 0; i < go.length; i++) go[i] = (float) (2 * r.nextDouble() - 1);
        return new float[][] {in, rois, off, go};
    }

    private Tensor tensor(Backend b, int[] shape, float[] v) {
        if (v == null) return null;
        if (b.nativeDType() == DType.F64) {
            double[] d = new double[v.length];
            for (int i = 0; i < d.length; i++) d[i] = v[i];
            return b.tensor(DType.F64, shape, d);
        }
        return b.tensor(DType.F32, shape, v);
    }

    /** {@code [output, gradInput, gradOffset]} (gradOffset null without offset). */
    double[][] results(Backend b) {
        float[][] v = operands();
        try (Tensor in = tensor(b, inputShape(), v[0]);
             Tensor rois = tensor(b, new int[] {roiCount, 5}, v[1]);
             Tensor off = tensor(b, offsetShape(), v[2]);
             Tensor go = tensor(b, outputShape(), v[3]);
             Tensor out = b.deformPsRoiPool(spec, in, rois, off);
             DeformPsRoiPoolGradients g = b.deformPsRoiPoolBackward(spec, go, in, rois, off,
                     EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
            return new double[][] {out.toDoubleArray(), g.input().toDoubleArray(),
                    g.offset() == null ? null : g.offset().toDoubleArray()};
        }
    }

    @Override
    public String toString() {
        return name + " N=" + batch + " " + spec + " H,W=" + height + "," + width + " R=" + roiCount
                + (offset ? " classes=" + numClasses : " no_trans");
    }
}
