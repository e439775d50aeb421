package dcn4j.opencl;

/**
 * The deterministic counting sort of {@code buckets.cl}: the operator's count kernel increments
 * {@link #starts} (zeroed by {@link #zero}) for every kept sample, then {@link #sort} turns the
 * counts into bucket starts and fills {@link #list} with each bucket's samples in ascending order.
 * The buffers come from the runtime's workspace, inside an operation.
 */
final class ClBuckets {

    /** Counts per bucket, then where each bucket starts ({@code NK + 1} ints). */
    final ClBuffer starts;
    /** The samples, bucket after bucket. */
    final ClBuffer list;
    private final ClBuffer cursor;
    private final ClBuffer sums;

    /** Sorting buffers for {@code samples} samples into {@code keys} buckets, from {@code ws} under {@code role}. */
    ClBuckets(Workspace ws, String role, long samples, long keys) {
        starts = ws.get(role + " starts", keys + 1);
        cursor = ws.get(role + " cursors", keys);
        sums = ws.get(role + " block sums", blocks(keys));
        list = ws.get(role + " lists", samples);
    }

    /** Zeroes the counts of {@code keys} buckets (before the operator's count kernel). */
    void zero(ClRuntime runtime, int keys) {
        runtime.fill(starts, (keys + 1L) * 4, "bucket counts");
    }

    /** Scan, fill and sort ({@code program} includes buckets.cl). */
    void sort(ClRuntime runtime, String program, ClBuffer keys, int samples, int buckets) {
        int blocks = blocks(buckets);
        runtime.call(program, "bucket_scan_blocks").buf(starts).buf(sums).i(buckets).range(blocks);
        runtime.call(program, "bucket_scan_totals").buf(sums).buf(starts).i(blocks).i(buckets).range(1);
        runtime.call(program, "bucket_scan_finish").buf(starts).buf(sums).buf(cursor).i(buckets).range(buckets);
        runtime.call(program, "bucket_fill").buf(keys).buf(cursor).buf(list).i(samples).range(samples);
        runtime.call(program, "bucket_sort").buf(starts).buf(list).i(buckets).range(buckets);
    }

    /** SCAN_BLOCK of buckets.cl. */
    private static int blocks(long keys) {
        return (int) Math.max(1, (keys + 1023) / 1024);
    }
}
