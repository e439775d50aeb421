package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.spi.BackendProvider;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Discovery, availability with a reason, device listing and selection. */
class OpenClProviderTest {

    @Test
    void providerIsDiscoveredBelowTheVectorBackend() {
        BackendProvider p = Backends.provider("opencl");
        assertTrue(p instanceof OpenClProvider);
        assertEquals(50, p.priority());
        assertTrue(p.priority() < 100 && p.priority() > 0, "between vector (100) and reference (0)");
        BackendProvider.Availability a = p.availability();
        assertFalse(a.reason() == null || a.reason().isBlank(), "a reason either way");
    }

    @Test
    void devicesAreListedOnePerLineWithTheirIndex() {
        OpenClTestSupport.requireOpenCl();
        List<String> lines = Backends.provider("opencl").devices();
        List<String> devices = lines.stream().filter(l -> !l.startsWith("platform '")).toList();
        assertFalse(devices.isEmpty());
        for (int i = 0; i < devices.size(); i++) {
            String d = devices.get(i);
            assertTrue(d.startsWith(i + ": "), d);
            assertTrue(d.matches("\\d+: .+ / .+ \\(.+, \\d+ compute units, [0-9.]+ GiB global memory\\)"), d);
        }
        // Then the platforms left out, each with its reason.
        assertEquals(devices, lines.subList(0, devices.size()), "devices first, in index order");
        for (String l : lines.subList(devices.size(), lines.size())) {
            assertTrue(l.matches("platform '.*' (skipped: .+|not selected \\(dcn4j.opencl.platform=.+\\))"), l);
        }
        System.out.println("[opencl devices] " + lines);
    }

    @Test
    void deviceIndexSelectsTheDevice() {
        OpenClTestSupport.requireOpenCl();
        List<String> devices = Backends.provider("opencl").devices().stream()
                .filter(l -> !l.startsWith("platform '")).toList();
        try (OpenClBackend b = (OpenClBackend) Backends.open("opencl", BackendOptions.defaults().withDevice(0))) {
            assertEquals(0, b.device().index());
            assertTrue(b.description().contains(devices.get(0)), b.description());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.open("opencl", BackendOptions.defaults().withDevice(devices.size())));
        assertEquals("device: expected an OpenCL device index in [0, " + devices.size()
                + ") (see 'dcn4j backends'), got " + devices.size(), e.getMessage());
    }

    @Test
    void withoutAnIcdTheBackendIsPresentButUnavailableWithTheReason() throws Exception {
        // A fresh JVM whose ICD loader finds no vendor (OCL_ICD_VENDORS points nowhere): the
        // provider must load, report unavailable with a reason, and refuse to open, without crashing.
        ChildJvm.Result r = ChildJvm.run(List.of(), Map.of("OCL_ICD_VENDORS", "/nonexistent-dcn4j-test"),
                AvailabilityProbe.class);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("available=false"), r.output());
        assertTrue(r.output().contains("devices=0"), r.output());
        assertTrue(r.output().contains("open=backend 'opencl' is unavailable: "), r.output());
        // Which reason depends on what the machine lacks: no ICD loader library at all, or no platform.
        assertTrue(r.output().contains("reason=no OpenCL platform found (install an ICD, e.g. pocl-opencl-icd)")
                || r.output().contains("reason=OpenCL ICD loader not found"), r.output());
        System.out.println("[opencl without ICD] " + r.output().lines().filter(l -> l.startsWith("reason="))
                .findFirst().orElse(""));
    }
}
