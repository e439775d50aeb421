package dcn4j;

import java.util.EnumSet;
import java.util.Set;

/** The differentiable arguments of an operator, used to ask a backward pass for only what is needed. */
public enum Gradient {
    INPUT, OFFSET, MASK, WEIGHT, BIAS;

    /** Every gradient of deformable convolution (those whose argument is absent are skipped). */
    public static Set<Gradient> all() {
        return EnumSet.allOf(Gradient.class);
    }

    /** The snake-case name used in case directories: {@code grad_input}, {@code grad_offset}, ... */
    public String fileStem() {
        return "grad_" + name().toLowerCase(java.util.Locale.ROOT);
    }
}
