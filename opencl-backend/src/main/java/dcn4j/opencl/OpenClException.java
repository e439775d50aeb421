package dcn4j.opencl;

/**
 * An OpenCL call failed. Carries the OpenCL error name (e.g. {@code CL_OUT_OF_RESOURCES}), its
 * numeric code and the call that failed (e.g. {@code clEnqueueNDRangeKernel(gemm)}); a failed
 * program build also carries the compiler's build log in the message.
 */
public final class OpenClException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errorCode;
    private final String errorName;

    OpenClException(String call, int errorCode, String detail) {
        super(call + " failed: " + ClErrors.name(errorCode) + " (" + errorCode + ")"
                + (detail == null || detail.isEmpty() ? "" : "; " + detail));
        this.call = call;
        this.errorCode = errorCode;
        this.errorName = ClErrors.name(errorCode);
    }

    /** The OpenCL call that failed, with what it was applied to, e.g. {@code clBuildProgram(gemm.cl)}. */
    public String call() {
        return call;
    }

    /** The OpenCL status code, e.g. {@code -5}. */
    public int errorCode() {
        return errorCode;
    }

    /** The OpenCL status name, e.g. {@code CL_OUT_OF_RESOURCES}. */
    public String errorName() {
        return errorName;
    }
}
