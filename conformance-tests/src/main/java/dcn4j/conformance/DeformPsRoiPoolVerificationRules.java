package dcn4j.conformance;

import dcn4j.DType;

/**
 * The rules of the conformance suite for deformable position-sensitive RoI pooling (and, with group
 * size 1, deformable RoI pooling), each named after the DESIGN.md "Conformance suite" property it
 * checks ({@code ruleN_...}).
 */
public interface DeformPsRoiPoolVerificationRules {

    /** 1. Forward within {@code 1e-5} of the reference, no NaN where it has none. */
    void rule1_forwardMatchesReference(RoiPoolCase c);

    /** 2. Input and offset gradients within {@code 1e-4} of the reference's. */
    void rule2_backwardMatchesReference(RoiPoolCase c);

    /** 3. The reference's gradients equal central finite differences in F64 (away from cell edges, skips and clamps). */
    void rule3_referenceGradientsMatchFiniteDifferences(RoiPoolCase c);

    /** 4. Position-sensitive pooling equals group-size-1 (plain deformable RoI) pooling of the selected channels. */
    void rule4_groupSizeOneIsDeformableRoiPooling(RoiPoolCase c);

    /** 4. A zero offset equals {@code no_trans} (no offset), forward and input gradient. */
    void rule4_zeroOffsetEqualsNoTrans(RoiPoolCase c);

    /** 4. The output is linear in the input. */
    void rule4_linearInInput(RoiPoolCase c);

    /** 5. {@code ⟨J v, u⟩ = ⟨v, Jᵀ u⟩} for the input. */
    void rule5_adjointOfBackwardMatchesForward(RoiPoolCase c);

    /** 6. Every documented error is an {@link IllegalArgumentException} naming the argument; nothing is written. */
    void rule6_badInputIsRejectedNamingTheArgument(RoiPoolCase c);

    /** 7. Repeated calls and 4 concurrent threads give bit-identical outputs and gradients. */
    void rule7_repeatedAndConcurrentCallsAreBitIdentical(RoiPoolCase c) throws Exception;

    /** 8. Every {@code deform_psroi_pool} case directory of the case folder matches its expected arrays. */
    void rule8_caseDirectoriesReplay() throws Exception;

    /**
     * 12. F16 and BF16 tensors (RoIs included): forward and gradients come back in the inputs' dtype
     * and match the reference on the same 16-bit values within the bound of DESIGN.md "16-bit tensors".
     */
    void pool12_sixteenBitResultsMatchReferenceWithinRounding(RoiPoolCase c, DType dtype);
}
