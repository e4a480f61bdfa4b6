package io.kiln.runtime.internal;

import io.kiln.bpf.BpfObject;
import io.kiln.bpf.RodataConstant;
import io.kiln.runtime.EndpointException;
import io.kiln.template.ConstantRules;
import io.kiln.template.TemplateDescriptor;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * An endpoint's constants before anything reaches the kernel, by the same {@link ConstantRules} a
 * build applies; at load time a declared constant the variant compiled out is skipped.
 */
public final class EndpointConstantCheck {
    private EndpointConstantCheck() {
    }

    /** Name and size against the descriptor; throws a user error naming what is declared. */
    public static void declared(TemplateDescriptor t, Map<String, byte[]> constants, String prefix) {
        for (Map.Entry<String, byte[]> e : constants.entrySet()) {
            ConstantRules.value(t, e.getKey(), e.getValue().length).ifPresent(problem -> {
                throw new EndpointException(prefix + problem, true);
            });
        }
    }

    /**
     * The constants the object has, against their declarations; returns the given constants that
     * the object holds, to be set.
     */
    public static Map<String, byte[]> againstObject(TemplateDescriptor t, BpfObject object, Map<String, byte[]> constants,
                                                    String prefix) {
        List<ConstantRules.ObjectConstant> inObject = object.constants().stream()
                .map(c -> new ConstantRules.ObjectConstant(c.name(), c.type(), c.size(), c.signed()))
                .toList();
        List<String> problems = ConstantRules.object(t, inObject, ConstantRules.Match.DECLARED_PRESENT);
        if (!problems.isEmpty()) {
            throw new EndpointException(prefix + problems.get(0), true);
        }
        Set<String> present = object.constants().stream().map(RodataConstant::name).collect(Collectors.toSet());
        return constants.entrySet().stream().filter(e -> present.contains(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }
}
