package dcn4j;

/**
 * Result of {@link Backend#deformPsRoiPoolBackward}: gradients for the input feature map and the
 * offsets, {@code null} where not requested or absent. RoIs get no gradient.
 */
public record DeformPsRoiPoolGradients(Tensor input, Tensor offset) implements AutoCloseable {

    /** The gradient for {@code which} ({@code INPUT} or {@code OFFSET}), or {@code null}. */
    public Tensor get(Gradient which) {
        return switch (which) {
            case INPUT -> input;
            case OFFSET -> offset;
            default -> null;
        };
    }

    @Override
    public void close() {
        if (input != null) input.close();
        if (offset != null) offset.close();
    }
}
