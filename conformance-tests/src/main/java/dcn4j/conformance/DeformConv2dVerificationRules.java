package dcn4j.conformance;

/**
 * The rules of the conformance suite for deformable convolution (v1, and modulated v2 with a mask),
 * each named after the DESIGN.md "Conformance suite" property it checks ({@code ruleN_...}).
 * "Backend" is the backend under test, "reference" the float64 reference backend; F32 backends
 * compute on the same float values the reference computes on in F64.
 */
public interface DeformConv2dVerificationRules {

    /** 1. Forward: {@code ‖out − ref‖/‖ref‖ ≤ 1e-5}, no NaN where the reference has none. */
    void conv01_forwardMatchesReference(ConvCase c);

    /** 2. Backward: every gradient (input, offset, mask, weight, bias) within {@code 1e-4} of the reference's. */
    void conv02_backwardMatchesReference(ConvCase c);

    /** 3. The reference's gradients equal central finite differences of its forward in F64 (away from kinks). */
    void conv03_referenceGradientsMatchFiniteDifferences(ConvCase c);

    /** 4. Zero offsets, and no offset, give the plain convolution of an independent EJML dense convolution. */
    void conv04_zeroOffsetsEqualPlainConvolution(ConvCase c);

    /** 4. Integer offsets constant over the image give the dense convolution of the correspondingly shifted kernel taps. */
    void conv05_integerOffsetsEqualShiftedConvolution(ConvCase c);

    /** 4. A mask of ones gives the unmodulated result, forward and backward. */
    void conv06_maskOfOnesEqualsNoMask(ConvCase c);

    /** 4. The output is linear in the input and, separately, in the weight. */
    void conv07_linearInInputAndWeight(ConvCase c);

    /** 5. {@code ⟨J v, u⟩ = ⟨v, Jᵀ u⟩} for the input, weight, mask and bias, J from the forward, Jᵀ from the backward. */
    void conv08_adjointOfBackwardMatchesForward(ConvCase c);

    /** 6. Every documented error is an {@link IllegalArgumentException} naming the argument; nothing is written. */
    void conv09_badInputIsRejectedNamingTheArgument(ConvCase c);

    /** 7. Repeated calls and 4 concurrent threads give bit-identical outputs and gradients. */
    void conv10_repeatedAndConcurrentCallsAreBitIdentical(ConvCase c) throws Exception;

    /** 8. Every {@code deform_conv2d} case directory of the case folder matches its expected arrays. */
    void conv11_caseDirectoriesReplay() throws Exception;
}
