package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dcn4j train}: its output format, its pictures and its errors (the learning itself is tested in dcn4j-train). */
class TrainCommandTest {

    /** One epoch on the reference backend: a progress line per epoch and network, the two result lines last, three PNGs. */
    @Test
    void printsAProgressLinePerEpochAndTheTwoResultLinesLast(@TempDir Path out) throws Exception {
        CliRun r = CliRun.of("train", "--backend", "reference", "--epochs", "1", "--seed", "3", "--out",
                out.toString());
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.outLines();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("epoch 1/1 plain ")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("epoch 1/1 deformable ")), r.out());
        int n = lines.size();
        assertTrue(lines.get(n - 2).matches("accuracy plain=[01]\\.\\d\\d deformable=[01]\\.\\d\\d"), lines.get(n - 2));
        assertTrue(lines.get(n - 1).matches("effective dilation small=\\d+\\.\\d\\d large=\\d+\\.\\d\\d"),
                lines.get(n - 1));
        for (String name : new String[] {"sampling_small.png", "sampling_large.png", "effective_dilation.png"}) {
            BufferedImage img = ImageIO.read(out.resolve(name).toFile());
            assertNotNull(img, name + " is a readable PNG");
            assertTrue(img.getWidth() > 300 && img.getHeight() > 300, name + " " + img.getWidth() + "x" + img.getHeight());
        }
    }

    @Test
    void zeroEpochsIsAOneLineError() {
        CliRun r = CliRun.of("train", "--backend", "reference", "--epochs", "0");
        assertEquals(2, r.exitCode());
        assertEquals(List.of("dcn4j train: epochs: expected >= 1, got 0"), r.errLines());
    }

    @Test
    void anUnknownBackendIsAOneLineError() {
        CliRun r = CliRun.of("train", "--backend", "nosuch");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("dcn4j train: backend: expected one of"), r.err());
    }
}
