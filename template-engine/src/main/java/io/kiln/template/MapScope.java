package io.kiln.template;

/** Whether a map is one per endpoint or one per node (shared by every endpoint). */
public enum MapScope {
    ENDPOINT("endpoint"),
    NODE("node");

    private final String yamlName;

    MapScope(String yamlName) {
        this.yamlName = yamlName;
    }

    public String yamlName() {
        return yamlName;
    }
}
