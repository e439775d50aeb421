package dcn4j.reference;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import dcn4j.spi.DeformConv2dShape;
import dcn4j.spi.DeformPsRoiPoolShape;
import dcn4j.spi.HalfPrecision;
import dcn4j.spi.HostBuffers;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Set;

/**
 * The scalar reference backend: float64 arithmetic whatever the tensors' dtype (F32, F16 and BF16
 * inputs are widened exactly, their results rounded once, at the end). It defines dcn4j's semantics; argument checking lives in
 * {@link DeformConv2dShape} / {@link DeformPsRoiPoolShape}, the arithmetic in
 * {@link ReferenceDeformConv2d} and {@link ReferenceDeformPsRoiPool}.
 */
final class ReferenceBackend implements Backend {

    private volatile boolean closed;

    @Override
    public String name() {
        return ReferenceProvider.NAME;
    }

    @Override
    public String description() {
        return "host CPU, scalar float64 reference";
    }

    @Override
    public DType nativeDType() {
        return DType.F64;
    }

    @Override
    public boolean supports(DType dtype) {
        return true;
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, double[] data) {
        requireOpen();
        requireDType(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        return new ReferenceTensor(this, dtype, shape, data.clone());
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, float[] data) {
        requireOpen();
        requireDType(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) d[i] = data[i];
        return new ReferenceTensor(this, dtype, shape, d);
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, FloatBuffer data) {
        requireDType(dtype);
        HostBuffers.nonNull("data", data);
        double[] d = new double[Checks.elementCount(shape, data.remaining())];
        int p = data.position();
        for (int i = 0; i < d.length; i++) d[i] = data.get(p + i);
        return new ReferenceTensor(this, dtype, shape, d);
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, ShortBuffer bits) {
        HostBuffers.checkSixteenBit("dtype", dtype);
        HostBuffers.nonNull("bits", bits);
        double[] d = new double[Checks.elementCount(shape, bits.remaining())];
        int p = bits.position();
        for (int i = 0; i < d.length; i++) d[i] = HalfPrecision.toFloat(dtype, bits.get(p + i));
        return new ReferenceTensor(this, dtype, shape, d);
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, ByteBuffer data) {
        requireDType(dtype);
        HostBuffers.rawCount(dtype, shape, data);
        return new ReferenceTensor(this, dtype, shape, HostBuffers.doubles(dtype, data));
    }

    @Override
    public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                               Tensor bias) {
        requireOpen();
        DeformConv2dShape s = DeformConv2dShape.of(name(), spec, input, offset, mask, weight, bias);
        ReferenceDeformConv2d.checkColumns(s);
        double[] out = ReferenceDeformConv2d.forward(s, data(input), data(offset), data(mask), data(weight),
                data(bias));
        return new ReferenceTensor(this, s.dtype(), s.outputShape(), out);
    }

    @Override
    public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                      Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                      Set<Gradient> wanted) {
        requireOpen();
        DeformConv2dShape s = DeformConv2dShape.ofBackward(name(), spec, gradOutput, input, offset, mask, weight,
                bias, wanted);
        ReferenceDeformConv2d.checkColumns(s);
        ReferenceDeformConv2d.Grads g = ReferenceDeformConv2d.backward(s, data(gradOutput), data(input),
                data(offset), data(mask), data(weight), wanted.contains(Gradient.INPUT),
                wanted.contains(Gradient.OFFSET), wanted.contains(Gradient.MASK), wanted.contains(Gradient.WEIGHT),
                wanted.contains(Gradient.BIAS));
        return new DeformConv2dGradients(wrap(s.dtype(), input, g.input()), wrap(s.dtype(), offset, g.offset()),
                wrap(s.dtype(), mask, g.mask()), wrap(s.dtype(), weight, g.weight()), wrap(s.dtype(), bias, g.bias()));
    }

    @Override
    public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
        requireOpen();
        DeformPsRoiPoolShape s = DeformPsRoiPoolShape.of(name(), spec, input, rois, roisOnHost(rois), offset);
        double[] out = ReferenceDeformPsRoiPool.forward(s, data(input), data(rois), data(offset));
        return new ReferenceTensor(this, s.dtype(), s.outputShape(), out);
    }

    @Override
    public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                            Tensor input, Tensor rois, Tensor offset,
                                                            Set<Gradient> wanted) {
        requireOpen();
        DeformPsRoiPoolShape s = DeformPsRoiPoolShape.ofBackward(name(), spec, gradOutput, input, rois,
                roisOnHost(rois), offset, wanted);
        ReferenceDeformPsRoiPool.Grads g = ReferenceDeformPsRoiPool.backward(s, data(gradOutput), data(input),
                data(rois), data(offset), wanted.contains(Gradient.INPUT), wanted.contains(Gradient.OFFSET));
        return new DeformPsRoiPoolGradients(wrap(s.dtype(), input, g.input()), wrap(s.dtype(), offset, g.offset()));
    }

    /**
     * Closes the backend: like the other backends, it and its tensors then fail with
     * {@link IllegalStateException} (their heap arrays are left to the garbage collector).
     */
    @Override
    public void close() {
        closed = true;
    }

    void requireOpen() {
        if (closed) throw new IllegalStateException("backend 'reference' is closed");
    }

    private static void requireDType(DType dtype) {
        if (dtype == null) throw new IllegalArgumentException("dtype: expected F32, F64, F16 or BF16, got null");
    }

    /** The storage of a reference tensor, {@code null} for an absent optional argument. Shape checks come first. */
    private static double[] data(Tensor t) {
        return t == null ? null : ((ReferenceTensor) t).data();
    }

    private static double[] roisOnHost(Tensor rois) {
        Checks.owned("rois", rois, ReferenceProvider.NAME, rois == null ? null : rois.dtype());
        return ((ReferenceTensor) rois).data();
    }

    /** A gradient tensor shaped like {@code like}, or {@code null} when not computed. */
    private Tensor wrap(DType dtype, Tensor like, double[] grad) {
        return grad == null ? null : new ReferenceTensor(this, dtype, like.shape(), grad);
    }
}
