package dcn4j.train;

import java.util.List;

/**
 * Plain stochastic gradient descent with momentum and weight decay, with the per-parameter
 * learning-rate multiplier of the paper (section 2.3, beta). For each parameter element:
 * <pre>
 *   g = grad * min(1, maxGradNorm / ||grad||)      (||grad||: over all parameters; optional)
 *   v = momentum * v + (g + weightDecay * w)
 *   w = w - learningRate * beta * v
 * </pre>
 * The optional clipping of the global gradient norm keeps one unlucky batch from throwing the
 * offsets far outside the image, where the sampling reads zeros and nothing learns any more. No
 * scheduler, no other rules: just enough to show the deformable layers learn.
 */
public final class Sgd {

    private final List<Parameter> parameters;
    private final double[][] velocity;
    private final double momentum;
    private final double weightDecay;
    private final double maxGradNorm;
    private double learningRate;
    private double lastGradNorm = Double.NaN;

    /**
     * @param parameters   what to update
     * @param learningRate base rate, finite {@code > 0}
     * @param momentum     in {@code [0, 1)}
     * @param weightDecay  L2 coefficient, finite {@code >= 0}
     */
    public Sgd(List<Parameter> parameters, double learningRate, double momentum, double weightDecay) {
        this(parameters, learningRate, momentum, weightDecay, Double.POSITIVE_INFINITY);
    }

    /**
     * As {@link #Sgd(List, double, double, double)}, with the gradient rescaled before each step so
     * that its norm over all parameters is at most {@code maxGradNorm} ({@code > 0}; infinity: never).
     */
    public Sgd(List<Parameter> parameters, double learningRate, double momentum, double weightDecay,
               double maxGradNorm) {
        if (!(maxGradNorm > 0)) {
            throw new IllegalArgumentException("maxGradNorm: expected > 0, got " + maxGradNorm);
        }
        if (parameters == null) throw new IllegalArgumentException("parameters: expected a list, got null");
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum: expected in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay: expected finite >= 0, got " + weightDecay);
        }
        setLearningRate(learningRate);
        this.parameters = List.copyOf(parameters);
        this.velocity = new double[this.parameters.size()][];
        for (int i = 0; i < velocity.length; i++) velocity[i] = new double[this.parameters.get(i).size()];
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.maxGradNorm = maxGradNorm;
    }

    /** The base learning rate. */
    public double learningRate() {
        return learningRate;
    }

    /** Changes the base learning rate (a step schedule is the caller's business). */
    public void setLearningRate(double learningRate) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate: expected finite > 0, got " + learningRate);
        }
        this.learningRate = learningRate;
    }

    /** Applies one update from the accumulated gradients (they are left as they are). */
    public void step() {
        double sq = 0;
        for (Parameter param : parameters) {
            for (double g : param.grad()) sq += g * g;
        }
        lastGradNorm = Math.sqrt(sq);
        double scale = lastGradNorm > maxGradNorm ? maxGradNorm / lastGradNorm : 1;
        for (int p = 0; p < velocity.length; p++) {
            Parameter param = parameters.get(p);
            double rate = learningRate * param.learningRateMultiplier();
            double[] w = param.value(), g = param.grad(), v = velocity[p];
            for (int i = 0; i < w.length; i++) {
                v[i] = momentum * v[i] + scale * g[i] + weightDecay * w[i];
                w[i] -= rate * v[i];
            }
        }
    }

    /** The global gradient norm seen by the last {@link #step()} (before clipping); NaN before the first. */
    public double lastGradientNorm() {
        return lastGradNorm;
    }

    /** Zeroes the gradients of every parameter. */
    public void zeroGrad() {
        for (Parameter p : parameters) p.zeroGrad();
    }
}
