package dcn4j.opencl;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Tensor;
import java.util.Random;

/** One deformable PS RoI pooling call with seeded float32 data, runnable on any backend. */
record PoolCase(String name, int n, int h, int w, DeformPsRoiPoolSpec spec, float[] rois, int numClasses,
                boolean offset, double offsetScale, long seed) {

    int roiCount() {
        return rois.length / 5;
    }

    int[] inputShape() {
        return new int[] {n, spec.inputChannels(), h, w};
    }

    int[] offsetShape() {
        return new int[] {roiCount(), 2 * numClasses, spec.partSize(), spec.partSize()};
    }

    int[] outputShape() {
        return new int[] {roiCount(), spec.outputDim(), spec.pooledSize(), spec.pooledSize()};
    }

    /** input, rois, offset (or null), gradOutput. */
    float[][] data() {
        Random r = new Random(seed);
        float[] in = new float[n * spec.inputChannels() * h * w];
        for (int i = 0; i < in.length; i++) in[i] = (float) r.nextGaussian();
        float[] off = null;
        if (offset) {
            off = new float[roiCount() * 2 * numClasses * spec.partSize() * spec.partSize()];
            for (int i = 0; i < off.length; i++) off[i] = (float) (r.nextGaussian() * offsetScale);
        }
        float[] go = new float[roiCount() * spec.outputDim() * spec.pooledSize() * spec.pooledSize()];
        for (int i = 0; i < go.length; i++) go[i] = (float) r.nextGaussian();
        return new float[][] {in, rois.clone(), off, go};
    }

    Tensor[] tensors(Backend b, float[][] d) {
        int[][] shapes = {inputShape(), new int[] {roiCount(), 5}, offsetShape(), outputShape()};
        Tensor[] t = new Tensor[4];
        for (int i = 0; i < 4; i++) t[i] = d[i] == null ? null : b.tensor(DType.F32, shapes[i], d[i]);
        return t;
    }

    /** {@code count} random RoIs over an image of {@code imageH x imageW} (image coordinates), some past the border. */
    static float[] randomRois(Random r, int count, int batch, double imageH, double imageW) {
        float[] f = new float[count * 5];
        for (int i = 0; i < count; i++) {
            double x1 = r.nextDouble() * imageW * 1.2 - imageW * 0.1;
            double y1 = r.nextDouble() * imageH * 1.2 - imageH * 0.1;
            double x2 = x1 + r.nextDouble() * imageW * 0.8;
            double y2 = y1 + r.nextDouble() * imageH * 0.8;
            f[i * 5] = (float) (r.nextInt(batch) + r.nextDouble() * 0.99);
            f[i * 5 + 1] = (float) x1;
            f[i * 5 + 2] = (float) y1;
            f[i * 5 + 3] = (float) x2;
            f[i * 5 + 4] = (float) y2;
        }
        return f;
    }

    @Override
    public String toString() {
        return name + " [N=" + n + " H=" + h + " W=" + w + " " + spec + " R=" + roiCount() + " classes=" + numClasses
                + " offset=" + offset + " seed=" + seed + "]";
    }
}
