/*
 * dcn4j: a deterministic counting sort of samples into buckets (OpenCL C 1.2), shared by the
 * backward passes that gather instead of scattering (no float atomics). Included before the
 * operator's own source in the same program.
 *
 * Every sample g in [0, S) has a key in [0, NK) or -1 (skipped). After
 *   count (the operator's kernel: atomic_inc(&starts[key]) on a zeroed array of NK + 1 ints),
 *   bucket_scan_blocks, bucket_scan_totals, bucket_scan_finish (exclusive prefix sum: starts[k] is
 *     where bucket k begins, starts[NK] the number of samples kept; cursor a copy),
 *   bucket_fill (each sample placed in its bucket),
 *   bucket_sort (each bucket sorted by sample index),
 * list[starts[k] .. starts[k+1]) holds the samples of bucket k in ascending order. Only integer
 * atomics are used (OpenCL 1.1 core): integer sums do not depend on the order of the increments,
 * and the sort removes the order in which samples were placed, so the outcome is deterministic.
 */

#define SCAN_BLOCK 1024

/* Exclusive scan of each block of SCAN_BLOCK counts, in place; the block's total to sums[i]. */
__kernel void bucket_scan_blocks(__global int* starts, __global int* sums, const int NK)
{
    const int i = get_global_id(0);
    const int begin = i * SCAN_BLOCK;
    if (begin >= NK) return;
    const int end = min(begin + SCAN_BLOCK, NK);
    int run = 0;
    for (int k = begin; k < end; k++) {
        const int v = starts[k];
        starts[k] = run;
        run += v;
    }
    sums[i] = run;
}

/* Exclusive scan of the block totals (one work-item); the grand total to starts[NK]. */
__kernel void bucket_scan_totals(__global int* sums, __global int* starts, const int blocks, const int NK)
{
    if (get_global_id(0) != 0) return;
    int run = 0;
    for (int i = 0; i < blocks; i++) {
        const int v = sums[i];
        sums[i] = run;
        run += v;
    }
    starts[NK] = run;
}

/* Adds each block's offset; copies the bucket starts to the fill cursors. */
__kernel void bucket_scan_finish(__global int* starts, __global const int* sums, __global int* cursor, const int NK)
{
    const int k = get_global_id(0);
    if (k >= NK) return;
    const int v = starts[k] + sums[k / SCAN_BLOCK];
    starts[k] = v;
    cursor[k] = v;
}

/* Places every kept sample in its bucket (order inside a bucket fixed by bucket_sort). */
__kernel void bucket_fill(__global const int* keys, __global int* cursor, __global int* list, const int S)
{
    const int g = get_global_id(0);
    if (g >= S) return;
    const int key = keys[g];
    if (key < 0) return;
    list[atomic_inc(&cursor[key])] = g;
}

/* Heap sort of one bucket, ascending: O(b log b) even if every sample lands in one bucket. */
__kernel void bucket_sort(__global const int* starts, __global int* list, const int NK)
{
    const int k = get_global_id(0);
    if (k >= NK) return;
    const int begin = starts[k];
    const int n = starts[k + 1] - begin;
    if (n < 2) return;
    __global int* a = list + begin;
    for (int start = n / 2 - 1; start >= 0; start--) {
        int root = start;
        for (;;) {
            int child = 2 * root + 1;
            if (child >= n) break;
            if (child + 1 < n && a[child + 1] > a[child]) child++;
            if (a[root] >= a[child]) break;
            const int tmp = a[root]; a[root] = a[child]; a[child] = tmp;
            root = child;
        }
    }
    for (int last = n - 1; last > 0; last--) {
        const int tmp = a[0]; a[0] = a[last]; a[last] = tmp;
        int root = 0;
        for (;;) {
            int child = 2 * root + 1;
            if (child >= last) break;
            if (child + 1 < last && a[child + 1] > a[child]) child++;
            if (a[root] >= a[child]) break;
            const int t2 = a[root]; a[root] = a[child]; a[child] = t2;
            root = child;
        }
    }
}
