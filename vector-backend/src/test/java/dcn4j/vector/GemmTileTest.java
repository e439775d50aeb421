package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every register tile of {@link GemmTiles#ALL} at this JVM's vector width against a naive double-precision
 * product ({@link GemmTileChecks}); {@link VectorWidthTest} repeats it at every narrower width.
 */
class GemmTileTest {

    @Test
    void everyTileMatchesTheDoublePrecisionProductWithinTheDotProductBound() {
        List<String> failures = GemmTileChecks.run();
        assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + failures.stream().limit(5).toList());
    }

    @Test
    void hostTileFitsTheRegisterFileAndHasPowerOfTwoColumns() {
        GemmTile t = Sgemm.TILE;
        assertTrue(t.registersUsed() <= VectorWidth.REGISTERS, t + " uses " + t.registersUsed() + " registers");
        assertEquals(0, t.nr & (t.nr - 1), "NR " + t.nr);
        assertTrue(Sgemm.KC >= 64 && Sgemm.KC <= 512 && Sgemm.KC % 16 == 0, "KC " + Sgemm.KC);
    }

    @Test
    void reductionBlockKeepsTheWeightPanelInHalfOfL1() {
        GemmTile t = GemmTile.named("6x2");
        int kc = Sgemm.reductionBlock(t, 48 << 10);
        assertTrue(4L * kc * t.nr <= 24 << 10 && 4L * (kc + 16) * t.nr > 24 << 10 || kc == 512, "KC " + kc);
        assertEquals(64, Sgemm.reductionBlock(t, 1 << 10), "lower limit");
    }

    @Test
    void unknownTileOrWidthIsRefusedNamingTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmTile.named("5x5"));
        assertTrue(e.getMessage().contains("dcn4j.vector.tile") && e.getMessage().contains("6x4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> VectorWidth.species("300"));
        assertTrue(e.getMessage().contains("dcn4j.vector.bits") && e.getMessage().contains("300"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> VectorWidth.species("1024"));
        assertTrue(e.getMessage().contains("at most"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> VectorWidth.hardwareFma("maybe"));
        assertTrue(e.getMessage().contains("dcn4j.vector.fma"), e.getMessage());
    }

    @Test
    void badWidthFmaOrTilePropertyMakesTheProviderUnavailableWithTheReason() {
        for (String[] p : new String[][] {{VectorWidth.BITS_PROPERTY, "300"}, {VectorWidth.FMA_PROPERTY, "maybe"},
                {GemmTile.TILE_PROPERTY, "7x7"}}) {
            String before = System.getProperty(p[0]);
            System.setProperty(p[0], p[1]);
            try {
                dcn4j.spi.BackendProvider.Availability a = new VectorProvider().availability();
                assertTrue(!a.available() && a.reason().contains(p[0]) && a.reason().contains(p[1]), a.reason());
            } finally {
                if (before == null) System.clearProperty(p[0]);
                else System.setProperty(p[0], before);
            }
        }
        assertTrue(new VectorProvider().availability().available());
    }
}
