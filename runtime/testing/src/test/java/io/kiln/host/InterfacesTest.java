package io.kiln.host;

import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterfacesTest {
    @Test
    void aNameCutShortByNulIsNotLo() {
        KernelRequirements.assumeKernel();
        assertEquals(1, Interfaces.ifindex("lo"), "lo is ifindex 1 in every namespace");
        HostException e = assertThrows(HostException.class, () -> Interfaces.ifindex("lo\0x"));
        assertEquals("interface name 'lo\\u0000x': character 3 is U+0000; no '/', ':', whitespace or control "
                + "characters", e.getMessage());
        assertTrue(e.isUserError());
        assertThrows(HostException.class, () -> Interfaces.mac("lo\0x"));
        assertThrows(HostException.class, () -> Interfaces.mac("lo-but-much-too-long"), "not cut to 15 bytes");
    }

    @Test
    void kernelNameRules() {
        assertNull(Interfaces.nameProblem("eth0"));
        assertNull(Interfaces.nameProblem("a23456789012345"));
        assertEquals("the name is 16 bytes long, at most 15", Interfaces.nameProblem("a234567890123456"));
        assertEquals("the name is 16 bytes long, at most 15", Interfaces.nameProblem("\u00e9".repeat(8)));
        assertEquals("the name is empty", Interfaces.nameProblem(""));
        assertEquals("'.' is not a name", Interfaces.nameProblem("."));
        assertTrue(Interfaces.nameProblem("a b").startsWith("character 2 is U+0020"));
        assertTrue(Interfaces.nameProblem("a\u007fb").startsWith("character 2 is U+007F"));
    }
}
