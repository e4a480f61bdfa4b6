package io.kiln.template;

/** Type of a build parameter (a FreeMarker model value that changes the C code). */
public enum ParamType {
    BOOL("bool"),
    INT("int"),
    ENUM("enum"),
    /** A C identifier: [A-Za-z_][A-Za-z0-9_]*, safe to paste into C. */
    IDENTIFIER("identifier");

    private final String yamlName;

    ParamType(String yamlName) {
        this.yamlName = yamlName;
    }

    public String yamlName() {
        return yamlName;
    }
}
