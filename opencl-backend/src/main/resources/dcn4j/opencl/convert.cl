/*
 * dcn4j: conversions between the 16-bit storage of F16/BF16 tensors and the float32 the operator
 * kernels compute in (DESIGN.md "16-bit tensors"). Core OpenCL 1.2: half is used only through
 * vload_half / vstore_half_rte, which need no cl_khr_fp16; bfloat16 is the upper half of a binary32.
 * Widening is exact; narrowing rounds to nearest, ties to even, once.
 */

__kernel void widen_f16(__global const half* src, __global float* dst, const int n)
{
    const int i = get_global_id(0);
    if (i < n) dst[i] = vload_half(i, src);
}

__kernel void narrow_f16(__global const float* src, __global half* dst, const int n)
{
    const int i = get_global_id(0);
    if (i < n) vstore_half_rte(src[i], i, dst);
}

__kernel void widen_bf16(__global const ushort* src, __global float* dst, const int n)
{
    const int i = get_global_id(0);
    if (i < n) dst[i] = as_float(((uint) src[i]) << 16);
}

/* Round to nearest even on the bits: add 0x7FFF plus the kept lowest bit, keep the upper half
 * (a carry into the exponent is the next binade, or infinity). NaN stays a quiet NaN. */
__kernel void narrow_bf16(__global const float* src, __global ushort* dst, const int n)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    const uint b = as_uint(src[i]);
    if (isnan(src[i])) {
        dst[i] = (ushort) ((b >> 16) | 0x40u);
    } else {
        dst[i] = (ushort) ((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
    }
}
