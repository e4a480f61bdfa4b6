package io.kiln.runtime;

import io.kiln.Sha256;
import io.kiln.cache.CompiledObject;
import io.kiln.template.TemplateDescriptor;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The object of one variant of a template, as the runtime specializes it: the template's
 * descriptor (its programs with their hooks, its constants, its maps with scope and pin flag),
 * the variant key if the object came from the cache or a bundle, and the ELF bytes.
 */
public final class TemplateObject {
    private final TemplateDescriptor template;
    private final String variantKey;
    private final byte[] bytes;
    private final String digest;

    private TemplateObject(TemplateDescriptor template, String variantKey, byte[] bytes) {
        this.template = Objects.requireNonNull(template, "template");
        if (bytes == null || bytes.length == 0) {
            throw new IllegalArgumentException("template " + template.name() + ": no object bytes");
        }
        this.variantKey = variantKey;
        this.bytes = bytes.clone();
        this.digest = Sha256.of(this.bytes);
    }

    /** An object from the {@link io.kiln.cache.ObjectCache}, with its variant key. */
    public static TemplateObject of(TemplateDescriptor template, CompiledObject object) {
        return new TemplateObject(template, object.key().hex(), object.bytes());
    }

    /** An object known by its bytes and, if the caller has one, its variant key (null if none). */
    public static TemplateObject of(TemplateDescriptor template, String variantKeyOrNull, byte[] bytes) {
        return new TemplateObject(template, variantKeyOrNull, bytes);
    }

    public TemplateDescriptor template() {
        return template;
    }

    /** The variant key, if known. */
    public Optional<String> variantKey() {
        return Optional.ofNullable(variantKey);
    }

    /** A copy of the ELF bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The bytes themselves, for the specializer only (it copies them into native memory). */
    byte[] bytesNoCopy() {
        return bytes;
    }

    /** SHA-256 of the bytes, hex. */
    public String digest() {
        return digest;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TemplateObject other && template.equals(other.template)
                && Objects.equals(variantKey, other.variantKey) && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "template " + template.name() + " object " + (variantKey != null ? variantKey.substring(0, 12)
                : digest.substring(0, 12)) + " (" + bytes.length + " bytes)";
    }
}
