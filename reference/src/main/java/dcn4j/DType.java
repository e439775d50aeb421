package dcn4j;

/** Element type of a {@link Tensor}. */
public enum DType {
    /** IEEE 754 binary32, numpy {@code <f4}. */
    F32,
    /** IEEE 754 binary64, numpy {@code <f8}. */
    F64
}
