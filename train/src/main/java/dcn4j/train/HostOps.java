package dcn4j.train;

/**
 * The element-wise and reduction steps of the demonstration networks, on host arrays: plain and
 * explicit, since only the (deformable) convolutions and poolings are what dcn4j is about.
 */
final class HostOps {

    private HostOps() {
    }

    static double[] relu(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.max(0, x[i]);
        return y;
    }

    /** Gradient through ReLU: passes where the forward output was positive. */
    static double[] reluBackward(double[] gradOut, double[] output) {
        double[] g = new double[gradOut.length];
        for (int i = 0; i < g.length; i++) g[i] = output[i] > 0 ? gradOut[i] : 0;
        return g;
    }

    /**
     * Maximum over the positions {@code [lo, hi) x [lo, hi)} of each {@code side x side} plane:
     * {@code [N, C, side, side] -> [N, C]}; {@code argmax} receives the flat index of each maximum
     * (the first one on ties) for the backward.
     */
    static double[] maxPool(double[] x, int n, int c, int side, int lo, int hi, int[] argmax) {
        double[] y = new double[n * c];
        for (int i = 0; i < n * c; i++) {
            int best = (i * side + lo) * side + lo;
            for (int r = lo; r < hi; r++) {
                for (int q = lo; q < hi; q++) {
                    int at = (i * side + r) * side + q;
                    if (x[at] > x[best]) best = at;
                }
            }
            argmax[i] = best;
            y[i] = x[best];
        }
        return y;
    }

    /** The gradient of {@link #maxPool}: each output's gradient goes to its maximum. */
    static double[] maxPoolBackward(double[] gy, int[] argmax, int n, int c, int side) {
        double[] g = new double[n * c * side * side];
        for (int i = 0; i < n * c; i++) g[argmax[i]] += gy[i];
        return g;
    }

    /**
     * Mean over the positions {@code [lo, hi) x [lo, hi)} of each {@code side x side} plane:
     * {@code [N, C, side, side] -> [N, C]}.
     */
    static double[] averagePool(double[] x, int n, int c, int side, int lo, int hi) {
        double[] y = new double[n * c];
        int count = (hi - lo) * (hi - lo);
        for (int i = 0; i < n * c; i++) {
            double s = 0;
            for (int r = lo; r < hi; r++) {
                for (int q = lo; q < hi; q++) s += x[(i * side + r) * side + q];
            }
            y[i] = s / count;
        }
        return y;
    }

    static double[] averagePoolBackward(double[] gy, int n, int c, int side, int lo, int hi) {
        double[] g = new double[n * c * side * side];
        int count = (hi - lo) * (hi - lo);
        for (int i = 0; i < n * c; i++) {
            for (int r = lo; r < hi; r++) {
                for (int q = lo; q < hi; q++) g[(i * side + r) * side + q] = gy[i] / count;
            }
        }
        return g;
    }

    /** Row-wise softmax of {@code [rows, classes]} logits, shifted by the row maximum for stability. */
    static double[] softmax(double[] logits, int rows, int classes) {
        double[] p = new double[logits.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) max = Math.max(max, logits[r * classes + k]);
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += p[r * classes + k] = Math.exp(logits[r * classes + k] - max);
            for (int k = 0; k < classes; k++) p[r * classes + k] /= sum;
        }
        return p;
    }

    /** Mean cross-entropy of softmax probabilities {@code p} against {@code labels}. */
    static double crossEntropy(double[] p, int[] labels, int classes) {
        double loss = 0;
        for (int r = 0; r < labels.length; r++) loss -= Math.log(Math.max(p[r * classes + labels[r]], 1e-300));
        return loss / labels.length;
    }

    /** Gradient of the mean cross-entropy with respect to the logits: {@code (p - onehot) / rows}. */
    static double[] crossEntropyBackward(double[] p, int[] labels, int classes) {
        double[] g = p.clone();
        for (int r = 0; r < labels.length; r++) g[r * classes + labels[r]] -= 1;
        for (int i = 0; i < g.length; i++) g[i] /= labels.length;
        return g;
    }

    static int argmax(double[] v, int from, int count) {
        int best = 0;
        for (int k = 1; k < count; k++) if (v[from + k] > v[from + best]) best = k;
        return best;
    }
}
