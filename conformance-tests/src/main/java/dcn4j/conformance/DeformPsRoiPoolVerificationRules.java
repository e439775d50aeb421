package dcn4j.conformance;

import dcn4j.DType;

/**
 * The rules of the conformance suite for deformable position-sensitive RoI pooling (and, with group
 * size 1, deformable RoI pooling), each with a unique id {@code poolNN} and named for the law it
 * checks (DESIGN.md "Conformance suite"); semantics are the official MXNet
 * {@code DeformablePSROIPooling} kernel's. Each rule lists the operations it needs
 * ({@link Requires}) and ends with what to check first when it fails.
 */
public interface DeformPsRoiPoolVerificationRules {

    /**
     * pool01. Forward within {@code 1e-5} of the reference, no NaN where it has none, on cases an
     * F32 backend can be held to (no sample within float rounding of a skip, cell or clamp edge).
     * Needs the forward.
     *
     * <p>If this fails, check: RoI corners rounded half away from zero ({@code Math.rint} rounds
     * half to even), scaled, then shifted by −0.5 ({@code x2, y2} take +1 first); the 0.1 minimum
     * RoI size; the part cell {@code floor((double) ph / pooled * part)}; the score-map channel
     * {@code (ctop*g + gh)*g + gw}; the skip test {@code [-0.5, W-0.5]} before the clamp; the mean
     * over the samples taken (0 when none).
     */
    void pool01_forwardMatchesReference(RoiPoolCase c);

    /**
     * pool02. Input and offset gradients within {@code 1e-4} of the reference's. Needs the backward.
     *
     * <p>If this fails, check: the offset slope reads {@code ceil}, not {@code floor + 1} (they differ
     * at a clamped integer coordinate, where the slope must be 0); the factor
     * {@code transStd * roiSize}; the input gradient divided by the number of samples taken.
     */
    void pool02_backwardMatchesReference(RoiPoolCase c);

    /**
     * pool03. The reference's gradients equal central finite differences in F64 (away from cell
     * edges, skips and clamps). Checks the oracle; needs the backward to be meaningful.
     *
     * <p>If this fails on the reference, a step crossed a discontinuity the geometry check missed,
     * or the reference's derivative changed.
     */
    void pool03_referenceGradientsMatchFiniteDifferences(RoiPoolCase c);

    /**
     * pool04. Position-sensitive pooling equals group-size-1 (plain deformable RoI) pooling of the
     * selected score maps, forward and, when declared, backward. Needs the forward.
     *
     * <p>If this fails, check: the score-map channel {@code (ctop*g + gh)*g + gw} with
     * {@code gh = min(ph*g/pooled, g-1)}; that the offset class follows {@code ctop}, not the score
     * map.
     */
    void pool04_groupSizeOneIsDeformableRoiPooling(RoiPoolCase c);

    /**
     * pool05. A zero offset equals {@code no_trans} (no offset), forward and, when declared, input
     * gradient. Needs the forward.
     *
     * <p>If this fails, check: the {@code no_trans} path (no offset tensor read); that a zero offset
     * moves nothing ({@code transStd * 0 * roiSize}).
     */
    void pool05_zeroOffsetEqualsNoTrans(RoiPoolCase c);

    /**
     * pool06. The output is linear in the input. Needs the forward.
     *
     * <p>If this fails, check: state kept between calls; an output not cleared for empty bins.
     */
    void pool06_linearInInput(RoiPoolCase c);

    /**
     * pool07. {@code ⟨J v, u⟩ = ⟨v, Jᵀ u⟩} for the input. Needs the forward and the backward.
     *
     * <p>If this fails while pool01 passes, the input gradient is not the forward's transpose: the
     * same clamped corners, weights and sample count as the forward.
     */
    void pool07_adjointOfBackwardMatchesForward(RoiPoolCase c);

    /**
     * pool08. Every documented error is an {@link IllegalArgumentException} naming the argument (RoI
     * batch index out of range or not finite included); nothing is written. Backward calls are tried
     * when declared. Needs the forward.
     *
     * <p>If this fails, check: validation through {@code dcn4j.spi} ({@code DeformPsRoiPoolShape.of})
     * before any work; RoI values checked on the host.
     */
    void pool08_badInputIsRejectedNamingTheArgument(RoiPoolCase c);

    /**
     * pool09. Repeated calls and concurrent threads give bit-identical outputs (and gradients, when
     * declared). Needs the forward. {@link Stochastic}: a pass is evidence, not proof.
     *
     * <p>If this fails, check: the input gradient scattered by several workers into shared cells
     * without a fixed order.
     */
    void pool09_repeatedAndConcurrentCallsAreBitIdentical(RoiPoolCase c) throws Exception;

    /**
     * pool10. Every {@code deform_psroi_pool} case directory of the case folder (by default
     * {@code cases/psroi-port/}, an independent port of the official kernel) matches its expected
     * arrays (outputs only when the backward is not declared). Needs the forward.
     *
     * <p>If this fails on a case while pool01 passes, replay it with {@code dcn4j eval} and compare
     * its RoIs with the rounding and clamping rules of DESIGN.md.
     */
    void pool10_caseDirectoriesReplay() throws Exception;

    /**
     * pool12. F16 and BF16 tensors (RoIs included): forward and gradients come back in the inputs'
     * dtype and match the reference on the same 16-bit values within the bound of DESIGN.md "16-bit
     * tensors"; cases whose rounded RoIs or offsets put a sample on a discontinuity are not used (as
     * pool01-02). Needs the forward, the backward and both 16-bit dtypes.
     *
     * <p>If this fails, check what conv13 lists; then the RoIs: they are 16-bit too, widened exactly.
     */
    void pool12_sixteenBitResultsMatchReferenceWithinRounding(RoiPoolCase c, DType dtype);
}
