package io.kiln.cache;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class VariantKeyTest {
    private static final String HEX = "0123456789abcdef".repeat(4);

    @Test
    void printsAsHexAndShortens() {
        VariantKey key = VariantKey.of(HEX);
        assertEquals(HEX, key.toString());
        assertEquals("0123456789ab", key.shortForm());
    }

    @Test
    void rejectsAnythingButSixtyFourLowercaseHexCharacters() {
        assertThrows(IllegalArgumentException.class, () -> VariantKey.of(HEX.toUpperCase()));
        assertThrows(IllegalArgumentException.class, () -> VariantKey.of(HEX.substring(1)));
        assertThrows(IllegalArgumentException.class, () -> VariantKey.of("../" + HEX.substring(3)));
        assertThrows(IllegalArgumentException.class, () -> VariantKey.of(null));
    }
}
