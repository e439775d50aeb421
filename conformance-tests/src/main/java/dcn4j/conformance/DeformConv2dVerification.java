package dcn4j.conformance;

import static dcn4j.spi.Capabilities.Operation.DEFORM_CONV2D_BACKWARD;
import static dcn4j.spi.Capabilities.Operation.DEFORM_CONV2D_FORWARD;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.spi.Capabilities;
import dcn4j.conformance.internal.SixteenBit;
import dcn4j.conformance.internal.BadInputs;
import dcn4j.conformance.internal.CaseReplay;
import dcn4j.conformance.internal.ConformanceExample;
import dcn4j.conformance.internal.ConformanceProperty;
import dcn4j.conformance.internal.ConvArgs;
import dcn4j.conformance.internal.DenseConv2d;
import dcn4j.conformance.internal.Determinism;
import dcn4j.conformance.internal.FiniteDifferences;
import dcn4j.conformance.internal.Magnitudes;
import dcn4j.conformance.internal.NonFinite;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Provide;

/**
 * The conformance suite for deformable convolution, as a TCK-style abstract class: a backend's test
 * subclasses it and names its provider.
 *
 * <pre>{@code
 * class MyBackendConvConformanceTest extends DeformConv2dVerification {
 *     @Override protected BackendProvider provider() { return Backends.provider("mine"); }
 * }
 * }</pre>
 *
 * Each property is a jqwik property over {@link ConvCases} (tries from
 * {@code -Ddcn4j.conformance.tries}, seed from {@code -Ddcn4j.conformance.seed}); a failure prints
 * the shrunk {@link ConvCase} and the seed that replays it.
 */
public abstract class DeformConv2dVerification extends Verification implements DeformConv2dVerificationRules {

    private static final Set<Gradient> ALL = Gradient.all();

    /** The note of a rule whose backward part was left out. */
    static final String FORWARD_ONLY = "forward part only: the backend does not declare the backward";

    protected DeformConv2dVerification() {
    }

    @Override
    public final String op() {
        return "deform_conv2d";
    }

    /** Cases whose border rule the backend declares (capabilities): the others are not its semantics. */
    private Arbitrary<ConvCase> declaredBorders(Arbitrary<ConvCase> cases) {
        var declared = providerUnderTest().capabilities();
        return declared.borders().size() == DeformConv2dSpec.Border.values().length ? cases
                : cases.filter(c -> declared.supports(c.spec().border()));
    }

    @Provide
    Arbitrary<ConvCase> cases() {
        return declaredBorders(ConvCases.cases());
    }

    @Provide
    Arbitrary<ConvCase> casesNearCellEdges() {
        return ConvCases.casesNearCellEdges();
    }

    @Provide
    Arbitrary<ConvCase> largeCases() {
        return declaredBorders(ConvCases.large());
    }

