package dcn4j.opencl;

import static org.jocl.CL.CL_SUCCESS;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

/**
 * The OpenCL calls dcn4j makes, each turning a failure into an {@link OpenClException} that names
 * the OpenCL error and the call. JOCL either returns status codes or, when someone enabled
 * {@code CL.setExceptionsEnabled(true)} in this JVM, throws {@link CLException}; both are handled,
 * and JOCL's global switch is left alone.
 */
final class Cl {

    private Cl() {
    }

    static void check(int status, String call) {
        if (status != CL_SUCCESS) throw new OpenClException(call, status, null);
    }

    private static OpenClException wrap(CLException e, String call) {
        return new OpenClException(call, e.getStatus(), null);
    }

    // ---- platforms and devices ----

    /** Every platform; an empty array when the ICD loader finds none ({@code CL_PLATFORM_NOT_FOUND_KHR}). */
    static cl_platform_id[] platforms() {
        int[] count = new int[1];
        int status;
        try {
            status = CL.clGetPlatformIDs(0, null, count);
        } catch (CLException e) {
            status = e.getStatus();
        }
        if (status == -1001) return new cl_platform_id[0]; // CL_PLATFORM_NOT_FOUND_KHR: no ICD installed
        check(status, "clGetPlatformIDs");
        cl_platform_id[] ids = new cl_platform_id[count[0]];
        if (ids.length == 0) return ids;
        try {
            check(CL.clGetPlatformIDs(ids.length, ids, null), "clGetPlatformIDs");
        } catch (CLException e) {
            throw wrap(e, "clGetPlatformIDs");
        }
        return ids;
    }

    /**
     * {@code CL_DEVICE_TYPE_ALL} as {@code cl.h} defines it, {@code 0xFFFFFFFF}. JOCL's constant is
     * the 64-bit {@code -1L}; Mesa's rusticl rejects that value with {@code CL_INVALID_DEVICE_TYPE}.
     */
    static final long DEVICE_TYPE_ALL = 0xFFFFFFFFL;

    /** Every device of {@code platform}; empty when it has none ({@code CL_DEVICE_NOT_FOUND}). */
    static cl_device_id[] devices(cl_platform_id platform) {
        int[] count = new int[1];
        int status;
        try {
            status = CL.clGetDeviceIDs(platform, DEVICE_TYPE_ALL, 0, null, count);
        } catch (CLException e) {
            status = e.getStatus();
        }
        if (status == CL.CL_DEVICE_NOT_FOUND) return new cl_device_id[0];
        check(status, "clGetDeviceIDs");
        cl_device_id[] ids = new cl_device_id[count[0]];
        if (ids.length == 0) return ids;
        try {
            check(CL.clGetDeviceIDs(platform, DEVICE_TYPE_ALL, ids.length, ids, null), "clGetDeviceIDs");
        } catch (CLException e) {
            throw wrap(e, "clGetDeviceIDs");
        }
        return ids;
    }

