package dcn4j.conformance;

import dcn4j.reference.ReferenceProvider;
import dcn4j.spi.BackendProvider;
import net.jqwik.api.Group;

/**
 * Applies the conformance suite to the reference backend itself (its module cannot depend on the
 * suite). F64 against F64: properties 1 and 2 are trivially met but still run; the identities,
 * finite differences, adjoint, bad input, determinism and case replay are real checks of the oracle.
 */
class ReferenceConformanceTest {

    @Group
    class DeformConv2d extends DeformConv2dVerification {
        @Override
        protected BackendProvider provider() {
            return new ReferenceProvider();
        }
    }

    @Group
    class DeformPsRoiPool extends DeformPsRoiPoolVerification {
        @Override
        protected BackendProvider provider() {
            return new ReferenceProvider();
        }
    }
}
