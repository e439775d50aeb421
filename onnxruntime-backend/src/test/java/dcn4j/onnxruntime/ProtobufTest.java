package dcn4j.onnxruntime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The protobuf wire format, byte for byte, on the examples of the protobuf encoding guide. */
class ProtobufTest {

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    @Test
    void varintsAreBase128LeastSignificantGroupFirst() {
        assertArrayEquals(bytes(0x08, 0x96, 0x01), new Protobuf().varint(1, 150).toByteArray());
        assertArrayEquals(bytes(0x08, 0x00), new Protobuf().varint(1, 0).toByteArray());
        assertArrayEquals(bytes(0xA0, 0x01, 0x07), new Protobuf().varint(20, 7).toByteArray(), "field 20: two-byte key");
        assertThrows(IllegalArgumentException.class, () -> new Protobuf().varint(1, -1));
    }

    @Test
    void stringsAndMessagesAreLengthDelimited() {
        assertArrayEquals(bytes(0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'),
                new Protobuf().string(2, "testing").toByteArray());
        assertArrayEquals(bytes(0x1A, 0x03, 0x08, 0x96, 0x01),
                new Protobuf().message(3, new Protobuf().varint(1, 150)).toByteArray());
    }
}