    static String platformString(cl_platform_id platform, int param, String what) {
        String call = "clGetPlatformInfo(" + what + ")";
        try {
            long[] size = new long[1];
            check(CL.clGetPlatformInfo(platform, param, 0, null, size), call);
            byte[] bytes = new byte[(int) size[0]];
            check(CL.clGetPlatformInfo(platform, param, bytes.length, Pointer.to(bytes), null), call);
            return cString(bytes);
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    static String deviceString(cl_device_id device, int param, String what) {
        String call = "clGetDeviceInfo(" + what + ")";
        try {
            long[] size = new long[1];
            check(CL.clGetDeviceInfo(device, param, 0, null, size), call);
            byte[] bytes = new byte[(int) size[0]];
            check(CL.clGetDeviceInfo(device, param, bytes.length, Pointer.to(bytes), null), call);
            return cString(bytes);
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    /** A {@code cl_ulong} (or {@code cl_bitfield}) device property. */
    static long deviceLong(cl_device_id device, int param, String what) {
        String call = "clGetDeviceInfo(" + what + ")";
        long[] value = new long[1];
        try {
            check(CL.clGetDeviceInfo(device, param, Sizeof.cl_ulong, Pointer.to(value), null), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
        return value[0];
    }

    /** A {@code cl_uint} device property. */
    static int deviceInt(cl_device_id device, int param, String what) {
        String call = "clGetDeviceInfo(" + what + ")";
        int[] value = new int[1];
        try {
            check(CL.clGetDeviceInfo(device, param, Sizeof.cl_uint, Pointer.to(value), null), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
        return value[0];
    }

    /** A {@code size_t} device property. */
    static long deviceSize(cl_device_id device, int param, String what) {
        String call = "clGetDeviceInfo(" + what + ")";
        ByteBuffer b = ByteBuffer.allocate(Sizeof.size_t).order(ByteOrder.nativeOrder());
        try {
            check(CL.clGetDeviceInfo(device, param, Sizeof.size_t, Pointer.to(b), null), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
        return Sizeof.size_t == 8 ? b.getLong(0) : b.getInt(0) & 0xffffffffL;
    }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) n++;
        return new String(bytes, 0, n, StandardCharsets.UTF_8).trim();
    }

    // ---- context, queue, memory ----

    static cl_context createContext(cl_platform_id platform, cl_device_id device) {
        int[] status = new int[1];
        org.jocl.cl_context_properties props = new org.jocl.cl_context_properties();
        props.addProperty(CL.CL_CONTEXT_PLATFORM, platform);
        try {
            cl_context c = CL.clCreateContext(props, 1, new cl_device_id[] {device}, null, null, status);
            check(status[0], "clCreateContext");
            return c;
        } catch (CLException e) {
            throw wrap(e, "clCreateContext");
        }
    }

    @SuppressWarnings("deprecation")
    static cl_command_queue createQueue(cl_context context, cl_device_id device) {
        int[] status = new int[1];
        try {
            // clCreateCommandQueue: OpenCL 1.2 (clCreateCommandQueueWithProperties needs 2.0). In-order.
            cl_command_queue q = CL.clCreateCommandQueue(context, device, 0, status);
            check(status[0], "clCreateCommandQueue");
            return q;
        } catch (CLException e) {
            throw wrap(e, "clCreateCommandQueue");
        }
    }

    /** A device buffer of {@code bytes}; initialised from {@code host} when not {@code null}. */
    static cl_mem createBuffer(cl_context context, long bytes, Pointer host, String what) {
        String call = "clCreateBuffer(" + what + ", " + bytes + " bytes)";
        int[] status = new int[1];
        long flags = CL.CL_MEM_READ_WRITE | (host == null ? 0 : CL.CL_MEM_COPY_HOST_PTR);
        try {
            cl_mem m = CL.clCreateBuffer(context, flags, bytes, host, status);
            check(status[0], call);
            return m;
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    static void read(cl_command_queue queue, cl_mem mem, long bytes, Pointer host, String what) {
        String call = "clEnqueueReadBuffer(" + what + ")";
        try {
            check(CL.clEnqueueReadBuffer(queue, mem, true, 0, bytes, host, 0, null, null), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    /** A blocking write of {@code bytes} from {@code host} to the start of {@code mem}. */
    static void write(cl_command_queue queue, cl_mem mem, long bytes, Pointer host, String what) {
        String call = "clEnqueueWriteBuffer(" + what + ")";
        try {
            check(CL.clEnqueueWriteBuffer(queue, mem, true, 0, bytes, host, 0, null, null), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    /**
     * Copies a 3-D box of bytes between buffers: {@code region} = (bytes per row, rows, slices), origins
     * in (bytes, rows, slices), pitches in bytes.
     */
    static void copyRect(cl_command_queue queue, cl_mem src, cl_mem dst, long[] srcOrigin, long[] dstOrigin,
                         long[] region, long srcRowPitch, long srcSlicePitch, long dstRowPitch, long dstSlicePitch,
                         String what) {
        String call = "clEnqueueCopyBufferRect(" + what + ")";
        try {
            check(CL.clEnqueueCopyBufferRect(queue, src, dst, srcOrigin, dstOrigin, region, srcRowPitch,
                    srcSlicePitch, dstRowPitch, dstSlicePitch, 0, null, null), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    static void fill(cl_command_queue queue, cl_mem mem, long bytes, String what) {
        String call = "clEnqueueFillBuffer(" + what + ")";
        try {
            check(CL.clEnqueueFillBuffer(queue, mem, Pointer.to(new int[] {0}), Sizeof.cl_int, 0, bytes, 0, null,
                    null), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    static void finish(cl_command_queue queue, String what) {
        String call = "clFinish(" + what + ")";
        try {
            check(CL.clFinish(queue), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    // ---- programs and kernels ----

    /**
     * How many times a build is attempted when the compiler's temporary file was removed under it
     * ({@link #temporaryRemoved}); any other build failure is reported at once.
     */
    static final int BUILD_ATTEMPTS = 4;

    /**
     * Compiles {@code source} for {@code device}; a build failure throws with the build log in
     * the message. A build whose only fault is a compiler temporary removed under it is attempted
     * again, {@link #BUILD_ATTEMPTS} times in all (docs/DESIGN.md "OpenCL runtime", signal chaining).
     */
    static cl_program buildProgram(cl_context context, cl_device_id device, String name, String source,
                                   String options) {
        for (int attempt = 1; ; attempt++) {
            int[] status = new int[1];
            cl_program program;
            try {
                program = CL.clCreateProgramWithSource(context, 1, new String[] {source}, null,
                        status);
                check(status[0], "clCreateProgramWithSource(" + name + ")");
            } catch (CLException e) {
                throw wrap(e, "clCreateProgramWithSource(" + name + ")");
            }
            int built;
            try {
                built = CL.clBuildProgram(program, 1, new cl_device_id[] {device}, options, null, null);
            } catch (CLException e) {
                built = e.getStatus();
            }
            if (built == CL_SUCCESS) return program;
            String log;
            try {
                log = buildLog(program, device);
            } catch (RuntimeException e) {
                log = "(build log unavailable: " + e.getMessage() + ")";
            }
            release(program);
            if (!temporaryRemoved(log)) {
                throw new OpenClException("clBuildProgram(" + name + ")", built, "build log:\n" + log);
            }
            if (attempt == BUILD_ATTEMPTS) {
                throw new OpenClException("clBuildProgram(" + name + ")", built, "build log:\n" + log
                        + "\n" + temporaryRemovedAdvice(attempt));
            }
        }
    }

    /**
     * Whether a build log says that the compiler's temporary output file vanished before it was renamed.
     * LLVM, which PoCL and Mesa compile with, deletes the temporary files it registered when the process
     * takes a fatal-looking signal (SIGSEGV, SIGBUS, ...), then hands the signal on. The JVM takes SIGSEGV on
     * purpose at every safepoint a compiled thread polls, so a garbage collection during a build removes the
     * compiler's file and fails the build, unless {@code libjsig} chains LLVM's handler behind the JVM's.
     */
    static boolean temporaryRemoved(String buildLog) {
        return buildLog.contains("unable to rename temporary");
    }

    /** What a user can do about {@link #temporaryRemoved} failures. */
    static String temporaryRemovedAdvice(int attempts) {
        String libjsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so").toString();
        return "The OpenCL compiler's temporary file was removed during the build, " + attempts + " times in a"
                + " row: LLVM-based compilers (PoCL, Mesa) delete it when the process takes a signal, and the JVM"
                + " takes one at every safepoint (garbage collections). Start the JVM with LD_PRELOAD=" + libjsig
                + " (the JDK's signal chaining; ./dcn4j and the kit's bin/dcn4j do) so that the JVM's signals"
                + " never reach the compiler's handler; docs/DESIGN.md \"OpenCL runtime\".";
    }

    static String buildLog(cl_program program, cl_device_id device) {
        String call = "clGetProgramBuildInfo(CL_PROGRAM_BUILD_LOG)";
        try {
            long[] size = new long[1];
            check(CL.clGetProgramBuildInfo(program, device, CL.CL_PROGRAM_BUILD_LOG, 0, null, size), call);
            byte[] bytes = new byte[(int) size[0]];
            check(CL.clGetProgramBuildInfo(program, device, CL.CL_PROGRAM_BUILD_LOG, bytes.length,
                    Pointer.to(bytes), null), call);
            return cString(bytes);
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    static cl_kernel createKernel(cl_program program, String name) {
        String call = "clCreateKernel(" + name + ")";
        int[] status = new int[1];
        try {
            cl_kernel k = CL.clCreateKernel(program, name, status);
            check(status[0], call);
            return k;
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    /** {@code CL_KERNEL_WORK_GROUP_SIZE}: the largest work-group this kernel can run with on {@code device}. */
    static long kernelWorkGroupSize(cl_kernel kernel, cl_device_id device, String name) {
        String call = "clGetKernelWorkGroupInfo(" + name + ")";
        ByteBuffer b = ByteBuffer.allocate(Sizeof.size_t).order(ByteOrder.nativeOrder());
        try {
            check(CL.clGetKernelWorkGroupInfo(kernel, device, CL.CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t,
                    Pointer.to(b), null), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
        return Sizeof.size_t == 8 ? b.getLong(0) : b.getInt(0) & 0xffffffffL;
    }

    static void setArg(cl_kernel kernel, String name, int index, long size, Pointer value) {
        try {
            int status = CL.clSetKernelArg(kernel, index, size, value);
            if (status != CL_SUCCESS) {
                throw new OpenClException("clSetKernelArg(" + name + ", " + index + ")", status, null);
            }
        } catch (CLException e) {
            throw wrap(e, "clSetKernelArg(" + name + ", " + index + ")");
        }
    }

    static void enqueue(cl_command_queue queue, cl_kernel kernel, String name, long[] global, long[] local) {
        String call = "clEnqueueNDRangeKernel(" + name + ")";
        try {
            check(CL.clEnqueueNDRangeKernel(queue, kernel, global.length, null, global, local, 0, null, null), call);
        } catch (CLException e) {
            throw wrap(e, call);
        }
    }

    // ---- release (never throws: used on cleanup paths) ----

    static int release(cl_mem m) {
        try {
            return CL.clReleaseMemObject(m);
        } catch (CLException e) {
            return e.getStatus();
        }
    }

    static void release(cl_kernel k) {
        try {
            CL.clReleaseKernel(k);
        } catch (CLException ignored) {
            // cleanup path: the kernel is gone either way
        }
    }

    static void release(cl_program p) {
        try {
            CL.clReleaseProgram(p);
        } catch (CLException ignored) {
            // cleanup path
        }
    }

    static void release(cl_command_queue q) {
        try {
            CL.clReleaseCommandQueue(q);
        } catch (CLException ignored) {
            // cleanup path
        }
    }

    static void release(cl_context c) {
        try {
            CL.clReleaseContext(c);
        } catch (CLException ignored) {
            // cleanup path
        }
    }
}
