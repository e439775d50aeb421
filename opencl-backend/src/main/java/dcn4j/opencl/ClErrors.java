package dcn4j.opencl;

import org.jocl.CL;

/** OpenCL status codes to names ({@code -5} to {@code CL_OUT_OF_RESOURCES}), through JOCL's table. */
final class ClErrors {

    private ClErrors() {
    }

    /** The name of an OpenCL status code; {@code CL_UNKNOWN_ERROR_<code>} for codes no table knows. */
    static String name(int code) {
        // Codes of the ICD loader's cl_khr_icd extension are not in JOCL's table.
        if (code == -1001) return "CL_PLATFORM_NOT_FOUND_KHR";
        String name;
        try {
            name = CL.stringFor_errorCode(code);
        } catch (Throwable e) {
            // JOCL's native library did not load: CL's static initialiser failed. The name is then
            // still wanted for the message that explains the failure.
            return "CL_ERROR_" + code;
        }
        return name == null || name.startsWith("INVALID") ? "CL_UNKNOWN_ERROR_" + code : name;
    }
}
