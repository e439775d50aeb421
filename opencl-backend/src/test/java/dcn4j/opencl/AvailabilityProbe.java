package dcn4j.opencl;

import dcn4j.Backends;
import dcn4j.spi.BackendProvider;

/** Prints what a fresh JVM's provider says about OpenCL: run by the provider test in a child JVM. */
public final class AvailabilityProbe {

    private AvailabilityProbe() {
    }

    public static void main(String[] args) {
        BackendProvider p = Backends.provider(OpenClProvider.NAME);
        System.out.println("available=" + p.availability().available());
        System.out.println("reason=" + p.availability().reason());
        System.out.println("devices=" + p.devices().stream().filter(d -> d.matches("\\d+: .*")).count());
        for (String d : p.devices()) System.out.println("device " + d);
        try {
            Backends.open(OpenClProvider.NAME).close();
            System.out.println("open=ok");
        } catch (IllegalStateException e) {
            System.out.println("open=" + e.getMessage());
        }
    }
}
