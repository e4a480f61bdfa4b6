package io.kiln.build;

import io.kiln.object.ObjectInfo;
import io.kiln.object.VariableInfo;
import io.kiln.template.ConstantDecl;
import io.kiln.template.TemplateDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Checks a compiled object against its descriptor: every declared endpoint constant is a
 * .rodata variable of the declared size, and .rodata holds nothing undeclared. Without this a
 * typo in the C source would only show at load time, on some node, for some endpoint.
 */
final class ConstantCheck {
    private ConstantCheck() {
    }

    static void verify(TemplateDescriptor template, ObjectInfo info, String variantName) {
        Map<String, VariableInfo> inObject = info.constants().stream()
                .collect(Collectors.toMap(VariableInfo::name, Function.identity(), (a, b) -> a));
        List<String> problems = new ArrayList<>();
        for (ConstantDecl declared : template.constants()) {
            VariableInfo actual = inObject.remove(declared.name());
            if (actual == null) {
                problems.add("constant " + declared.name() + " (" + declared.type().yamlName()
                        + ") is declared but the object has no such .rodata variable;"
                        + " declare it in the C source as 'volatile const' with " + declared.type().size()
                        + " byte(s)");
            } else if (actual.size() != declared.type().size()) {
                problems.add("constant " + declared.name() + " is declared " + declared.type().yamlName()
                        + " (" + declared.type().size() + " bytes) but the object has '" + actual.typeName()
                        + " " + actual.name() + "' (" + actual.size() + " bytes)");
            }
        }
        for (VariableInfo extra : inObject.values()) {
            problems.add(".rodata variable '" + extra.typeName() + " " + extra.name() + "' ("
                    + extra.size() + " bytes) is not declared under 'constants:'");
        }
        if (!problems.isEmpty()) {
            throw new ConstantMismatchException("template " + template.name() + ": variant " + variantName
                    + ": the object does not match " + template.descriptorFile() + ":\n  "
                    + String.join("\n  ", problems));
        }
    }
}
