package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.spi.DeformConv2dShape;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 5 on the OpenCL backend: the input gradient's cell buckets ({@code (H+1)*(W+1)} per
 * image and offset group) are larger than the input plane, so a shape the SPI accepts could overflow
 * the kernels' 32-bit indices; it is refused instead. Pure shape arithmetic: no device needed.
 */
class OpenClIndexBoundsTest {

    private static DeformConv2dShape shape(int h, int w, int offsetGroups) {
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withOffsetGroups(offsetGroups);
        return new DeformConv2dShape(spec, DType.F32, 1, offsetGroups, h, w, 1, 1, 1, h, w, true, false, false);
    }

    @Test
    void cellBucketsBeyondAnIntAreRefusedNamingTheCount() {
        // A 46340x46340 plane (2147395600 pixels) is a valid tensor; its (46340+1)^2 + 1 buckets are not.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpenClDeformConv2d.checkCellBuckets(shape(46340, 46340, 1)));
        assertTrue(e.getMessage().startsWith("input: expected at most 2147483647 sample cells"), e.getMessage());
        assertTrue(e.getMessage().contains("got 2147488282"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpenClDeformConv2d.checkCellBuckets(shape(30000, 30000, 3)));
        assertDoesNotThrow(() -> OpenClDeformConv2d.checkCellBuckets(shape(46339, 46339, 1)));
    }
}
