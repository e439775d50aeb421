package dcn4j.vector;

import dcn4j.Backends;
import dcn4j.conformance.DeformConv2dVerification;
import dcn4j.conformance.DeformPsRoiPoolVerification;
import dcn4j.spi.BackendProvider;
import net.jqwik.api.Group;

/**
 * The conformance suite (dcn4j-conformance) applied to the vector backend, found by name through
 * {@link java.util.ServiceLoader} as users find it. Tries and seed: {@code -Ddcn4j.conformance.tries},
 * {@code -Ddcn4j.conformance.seed}.
 */
class VectorConformanceTest {

    private static BackendProvider vector() {
        return Backends.provider("vector");
    }

    @Group
    class DeformConv2d extends DeformConv2dVerification {
        @Override
        protected BackendProvider provider() {
            return vector();
        }
    }

    @Group
    class DeformPsRoiPool extends DeformPsRoiPoolVerification {
        @Override
        protected BackendProvider provider() {
            return vector();
        }
    }
}
