package dcn4j.conformance;

import static dcn4j.spi.Capabilities.Operation.DEFORM_PSROI_POOL_BACKWARD;
import static dcn4j.spi.Capabilities.Operation.DEFORM_PSROI_POOL_FORWARD;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.internal.SixteenBit;
import dcn4j.conformance.internal.BadInputs;
import dcn4j.conformance.internal.CaseReplay;
import dcn4j.conformance.internal.ConformanceExample;
import dcn4j.conformance.internal.ConformanceProperty;
import dcn4j.conformance.internal.ConvArgs;
import dcn4j.conformance.internal.Determinism;
import dcn4j.conformance.internal.FiniteDifferences;
import dcn4j.conformance.internal.Magnitudes;
import dcn4j.conformance.internal.RoiArgs;
import dcn4j.conformance.internal.RoiPoolGeometry;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Provide;

/**
 * The conformance suite for deformable (position-sensitive) RoI pooling, as a TCK-style abstract
 * class: a backend's test subclasses it and names its provider (see {@link DeformConv2dVerification}).
 * Properties run over {@link RoiPoolCases}.
 */
public abstract class DeformPsRoiPoolVerification extends Verification implements DeformPsRoiPoolVerificationRules {

    private static final Set<Gradient> BOTH = EnumSet.of(Gradient.INPUT, Gradient.OFFSET);

    protected DeformPsRoiPoolVerification() {
    }

    @Override
    public final String op() {
        return "deform_psroi_pool";
    }

    @Provide
    Arbitrary<RoiPoolCase> cases() {
        return RoiPoolCases.cases();
    }

    @Provide
    Arbitrary<RoiPoolCase> largeCases() {
        return RoiPoolCases.large();
    }

    @Provide
    Arbitrary<RoiPoolCase> casesWithOffset() {
        return RoiPoolCases.withOffset();
    }

