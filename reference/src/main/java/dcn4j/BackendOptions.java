package dcn4j;

/**
 * How to open a backend.
 *
 * @param device  device index for backends that have several (OpenCL: index in the list that
 *                {@code dcn4j backends} prints), {@code -1} for the provider's default
 * @param threads worker threads for CPU backends, {@code 0} for one per available core
 */
public record BackendOptions(int device, int threads) {

    public BackendOptions {
        if (device < -1) throw new IllegalArgumentException("device: expected >= -1, got " + device);
        if (threads < 0) throw new IllegalArgumentException("threads: expected >= 0, got " + threads);
    }

    /** Default device, one thread per core; {@code -Ddcn4j.device} / {@code -Ddcn4j.threads} override. */
    public static BackendOptions defaults() {
        return new BackendOptions(Integer.getInteger("dcn4j.device", -1), Integer.getInteger("dcn4j.threads", 0));
    }

    public BackendOptions withDevice(int index) {
        return new BackendOptions(index, threads);
    }

    public BackendOptions withThreads(int count) {
        return new BackendOptions(device, count);
    }

    /** {@link #threads()} resolved: the number of available processors when 0. */
    public int effectiveThreads() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
