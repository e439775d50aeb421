package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link ArrayRecycler}: an array given back is taken again for the same length only, within the bounds. */
class ArrayRecyclerTest {

    @Test
    void aGivenArrayIsTakenAgainForItsLengthOnly() {
        ArrayRecycler r = new ArrayRecycler(1 << 20);
        float[] a = new float[100];
        r.give(a);
        assertEquals(400, r.bytes());
        float[] other = r.take(99);
        assertNotSame(a, other, "another length");
        assertEquals(99, other.length);
        assertSame(a, r.take(100));
        assertEquals(0, r.bytes());
        assertNotSame(a, r.take(100), "taken once only");
    }

    @Test
    void theOldestArraysAreDroppedBeyondTheBound() {
        ArrayRecycler r = new ArrayRecycler(4 * 250);
        float[] first = new float[100], second = new float[100], third = new float[100];
        r.give(first);
        r.give(second);
        r.give(third);
        assertEquals(800, r.bytes(), "the oldest dropped");
        assertSame(third, r.take(100), "newest first");
        assertSame(second, r.take(100));
        assertNotSame(first, r.take(100));
        r.give(new float[300]);
        assertEquals(0, r.bytes(), "larger than the bound: not kept");
    }

    @Test
    void atMostMaxArraysAreKept() {
        ArrayRecycler r = new ArrayRecycler(1L << 30);
        for (int i = 0; i < ArrayRecycler.MAX_ARRAYS + 10; i++) r.give(new float[1]);
        assertEquals(4L * ArrayRecycler.MAX_ARRAYS, r.bytes());
    }

    @Test
    void zeroKeepsNothingAndClearDropsAll() {
        ArrayRecycler none = new ArrayRecycler(0);
        float[] a = new float[10];
        none.give(a);
        assertNotSame(a, none.take(10));
        ArrayRecycler r = new ArrayRecycler(1 << 20);
        r.give(a);
        r.clear();
        assertEquals(0, r.bytes());
        assertNotSame(a, r.take(10));
        assertTrue(r.take(0).length == 0);
    }

    @Test
    void theSystemPropertyIsValidated() {
        String before = System.getProperty("dcn4j.vector.recycleBytes");
        try {
            System.setProperty("dcn4j.vector.recycleBytes", "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ArrayRecycler::fromSystemProperty);
            assertTrue(e.getMessage().contains("dcn4j.vector.recycleBytes") && e.getMessage().contains("lots"),
                    e.getMessage());
            System.setProperty("dcn4j.vector.recycleBytes", "-1");
            assertThrows(IllegalArgumentException.class, ArrayRecycler::fromSystemProperty);
            System.setProperty("dcn4j.vector.recycleBytes", "0");
            ArrayRecycler r = ArrayRecycler.fromSystemProperty();
            float[] a = new float[4];
            r.give(a);
            assertEquals(0, r.bytes());
        } finally {
            if (before == null) System.clearProperty("dcn4j.vector.recycleBytes");
            else System.setProperty("dcn4j.vector.recycleBytes", before);
        }
    }

    @Test
    void aClosedRecyclerKeepsNothing() {
        ArrayRecycler r = new ArrayRecycler(1 << 20);
        r.give(new float[8]);
        r.close();
        assertEquals(0, r.bytes());
        float[] a = new float[8];
        r.give(a);
        assertEquals(0, r.bytes(), "an output closed after its backend");
        assertNotSame(a, r.take(8));
    }
}