    /**
     * Comparing F32 with F64 is meaningful only away from the op's discontinuities (see
     * {@link RoiPoolGeometry}); the generator moves random offsets off them, a zero or absent offset
     * on a non-dyadic grid may still sit on one, and such a case is not used for properties 1-2.
     */
    private void assumeComparable(RoiPoolCase c) {
        if (backend().nativeDType() != DType.F64) Assume.that(c.f32Safe());
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_FORWARD})
    @ConformanceProperty
    public void pool01_forwardMatchesReference(@ForAll("cases") RoiPoolCase c) {
        assumeComparable(c);
        RoiArgs a = RoiArgs.of(c);
        expectClose("output", a.forward(backend()), a.forward(reference()), Magnitudes.roiForward(a),
                Tolerances.FORWARD);
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_BACKWARD})
    @ConformanceProperty
    public void pool02_backwardMatchesReference(@ForAll("cases") RoiPoolCase c) {
        assumeComparable(c);
        RoiArgs a = RoiArgs.of(c);
        Map<Gradient, double[]> got = a.backward(backend(), BOTH), want = a.backward(reference(), BOTH);
        Map<Gradient, double[]> magnitude = Magnitudes.roiBackward(a);
        for (Gradient g : BOTH) {
            if (a.array(g) != null) {
                expectClose(g.fileStem(), got.get(g), want.get(g), magnitude.get(g), Tolerances.BACKWARD);
            }
        }
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_BACKWARD})
    @ConformanceProperty(cost = 4)
    public void pool03_referenceGradientsMatchFiniteDifferences(@ForAll("cases") RoiPoolCase c) {
        RoiArgs a = RoiArgs.of(c);
        Backend ref = reference();
        Map<Gradient, double[]> grads = a.backward(ref, BOTH);
        SplittableRandom r = c.extraRandom();
        int compared = 0, leftOut = 0;
        for (Gradient g : BOTH) {
            double[] x = a.array(g);
            if (x == null || x.length == 0) continue;
            // An offset step moves a bin by transStd * step * roiSize: keep it far below a cell.
            double step = g == Gradient.OFFSET ? 1e-5 : 1e-3;
            FiniteDifferences.Comparison cmp = FiniteDifferences.compare(x, grads.get(g),
                    v -> FiniteDifferences.dot(a.gradOutput(), a.with(g, v).forward(ref)), step, 12, r);
            expectWithin(g.fileStem() + " of the reference vs finite differences", cmp.error(Tolerances.BACKWARD),
                    Tolerances.BACKWARD);
            compared += cmp.numeric().length;
            leftOut += cmp.leftOut();
        }
        FiniteDifferences.requireSomethingCompared(compared, leftOut);
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_FORWARD})
    @ConformanceProperty
    public void pool04_groupSizeOneIsDeformableRoiPooling(@ForAll("cases") RoiPoolCase c) {
        DeformPsRoiPoolSpec s = c.spec();
        int g = s.groupSize(), od = s.outputDim(), p = s.pooledSize(), rois = c.roiCount(), channels = od * g * g;
        // Bin (ph, pw) of output channel ctop reads score map (ctop*g + gh)*g + gw: exactly what
        // plain (group size 1) pooling with one output channel per score map reads for that channel.
        DeformPsRoiPoolSpec plain = new DeformPsRoiPoolSpec(s.spatialScale(), channels, 1, p, s.partSize(),
                s.samplePerPart(), s.transStd());
        RoiArgs a = RoiArgs.of(c);
        double[] gradOut = a.gradOutput(), gradPlain = new double[rois * channels * p * p];
        int[] source = new int[rois * od * p * p];
        for (int r = 0; r < rois; r++) {
            for (int ctop = 0; ctop < od; ctop++) {
                for (int ph = 0; ph < p; ph++) {
                    for (int pw = 0; pw < p; pw++) {
                        int gh = Math.min(ph * g / p, g - 1), gw = Math.min(pw * g / p, g - 1);
                        int ch = (ctop * g + gh) * g + gw;
                        int at = ((r * od + ctop) * p + ph) * p + pw;
                        source[at] = ((r * channels + ch) * p + ph) * p + pw;
                        gradPlain[source[at]] = gradOut[at];
                    }
                }
            }
        }
        RoiArgs b1 = a.withSpec(plain, new int[] {rois, channels, p, p}, gradPlain);
        Backend b = backend();
        double[] ps = a.forward(b), all = b1.forward(b), picked = new double[ps.length];
        for (int i = 0; i < picked.length; i++) picked[i] = all[source[i]];
        expectClose("position-sensitive output vs group-size-1 pooling", ps, picked, Magnitudes.roiForward(a),
                Tolerances.FORWARD);
        if (!declares(DEFORM_PSROI_POOL_BACKWARD)) {
            note(DeformConv2dVerification.FORWARD_ONLY);
            return;
        }
        Map<Gradient, double[]> got = a.backward(b, BOTH), want = b1.backward(b, BOTH);
        Map<Gradient, double[]> magnitude = Magnitudes.roiBackward(a);
        for (Gradient which : BOTH) {
            if (a.array(which) != null) {
                expectClose(which.fileStem() + " position-sensitive vs group size 1", got.get(which),
                        want.get(which), magnitude.get(which), Tolerances.BACKWARD);
            }
        }
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_FORWARD})
    @ConformanceProperty
    public void pool05_zeroOffsetEqualsNoTrans(@ForAll("cases") RoiPoolCase c) {
        RoiArgs none = RoiArgs.of(c).withOffset(null);
        RoiArgs zero = none.withOffset(new double[ConvCase.size(c.offsetShape())]);
        Backend b = backend();
        expectClose("output with zero offset vs no_trans", zero.forward(b), none.forward(b),
                Magnitudes.roiForward(none), Tolerances.FORWARD);
        if (!declares(DEFORM_PSROI_POOL_BACKWARD)) {
            note(DeformConv2dVerification.FORWARD_ONLY);
            return;
        }
        Set<Gradient> input = EnumSet.of(Gradient.INPUT);
        expectClose("grad_input with zero offset vs no_trans", zero.backward(b, input).get(Gradient.INPUT),
                none.backward(b, input).get(Gradient.INPUT), Magnitudes.roiBackward(none).get(Gradient.INPUT),
                Tolerances.BACKWARD);
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_FORWARD})
    @ConformanceProperty
    public void pool06_linearInInput(@ForAll("cases") RoiPoolCase c) {
        RoiArgs a = RoiArgs.of(c);
        SplittableRandom r = c.extraRandom();
        Backend b = backend();
        double[] x1 = a.input(), x2 = ConvArgs.widen(ConvCase.uniform(r, x1.length, -1, 1));
        double alpha = (float) r.nextDouble(0.25, 2), beta = (float) -r.nextDouble(0.25, 2);
        double[] mix = new double[x1.length];
        for (int i = 0; i < mix.length; i++) mix[i] = alpha * x1[i] + beta * x2[i];
        mix = ConvArgs.toFloatValues(mix);
        double[] y1 = a.forward(b), y2 = a.withInput(x2).forward(b), y = a.withInput(mix).forward(b);
        double[] expected = new double[y.length], magnitude = new double[y.length];
        double[] m1 = Magnitudes.roiForward(a), m2 = Magnitudes.roiForward(a.withInput(x2));
        for (int i = 0; i < y.length; i++) {
            expected[i] = alpha * y1[i] + beta * y2[i];
            magnitude[i] = Math.abs(alpha) * m1[i] + Math.abs(beta) * m2[i];
        }
        expectClose("f(a*x1 + b*x2) vs a*f(x1) + b*f(x2)", y, expected, magnitude, Tolerances.FORWARD);
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_FORWARD, DEFORM_PSROI_POOL_BACKWARD})
    @ConformanceProperty
    public void pool07_adjointOfBackwardMatchesForward(@ForAll("cases") RoiPoolCase c) {
        RoiArgs a = RoiArgs.of(c);
        Backend b = backend();
        double[] v = ConvArgs.widen(ConvCase.uniform(c.extraRandom(), a.input().length, -1, 1));
        double[] jv = a.withInput(v).forward(b);
        double[] jtu = a.backward(b, EnumSet.of(Gradient.INPUT)).get(Gradient.INPUT);
        double[] u = a.gradOutput();
        double lhs = FiniteDifferences.dot(jv, u), rhs = FiniteDifferences.dot(v, jtu);
        double scale = FiniteDifferences.norm(jv) * FiniteDifferences.norm(u)
                + FiniteDifferences.norm(v) * FiniteDifferences.norm(jtu);
        expectWithin("<J v, u> vs <v, J^T u> for grad_input",
                scale > 0 ? Math.abs(lhs - rhs) / scale : Math.abs(lhs - rhs), Tolerances.BACKWARD);
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_FORWARD})
    @ConformanceProperty
    public void pool08_badInputIsRejectedNamingTheArgument(@ForAll("cases") RoiPoolCase c) {
        Backend b = backend();
        DType d = b.nativeDType();
        RoiArgs a = RoiArgs.of(c);
        DeformPsRoiPoolSpec s = c.spec();
        int n = c.batch(), ch = s.inputChannels(), h = c.height(), w = c.width(), rc = c.roiCount();
        int part = s.partSize(), p = s.pooledSize(), od = s.outputDim();
        int nc = c.hasOffset() ? c.numClasses() : 1;
        try (RoiArgs.Tensors t = a.tensors(b)) {
            List<Tensor> made = new ArrayList<>();
            List<BadInputs.BadCall> calls = new ArrayList<>();
            Tensor offset = t.offset;
            both(calls, "input with one channel too many", "input", s,
                    DeformConv2dVerification.zeros(b, new int[] {n, ch + 1, h, w}, made), t.rois, offset, t);
            both(calls, "input of rank 3", "input", s, DeformConv2dVerification.zeros(b, new int[] {ch, h, w}, made),
                    t.rois, offset, t);
            both(calls, "rois of shape [R, 4]", "rois", s, t.input,
                    DeformConv2dVerification.zeros(b, new int[] {rc, 4}, made), offset, t);
            for (double[] roi : new double[][] {{n, 0, 0, 1, 1}, {-1, 0, 0, 1, 1}, {0, Double.NaN, 0, 1, 1},
                {0, 0, 0, Double.POSITIVE_INFINITY, 1}}) {
                Tensor bad = b.tensor(d, new int[] {1, 5}, roi);
                made.add(bad);
                both(calls, "RoI " + java.util.Arrays.toString(roi) + " with batch size " + n, "rois", s, t.input, bad,
                        null, t);
            }
            both(calls, "offset with an odd channel count", "offset", s, t.input, t.rois,
                    DeformConv2dVerification.zeros(b, new int[] {rc, 3, part, part}, made), t);
            both(calls, "offset classes not dividing outputDim", "offset", s, t.input, t.rois,
                    DeformConv2dVerification.zeros(b, new int[] {rc, 2 * (od + 1), part, part}, made), t);
            both(calls, "offset with partSize + 1", "offset", s, t.input, t.rois,
                    DeformConv2dVerification.zeros(b, new int[] {rc, 2 * nc, part + 1, part + 1}, made), t);
            both(calls, "offset for R + 1 RoIs", "offset", s, t.input, t.rois,
                    DeformConv2dVerification.zeros(b, new int[] {rc + 1, 2 * nc, part, part}, made), t);
            both(calls, "null input", "input", s, null, t.rois, offset, t);
            both(calls, "null rois", "rois", s, t.input, null, offset, t);
            if (!b.name().equals(reference().name())) {
                Tensor foreign = reference().tensor(DType.F64, c.inputShape(), a.input());
                made.add(foreign);
                both(calls, "input made by another backend", "input", s, foreign, t.rois, offset, t);
            }
            Tensor badGrad = DeformConv2dVerification.zeros(b, new int[] {rc, od, p + 1, p + 1}, made);
            if (!declares(DEFORM_PSROI_POOL_BACKWARD)) note(DeformConv2dVerification.FORWARD_ONLY);
            else calls.add(new BadInputs.BadCall("gradOutput with pooledSize + 1", "gradOutput",
                    () -> b.deformPsRoiPoolBackward(s, badGrad, t.input, t.rois, t.offset, BOTH).close()));
            if (declares(DEFORM_PSROI_POOL_BACKWARD)) {
                calls.add(new BadInputs.BadCall("WEIGHT gradient asked of RoI pooling", "wanted",
                        () -> b.deformPsRoiPoolBackward(s, t.gradOutput, t.input, t.rois, t.offset,
                                EnumSet.of(Gradient.INPUT, Gradient.WEIGHT)).close()));
                calls.add(new BadInputs.BadCall("null set of wanted gradients", "wanted",
                        () -> b.deformPsRoiPoolBackward(s, t.gradOutput, t.input, t.rois, t.offset, null).close()));
            }
            try {
                BadInputs.check(this, calls);
                BadInputs.unchanged(this, "input", a.input(), t.input.toDoubleArray());
                BadInputs.unchanged(this, "rois", a.rois(), t.rois.toDoubleArray());
                if (t.offset != null) BadInputs.unchanged(this, "offset", a.offset(), t.offset.toDoubleArray());
            } finally {
                for (Tensor x : made) x.close();
            }
        }
    }

    private void both(List<BadInputs.BadCall> calls, String what, String argument, DeformPsRoiPoolSpec s, Tensor input,
                      Tensor rois, Tensor offset, RoiArgs.Tensors t) {
        Backend b = backend();
        calls.add(new BadInputs.BadCall(what + " (forward)", argument,
                () -> b.deformPsRoiPool(s, input, rois, offset).close()));
        if (declares(DEFORM_PSROI_POOL_BACKWARD)) {
            calls.add(new BadInputs.BadCall(what + " (backward)", argument,
                    () -> b.deformPsRoiPoolBackward(s, t.gradOutput, input, rois, offset, BOTH).close()));
        }
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_FORWARD})
    @Stochastic
    @ConformanceProperty(cost = 2)
    public void pool09_repeatedAndConcurrentCallsAreBitIdentical(@ForAll("largeCases") RoiPoolCase c) throws Exception {
        RoiArgs a = RoiArgs.of(c);
        Backend b = backend();
        boolean backward = declares(DEFORM_PSROI_POOL_BACKWARD);
        try (RoiArgs.Tensors t = a.tensors(b)) {
            Determinism.check(this, () -> {
                List<double[]> all = new ArrayList<>();
                all.add(t.forward());
                if (backward) {
                    Map<Gradient, double[]> g = t.backward(BOTH);
                    for (Gradient which : BOTH) all.add(g.get(which));
                }
                return all;
            });
        }
        if (!backward) note(DeformConv2dVerification.FORWARD_ONLY);
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_FORWARD})
    @ConformanceExample
    public void pool10_caseDirectoriesReplay() throws Exception {
        CaseReplay.replay(this, CaseReplay.DEFORM_PSROI_POOL);
    }

    @Provide
    Arbitrary<DType> sixteenBitDTypes() {
        return SixteenBit.dtypes();
    }

    @Override
    @Requires({DEFORM_PSROI_POOL_FORWARD, DEFORM_PSROI_POOL_BACKWARD})
    @ConformanceProperty(cost = 2, dtypes = {DType.F16, DType.BF16})
    public void pool12_sixteenBitResultsMatchReferenceWithinRounding(@ForAll("cases") RoiPoolCase c,
                                                                     @ForAll("sixteenBitDTypes") DType dtype) {
        RoiArgs a = RoiArgs.of(c).rounded(dtype);
        // Rounding RoIs and offsets to 16 bits moves samples: the float32-vs-float64 comparison is
        // meaningful only where the rounded case keeps every sample off a discontinuity (as rules 1-2).
        if (backend().nativeDType() != DType.F64) {
            DeformPsRoiPoolSpec s = c.spec();
            boolean[] unsafe = RoiPoolGeometry.unsafeCells(s, a.offset() == null ? 1 : c.numClasses(),
                    c.inputShape()[2], c.inputShape()[3], SixteenBit.floats(a.rois()), c.roiCount(),
                    SixteenBit.floats(a.offset()));
            boolean safe = true;
            for (boolean u : unsafe) safe &= !u;
            Assume.that(safe);
        }
        Backend b = backend();
        double[] out;
        Map<Gradient, double[]> got = new java.util.EnumMap<>(Gradient.class);
        try (RoiArgs.Tensors t = a.tensors(b, dtype)) {
            try (Tensor o = b.deformPsRoiPool(a.spec(), t.input, t.rois, t.offset)) {
                out = SixteenBit.readBack("output", o, dtype, backendName());
            }
            try (var g = b.deformPsRoiPoolBackward(a.spec(), t.gradOutput, t.input, t.rois, t.offset, BOTH)) {
                for (Gradient which : BOTH) {
                    if (a.array(which) != null) {
                        got.put(which, SixteenBit.readBack(which.fileStem(), g.get(which), dtype, backendName()));
                    }
                }
            }
        }
        double[] want = a.forward(reference());
        double[] magnitude = Magnitudes.roiForward(a);
        expectClose(dtype + " output", out, want, magnitude,
                SixteenBit.tolerance(dtype, Tolerances.FORWARD, want, magnitude));
        Map<Gradient, double[]> wantGrads = a.backward(reference(), BOTH);
        Map<Gradient, double[]> magnitudes = Magnitudes.roiBackward(a);
        for (Gradient g : got.keySet()) {
            expectClose(dtype + " " + g.fileStem(), got.get(g), wantGrads.get(g), magnitudes.get(g),
                    SixteenBit.tolerance(dtype, Tolerances.BACKWARD, wantGrads.get(g), magnitudes.get(g)));
        }
    }
}
