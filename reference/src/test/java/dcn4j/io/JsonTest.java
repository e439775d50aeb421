package dcn4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict JSON reader/writer behind {@code case.json}. */
class JsonTest {

    @Test
    void parsesEveryValueKind() {
        Object v = Json.parse("{\"a\": [1, -2.5e3, \"x\\n\\u00e9\\\"\", true, false, null, {}, []], \"b\": {\"c\": 0}}",
                "t.json");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(new Json.Num("1"), a.get(0));
        assertEquals(-2500.0, ((Json.Num) a.get(1)).doubleValue());
        assertEquals("x\n\u00e9\"", a.get(2));
        assertEquals(Boolean.TRUE, a.get(3));
        assertEquals(Boolean.FALSE, a.get(4));
        assertSame(Json.NULL, a.get(5));
        assertEquals(Map.of(), a.get(6));
        assertEquals(List.of(), a.get(7));
        assertEquals(new Json.Num("0"), ((Map<?, ?>) m.get("b")).get("c"));
        assertEquals(List.of("a", "b"), List.copyOf(m.keySet()), "key order kept");
    }

    @Test
    void integerAndFractionalLiteralsStayDistinguishable() {
        assertTrue(new Json.Num("12").isInteger());
        assertFalse(new Json.Num("12.0").isInteger());
        assertFalse(new Json.Num("1e2").isInteger());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "{\"a\": 1,}|line 1, column 9: expected a string key",
        "{\"a\" 1}|line 1, column 6: expected ':' after the key",
        "[1 2]|line 1, column 4: expected ',' or ']'",
        "{\"a\": 01}|line 1, column 8: expected ',' or '}'",
        "{\"a\": .5}|line 1, column 7: expected a value",
        "{\"a\": 1.}|line 1, column 9: expected a digit after '.'",
        "{\"a\": tru}|line 1, column 7: expected a value",
        "{'a': 1}|line 1, column 2: expected a string key",
        "{\"a\": 1} x|line 1, column 10: expected the end of the document",
        "{\"a\": \"x|line 1, column 9: expected a closing '\"'",
        "{\"a\": 1, \"a\": 2}|line 1, column 10: expected each key once, duplicate \"a\"",
        "{\"a\": \"\\q\"}|line 1, column 8: expected one of",
        "|line 1, column 1: expected a value",
        "{\"a\": NaN}|line 1, column 7: expected a value"})
    void syntaxErrorsNameFileLineAndColumn(String text, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.parse(text == null ? "" : text, "case.json"));
        assertTrue(e.getMessage().startsWith("case.json: "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void errorsOnLaterLinesCountLines() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.parse("{\n  \"a\": 1\n  \"b\": 2\n}", "c.json"));
        assertEquals("c.json: line 3, column 3: expected ',' or '}', got '\"b\": 2'", e.getMessage());
    }

    @Test
    void controlCharactersInTheErrorSnippetAreEscaped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.parse("{\"a\": x\ty}", "c.json"));
        assertEquals("c.json: line 1, column 7: expected a value (object, array, string, number, true, false or "
                + "null), got 'x\\u0009y}'", e.getMessage());
    }

    @Test
    void rawControlCharacterInStringIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"a\tb\"", "x"));
    }

    @ParameterizedTest
    @ValueSource(ints = {300, 100000})
    void deepNestingIsAnErrorNotAStackOverflow(int depth) {
        String text = "[".repeat(depth) + "]".repeat(depth);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text, "deep"));
        assertTrue(e.getMessage().contains("nested"), e.getMessage());
    }

    @Test
    void writeThenParseGivesTheSameValues() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "deform_conv2d");
        m.put("ints", new int[] {1, 2});
        m.put("list", List.of(3, 4.5, -0.0625));
        m.put("nested", Map.of("s", "quote\" backslash\\ tab\t"));
        m.put("flag", true);
        m.put("tiny", 1e-300);
        Map<?, ?> back = (Map<?, ?>) Json.parse(Json.write(m), "w");
        assertEquals("deform_conv2d", back.get("op"));
        assertEquals(List.of(new Json.Num("1"), new Json.Num("2")), back.get("ints"));
        List<?> list = (List<?>) back.get("list");
        assertEquals(new Json.Num("3"), list.get(0));
        assertEquals(4.5, ((Json.Num) list.get(1)).doubleValue());
        assertEquals(-0.0625, ((Json.Num) list.get(2)).doubleValue());
        assertEquals("quote\" backslash\\ tab\t", ((Map<?, ?>) back.get("nested")).get("s"));
        assertEquals(Boolean.TRUE, back.get("flag"));
        assertEquals(1e-300, ((Json.Num) back.get("tiny")).doubleValue());
    }

    @Test
    void writeRejectsNonFiniteNumbersAndUnknownTypes() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of("x", Double.NaN)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of("x", new Object())));
    }
}
