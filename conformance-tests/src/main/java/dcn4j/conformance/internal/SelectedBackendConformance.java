package dcn4j.conformance.internal;

import dcn4j.BackendOptions;
import dcn4j.conformance.ConformanceRunner;
import dcn4j.conformance.DeformConv2dVerification;
import dcn4j.conformance.DeformPsRoiPoolVerification;
import dcn4j.spi.BackendProvider;
import net.jqwik.api.Group;

/**
 * The whole suite (both operators) on one backend chosen at run time: what {@link ConformanceRunner}
 * launches. Outside the runner, {@code -Ddcn4j.conformance.backend=NAME} and
 * {@code -Ddcn4j.conformance.device=I} choose the backend.
 */
public class SelectedBackendConformance {

    /** Deformable convolution on the selected backend. */
    @Group
    public class DeformConv2d extends DeformConv2dVerification {
        @Override
        protected BackendProvider provider() {
            return SelectedBackend.provider();
        }

        @Override
        protected BackendOptions options() {
            return SelectedBackend.options();
        }
    }

    /** Deformable PS RoI pooling on the selected backend. */
    @Group
    public class DeformPsRoiPool extends DeformPsRoiPoolVerification {
        @Override
        protected BackendProvider provider() {
            return SelectedBackend.provider();
        }

        @Override
        protected BackendOptions options() {
            return SelectedBackend.options();
        }
    }
}
