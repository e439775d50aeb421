package dcn4j;

/**
 * Result of {@link Backend#deformConv2dBackward}: one tensor per requested gradient, {@code null}
 * where it was not requested or the argument was absent. Shapes equal those of the arguments.
 */
public record DeformConv2dGradients(Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor bias)
        implements AutoCloseable {

    /** The gradient for {@code which}, or {@code null}. */
    public Tensor get(Gradient which) {
        return switch (which) {
            case INPUT -> input;
            case OFFSET -> offset;
            case MASK -> mask;
            case WEIGHT -> weight;
            case BIAS -> bias;
        };
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {input, offset, mask, weight, bias}) {
            if (t != null) t.close();
        }
    }
}
