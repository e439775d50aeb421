package dcn4j.opencl;

/** A child JVM that prints one line, then sleeps {@code args[0]} seconds: the time-out test's subject. */
public final class SleepProbe {

    private SleepProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.out.println("sleeping");
        System.out.flush();
        Thread.sleep(Long.parseLong(args[0]) * 1000);
    }
}
