package dcn4j;

/**
 * The hyper-parameters of deformable position-sensitive RoI pooling (paper section 2.2, eq. 5-7;
 * DESIGN.md "Deformable PS RoI pooling"), named as in the official MXNet operator.
 * {@code groupSize == 1} with {@code outputDim == C} is the paper's plain deformable RoI pooling.
 *
 * @param spatialScale  image-to-feature-map scale (e.g. 1/16), finite and {@code > 0}
 * @param outputDim     output channels per RoI, {@code >= 1}
 * @param groupSize     position-sensitive score map grid ({@code k} of R-FCN), {@code >= 1}
 * @param pooledSize    output bins per side, {@code >= 1}
 * @param partSize      offset grid per side, {@code >= 1}
 * @param samplePerPart samples per bin per side, {@code >= 1}
 * @param transStd      scale of the normalised offsets (gamma of eq. 7), finite
 */
public record DeformPsRoiPoolSpec(double spatialScale, int outputDim, int groupSize, int pooledSize,
                                  int partSize, int samplePerPart, double transStd) {

    public DeformPsRoiPoolSpec {
        if (!(spatialScale > 0) || Double.isInfinite(spatialScale)) {
            throw new IllegalArgumentException("spatialScale: expected finite > 0, got " + spatialScale);
        }
        atLeastOne("outputDim", outputDim);
        atLeastOne("groupSize", groupSize);
        atLeastOne("pooledSize", pooledSize);
        atLeastOne("partSize", partSize);
        atLeastOne("samplePerPart", samplePerPart);
        if (!Double.isFinite(transStd)) {
            throw new IllegalArgumentException("transStd: expected finite, got " + transStd);
        }
        // inputChannels() must not overflow, or a wrapped value could match a real channel count.
        long channels = (long) outputDim * groupSize * groupSize;
        if (channels > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("outputDim*groupSize^2: expected at most " + Integer.MAX_VALUE
                    + ", got " + outputDim + "*" + groupSize + "^2 = " + channels);
        }
    }

    /** Channels the input must have: {@code outputDim * groupSize^2}. */
    public int inputChannels() {
        return outputDim * groupSize * groupSize;
    }

    private static void atLeastOne(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": expected >= 1, got " + value);
        }
    }
}
