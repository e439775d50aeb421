package dcn4j.spi;

import dcn4j.DType;
import dcn4j.DeformConv2dSpec.Border;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a backend computes: which {@link Operation}s (each operator, forward and backward apart) and
 * in which element types. A provider declares it through {@link BackendProvider#capabilities()};
 * the default is everything, which every dcn4j backend implements. The conformance suite runs the
 * rules whose operations a backend declares and reports the others as "not supported" (never as
 * passed); a call outside the declaration may throw {@link UnsupportedOperationException} naming
 * what is missing.
 *
 * @param operations the operations implemented, never empty
 * @param dtypes     the element types computed in; the backend's {@code supports(DType)} still
 *                   decides which tensors it accepts, never more than these
 * @param borders    the deformable convolution border rules implemented ({@link Border}; DESIGN.md
 *                   "Semantics"), never empty
 * @param guarantees the semantic promises kept ({@link Guarantee}); may be empty
 */
public record Capabilities(Set<Operation> operations, Set<DType> dtypes, Set<Border> borders,
        Set<Guarantee> guarantees) {

    /**
     * A promise about values rather than about which calls exist: a backend wrapping an engine it
     * does not control (ONNX Runtime) can keep every operation it declares and still not keep one of
     * these; the rules that check it are then "not supported", never passed.
     */
    public enum Guarantee {
        /** NaN and ±∞ propagate as DESIGN.md "Non-finite values" states (torchvision's float64 arithmetic). */
        NON_FINITE_PROPAGATION("non-finite propagation");

        private final String label;

        Guarantee(String label) {
            this.label = label;
        }

        /** E.g. {@code non-finite propagation}. */
        public String label() {
            return label;
        }
    }

    /** One operator in one direction. */
    public enum Operation {
        /** {@code deformConv2d}. */
        DEFORM_CONV2D_FORWARD,
        /** {@code deformConv2dBackward}. */
        DEFORM_CONV2D_BACKWARD,
        /** {@code deformPsRoiPool}. */
        DEFORM_PSROI_POOL_FORWARD,
        /** {@code deformPsRoiPoolBackward}. */
        DEFORM_PSROI_POOL_BACKWARD;

        /** E.g. {@code deform_conv2d backward}. */
        public String label() {
            String n = name().toLowerCase(Locale.ROOT);
            int cut = n.lastIndexOf('_');
            return n.substring(0, cut) + " " + n.substring(cut + 1);
        }
    }

    public Capabilities {
        if (operations == null || operations.isEmpty()) {
            throw new IllegalArgumentException("operations: expected at least one operation, got " + operations);
        }
        if (dtypes == null || dtypes.isEmpty()) {
            throw new IllegalArgumentException("dtypes: expected at least one element type, got " + dtypes);
        }
        if (borders == null || borders.isEmpty()) {
            throw new IllegalArgumentException("borders: expected at least one border rule, got " + borders);
        }
        operations = Collections.unmodifiableSet(EnumSet.copyOf(operations));
        dtypes = Collections.unmodifiableSet(EnumSet.copyOf(dtypes));
        borders = Collections.unmodifiableSet(EnumSet.copyOf(borders));
        if (guarantees == null) {
            throw new IllegalArgumentException("guarantees: expected a set (possibly empty), got null");
        }
        guarantees = Collections.unmodifiableSet(guarantees.isEmpty() ? EnumSet.noneOf(Guarantee.class)
                : EnumSet.copyOf(guarantees));
    }

    /** The given operations, element types and border rules, with every guarantee. */
    public Capabilities(Set<Operation> operations, Set<DType> dtypes, Set<Border> borders) {
        this(operations, dtypes, borders, EnumSet.allOf(Guarantee.class));
    }

    /** The given operations and element types, every border rule. */
    public Capabilities(Set<Operation> operations, Set<DType> dtypes) {
        this(operations, dtypes, EnumSet.allOf(Border.class));
    }

    /** Every operation in every element type: what a provider declares unless it says otherwise. */
    public static Capabilities all() {
        return new Capabilities(EnumSet.allOf(Operation.class), EnumSet.allOf(DType.class), EnumSet.allOf(Border.class),
                EnumSet.allOf(Guarantee.class));
    }

    /** The given operations in the given element types, with every border rule. */
    public static Capabilities of(Set<Operation> operations, Set<DType> dtypes) {
        return new Capabilities(operations, dtypes);
    }

    /** The given operations in the given element types, with the given border rules only. */
    public static Capabilities of(Set<Operation> operations, Set<DType> dtypes, Set<Border> borders) {
        return new Capabilities(operations, dtypes, borders);
    }

    /** The given operations, element types and border rules, keeping only the given guarantees. */
    public static Capabilities of(Set<Operation> operations, Set<DType> dtypes, Set<Border> borders,
            Set<Guarantee> guarantees) {
        return new Capabilities(operations, dtypes, borders, guarantees);
    }

    /** Whether {@code op} is implemented. */
    public boolean supports(Operation op) {
        return operations.contains(op);
    }

    /** Whether the backend computes in {@code dtype}. */
    public boolean supports(DType dtype) {
        return dtypes.contains(dtype);
    }

    /** Whether deformable convolution is computed with border rule {@code border}. */
    public boolean supports(Border border) {
        return borders.contains(border);
    }

    /** Whether the backend keeps {@code guarantee}. */
    public boolean supports(Guarantee guarantee) {
        return guarantees.contains(guarantee);
    }

    /** Whether this declares everything, as {@link #all()} does. */
    public boolean isEverything() {
        return operations.size() == Operation.values().length && dtypes.size() == DType.values().length
                && borders.size() == Border.values().length && guarantees.size() == Guarantee.values().length;
    }

    /** E.g. {@code "deform_conv2d forward; F32; border torchvision"}, or {@code "everything"}. */
    @Override
    public String toString() {
        if (isEverything()) return "everything";
        return operations.stream().map(Operation::label).collect(Collectors.joining(", ")) + "; "
                + dtypes.stream().map(Enum::name).collect(Collectors.joining(", "))
                + (borders.size() == Border.values().length ? "" : "; border " + borders.stream()
                        .map(b -> b.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")))
                + EnumSet.complementOf(guarantees.isEmpty() ? EnumSet.noneOf(Guarantee.class) : EnumSet.copyOf(guarantees))
                        .stream().map(g -> "; without " + g.label()).collect(Collectors.joining());
    }
}
