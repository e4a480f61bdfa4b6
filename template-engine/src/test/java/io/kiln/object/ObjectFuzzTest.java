package io.kiln.object;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz tests of the ELF and BTF reader: objects come from the object store, bundles and the
 * command line, and a root agent reads them. The contract: any bytes either read as an object (and
 * then every accessor works: names, sizes, constants' defaults) or are refused with an
 * {@link InvalidObjectException} naming the object and the problem. Any other exception or error,
 * a refusal that is the reader's own catch-all ("internal error while decoding": a decoding path
 * without its check), or an input slower than the timeout, is a finding.
 *
 * <p>Seeds under {@code src/test/resources/io/kiln/object/ObjectFuzzTestInputs/}: {@code object/}
 * holds this folder's test sources ({@code kinds.bpf.c}, {@code endpoint.bpf.c}) compiled by
 * {@code clang -target bpf -O2 -g -c} (clang 14) and stripped of DWARF ({@code llvm-objcopy
 * --strip-debug}; BTF stays), and {@code nobtf.bpf.c} compiled without {@code -g}; {@code btf/}
 * holds the {@code .BTF} sections of the first two ({@code llvm-objcopy --dump-section .BTF=...}).
 */
class ObjectFuzzTest {
    private static final String NAME = "fuzz.o";

    @FuzzTest(maxDuration = "4m")
    @Timeout(5)
    void object(byte[] input) {
        ObjectInfo info;
        try {
            info = ObjectInfo.read(input, NAME);
        } catch (InvalidObjectException e) {
            checkRefusal(e, input);
            return;
        }
        assertEquals(NAME, info.displayName());
        assertNotNull(info.toString());
        for (ProgramInfo p : info.programs()) {
            assertTrue(p.instructions() >= 0, p.toString());
            assertTrue(info.section(p.section()).isPresent(), "program " + p.name() + " in no section");
        }
        for (SectionInfo s : info.sections()) {
            for (VariableInfo v : info.variables(s.name())) {
                assertTrue(v.offset() >= 0 && v.size() >= 0, v.toString());
            }
        }
        for (VariableInfo c : info.constants()) {
            byte[] value = info.constantDefault(c.name()).orElseThrow();
            assertEquals(c.size(), value.length, "default of constant " + c.name());
        }
        for (MapInfo m : info.maps()) {
            assertNotNull(m.typeName());
        }
        info.license();
        walk(info.btf(), input);
    }

    @FuzzTest(maxDuration = "3m")
    @Timeout(5)
    void btf(byte[] input) {
        Btf btf;
        try {
            btf = Btf.parse(input, NAME);
        } catch (InvalidObjectException e) {
            checkRefusal(e, input);
            return;
        }
        walk(btf, input);
    }

    /** The finding of the first fuzzing run, as a plain test: the message says which section and what. */
    @Test
    void variablesWithoutNamesAreRefused() throws Exception {
        byte[] object;
        try (InputStream in = getClass().getResourceAsStream("ObjectFuzzTestInputs/object/unnamed-variables.o")) {
            object = in.readAllBytes();
        }
        InvalidObjectException e = assertThrows(InvalidObjectException.class, () -> ObjectInfo.read(object, NAME));
        assertEquals("a variable of section [7] '.rodata' (offset 0, size 1) has no name", e.problem());
    }

    /** Every type can be named, resolved and sized (or is refused as having no size). */
    private static void walk(Btf btf, byte[] input) {
        assertEquals(btf.count(), btf.types().size());
        for (int id = 0; id < btf.count(); id++) {
            assertNotNull(btf.typeName(id));
            assertNotNull(btf.resolve(id));
            try {
                assertTrue(btf.sizeOf(id) >= 0, "negative size of type [" + id + "]");
            } catch (InvalidObjectException e) {
                checkRefusal(e, input);
            }
        }
        btf.types().stream().filter(t -> t.kind() == BtfKind.DATASEC).forEach(t -> btf.dataSec(t.name()).orElseThrow());
    }

    /**
     * A refusal from a check: no cause (the catch-all of {@link ObjectInfo#read} and {@link Btf#parse}
     * keeps the unexpected exception as its cause) and not the catch-all's wording, unless the input
     * itself holds those words (the fuzzer learns strings and writes them into names).
     */
    private static void checkRefusal(InvalidObjectException e, byte[] input) {
        assertEquals(NAME, e.object(), e.getMessage());
        assertNotNull(e.problem());
        assertFalse(e.problem().isBlank(), "no problem stated: " + e.getMessage());
        assertNull(e.getCause(), () -> "the reader's catch-all caught what a check should have: " + e.getMessage());
        String catchAll = "internal error while decoding";
        assertFalse(e.problem().contains(catchAll)
                        && !new String(input, StandardCharsets.ISO_8859_1).contains(catchAll),
                () -> "the reader's catch-all caught what a check should have: " + e.getMessage());
    }
}
