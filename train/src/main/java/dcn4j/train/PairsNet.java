package dcn4j.train;

import dcn4j.Backend;
import dcn4j.DeformConv2dSpec;
import dcn4j.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The network of {@code dcn4j train}, in its plain and deformable forms:
 * <pre>
 *   conv1 3x3/2, 1->8, ReLU     [32x32 -> 16x16]
 *   conv2 3x3,   8->16, ReLU    (deformable in the deformable form)
 *   conv3 3x3,  16->16, ReLU    (deformable in the deformable form)
 *   max and mean over the interior units (32 values), fc 32->4, softmax
 * </pre>
 * The plain form's receptive field at conv3 is 11 input pixels. The head reads both the maximum
 * (a pattern anywhere in the image: quick to learn) and the mean (every unit gets a gradient, so
 * the offsets of units away from the strongest one learn too) of each conv3 channel. As in the paper (section 3,
 * "deformable convolution is applied in the last few conv layers"), only the last two
 * convolutions become deformable. Both forms draw their weights from the same seeded sequence in
 * the same order (the offset branches start at zero and draw nothing), so at step 0 they compute
 * the same function.
 */
final class PairsNet {

    static final int C1 = 8;
    static final int C2 = 16;
    static final int C3 = 16;
    /** conv1's stride: feature-map coordinate {@code q} is input pixel {@code STRIDE * q}. */
    static final int STRIDE = 2;
    static final int FEATURE = PairsDataset.SIZE / STRIDE;
    /**
     * The poolings read only the conv3 units whose plain receptive field (11 pixels, 5 either
     * side of input pixel {@code STRIDE * unit}) lies inside the image, {@code [POOL_LO, POOL_HI)}
     * per axis: no pooled plain unit sees the zero padding, so neither form can read an object's
     * position from the image border (a large pair lies close to the borders it is parallel to, a
     * shortcut that would tell its direction).
     */
    static final int POOL_LO = 3;
    static final int POOL_HI = (PairsDataset.SIZE - 1 - 5) / STRIDE + 1;

    private final Backend backend;
    private final boolean deformable;
    private final Conv2d conv1;
    private final Layer conv2;
    private final Layer conv3;
    private final Linear fc;

    private Tensor x;
    private Tensor t1;
    private Tensor t2;
    private double[] h1;
    private double[] h2;
    private double[] h3;
    private int batch;
    private int[] argmax;

    PairsNet(Backend backend, boolean deformable, long seed, double offsetLrMultiplier) {
        this.backend = backend;
        this.deformable = deformable;
        Random rng = new Random(seed);
        DeformConv2dSpec same = DeformConv2dSpec.defaults().withPadding(1, 1);
        conv1 = new Conv2d(backend, "conv1", 1, C1, 3, same.withStride(STRIDE, STRIDE), rng);
        conv2 = deformable
                ? new DeformableConv2d(backend, "conv2", C1, C2, 3, same, false, offsetLrMultiplier, rng)
                : new Conv2d(backend, "conv2", C1, C2, 3, same, rng);
        conv3 = deformable
                ? new DeformableConv2d(backend, "conv3", C2, C3, 3, same, false, offsetLrMultiplier, rng)
                : new Conv2d(backend, "conv3", C2, C3, 3, same, rng);
        fc = new Linear("fc", 2 * C3, PairsDataset.CLASSES, 1.0, rng);
    }

    boolean deformable() {
        return deformable;
    }

    /** Logits {@code [n, CLASSES]} for {@code n} images of {@code SIZE x SIZE}. */
    double[] forward(double[] images, int n) {
        release();
        batch = n;
        int s = PairsDataset.SIZE;
        // The layers' inputs stay open until the next forward: each layer's backward reads its input.
        x = backend.tensor(new int[] {n, 1, s, s}, images);
        h1 = reluOf(conv1.forward(x));
        t1 = backend.tensor(new int[] {n, C1, FEATURE, FEATURE}, h1);
        h2 = reluOf(conv2.forward(t1));
        t2 = backend.tensor(new int[] {n, C2, FEATURE, FEATURE}, h2);
        h3 = reluOf(conv3.forward(t2));
        argmax = new int[n * C3];
        double[] max = HostOps.maxPool(h3, n, C3, FEATURE, POOL_LO, POOL_HI, argmax);
        double[] mean = HostOps.averagePool(h3, n, C3, FEATURE, POOL_LO, POOL_HI);
        double[] pooled = new double[n * 2 * C3];
        for (int i = 0; i < n; i++) {
            System.arraycopy(max, i * C3, pooled, 2 * i * C3, C3);
            System.arraycopy(mean, i * C3, pooled, 2 * i * C3 + C3, C3);
        }
        return fc.forward(pooled, n);
    }

    private void release() {
        for (Tensor t : new Tensor[] {x, t1, t2}) {
            if (t != null) t.close();
        }
        x = t1 = t2 = null;
    }

    /** Back-propagates the logits' gradient, adding to every parameter's gradient. */
    void backward(double[] gradLogits) {
        double[] gp = fc.backward(gradLogits);
        double[] gMax = new double[batch * C3], gMean = new double[batch * C3];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(gp, 2 * i * C3, gMax, i * C3, C3);
            System.arraycopy(gp, 2 * i * C3 + C3, gMean, i * C3, C3);
        }
        double[] g = HostOps.maxPoolBackward(gMax, argmax, batch, C3, FEATURE);
        double[] g2 = HostOps.averagePoolBackward(gMean, batch, C3, FEATURE, POOL_LO, POOL_HI);
        for (int i = 0; i < g.length; i++) g[i] += g2[i];
        g = HostOps.reluBackward(g, h3);
        g = backwardThrough(conv3, g, new int[] {batch, C3, FEATURE, FEATURE});
        g = HostOps.reluBackward(g, h2);
        g = backwardThrough(conv2, g, new int[] {batch, C2, FEATURE, FEATURE});
        g = HostOps.reluBackward(g, h1);
        try (Tensor gt = backend.tensor(new int[] {batch, C1, FEATURE, FEATURE}, g)) {
            conv1.backward(gt).close();
        }
    }

    private double[] backwardThrough(Layer layer, double[] grad, int[] shape) {
        try (Tensor gt = backend.tensor(shape, grad); Tensor gin = layer.backward(gt)) {
            return gin.toDoubleArray();
        }
    }

    private static double[] reluOf(Tensor t) {
        try (t) {
            return HostOps.relu(t.toDoubleArray());
        }
    }

    List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        all.addAll(conv1.parameters());
        all.addAll(conv2.parameters());
        all.addAll(conv3.parameters());
        all.addAll(fc.parameters());
        return all;
    }

    /** The deformable conv2 and conv3 (only in the deformable form). */
    DeformableConv2d deformableConv2() {
        return (DeformableConv2d) conv2;
    }

    DeformableConv2d deformableConv3() {
        return (DeformableConv2d) conv3;
    }
}
