package io.kiln.yaml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParserMessagesTest {
    private static String reasonFor(String json) {
        JsonProcessingException e = assertThrows(JsonProcessingException.class, () -> new ObjectMapper().readTree(json));
        String reason = ParserMessages.of(e);
        assertFalse(reason.contains("Source") || reason.contains("REDACTED") || reason.contains("StreamRead")
                || reason.contains("\n"), reason);
        return reason;
    }

    @Test
    void aTextCutShortSaysWhichListIsLeftOpen() {
        assertEquals("the text ends before the list opened at line 1, column 14 is closed",
                reasonFor("{\"a\": 1,\"b\": [1, 2"));
        assertEquals("the text ends too early within/between Object entries", reasonFor("{\"a\": 1,"));
    }

    @Test
    void anUnexpectedCharacterIsNamed() {
        assertEquals("unexpected character 'n': expected '\"' to start field name", reasonFor("{not json"));
        assertEquals("control character (code 1): only regular white space (\\r, \\n, \\t) is allowed between tokens",
                reasonFor("{\"a\": \u0001}"));
    }

    @Test
    void deepNestingSaysTheLimitInWords() {
        assertEquals("nested deeper than 1000 levels (lists or mappings within each other)",
                reasonFor("[".repeat(1500)));
    }

    @Test
    void plainKeepsOtherReasonsShortAndPlaceless() {
        assertEquals("unrecognized token 'tru': expected (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                reasonFor("tru "));
        assertTrue(ParserMessages.plain("x".repeat(1000)).length() < 310);
    }
}
