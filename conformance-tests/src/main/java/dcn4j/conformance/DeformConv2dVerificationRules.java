package dcn4j.conformance;

import dcn4j.DType;

/**
 * The rules of the conformance suite for deformable convolution (v1, and modulated v2 with a mask),
 * each named after the DESIGN.md "Conformance suite" property it checks ({@code ruleN_...}).
 * "Backend" is the backend under test, "reference" the float64 reference backend; F32 backends
 * compute on the same float values the reference computes on in F64.
 */
public interface DeformConv2dVerificationRules {

    /** 1. Forward: {@code ‖out − ref‖/‖ref‖ ≤ 1e-5}, no NaN where the reference has none. */
    void rule1_forwardMatchesReference(ConvCase c);

    /** 2. Backward: every gradient (input, offset, mask, weight, bias) within {@code 1e-4} of the reference's. */
    void rule2_backwardMatchesReference(ConvCase c);

    /** 3. The reference's gradients equal central finite differences of its forward in F64 (away from kinks). */
    void rule3_referenceGradientsMatchFiniteDifferences(ConvCase c);

    /** 4. Zero offsets, and no offset, give the plain convolution of an independent EJML dense convolution. */
    void rule4_zeroOffsetsEqualPlainConvolution(ConvCase c);

    /** 4. Integer offsets constant over the image give the dense convolution of the correspondingly shifted kernel taps. */
    void rule4_integerOffsetsEqualShiftedConvolution(ConvCase c);

    /** 4. A mask of ones gives the unmodulated result, forward and backward. */
    void rule4_maskOfOnesEqualsNoMask(ConvCase c);

    /** 4. The output is linear in the input and, separately, in the weight. */
    void rule4_linearInInputAndWeight(ConvCase c);

    /** 5. {@code ⟨J v, u⟩ = ⟨v, Jᵀ u⟩} for the input, weight, mask and bias, J from the forward, Jᵀ from the backward. */
    void rule5_adjointOfBackwardMatchesForward(ConvCase c);

    /** 6. Every documented error is an {@link IllegalArgumentException} naming the argument; nothing is written. */
    void rule6_badInputIsRejectedNamingTheArgument(ConvCase c);

    /** 7. Repeated calls and 4 concurrent threads give bit-identical outputs and gradients. */
    void rule7_repeatedAndConcurrentCallsAreBitIdentical(ConvCase c) throws Exception;

    /** 8. Every {@code deform_conv2d} case directory of the case folder matches its expected arrays. */
    void rule8_caseDirectoriesReplay() throws Exception;

    /**
     * 13. F16 and BF16 tensors: forward and every gradient come back in the inputs' dtype and match the
     * reference on the same 16-bit values, widened exactly, within the bound derived from one final
     * rounding plus float32 accumulation (DESIGN.md "16-bit tensors").
     */
    void conv13_sixteenBitResultsMatchReferenceWithinRounding(ConvCase c, DType dtype);
}
