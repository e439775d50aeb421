/**
 * The {@code opencl} backend: dcn4j's operators as OpenCL C kernels through JOCL, float32, on any
 * OpenCL 1.2 device (GPUs of any vendor; CPUs through PoCL).
 *
 * <p>Public surface: {@link dcn4j.opencl.OpenClProvider} (found by {@link java.util.ServiceLoader};
 * present but unavailable, with the reason, when JOCL, the ICD loader or a platform is missing) and
 * {@link dcn4j.opencl.OpenClException} (an OpenCL call failed: error name, code, call, build log).
 * Everything else is package-private:
 * <ul>
 *   <li>{@code OpenClBackend}: the front: tensors, ownership checks, the operators.</li>
 *   <li>{@code ClRuntime}: one context and in-order queue per backend; programs built from the
 *       {@code .cl} resources once per context, kernels cached; device buffers under the largest
 *       allocation, their accounting and lifetime; kernel calls, reads and fills inside operations,
 *       one at a time (thread-safe, bit-identical results), each holding the buffers it uses and
 *       ending with {@code clFinish}, so a concurrent close never frees a buffer under a kernel.</li>
 *   <li>{@code OpenClTensor}, {@code ClBuffer}: tensors live in device buffers, released by
 *       {@code close()}, by the backend's close, or by a {@link java.lang.ref.Cleaner}; the runtime
 *       counts live buffers.</li>
 *   <li>{@code OpenClDeformConv2d}: validation first ({@link dcn4j.spi.DeformConv2dShape}), then per
 *       chunk of images (bounded workspace): sample table, bilinear im2col, tiled GEMM per group;
 *       backward by GEMMs, a gather-formulated col2im (input pixels sum their samples in a fixed
 *       order, found through cell buckets: {@code ClBuckets}, a counting sort with integer atomics
 *       and a sort per bucket) and per-sample offset/mask gradients. No float atomics:
 *       deterministic.</li>
 *   <li>{@code OpenClConvBands}: images larger than one OpenCL buffer allows, in bands of output rows
 *       with the same kernels.</li>
 *   <li>{@code OpenClDeformPsRoiPool}: RoIs read back and validated on the host
 *       ({@link dcn4j.spi.DeformPsRoiPoolShape}), their geometry computed there in float64 as the
 *       reference does; one work-item per output and per offset element; the input gradient
 *       gathered per input element from samples bucketed by (image, channel, cell).</li>
 *   <li>{@code ClGemm}: local-memory tiled GEMM on devices with dedicated local memory, register-blocked
 *       on CPU devices; {@code Workspace}: scratch buffers reused between calls; {@code Cl},
 *       {@code ClErrors}, {@code ClDevice}: the OpenCL calls, error names, platforms and devices
 *       (a failing platform skipped with the reason; {@code -Ddcn4j.opencl.platform} selects).</li>
 * </ul>
 * Kernels: {@code src/main/resources/dcn4j/opencl/{deform_conv2d,deform_psroi_pool,gemm,buckets}.cl}.
 */
package dcn4j.opencl;
