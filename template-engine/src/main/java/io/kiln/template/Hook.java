package io.kiln.template;

import java.util.Arrays;
import java.util.Optional;

/** Where a program of a template attaches. */
public enum Hook {
    TC_INGRESS("tc-ingress"),
    TC_EGRESS("tc-egress"),
    XDP("xdp");

    private final String yamlName;

    Hook(String yamlName) {
        this.yamlName = yamlName;
    }

    /** The name used in descriptors and specs, e.g. {@code tc-ingress}. */
    public String yamlName() {
        return yamlName;
    }

    public static Optional<Hook> fromYaml(String name) {
        return Arrays.stream(values()).filter(h -> h.yamlName.equals(name)).findFirst();
    }
}
