package dcn4j.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.conformance.internal.Settings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * A backend module's conformance test on a machine where its backend cannot run: every property
 * is skipped with the provider's reason, never silently passed, and fails under CI.
 */
class UnavailableBackendTest {

    /** Skipped properties as {@code ABORTED} results with the skip reason, the others as they finished. */
    private static List<TestExecutionResult> launchFixture() {
        List<TestExecutionResult> results = new ArrayList<>();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(UnavailableBackendFixture.class))
                .filters(EngineFilter.includeEngines("jqwik"))
                .configurationParameter("jqwik.reporting.usejunitplatform", "true")
                .build(), new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                        if (id.isTest()) results.add(r);
                    }

                    @Override
                    public void executionSkipped(TestIdentifier id, String reason) {
                        if (id.isTest()) results.add(TestExecutionResult.aborted(new AssertionError(reason)));
                    }
                });
        return results;
    }

    @Test
    void everyPropertyIsSkippedWithTheProvidersReason() {
        // Outside CI (forced by the property, whatever the environment says) the properties are skipped.
        System.setProperty(Settings.CI, "false");
        try {
            List<TestExecutionResult> results = launchFixture();
            assertEquals(24, results.size());
            for (TestExecutionResult r : results) {
                assertEquals(TestExecutionResult.Status.ABORTED, r.getStatus());
                String message = r.getThrowable().map(Throwable::getMessage).orElse("");
                assertTrue(message.contains("backend 'absent' is unavailable: OpenCL ICD loader not found"), message);
            }
        } finally {
            System.clearProperty(Settings.CI);
        }
    }

    @Test
    void underContinuousIntegrationAnUnavailableBackendFails() {
        System.setProperty(Settings.CI, "true");
        try {
            List<TestExecutionResult> results = launchFixture();
            assertEquals(24, results.size());
            for (TestExecutionResult r : results) {
                assertEquals(TestExecutionResult.Status.FAILED, r.getStatus());
                String message = r.getThrowable().map(Throwable::getMessage).orElse("");
                assertTrue(message.contains("OpenCL ICD loader not found") && message.contains("CI=true"), message);
            }
        } finally {
            System.clearProperty(Settings.CI);
        }
    }
}
