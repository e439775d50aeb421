package dcn4j.conformance;

import dcn4j.DType;

/**
 * The rules of the conformance suite for deformable convolution (v1, and modulated v2 with a mask),
 * each with a unique id {@code convNN} and named for the law it checks (DESIGN.md "Conformance
 * suite"). "Backend" is the backend under test, "reference" the float64 reference backend; F32
 * backends compute on the same float values the reference computes on in F64. Each rule lists the
 * operations it needs ({@link Requires}); a backend that does not declare them gets "not supported"
 * for it. Each rule's documentation ends with what to check first when it fails.
 */
public interface DeformConv2dVerificationRules {

    /**
     * conv01. Forward: {@code ‖out − ref‖/‖ref‖ ≤ 1e-5} (the denominator floored at 1/32 of the
     * magnitudes {@code ‖Σ|terms|‖}), no NaN where the reference has none. Needs the forward.
     *
     * <p>If this fails, check: the offset channel order ({@code 2k} is dy, {@code 2k+1} is dx); the
     * offset group of a channel ({@code c / (C/offsetGroups)}, not from the weight group); the
     * border test ({@code p <= -1 || p >= H} reads nothing; a sample with {@code -1 < p < 0} blends
     * row 0 with a zero row outside, it is not skipped); the mask index ({@code og*kh*kw + k}); channel
     * indexing with groups ({@code weight[o, c - g*C/groups]}); dilation applied to the kernel tap
     * before the offset.
     */
    void conv01_forwardMatchesReference(ConvCase c);

    /**
     * conv02. Backward: every gradient (input, offset, mask, weight, bias) within {@code 1e-4} of the
     * reference's. Needs the backward.
     *
     * <p>If this fails, check, by the gradient the message names: offset wrong only at integer
     * positions: the derivative there is the right derivative (cell {@code [floor(p), floor(p)+1]});
     * offset wrong with a mask: multiply by the mask; input: the four corners scattered with the
     * same bilinear weights and skipped outside the image; weight or bias: the sum over every batch
     * item (and, with threads, a race on a shared accumulator); mask: the sampled value times the
     * weight, not times the mask.
     */
    void conv02_backwardMatchesReference(ConvCase c);

    /**
     * conv03. The reference's gradients equal central finite differences of its forward in F64
     * (samples kept away from cell edges, where the function has kinks). Checks the oracle itself, so
     * it needs the backward of the backend under test only to be meaningful for it.
     *
     * <p>If this fails on the reference, the reference is wrong: a finite-difference step that
     * crossed a kink (left out by design; a failure names the gradient) or a changed derivative.
     */
    void conv03_referenceGradientsMatchFiniteDifferences(ConvCase c);

    /**
     * conv04. Zero offsets, and no offset, give the plain convolution of an independent dense
     * convolution (EJML): deformable convolution generalises (atrous) convolution. Needs the forward.
     *
     * <p>If this fails, check: padding and dilation of the undeformed grid
     * ({@code y*stride − pad + i*dilation}); the no-offset path (must equal zero offsets bit for bit
     * in spirit); groups: which input channels feed which output channel.
     */
    void conv04_zeroOffsetsEqualPlainConvolution(ConvCase c);

    /**
     * conv05. Integer offsets constant over the image give the dense convolution of the
     * correspondingly shifted kernel taps. Needs the forward.
     *
     * <p>If this fails while conv04 passes, check: integer sampling positions (bilinear weights
     * {@code (1, 0, 0, 0)}: no off-by-one in {@code floor}); the offset group of each channel; taps
     * shifted past the border ({@code p = -1} and {@code p = H} read nothing).
     */
    void conv05_integerOffsetsEqualShiftedConvolution(ConvCase c);

    /**
     * conv06. A mask of ones gives the unmodulated result, forward and, when the backend declares
     * it, backward. Needs the forward.
     *
     * <p>If this fails, check: that the mask multiplies the sampled value once (not the weight, not
     * twice); the mask index {@code og*kh*kw + k}; in the backward, the offset gradient multiplied by
     * the mask.
     */
    void conv06_maskOfOnesEqualsNoMask(ConvCase c);

    /**
     * conv07. The output is linear in the input and, separately, in the weight. Needs the forward.
     *
     * <p>If this fails, check: state kept between calls (a workspace not cleared, an accumulator not
     * reset); the bias added more than once; reading an argument after it was released.
     */
    void conv07_linearInInputAndWeight(ConvCase c);

