package io.kiln.build;

import io.kiln.object.Btf;
import io.kiln.object.BtfType;
import io.kiln.object.ObjectInfo;
import io.kiln.object.VariableInfo;
import io.kiln.template.ConstantRules;
import io.kiln.template.TemplateDescriptor;
import java.util.List;

/**
 * A compiled object against its descriptor, by {@link ConstantRules} with an exact match: without
 * this a typo in the C source would only show at load time, on some node, for some endpoint.
 */
final class ConstantCheck {
    private ConstantCheck() {
    }

    static void verify(TemplateDescriptor template, ObjectInfo info, String variantName) {
        Btf btf = info.btf();
        List<ConstantRules.ObjectConstant> constants = info.constants().stream()
                .map(v -> new ConstantRules.ObjectConstant(v.name(), v.typeName(), v.size(), signed(btf, v)))
                .toList();
        List<String> problems = ConstantRules.object(template, constants, ConstantRules.Match.EXACT);
        if (!problems.isEmpty()) {
            throw new ConstantMismatchException("template " + template.name() + ": variant " + variantName
                    + ": the object does not match " + template.descriptorFile() + ":\n  "
                    + String.join("\n  ", problems));
        }
    }

    private static boolean signed(Btf btf, VariableInfo v) {
        if (btf.isEmpty() || v.typeId() == 0) {
            return false;
        }
        return btf.resolve(v.typeId()) instanceof BtfType.Int i && i.signed();
    }
}
