package dcn4j.train;

/**
 * The paper's effective dilation (section 4, Table 2): for one activation unit of a deformable
 * layer, the mean distance between the sampling locations of adjacent kernel points
 * (horizontally and vertically adjacent in the k x k grid: {@code 2k(k-1)} pairs), "a rough
 * measure of the size of the receptive field of the filter". A plain 3x3 convolution with
 * dilation d has effective dilation d.
 */
final class EffectiveDilation {

    private EffectiveDilation() {
    }

    /**
     * Sampling locations of unit {@code (y, x)} of batch item {@code n}, relative to the unit
     * ({@code [k*k][2]} as (dy, dx), in feature-map pixels): the regular grid of eq. 1 moved by the
     * offsets of eq. 2, offset layout {@code [N, 2*k*k, Ho, Wo]} (one offset group).
     */
    static double[][] samplingPoints(double[] offsets, int n, int k, int dilation, int ho, int wo, int y, int x) {
        double[][] p = new double[k * k][2];
        int channels = 2 * k * k;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                int kk = i * k + j;
                double dy = offsets[((n * channels + 2 * kk) * ho + y) * wo + x];
                double dx = offsets[((n * channels + 2 * kk + 1) * ho + y) * wo + x];
                p[kk][0] = (i - (k - 1) / 2.0) * dilation + dy;
                p[kk][1] = (j - (k - 1) / 2.0) * dilation + dx;
            }
        }
        return p;
    }

    /** Mean distance between the sampling locations of adjacent kernel points of {@code points} ({@code k*k}). */
    static double of(double[][] points, int k) {
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double[] p = points[i * k + j];
                if (j + 1 < k) {
                    double[] q = points[i * k + j + 1];
                    sum += Math.hypot(p[0] - q[0], p[1] - q[1]);
                    pairs++;
                }
                if (i + 1 < k) {
                    double[] q = points[(i + 1) * k + j];
                    sum += Math.hypot(p[0] - q[0], p[1] - q[1]);
                    pairs++;
                }
            }
        }
        return sum / pairs;
    }
}
