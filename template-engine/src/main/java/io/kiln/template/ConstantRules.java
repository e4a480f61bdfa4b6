package io.kiln.template;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The one rule set for endpoint constants, applied when a variant is built (against the compiled
 * object) and when an endpoint is specialized (against the given values and the object libbpf
 * opened): a value is given only for a declared constant and has its type's size; the object's
 * {@code volatile const} has the declared size and no signed C type where the declaration is
 * unsigned. A build also requires every declaration to be in the object and nothing undeclared in
 * {@code .rodata}; a load skips a declared constant the object lacks (no code can read it).
 */
public final class ConstantRules {
    /** A {@code volatile const} of an object: name, C type as written, size, and whether it is a signed integer after typedefs. */
    public record ObjectConstant(String name, String cType, int size, boolean signed) {
    }

    /** How strictly the object must match the descriptor. */
    public enum Match {
        /** At build time: every declaration is in the object and the object holds nothing undeclared. */
        EXACT,
        /** At load time: a declaration the object lacks is skipped, nothing else is relaxed. */
        DECLARED_PRESENT
    }

    private ConstantRules() {
    }

    /** What is wrong with a value of {@code size} bytes given for the constant {@code name}, if anything. */
    public static Optional<String> value(TemplateDescriptor t, String name, int size) {
        Optional<ConstantDecl> decl = t.constant(name);
        if (decl.isEmpty()) {
            String declared = t.constants().isEmpty() ? "the template declares no constants"
                    : "declared: " + t.constants().stream().map(ConstantDecl::name).collect(Collectors.joining(", "));
            return Optional.of("constant " + name + ": unknown constant (" + declared + ")");
        }
        ConstantType type = decl.get().type();
        if (size != type.size()) {
            return Optional.of("constant " + name + ": wrong type: declared " + type.yamlName() + " ("
                    + bytes(type.size()) + "), the value has " + bytes(size));
        }
        return Optional.empty();
    }

    /** Every way the object's constants differ from the descriptor's declarations, in declaration order. */
    public static List<String> object(TemplateDescriptor t, Collection<ObjectConstant> inObject, Match match) {
        Map<String, ObjectConstant> byName = new LinkedHashMap<>();
        for (ObjectConstant c : inObject) {
            byName.putIfAbsent(c.name(), c);
        }
        List<String> problems = new ArrayList<>();
        for (ConstantDecl decl : t.constants()) {
            ObjectConstant c = byName.remove(decl.name());
            ConstantType type = decl.type();
            if (c == null) {
                if (match == Match.EXACT) {
                    problems.add("constant " + decl.name() + " (" + type.yamlName() + ") is declared but the object"
                            + " has no such .rodata variable; declare it in the C source as 'volatile const' with "
                            + bytes(type.size()));
                }
            } else if (c.size() != type.size()) {
                problems.add("constant " + decl.name() + ": the object's variable is " + c.cType() + " ("
                        + bytes(c.size()) + ") but the template declares " + type.yamlName() + " ("
                        + bytes(type.size()) + "); fix the descriptor or the C declaration");
            } else if (c.signed() && isUnsignedInteger(type)) {
                problems.add("constant " + decl.name() + ": the object's variable is signed (" + c.cType()
                        + ") but the template declares " + type.yamlName() + "; declare it with an unsigned type in C");
            }
        }
        if (match == Match.EXACT) {
            for (ObjectConstant extra : byName.values()) {
                problems.add(".rodata variable '" + extra.cType() + " " + extra.name() + "' (" + bytes(extra.size())
                        + ") is not declared under 'constants:'");
            }
        }
        return problems;
    }

    private static boolean isUnsignedInteger(ConstantType type) {
        return type == ConstantType.U8 || type == ConstantType.U16 || type == ConstantType.U32 || type == ConstantType.U64;
    }

    private static String bytes(int n) {
        return n + (n == 1 ? " byte" : " bytes");
    }
}
