package dcn4j.conformance;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.internal.RoiArgs;
import dcn4j.conformance.internal.RoiPoolGeometry;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One generated deformable PS RoI pooling call: sizes, hyper-parameters and, drawn from
 * {@link #valueSeed()}, the float values of the feature map, the RoIs, the offsets and the output
 * gradient. RoIs are drawn in a {@link RoiStyle} so that the edges of the official kernel are hit
 * on purpose: corners that are exact integers or half-integers (rounding half away from zero),
 * tiny and inverted RoIs (the 0.1 minimum size), RoIs far outside the feature map (every sample
 * skipped). An empty RoI list is a valid call.
 *
 * <p>{@link #f32Safe()} says whether an F32 backend can be held to the F64 reference on this case
 * (see {@link RoiPoolGeometry}); random offsets are redrawn, cell by cell, until it is.
 */
public final class RoiPoolCase {

    /** How offsets are drawn. */
    public enum OffsetStyle {
        /** No offset tensor: {@code no_trans}. */
        NONE,
        /** An offset tensor of zeros. */
        ZERO,
        /** Uniform in {@code [-1, 1]}. */
        SMALL,
        /** Uniform in {@code [-6, 6]}: with {@code transStd = 1}, bins move several RoI sizes, out of the image. */
        LARGE
    }

    /** How RoI corners are drawn (in image coordinates, before {@code spatialScale}). */
    public enum RoiStyle {
        /** Random float corners inside the image. */
        INSIDE,
        /** Exact integer corners, from a little outside to the far side of the image. */
        INTEGER,
        /** Exact half-integer corners {@code k + 0.5}, negative ones included: where rounding rules differ. */
        HALF_INTEGER,
        /** Corners less than a pixel apart. */
        TINY,
        /** {@code x2 < x1} or {@code y2 < y1}: the kernel's 0.1 minimum size. */
        INVERTED,
        /** Entirely outside the feature map, on a random side. */
        FAR_OUTSIDE,
        /** Each RoI in one of the styles above. */
        MIXED
    }

    private final int batch, height, width, roiCount, numClasses;
    private final DeformPsRoiPoolSpec spec;
    private final OffsetStyle offsetStyle;
    private final RoiStyle roiStyle;
    private final long valueSeed;
    private final float[] input, rois, offset, gradOutput;
    private final boolean f32Safe;

    /** A case; {@code numClasses} must divide {@code spec.outputDim()}. Values are drawn from {@code valueSeed}. */
    public RoiPoolCase(int batch, int height, int width, int roiCount, int numClasses, DeformPsRoiPoolSpec spec,
                       OffsetStyle offsetStyle, RoiStyle roiStyle, long valueSeed) {
        this(batch, height, width, roiCount, numClasses, spec, offsetStyle, roiStyle, null, valueSeed);
    }

    /**
     * A case with the given RoIs, rows of {@code (batchIndex, x1, y1, x2, y2)} in image coordinates,
     * for hand-picked edges; the other values are drawn from {@code valueSeed}.
     */
    public RoiPoolCase(int batch, int height, int width, float[] rois, int numClasses, DeformPsRoiPoolSpec spec,
                       OffsetStyle offsetStyle, long valueSeed) {
        this(batch, height, width, rois.length / 5, numClasses, spec, offsetStyle, null, rois.clone(), valueSeed);
        if (rois.length % 5 != 0) {
            throw new IllegalArgumentException("rois: expected rows of 5 values, got " + rois.length + " values");
        }
    }

    private RoiPoolCase(int batch, int height, int width, int roiCount, int numClasses, DeformPsRoiPoolSpec spec,
                        OffsetStyle offsetStyle, RoiStyle roiStyle, float[] givenRois, long valueSeed) {
        if (spec.outputDim() % numClasses != 0) {
            throw new IllegalArgumentException("numClasses: expected a divisor of outputDim=" + spec.outputDim()
                    + ", got " + numClasses);
        }
        this.batch = batch;
        this.height = height;
        this.width = width;
        this.roiCount = roiCount;
        this.numClasses = numClasses;
        this.spec = spec;
        this.offsetStyle = offsetStyle;
        this.roiStyle = roiStyle;
        this.valueSeed = valueSeed;
        SplittableRandom r = new SplittableRandom(valueSeed);
        this.input = ConvCase.uniform(r, ConvCase.size(inputShape()), -1, 1);
        this.rois = givenRois != null ? givenRois : drawRois(r);
        this.gradOutput = ConvCase.uniform(r, ConvCase.size(outputShape()), -1, 1);
        float[] off = offsetStyle == OffsetStyle.NONE ? null : new float[ConvCase.size(offsetShape())];
        if (off != null) {
            for (int i = 0; i < off.length; i++) off[i] = drawOffset(r);
        }
        boolean safe = false;
        for (int round = 0; round < 40 && !safe; round++) {
            boolean[] unsafe = RoiPoolGeometry.unsafeCells(spec, off == null ? 1 : numClasses, height, width, rois,
                    roiCount, off);
            safe = true;
            for (boolean u : unsafe) safe &= !u;
            if (safe || off == null || offsetStyle == OffsetStyle.ZERO) break;
            // Move only the offsets of the cells too close to a discontinuity; the rest stay as drawn.
            int part = spec.partSize();
            for (int cell = 0; cell < unsafe.length; cell++) {
                if (!unsafe[cell]) continue;
                int rc = cell / (part * part), inPart = cell % (part * part);
                int roi = rc / numClasses, cls = rc % numClasses;
                int base = (roi * 2 * numClasses + 2 * cls) * part * part + inPart;
                off[base] = drawOffset(r);
                off[base + part * part] = drawOffset(r);
            }
        }
        this.offset = off;
        this.f32Safe = safe;
    }

    private float drawOffset(SplittableRandom r) {
        return switch (offsetStyle) {
            case NONE, ZERO -> 0f;
            case SMALL -> (float) r.nextDouble(-1, 1);
            case LARGE -> (float) r.nextDouble(-6, 6);
        };
    }

    private float[] drawRois(SplittableRandom r) {
        float[] v = new float[roiCount * 5];
        RoiStyle[] pure = {RoiStyle.INSIDE, RoiStyle.INTEGER, RoiStyle.HALF_INTEGER, RoiStyle.TINY, RoiStyle.INVERTED,
            RoiStyle.FAR_OUTSIDE};
        double s = spec.spatialScale();
        for (int i = 0; i < roiCount; i++) {
            RoiStyle style = roiStyle == RoiStyle.MIXED ? pure[r.nextInt(pure.length)] : roiStyle;
            // The batch index is truncated by the kernel; a fractional one now and then checks that.
            v[i * 5] = r.nextInt(batch) + (r.nextInt(8) == 0 ? 0.5f : 0f);
            double[] x = corners(r, style, width / s, s);
            double[] y = corners(r, style, height / s, s);
            if (style == RoiStyle.FAR_OUTSIDE && r.nextBoolean()) {
                // One axis outside is enough to put every sample outside; keep the other one ordinary.
                if (r.nextBoolean()) x = corners(r, RoiStyle.INSIDE, width / s, s);
                else y = corners(r, RoiStyle.INSIDE, height / s, s);
            }
            v[i * 5 + 1] = (float) x[0];
            v[i * 5 + 2] = (float) y[0];
            v[i * 5 + 3] = (float) x[1];
            v[i * 5 + 4] = (float) y[1];
        }
        return v;
    }

    /** Two corners along an axis of {@code extent} image pixels ({@code size / spatialScale}). */
    private static double[] corners(SplittableRandom r, RoiStyle style, double extent, double scale) {
        double a, b;
        switch (style) {
            case INSIDE -> {
                a = r.nextDouble(0, extent);
                b = r.nextDouble(a, extent + 1e-9);
            }
            case INTEGER -> {
                a = r.nextInt((int) Math.floor(-2 / scale), (int) Math.ceil(extent) + 1);
                b = a + r.nextInt(0, (int) Math.ceil(extent) + 2);
            }
            case HALF_INTEGER -> {
                a = r.nextInt((int) Math.floor(-2 / scale), (int) Math.ceil(extent) + 1) + 0.5;
                b = a + r.nextInt(0, (int) Math.ceil(extent) + 2);
            }
            case TINY -> {
                a = r.nextDouble(-1 / scale, extent);
                b = a + r.nextDouble(0, 0.8);
            }
            case INVERTED -> {
                a = r.nextDouble(0, extent + 1);
                b = a - r.nextDouble(1, 5) / scale;
            }
            case FAR_OUTSIDE -> {
                if (r.nextBoolean()) {
                    a = extent + r.nextDouble(3, 8) / scale;
                    b = a + r.nextDouble(0, 4) / scale;
                } else {
                    b = -r.nextDouble(3, 8) / scale;
                    a = b - r.nextDouble(0, 4) / scale;
                }
            }
            default -> throw new AssertionError(style);
        }
        return new double[] {a, b};
    }

    /** The hyper-parameters. */
    public DeformPsRoiPoolSpec spec() {
        return spec;
    }

    /** {@code [N, outputDim*groupSize^2, H, W]}. */
    public int[] inputShape() {
        return new int[] {batch, spec.inputChannels(), height, width};
    }

    /** {@code [R, 5]}. */
    public int[] roisShape() {
        return new int[] {roiCount, 5};
    }

    /** {@code [R, 2*numClasses, partSize, partSize]}. */
    public int[] offsetShape() {
        return new int[] {roiCount, 2 * numClasses, spec.partSize(), spec.partSize()};
    }

    /** {@code [R, outputDim, pooledSize, pooledSize]}. */
    public int[] outputShape() {
        return new int[] {roiCount, spec.outputDim(), spec.pooledSize(), spec.pooledSize()};
    }

    /** Whether an offset tensor is passed (else {@code no_trans}). */
    public boolean hasOffset() {
        return offset != null;
    }

    /** Whether an F32 backend can be held to the F64 reference on this case ({@link RoiPoolGeometry}). */
    public boolean f32Safe() {
        return f32Safe;
    }

    /** The seed the values are drawn from. */
    public long valueSeed() {
        return valueSeed;
    }

    /** See {@link #inputShape()}, {@link #offsetShape()}, {@link #outputShape()}. */
    public int batch() {
        return batch;
    }

    /** See {@link #inputShape()}, {@link #offsetShape()}, {@link #outputShape()}. */
    public int height() {
        return height;
    }

    /** See {@link #inputShape()}, {@link #offsetShape()}, {@link #outputShape()}. */
    public int width() {
        return width;
    }

    /** See {@link #inputShape()}, {@link #offsetShape()}, {@link #outputShape()}. */
    public int roiCount() {
        return roiCount;
    }

    /** See {@link #inputShape()}, {@link #offsetShape()}, {@link #outputShape()}. */
    public int numClasses() {
        return numClasses;
    }

    /** The input values (a fresh copy), {@code null} when absent. */
    public float[] input() {
        return input.clone();
    }

    /** The rois values (a fresh copy), {@code null} when absent. */
    public float[] rois() {
        return rois.clone();
    }

    /** The offset values (a fresh copy), {@code null} when absent. */
    public float[] offset() {
        return offset == null ? null : offset.clone();
    }

    /** The gradOutput values (a fresh copy), {@code null} when absent. */
    public float[] gradOutput() {
        return gradOutput.clone();
    }

    /**
     * The arguments as tensors of {@code b}'s native dtype: input, rois, offset ({@code null}
     * without), gradOutput; the caller closes them.
     */
    public Tensor[] tensors(Backend b) {
        RoiArgs a = RoiArgs.of(this);
        DType d = b.nativeDType();
        return new Tensor[] {b.tensor(d, inputShape(), a.input()), b.tensor(d, roisShape(), a.rois()),
            a.offset() == null ? null : b.tensor(d, offsetShape(), a.offset()),
            b.tensor(d, outputShape(), a.gradOutput())};
    }

    /** The forward output of this case computed by {@code b}, read back. */
    public double[] forward(Backend b) {
        return RoiArgs.of(this).forward(b);
    }

    /** The gradients in {@code wanted} (input, offset) of the arguments present, computed by {@code b}. */
    public Map<Gradient, double[]> backward(Backend b, Set<Gradient> wanted) {
        return RoiArgs.of(this).backward(b, wanted);
    }

    SplittableRandom extraRandom() {
        return new SplittableRandom(valueSeed ^ 0x9E3779B97F4A7C15L);
    }

    @Override
    public String toString() {
        return "RoiPoolCase{N=" + batch + ", H=" + height + ", W=" + width + ", R=" + roiCount + ", rois="
                + (roiStyle != null ? roiStyle : java.util.Arrays.toString(rois))
                + ", outputDim=" + spec.outputDim() + ", groupSize=" + spec.groupSize() + ", pooledSize="
                + spec.pooledSize() + ", partSize=" + spec.partSize() + ", samplePerPart=" + spec.samplePerPart()
                + ", spatialScale=" + spec.spatialScale() + ", transStd=" + spec.transStd() + ", numClasses="
                + numClasses + ", offset=" + offsetStyle + ", valueSeed=" + valueSeed + "}";
    }
}
