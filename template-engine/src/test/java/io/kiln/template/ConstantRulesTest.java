package io.kiln.template;

import io.kiln.template.ConstantRules.Match;
import io.kiln.template.ConstantRules.ObjectConstant;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConstantRulesTest {
    private final TemplateDescriptor endpoint = Templates.load(TestTemplates.resource("endpoint"));

    private static List<ObjectConstant> allButDebug() {
        return List.of(new ObjectConstant("ENDPOINT_ID", "__u16", 2, false),
                new ObjectConstant("IDENTITY", "__u32", 4, false),
                new ObjectConstant("ENDPOINT_IPV4", "__be32", 4, false),
                new ObjectConstant("ENDPOINT_IPV6", "union v6addr", 16, false),
                new ObjectConstant("ENDPOINT_MAC", "unsigned char[6]", 6, false));
    }

    @Test
    void aBuildNeedsEveryDeclarationWhileALoadSkipsOneCompiledOut() {
        assertEquals(List.of("constant DEBUG (bool) is declared but the object has no such .rodata variable;"
                + " declare it in the C source as 'volatile const' with 1 byte"),
                ConstantRules.object(endpoint, allButDebug(), Match.EXACT));
        assertEquals(List.of(), ConstantRules.object(endpoint, allButDebug(), Match.DECLARED_PRESENT));
    }

    @Test
    void sizeAndSignednessAreCheckedInBothMatches() {
        List<ObjectConstant> signed = List.of(new ObjectConstant("IDENTITY", "__s32", 4, true));
        List<ObjectConstant> wide = List.of(new ObjectConstant("ENDPOINT_ID", "__u32", 4, false));
        for (Match m : Match.values()) {
            assertTrue(ConstantRules.object(endpoint, signed, m).contains("constant IDENTITY: the object's variable is"
                    + " signed (__s32) but the template declares u32; declare it with an unsigned type in C"), m.name());
            assertTrue(ConstantRules.object(endpoint, wide, m).contains("constant ENDPOINT_ID: the object's variable is"
                    + " __u32 (4 bytes) but the template declares u16 (2 bytes); fix the descriptor or the C declaration"),
                    m.name());
        }
    }

    @Test
    void undeclaredRodataIsRefusedOnlyAtBuildTime() {
        List<ObjectConstant> extra = new java.util.ArrayList<>(allButDebug());
        extra.add(new ObjectConstant("DEBUG", "bool", 1, false));
        extra.add(new ObjectConstant("SNEAKY", "__u32", 4, false));
        assertEquals(List.of(".rodata variable '__u32 SNEAKY' (4 bytes) is not declared under 'constants:'"),
                ConstantRules.object(endpoint, extra, Match.EXACT));
        assertEquals(List.of(), ConstantRules.object(endpoint, extra, Match.DECLARED_PRESENT));
    }

    @Test
    void valuesMustBeDeclaredAndOfTheirTypesSize() {
        assertEquals("constant ENDPOINT_IP: unknown constant (declared: ENDPOINT_ID, IDENTITY, ENDPOINT_IPV4,"
                + " ENDPOINT_IPV6, ENDPOINT_MAC, DEBUG)", ConstantRules.value(endpoint, "ENDPOINT_IP", 4).orElseThrow());
        assertEquals("constant IDENTITY: wrong type: declared u32 (4 bytes), the value has 2 bytes",
                ConstantRules.value(endpoint, "IDENTITY", 2).orElseThrow());
        assertTrue(ConstantRules.value(endpoint, "IDENTITY", 4).isEmpty());
    }
}
