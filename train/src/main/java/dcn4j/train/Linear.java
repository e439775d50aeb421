package dcn4j.train;

import java.util.List;
import java.util.Random;

/**
 * A fully connected layer on host arrays, {@code y[n] = W x[n] + b}: the classifier of the
 * demonstration networks and the offset head of {@link DeformableRoiPooling} (paper eq. 6, "fc").
 */
final class Linear {

    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;
    private double[] input;
    private int rows;

    /** He-normal weights from {@code rng}, or all-zero weights when {@code rng} is {@code null}; zero bias. */
    Linear(String name, int in, int out, double learningRateMultiplier, Random rng) {
        this.in = in;
        this.out = out;
        this.weight = new Parameter(name + ".weight", new int[] {out, in}, learningRateMultiplier);
        this.bias = new Parameter(name + ".bias", new int[] {out}, learningRateMultiplier);
        if (rng != null) Init.heNormal(weight, rng);
    }

    /** {@code x} holds {@code rows} rows of {@code in} values; returns {@code rows} rows of {@code out}. */
    double[] forward(double[] x, int rows) {
        if (x.length != rows * in) {
            throw new IllegalArgumentException("x: expected " + rows + "*" + in + " values, got " + x.length);
        }
        this.input = x;
        this.rows = rows;
        double[] w = weight.value(), b = bias.value(), y = new double[rows * out];
        for (int n = 0; n < rows; n++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) s += w[o * in + i] * x[n * in + i];
                y[n * out + o] = s;
            }
        }
        return y;
    }

    /** Adds the weight and bias gradients and returns the gradient of the last input. */
    double[] backward(double[] gy) {
        double[] w = weight.value(), gw = weight.grad(), gb = bias.grad(), gx = new double[rows * in];
        for (int n = 0; n < rows; n++) {
            for (int o = 0; o < out; o++) {
                double g = gy[n * out + o];
                gb[o] += g;
                for (int i = 0; i < in; i++) {
                    gw[o * in + i] += g * input[n * in + i];
                    gx[n * in + i] += g * w[o * in + i];
                }
            }
        }
        return gx;
    }

    List<Parameter> parameters() {
        return List.of(weight, bias);
    }
}
