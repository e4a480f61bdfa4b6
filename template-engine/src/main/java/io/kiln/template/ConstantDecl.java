package io.kiln.template;

/** A declared endpoint constant. */
public record ConstantDecl(String name, ConstantType type, String description) {
    public ConstantDecl {
        description = description == null ? "" : description;
    }
}
