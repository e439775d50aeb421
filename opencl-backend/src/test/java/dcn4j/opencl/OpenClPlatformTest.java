package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jocl.CL;
import org.jocl.cl_platform_id;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Platforms: every installed one answers the device query (the 32-bit {@code CL_DEVICE_TYPE_ALL});
 * one whose queries fail is skipped and listed with the reason, the others still serve; the
 * platform selector keeps only matching platforms; Mesa's rusticl on llvmpipe is a second OpenCL
 * implementation the backend runs on (CI installs {@code mesa-opencl-icd}).
 */
class OpenClPlatformTest {

    private static List<String> platformNames() {
        List<String> names = new ArrayList<>();
        for (cl_platform_id p : Cl.platforms()) names.add(Cl.platformString(p, CL.CL_PLATFORM_NAME, "name"));
        return names;
    }

    @Test
    void everyInstalledPlatformAnswersTheDeviceQuery() {
        OpenClTestSupport.requireOpenCl();
        // With JOCL's 64-bit CL_DEVICE_TYPE_ALL, rusticl (mesa-opencl-icd) answered
        // CL_INVALID_DEVICE_TYPE and the whole backend was unavailable.
        for (cl_platform_id p : Cl.platforms()) {
            String name = Cl.platformString(p, CL.CL_PLATFORM_NAME, "name");
            int devices = Cl.devices(p).length;
            System.out.println("[opencl platform] " + name + ": " + devices + " device(s)");
        }
        assertFalse(ClDevice.discover(null).devices().isEmpty());
    }

    @Test
    void aPlatformWhoseQueryFailsIsSkippedWithTheReasonAndTheOthersServe() {
        OpenClTestSupport.requireOpenCl();
        List<String> names = platformNames(); // with one platform: it is skipped, no device remains
        cl_platform_id first = Cl.platforms()[0];
        ClDevice.Discovery d = ClDevice.discover(null, p -> {
            if (p.equals(first)) throw new OpenClException("clGetDeviceIDs", CL.CL_INVALID_DEVICE_TYPE, null);
            return Cl.devices(p);
        });
        assertEquals("platform '" + names.get(0) + "' skipped: clGetDeviceIDs failed: CL_INVALID_DEVICE_TYPE (-31)",
                d.skipped().get(0));
        ClDevice.Discovery all = ClDevice.discover(null);
        long others = all.devices().stream().filter(x -> !x.platform().equals(first)).count();
        assertEquals(others, d.devices().size(), "the other platforms' devices are all still found");
        for (int i = 0; i < d.devices().size(); i++) assertEquals(i, d.devices().get(i).index(), "indices from 0");
    }

    @Test
    void theSelectorKeepsOnlyPlatformsWhoseNameContainsIt() {
        OpenClTestSupport.requireOpenCl();
        ClDevice.Discovery all = ClDevice.discover(null);
        String name = all.devices().get(0).platformName();
        String selector = name.substring(0, Math.min(8, name.length())).toUpperCase(java.util.Locale.ROOT);
        ClDevice.Discovery some = ClDevice.discover(selector);
        assertFalse(some.devices().isEmpty());
        for (ClDevice x : some.devices()) assertTrue(x.platformName().equalsIgnoreCase(name) || x.platformName()
                .toUpperCase(java.util.Locale.ROOT).contains(selector), x.describe());
        for (String s : some.skipped()) assertTrue(s.endsWith("not selected (dcn4j.opencl.platform=" + selector + ")"), s);
        ClDevice.Discovery none = ClDevice.discover("no-such-platform-dcn4j");
        assertTrue(none.devices().isEmpty());
        assertEquals(platformNames().size(), none.skipped().size(), none.skipped().toString());
    }

    @Test
    void anUnmatchedSelectorMakesTheBackendUnavailableWithTheReason() throws Exception {
        OpenClTestSupport.requireOpenCl();
        ChildJvm.Result r = ChildJvm.run(Duration.ofMinutes(2), List.of("-Ddcn4j.opencl.platform=no-such-platform"),
                Map.of(), AvailabilityProbe.class);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("available=false"), r.output());
        assertTrue(r.output().contains("reason=no OpenCL device found on a platform matching "
                + "dcn4j.opencl.platform=no-such-platform; platform '"), r.output());
        assertTrue(r.output().contains("open=backend 'opencl' is unavailable: "), r.output());
    }

    @Test
    void rusticlOnLlvmpipeIsASecondImplementation() throws Exception {
        OpenClTestSupport.requireOpenCl();
        if (platformNames().stream().noneMatch(n -> n.toLowerCase(java.util.Locale.ROOT).contains("rusticl"))) {
            if (OpenClTestSupport.underCi()) fail("CI=true but Mesa's rusticl platform is missing (mesa-opencl-icd)");
            Assumptions.abort("no rusticl platform (install mesa-opencl-icd)");
        }
        ChildJvm.Result r = ChildJvm.run(Duration.ofMinutes(2), List.of(),
                Map.of("RUSTICL_ENABLE", "llvmpipe", "DCN4J_OPENCL_PLATFORM", "rusticl"), AvailabilityProbe.class);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("available=true"), r.output());
        assertTrue(r.output().contains("device 0: rusticl / llvmpipe"), r.output());
        assertTrue(r.output().contains("open=ok"), r.output());
        System.out.println("[opencl rusticl] " + r.output().lines().filter(l -> l.startsWith("device 0"))
                .findFirst().orElse(""));
    }
}
