package dcn4j.train;

import java.util.Random;

/** Weight initialisation. {@link Random} is used because its sequence is specified by the JDK: same seed, same weights. */
final class Init {

    private Init() {
    }

    /** Normal with standard deviation {@code sqrt(2 / fanIn)} (He et al. 2015), fan-in = elements per output row. */
    static void heNormal(Parameter p, Random rng) {
        int fanIn = p.size() / p.shape()[0];
        double std = Math.sqrt(2.0 / fanIn);
        double[] w = p.value();
        for (int i = 0; i < w.length; i++) w[i] = std * rng.nextGaussian();
    }
}
