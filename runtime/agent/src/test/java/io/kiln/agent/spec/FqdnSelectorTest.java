package io.kiln.agent.spec;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FqdnSelectorTest {
    @Test
    void aNameMatchesItselfInAnyCaseWithOrWithoutTheRootDot() {
        FqdnSelector s = FqdnSelector.name("API.example.test.");
        assertEquals("api.example.test", s.matchName());
        assertTrue(s.matches("api.example.test"));
        assertTrue(s.matches("Api.Example.Test."));
        assertFalse(s.matches("x.api.example.test"));
        assertFalse(s.matches("api.example.tes"));
    }

    @Test
    void aStarCoversOneLabelOnly() {
        FqdnSelector s = FqdnSelector.pattern("*.example.test");
        assertTrue(s.matches("api.example.test"));
        assertTrue(s.matches("WWW.example.test."));
        assertFalse(s.matches("a.b.example.test"), "two labels");
        assertFalse(s.matches("example.test"));
        FqdnSelector mid = FqdnSelector.pattern("api-*.example.test");
        assertTrue(mid.matches("api-1.example.test"));
        assertTrue(mid.matches("api-.example.test"));
        assertFalse(mid.matches("web-1.example.test"));
        assertTrue(FqdnSelector.pattern("*").matches("anything.at.all"));
        assertTrue(FqdnSelector.pattern("a*b*c.test").matches("axxbyyc.test"));
        assertFalse(FqdnSelector.pattern("a*b*c.test").matches("axxbyy.test"));
    }

    @Test
    void badNamesAndPatternsAreRefusedInWords() {
        assertEquals("'a..b' is not a DNS name like api.example.test (labels of letters, digits, '-' and '_',"
                + " 1-63 characters each, 253 in all)", assertThrows(IllegalArgumentException.class,
                        () -> FqdnSelector.name("a..b")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> FqdnSelector.name("*.example.test"));
        assertThrows(IllegalArgumentException.class, () -> FqdnSelector.name("a".repeat(64) + ".test"));
        assertThrows(IllegalArgumentException.class, () -> FqdnSelector.name("-a.test"));
        assertThrows(IllegalArgumentException.class, () -> FqdnSelector.name("a b.test"));
        assertThrows(IllegalArgumentException.class, () -> FqdnSelector.pattern("*..test"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FqdnSelector.name("x".repeat(1000)))
                .getMessage().contains("(1000 characters)"));
    }
}