    @Provide
    Arbitrary<ConvCase> casesWithOffset() {
        return declaredBorders(ConvCases.withOffset());
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD})
    @ConformanceProperty
    public void conv01_forwardMatchesReference(@ForAll("cases") ConvCase c) {
        ConvArgs a = ConvArgs.of(c);
        expectClose("output", a.forward(backend()), a.forward(reference()), Magnitudes.convForward(a),
                Tolerances.FORWARD);
    }

    @Override
    @Requires({DEFORM_CONV2D_BACKWARD})
    @ConformanceProperty
    public void conv02_backwardMatchesReference(@ForAll("casesNearCellEdges") ConvCase c) {
        ConvArgs a = ConvArgs.of(c);
        Map<Gradient, double[]> got = a.backward(backend(), ALL);
        Map<Gradient, double[]> want = a.backward(reference(), ALL);
        Map<Gradient, double[]> magnitude = Magnitudes.convBackward(a);
        for (Gradient g : ALL) {
            if (a.array(g) != null) {
                expectClose(g.fileStem(), got.get(g), want.get(g), magnitude.get(g), Tolerances.BACKWARD);
            }
        }
    }

    @Override
    @Requires({DEFORM_CONV2D_BACKWARD})
    @ConformanceProperty(cost = 4)
    public void conv03_referenceGradientsMatchFiniteDifferences(@ForAll("cases") ConvCase c) {
        ConvArgs a = ConvArgs.of(c);
        Backend ref = reference();
        Map<Gradient, double[]> grads = a.backward(ref, ALL);
        SplittableRandom r = c.extraRandom();
        int compared = 0, leftOut = 0;
        for (Gradient g : ALL) {
            double[] x = a.array(g);
            if (x == null) continue;
            // Offsets move samples: a small step keeps most coordinates inside one bilinear cell.
            double step = g == Gradient.OFFSET ? 1e-4 : 1e-3;
            // An offset whose fraction is within the step of a cell edge (but not on it, where one-sided
            // differences show the kink) moves its sample across the edge: DESIGN.md keeps FD away from it.
            FiniteDifferences.Comparison cmp = FiniteDifferences.compare(x, grads.get(g),
                    v -> FiniteDifferences.dot(a.gradOutput(), a.with(g, v).forward(ref)), step, 12, r,
                    i -> g == Gradient.OFFSET && nearButNotOnAnEdge(x[i], 2 * step));
            expectWithin(g.fileStem() + " of the reference vs finite differences", cmp.error(Tolerances.BACKWARD),
                    Tolerances.BACKWARD);
            compared += cmp.numeric().length;
            leftOut += cmp.leftOut();
        }
        FiniteDifferences.requireSomethingCompared(compared, leftOut);
    }

    /** Whether {@code offset} lies within {@code distance} of an integer without being one. */
    static boolean nearButNotOnAnEdge(double offset, double distance) {
        double f = offset - Math.floor(offset);
        return f != 0 && (f < distance || f > 1 - distance);
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD})
    @ConformanceProperty
    public void conv04_zeroOffsetsEqualPlainConvolution(@ForAll("cases") ConvCase c) {
        ConvArgs a = ConvArgs.of(c).withMask(null).withOffset(null);
        DeformConv2dSpec s = c.spec();
        double[] dense = DenseConv2d.forward(a.input(), a.inputShape(), a.weight(), a.weightShape(), a.bias(),
                s.groups(), s.strideH(), s.strideW(), -s.padTop(), -s.padLeft(), s.dilationH(), s.dilationW(), c.outH(),
                c.outW());
        double[] magnitude = Magnitudes.convForward(a);
        expectClose("output without offset vs dense convolution", a.forward(backend()), dense, magnitude,
                Tolerances.FORWARD);
        double[] zeros = new double[ConvCase.size(c.offsetShape())];
        expectClose("output with zero offsets vs dense convolution", a.withOffset(zeros).forward(backend()), dense,
                magnitude, Tolerances.FORWARD);
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD})
    @ConformanceProperty
    public void conv05_integerOffsetsEqualShiftedConvolution(@ForAll("cases") ConvCase c) {
        DeformConv2dSpec s = c.spec();
        int og = s.offsetGroups(), kh = c.kernelH(), kw = c.kernelW(), k = kh * kw, pixels = c.outH() * c.outW();
        SplittableRandom r = c.extraRandom();
        // One integer shift (dy, dx) per offset group and kernel point, the same at every output pixel.
        int[] dy = new int[og * k], dx = new int[og * k];
        for (int i = 0; i < og * k; i++) {
            dy[i] = r.nextInt(-2, 3);
            dx[i] = r.nextInt(-2, 3);
        }
        double[] offset = new double[ConvCase.size(c.offsetShape())];
        for (int n = 0; n < c.batch(); n++) {
            for (int q = 0; q < og * k; q++) {
                for (int p = 0; p < pixels; p++) {
                    offset[((n * 2 * og * k) + 2 * q) * pixels + p] = dy[q];
                    offset[((n * 2 * og * k) + 2 * q + 1) * pixels + p] = dx[q];
                }
            }
        }
        // Tap (i, j) of offset group g then samples row y*sh - ph + i*dh + dy: a dense kernel whose
        // taps sit at (i*dh + dy, j*dw + dx), relative to the smallest such row and column.
        int minY = Integer.MAX_VALUE, maxY = Integer.MIN_VALUE, minX = Integer.MAX_VALUE, maxX = Integer.MIN_VALUE;
        for (int g = 0; g < og; g++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int q = g * k + i * kw + j;
                    minY = Math.min(minY, i * s.dilationH() + dy[q]);
                    maxY = Math.max(maxY, i * s.dilationH() + dy[q]);
                    minX = Math.min(minX, j * s.dilationW() + dx[q]);
                    maxX = Math.max(maxX, j * s.dilationW() + dx[q]);
                }
            }
        }
        int bh = maxY - minY + 1, bw = maxX - minX + 1, o = c.outChannels(), cg = c.inChannels() / s.groups();
        int channelsPerOffsetGroup = c.inChannels() / og;
        ConvArgs a = ConvArgs.of(c).withMask(null).withOffset(offset);
        double[] w = a.weight(), wide = new double[o * cg * bh * bw];
        for (int oc = 0; oc < o; oc++) {
            int group = oc / (o / s.groups());
            for (int cl = 0; cl < cg; cl++) {
                int g = (group * cg + cl) / channelsPerOffsetGroup;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int q = g * k + i * kw + j;
                        int y = i * s.dilationH() + dy[q] - minY, x = j * s.dilationW() + dx[q] - minX;
                        wide[((oc * cg + cl) * bh + y) * bw + x] += w[((oc * cg + cl) * kh + i) * kw + j];
                    }
                }
            }
        }
        double[] dense = DenseConv2d.forward(a.input(), a.inputShape(), wide, new int[] {o, cg, bh, bw}, a.bias(),
                s.groups(), s.strideH(), s.strideW(), -s.padTop() + minY, -s.padLeft() + minX, 1, 1, c.outH(), c.outW());
        expectClose("output with integer offsets vs shifted dense convolution", a.forward(backend()), dense,
                Magnitudes.convForward(a), Tolerances.FORWARD);
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD})
    @ConformanceProperty
    public void conv06_maskOfOnesEqualsNoMask(@ForAll("casesWithOffset") ConvCase c) {
        ConvArgs plain = ConvArgs.of(c).withMask(null);
        double[] ones = new double[ConvCase.size(c.maskShape())];
        java.util.Arrays.fill(ones, 1.0);
        ConvArgs masked = plain.withMask(ones);
        Backend b = backend();
        expectClose("output with a mask of ones vs without mask", masked.forward(b), plain.forward(b),
                Magnitudes.convForward(plain), Tolerances.FORWARD);
        if (!declares(DEFORM_CONV2D_BACKWARD)) {
            note(FORWARD_ONLY);
            return;
        }
        Set<Gradient> wanted = EnumSet.of(Gradient.INPUT, Gradient.OFFSET, Gradient.WEIGHT, Gradient.BIAS);
        Map<Gradient, double[]> got = masked.backward(b, wanted), want = plain.backward(b, wanted);
        Map<Gradient, double[]> magnitude = Magnitudes.convBackward(plain);
        for (Gradient g : wanted) {
            if (plain.array(g) != null) {
                expectClose(g.fileStem() + " with a mask of ones vs without mask", got.get(g), want.get(g),
                        magnitude.get(g), Tolerances.BACKWARD);
            }
        }
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD})
    @ConformanceProperty
    public void conv07_linearInInputAndWeight(@ForAll("cases") ConvCase c) {
        ConvArgs a = ConvArgs.of(c).withBias(null);
        SplittableRandom r = c.extraRandom();
        Backend b = backend();
        for (Gradient g : new Gradient[] {Gradient.INPUT, Gradient.WEIGHT}) {
            double[] x1 = a.array(g), x2 = ConvArgs.widen(ConvCase.uniform(r, x1.length, -1, 1));
            double alpha = (float) r.nextDouble(0.25, 2), beta = (float) -r.nextDouble(0.25, 2);
            double[] mix = new double[x1.length];
            for (int i = 0; i < mix.length; i++) mix[i] = alpha * x1[i] + beta * x2[i];
            mix = ConvArgs.toFloatValues(mix);
            double[] y1 = a.with(g, x1).forward(b), y2 = a.with(g, x2).forward(b), y = a.with(g, mix).forward(b);
            double[] expected = new double[y.length], magnitude = new double[y.length];
            double[] m1 = Magnitudes.convForward(a.with(g, x1)), m2 = Magnitudes.convForward(a.with(g, x2));
            for (int i = 0; i < y.length; i++) {
                expected[i] = alpha * y1[i] + beta * y2[i];
                magnitude[i] = Math.abs(alpha) * m1[i] + Math.abs(beta) * m2[i];
            }
            expectClose("f(a*x1 + b*x2) vs a*f(x1) + b*f(x2) in the " + g.name().toLowerCase(java.util.Locale.ROOT),
                    y, expected, magnitude, Tolerances.FORWARD);
        }
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD, DEFORM_CONV2D_BACKWARD})
    @ConformanceProperty
    public void conv08_adjointOfBackwardMatchesForward(@ForAll("cases") ConvCase c) {
        ConvArgs a = ConvArgs.of(c);
        Backend b = backend();
        SplittableRandom r = c.extraRandom();
        Map<Gradient, double[]> transposed = a.backward(b, ALL);
        double[] u = a.gradOutput();
        for (Gradient g : ALL) {
            if (g == Gradient.OFFSET || a.array(g) == null) continue;  // offsets: not linear
            double[] v = ConvArgs.widen(ConvCase.uniform(r, a.array(g).length, -1, 1));
            // J v: the forward with the argument set to v and every term not linear in it removed.
            ConvArgs linear = g == Gradient.BIAS ? a.withInput(new double[a.input().length]).withBias(v)
                    : a.with(g, v).withBias(null);
            double[] jv = linear.forward(b), jtu = transposed.get(g);
            if (jtu == null) throw new AssertionError(g.fileStem() + " on backend '" + backendName() + "': missing");
            adjoint(g.fileStem(), jv, u, v, jtu);
        }
    }

    /** Records and checks {@code |⟨Jv,u⟩ − ⟨v,Jᵀu⟩|}, relative to the Cauchy-Schwarz bounds of both sides. */
    final void adjoint(String what, double[] jv, double[] u, double[] v, double[] jtu) {
        double lhs = FiniteDifferences.dot(jv, u), rhs = FiniteDifferences.dot(v, jtu);
        double scale = FiniteDifferences.norm(jv) * FiniteDifferences.norm(u)
                + FiniteDifferences.norm(v) * FiniteDifferences.norm(jtu);
        double err = scale > 0 ? Math.abs(lhs - rhs) / scale : Math.abs(lhs - rhs);
        expectWithin("<J v, u> vs <v, J^T u> for " + what, err, Tolerances.BACKWARD);
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD})
    @ConformanceProperty
    public void conv09_badInputIsRejectedNamingTheArgument(@ForAll("cases") ConvCase c) {
        Backend b = backend();
        DType d = b.nativeDType();
        ConvArgs a = ConvArgs.of(c);
        DeformConv2dSpec s = c.spec();
        int n = c.batch(), ch = c.inChannels(), h = c.height(), w = c.width(), o = c.outChannels();
        int cg = ch / s.groups(), kh = c.kernelH(), kw = c.kernelW(), ho = c.outH(), wo = c.outW();
        int k = kh * kw, og = s.offsetGroups();
        try (ConvArgs.Tensors t = a.tensors(b)) {
            List<Tensor> made = new ArrayList<>();
            Tensor offset = t.offset, mask = t.mask, bias = t.bias;
            List<BadInputs.BadCall> calls = new ArrayList<>();
            addBoth(calls, "input of rank 3", "input", s, zeros(b, new int[] {ch, h, w}, made), offset, mask, t.weight,
                    bias, t);
            addBoth(calls, "weight with C/groups + 1 channels", "weight", s, t.input, offset, mask,
                    zeros(b, new int[] {o, cg + 1, kh, kw}, made), bias, t);
            addBoth(calls, "groups not dividing C", "groups", s.withGroups(ch + 1), t.input, offset, mask, t.weight,
                    bias, t);
            addBoth(calls, "offsetGroups not dividing C", "offsetGroups", s.withOffsetGroups(ch + 1), t.input, offset,
                    mask, t.weight, bias, t);
            addBoth(calls, "offset with 2 channels too many", "offset", s, t.input,
                    zeros(b, new int[] {n, 2 * og * k + 2, ho, wo}, made), mask, t.weight, bias, t);
            addBoth(calls, "mask one row too high", "mask", s, t.input, offset,
                    zeros(b, new int[] {n, og * k, ho + 1, wo}, made), t.weight, bias, t);
            addBoth(calls, "bias of O + 1", "bias", s, t.input, offset, mask, t.weight,
                    zeros(b, new int[] {o + 1}, made), t);
            addBoth(calls, "kernel taller than the padded input", "output size", s, t.input, null, null,
                    zeros(b, new int[] {o, cg, h + s.padTop() + s.padBottom() + 1, kw}, made), bias, t);
            // Geometry near Integer.MAX_VALUE is computed in long and refused, never wrapped around.
            addBoth(calls, "dilation Integer.MAX_VALUE", "dilationH", s.withDilation(Integer.MAX_VALUE, s.dilationW()),
                    t.input, null, null, t.weight.shape()[2] > 1 ? t.weight : zeros(b, new int[] {o, cg, 2, kw}, made),
                    bias, t);
            addBoth(calls, "padding 1.1e9 per side", "padTop, padBottom",
                    s.withPadding(1_100_000_000, s.padLeft(), 1_100_000_000, s.padRight()), t.input, null, null,
                    t.weight, bias, t);
            addBoth(calls, "null input", "input", s, null, offset, mask, t.weight, bias, t);
            addBoth(calls, "null weight", "weight", s, t.input, offset, mask, null, bias, t);
            if (!b.name().equals(reference().name())) {
                Tensor foreign = reference().tensor(DType.F64, c.weightShape(), a.weight());
                made.add(foreign);
                addBoth(calls, "weight made by another backend", "weight", s, t.input, offset, mask, foreign, bias, t);
            }
            if (b.supports(DType.F32) && b.supports(DType.F64)) {
                DType other = d == DType.F32 ? DType.F64 : DType.F32;
                Tensor wrongType = b.tensor(other, c.weightShape(), a.weight());
                made.add(wrongType);
                addBoth(calls, "weight of dtype " + other + " with input of " + d, "weight", s, t.input, offset, mask,
                        wrongType, bias, t);
            }
            Tensor badGrad = zeros(b, new int[] {n, o + 1, ho, wo}, made);
            if (declares(DEFORM_CONV2D_BACKWARD)) {
                calls.add(new BadInputs.BadCall("gradOutput with O + 1 channels", "gradOutput",
                        () -> b.deformConv2dBackward(s, badGrad, t.input, t.offset, t.mask, t.weight, t.bias, ALL)));
                calls.add(new BadInputs.BadCall("null set of wanted gradients", "wanted",
                        () -> b.deformConv2dBackward(s, t.gradOutput, t.input, t.offset, t.mask, t.weight, t.bias,
                                null)));
            } else {
                note(FORWARD_ONLY);
            }
            calls.add(new BadInputs.BadCall("tensor data shorter than its shape", "data",
                    () -> b.tensor(d, new int[] {2, 3}, new double[5])));
            calls.add(new BadInputs.BadCall("tensor with a negative dimension", "shape",
                    () -> b.tensor(d, new int[] {-1, 3}, new double[0])));
            try {
                BadInputs.check(this, calls);
                BadInputs.unchanged(this, "input", a.input(), t.input.toDoubleArray());
                BadInputs.unchanged(this, "weight", a.weight(), t.weight.toDoubleArray());
                if (t.offset != null) BadInputs.unchanged(this, "offset", a.offset(), t.offset.toDoubleArray());
                if (t.mask != null) BadInputs.unchanged(this, "mask", a.mask(), t.mask.toDoubleArray());
            } finally {
                for (Tensor x : made) x.close();
            }
        }
    }

    /** A zero tensor of {@code shape} in {@code b}'s native dtype, remembered in {@code made} for closing. */
    static Tensor zeros(Backend b, int[] shape, List<Tensor> made) {
        Tensor x = b.tensor(b.nativeDType(), shape, new double[ConvCase.size(shape)]);
        made.add(x);
        return x;
    }

    private void addBoth(List<BadInputs.BadCall> calls, String what, String argument, DeformConv2dSpec s,
                         Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor bias, ConvArgs.Tensors t) {
        Backend b = backend();
        calls.add(new BadInputs.BadCall(what + " (forward)", argument,
                () -> b.deformConv2d(s, input, offset, mask, weight, bias).close()));
        if (declares(DEFORM_CONV2D_BACKWARD)) {
            calls.add(new BadInputs.BadCall(what + " (backward)", argument,
                    () -> b.deformConv2dBackward(s, t.gradOutput, input, offset, mask, weight, bias, ALL).close()));
        }
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD})
    @Stochastic
    @ConformanceProperty(cost = 2)
    public void conv10_repeatedAndConcurrentCallsAreBitIdentical(@ForAll("largeCases") ConvCase c) throws Exception {
        ConvArgs a = ConvArgs.of(c);
        Backend b = backend();
        boolean backward = declares(DEFORM_CONV2D_BACKWARD);
        try (ConvArgs.Tensors t = a.tensors(b)) {
            Determinism.check(this, () -> {
                List<double[]> all = new ArrayList<>();
                all.add(t.forward());
                if (backward) {
                    Map<Gradient, double[]> g = t.backward(ALL);
                    for (Gradient which : ALL) all.add(g.get(which));
                }
                return all;
            });
        }
        if (!backward) note(FORWARD_ONLY);
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD})
    @ConformanceExample
    public void conv11_caseDirectoriesReplay() throws Exception {
        CaseReplay.replay(this, CaseReplay.DEFORM_CONV2D);
    }

    @Override
    @Requires(value = {DEFORM_CONV2D_FORWARD}, guarantees = {Capabilities.Guarantee.NON_FINITE_PROPAGATION})
    @ConformanceProperty
    public void conv12_nonFiniteValuesPropagateAsInTheReference(@ForAll("cases") ConvCase c) {
        SplittableRandom r = c.extraRandom();
        ConvArgs a = ConvArgs.of(c);
        // Offsets and masks take the specials most often: they exercise the sampling rules (a NaN
        // coordinate, an infinite one, a non-finite mask outside the image); input, weight, bias and
        // output gradient the arithmetic (0 * inf of a zero-weight corner, inf - inf in a sum).
        a = a.withOffset(NonFinite.sprinkle(a.offset(), r, 0.7, 3))
                .withMask(NonFinite.sprinkle(a.mask(), r, 0.6, 3))
                .withInput(NonFinite.sprinkle(a.input(), r, 0.5, 2))
                .withWeight(NonFinite.sprinkle(a.weight(), r, 0.15, 1))
                .withBias(NonFinite.sprinkle(a.bias(), r, 0.15, 1))
                .withGradOutput(NonFinite.sprinkle(a.gradOutput(), r, 0.3, 2));
        // Floored by the magnitudes as conv01/conv02 (their non-finite entries count for nothing): the finite values
        // left can be few and cancel, e.g. two outputs, one NaN, the other a sum of 18 terms that nearly cancel
        // (2e-5 off in float32 at 3,000 tries, seed 31337: rounding, not a rule broken).
        expectClose("output with non-finite arguments", a.forward(backend()), a.forward(reference()),
                Magnitudes.convForward(a), Tolerances.FORWARD);
        if (!declares(DEFORM_CONV2D_BACKWARD)) {
            note(FORWARD_ONLY);
            return;
        }
        Map<Gradient, double[]> got = a.backward(backend(), ALL);
        Map<Gradient, double[]> want = a.backward(reference(), ALL);
        Map<Gradient, double[]> magnitude = Magnitudes.convBackward(a);
        for (Gradient g : ALL) {
            if (a.array(g) != null) {
                expectClose(g.fileStem() + " with non-finite arguments", got.get(g), want.get(g), magnitude.get(g),
                        Tolerances.BACKWARD);
            }
        }
    }

    @Provide
    Arbitrary<DType> sixteenBitDTypes() {
        return SixteenBit.dtypes();
    }

    @Override
    @Requires({DEFORM_CONV2D_FORWARD, DEFORM_CONV2D_BACKWARD})
    @ConformanceProperty(cost = 2, dtypes = {DType.F16, DType.BF16})
    public void conv13_sixteenBitResultsMatchReferenceWithinRounding(@ForAll("cases") ConvCase c,
                                                                     @ForAll("sixteenBitDTypes") DType dtype) {
        ConvArgs a = ConvArgs.of(c).rounded(dtype);
        Backend b = backend();
        double[] out;
        Map<Gradient, double[]> got = new java.util.EnumMap<>(Gradient.class);
        try (ConvArgs.Tensors t = a.tensors(b, dtype)) {
            try (Tensor o = b.deformConv2d(a.spec(), t.input, t.offset, t.mask, t.weight, t.bias)) {
                out = SixteenBit.readBack("output", o, dtype, backendName());
            }
            try (var g = b.deformConv2dBackward(a.spec(), t.gradOutput, t.input, t.offset, t.mask, t.weight, t.bias,
                    ALL)) {
                for (Gradient which : ALL) {
                    if (a.array(which) != null) {
                        got.put(which, SixteenBit.readBack(which.fileStem(), g.get(which), dtype, backendName()));
                    }
                }
            }
        }
        double[] want = a.forward(reference());
        double[] magnitude = Magnitudes.convForward(a);
        expectClose(dtype + " output", out, want, magnitude,
                SixteenBit.tolerance(dtype, Tolerances.FORWARD, want, magnitude));
        Map<Gradient, double[]> wantGrads = a.backward(reference(), ALL);
        Map<Gradient, double[]> magnitudes = Magnitudes.convBackward(a);
        for (Gradient g : got.keySet()) {
            expectClose(dtype + " " + g.fileStem(), got.get(g), wantGrads.get(g), magnitudes.get(g),
                    SixteenBit.tolerance(dtype, Tolerances.BACKWARD, wantGrads.get(g), magnitudes.get(g)));
        }
    }
}
