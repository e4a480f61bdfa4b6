package io.kiln.runtime.internal;

import io.kiln.bpf.BpfObject;
import io.kiln.bpf.RodataConstant;
import io.kiln.runtime.EndpointException;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.TemplateDescriptor;

import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Checks an endpoint's constants before anything reaches the kernel: each must be declared by the
 * template, have the size of its declared type, and match the {@code volatile const} the object
 * holds (size, and no signed C type for an unsigned declaration). A declared constant that the
 * variant compiled out (no such variable in the object) is skipped: no code can read it.
 */
public final class ConstantCheck {
    private ConstantCheck() {
    }

    /** Name and size against the descriptor; throws a user error naming what is declared. */
    public static void declared(TemplateDescriptor t, Map<String, byte[]> constants, String prefix) {
        for (Map.Entry<String, byte[]> e : constants.entrySet()) {
            Optional<ConstantDecl> decl = t.constant(e.getKey());
            if (decl.isEmpty()) {
                String declared = t.constants().isEmpty() ? "the template declares no constants"
                        : "declared: " + t.constants().stream().map(ConstantDecl::name).collect(Collectors.joining(", "));
                throw new EndpointException(prefix + "constant " + e.getKey() + ": unknown constant (" + declared + ")",
                        true);
            }
            ConstantType type = decl.get().type();
            int given = e.getValue().length;
            if (given != type.size()) {
                throw new EndpointException(prefix + "constant " + e.getKey() + ": wrong type: declared "
                        + type.yamlName() + " (" + bytes(type.size()) + "), the value has " + bytes(given), true);
            }
        }
    }

    /**
     * The constants the object has, against their declarations; returns the given constants that
     * the object holds, to be set.
     */
    public static Map<String, byte[]> againstObject(TemplateDescriptor t, BpfObject object, Map<String, byte[]> constants,
                                                    String prefix) {
        Map<String, RodataConstant> inObject = object.constants().stream()
                .collect(Collectors.toMap(RodataConstant::name, c -> c, (a, b) -> a));
        for (ConstantDecl decl : t.constants()) {
            RodataConstant c = inObject.get(decl.name());
            if (c == null) {
                continue;
            }
            ConstantType type = decl.type();
            if (c.size() != type.size()) {
                throw new EndpointException(prefix + "constant " + decl.name() + ": the object's variable is " + c.type()
                        + " (" + bytes(c.size()) + ") but the template declares " + type.yamlName() + " ("
                        + bytes(type.size()) + "); fix the descriptor or the C declaration", true);
            }
            if (c.signed() && isUnsignedInteger(type)) {
                throw new EndpointException(prefix + "constant " + decl.name() + ": the object's variable is signed ("
                        + c.type() + ") but the template declares " + type.yamlName()
                        + "; declare it with an unsigned type in C", true);
            }
        }
        return constants.entrySet().stream().filter(e -> inObject.containsKey(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static boolean isUnsignedInteger(ConstantType type) {
        return type == ConstantType.U8 || type == ConstantType.U16 || type == ConstantType.U32 || type == ConstantType.U64;
    }

    private static String bytes(int n) {
        return n + (n == 1 ? " byte" : " bytes");
    }
}