    /**
     * conv08. {@code ⟨J v, u⟩ = ⟨v, Jᵀ u⟩} for the input, weight, mask and bias, J from the forward,
     * Jᵀ from the backward: the backward is the transpose of the forward's linear parts. Needs the
     * forward and the backward.
     *
     * <p>If this fails while conv01 passes, the backward is not the transpose of the forward: check
     * the input gradient's scatter (same corners, same weights, same skip test as the forward) and
     * the index of the weight gradient ({@code [o, c − g*C/groups, i, j]}).
     */
    void conv08_adjointOfBackwardMatchesForward(ConvCase c);

    /**
     * conv09. Every documented error is an {@link IllegalArgumentException} whose message names the
     * argument and what was expected; the arguments are left unchanged. Backward calls are tried
     * when the backend declares the backward. Needs the forward.
     *
     * <p>If this fails, check: that the backend validates through {@code dcn4j.spi}
     * ({@code DeformConv2dShape.of}) before touching storage; that tensors of another backend are
     * rejected; the message format {@code "<argument>: expected ..., got ..."}.
     */
    void conv09_badInputIsRejectedNamingTheArgument(ConvCase c);

    /**
     * conv10. Repeated calls and {@value dcn4j.conformance.internal.Determinism#THREADS} concurrent
     * threads give bit-identical outputs (and gradients, when the backend declares the backward).
     * Needs the forward. {@link Stochastic}: a race shows only when threads interleave, so a pass is
     * evidence, not proof; a failure is always real.
     *
     * <p>If this fails, check: a shared accumulator summed by several workers without an order
     * (atomics or unsynchronised {@code +=}); reductions whose order depends on the thread count or
     * on scheduling; workspaces shared between concurrent calls.
     */
    void conv10_repeatedAndConcurrentCallsAreBitIdentical(ConvCase c) throws Exception;

    /**
     * conv11. Every {@code deform_conv2d} case directory of the case folder (CASE_FORMAT.md; by
     * default {@code cases/}, torchvision's float64 results) matches its expected arrays: outputs
     * within {@code 1e-5}, gradients within {@code 1e-4} (outputs only when the backend does not
     * declare the backward). Fails, rather than skips, when no case folder exists. Needs the forward.
     *
     * <p>If this fails on a case while conv01 passes, the case reaches what the generators do not:
     * read the failing case's {@code case.json} ({@code dcn4j eval CASE --backend NAME --out DIR}
     * prints every error) and compare its parameters with DESIGN.md "Semantics".
     */
    void conv11_caseDirectoriesReplay() throws Exception;

    /**
     * conv12. Non-finite values (DESIGN.md "Non-finite values"): with NaN, +∞ or −∞ sprinkled into any
     * argument, every output (and, when the backend declares the backward, gradient) element is NaN,
     * +∞, −∞ exactly where the reference's is, the finite ones within the tolerances of conv01-conv02.
     * Needs the forward.
     *
     * <p>If this fails, check: a NaN coordinate gives NaN (not 0: {@code NaN > -1} is false, so a
     * range test written as "inside" skips it); every corner is multiplied by its weight, a zero weight
     * included ({@code 0·∞ = NaN}); the mask multiplies the blended value, after the blend; no term of a
     * GEMM or reduction is skipped because it is zero; the input gradient reaches only corners of
     * non-zero bilinear weight.
     */
    void conv12_nonFiniteValuesPropagateAsInTheReference(ConvCase c);

    /**
     * conv13. F16 and BF16 tensors: forward and every gradient come back in the inputs' dtype, hold
     * only values of that dtype, and match the reference on the same 16-bit values widened exactly,
     * within {@code τ32 + u(1 + τ32) + h√n / D} (one final rounding plus the float32 budget, DESIGN.md
     * "16-bit tensors"). Needs the forward, the backward and both 16-bit dtypes.
     *
     * <p>If this fails, check: results returned as F32 or unrounded; the two formats confused when
     * converting (bf16 is the upper half of a float32, f16 has a 5-bit exponent); rounding to
     * nearest even (not truncation, not through another format first); 16-bit arithmetic or
     * accumulation instead of float32.
     */
    void conv13_sixteenBitResultsMatchReferenceWithinRounding(ConvCase c, DType dtype);
}
