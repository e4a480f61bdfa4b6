package io.kiln.template;

/** A declared map: its name in the object, its scope, and whether the runtime pins it. */
public record MapDecl(String name, MapScope scope, boolean pinned) {
}
