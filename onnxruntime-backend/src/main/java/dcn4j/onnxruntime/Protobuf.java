package dcn4j.onnxruntime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few protobuf encodings an ONNX model needs, written by hand (protobuf encoding guide: a field
 * is a key {@code field << 3 | wireType} then a varint, wire type 0, or a length-delimited byte
 * string, wire type 2, for strings and embedded messages), so the backend needs no protobuf library.
 * One instance builds one message; embed it in another with {@link #message(int, Protobuf)}.
 */
final class Protobuf {

    private static final int VARINT = 0, LENGTH_DELIMITED = 2;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A non-negative integer field ({@code int32}, {@code int64} or an enum). */
    Protobuf varint(int field, long value) {
        if (value < 0) throw new IllegalArgumentException("value: expected >= 0, got " + value);
        key(field, VARINT);
        raw(value);
        return this;
    }

    /** A string field (UTF-8). */
    Protobuf string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** An embedded message field. */
    Protobuf message(int field, Protobuf message) {
        return bytes(field, message.toByteArray());
    }

    /** The encoded message. */
    byte[] toByteArray() {
        return out.toByteArray();
    }

    private Protobuf bytes(int field, byte[] value) {
        key(field, LENGTH_DELIMITED);
        raw(value.length);
        out.writeBytes(value);
        return this;
    }

    private void key(int field, int wireType) {
        raw(((long) field << 3) | wireType);
    }

    /** Base-128 varint: seven bits per byte, least significant group first, high bit set on all but the last. */
    private void raw(long value) {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
