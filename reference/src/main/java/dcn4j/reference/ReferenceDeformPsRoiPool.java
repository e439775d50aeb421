package dcn4j.reference;

import dcn4j.spi.DeformPsRoiPoolShape;

/** Deformable PS RoI pooling in float64 (issue 3): being written. */
final class ReferenceDeformPsRoiPool {

    private ReferenceDeformPsRoiPool() {
    }

    record Grads(double[] input, double[] offset) {
    }

    static double[] forward(DeformPsRoiPoolShape s, double[] input, double[] rois, double[] offset) {
        throw new IllegalStateException("deform_psroi_pool: not available in this build");
    }

    static Grads backward(DeformPsRoiPoolShape s, double[] gradOut, double[] input, double[] rois, double[] offset,
                          boolean wantInput, boolean wantOffset) {
        throw new IllegalStateException("deform_psroi_pool: not available in this build");
    }
}
