package io.kiln.maven;

import java.util.ArrayList;
import java.util.List;

/**
 * The variants to build of one template, as declared in the POM:
 * <pre>{@code
 * <templates>
 *   <template>
 *     <name>endpoint</name>
 *     <matrix>true</matrix>                       <!-- every bool and enum combination -->
 *     <excludes>
 *       <exclude>conntrack=false,loadBalancing=true</exclude>   <!-- drop matrix entries matching all of these -->
 *     </excludes>
 *     <variants>
 *       <variant>ctSize=262144</variant>           <!-- explicit sets; unnamed parameters keep their default -->
 *       <variant>default</variant>                 <!-- the default variant -->
 *     </variants>
 *   </template>
 * </templates>
 * }</pre>
 * A template with no entry, or an entry that declares neither, builds its default variant.
 */
public class Template {
    /** The template's name (from its descriptor). Required. */
    private String name;
    /** Build every bool/enum combination of the template's build parameters (ints at their default). */
    private boolean matrix;
    /** Explicit sets of build parameters, each {@code name=value,name=value} or {@code default}. */
    private List<String> variants = new ArrayList<>();
    /** Matrix entries to leave out: each {@code name=value,...} drops the entries that match all of its values. */
    private List<String> excludes = new ArrayList<>();

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public boolean isMatrix() {
        return matrix;
    }

    public void setMatrix(boolean matrix) {
        this.matrix = matrix;
    }

    public List<String> getVariants() {
        return variants == null ? List.of() : variants;
    }

    public void setVariants(List<String> variants) {
        this.variants = variants;
    }

    public List<String> getExcludes() {
        return excludes == null ? List.of() : excludes;
    }

    public void setExcludes(List<String> excludes) {
        this.excludes = excludes;
    }
}
