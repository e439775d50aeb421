package dcn4j.train;

import dcn4j.Backend;
import dcn4j.Tensor;
import java.util.Arrays;

/**
 * A trainable array of a layer: its values and accumulated gradient live on the host (the layers
 * upload them to the backend on each forward), together with the paper's learning-rate multiplier
 * beta (section 2.3: the offset branches learn at {@code beta} times the rate of the other layers).
 */
public final class Parameter {

    private final String name;
    private final int[] shape;
    private final double[] value;
    private final double[] grad;
    private final double learningRateMultiplier;

    Parameter(String name, int[] shape, double learningRateMultiplier) {
        if (!(learningRateMultiplier >= 0) || Double.isInfinite(learningRateMultiplier)) {
            throw new IllegalArgumentException("learningRateMultiplier: expected finite >= 0, got "
                    + learningRateMultiplier);
        }
        long n = 1;
        for (int d : shape) n *= d;
        this.name = name;
        this.shape = shape.clone();
        this.value = new double[Math.toIntExact(n)];
        this.grad = new double[value.length];
        this.learningRateMultiplier = learningRateMultiplier;
    }

    /** The name, e.g. {@code "conv3.offset.weight"}. */
    public String name() {
        return name;
    }

    /** The shape (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    /** The number of elements. */
    public int size() {
        return value.length;
    }

    /** The live values (row-major); {@link Sgd} updates them in place, a caller may set them. */
    public double[] value() {
        return value;
    }

    /** The live gradient accumulated by the backward passes since the last {@link #zeroGrad()}. */
    public double[] grad() {
        return grad;
    }

    /** beta: this parameter learns at {@code beta} times the optimiser's learning rate. */
    public double learningRateMultiplier() {
        return learningRateMultiplier;
    }

    /** Sets the gradient to zero. */
    public void zeroGrad() {
        Arrays.fill(grad, 0);
    }

    void accumulate(double[] g) {
        for (int i = 0; i < grad.length; i++) grad[i] += g[i];
    }

    /** Adds the gradient held by {@code g} (a backend tensor, read back to the host) and closes it. */
    void accumulate(Tensor g) {
        accumulate(g.toDoubleArray());
        g.close();
    }

    /** The values as a tensor of {@code backend}'s native type. */
    Tensor upload(Backend backend) {
        return backend.tensor(shape, value);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
