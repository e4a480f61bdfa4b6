package io.kiln.maven.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kiln.bundle.BundledConstant;
import io.kiln.template.ConstantType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The constant values verification loads each variant with. */
class ValueSetsTest {
    private static final List<BundledConstant> CONSTANTS = List.of(
            new BundledConstant("ID", ConstantType.U16, 0, 2),
            new BundledConstant("ON", ConstantType.BOOL, 2, 1),
            new BundledConstant("ADDR", ConstantType.IPV4, 4, 4));

    @Test
    void edgesAndMixesOfEveryConstant() {
        List<ValueSets.ValueSet> sets = ValueSets.of(CONSTANTS, ValueSets.ALL);
        assertEquals(List.of("compiled", "zero", "one", "max", "mixed", "mixed-inverse"),
                sets.stream().map(ValueSets.ValueSet::name).toList());
        assertEquals(0, sets.get(0).values().size(), "compiled sets nothing");
        ValueSets.ValueSet one = sets.get(2);
        assertArrayEquals(new byte[] {1, 0}, one.values().get("ID"), "little-endian 1");
        assertArrayEquals(new byte[] {0, 0, 0, 1}, one.values().get("ADDR"), "0.0.0.1");
        ValueSets.ValueSet max = sets.get(3);
        assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xff}, max.values().get("ID"));
        assertArrayEquals(new byte[] {1}, max.values().get("ON"), "a bool is true, never 0xff");
        ValueSets.ValueSet mixed = sets.get(4);
        assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xff}, mixed.values().get("ID"));
        assertArrayEquals(new byte[] {0}, mixed.values().get("ON"));
        assertArrayEquals(new byte[] {1}, sets.get(5).values().get("ON"));
    }

    @Test
    void setsThatRepeatAnotherAreLeftOut() {
        List<BundledConstant> single = List.of(new BundledConstant("ON", ConstantType.BOOL, 0, 1));
        assertEquals(List.of("compiled", "zero", "one"),
                ValueSets.of(single, ValueSets.ALL).stream().map(ValueSets.ValueSet::name).toList());
        assertEquals(List.of("compiled"), ValueSets.of(List.of(), ValueSets.ALL).stream()
                .map(ValueSets.ValueSet::name).toList());
    }

    /** The table of docs/maven-plugin.md, "Verification". */
    @Test
    void howManySetsATemplateGetsAsTheDocsSay() {
        List<BundledConstant> oneU32 = List.of(new BundledConstant("LIMIT", ConstantType.U32, 0, 4));
        assertEquals(List.of("compiled", "zero", "one", "max"),
                ValueSets.of(oneU32, ValueSets.ALL).stream().map(ValueSets.ValueSet::name).toList());
        List<BundledConstant> twoBools = List.of(new BundledConstant("A", ConstantType.BOOL, 0, 1),
                new BundledConstant("B", ConstantType.BOOL, 1, 1));
        assertEquals(List.of("compiled", "zero", "one", "mixed", "mixed-inverse"),
                ValueSets.of(twoBools, ValueSets.ALL).stream().map(ValueSets.ValueSet::name).toList());
        List<BundledConstant> u16AndBool = List.of(new BundledConstant("ID", ConstantType.U16, 0, 2),
                new BundledConstant("ON", ConstantType.BOOL, 2, 1));
        assertEquals(ValueSets.ALL, ValueSets.of(u16AndBool, ValueSets.ALL).stream().map(ValueSets.ValueSet::name)
                .toList());
    }

    @Test
    void anUnknownSetIsNamed() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> ValueSets.of(CONSTANTS, List.of("zero", "huge")));
        assertEquals("kiln.verify.valueSets: unknown value set 'huge'; known: compiled, zero, one, max, mixed,"
                + " mixed-inverse", e.getMessage());
    }
}
